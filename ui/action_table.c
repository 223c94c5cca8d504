/* Every bindable action by name, and the contexts bindings live in: see action_table.h. */
#include <string.h>

#include "action_table.h"

static const ui_action_info ACTIONS[UI_ACTION_COUNT] = {
    {UI_ACTION_NONE, "none", "do nothing (unbinds a key)"},
    {UI_ACTION_COMMAND, "command", "run a command of the command language"},
    {UI_ACTION_QUIT, "quit", "quit kvtui"},
    {UI_ACTION_HELP, "help", "show or hide this help"},
    {UI_ACTION_COMMAND_LINE, "command-line", "open the : command line"},
    {UI_ACTION_FILTER, "filter", "filter the keys as you type"},
    {UI_ACTION_SWITCH_PANE, "switch-pane", "switch between the key list and the document"},
    {UI_ACTION_RELOAD, "reload", "reload the key list and the open document"},
    {UI_ACTION_MOVE_UP, "move-up", "move up"},
    {UI_ACTION_MOVE_DOWN, "move-down", "move down"},
    {UI_ACTION_PAGE_UP, "page-up", "one page up"},
    {UI_ACTION_PAGE_DOWN, "page-down", "one page down"},
    {UI_ACTION_TOP, "top", "go to the top"},
    {UI_ACTION_BOTTOM, "bottom", "go to the bottom"},
    {UI_ACTION_SCROLL_LEFT, "scroll-left", "scroll the document left"},
    {UI_ACTION_SCROLL_RIGHT, "scroll-right", "scroll the document right"},
    {UI_ACTION_OPEN, "open", "open the selected document"},
    {UI_ACTION_EDIT, "edit", "edit the document in place"},
    {UI_ACTION_EDIT_EXTERNAL, "edit-external", "edit the document in $EDITOR"},
    {UI_ACTION_DELETE, "delete", "delete the selected document (asks first)"},
    {UI_ACTION_SET_TTL, "set-ttl", "set the selected document's TTL"},
    {UI_ACTION_COUNTER_INCREMENT, "counter-increment", "add to a counter (asks, default 1)"},
    {UI_ACTION_COUNTER_DECREMENT, "counter-decrement", "subtract from a counter (asks, default 1)"},
    {UI_ACTION_NEW_DOCUMENT, "new-document", "create a document (asks for key and value)"},
    {UI_ACTION_FOLD_TOGGLE, "fold-toggle", "fold or unfold the JSON block at the cursor"},
    {UI_ACTION_FOLD_ALL, "fold-all", "fold every JSON block"},
    {UI_ACTION_UNFOLD_ALL, "unfold-all", "unfold every JSON block"},
    {UI_ACTION_MOVE_LEFT, "move-left", "editor: one character left"},
    {UI_ACTION_MOVE_RIGHT, "move-right", "editor: one character right"},
    {UI_ACTION_LINE_START, "line-start", "editor: start of the line"},
    {UI_ACTION_LINE_END, "line-end", "editor: end of the line"},
    {UI_ACTION_DELETE_BACK, "delete-back", "editor: delete the character before the cursor"},
    {UI_ACTION_DELETE_FORWARD, "delete-forward", "editor: delete the character at the cursor"},
    {UI_ACTION_NEWLINE, "newline", "editor: break the line"},
    {UI_ACTION_INSERT_TAB, "insert-tab", "editor: a tab in text, two spaces in JSON and hex"},
    {UI_ACTION_UNDO, "undo", "editor: undo"},
    {UI_ACTION_REDO, "redo", "editor: redo"},
    {UI_ACTION_FIND, "find", "editor: find text"},
    {UI_ACTION_FIND_NEXT, "find-next", "editor: find the next match"},
    {UI_ACTION_SAVE, "save", "editor: save (CAS-checked)"},
    {UI_ACTION_LEAVE, "leave", "editor: leave (asks when there are unsaved changes)"},
    {UI_ACTION_OVERWRITE, "overwrite", "conflict: save mine over theirs"},
    {UI_ACTION_TAKE_THEIRS, "take-theirs", "conflict: keep theirs, drop mine"},
    {UI_ACTION_MERGE, "merge", "conflict: merge base, mine and theirs"},
    {UI_ACTION_KEEP_EDITING, "keep-editing", "conflict: go back to editing mine"},
};

static const char *const CONTEXTS[UI_CONTEXT_COUNT] = {"global", "keys", "document", "conflict",
                                                       "editor"};

const ui_action_info *ui_action_lookup(const char *name)
{
    for (size_t i = 0; i < UI_ACTION_COUNT; i++)
        if (strcmp(ACTIONS[i].name, name) == 0)
            return &ACTIONS[i];
    return NULL;
}

const ui_action_info *ui_action_get(ui_action id)
{
    return id < UI_ACTION_COUNT ? &ACTIONS[id] : NULL;
}

const char *ui_context_name(ui_context context)
{
    return context < UI_CONTEXT_COUNT ? CONTEXTS[context] : "?";
}

ui_context ui_context_lookup(const char *name)
{
    for (int i = 0; i < UI_CONTEXT_COUNT; i++)
        if (strcmp(CONTEXTS[i], name) == 0)
            return (ui_context)i;
    return UI_CONTEXT_COUNT;
}

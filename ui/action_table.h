/*
 * action_table.h - every action a key can be bound to, by name. Key maps (the files in keymaps/ and
 * the user's own) name these; the help screen lists them with their text. A key can also be bound
 * to any command of the command language (see keymap.h).
 */
#ifndef UI_ACTION_TABLE_H
#define UI_ACTION_TABLE_H

#include <stddef.h>

/* Where a binding applies: the focused pane's context first, then global. */
typedef enum ui_context {
    UI_CONTEXT_GLOBAL,
    UI_CONTEXT_KEYS,
    UI_CONTEXT_DOCUMENT,
    UI_CONTEXT_CONFLICT,
    UI_CONTEXT_EDITOR, /* the in-place editor: no fallback to global (keys not bound are typed) */
    UI_CONTEXT_COUNT
} ui_context;

typedef enum ui_action {
    UI_ACTION_NONE,
    UI_ACTION_COMMAND, /* a command of the command language, with %k for the selected key */
    UI_ACTION_QUIT,
    UI_ACTION_HELP,
    UI_ACTION_COMMAND_LINE,
    UI_ACTION_FILTER,
    UI_ACTION_SWITCH_PANE,
    UI_ACTION_RELOAD,
    UI_ACTION_MOVE_UP,
    UI_ACTION_MOVE_DOWN,
    UI_ACTION_PAGE_UP,
    UI_ACTION_PAGE_DOWN,
    UI_ACTION_TOP,
    UI_ACTION_BOTTOM,
    UI_ACTION_SCROLL_LEFT,
    UI_ACTION_SCROLL_RIGHT,
    UI_ACTION_OPEN,
    UI_ACTION_EDIT,
    UI_ACTION_EDIT_EXTERNAL,
    UI_ACTION_DELETE,
    UI_ACTION_SET_TTL,
    UI_ACTION_COUNTER_INCREMENT,
    UI_ACTION_COUNTER_DECREMENT,
    UI_ACTION_NEW_DOCUMENT,
    UI_ACTION_FOLD_TOGGLE,
    UI_ACTION_FOLD_ALL,
    UI_ACTION_UNFOLD_ALL,
    UI_ACTION_MOVE_LEFT,
    UI_ACTION_MOVE_RIGHT,
    UI_ACTION_LINE_START,
    UI_ACTION_LINE_END,
    UI_ACTION_DELETE_BACK,
    UI_ACTION_DELETE_FORWARD,
    UI_ACTION_NEWLINE,
    UI_ACTION_INSERT_TAB,
    UI_ACTION_UNDO,
    UI_ACTION_REDO,
    UI_ACTION_FIND,
    UI_ACTION_FIND_NEXT,
    UI_ACTION_SAVE,
    UI_ACTION_LEAVE,
    UI_ACTION_OVERWRITE,
    UI_ACTION_TAKE_THEIRS,
    UI_ACTION_MERGE,
    UI_ACTION_KEEP_EDITING,
    UI_ACTION_COUNT
} ui_action;

typedef struct ui_action_info {
    ui_action id;
    const char *name; /* as written in key maps: "move-down" */
    const char *help;
} ui_action_info;

const ui_action_info *ui_action_lookup(const char *name);
const ui_action_info *ui_action_get(ui_action id);
const char *ui_context_name(ui_context context);
/* The context named NAME, or UI_CONTEXT_COUNT. */
ui_context ui_context_lookup(const char *name);

#endif /* UI_ACTION_TABLE_H */

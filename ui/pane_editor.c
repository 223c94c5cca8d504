/* The in-place editor's keys (drawing is editor_draw.c): cursor motion, typing, delete, undo
 * and redo, find, Ctrl-S to save and Esc to leave. While the editor is open it takes every key,
 * so typing `q` types a q; while its edit is with the save path (a save in flight, the conflict
 * view) keys go on to the key map, and the merge view takes them while it is open. */
#include <stdio.h>
#include <string.h>

#include "editor_internal.h"


typedef unsigned (*editor_action)(ui_app *app, ui_editor *e);

static unsigned moved(ui_editor *e, ui_edit_motion motion)
{
    ui_edit_buffer_move(e->buffer, motion, e->page > 1 ? e->page - 1 : 1);
    return UI_REDRAW_DOC;
}

static unsigned changed_if(ui_app *app, bool did)
{
    if (did)
        ui_editor_changed(app);
    return UI_REDRAW_DOC;
}

static unsigned do_backspace(ui_app *app, ui_editor *e)
{
    return changed_if(app, ui_edit_buffer_backspace(e->buffer));
}

static unsigned do_delete(ui_app *app, ui_editor *e)
{
    return changed_if(app, ui_edit_buffer_delete(e->buffer));
}

static unsigned do_undo(ui_app *app, ui_editor *e)
{
    if (!ui_edit_buffer_undo(e->buffer))
        ui_status_log(app, UI_LOG_INFO, "nothing to undo");
    else
        ui_editor_changed(app);
    return UI_REDRAW_DOC;
}

static unsigned do_redo(ui_app *app, ui_editor *e)
{
    if (!ui_edit_buffer_redo(e->buffer))
        ui_status_log(app, UI_LOG_INFO, "nothing to redo");
    else
        ui_editor_changed(app);
    return UI_REDRAW_DOC;
}

static unsigned do_newline(ui_app *app, ui_editor *e)
{
    ui_edit_buffer_insert(e->buffer, "\n", 1);
    return changed_if(app, true);
}

/* A tab is kept in text; in JSON and hex, where it is only spacing, two spaces read better. */
static unsigned do_tab(ui_app *app, ui_editor *e)
{
    if (e->form == UI_EDIT_TEXT)
        ui_edit_buffer_insert(e->buffer, "\t", 1);
    else
        ui_edit_buffer_insert(e->buffer, "  ", 2);
    return changed_if(app, true);
}

static unsigned do_save(ui_app *app, ui_editor *e)
{
    (void)e;
    ui_editor_save(app);
    return UI_REDRAW_ALL;
}

static unsigned do_leave(ui_app *app, ui_editor *e)
{
    (void)e;
    ui_editor_leave(app);
    return UI_REDRAW_ALL;
}

static void find_from_cursor(ui_app *app, ui_editor *e)
{
    if (!e->search[0])
        ui_status_log(app, UI_LOG_INFO, "nothing to find: Ctrl-F first");
    else if (!ui_edit_buffer_find(e->buffer, e->search, strlen(e->search)))
        ui_status_log(app, UI_LOG_INFO, "not found: %s", e->search);
}

static void find_entered(ui_app *app, const char *text, void *ctx)
{
    (void)ctx;
    ui_editor *e = ui_editor_state();
    if (!text || !text[0] || !e->open)
        return;
    snprintf(e->search, sizeof e->search, "%s", text);
    find_from_cursor(app, e);
    app->dirty |= UI_REDRAW_DOC;
}

static unsigned do_find(ui_app *app, ui_editor *e)
{
    ui_app_prompt(app, "find: ", e->search, find_entered, NULL);
    return UI_REDRAW_BAR;
}

static unsigned do_find_next(ui_app *app, ui_editor *e)
{
    find_from_cursor(app, e);
    return UI_REDRAW_DOC;
}

typedef struct editor_binding {
    ui_action action;
    editor_action run; /* NULL: a cursor motion */
    ui_edit_motion motion;
} editor_binding;

/* What each action of the key map's editor context does here. */
static const editor_binding ACTIONS[] = {
    {UI_ACTION_MOVE_LEFT, NULL, UI_EDIT_LEFT},       {UI_ACTION_MOVE_RIGHT, NULL, UI_EDIT_RIGHT},
    {UI_ACTION_MOVE_UP, NULL, UI_EDIT_UP},           {UI_ACTION_MOVE_DOWN, NULL, UI_EDIT_DOWN},
    {UI_ACTION_LINE_START, NULL, UI_EDIT_HOME},      {UI_ACTION_LINE_END, NULL, UI_EDIT_END},
    {UI_ACTION_PAGE_UP, NULL, UI_EDIT_PAGE_UP},      {UI_ACTION_PAGE_DOWN, NULL, UI_EDIT_PAGE_DOWN},
    {UI_ACTION_TOP, NULL, UI_EDIT_TOP},              {UI_ACTION_BOTTOM, NULL, UI_EDIT_BOTTOM},
    {UI_ACTION_DELETE_BACK, do_backspace, 0},        {UI_ACTION_DELETE_FORWARD, do_delete, 0},
    {UI_ACTION_UNDO, do_undo, 0},                    {UI_ACTION_REDO, do_redo, 0},
    {UI_ACTION_NEWLINE, do_newline, 0},              {UI_ACTION_INSERT_TAB, do_tab, 0},
    {UI_ACTION_SAVE, do_save, 0},                    {UI_ACTION_LEAVE, do_leave, 0},
    {UI_ACTION_FIND, do_find, 0},                    {UI_ACTION_FIND_NEXT, do_find_next, 0},
};

/* The editor's binding of KEY in the key map, or NULL. Ctrl-Home and Ctrl-End have no key name
 * in key maps (curses reports them as kHOM5/kEND5): they always go to the top and bottom. */
static const editor_binding *binding_of(ui_app *app, const ui_key *key)
{
    static const editor_binding top = {UI_ACTION_TOP, NULL, UI_EDIT_TOP};
    static const editor_binding bottom = {UI_ACTION_BOTTOM, NULL, UI_EDIT_BOTTOM};
    const char *name = key->function ? keyname(key->code) : NULL;
    if (name && strcmp(name, "kHOM5") == 0)
        return &top;
    if (name && strcmp(name, "kEND5") == 0)
        return &bottom;
    const ui_binding *b = ui_keymap_lookup(&app->keymap, UI_CONTEXT_EDITOR, key);
    for (size_t i = 0; b && i < sizeof ACTIONS / sizeof ACTIONS[0]; i++)
        if (ACTIONS[i].action == b->action)
            return &ACTIONS[i];
    return NULL;
}

/* UTF-8 by hand: the text is UTF-8 whatever the locale says. */
static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static unsigned type_character(ui_app *app, ui_editor *e, int code)
{
    char bytes[4];
    bool surrogate = code >= 0xd800 && code <= 0xdfff;
    if (code < 0x20 || code == 127 || (code >= 0x80 && code < 0xa0) || surrogate || code > 0x10ffff)
        return UI_REDRAW_NONE; /* control characters are not typed into a document */
    ui_edit_buffer_insert(e->buffer, bytes, utf8_encode((uint32_t)code, bytes));
    return changed_if(app, true);
}

unsigned ui_editor_key(ui_app *app, const ui_key *key)
{
    ui_editor *e = ui_editor_state();
    if (ui_merge_view_active())
        return ui_merge_view_key(app, key);
    if (!e->open)
        return UI_KEY_UNHANDLED;
    if (e->saving)
        return UI_KEY_UNHANDLED; /* the save path (and its conflict view) has the edit */
    const editor_binding *binding = binding_of(app, key);
    if (binding && binding->run)
        return binding->run(app, e);
    if (binding)
        return moved(e, binding->motion);
    if (!key->function)
        return type_character(app, e, key->code);
    return UI_REDRAW_NONE;
}

bool ui_editor_active(const ui_app *app)
{
    (void)app;
    return ui_editor_state()->open || ui_merge_view_active();
}

/* The in-place editor's keys (drawing is editor_draw.c): cursor motion, typing, delete, undo
 * and redo, find, Ctrl-S to save and Esc to leave. While the editor is open it takes every key,
 * so typing `q` types a q; while its edit is with the save path (a save in flight, the conflict
 * view) keys go on to the key map, and the merge view takes them while it is open. */
#include <stdio.h>
#include <string.h>

#include "editor_internal.h"

#define CTRL(c) ((c)&0x1f)
#define KEY_ESCAPE 27

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

typedef struct key_binding {
    bool function;
    int code;
    editor_action action; /* NULL: a cursor motion */
    ui_edit_motion motion;
} key_binding;

/* The editor's keys; everything else that is a character is typed. */
static const key_binding BINDINGS[] = {
    {true, KEY_LEFT, NULL, UI_EDIT_LEFT},
    {true, KEY_RIGHT, NULL, UI_EDIT_RIGHT},
    {true, KEY_UP, NULL, UI_EDIT_UP},
    {true, KEY_DOWN, NULL, UI_EDIT_DOWN},
    {true, KEY_HOME, NULL, UI_EDIT_HOME},
    {false, CTRL('a'), NULL, UI_EDIT_HOME},
    {true, KEY_END, NULL, UI_EDIT_END},
    {false, CTRL('e'), NULL, UI_EDIT_END},
    {true, KEY_PPAGE, NULL, UI_EDIT_PAGE_UP},
    {true, KEY_NPAGE, NULL, UI_EDIT_PAGE_DOWN},
    {true, KEY_BACKSPACE, do_backspace, 0},
    {false, 127, do_backspace, 0},
    {false, CTRL('h'), do_backspace, 0},
    {true, KEY_DC, do_delete, 0},
    {false, CTRL('d'), do_delete, 0},
    {false, CTRL('z'), do_undo, 0},
    {false, CTRL('y'), do_redo, 0},
    {false, '\r', do_newline, 0},
    {false, '\n', do_newline, 0},
    {true, KEY_ENTER, do_newline, 0},
    {false, '\t', do_tab, 0},
    {false, CTRL('s'), do_save, 0},
    {false, KEY_ESCAPE, do_leave, 0},
    {false, CTRL('f'), do_find, 0},
    {false, CTRL('n'), do_find_next, 0},
    {true, KEY_F(3), do_find_next, 0},
};

/* The binding of KEY, or NULL. Ctrl-Home and Ctrl-End have no KEY_ constant; curses names them. */
static const key_binding *binding_of(const ui_key *key)
{
    static const key_binding top = {true, 0, NULL, UI_EDIT_TOP};
    static const key_binding bottom = {true, 0, NULL, UI_EDIT_BOTTOM};
    for (size_t i = 0; i < sizeof BINDINGS / sizeof BINDINGS[0]; i++)
        if (BINDINGS[i].function == key->function && BINDINGS[i].code == key->code)
            return &BINDINGS[i];
    const char *name = key->function ? keyname(key->code) : NULL;
    if (name && strcmp(name, "kHOM5") == 0)
        return &top;
    if (name && strcmp(name, "kEND5") == 0)
        return &bottom;
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
    const key_binding *binding = binding_of(key);
    if (binding && binding->action)
        return binding->action(app, e);
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

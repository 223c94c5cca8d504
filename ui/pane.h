/*
 * pane.h - the contract every pane of the screen follows (htop's Panel + ops table).
 *
 * A pane owns one curses window. Key and event handlers only change state and return what needs
 * redrawing (UI_REDRAW_* bits); they never draw. Once per loop turn the app calls draw() on
 * every dirty pane, each draw ends with wnoutrefresh(), and the app calls doupdate() once.
 */
#ifndef UI_PANE_H
#define UI_PANE_H

#include <curses.h>
#include <stdbool.h>

#include "action_table.h"

typedef struct ui_app ui_app;
typedef struct ui_pane ui_pane;

/* What a handler asks to be redrawn. */
enum {
    UI_REDRAW_NONE = 0,
    UI_REDRAW_KEYS = 1u << 0,
    UI_REDRAW_DOC = 1u << 1,
    UI_REDRAW_STATUS = 1u << 2,
    UI_REDRAW_BAR = 1u << 3, /* the title bar and the prompt/command line */
    UI_REDRAW_ALL = 0xffu,
    UI_KEY_UNHANDLED = 1u << 31 /* a key handler did not want the key */
};

/* One key press: a character (wide) or a curses KEY_* code. */
typedef struct ui_key {
    int code;      /* the character, or KEY_* when function is true */
    bool function; /* code is a KEY_* constant (arrows, F-keys, KEY_MOUSE, KEY_RESIZE) */
} ui_key;

typedef struct ui_pane_ops {
    const char *name;
    void (*draw)(ui_pane *pane, ui_app *app);
    /* An action the key map bound to a key while this pane has the focus (movement, open). */
    unsigned (*action)(ui_pane *pane, ui_app *app, ui_action action);
    /* A raw key no binding wanted; may be NULL. */
    unsigned (*key)(ui_pane *pane, ui_app *app, const ui_key *key);
    /* A mouse click at window row Y, column X (or a wheel step: delta -1/+1). */
    unsigned (*click)(ui_pane *pane, ui_app *app, int y, int x, int wheel);
    void (*free)(ui_pane *pane);
} ui_pane_ops;

struct ui_pane {
    const ui_pane_ops *ops;
    WINDOW *win;
    int y, x, height, width;
    bool focused;
    void *state;
};

/* Place PANE at the given rectangle, creating or moving its window. */
void ui_pane_place(ui_pane *pane, int y, int x, int height, int width);
void ui_pane_destroy(ui_pane *pane);
bool ui_pane_contains(const ui_pane *pane, int y, int x);

#endif /* UI_PANE_H */

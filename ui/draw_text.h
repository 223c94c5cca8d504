/*
 * draw_text.h - putting untrusted text on the screen safely, and the semantic styles panes draw
 * with. Every byte of a key, a value or a server message goes through ui_draw_text: control
 * characters (C0, DEL, C1), ESC, CR, BS, bidi overrides and invalid UTF-8 become visible escapes
 * (\e, \r, \x9b, \u202e, \xff) in the escape style; wide characters take two columns and are
 * never cut in half.
 */
#ifndef UI_DRAW_TEXT_H
#define UI_DRAW_TEXT_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum ui_style {
    UI_STYLE_NORMAL,
    UI_STYLE_SELECTED,
    UI_STYLE_TITLE,
    UI_STYLE_HEADER,
    UI_STYLE_DIM,
    UI_STYLE_ESCAPE,
    UI_STYLE_TTL_WARNING,
    UI_STYLE_OK,
    UI_STYLE_ERROR,
    UI_STYLE_BADGE,
    UI_STYLE_JSON_KEY,
    UI_STYLE_JSON_STRING,
    UI_STYLE_JSON_NUMBER,
    UI_STYLE_JSON_LITERAL,
    UI_STYLE_COUNT
} ui_style;

struct ui_style_spec;
/* Create the colour pairs of a theme (theme.h); only attributes when NO_COLOR is set or the
 * terminal has no colours. */
void ui_styles_init(const struct ui_style_spec *specs);
attr_t ui_style_attr(ui_style style);

/* Draw LEN bytes at the cursor of WIN in STYLE, at most MAX_COLS columns; returns the columns
 * used. With ONE_LINE, tabs and newlines are escaped too; otherwise a tab becomes spaces. */
int ui_draw_text(WINDOW *win, const char *text, size_t len, int max_cols, ui_style style,
                 bool one_line);
/* The columns ui_draw_text(..., LEN, ..., ONE_LINE) would use for TEXT, without drawing. */
int ui_text_columns(const char *text, size_t len, bool one_line);
/* Draw a NUL-terminated string the program made itself (trusted). */
int ui_draw_plain(WINDOW *win, const char *text, int max_cols, ui_style style);

#endif /* UI_DRAW_TEXT_H */

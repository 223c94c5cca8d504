/* Safe text on the screen and the semantic styles: see draw_text.h. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "draw_text.h"
#include "theme.h"
#include "unicode_text.h"

static attr_t style_attrs[UI_STYLE_COUNT];

void ui_styles_init(const ui_style_spec *specs)
{
    const char *no_color = getenv("NO_COLOR");
    bool colour = has_colors() && !(no_color && no_color[0]);
    if (colour) {
        start_color();
        use_default_colors();
    }
    for (int s = 0; s < UI_STYLE_COUNT; s++) {
        const ui_style_spec *spec = &specs[s];
        short fg = COLORS >= 256 ? spec->fg256 : spec->fg16;
        if (!colour) {
            style_attrs[s] = spec->mono;
        } else if (fg < 0) {
            style_attrs[s] = spec->attr;
        } else {
            init_pair((short)(s + 1), fg, -1);
            style_attrs[s] = COLOR_PAIR(s + 1) | spec->attr;
        }
    }
}

attr_t ui_style_attr(ui_style style)
{
    return style_attrs[style];
}

/* Controls and the code points that can reorder or hide text never reach the terminal. */
static bool is_hidden_code_point(uint32_t c)
{
    return c < 0x20 || c == 0x7f || ui_codepoint_is_deceptive(c);
}

static const char *short_escape(uint32_t c)
{
    switch (c) {
    case 0x1b: return "\\e";
    case '\r': return "\\r";
    case '\n': return "\\n";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case 0: return "\\0";
    default: return NULL;
    }
}

/* Escapes are drawn in their own style, then the text's style is set again. A NULL WIN only
 * measures (here and below). */
static int put_escape(WINDOW *win, const char *escape, int room)
{
    int n = (int)strlen(escape);
    if (n > room)
        return -1;
    if (!win)
        return n;
    attr_t base;
    short pair;
    wattr_get(win, &base, &pair, NULL);
    wattrset(win, style_attrs[UI_STYLE_ESCAPE]);
    waddnstr(win, escape, n);
    wattr_set(win, base, pair, NULL);
    return n;
}

/* Draws one code point (or its escape); the columns used, or -1 when it does not fit. */
static int put_code_point(WINDOW *win, uint32_t cp, int room, bool one_line)
{
    char escape[16];
    if (cp == '\t' && !one_line) {
        int spaces = room < 4 ? room : 4;
        for (int i = 0; win && i < spaces; i++)
            waddch(win, ' ');
        return spaces;
    }
    if (is_hidden_code_point(cp)) {
        const char *s = short_escape(cp);
        if (!s) {
            snprintf(escape, sizeof escape, cp < 0x100 ? "\\x%02x" : "\\u%04x", (unsigned)cp);
            s = escape;
        }
        return put_escape(win, s, room);
    }
    int width = wcwidth((wchar_t)cp);
    if (width < 0) {
        snprintf(escape, sizeof escape, "\\u%04x", (unsigned)cp);
        return put_escape(win, escape, room);
    }
    if (width > room)
        return -1;
    wchar_t wc[2] = {(wchar_t)cp, 0};
    if (win)
        waddnwstr(win, wc, 1);
    return width;
}

/* Draws (or, with a NULL WIN, measures) TEXT; the columns used. */
static int walk_text(WINDOW *win, const char *text, size_t len, int max_cols, bool one_line)
{
    const unsigned char *p = (const unsigned char *)text;
    int used = 0;
    for (size_t i = 0; i < len && used < max_cols;) {
        uint32_t cp = p[i];
        size_t n = cp < 0x80 ? 1 : ui_utf8_decode(p + i, len - i, &cp);
        int cols;
        if (n == 0) {
            char escape[8];
            snprintf(escape, sizeof escape, "\\x%02x", p[i]);
            cols = put_escape(win, escape, max_cols - used);
            n = 1;
        } else {
            cols = put_code_point(win, cp, max_cols - used, one_line);
        }
        if (cols < 0)
            break;
        used += cols;
        i += n;
    }
    return used;
}

int ui_draw_text(WINDOW *win, const char *text, size_t len, int max_cols, ui_style style,
                 bool one_line)
{
    wattrset(win, style_attrs[style]);
    int used = walk_text(win, text, len, max_cols, one_line);
    wattrset(win, A_NORMAL);
    return used;
}

int ui_text_columns(const char *text, size_t len, bool one_line)
{
    return walk_text(NULL, text, len, INT_MAX, one_line);
}

int ui_draw_plain(WINDOW *win, const char *text, int max_cols, ui_style style)
{
    return ui_draw_text(win, text, strlen(text), max_cols, style, true);
}

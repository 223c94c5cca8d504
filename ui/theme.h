/*
 * theme.h - themes as data: a colour and attributes for each semantic style of draw_text.h, with
 * a 256-colour choice, a fallback among the 8 basic colours (used when the terminal has fewer
 * than 256), and the attributes to use without colours (NO_COLOR, or no colour terminal).
 *
 *   # comment                      json-key = 75/blue bold     256-colour 75, else blue
 *   STYLE = COLOUR [ATTRIBUTE...]  json-key = 75 bold          fallback picked from colour 75
 *   mono STYLE = [ATTRIBUTE...]    json-key = cyan,bold        commas work like spaces
 *
 * COLOUR: default, black red green yellow blue magenta cyan white, N (0-255) or N/NAME.
 * ATTRIBUTE: bold dim italic underline reverse. STYLE: the names in ui_theme_style_name().
 * A theme is applied over the built-in default theme, so a file need only name the styles it
 * changes. Naming a style twice in one file, or any bad line, is an error "FILE:LINE: why" and
 * changes nothing. The built-in themes (assets/themes/NAME.theme) are compiled in.
 */
#ifndef UI_THEME_H
#define UI_THEME_H

#include <curses.h>
#include <stddef.h>

#include "draw_text.h"
#include "kv.h"

typedef struct ui_style_spec {
    short fg256; /* -1: the terminal's default */
    short fg16;  /* COLOR_* fallback, -1: default */
    attr_t attr; /* with colours */
    attr_t mono; /* without */
} ui_style_spec;

/* SPECS := the built-in default theme, then NAME over it: a built-in theme ("default", "light")
 * or a theme file. On error SPECS may hold the default theme and ERRBUF says why. */
kv_status ui_theme_load(const char *name, ui_style_spec specs[UI_STYLE_COUNT], char *errbuf,
                        size_t errbuf_len);
/* Apply the lines of TEXT (named SOURCE in errors) over SPECS, only when all of them are valid. */
kv_status ui_theme_parse(const char *text, size_t len, const char *source,
                         ui_style_spec specs[UI_STYLE_COUNT], char *errbuf, size_t errbuf_len);
/* The name of STYLE in theme files ("json-key"). */
const char *ui_theme_style_name(ui_style style);

#endif /* UI_THEME_H */

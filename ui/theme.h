/*
 * theme.h - themes as data (assets/themes/NAME.theme, compiled in; or any file): a colour and
 * attributes for each semantic style of draw_text.h, with a 256-colour choice and a 16-colour
 * fallback, and the attributes to use when there are no colours (NO_COLOR). See
 * assets/themes/default.theme for the format. Errors name the file and line.
 */
#ifndef UI_THEME_H
#define UI_THEME_H

#include <curses.h>
#include <stddef.h>

#include "draw_text.h"
#include "kv.h"

typedef struct ui_style_spec {
    short fg256;  /* -1: the terminal's default */
    short fg16;   /* COLOR_* fallback, -1: default */
    attr_t attr;  /* with colours */
    attr_t mono;  /* without */
} ui_style_spec;

/* A built-in theme ("default", "light") or a theme file. */
kv_status ui_theme_load(const char *name, ui_style_spec specs[UI_STYLE_COUNT], char *errbuf,
                        size_t errbuf_len);
kv_status ui_theme_parse(const char *text, size_t len, const char *source,
                         ui_style_spec specs[UI_STYLE_COUNT], char *errbuf, size_t errbuf_len);

#endif /* UI_THEME_H */

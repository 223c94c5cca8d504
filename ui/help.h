/*
 * help.h - the `?` screen's text, generated from the loaded key map: per context, one line per
 * action with every key bound to it ("j, Down   move-down   Move the selection down"), then the
 * keys bound to commands. No curses: the doc pane draws the lines and scrolls them.
 */
#ifndef UI_HELP_H
#define UI_HELP_H

#include <stdbool.h>
#include <stddef.h>

#include "keymap.h"

typedef struct ui_help_line {
    char *text;
    bool title; /* a context heading */
} ui_help_line;

typedef struct ui_help {
    ui_help_line *lines;
    size_t count;
} ui_help;

/* Build HELP (freed first, so it can be rebuilt when the key map changes). */
void ui_help_build(ui_help *help, const ui_keymap *map);
void ui_help_free(ui_help *help);

#endif /* UI_HELP_H */

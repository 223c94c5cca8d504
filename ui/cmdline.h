/*
 * cmdline.h - the `:` command line: GNU readline in callback mode inside curses. The loop feeds
 * it one key at a time; readline edits the line (emacs keys, history search with Ctrl-R, Up/Down
 * for history) and calls back with the finished line, which runs through the command language.
 * Readline never touches the terminal: its output goes nowhere and the line is drawn by us.
 * History lives in $XDG_STATE_HOME/kvtui/history (mode 0600). Tab completes command names,
 * options (--ttl …) and keys from the key list.
 */
#ifndef UI_CMDLINE_H
#define UI_CMDLINE_H

#include <curses.h>
#include <stdbool.h>

#include "app.h"

void ui_cmdline_open(ui_app *app);
bool ui_cmdline_active(void);
/* One key while the line is open; returns what to redraw. */
unsigned ui_cmdline_key(ui_app *app, const ui_key *key);
void ui_cmdline_draw(WINDOW *win, int row, int cols);
void ui_cmdline_place_cursor(WINDOW *win, int row, int cols);
/* Writes nothing; frees readline's state at exit. */
void ui_cmdline_shutdown(void);

#endif /* UI_CMDLINE_H */

/*
 * prompt.h - the one-line input at the bottom of the screen: the key filter (live), questions
 * (TTL, counter delta, new key), y/n confirmations and the : command line. UTF-8 aware: the
 * cursor moves by character.
 */
#ifndef UI_PROMPT_H
#define UI_PROMPT_H

#include <curses.h>

#include "app.h"

void ui_prompt_open(ui_prompt *prompt, const char *label, const char *initial, ui_prompt_fn done,
                    void *ctx);
/* Handle one key while the prompt is open; returns what to redraw. */
unsigned ui_prompt_key(ui_app *app, const ui_key *key);
void ui_prompt_draw(const ui_prompt *prompt, WINDOW *win, int row, int cols);
void ui_prompt_place_cursor(const ui_prompt *prompt, WINDOW *win, int row, int cols);

#endif /* UI_PROMPT_H */

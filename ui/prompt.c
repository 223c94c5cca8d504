/* The one-line input at the bottom of the screen: see prompt.h. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "draw_text.h"
#include "prompt.h"

#define CTRL(c) ((c) & 0x1f)

void ui_prompt_open(ui_prompt *prompt, const char *label, const char *initial, ui_prompt_fn done,
                    void *ctx)
{
    memset(prompt, 0, sizeof *prompt);
    prompt->active = true;
    snprintf(prompt->label, sizeof prompt->label, "%s", label);
    snprintf(prompt->text, sizeof prompt->text, "%s", initial ? initial : "");
    prompt->len = prompt->cursor = strlen(prompt->text);
    prompt->done = done;
    prompt->ctx = ctx;
}

void ui_app_prompt(ui_app *app, const char *label, const char *initial, ui_prompt_fn done,
                   void *ctx)
{
    ui_prompt_open(&app->prompt, label, initial, done, ctx);
    app->dirty |= UI_REDRAW_BAR;
}

void ui_app_confirm(ui_app *app, const char *question, ui_prompt_fn done, void *ctx)
{
    char label[96];
    snprintf(label, sizeof label, "%s (y/n) ", question);
    ui_app_prompt(app, label, NULL, done, ctx);
    app->prompt.single_key = true;
}

/* Closes the prompt first, so DONE may open another one. */
static void finish(ui_app *app, bool accepted)
{
    ui_prompt copy = app->prompt;
    app->prompt.active = false;
    if (copy.done)
        copy.done(app, accepted ? copy.text : NULL, copy.ctx);
}

static size_t previous_char(const ui_prompt *p, size_t at)
{
    while (at > 0 && ((unsigned char)p->text[--at] & 0xc0) == 0x80)
        ;
    return at;
}

static size_t next_char(const ui_prompt *p, size_t at)
{
    while (at < p->len && ((unsigned char)p->text[++at] & 0xc0) == 0x80)
        ;
    return at;
}

static void delete_range(ui_prompt *p, size_t from, size_t to)
{
    memmove(p->text + from, p->text + to, p->len - to + 1);
    p->len -= to - from;
    p->cursor = from;
}

static void insert_char(ui_prompt *p, int code)
{
    char bytes[MB_LEN_MAX];
    mbstate_t state;
    memset(&state, 0, sizeof state);
    size_t n = wcrtomb(bytes, (wchar_t)code, &state);
    if (n == (size_t)-1 || p->len + n >= sizeof p->text)
        return;
    memmove(p->text + p->cursor + n, p->text + p->cursor, p->len - p->cursor + 1);
    memcpy(p->text + p->cursor, bytes, n);
    p->len += n;
    p->cursor += n;
}

/* Editing keys shared by every prompt; false when KEY is not one of them. */
static bool edit_key(ui_prompt *p, const ui_key *key)
{
    int c = key->code;
    if ((key->function && c == KEY_BACKSPACE) || (!key->function && (c == 127 || c == CTRL('h')))) {
        if (p->cursor > 0)
            delete_range(p, previous_char(p, p->cursor), p->cursor);
    } else if ((key->function && c == KEY_DC) || (!key->function && c == CTRL('d'))) {
        if (p->cursor < p->len)
            delete_range(p, p->cursor, next_char(p, p->cursor));
    } else if ((key->function && c == KEY_LEFT) || (!key->function && c == CTRL('b'))) {
        p->cursor = previous_char(p, p->cursor);
    } else if ((key->function && c == KEY_RIGHT) || (!key->function && c == CTRL('f'))) {
        p->cursor = next_char(p, p->cursor);
    } else if ((key->function && c == KEY_HOME) || (!key->function && c == CTRL('a'))) {
        p->cursor = 0;
    } else if ((key->function && c == KEY_END) || (!key->function && c == CTRL('e'))) {
        p->cursor = p->len;
    } else if (!key->function && c == CTRL('u')) {
        delete_range(p, 0, p->cursor);
    } else if (!key->function && c >= 0x20 && c != 127) {
        insert_char(p, c);
    } else {
        return false;
    }
    return true;
}

unsigned ui_prompt_key(ui_app *app, const ui_key *key)
{
    ui_prompt *p = &app->prompt;
    int c = key->code;
    if (p->single_key) {
        bool yes = !key->function && (c == 'y' || c == 'Y');
        finish(app, yes);
        return UI_REDRAW_ALL;
    }
    if (!key->function && (c == 27 || c == CTRL('c') || c == CTRL('g'))) {
        finish(app, false);
        return UI_REDRAW_ALL;
    }
    if ((!key->function && (c == '\r' || c == '\n')) || (key->function && c == KEY_ENTER)) {
        finish(app, true);
        return UI_REDRAW_ALL;
    }
    if (edit_key(p, key) && p->live && p->done)
        p->done(app, p->text, p->ctx);
    return UI_REDRAW_BAR | (p->live ? UI_REDRAW_KEYS : 0);
}

/* The columns the text takes before byte AT (escapes count as drawn). */
static int columns_before(const ui_prompt *p, size_t at)
{
    int cols = 0;
    mbstate_t state;
    memset(&state, 0, sizeof state);
    for (size_t i = 0; i < at;) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, p->text + i, at - i, &state);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
            memset(&state, 0, sizeof state);
            cols += 4;
            i++;
            continue;
        }
        int w = wcwidth(wc);
        cols += w > 0 ? w : 6;
        i += n;
    }
    return cols;
}

/* How many leading columns of text scroll off so the cursor stays visible. */
static int scroll_of(const ui_prompt *p, int room)
{
    int cursor_col = columns_before(p, p->cursor);
    return cursor_col >= room ? cursor_col - room + 1 : 0;
}

void ui_prompt_draw(const ui_prompt *prompt, WINDOW *win, int row, int cols)
{
    wmove(win, row, 0);
    int used = ui_draw_plain(win, prompt->label, cols, UI_STYLE_HEADER);
    int room = cols - used - 1;
    int skip = scroll_of(prompt, room);
    size_t start = 0;
    while (start < prompt->len && columns_before(prompt, start) < skip)
        start = next_char(prompt, start);
    ui_draw_text(win, prompt->text + start, prompt->len - start, room, UI_STYLE_NORMAL, true);
}

void ui_prompt_place_cursor(const ui_prompt *prompt, WINDOW *win, int row, int cols)
{
    int label = (int)strlen(prompt->label);
    int room = cols - label - 1;
    int col = label + columns_before(prompt, prompt->cursor) - scroll_of(prompt, room);
    wmove(win, row, col < cols ? col : cols - 1);
}

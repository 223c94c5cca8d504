/* Drawing the in-place editor: a three-row header, then the lines on screen with a line-number
 * gutter, scrolled so the cursor is always visible. Text goes through ui_draw_text (escapes for
 * control characters), and measured with ui_text_columns, so the cursor lands where the text is. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "draw_text.h"
#include "editor_internal.h"
#include "ttl_text.h"

#define HEADER_ROWS 3

/* The byte length of the UTF-8 character at TEXT (1 for a byte that starts none). */
static size_t char_length(const char *text, size_t avail)
{
    unsigned char c = (unsigned char)text[0];
    size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (n > avail)
        return 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)text[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

static size_t columns_of(const char *text, size_t len)
{
    return (size_t)ui_text_columns(text, len, false);
}

/* Scroll so the cursor's line and column are inside the ROWS x COLS body. */
static void keep_cursor_visible(ui_editor *e, size_t rows, size_t cols)
{
    size_t line, column, len;
    ui_edit_buffer_cursor(e->buffer, &line, &column);
    if (line < e->top)
        e->top = line;
    if (line >= e->top + rows)
        e->top = line - rows + 1;
    const char *text = ui_edit_buffer_line(e->buffer, line, &len);
    size_t x = columns_of(text, column < len ? column : len);
    if (x < e->left)
        e->left = x > cols / 3 ? x - cols / 3 : 0;
    if (x >= e->left + cols)
        e->left = x - cols * 2 / 3;
}

static const char *form_name(ui_edit_form form)
{
    switch (form) {
    case UI_EDIT_JSON:
        return "json";
    case UI_EDIT_TEXT:
        return "utf8 text";
    case UI_EDIT_HEX:
        return "bytes as hex";
    case UI_EDIT_PICKLE_JSON:
        return "pickle as JSON";
    }
    return "?";
}

static void format_expiry(char *out, size_t len, int64_t expiry, int64_t now)
{
    char when[40], left[24];
    if (expiry <= 0) {
        snprintf(out, len, "no expiry");
        return;
    }
    time_t t = (time_t)expiry;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
    ui_ttl_text(left, sizeof left, expiry > now ? expiry - now : 0);
    snprintf(out, len, "expires %s (in %s)", when, left);
}

static void draw_header(WINDOW *w, ui_app *app, ui_editor *e, int width)
{
    char line[300], expiry[100];
    size_t row, column;
    ui_edit_buffer_cursor(e->buffer, &row, &column);
    snprintf(line, sizeof line, "%s  line %zu, col %zu",
             ui_editor_modified(e) ? "  [modified]" : "", row + 1, column + 1);
    int tail = (int)strlen(line);
    wmove(w, 0, 1);
    int used = ui_draw_plain(w, e->saving ? "SAVING " : "EDITING ", width, UI_STYLE_BADGE);
    used += ui_draw_text(w, e->key, e->key_len, width - used - tail, UI_STYLE_TITLE, true);
    ui_draw_plain(w, line, width - used, UI_STYLE_HEADER);
    format_expiry(expiry, sizeof expiry, e->base_expiry, app->now);
    snprintf(line, sizeof line, "%s (flags 0x%08x)  based on cas 0x%llx  %s", form_name(e->form),
             e->flags, (unsigned long long)e->base_cas, expiry);
    wmove(w, 1, 1);
    ui_draw_plain(w, line, width, UI_STYLE_HEADER);
    wmove(w, 2, 1);
    const char *notice = ui_editor_store_notice(app, e);
    if (notice)
        ui_draw_plain(w, notice, width, UI_STYLE_ERROR);
    else
        ui_draw_plain(w,
                      "Ctrl-S save  Esc leave  Ctrl-Z undo  Ctrl-Y redo  Ctrl-F find  "
                      "Ctrl-N next",
                      width, UI_STYLE_DIM);
}

/* Draws LEN bytes of TEXT from column LEFT on; a wide character cut by the edge is a space. */
static void draw_from_column(WINDOW *w, const char *text, size_t len, size_t left, int cols)
{
    size_t i = 0, skipped = 0;
    while (i < len && skipped < left) {
        size_t n = char_length(text + i, len - i);
        skipped += columns_of(text + i, n);
        i += n;
    }
    for (; skipped > left && cols > 0; skipped--, cols--)
        waddch(w, ' ');
    ui_draw_text(w, text + i, len - i, cols, UI_STYLE_NORMAL, false);
}

static int digits(size_t n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

static void draw_body(WINDOW *w, ui_editor *e, int rows, int width)
{
    size_t count = ui_edit_buffer_line_count(e->buffer), line, column, len;
    int gutter = digits(count) + 1;
    int cols = width - gutter;
    keep_cursor_visible(e, (size_t)rows, (size_t)(cols > 1 ? cols : 1));
    for (int y = 0; y < rows && e->top + (size_t)y < count; y++) {
        char number[24];
        size_t line_number = e->top + (size_t)y + 1;
        snprintf(number, sizeof number, "%zu", line_number);
        wmove(w, HEADER_ROWS + y, 1 + gutter - 1 - digits(line_number));
        ui_draw_plain(w, number, gutter, UI_STYLE_DIM);
        wmove(w, HEADER_ROWS + y, 1 + gutter);
        const char *text = ui_edit_buffer_line(e->buffer, e->top + (size_t)y, &len);
        draw_from_column(w, text, len, e->left, cols);
    }
    ui_edit_buffer_cursor(e->buffer, &line, &column);
    const char *text = ui_edit_buffer_line(e->buffer, line, &len);
    e->cursor_y = HEADER_ROWS + (int)(line - e->top);
    e->cursor_x = 1 + gutter + (int)(columns_of(text, column < len ? column : len) - e->left);
}

void ui_editor_draw(ui_pane *pane, ui_app *app)
{
    ui_editor *e = ui_editor_state();
    e->cursor_shown = false;
    if (ui_merge_view_active()) {
        ui_merge_view_draw(pane, app);
        return;
    }
    int rows = pane->height - HEADER_ROWS, width = pane->width - 2;
    e->win = pane->win;
    e->page = rows > 1 ? (size_t)rows : 1;
    if (!e->open || rows < 1 || width < 8)
        return;
    draw_header(pane->win, app, e, width);
    draw_body(pane->win, e, rows, width);
    e->cursor_shown = !e->saving;
}

bool ui_editor_place_cursor(ui_app *app)
{
    ui_editor *e = ui_editor_state();
    if (!e->open || !e->cursor_shown || !e->win || app->prompt.active ||
        (app->edit && app->edit->in_conflict))
        return false;
    wmove(e->win, e->cursor_y, e->cursor_x);
    wnoutrefresh(e->win);
    return true;
}

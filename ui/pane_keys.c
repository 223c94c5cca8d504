/* The key list pane: key, format, size and a live TTL per row; selection, scrolling, Enter opens. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "draw_text.h"
#include "ttl_text.h"

#define TTL_WARNING_SECONDS 10
#define META_COLS 26 /* " format     size       ttl" */

const char *ui_app_selected_key(ui_app *app, size_t *len)
{
    const ui_key_entry *entry = ui_key_model_visible(&app->keys, app->key_selected);
    if (!entry)
        return NULL;
    *len = entry->key_len;
    return ui_key_model_key(&app->keys, entry);
}

static int list_rows(const ui_pane *pane)
{
    return pane->height - 1; /* the first line is the column header */
}

/* Keeps the selection inside the list and on screen. */
static void clamp_selection(ui_app *app, int rows)
{
    size_t n = app->keys.nvisible;
    if (app->key_selected >= n)
        app->key_selected = n ? n - 1 : 0;
    if (app->key_selected < app->key_top)
        app->key_top = app->key_selected;
    if (rows > 0 && app->key_selected >= app->key_top + (size_t)rows)
        app->key_top = app->key_selected - (size_t)rows + 1;
}

static void draw_header(ui_pane *pane, ui_app *app)
{
    WINDOW *w = pane->win;
    char text[128];
    wmove(w, 0, 0);
    if (app->scanning)
        snprintf(text, sizeof text, "scanned %llu keys...", (unsigned long long)app->scanned);
    else
        snprintf(text, sizeof text, "%zu of %zu keys", app->keys.nvisible, app->keys.nsorted);
    int used = ui_draw_plain(w, text, pane->width - META_COLS, UI_STYLE_HEADER);
    wmove(w, 0, pane->width - META_COLS > used ? pane->width - META_COLS : used);
    ui_draw_plain(w, " format     size       ttl", META_COLS, UI_STYLE_HEADER);
}

static void draw_row(ui_pane *pane, ui_app *app, int y, size_t row)
{
    WINDOW *w = pane->win;
    const ui_key_entry *entry = ui_key_model_visible(&app->keys, row);
    bool selected = row == app->key_selected;
    ui_style base = selected && pane->focused ? UI_STYLE_SELECTED : UI_STYLE_NORMAL;
    wmove(w, y, 0);
    wattrset(w, ui_style_attr(base));
    whline(w, ' ', pane->width);
    int key_cols = pane->width - META_COLS;
    if (selected && !pane->focused)
        ui_draw_plain(w, ">", 1, UI_STYLE_HEADER);
    wmove(w, y, 1);
    ui_draw_text(w, ui_key_model_key(&app->keys, entry), entry->key_len, key_cols - 2, base,
                 true);
    char meta[64], ttl[24];
    int64_t left = ui_key_ttl_left(entry, app->now);
    ui_ttl_text(ttl, sizeof ttl, left);
    if (entry->partial) /* listed before its flags and size were read back */
        snprintf(meta, sizeof meta, " %-6s %8s ", "...", "...");
    else
        snprintf(meta, sizeof meta, " %-6s %8u ",
                 kv_format_name(kv_format_of_flags(entry->flags)), entry->size);
    wmove(w, y, key_cols > 0 ? key_cols : 0);
    ui_draw_plain(w, meta, META_COLS, base);
    bool warn = left >= 0 && left <= TTL_WARNING_SECONDS;
    char ttl_col[32];
    snprintf(ttl_col, sizeof ttl_col, "%9s", ttl);
    ui_draw_plain(w, ttl_col, 10, warn ? UI_STYLE_TTL_WARNING : base);
}

static void keys_draw(ui_pane *pane, ui_app *app)
{
    WINDOW *w = pane->win;
    werase(w);
    int rows = list_rows(pane);
    clamp_selection(app, rows);
    draw_header(pane, app);
    for (int y = 0; y < rows; y++) {
        size_t row = app->key_top + (size_t)y;
        if (row >= app->keys.nvisible)
            break;
        draw_row(pane, app, y + 1, row);
    }
    if (app->keys.nvisible == 0 && !app->scanning) {
        wmove(w, 2, 1);
        ui_draw_plain(w, app->keys.filter[0] ? "no key matches the filter" : "the store is empty",
                      pane->width - 2, UI_STYLE_DIM);
    }
    wnoutrefresh(w);
}

static void move_selection(ui_app *app, long delta)
{
    long target = (long)app->key_selected + delta;
    long last = (long)app->keys.nvisible - 1;
    app->key_selected = (size_t)(target < 0 ? 0 : target > last ? (last < 0 ? 0 : last) : target);
}

static void open_selected(ui_app *app)
{
    size_t len;
    const char *key = ui_app_selected_key(app, &len);
    if (key)
        ui_app_open_document(app, key, len);
}

static unsigned keys_action(ui_pane *pane, ui_app *app, ui_action action)
{
    long page = list_rows(pane) > 1 ? list_rows(pane) - 1 : 1;
    switch (action) {
    case UI_ACTION_MOVE_DOWN: move_selection(app, 1); break;
    case UI_ACTION_MOVE_UP: move_selection(app, -1); break;
    case UI_ACTION_PAGE_DOWN: move_selection(app, page); break;
    case UI_ACTION_PAGE_UP: move_selection(app, -page); break;
    case UI_ACTION_TOP: app->key_selected = 0; break;
    case UI_ACTION_BOTTOM: move_selection(app, (long)app->keys.nvisible); break;
    case UI_ACTION_OPEN: open_selected(app); break;
    default: return UI_REDRAW_NONE;
    }
    return UI_REDRAW_KEYS;
}

static unsigned keys_click(ui_pane *pane, ui_app *app, int y, int x, int wheel)
{
    (void)x;
    if (wheel) {
        move_selection(app, wheel * 3);
        return UI_REDRAW_KEYS;
    }
    if (y < 1)
        return UI_REDRAW_NONE;
    size_t row = app->key_top + (size_t)(y - 1);
    if (row < app->keys.nvisible) {
        app->key_selected = row;
        open_selected(app);
    }
    (void)pane;
    return UI_REDRAW_KEYS;
}

static const ui_pane_ops KEYS_OPS = {
    .name = "keys", .draw = keys_draw, .action = keys_action, .key = NULL, .click = keys_click,
    .free = NULL,
};

void ui_pane_keys_init(ui_pane *pane)
{
    pane->ops = &KEYS_OPS;
}

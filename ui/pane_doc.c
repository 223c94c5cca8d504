/* The document pane: a metadata header (key, format and flags, CAS, size, expiry with a live
 * countdown, lock state) above the value, drawn line by line for what is visible only. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "doc_lines.h"
#include "draw_text.h"
#include "editor.h"
#include "help.h"
#include "save.h"
#include "ttl_text.h"

#define HEADER_ROWS 4

typedef struct doc_view {
    ui_doc_lines lines;
    unsigned generation; /* of app->doc the lines were built from */
    size_t top;          /* first body line shown */
    size_t cursor;       /* the line folds act on */
    int rows;            /* body rows at the last draw */
    size_t left;         /* columns scrolled right */
    ui_help help;        /* built from the key map on first show */
    size_t help_top;     /* first help line shown */
} doc_view;

static doc_view the_view;

static void open_result(ui_app *app, const kv_result *result, void *ctx)
{
    (void)ctx;
    ui_document *doc = &app->doc;
    if (doc->result.key_len != result->key_len ||
        memcmp(doc->result.key, result->key, result->key_len) != 0)
        return; /* another document was opened meanwhile */
    kv_result_clear(&doc->result);
    doc->result = *result;
    /* The value now belongs to the document: the loop frees the event, not its value. */
    ((kv_result *)result)->value = NULL;
    doc->loading = false;
    doc->changed_on_store = false;
    doc->generation++;
    app->dirty |= UI_REDRAW_DOC;
}

void ui_app_open_document(ui_app *app, const char *key_in, size_t key_len)
{
    char key[KV_KEY_MAX + 1]; /* KEY_IN may point into the document about to be cleared */
    key_len = key_len < KV_KEY_MAX ? key_len : KV_KEY_MAX;
    memcpy(key, key_in, key_len);
    ui_document *doc = &app->doc;
    kv_result_clear(&doc->result);
    memset(&doc->result, 0, sizeof doc->result);
    doc->result.key_len = key_len;
    memcpy(doc->result.key, key, key_len);
    doc->open = true;
    doc->loading = true;
    doc->generation++;
    app->show_help = false;
    ui_app_submit(app, kv_request_new(KV_OP_GET, key, key_len), open_result, NULL);
    app->dirty |= UI_REDRAW_DOC;
}

static void format_expiry(char *out, size_t len, int64_t expiry, int64_t now)
{
    if (expiry == 0) {
        snprintf(out, len, "none");
        return;
    }
    if (expiry < 0) {
        snprintf(out, len, "unknown to this store");
        return;
    }
    char when[40], left[24];
    time_t t = (time_t)expiry;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
    ui_ttl_text(left, sizeof left, expiry > now ? expiry - now : 0);
    snprintf(out, len, "%s (in %s)", when, left);
}

static void draw_header(ui_pane *pane, ui_app *app)
{
    WINDOW *w = pane->win;
    const kv_result *r = &app->doc.result;
    int width = pane->width - 2;
    wmove(w, 0, 1);
    ui_draw_text(w, r->key, r->key_len, width, UI_STYLE_TITLE, true);
    char line[256], expiry[80];
    if (app->doc.loading) {
        snprintf(line, sizeof line, "loading...");
    } else if (r->status != KV_OK) {
        snprintf(line, sizeof line, "%s: %s", kv_status_name(r->status), r->message);
    } else {
        const char *format = kv_flags_known(r->flags)
                                 ? kv_format_name(kv_format_of_flags(r->flags)) : "unknown";
        bool locked = r->cas == UINT64_MAX;
        snprintf(line, sizeof line, "%s (flags 0x%08x)  cas 0x%llx%s  %zu bytes", format,
                 r->flags, (unsigned long long)r->cas, locked ? " LOCKED" : "", r->value_len);
    }
    wmove(w, 1, 1);
    ui_draw_text(w, line, strlen(line), width,
                 r->status != KV_OK && !app->doc.loading ? UI_STYLE_ERROR : UI_STYLE_HEADER,
                 true);
    format_expiry(expiry, sizeof expiry, r->expiry, app->now);
    snprintf(line, sizeof line, "expiry %s", expiry);
    wmove(w, 2, 1);
    bool soon = r->expiry > 0 && r->expiry - app->now <= 10;
    ui_draw_plain(w, line, width, soon ? UI_STYLE_TTL_WARNING : UI_STYLE_HEADER);
    if (app->doc.changed_on_store) {
        wmove(w, 3, 1);
        ui_draw_plain(w, "changed on the store since it was read (r reloads)", width,
                      UI_STYLE_ERROR);
    }
}

/* Colours one line of pretty JSON: strings (keys apart), numbers, literals. */
static void draw_json_line(WINDOW *w, const char *text, size_t len, int width)
{
    int used = 0;
    for (size_t i = 0; i < len && used < width;) {
        size_t j = i + 1;
        ui_style style = UI_STYLE_NORMAL;
        if (text[i] == '"') {
            while (j < len && text[j] != '"')
                j += text[j] == '\\' ? 2 : 1;
            j = j < len ? j + 1 : len;
            size_t k = j;
            while (k < len && text[k] == ' ')
                k++;
            style = k < len && text[k] == ':' ? UI_STYLE_JSON_KEY : UI_STYLE_JSON_STRING;
        } else if (strchr("-0123456789", text[i])) {
            while (j < len && strchr("+-.eE0123456789", text[j]))
                j++;
            style = UI_STYLE_JSON_NUMBER;
        } else if (strchr("tfn", text[i])) {
            while (j < len && text[j] >= 'a' && text[j] <= 'z')
                j++;
            style = UI_STYLE_JSON_LITERAL;
        }
        used += ui_draw_text(w, text + i, j - i, width - used, style, false);
        i = j;
    }
}

static void draw_body_line(WINDOW *w, const doc_view *view, size_t i, int width)
{
    const ui_doc_lines *lines = &view->lines;
    if (lines->kind == UI_DOC_HEX) {
        char hex[128];
        ui_doc_hex_line(lines, i, hex, sizeof hex);
        ui_draw_text(w, hex, strlen(hex), width, UI_STYLE_NORMAL, true);
        return;
    }
    size_t len;
    const char *text = ui_doc_line(lines, i, &len);
    size_t skip = view->left < len ? view->left : len;
    if (lines->kind == UI_DOC_JSON)
        draw_json_line(w, text + skip, len - skip, width);
    else
        ui_draw_text(w, text + skip, len - skip, width, UI_STYLE_NORMAL, false);
}

/* A folded block shows its first line, then how much it hides. */
static void draw_fold_marker(WINDOW *w, const ui_doc_lines *lines, size_t i, int width)
{
    if (!lines->folded || !lines->folded[i])
        return;
    char marker[64];
    snprintf(marker, sizeof marker, " ... %zu lines", lines->close_of[i] - i);
    int x = getcurx(w);
    if (x < width)
        ui_draw_plain(w, marker, width - x, UI_STYLE_DIM);
}

static void rebuild_if_needed(ui_app *app, doc_view *view)
{
    if (view->generation == app->doc.generation)
        return;
    ui_doc_lines_free(&view->lines);
    view->generation = app->doc.generation;
    view->top = view->left = view->cursor = 0;
    if (!app->doc.loading && app->doc.result.status == KV_OK)
        ui_doc_lines_build(&view->lines, app->doc.result.value, app->doc.result.value_len,
                           app->doc.result.flags);
}

/* The help: per context, each action with all of its keys, scrolled by the pane's keys. */
static void draw_help(ui_pane *pane, ui_app *app)
{
    doc_view *view = pane->state;
    if (!view->help.count)
        ui_help_build(&view->help, &app->keymap);
    size_t rows = pane->height > 0 ? (size_t)pane->height : 0;
    size_t last_top = view->help.count > rows ? view->help.count - rows : 0;
    if (view->help_top > last_top)
        view->help_top = last_top; /* the end of the help stays at the pane's bottom */
    view->rows = pane->height;
    for (int y = 0; y < pane->height && view->help_top + (size_t)y < view->help.count; y++) {
        const ui_help_line *line = &view->help.lines[view->help_top + (size_t)y];
        wmove(pane->win, y, 1);
        ui_draw_text(pane->win, line->text, strlen(line->text), pane->width - 2,
                     line->title ? UI_STYLE_TITLE : UI_STYLE_NORMAL, true);
    }
}

/* Scroll keys move the help while it is shown. */
static unsigned help_action(doc_view *view, ui_action action)
{
    size_t page = view->rows > 1 ? (size_t)view->rows - 1 : 1;
    switch (action) {
    case UI_ACTION_MOVE_DOWN: view->help_top++; break;
    case UI_ACTION_MOVE_UP: view->help_top -= view->help_top > 0; break;
    case UI_ACTION_PAGE_DOWN: view->help_top += page; break;
    case UI_ACTION_PAGE_UP:
        view->help_top = view->help_top > page ? view->help_top - page : 0;
        break;
    case UI_ACTION_TOP: view->help_top = 0; break;
    case UI_ACTION_BOTTOM: view->help_top = view->help.count; break;
    default: return UI_REDRAW_NONE;
    }
    return UI_REDRAW_DOC;
}

static void doc_draw(ui_pane *pane, ui_app *app)
{
    WINDOW *w = pane->win;
    doc_view *view = pane->state;
    werase(w);
    if (app->edit && app->edit->in_conflict) {
        ui_conflict_draw(pane, app);
        wnoutrefresh(w);
        return;
    }
    if (ui_editor_active(app)) {
        ui_editor_draw(pane, app);
        wnoutrefresh(w);
        return;
    }
    if (app->show_help || !app->doc.open) {
        draw_help(pane, app);
        wnoutrefresh(w);
        return;
    }
    rebuild_if_needed(app, view);
    draw_header(pane, app);
    int body_top = HEADER_ROWS;
    if (view->lines.note[0]) {
        wmove(w, body_top++, 1);
        ui_draw_text(w, view->lines.note, strlen(view->lines.note), pane->width - 2,
                     UI_STYLE_DIM, true);
    }
    view->rows = pane->height - body_top;
    size_t i = view->top;
    for (int y = body_top; y < pane->height && i < view->lines.count; y++) {
        if (i == view->cursor && pane->focused) {
            wmove(w, y, 0);
            ui_draw_plain(w, ">", 1, UI_STYLE_HEADER);
        }
        wmove(w, y, 1);
        draw_body_line(w, view, i, pane->width - 2);
        draw_fold_marker(w, &view->lines, i, pane->width - 2);
        i = ui_doc_next_shown(&view->lines, i);
    }
    wnoutrefresh(w);
}

/* Moves the cursor DELTA shown lines and scrolls so it stays on screen. */
static void move_cursor(doc_view *view, long delta)
{
    const ui_doc_lines *lines = &view->lines;
    if (lines->count == 0)
        return;
    for (; delta > 0 && ui_doc_next_shown(lines, view->cursor) < lines->count; delta--)
        view->cursor = ui_doc_next_shown(lines, view->cursor);
    for (; delta < 0 && view->cursor > 0; delta++)
        view->cursor = ui_doc_prev_shown(lines, view->cursor);
    if (view->cursor < view->top)
        view->top = view->cursor;
    int shown = 0;
    for (size_t i = view->top; i < view->cursor; i = ui_doc_next_shown(lines, i))
        shown++;
    for (; view->rows > 0 && shown >= view->rows; shown--)
        view->top = ui_doc_next_shown(lines, view->top);
}

/* After a fold changed, the cursor moves onto the block's first line if it was hidden. */
static void fold(doc_view *view, ui_action action)
{
    ui_doc_lines *lines = &view->lines;
    if (action == UI_ACTION_FOLD_TOGGLE) {
        size_t opener = ui_doc_fold_toggle(lines, view->cursor);
        if (opener != SIZE_MAX && lines->folded[opener])
            view->cursor = opener;
    } else {
        ui_doc_fold_all(lines, action == UI_ACTION_FOLD_ALL);
        view->cursor = view->top = 0;
    }
    move_cursor(view, 0);
}

static unsigned doc_action(ui_pane *pane, ui_app *app, ui_action action)
{
    doc_view *view = pane->state;
    long page = view->rows > 1 ? view->rows - 1 : 1;
    if (app->show_help || !app->doc.open)
        return help_action(view, action);
    switch (action) {
    case UI_ACTION_MOVE_DOWN: move_cursor(view, 1); break;
    case UI_ACTION_MOVE_UP: move_cursor(view, -1); break;
    case UI_ACTION_PAGE_DOWN: move_cursor(view, page); break;
    case UI_ACTION_PAGE_UP: move_cursor(view, -page); break;
    case UI_ACTION_TOP: view->cursor = view->top = 0; break;
    case UI_ACTION_BOTTOM: move_cursor(view, (long)view->lines.count); break;
    case UI_ACTION_SCROLL_RIGHT: view->left += 8; break;
    case UI_ACTION_SCROLL_LEFT: view->left = view->left > 8 ? view->left - 8 : 0; break;
    case UI_ACTION_FOLD_TOGGLE:
    case UI_ACTION_FOLD_ALL:
    case UI_ACTION_UNFOLD_ALL: fold(view, action); break;
    default: return UI_REDRAW_NONE;
    }
    return UI_REDRAW_DOC;
}

static unsigned doc_click(ui_pane *pane, ui_app *app, int y, int x, int wheel)
{
    (void)y;
    (void)x;
    if (wheel && (app->show_help || !app->doc.open))
        help_action(pane->state, wheel > 0 ? UI_ACTION_MOVE_DOWN : UI_ACTION_MOVE_UP);
    else if (wheel)
        move_cursor(pane->state, wheel * 3);
    return UI_REDRAW_DOC;
}

static void doc_free(ui_pane *pane)
{
    doc_view *view = pane->state;
    ui_doc_lines_free(&view->lines);
    ui_help_free(&view->help);
}

static const ui_pane_ops DOC_OPS = {
    .name = "document", .draw = doc_draw, .action = doc_action, .key = NULL, .click = doc_click,
    .free = doc_free,
};

void ui_pane_doc_init(ui_pane *pane)
{
    pane->ops = &DOC_OPS;
    memset(&the_view, 0, sizeof the_view);
    pane->state = &the_view;
}

/* The TUI's loop: poll stdin, the worker's wakeup fd and a 1 s tick; route events and keys; draw
 * what is dirty once per turn. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "app.h"
#include "cmdline.h"
#include "draw_text.h"
#include "editor.h"
#include "prompt.h"
#include "save.h"
#include "terminal.h"

/* What travels with a request as the event's user pointer. */
typedef struct pending_request {
    ui_result_fn done;
    void *ctx;
} pending_request;

void ui_app_mark_dirty(ui_app *app, unsigned what)
{
    app->dirty |= what;
}

void ui_status_log(ui_app *app, ui_log_level level, const char *fmt, ...)
{
    ui_log_line *line = &app->log.lines[app->log.next];
    app->log.next = (app->log.next + 1) % UI_LOG_LINES;
    if (app->log.count < UI_LOG_LINES)
        app->log.count++;
    line->level = level;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line->text, sizeof line->text, fmt, ap);
    va_end(ap);
    app->dirty |= UI_REDRAW_STATUS;
}

/* "upsert user::1 OK cas 0x18ed… 0.4 ms" or "get x NotFoundError: … 0.2 ms". */
static void log_result(ui_app *app, const kv_result *r)
{
    double ms = (double)r->latency_us / 1000.0;
    if (r->status == KV_OK)
        ui_status_log(app, UI_LOG_OK, "%s %.*s: OK, cas 0x%llx, %.2f ms", kv_op_name(r->op),
                      (int)r->key_len, r->key, (unsigned long long)r->cas, ms);
    else
        ui_status_log(app, UI_LOG_ERROR, "%s %.*s: %s: %s (%.2f ms)", kv_op_name(r->op),
                      (int)r->key_len, r->key, kv_status_name(r->status), r->message, ms);
}

uint64_t ui_app_submit(ui_app *app, kv_request *request, ui_result_fn done, void *ctx)
{
    pending_request *pending = calloc(1, sizeof *pending);
    if (!pending)
        abort();
    pending->done = done;
    pending->ctx = ctx;
    return kv_client_submit(app->client, request, pending);
}

bool ui_app_refuse_if_read_only(ui_app *app, const char *what)
{
    if (!app->read_only)
        return false;
    ui_status_log(app, UI_LOG_ERROR, "%s: NotSupportedError: the store is open read-only", what);
    return true;
}

/* The connection state as the replies show it: a network failure marks it lost, the next reply
 * from the store marks it back. */
void ui_app_note_connection(ui_app *app, kv_status status)
{
    bool lost = status == KV_ERR_NETWORK || status == KV_ERR_TIMEOUT;
    if (lost == app->connection_lost)
        return;
    app->connection_lost = lost;
    if (lost)
        ui_status_log(app, UI_LOG_ERROR, "connection to %s lost: %s (retrying)", app->store,
                      kv_status_name(status));
    else
        ui_status_log(app, UI_LOG_OK, "connection to %s restored", app->store);
    app->dirty |= UI_REDRAW_BAR;
}

static void handle_result(ui_app *app, kv_event *event)
{
    pending_request *pending = event->user;
    log_result(app, &event->result);
    ui_app_note_connection(app, event->result.status);
    if (event->result.status == KV_OK && event->result.op != KV_OP_GET &&
        event->result.op != KV_OP_LOCK && event->result.op != KV_OP_UNLOCK)
        ui_keys_recheck(app, event->result.key, event->result.key_len);
    if (pending && pending->done)
        pending->done(app, &event->result, pending->ctx);
    free(pending);
}

static void handle_events(ui_app *app)
{
    for (kv_event *event = kv_client_poll(app->client), *next; event; event = next) {
        next = event->next;
        if (event->type == KV_EVENT_RESULT)
            handle_result(app, event);
        else if (!ui_actions_handle_stream(app, event))
            ui_keys_handle_event(app, event);
        kv_event_free(event);
    }
}

/* Key list left (40%), document right, status log (5 lines) and the bar at the bottom. */
static void layout(ui_app *app)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    int status_h = rows >= 16 ? 5 : 2;
    int body_h = rows - 2 - status_h; /* title bar at the top, prompt/command bar at the bottom */
    int left_w = cols * 2 / 5;
    if (left_w < 20)
        left_w = cols < 40 ? cols / 2 : 20;
    ui_pane_place(&app->panes[UI_PANE_KEYS], 1, 0, body_h, left_w);
    ui_pane_place(&app->panes[UI_PANE_DOC], 1, left_w, body_h, cols - left_w);
    ui_pane_place(&app->panes[UI_PANE_STATUS], 1 + body_h, 0, status_h, cols);
    clearok(curscr, TRUE);
    app->dirty = UI_REDRAW_ALL;
}

static void draw_title(ui_app *app)
{
    int cols = getmaxx(stdscr);
    move(0, 0);
    wattrset(stdscr, ui_style_attr(UI_STYLE_TITLE));
    hline(' ', cols);
    int used = ui_draw_plain(stdscr, " kvtui  ", cols, UI_STYLE_TITLE);
    used += ui_draw_text(stdscr, app->store, strlen(app->store), cols - used - 30,
                         UI_STYLE_TITLE, true);
    char info[96];
    snprintf(info, sizeof info, "  %s  %zu keys%s", kv_client_backend_name(app->client),
             app->keys.nsorted, app->scanning ? " (scanning)" : "");
    used += ui_draw_plain(stdscr, info, cols - used, UI_STYLE_TITLE);
    if (app->connection_lost)
        used += ui_draw_plain(stdscr, "  DISCONNECTED", cols - used, UI_STYLE_BADGE);
    if (app->read_only && cols - used > 12) {
        move(0, cols - 11);
        ui_draw_plain(stdscr, " READ-ONLY ", 11, UI_STYLE_BADGE);
    }
    wnoutrefresh(stdscr);
}

static void draw_bar(ui_app *app)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    move(rows - 1, 0);
    wattrset(stdscr, A_NORMAL);
    clrtoeol();
    if (ui_cmdline_active()) {
        ui_cmdline_draw(stdscr, rows - 1, cols);
    } else if (app->prompt.active) {
        ui_prompt_draw(&app->prompt, stdscr, rows - 1, cols);
    } else {
        const char *hint = app->keys.filter[0] ? "filter: " : "";
        int used = ui_draw_plain(stdscr, hint, cols, UI_STYLE_DIM);
        used += ui_draw_text(stdscr, app->keys.filter, strlen(app->keys.filter), cols - used,
                             UI_STYLE_NORMAL, true);
        ui_draw_plain(stdscr, used ? "   ? help  q quit" : " ? help  / filter  : command  q quit",
                      cols - used, UI_STYLE_DIM);
    }
    wnoutrefresh(stdscr);
}

static void draw(ui_app *app)
{
    if (app->dirty & UI_REDRAW_BAR) {
        draw_title(app);
        draw_bar(app);
    }
    static const unsigned pane_bits[UI_PANE_COUNT] = {UI_REDRAW_KEYS, UI_REDRAW_DOC,
                                                      UI_REDRAW_STATUS};
    for (int i = 0; i < UI_PANE_COUNT; i++) {
        ui_pane *pane = &app->panes[i];
        pane->focused = (ui_pane_id)i == app->focus;
        if (app->dirty & pane_bits[i])
            pane->ops->draw(pane, app);
    }
    if (ui_cmdline_active()) {
        curs_set(1);
        ui_cmdline_place_cursor(stdscr, getmaxy(stdscr) - 1, getmaxx(stdscr));
        wnoutrefresh(stdscr);
    } else if (app->prompt.active) {
        curs_set(1);
        ui_prompt_place_cursor(&app->prompt, stdscr, getmaxy(stdscr) - 1, getmaxx(stdscr));
        wnoutrefresh(stdscr);
    } else if (ui_editor_place_cursor(app)) {
        curs_set(1);
    } else {
        curs_set(0);
    }
    doupdate();
    app->dirty = 0;
}

static unsigned handle_mouse(ui_app *app)
{
    MEVENT mouse;
    if (getmouse(&mouse) != OK)
        return 0;
    int wheel = (mouse.bstate & BUTTON4_PRESSED) ? -1 : (mouse.bstate & BUTTON5_PRESSED) ? 1 : 0;
    for (int i = 0; i < UI_PANE_COUNT; i++) {
        ui_pane *pane = &app->panes[i];
        if (!ui_pane_contains(pane, mouse.y, mouse.x) || !pane->ops->click)
            continue;
        if (!wheel)
            app->focus = (ui_pane_id)i;
        return pane->ops->click(pane, app, mouse.y - pane->y, mouse.x - pane->x, wheel) |
               UI_REDRAW_ALL;
    }
    return 0;
}

static void handle_key(ui_app *app, const ui_key *key)
{
    if (key->function && key->code == KEY_RESIZE) {
        layout(app);
        return;
    }
    if (key->function && key->code == KEY_MOUSE) {
        app->dirty |= handle_mouse(app);
        return;
    }
    if (ui_cmdline_active()) {
        app->dirty |= ui_cmdline_key(app, key);
        return;
    }
    if (app->prompt.active) {
        app->dirty |= ui_prompt_key(app, key);
        return;
    }
    unsigned redraw = ui_editor_key(app, key); /* the editor takes every key while open */
    if (redraw & UI_KEY_UNHANDLED)
        redraw = ui_actions_key(app, key);
    if (redraw & UI_KEY_UNHANDLED) {
        ui_pane *pane = &app->panes[app->focus];
        redraw = pane->ops->key ? pane->ops->key(pane, app, key) : UI_REDRAW_NONE;
    }
    app->dirty |= redraw & ~UI_KEY_UNHANDLED;
}

static void read_keys(ui_app *app)
{
    wint_t ch;
    int kind;
    while ((kind = get_wch(&ch)) != ERR) {
        ui_key key = {.code = (int)ch, .function = kind == KEY_CODE_YES};
        handle_key(app, &key);
    }
}

/* Milliseconds until the next wall-clock second, so every TTL on screen ticks together. */
static int ms_to_next_second(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return 1000 - (int)(tv.tv_usec / 1000);
}

static void tick(ui_app *app)
{
    int64_t now = (int64_t)time(NULL);
    if (now == app->now)
        return;
    app->now = now;
    ui_keys_tick(app);
    ui_editor_tick(app);
    app->dirty |= UI_REDRAW_KEYS | UI_REDRAW_DOC;
}

static void run_loop(ui_app *app)
{
    while (!app->quit && !ui_terminal_quit_requested()) {
        if (ui_terminal_take_resize()) {
            ui_terminal_resume();
            layout(app);
        }
        if (app->dirty)
            draw(app);
        struct pollfd fds[2] = {{.fd = 0, .events = POLLIN},
                                {.fd = kv_client_fd(app->client), .events = POLLIN}};
        if (poll(fds, 2, ms_to_next_second()) < 0 && errno != EINTR)
            break;
        handle_events(app);
        read_keys(app);
        tick(app);
    }
}

void ui_app_run(ui_app *app)
{
    ui_pane_keys_init(&app->panes[UI_PANE_KEYS]);
    ui_pane_doc_init(&app->panes[UI_PANE_DOC]);
    ui_pane_status_init(&app->panes[UI_PANE_STATUS]);
    app->now = (int64_t)time(NULL);
    layout(app);
    ui_status_log(app, UI_LOG_INFO, "opened %s (%s)%s", app->store,
                  kv_client_backend_name(app->client), app->read_only ? ", read-only" : "");
    ui_keys_start_scan(app);
    ui_recovery_offer(app);
    run_loop(app);
    ui_cmdline_shutdown();
    for (int i = 0; i < UI_PANE_COUNT; i++)
        ui_pane_destroy(&app->panes[i]);
}

/*
 * The interactive screen. This first version is deliberately small: it streams the key list
 * from the worker, counts TTLs down every second and shows the selected document's metadata and
 * value, safely escaped. The full TUI (panes, editor, CAS-aware save) is issue #3.
 */
#include <curses.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "tui.h"

typedef struct key_row {
    char *key;
    uint16_t key_len;
    uint32_t flags;
    uint32_t size;
    int64_t expiry;
} key_row;

typedef struct screen_state {
    kv_client *client;
    key_row *rows;
    size_t count, capacity;
    size_t selected, top;
    bool scanning;
    kv_result doc;
    bool have_doc;
    uint64_t doc_request;
    char status[256];
    bool quit;
} screen_state;

static void restore_terminal(void)
{
    if (!isendwin())
        endwin();
}

static void on_fatal_signal(int sig)
{
    restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Copy at most WIDTH columns of untrusted bytes, showing control bytes as visible escapes. */
static void draw_safe(int y, int x, const char *text, size_t len, int width)
{
    move(y, x);
    int col = 0;
    for (size_t i = 0; i < len && col < width; i++) {
        unsigned char c = (unsigned char)text[i];
        char esc[8];
        if (c >= 0x20 && c < 0x7f) {
            addch(c);
            col++;
            continue;
        }
        snprintf(esc, sizeof esc, "\\x%02x", c);
        attron(A_DIM);
        addnstr(esc, width - col);
        attroff(A_DIM);
        col += 4;
    }
}

static void add_row(screen_state *s, const kv_key_info *info)
{
    if (s->count == s->capacity) {
        s->capacity = s->capacity ? s->capacity * 2 : 1024;
        s->rows = realloc(s->rows, s->capacity * sizeof *s->rows);
    }
    key_row *row = &s->rows[s->count++];
    row->key = malloc(info->key_len);
    memcpy(row->key, info->key, info->key_len);
    row->key_len = info->key_len;
    row->flags = info->flags;
    row->size = info->size;
    row->expiry = info->expiry;
}

static void format_ttl(char *buf, size_t len, int64_t expiry)
{
    if (expiry == 0) {
        snprintf(buf, len, "-");
        return;
    }
    int64_t left = expiry - kv_now();
    if (left < 0)
        left = 0;
    if (left >= 3600)
        snprintf(buf, len, "%lldh%02lldm", (long long)(left / 3600), (long long)(left / 60 % 60));
    else
        snprintf(buf, len, "%lldm%02llds", (long long)(left / 60), (long long)(left % 60));
}

static void draw_keys(screen_state *s, int height, int width)
{
    if (s->selected < s->top)
        s->top = s->selected;
    if (s->selected >= s->top + (size_t)height)
        s->top = s->selected - (size_t)height + 1;
    for (int y = 0; y < height && s->top + (size_t)y < s->count; y++) {
        key_row *row = &s->rows[s->top + (size_t)y];
        char meta[64], ttl[32];
        format_ttl(ttl, sizeof ttl, row->expiry);
        snprintf(meta, sizeof meta, "%-6s %8u %8s", kv_format_name(kv_format_of_flags(row->flags)),
                 row->size, ttl);
        bool sel = s->top + (size_t)y == s->selected;
        if (sel)
            attron(A_REVERSE);
        mvhline(y + 1, 0, ' ', width);
        draw_safe(y + 1, 0, row->key, row->key_len, width - 26);
        bool soon = row->expiry && row->expiry - kv_now() < 60;
        if (soon)
            attron(A_BOLD);
        mvaddnstr(y + 1, width - 25, meta, 25);
        if (soon)
            attroff(A_BOLD);
        if (sel)
            attroff(A_REVERSE);
    }
}

static void draw_doc(screen_state *s, int x, int height, int width)
{
    if (!s->have_doc)
        return;
    kv_result *d = &s->doc;
    char line[256], ttl[16];
    format_ttl(ttl, sizeof ttl, d->expiry);
    draw_safe(1, x, d->key, d->key_len, width);
    snprintf(line, sizeof line, "format %s  flags 0x%08x  cas 0x%llx  size %zu  ttl %s",
             kv_format_name(kv_format_of_flags(d->flags)), d->flags, (unsigned long long)d->cas,
             d->value_len, ttl);
    mvaddnstr(2, x, d->status == KV_OK ? line : kv_status_name(d->status), width);
    size_t start = 0;
    for (int y = 4; y < height && start < d->value_len; y++) {
        const char *text = (const char *)d->value + start;
        const char *nl = memchr(text, '\n', d->value_len - start);
        size_t n = nl ? (size_t)(nl - text) : d->value_len - start;
        draw_safe(y, x, text, n, width);
        start += n + 1;
    }
}

static void draw(screen_state *s)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    erase();
    int left = cols / 2;
    attron(A_BOLD);
    mvprintw(0, 0, "kvtui  %zu keys%s", s->count, s->scanning ? " (scanning...)" : "");
    attroff(A_BOLD);
    draw_keys(s, rows - 2, left - 1);
    mvvline(1, left - 1, ACS_VLINE, rows - 2);
    draw_doc(s, left + 1, rows - 1, cols - left - 2);
    mvaddnstr(rows - 1, 0, s->status, cols);
    refresh();
}

static int compare_rows(const void *a, const void *b)
{
    const key_row *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (int)x->key_len - (int)y->key_len;
}

static void open_selected(screen_state *s)
{
    if (s->selected >= s->count)
        return;
    key_row *row = &s->rows[s->selected];
    s->doc_request = kv_client_submit(s->client, kv_request_new(KV_OP_GET, row->key, row->key_len), NULL);
}

static void handle_event(screen_state *s, kv_event *e)
{
    if (e->type == KV_EVENT_KEYS) {
        for (size_t i = 0; i < e->nkeys; i++)
            add_row(s, &e->keys[i]);
    } else if (e->type == KV_EVENT_DONE) {
        s->scanning = false;
        qsort(s->rows, s->count, sizeof *s->rows, compare_rows);
        snprintf(s->status, sizeof s->status, "scanned %zu keys  (j/k move, Enter open, q quit)",
                 s->count);
    } else if (e->type == KV_EVENT_RESULT && e->id == s->doc_request) {
        kv_result_clear(&s->doc);
        s->doc = e->result;
        e->result.value = NULL;
        s->have_doc = true;
        snprintf(s->status, sizeof s->status, "get: %s (%llu us)", kv_status_name(s->doc.status),
                 (unsigned long long)s->doc.latency_us);
    }
}

static void handle_key(screen_state *s, int ch)
{
    if (ch == 'q')
        s->quit = true;
    else if ((ch == 'j' || ch == KEY_DOWN) && s->selected + 1 < s->count)
        s->selected++;
    else if ((ch == 'k' || ch == KEY_UP) && s->selected > 0)
        s->selected--;
    else if (ch == '\n' || ch == KEY_ENTER)
        open_selected(s);
}

static void run_loop(screen_state *s)
{
    while (!s->quit) {
        draw(s);
        struct pollfd fds[2] = {{.fd = 0, .events = POLLIN},
                                {.fd = kv_client_fd(s->client), .events = POLLIN}};
        poll(fds, 2, 1000);
        for (kv_event *e = kv_client_poll(s->client); e;) {
            kv_event *next = e->next;
            handle_event(s, e);
            kv_event_free(e);
            e = next;
        }
        int ch;
        while ((ch = getch()) != ERR)
            handle_key(s, ch);
    }
}

int kv_tui_run(const char *store, const kv_tui_options *options)
{
    screen_state s = {.scanning = true};
    char err[256];
    kv_open_options open_options = {.read_only = options->read_only,
                                    .password = options->password};
    kv_status status = kv_client_open(store, &open_options, &s.client, err, sizeof err);
    if (status != KV_OK) {
        fprintf(stderr, "kvtui: %s: %s\n", kv_status_name(status), err);
        return kv_status_exit_code(status);
    }
    setlocale(LC_ALL, "");
    initscr();
    atexit(restore_terminal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGSEGV, on_fatal_signal);
    signal(SIGABRT, on_fatal_signal);
    cbreak();
    noecho();
    nodelay(stdscr, TRUE);
    keypad(stdscr, TRUE);
    curs_set(0);
    kv_client_scan(s.client, NULL, 5000, 0, NULL);
    run_loop(&s);
    restore_terminal();
    kv_client_close(s.client);
    kv_result_clear(&s.doc);
    for (size_t i = 0; i < s.count; i++)
        free(s.rows[i].key);
    free(s.rows);
    return 0;
}

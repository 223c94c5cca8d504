/* The key list's life: the initial scan, following other writers (the store's change sequence,
 * or periodic re-checks where there is none), and TTLs that reach zero. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"

#define SCAN_BATCH 5000
#define CHANGES_PER_POLL 2000
#define RECHECK_SECONDS 5 /* without a change sequence: re-check the rows on screen this often */
/* An unordered scan (memcached) is sorted and filtered at most this often while it streams in. */
#define SCAN_REFRESH_MS 100

/* The user pointer of stream events says which stream it is. */
typedef enum stream_kind { STREAM_SCAN, STREAM_RECHECK, STREAM_CHANGES } stream_kind;

typedef struct stream_tag {
    stream_kind kind;
    bool found;       /* recheck: the key was reported */
    size_t key_len;
    char key[KV_KEY_MAX + 1];
} stream_tag;

static stream_tag scan_tag = {.kind = STREAM_SCAN};
static stream_tag changes_tag = {.kind = STREAM_CHANGES};

void ui_keys_start_scan(ui_app *app)
{
    ui_key_model_clear(&app->keys);
    ui_key_model_refresh(&app->keys);
    app->scanning = true;
    app->scanned = 0;
    app->scan_has_partial = false;
    app->scan_refreshed_ms = 0;
    /* Learn where the change sequence stands first, so no write made during the scan is lost. */
    app->follow_changes = true;
    app->changes_in_flight = true;
    kv_client_changes(app->client, KV_SEQ_LATEST, 0, &changes_tag);
    kv_client_scan(app->client, NULL, SCAN_BATCH, 0, &scan_tag);
    app->dirty |= UI_REDRAW_ALL;
}

void ui_keys_recheck(ui_app *app, const char *key, size_t key_len)
{
    stream_tag *tag = calloc(1, sizeof *tag);
    if (!tag)
        abort();
    tag->kind = STREAM_RECHECK;
    tag->key_len = key_len < KV_KEY_MAX ? key_len : KV_KEY_MAX;
    memcpy(tag->key, key, tag->key_len);
    /* A pattern without wildcards is an exact key; an expired or removed key reports nothing. */
    kv_client_scan(app->client, tag->key, 1, 1, tag);
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One key of the initial scan. A key listed early (PARTIAL) is completed, or dropped, by a later
 * record of the same scan. */
static void scan_key(ui_app *app, const kv_key_info *info)
{
    if (info->detail == KV_KEY_GONE) {
        ui_key_model_remove(&app->keys, info->key, info->key_len);
    } else if (info->detail == KV_KEY_COMPLETE && app->scan_has_partial) {
        ui_key_model_put(&app->keys, info);
    } else {
        ui_key_model_append(&app->keys, info);
        app->scanned++;
        app->scan_has_partial |= info->detail == KV_KEY_PARTIAL;
    }
}

/* A re-check wants the whole record: an early one is followed by its completion or its end. */
static void recheck_key(ui_app *app, const kv_key_info *info, stream_tag *tag)
{
    if (info->detail != KV_KEY_COMPLETE)
        return;
    ui_key_model_put(&app->keys, info);
    tag->found = true;
}

static void on_keys(ui_app *app, const kv_event *event, stream_tag *tag)
{
    for (size_t i = 0; i < event->nkeys; i++) {
        if (tag->kind == STREAM_SCAN)
            scan_key(app, &event->keys[i]);
        else
            recheck_key(app, &event->keys[i], tag);
    }
    int64_t now_ms = monotonic_ms();
    if (tag->kind == STREAM_SCAN && app->keys.sorted_dirty &&
        now_ms - app->scan_refreshed_ms >= SCAN_REFRESH_MS) {
        ui_key_model_refresh(&app->keys); /* an unordered backend: sort and filter now and then */
        app->scan_refreshed_ms = now_ms;
    }
    app->dirty |= UI_REDRAW_KEYS | UI_REDRAW_BAR;
}

static void on_done(ui_app *app, const kv_event *event, stream_tag *tag)
{
    if (event->status != KV_ERR_CANCELLED && event->status != KV_ERR_NOT_SUPPORTED)
        ui_app_note_connection(app, event->status);
    if (tag->kind == STREAM_SCAN) {
        app->scanning = false;
        ui_key_model_refresh(&app->keys);
        if (event->status == KV_OK)
            ui_status_log(app, UI_LOG_INFO, "scanned %llu keys",
                          (unsigned long long)app->scanned);
        else
            ui_status_log(app, UI_LOG_ERROR, "key listing: %s: %s",
                          kv_status_name(event->status), event->message);
    } else if (tag->kind == STREAM_RECHECK) {
        /* Only a re-check the store answered may drop a key: a failed one says nothing. */
        bool gone = !tag->found && event->status == KV_OK;
        if (gone && ui_key_model_remove(&app->keys, tag->key, tag->key_len))
            app->dirty |= UI_REDRAW_KEYS;
        free(tag);
    }
    app->dirty |= UI_REDRAW_KEYS | UI_REDRAW_BAR;
}

/* A batch of the change sequence: re-check each changed key (the change carries no metadata). */
static void on_changes(ui_app *app, const kv_event *event)
{
    app->changes_in_flight = false;
    if (event->status == KV_ERR_NOT_SUPPORTED) {
        app->follow_changes = false;
        return;
    }
    if (event->status != KV_OK)
        return;
    bool first = !app->change_seq_known;
    app->change_seq = event->last_seq;
    app->change_seq_known = true;
    if (first)
        return;
    for (size_t i = 0; i < event->nchanges; i++) {
        const kv_change *change = &event->changes[i];
        if (change->removed) {
            if (ui_key_model_remove(&app->keys, change->key, change->key_len))
                app->dirty |= UI_REDRAW_KEYS | UI_REDRAW_BAR;
        } else {
            ui_keys_recheck(app, change->key, change->key_len);
        }
        const kv_result *doc = &app->doc.result;
        if (app->doc.open && doc->key_len == change->key_len &&
            memcmp(doc->key, change->key, change->key_len) == 0) {
            app->doc.changed_on_store = true;
            app->dirty |= UI_REDRAW_DOC;
        }
    }
}

void ui_keys_handle_event(ui_app *app, const kv_event *event)
{
    stream_tag *tag = event->user;
    if (event->type == KV_EVENT_CHANGES)
        on_changes(app, event);
    else if (tag && event->type == KV_EVENT_KEYS)
        on_keys(app, event, tag);
    else if (tag && event->type == KV_EVENT_DONE)
        on_done(app, event, tag);
}

/* Rows on screen whose TTL reached zero are re-checked: they drop out once the store agrees. */
static void recheck_due_rows(ui_app *app, bool all_visible_rows, int rows)
{
    for (size_t row = app->key_top; row < app->key_top + (size_t)rows; row++) {
        const ui_key_entry *entry = ui_key_model_visible(&app->keys, row);
        if (!entry)
            break;
        int64_t left = ui_key_ttl_left(entry, app->now);
        if (all_visible_rows || left == 0)
            ui_keys_recheck(app, ui_key_model_key(&app->keys, entry), entry->key_len);
    }
}

void ui_keys_tick(ui_app *app)
{
    if (app->follow_changes && !app->changes_in_flight && app->change_seq_known) {
        app->changes_in_flight = true;
        kv_client_changes(app->client, app->change_seq, CHANGES_PER_POLL, &changes_tag);
    }
    bool periodic = !app->follow_changes && app->now - app->last_recheck >= RECHECK_SECONDS;
    if (periodic)
        app->last_recheck = app->now;
    if (!app->scanning)
        recheck_due_rows(app, periodic, app->panes[UI_PANE_KEYS].height);
}

/* Key scans in slices: one short read transaction per batch, yielding to the loop in between. */
#include <stdlib.h>
#include <string.h>

#include "embedded_internal.h"

/* Keys examined per slice when a pattern matches few: bounds the time the loop is held. */
#define SLICE_EXAMINE_MAX 65536
#define LMDB_KEY_MAX 511

typedef struct kv__scan {
    struct kv__scan *next;
    uv_idle_t idle;
    kv__embedded *state;
    kv__stream *stream;
    kv__key_batch batch;
    char last_key[LMDB_KEY_MAX];
    size_t last_len;
    bool started;
} kv__scan;

static void scan_freed(uv_handle_t *handle)
{
    kv__scan *scan = handle->data;
    kv__embedded *state = scan->state;
    free(scan);
    kv__embedded_handle_closed(state);
}

/* Finish the stream (which its owner then frees) and let go of the scan. */
static void scan_end(kv__scan *scan, kv_status status, const char *message)
{
    kv__embedded *state = scan->state;
    for (kv__scan **p = &state->scans; *p; p = &(*p)->next)
        if (*p == scan) {
            *p = scan->next;
            break;
        }
    uv_idle_stop(&scan->idle);
    kv__key_batch_free(&scan->batch);
    kv__stream *stream = scan->stream;
    stream->backend_state = NULL;
    state->pending_closes++;
    uv_close((uv_handle_t *)&scan->idle, scan_freed);
    kv__stream_finish(stream, status, message);
}

/* Keys the stream may still take (SIZE_MAX without a limit). */
static size_t room_left(const kv__scan *scan)
{
    const kv__stream *s = scan->stream;
    size_t taken = s->emitted + scan->batch.count;
    return !s->limit ? SIZE_MAX : taken < s->limit ? s->limit - taken : 0;
}

static void take(kv__scan *scan, const MDB_val *key, const kv__doc *doc, int64_t now)
{
    const kv__stream *s = scan->stream;
    uint64_t cas = kv__doc_visible_cas(doc, now);
    if (s->want_values)
        kv__key_batch_add_value(&scan->batch, key->mv_data, key->mv_size, doc->flags, cas,
                                doc->expiry, doc->value, doc->value_len);
    else
        kv__key_batch_add(&scan->batch, key->mv_data, key->mv_size, doc->flags,
                          (uint32_t)doc->value_len, cas, doc->expiry);
}

/* Position after the last key handed out, or at the first key. */
static int position(kv__scan *scan, MDB_cursor *cursor, MDB_val *key, MDB_val *data)
{
    if (!scan->started)
        return mdb_cursor_get(cursor, key, data, MDB_FIRST);
    key->mv_size = scan->last_len;
    key->mv_data = scan->last_key;
    int rc = mdb_cursor_get(cursor, key, data, MDB_SET_RANGE);
    if (rc == 0 && key->mv_size == scan->last_len &&
        memcmp(key->mv_data, scan->last_key, scan->last_len) == 0)
        rc = mdb_cursor_get(cursor, key, data, MDB_NEXT);
    return rc;
}

/* Walk from the last position until a batch is full, the limit is met, the slice's budget is
 * spent, or the keys end. Returns 0 (more to come), MDB_NOTFOUND (the end) or an error. */
static int walk(kv__scan *scan, MDB_cursor *cursor, int64_t now)
{
    size_t batch_size = scan->stream->batch_size ? scan->stream->batch_size : 1000;
    MDB_val key, data;
    int rc = position(scan, cursor, &key, &data);
    for (size_t seen = 0; rc == 0; seen++) {
        kv__doc doc;
        if (kv__doc_decode(&data, &doc) && !kv__doc_expired(&doc, now) &&
            kv__stream_matches(scan->stream, key.mv_data, key.mv_size))
            take(scan, &key, &doc, now);
        scan->started = true;
        scan->last_len = key.mv_size < LMDB_KEY_MAX ? key.mv_size : LMDB_KEY_MAX;
        memcpy(scan->last_key, key.mv_data, scan->last_len);
        if (room_left(scan) == 0)
            return MDB_NOTFOUND;
        if (scan->batch.count >= batch_size || seen + 1 >= SLICE_EXAMINE_MAX)
            return 0;
        rc = mdb_cursor_get(cursor, &key, &data, MDB_NEXT);
    }
    return rc;
}

static void scan_slice(uv_idle_t *idle)
{
    kv__scan *scan = idle->data;
    if (scan->stream->cancelled) {
        scan_end(scan, KV_ERR_CANCELLED, "scan cancelled");
        return;
    }
    kv__txn t;
    MDB_cursor *cursor = NULL;
    int rc = kv__txn_begin(scan->state->env, false, &t);
    rc = rc ? rc : mdb_cursor_open(t.txn, scan->state->env->docs, &cursor);
    rc = rc ? rc : walk(scan, cursor, t.now);
    if (cursor)
        mdb_cursor_close(cursor);
    kv__txn_abort(&t);
    size_t batch_size = scan->stream->batch_size ? scan->stream->batch_size : 1000;
    if (rc == MDB_NOTFOUND || scan->batch.count >= batch_size)
        kv__stream_emit(scan->stream, &scan->batch);
    if (rc == MDB_NOTFOUND)
        scan_end(scan, KV_OK, NULL);
    else if (rc)
        scan_end(scan, KV_ERR_INTERNAL, kv__lmdb_error(rc));
}

void kv__embedded_scan(void *state_ptr, kv__stream *stream)
{
    kv__embedded *state = state_ptr;
    kv__scan *scan = calloc(1, sizeof *scan);
    if (!scan || !state->loop) {
        free(scan);
        kv__stream_finish(stream, KV_ERR_INTERNAL, "cannot start a scan");
        return;
    }
    scan->state = state;
    scan->stream = stream;
    scan->idle.data = scan;
    uv_idle_init(state->loop, &scan->idle);
    uv_idle_start(&scan->idle, scan_slice);
    stream->backend_state = scan;
    scan->next = state->scans;
    state->scans = scan;
}

void kv__embedded_scan_cancel(void *state_ptr, kv__stream *stream)
{
    (void)state_ptr;
    if (stream->backend_state)
        scan_end(stream->backend_state, KV_ERR_CANCELLED, "scan cancelled");
}

void kv__embedded_scans_close(kv__embedded *state)
{
    while (state->scans)
        scan_end(state->scans, KV_ERR_CANCELLED, "the store was closed");
}

/* The expiry sweeper: deletes expired documents in small transactions and trims the change log. */
#include <stdlib.h>
#include <string.h>

#include "embedded_internal.h"

#define SWEEP_DEFAULT_MS 1000
#define SWEEP_PER_TXN 1000
#define SWEEP_PER_TICK 8000
#define TRIM_PER_TICK 10000

/* Remove one index entry and, when it still describes KEY's stored expiry, the document. */
static int sweep_entry(kv__txn *t, const uint8_t *index_key, size_t index_len, int64_t expiry,
                       bool *removed)
{
    const char *key = (const char *)index_key + 8;
    size_t key_len = index_len - 8;
    kv__doc doc;
    int rc = kv__doc_get(t, key, key_len, &doc);
    *removed = rc == 0 && doc.expiry == expiry && kv__doc_expired(&doc, t->now);
    if (*removed)
        return kv__doc_delete(t, key, key_len, &doc); /* also drops the index entry */
    if (rc && rc != MDB_NOTFOUND && rc != MDB_CORRUPTED)
        return rc;
    MDB_val k = {index_len, (void *)index_key};
    return mdb_del(t->txn, t->env->expiry, &k, NULL);
}

/* One transaction's worth: the index is ordered by expiry, so expired entries come first. */
static int sweep_txn(kv__txn *t, size_t max, size_t *removed, bool *more)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(t->txn, t->env->expiry, &cursor);
    *more = false;
    for (size_t visited = 0; rc == 0; visited++) {
        MDB_val key, data;
        rc = mdb_cursor_get(cursor, &key, &data, MDB_FIRST);
        if (rc || key.mv_size <= 8 || key.mv_size > 8 + KV_KEY_MAX ||
            (int64_t)kv__be64_get(key.mv_data) > t->now)
            break;
        if (visited == max) {
            *more = true;
            break;
        }
        uint8_t index_key[8 + KV_KEY_MAX];
        size_t index_len = key.mv_size;
        memcpy(index_key, key.mv_data, index_len);
        bool gone;
        rc = sweep_entry(t, index_key, index_len, (int64_t)kv__be64_get(index_key), &gone);
        *removed += gone;
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int trim_txn(kv__embedded *state)
{
    kv__txn t;
    size_t deleted;
    int rc = kv__txn_begin(state->env, true, &t);
    if (rc)
        return rc;
    rc = kv__changes_trim(&t, TRIM_PER_TICK, &deleted);
    if (rc) {
        kv__txn_abort(&t);
        return rc;
    }
    return kv__txn_commit(&t);
}

long kv__embedded_sweep(kv__embedded *state, int64_t now, size_t max)
{
    size_t removed = 0;
    bool more = true;
    int rc = 0;
    while (rc == 0 && more && removed < max) {
        kv__txn t;
        size_t in_txn = 0;
        if ((rc = kv__txn_begin(state->env, true, &t)) != 0)
            break;
        t.now = now;
        rc = sweep_txn(&t, SWEEP_PER_TXN, &in_txn, &more);
        if (rc)
            kv__txn_abort(&t);
        else if ((rc = kv__txn_commit(&t)) == 0)
            removed += in_txn;
    }
    if (rc == MDB_MAP_FULL)
        kv__env_grow(state->env);
    rc = rc ? rc : trim_txn(state);
    if (rc == MDB_MAP_FULL)
        kv__env_grow(state->env);
    return rc ? -1 : (long)removed;
}

static void sweep_tick(uv_timer_t *timer)
{
    kv__embedded *state = timer->data;
    kv__env_reader_check(state->env);
    kv__embedded_sweep(state, kv_now(), SWEEP_PER_TICK);
}

void kv__sweep_start(kv__embedded *state)
{
    const char *text = getenv("KVTUI_SWEEP_MS");
    long ms = text ? strtol(text, NULL, 10) : 0;
    if (ms <= 0)
        ms = SWEEP_DEFAULT_MS;
    uv_timer_init(state->loop, &state->sweep_timer);
    state->sweep_timer.data = state;
    state->sweeping = true;
    uv_timer_start(&state->sweep_timer, sweep_tick, (uint64_t)ms, (uint64_t)ms);
    uv_unref((uv_handle_t *)&state->sweep_timer);
}

void kv__sweep_close(kv__embedded *state, uv_close_cb on_closed)
{
    if (!state->sweeping)
        return;
    state->sweeping = false;
    state->pending_closes++;
    uv_timer_stop(&state->sweep_timer);
    uv_close((uv_handle_t *)&state->sweep_timer, on_closed);
}

/* The change sequence: every mutation appends (seq, kind, key), so views can follow other writers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded_internal.h"

#define CHANGES_DEFAULT_LIMIT 10000

typedef struct change_list {
    kv_change *items;
    size_t *key_offsets;
    size_t count, capacity;
    char *arena;
    size_t arena_len, arena_cap;
} change_list;

static void *grow(void *ptr, size_t *capacity, size_t need, size_t item)
{
    if (need <= *capacity)
        return ptr;
    size_t cap = *capacity ? *capacity : 64;
    while (cap < need)
        cap *= 2;
    void *p = realloc(ptr, cap * item);
    if (!p)
        abort();
    *capacity = cap;
    return p;
}

static void list_add(change_list *list, uint64_t seq, const MDB_val *record)
{
    if (record->mv_size < 1)
        return;
    const char *bytes = record->mv_data;
    size_t key_len = record->mv_size - 1;
    size_t cap = list->capacity;
    list->items = grow(list->items, &cap, list->count + 1, sizeof *list->items);
    list->key_offsets = grow(list->key_offsets, &list->capacity, list->count + 1, sizeof(size_t));
    list->arena = grow(list->arena, &list->arena_cap, list->arena_len + key_len + 1, 1);
    memcpy(list->arena + list->arena_len, bytes + 1, key_len);
    list->key_offsets[list->count] = list->arena_len;
    list->arena_len += key_len;
    list->items[list->count++] = (kv_change){
        .seq = seq, .key_len = (uint16_t)key_len, .removed = bytes[0] == 'R'};
}

/* Hand the list to EVENT, whose kv_event_free() frees changes and arena. */
static void list_move_to_event(change_list *list, kv_event *event)
{
    for (size_t i = 0; i < list->count; i++)
        list->items[i].key = list->arena + list->key_offsets[i];
    event->changes = list->items;
    event->nchanges = list->count;
    event->arena = list->arena;
    free(list->key_offsets);
}

static int newest_seq(kv__txn *t, uint64_t *seq)
{
    uint64_t next = 1;
    int rc = kv__meta_get_u64(t, "seq", &next);
    *seq = next ? next - 1 : 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int collect(kv__txn *t, uint64_t since, size_t limit, change_list *list,
                   uint64_t *first_seq)
{
    MDB_cursor *cursor;
    int rc = mdb_cursor_open(t->txn, t->env->changes, &cursor);
    if (rc)
        return rc;
    uint8_t from[8];
    kv__be64_put(from, since + 1);
    MDB_val key = {sizeof from, from}, data;
    rc = mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE);
    *first_seq = rc == 0 && key.mv_size == 8 ? kv__be64_get(key.mv_data) : 0;
    for (; rc == 0 && list->count < limit; rc = mdb_cursor_get(cursor, &key, &data, MDB_NEXT))
        if (key.mv_size == 8)
            list_add(list, kv__be64_get(key.mv_data), &data);
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

kv_status kv__embedded_changes(void *state_ptr, uint64_t since, size_t limit, kv_event *event)
{
    kv__embedded *state = state_ptr;
    kv__txn t;
    int rc = kv__txn_begin(state->env, false, &t);
    rc = rc ? rc : newest_seq(&t, &event->last_seq);
    change_list list = {0};
    uint64_t first = 0;
    if (rc == 0 && since != KV_SEQ_LATEST && since < event->last_seq)
        rc = collect(&t, since, limit ? limit : CHANGES_DEFAULT_LIMIT, &list, &first);
    kv__txn_abort(&t);
    if (rc) {
        free(list.items);
        free(list.key_offsets);
        free(list.arena);
        snprintf(event->message, sizeof event->message, "cannot read changes: %s",
                 kv__lmdb_error(rc));
        return KV_ERR_INTERNAL;
    }
    if (since > 0 && first > since + 1)
        snprintf(event->message, sizeof event->message,
                 "changes %llu to %llu were trimmed: rescan the keys",
                 (unsigned long long)since + 1, (unsigned long long)first - 1);
    list_move_to_event(&list, event);
    return KV_OK;
}

kv_status kv__embedded_current_seq(kv__embedded *state, uint64_t *seq)
{
    kv__txn t;
    int rc = kv__txn_begin(state->env, false, &t);
    rc = rc ? rc : newest_seq(&t, seq);
    kv__txn_abort(&t);
    return rc ? KV_ERR_INTERNAL : KV_OK;
}

int kv__changes_trim(kv__txn *t, size_t max_delete, size_t *deleted)
{
    uint64_t newest;
    MDB_cursor *cursor;
    *deleted = 0;
    int rc = newest_seq(t, &newest);
    if (rc || newest <= KV__CHANGES_KEPT)
        return rc;
    if ((rc = mdb_cursor_open(t->txn, t->env->changes, &cursor)) != 0)
        return rc;
    MDB_val key, data;
    rc = mdb_cursor_get(cursor, &key, &data, MDB_FIRST);
    while (rc == 0 && *deleted < max_delete && key.mv_size == 8 &&
           kv__be64_get(key.mv_data) <= newest - KV__CHANGES_KEPT) {
        rc = mdb_cursor_del(cursor, 0);
        if (rc == 0) {
            (*deleted)++;
            rc = mdb_cursor_get(cursor, &key, &data, MDB_FIRST);
        }
    }
    mdb_cursor_close(cursor);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

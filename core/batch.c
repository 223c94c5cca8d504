/* Key batches, streams and op completion: the containers backends report through. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "util_alloc.h"

static size_t arena_append(kv__key_batch *b, const void *data, size_t len)
{
    if (b->arena_len + len + 1 > b->arena_cap) {
        size_t cap = b->arena_cap ? b->arena_cap : 4096;
        while (cap < b->arena_len + len + 1)
            cap *= 2;
        b->arena = kv__xrealloc(b->arena, cap);
        b->arena_cap = cap;
    }
    size_t at = b->arena_len;
    if (len)
        memcpy(b->arena + at, data, len);
    b->arena_len += len;
    return at;
}

/* All per-key arrays share one capacity; value arrays exist only in export batches. */
static void batch_reserve(kv__key_batch *b, bool with_values)
{
    bool values = with_values || b->value_offsets;
    if (b->count < b->capacity && (!values || b->value_offsets))
        return;
    size_t cap = b->count < b->capacity ? b->capacity : (b->capacity ? b->capacity * 2 : 64);
    b->keys = kv__xrealloc(b->keys, cap * sizeof *b->keys);
    b->key_offsets = kv__xrealloc(b->key_offsets, cap * sizeof *b->key_offsets);
    if (values) {
        b->value_offsets = kv__xrealloc(b->value_offsets, cap * sizeof *b->value_offsets);
        b->value_lens = kv__xrealloc(b->value_lens, cap * sizeof *b->value_lens);
    }
    b->capacity = cap;
}

void kv__key_batch_add(kv__key_batch *b, const char *key, size_t key_len, uint32_t flags,
                       uint32_t size, uint64_t cas, int64_t expiry)
{
    batch_reserve(b, false);
    b->key_offsets[b->count] = arena_append(b, key, key_len);
    b->keys[b->count] = (kv_key_info){
        .key = NULL, .key_len = (uint16_t)key_len, .flags = flags, .size = size, .cas = cas,
        .expiry = expiry};
    if (b->value_offsets)
        b->value_offsets[b->count] = b->value_lens[b->count] = 0;
    b->count++;
}

void kv__key_batch_add_value(kv__key_batch *b, const char *key, size_t key_len, uint32_t flags,
                             uint64_t cas, int64_t expiry, const void *value, size_t value_len)
{
    batch_reserve(b, true);
    size_t index = b->count;
    kv__key_batch_add(b, key, key_len, flags, (uint32_t)value_len, cas, expiry);
    b->value_offsets[index] = arena_append(b, value, value_len);
    b->value_lens[index] = value_len;
}

const uint8_t *kv__key_batch_value(const kv__key_batch *b, size_t index, size_t *len)
{
    *len = b->value_lens ? b->value_lens[index] : 0;
    return b->value_offsets ? (const uint8_t *)b->arena + b->value_offsets[index] : NULL;
}

void kv__key_batch_reset(kv__key_batch *b)
{
    b->count = 0;
    b->arena_len = 0;
}

void kv__key_batch_free(kv__key_batch *b)
{
    free(b->keys);
    free(b->arena);
    free(b->key_offsets);
    free(b->value_offsets);
    free(b->value_lens);
    memset(b, 0, sizeof *b);
}

void kv__key_batch_move_to_event(kv__key_batch *b, kv_event *event)
{
    event->keys = b->keys;
    event->nkeys = b->count;
    event->arena = b->arena;
    for (size_t i = 0; i < b->count; i++)
        event->keys[i].key = b->arena + b->key_offsets[i];
    b->keys = NULL;
    b->arena = NULL;
    b->capacity = b->arena_cap = 0;
    free(b->key_offsets);
    free(b->value_offsets);
    free(b->value_lens);
    b->key_offsets = b->value_offsets = b->value_lens = NULL;
    b->count = b->arena_len = 0;
}

void kv__stream_emit_full(kv__stream *stream, kv__key_batch *batch)
{
    if (batch->count >= stream->batch_size)
        kv__stream_emit(stream, batch);
}

void kv__stream_list_detail(kv__stream *stream, kv__key_batch *batch, const char *key,
                            size_t key_len, uint64_t cas, int64_t expiry, kv_key_detail detail)
{
    kv__key_batch_add(batch, key, key_len, 0, 0, cas, expiry);
    batch->keys[batch->count - 1].detail = (uint8_t)detail;
    kv__stream_emit_full(stream, batch);
}

void kv__stream_emit(kv__stream *stream, kv__key_batch *batch)
{
    if (batch->count == 0)
        return;
    for (size_t i = 0; i < batch->count; i++)
        stream->emitted += batch->keys[i].detail == KV_KEY_COMPLETE; /* a key counts once */
    stream->on_batch(stream, batch);
    kv__key_batch_reset(batch);
}

void kv__stream_finish(kv__stream *stream, kv_status status, const char *message)
{
    stream->on_done(stream, status, message);
}

bool kv__stream_matches(const kv__stream *stream, const char *key, size_t key_len)
{
    return !stream->glob || kv_glob_match(stream->glob, key, key_len, false, false);
}

void kv__op_complete(kv__op *op)
{
    op->on_complete(op);
}

kv_status kv__op_fail(kv__op *op, kv_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(op->result.message, sizeof op->result.message, fmt, ap);
    va_end(ap);
    op->result.status = status;
    return status;
}

/*
 * backend.h - the vtable every store implements (internal to core).
 *
 * Every function here runs on the worker thread, inside its libuv loop; a backend never sees
 * another thread. A backend keeps its state behind an opaque pointer and reports results through
 * the op and stream objects below, which belong to the worker.
 */
#ifndef KV_BACKEND_H
#define KV_BACKEND_H

#include <uv.h>

#include "kv.h"

/* One operation in flight. The worker fills request and clears result; the backend fills result
 * (status, message, value, flags, cas, expiry, counter) and calls kv__op_complete() exactly once,
 * during execute or later on the loop. result.key and latency are filled by the worker. */
typedef struct kv__op {
    kv_request *request;
    kv_result result;
    void (*on_complete)(struct kv__op *op); /* set by the owner of the op */
    void *owner;
    uint64_t started_ns;
} kv__op;

void kv__op_complete(kv__op *op);
/* Set an error on OP's result with a printf-style message. Returns STATUS for chaining. */
kv_status kv__op_fail(kv__op *op, kv_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Accumulates scanned keys (and, for export, values) into one event's arena. */
typedef struct kv__key_batch {
    kv_key_info *keys;
    size_t count;
    size_t capacity;
    char *arena;
    size_t arena_len;
    size_t arena_cap;
    size_t *key_offsets;   /* into arena, fixed up into keys[].key when emitted */
    size_t *value_offsets; /* only when values are collected */
    size_t *value_lens;
} kv__key_batch;

void kv__key_batch_add(kv__key_batch *batch, const char *key, size_t key_len, uint32_t flags,
                       uint32_t size, uint64_t cas, int64_t expiry);
/* Like kv__key_batch_add, also keeping a copy of the value (export). */
void kv__key_batch_add_value(kv__key_batch *batch, const char *key, size_t key_len,
                             uint32_t flags, uint64_t cas, int64_t expiry, const void *value,
                             size_t value_len);
const uint8_t *kv__key_batch_value(const kv__key_batch *batch, size_t index, size_t *len);
void kv__key_batch_reset(kv__key_batch *batch);
void kv__key_batch_free(kv__key_batch *batch);

/* A streaming job (scan or export) handed to a backend's scan function. */
typedef struct kv__stream {
    uint64_t id;
    void *user;
    char *glob;        /* NULL = all keys */
    size_t batch_size; /* keys per emitted batch */
    size_t limit;      /* 0 = no limit */
    size_t emitted;    /* keys emitted so far (maintained by kv__stream_emit) */
    bool want_values;  /* export: collect values too */
    bool cancelled;    /* set by the worker; check between batches and stop */
    /* Where batches go: the worker posts them as KV_EVENT_KEYS; export writes them out. */
    void (*on_batch)(struct kv__stream *stream, kv__key_batch *batch);
    void (*on_done)(struct kv__stream *stream, kv_status status, const char *message);
    void *owner;
    void *backend_state; /* the backend's per-stream cursor state */
} kv__stream;

/* Hand BATCH to the stream's consumer (which resets it) and count it. */
void kv__stream_emit(kv__stream *stream, kv__key_batch *batch);
/* Emit BATCH once it holds the stream's batch size. */
void kv__stream_emit_full(kv__stream *stream, kv__key_batch *batch);
/* List KEY early (KV_KEY_PARTIAL: CAS and expiry only) or take it off again (KV_KEY_GONE): see
 * kv_key_detail. Emits BATCH when full. */
void kv__stream_list_detail(kv__stream *stream, kv__key_batch *batch, const char *key,
                            size_t key_len, uint64_t cas, int64_t expiry, kv_key_detail detail);
/* End the stream; the stream object is freed by its owner afterwards, so do not touch it. */
void kv__stream_finish(kv__stream *stream, kv_status status, const char *message);
/* True when the stream's glob (if any) matches KEY. */
bool kv__stream_matches(const kv__stream *stream, const char *key, size_t key_len);

typedef struct kv__backend_ops {
    const char *name;
    kv_status (*open)(const kv_connspec *spec, const kv_open_options *options, uv_loop_t *loop,
                      void **state, char *errbuf, size_t errbuf_len);
    /* Close every handle and free the state; call done(arg) once everything is closed. */
    void (*close)(void *state, void (*done)(void *arg), void *arg);
    /* Run one operation; complete it with kv__op_complete(). */
    void (*execute)(void *state, kv__op *op);
    /* Run several mutations together (import); complete each op. The embedded store commits
     * them in one transaction. */
    void (*execute_batch)(void *state, kv__op **ops, size_t count);
    /* Stream keys: call kv__stream_emit for each batch, check stream->cancelled between
     * batches (yield to the loop between batches), end with kv__stream_finish. */
    void (*scan)(void *state, kv__stream *stream);
    /* Stop a running scan now (called after stream->cancelled is set); the backend must still
     * call kv__stream_finish (with KV_ERR_CANCELLED) exactly once. May be NULL. */
    void (*scan_cancel)(void *state, kv__stream *stream);
    /* Fill EVENT (type KV_EVENT_CHANGES) with changes after SINCE; NULL = not supported. */
    kv_status (*changes)(void *state, uint64_t since, size_t limit, kv_event *event);
} kv__backend_ops;

extern const kv__backend_ops kv__embedded_backend;
extern const kv__backend_ops kv__memcached_backend;
extern const kv__backend_ops kv__couchbase_backend;

/* Fill EVENT's keys/arena from BATCH (moving the memory); used by the worker and tests. */
void kv__key_batch_move_to_event(kv__key_batch *batch, kv_event *event);

#endif /* KV_BACKEND_H */

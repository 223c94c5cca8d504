/*
 * transfer.h - JSON Lines import and export jobs run by the worker (internal to core).
 *
 * A transfer runs on the worker's loop in slices, so operations and cancels interleave with it.
 * It posts KV_EVENT_PROGRESS events as it goes and exactly one KV_EVENT_DONE at the end, then
 * calls env->finished so the worker forgets it, and frees itself.
 */
#ifndef KV_TRANSFER_H
#define KV_TRANSFER_H

#include "backend.h"

typedef struct kv__transfer kv__transfer;

typedef struct kv__transfer_env {
    uv_loop_t *loop;
    const kv__backend_ops *ops;
    void *backend;
    bool read_only;
    /* Hand an event to the owner's queue (takes ownership). */
    void (*post)(void *worker, kv_event *event);
    /* Called once, just before the transfer frees itself. */
    void (*finished)(void *worker, kv__transfer *transfer);
    void *worker;
} kv__transfer_env;

kv__transfer *kv__import_start(const kv__transfer_env *env, uint64_t id, void *user,
                               const char *path, const char *id_field);
kv__transfer *kv__export_start(const kv__transfer_env *env, uint64_t id, void *user,
                               const char *path);
/* Stop soon: the transfer still posts its KV_EVENT_DONE (KV_ERR_CANCELLED) and finishes. */
void kv__transfer_cancel(kv__transfer *transfer);

/* Allocate a zeroed event of TYPE for request ID. */
kv_event *kv__event_new(kv_event_type type, uint64_t id, void *user);

#endif /* KV_TRANSFER_H */

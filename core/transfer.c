/* What both transfer kinds share: the idle handle that runs them, progress, the one DONE event
 * and cancelling. */
#include <stdio.h>
#include <stdlib.h>

#include "transfer_internal.h"
#include "util_alloc.h"

kv__transfer *kv__transfer_new(const kv__transfer_env *env, uint64_t id, void *user,
                               uv_idle_cb slice)
{
    kv__transfer *transfer = calloc(1, sizeof *transfer);
    if (!transfer) {
        kv__out_of_memory();
    }
    transfer->env = *env;
    transfer->id = id;
    transfer->user = user;
    uv_idle_init(env->loop, &transfer->idle);
    transfer->idle.data = transfer;
    uv_idle_start(&transfer->idle, slice);
    return transfer;
}

void kv__transfer_progress(kv__transfer *transfer, uint64_t items, uint64_t bytes,
                           uint64_t total_bytes, bool force)
{
    uint64_t now = uv_hrtime();
    if (!force && now - transfer->last_progress_ns < KV__TRANSFER_PROGRESS_NS)
        return;
    transfer->last_progress_ns = now;
    kv_event *event = kv__event_new(KV_EVENT_PROGRESS, transfer->id, transfer->user);
    event->items = items;
    event->bytes = bytes;
    event->total_bytes = total_bytes;
    transfer->env.post(transfer->env.worker, event);
}

static void transfer_closed(uv_handle_t *handle)
{
    kv__transfer *transfer = handle->data;
    transfer->env.finished(transfer->env.worker, transfer);
    if (transfer->free_state)
        transfer->free_state(transfer);
    free(transfer);
}

void kv__transfer_finish(kv__transfer *transfer, kv_status status, uint64_t items,
                         const char *message)
{
    if (transfer->finishing)
        return;
    transfer->finishing = true;
    kv_event *event = kv__event_new(KV_EVENT_DONE, transfer->id, transfer->user);
    event->status = status;
    event->items = items;
    snprintf(event->message, sizeof event->message, "%s", message ? message : "");
    transfer->env.post(transfer->env.worker, event);
    uv_idle_stop(&transfer->idle);
    uv_close((uv_handle_t *)&transfer->idle, transfer_closed);
}

void kv__transfer_cancel(kv__transfer *transfer)
{
    if (transfer->cancelled || transfer->finishing)
        return;
    transfer->cancelled = true;
    if (transfer->cancel)
        transfer->cancel(transfer);
}

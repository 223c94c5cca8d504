/* The worker thread: one libuv loop that owns the backend and runs every job handed to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"

/* An operation in flight and where its result goes. */
typedef struct worker_op {
    kv__op op;
    kv_client *client;
    uint64_t id;
    void *user;
} worker_op;

uint64_t kv__monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Append EVENT to the owner's queue and poke the owner's fd. Only an event that finds the queue
 * empty writes a byte: the owner drains the pipe before it swaps the queue out, so any event left
 * after a swap was appended to an empty queue and its byte is still in the pipe. (A byte per
 * event made pipelined workloads spend their time in write().) */
void kv__worker_post(void *client_ptr, kv_event *event)
{
    kv_client *client = client_ptr;
    event->next = NULL;
    uv_mutex_lock(&client->lock);
    bool was_empty = client->events_head == NULL;
    if (client->events_tail)
        client->events_tail->next = event;
    else
        client->events_head = event;
    client->events_tail = event;
    uv_mutex_unlock(&client->lock);
    char byte = 1;
    while (was_empty && write(client->pipe_write, &byte, 1) < 0 && errno == EINTR)
        ;
}

static void maybe_finish_close(kv_client *client);

static void free_job(kv__job *job)
{
    kv_request_free(job->request);
    free(job->text);
    free(job->id_field);
    free(job);
}

static void op_completed(kv__op *op)
{
    worker_op *wop = op->owner;
    kv_client *client = wop->client;
    kv_event *event = kv__event_new(KV_EVENT_RESULT, wop->id, wop->user);
    event->result = op->result;
    event->result.op = op->request->op;
    memcpy(event->result.key, op->request->key, sizeof event->result.key);
    event->result.key_len = op->request->key_len <= KV_KEY_MAX ? op->request->key_len : KV_KEY_MAX;
    event->result.latency_us = (kv__monotonic_ns() - op->started_ns) / 1000;
    kv_request_free(op->request);
    free(wop);
    client->ops_in_flight--;
    kv__worker_post(client, event);
    maybe_finish_close(client);
}

/* Read-only stores refuse every mutation, and get-and-touch, which changes the expiry. */
static bool refused_by_read_only(const kv_client *client, const kv_request *request)
{
    return client->options.read_only && (kv_op_is_mutation(request->op) || request->has_ttl);
}

static void run_op(kv_client *client, kv__job *job)
{
    worker_op *wop = calloc(1, sizeof *wop);
    wop->client = client;
    wop->id = job->id;
    wop->user = job->user;
    wop->op.request = job->request;
    wop->op.owner = wop;
    wop->op.on_complete = op_completed;
    wop->op.started_ns = job->submitted_ns;
    wop->op.result.expiry = 0;
    job->request = NULL;
    client->ops_in_flight++;
    kv__op *op = &wop->op;
    if (client->closing)
        kv__op_fail(op, KV_ERR_CANCELLED, "the store is closing");
    else if (refused_by_read_only(client, op->request))
        kv__op_fail(op, KV_ERR_NOT_SUPPORTED, "the store was opened read-only");
    else if ((op->result.status = kv_request_check(op->request, op->result.message,
                                                   sizeof op->result.message)) == KV_OK) {
        client->ops->execute(client->backend, op);
        return;
    }
    kv__op_complete(op);
}

static void forget_active(kv_client *client, uint64_t id)
{
    for (kv__active **p = &client->active; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            kv__active *dead = *p;
            *p = dead->next;
            free(dead);
            return;
        }
    }
}

static void remember_active(kv_client *client, uint64_t id, kv__stream *stream,
                            kv__transfer *transfer)
{
    kv__active *active = calloc(1, sizeof *active);
    active->id = id;
    active->stream = stream;
    active->transfer = transfer;
    active->next = client->active;
    client->active = active;
}

static void scan_batch(kv__stream *stream, kv__key_batch *batch)
{
    kv_event *event = kv__event_new(KV_EVENT_KEYS, stream->id, stream->user);
    kv__key_batch_move_to_event(batch, event);
    kv__worker_post(stream->owner, event);
}

static void scan_done(kv__stream *stream, kv_status status, const char *message)
{
    kv_client *client = stream->owner;
    kv_event *event = kv__event_new(KV_EVENT_DONE, stream->id, stream->user);
    event->status = status;
    event->items = stream->emitted;
    snprintf(event->message, sizeof event->message, "%s", message ? message : "");
    kv__worker_post(client, event);
    forget_active(client, stream->id);
    free(stream->glob);
    free(stream);
    maybe_finish_close(client);
}

static void run_scan(kv_client *client, kv__job *job)
{
    kv__stream *stream = calloc(1, sizeof *stream);
    stream->id = job->id;
    stream->user = job->user;
    stream->glob = job->text;
    job->text = NULL;
    stream->batch_size = job->batch ? job->batch : 1000;
    stream->limit = job->limit;
    stream->on_batch = scan_batch;
    stream->on_done = scan_done;
    stream->owner = client;
    remember_active(client, job->id, stream, NULL);
    if (client->closing)
        kv__stream_finish(stream, KV_ERR_CANCELLED, "the store is closing");
    else
        client->ops->scan(client->backend, stream);
}

static void run_changes(kv_client *client, kv__job *job)
{
    kv_event *event = kv__event_new(KV_EVENT_CHANGES, job->id, job->user);
    if (!client->ops->changes) {
        event->status = KV_ERR_NOT_SUPPORTED;
        snprintf(event->message, sizeof event->message,
                 "the %s store has no change sequence", client->ops->name);
    } else {
        event->status = client->ops->changes(client->backend, job->since, job->limit, event);
    }
    kv__worker_post(client, event);
}

static void transfer_finished(void *client_ptr, kv__transfer *transfer)
{
    kv_client *client = client_ptr;
    for (kv__active *a = client->active; a; a = a->next) {
        if (a->transfer == transfer) {
            forget_active(client, a->id);
            break;
        }
    }
    maybe_finish_close(client);
}

static void run_transfer(kv_client *client, kv__job *job)
{
    kv__transfer_env env = {
        .loop = &client->loop, .ops = client->ops, .backend = client->backend,
        .read_only = client->options.read_only, .post = kv__worker_post,
        .finished = transfer_finished, .worker = client};
    /* Register first: a transfer may finish (and call transfer_finished) before returning. */
    remember_active(client, job->id, NULL, NULL);
    kv__transfer *transfer = job->kind == KV__JOB_IMPORT
                                 ? kv__import_start(&env, job->id, job->user, job->text, job->id_field)
                                 : kv__export_start(&env, job->id, job->user, job->text);
    for (kv__active *a = client->active; a; a = a->next)
        if (a->id == job->id && !a->stream)
            a->transfer = transfer;
    if (client->closing && transfer)
        kv__transfer_cancel(transfer);
}

/* May finish the stream at once, which frees ACTIVE: touch nothing of it afterwards. */
static void cancel_active(kv_client *client, kv__active *active)
{
    if (active->cancelled)
        return;
    active->cancelled = true;
    if (active->stream) {
        active->stream->cancelled = true;
        if (client->ops->scan_cancel)
            client->ops->scan_cancel(client->backend, active->stream);
    } else if (active->transfer) {
        kv__transfer_cancel(active->transfer);
    }
}

static void run_cancel(kv_client *client, uint64_t id)
{
    for (kv__active *a = client->active; a; a = a->next) {
        if (a->id == id) {
            cancel_active(client, a);
            return;
        }
    }
}

static void wake_closed(uv_handle_t *handle)
{
    (void)handle;
}

static void backend_closed(void *client_ptr)
{
    kv_client *client = client_ptr;
    client->backend_closed = true;
    uv_close((uv_handle_t *)&client->wake, wake_closed);
}

/* Close the backend once nothing is running any more; the loop then runs out of handles. */
static void maybe_finish_close(kv_client *client)
{
    if (!client->closing || client->active || client->ops_in_flight || client->backend_closed)
        return;
    client->backend_closed = true; /* guards against re-entry while closing */
    client->ops->close(client->backend, backend_closed, client);
}

static void run_close(kv_client *client)
{
    client->closing = true;
    /* cancel_active may finish a stream synchronously, which unlinks it: walk a snapshot. */
    uint64_t ids[64];
    size_t n;
    do {
        n = 0;
        for (kv__active *a = client->active; a && n < 64; a = a->next)
            if (!a->cancelled)
                ids[n++] = a->id;
        for (size_t i = 0; i < n; i++)
            run_cancel(client, ids[i]);
    } while (n == 64);
    maybe_finish_close(client);
}

static void run_job(kv_client *client, kv__job *job)
{
    switch (job->kind) {
    case KV__JOB_OP:
        run_op(client, job);
        break;
    case KV__JOB_SCAN:
        run_scan(client, job);
        break;
    case KV__JOB_CHANGES:
        run_changes(client, job);
        break;
    case KV__JOB_IMPORT:
    case KV__JOB_EXPORT:
        run_transfer(client, job);
        break;
    case KV__JOB_CANCEL:
        run_cancel(client, job->since);
        break;
    case KV__JOB_CLOSE:
        run_close(client);
        break;
    }
    free_job(job);
}

/* Wakeups coalesce: take the whole queue under the lock, then run it in order. */
void kv__worker_on_wake(uv_async_t *handle)
{
    kv_client *client = handle->data;
    uv_mutex_lock(&client->lock);
    kv__job *job = client->jobs_head;
    client->jobs_head = client->jobs_tail = NULL;
    uv_mutex_unlock(&client->lock);
    while (job) {
        kv__job *next = job->next;
        run_job(client, job);
        job = next;
    }
}

void kv__worker_main(void *client_ptr)
{
    kv_client *client = client_ptr;
    client->wake.data = client;
    client->open_status = client->ops->open(&client->spec, &client->options, &client->loop,
                                            &client->backend, client->open_error,
                                            sizeof client->open_error);
    if (client->open_status != KV_OK)
        uv_close((uv_handle_t *)&client->wake, wake_closed);
    uv_sem_post(&client->opened);
    uv_run(&client->loop, UV_RUN_DEFAULT);
    client->loop_close_status = uv_loop_close(&client->loop);
}

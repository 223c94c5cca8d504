/* The owner's side of a client: open, submit jobs, poll events, close. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_internal.h"
#include "util_alloc.h"

static const kv__backend_ops *backend_for(kv_backend_kind kind)
{
    switch (kind) {
    case KV_BACKEND_EMBEDDED:
        return &kv__embedded_backend;
    case KV_BACKEND_MEMCACHED:
        return &kv__memcached_backend;
    case KV_BACKEND_COUCHBASE:
        return &kv__couchbase_backend;
    default:
        return NULL;
    }
}

static kv_status fail_open(kv_client *client, kv_status status, char *errbuf, size_t errbuf_len,
                           const char *message)
{
    if (message != errbuf)
        snprintf(errbuf, errbuf_len, "%s", message);
    if (client) {
        kv_connspec_free(&client->spec);
        free(client->password);
        free(client);
    }
    return status;
}

static kv_status start_worker(kv_client *client)
{
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
        return KV_ERR_INTERNAL;
    client->pipe_read = fds[0];
    client->pipe_write = fds[1];
    uv_mutex_init(&client->lock);
    uv_sem_init(&client->opened, 0);
    uv_loop_init(&client->loop);
    uv_async_init(&client->loop, &client->wake, kv__worker_on_wake);
    return KV_OK;
}

static void stop_worker_resources(kv_client *client)
{
    uv_sem_destroy(&client->opened);
    uv_mutex_destroy(&client->lock);
    close(client->pipe_read);
    close(client->pipe_write);
}

kv_status kv_client_open(const char *connstr, const kv_open_options *options, kv_client **out,
                         char *errbuf, size_t errbuf_len)
{
    *out = NULL;
    kv_client *client = calloc(1, sizeof *client);
    if (!client)
        return fail_open(NULL, KV_ERR_INTERNAL, errbuf, errbuf_len, "out of memory");
    kv_status status = kv_connspec_parse(connstr, &client->spec, errbuf, errbuf_len);
    if (status != KV_OK)
        return fail_open(client, status, errbuf, errbuf_len, errbuf);
    client->ops = backend_for(client->spec.kind);
    if (!client->ops)
        return fail_open(client, KV_ERR_NOT_SUPPORTED, errbuf, errbuf_len,
                         "this build has no backend for that connection string yet");
    if (options)
        client->options = *options;
    client->password = options && options->password ? strdup(options->password) : NULL;
    client->options.password = client->password;
    if (start_worker(client) != KV_OK)
        return fail_open(client, KV_ERR_INTERNAL, errbuf, errbuf_len, strerror(errno));
    uv_thread_create(&client->thread, kv__worker_main, client);
    uv_sem_wait(&client->opened);
    if (client->open_status != KV_OK) {
        uv_thread_join(&client->thread);
        stop_worker_resources(client);
        return fail_open(client, client->open_status, errbuf, errbuf_len, client->open_error);
    }
    *out = client;
    return KV_OK;
}

const char *kv_client_backend_name(const kv_client *client)
{
    return client->ops->name;
}

const char *kv_client_warning(const kv_client *client)
{
    if (client->spec.tls && !client->spec.verify)
        return "TLS certificate verification is off (verify=false): the connection is "
               "encrypted, but anyone in the middle can pose as the server";
    return NULL;
}

int kv_client_fd(const kv_client *client)
{
    return client->pipe_read;
}

static uint64_t enqueue(kv_client *client, kv__job *job)
{
    job->submitted_ns = kv__monotonic_ns();
    uv_mutex_lock(&client->lock);
    job->id = ++client->next_id;
    if (client->jobs_tail)
        client->jobs_tail->next = job;
    else
        client->jobs_head = job;
    client->jobs_tail = job;
    uint64_t id = job->id;
    uv_mutex_unlock(&client->lock);
    uv_async_send(&client->wake);
    return id;
}

static kv__job *new_job(kv__job_kind kind, void *user)
{
    kv__job *job = calloc(1, sizeof *job);
    if (!job) {
        kv__out_of_memory();
    }
    job->kind = kind;
    job->user = user;
    return job;
}

uint64_t kv_client_submit(kv_client *client, kv_request *request, void *user)
{
    kv__job *job = new_job(KV__JOB_OP, user);
    job->request = request;
    return enqueue(client, job);
}

uint64_t kv_client_scan(kv_client *client, const char *glob, size_t batch, size_t limit,
                        void *user)
{
    kv__job *job = new_job(KV__JOB_SCAN, user);
    job->text = glob && *glob ? strdup(glob) : NULL;
    job->batch = batch;
    job->limit = limit;
    return enqueue(client, job);
}

uint64_t kv_client_changes(kv_client *client, uint64_t since, size_t limit, void *user)
{
    kv__job *job = new_job(KV__JOB_CHANGES, user);
    job->since = since;
    job->limit = limit ? limit : 1000;
    return enqueue(client, job);
}

uint64_t kv_client_import(kv_client *client, const char *path, const char *id_field, void *user)
{
    kv__job *job = new_job(KV__JOB_IMPORT, user);
    job->text = strdup(path);
    job->id_field = id_field ? strdup(id_field) : NULL;
    return enqueue(client, job);
}

uint64_t kv_client_export(kv_client *client, const char *path, void *user)
{
    kv__job *job = new_job(KV__JOB_EXPORT, user);
    job->text = strdup(path);
    return enqueue(client, job);
}

void kv_client_cancel(kv_client *client, uint64_t id)
{
    kv__job *job = new_job(KV__JOB_CANCEL, NULL);
    job->since = id;
    enqueue(client, job);
}

/* Drain the pipe before taking the queue, so a byte written after the swap is never lost. */
kv_event *kv_client_poll(kv_client *client)
{
    char buf[256];
    while (read(client->pipe_read, buf, sizeof buf) > 0)
        ;
    uv_mutex_lock(&client->lock);
    kv_event *events = client->events_head;
    client->events_head = client->events_tail = NULL;
    uv_mutex_unlock(&client->lock);
    return events;
}

bool kv_client_wait(kv_client *client, int timeout_ms)
{
    struct pollfd pfd = {.fd = client->pipe_read, .events = POLLIN};
    int rc;
    while ((rc = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    return rc > 0;
}

static void free_events(kv_event *events)
{
    while (events) {
        kv_event *next = events->next;
        kv_event_free(events);
        events = next;
    }
}

kv_status kv_client_call(kv_client *client, kv_request *request, kv_result *result)
{
    uint64_t id = kv_client_submit(client, request, NULL);
    for (;;) {
        kv_client_wait(client, -1);
        for (kv_event *e = kv_client_poll(client); e;) {
            kv_event *next = e->next;
            if (e->type == KV_EVENT_RESULT && e->id == id) {
                *result = e->result;
                e->result.value = NULL;
                free_events(next);
                kv_event_free(e);
                return result->status;
            }
            kv_event_free(e);
            e = next;
        }
    }
}

void kv_client_close(kv_client *client)
{
    if (!client)
        return;
    enqueue(client, new_job(KV__JOB_CLOSE, NULL));
    uv_thread_join(&client->thread);
    if (client->loop_close_status != 0)
        fprintf(stderr, "kvtui: internal error: the worker loop still had open handles\n");
    free_events(kv_client_poll(client));
    uv_mutex_lock(&client->lock);
    kv__job *job = client->jobs_head;
    uv_mutex_unlock(&client->lock);
    while (job) {
        kv__job *next = job->next;
        kv_request_free(job->request);
        free(job->text);
        free(job->id_field);
        free(job);
        job = next;
    }
    stop_worker_resources(client);
    kv_connspec_free(&client->spec);
    free(client->password);
    free(client);
}

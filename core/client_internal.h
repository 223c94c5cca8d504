/*
 * client_internal.h - the client object shared by the owner side (client.c) and the worker
 * thread (worker.c). Fields are grouped by which thread may touch them.
 */
#ifndef KV_CLIENT_INTERNAL_H
#define KV_CLIENT_INTERNAL_H

#include <uv.h>

#include "backend.h"
#include "transfer.h"

typedef enum kv__job_kind {
    KV__JOB_OP,
    KV__JOB_SCAN,
    KV__JOB_CHANGES,
    KV__JOB_IMPORT,
    KV__JOB_EXPORT,
    KV__JOB_CANCEL,
    KV__JOB_CLOSE
} kv__job_kind;

/* A request on its way from any thread to the worker. */
typedef struct kv__job {
    struct kv__job *next;
    kv__job_kind kind;
    uint64_t id;
    void *user;
    kv_request *request; /* OP */
    char *text;          /* SCAN glob, IMPORT/EXPORT path */
    char *id_field;      /* IMPORT */
    size_t batch;        /* SCAN */
    size_t limit;        /* SCAN, CHANGES */
    uint64_t since;      /* CHANGES; CANCEL: the id to cancel */
    uint64_t submitted_ns;
} kv__job;

/* A stream or transfer the worker is running, so it can be cancelled or awaited at close. */
typedef struct kv__active {
    struct kv__active *next;
    uint64_t id;
    kv__stream *stream;     /* or */
    kv__transfer *transfer;
    bool cancelled;
} kv__active;

struct kv_client {
    /* Set at open, read-only afterwards: any thread. */
    kv_connspec spec;
    kv_open_options options;
    char *password;
    const kv__backend_ops *ops;
    int pipe_read;
    int pipe_write;

    /* Guarded by lock: any thread. */
    uv_mutex_t lock;
    kv__job *jobs_head, *jobs_tail;
    kv_event *events_head, *events_tail;
    uint64_t next_id;

    /* The worker thread only. */
    uv_loop_t loop;
    uv_async_t wake;
    uv_thread_t thread;
    void *backend;
    kv__active *active;
    size_t ops_in_flight;
    bool closing;
    bool backend_closed;

    /* Handshake between kv_client_open and the worker's start. */
    uv_sem_t opened;
    kv_status open_status;
    char open_error[256];
    int loop_close_status;
};

/* Worker side (worker.c). */
void kv__worker_main(void *client);
void kv__worker_post(void *client, kv_event *event);
void kv__worker_on_wake(uv_async_t *handle);
uint64_t kv__monotonic_ns(void);

#endif /* KV_CLIENT_INTERNAL_H */

/* The embedded store's vtable (run by the worker) and a synchronous door for tests and benchmarks. */
#include <stdlib.h>

#include "embedded_internal.h"

static kv_status state_open(const char *path, uv_loop_t *loop, bool read_only,
                            kv__embedded **out, char *errbuf, size_t errbuf_len)
{
    kv__embedded *state = calloc(1, sizeof *state);
    if (!state)
        return KV_ERR_INTERNAL;
    kv_status status = kv__env_acquire(path, &state->env, errbuf, errbuf_len);
    if (status != KV_OK) {
        free(state);
        return status;
    }
    state->loop = loop;
    state->read_only = read_only;
    if (loop && !read_only)
        kv__sweep_start(state);
    *out = state;
    return KV_OK;
}

static void state_free(kv__embedded *state)
{
    kv__env_release(state->env);
    free(state);
}

static kv_status embedded_open(const kv_connspec *spec, const kv_open_options *options,
                               uv_loop_t *loop, void **state, char *errbuf, size_t errbuf_len)
{
    kv__embedded *s = NULL;
    kv_status status = state_open(spec->path, loop, options && options->read_only, &s, errbuf,
                                  errbuf_len);
    *state = s;
    return status;
}

void kv__embedded_handle_closed(kv__embedded *state)
{
    if (--state->pending_closes > 0 || !state->close_done)
        return;
    void (*done)(void *) = state->close_done;
    void *arg = state->close_arg;
    state_free(state);
    done(arg);
}

static void sweep_timer_closed(uv_handle_t *handle)
{
    kv__embedded_handle_closed(handle->data);
}

/* Close the handles first; the env goes (with its last reference) once they are all closed. */
static void embedded_close(void *state_ptr, void (*done)(void *arg), void *arg)
{
    kv__embedded *state = state_ptr;
    state->close_done = done;
    state->close_arg = arg;
    state->pending_closes++; /* held until every close below is issued */
    kv__embedded_scans_close(state);
    kv__sweep_close(state, sweep_timer_closed);
    kv__embedded_handle_closed(state);
}

static void embedded_execute(void *state, kv__op *op)
{
    kv__embedded_run(state, &op, 1);
    kv__op_complete(op);
}

static void embedded_execute_batch(void *state, kv__op **ops, size_t count)
{
    kv__embedded_run(state, ops, count);
    for (size_t i = 0; i < count; i++)
        kv__op_complete(ops[i]);
}

const kv__backend_ops kv__embedded_backend = {
    .name = "embedded",
    .open = embedded_open,
    .close = embedded_close,
    .execute = embedded_execute,
    .execute_batch = embedded_execute_batch,
    .scan = kv__embedded_scan,
    .scan_cancel = kv__embedded_scan_cancel,
    .changes = kv__embedded_changes,
};

kv_status kv__embedded_open_direct(const char *path, kv__embedded **state, char *errbuf,
                                   size_t errbuf_len)
{
    return state_open(path, NULL, false, state, errbuf, errbuf_len);
}

void kv__embedded_execute_direct(kv__embedded *state, kv__op *op)
{
    kv__embedded_run(state, &op, 1);
}

void kv__embedded_execute_batch_direct(kv__embedded *state, kv__op **ops, size_t count)
{
    kv__embedded_run(state, ops, count);
}

void kv__embedded_close_direct(kv__embedded *state)
{
    if (state)
        state_free(state);
}

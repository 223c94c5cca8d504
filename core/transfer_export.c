/* JSON Lines export: scan with values and write one kv_result_to_json line per document to
 * PATH.tmp, renamed to PATH once complete, so a failed export never leaves half a file behind. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transfer_internal.h"
#include "util_alloc.h"

#define EXPORT_SCAN_BATCH 1000
#define EXPORT_WRITE_BUFFER (1u << 20)

typedef struct export_state {
    char *path;
    char *tmp_path;
    FILE *out;
    kv__stream *stream;
    bool scanning;
    int write_errno;
    uint64_t items;
    uint64_t bytes;
} export_state;

static void export_fail_write(kv__transfer *transfer)
{
    export_state *state = transfer->state;
    if (state->write_errno == 0)
        state->write_errno = errno ? errno : EIO;
    state->stream->cancelled = true; /* the backend stops at its next batch */
}

static bool write_line(export_state *state, const char *json)
{
    size_t len = strlen(json);
    if (fwrite(json, 1, len, state->out) != len || fputc('\n', state->out) == EOF)
        return false;
    state->bytes += len + 1;
    state->items++;
    return true;
}

/* Writes each document of BATCH as one line: the keys and values live in the batch arena. */
static void export_batch(kv__stream *stream, kv__key_batch *batch)
{
    kv__transfer *transfer = stream->owner;
    export_state *state = transfer->state;
    kv_result result;
    for (size_t i = 0; i < batch->count && state->write_errno == 0; i++) {
        const kv_key_info *info = &batch->keys[i];
        memset(&result, 0, sizeof result);
        result.op = KV_OP_GET;
        result.status = KV_OK;
        result.key_len = info->key_len;
        memcpy(result.key, batch->arena + batch->key_offsets[i], info->key_len);
        result.flags = info->flags;
        result.cas = info->cas;
        result.expiry = info->expiry;
        result.value = (uint8_t *)kv__key_batch_value(batch, i, &result.value_len);
        char *json = kv_result_to_json(&result, true);
        if (!write_line(state, json))
            export_fail_write(transfer);
        free(json);
    }
    kv__transfer_progress(transfer, state->items, state->bytes, 0, false);
}

/* Flushes and syncs PATH.tmp, then moves it over PATH. False with errno set on failure. */
static bool export_commit(export_state *state)
{
    FILE *out = state->out;
    state->out = NULL;
    bool ok = fflush(out) == 0 && fsync(fileno(out)) == 0;
    int saved = errno;
    if (fclose(out) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(state->tmp_path, state->path) != 0) {
        ok = false;
        saved = errno;
    }
    errno = saved;
    return ok;
}

static void export_discard(export_state *state)
{
    if (state->out)
        fclose(state->out);
    state->out = NULL;
    unlink(state->tmp_path);
}

static void export_done(kv__stream *stream, kv_status status, const char *message)
{
    kv__transfer *transfer = stream->owner;
    export_state *state = transfer->state;
    char text[256];
    state->scanning = false;
    if (state->write_errno != 0) {
        status = KV_ERR_INTERNAL;
        snprintf(text, sizeof text, "writing %s: %s", state->tmp_path, strerror(state->write_errno));
    } else if (status == KV_OK && !export_commit(state)) {
        status = KV_ERR_INTERNAL;
        snprintf(text, sizeof text, "writing %s: %s", state->path, strerror(errno));
    } else if (status == KV_OK) {
        snprintf(text, sizeof text, "exported %" PRIu64 " documents to %s", state->items,
                 state->path);
    } else {
        snprintf(text, sizeof text, "%s", message && message[0] ? message : kv_status_name(status));
    }
    if (status != KV_OK)
        export_discard(state);
    kv__transfer_progress(transfer, state->items, state->bytes, 0, true);
    kv__transfer_finish(transfer, status, state->items, text);
}

static kv__stream *export_stream(kv__transfer *transfer)
{
    kv__stream *stream = calloc(1, sizeof *stream);
    if (!stream) {
        kv__out_of_memory();
    }
    stream->id = transfer->id;
    stream->user = transfer->user;
    stream->batch_size = EXPORT_SCAN_BATCH;
    stream->want_values = true;
    stream->on_batch = export_batch;
    stream->on_done = export_done;
    stream->owner = transfer;
    return stream;
}

static bool export_open_file(export_state *state)
{
    int fd = open(state->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    state->out = fdopen(fd, "w");
    if (!state->out) {
        close(fd);
        return false;
    }
    setvbuf(state->out, NULL, _IOFBF, EXPORT_WRITE_BUFFER);
    return true;
}

/* Runs once, on the loop turn after the start, and hands the scan to the backend. */
static void export_begin(uv_idle_t *idle)
{
    kv__transfer *transfer = idle->data;
    export_state *state = transfer->state;
    char why[256];
    uv_idle_stop(idle);
    if (transfer->cancelled) {
        kv__transfer_finish(transfer, KV_ERR_CANCELLED, 0, "cancelled");
        return;
    }
    if (!transfer->env.ops->scan) {
        kv__transfer_finish(transfer, KV_ERR_NOT_SUPPORTED, 0,
                            "this store cannot list its keys, so it cannot be exported");
        return;
    }
    if (!export_open_file(state)) {
        snprintf(why, sizeof why, "cannot create %s: %s", state->tmp_path, strerror(errno));
        kv__transfer_finish(transfer, KV_ERR_ARGUMENT, 0, why);
        return;
    }
    state->scanning = true;
    transfer->env.ops->scan(transfer->env.backend, state->stream);
}

static void export_cancel(kv__transfer *transfer)
{
    export_state *state = transfer->state;
    if (!state->scanning)
        return; /* not started: export_begin sees transfer->cancelled */
    state->stream->cancelled = true;
    if (transfer->env.ops->scan_cancel)
        transfer->env.ops->scan_cancel(transfer->env.backend, state->stream);
}

static void export_free(kv__transfer *transfer)
{
    export_state *state = transfer->state;
    if (state->out)
        export_discard(state);
    free(state->stream);
    free(state->path);
    free(state->tmp_path);
    free(state);
}

kv__transfer *kv__export_start(const kv__transfer_env *env, uint64_t id, void *user,
                               const char *path)
{
    export_state *state = calloc(1, sizeof *state);
    if (!state) {
        kv__out_of_memory();
    }
    state->path = strdup(path ? path : "");
    size_t n = strlen(state->path);
    state->tmp_path = malloc(n + 5);
    if (!state->path || !state->tmp_path) {
        kv__out_of_memory();
    }
    memcpy(state->tmp_path, state->path, n);
    memcpy(state->tmp_path + n, ".tmp", 5);
    kv__transfer *transfer = kv__transfer_new(env, id, user, export_begin);
    transfer->state = state;
    transfer->cancel = export_cancel;
    transfer->free_state = export_free;
    state->stream = export_stream(transfer);
    return transfer;
}

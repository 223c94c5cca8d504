/* JSON Lines import on the worker loop. A threadpool job reads and parses the next batch
 * (transfer_import_read.c) while the loop stores the previous one, so parsing overlaps with the
 * store's commits. At most one batch is being read. The embedded store finishes a batch inside
 * its execute call; a network store answers later, so the next batch is handed over when half of
 * the previous one is answered: the pipeline to the server never drains between batches, and at
 * most one and a half batches are in flight. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transfer_internal.h"
#include "util_alloc.h"

#define IMPORT_REFILL_AT (KV__IMPORT_BATCH / 2)

typedef struct import_state {
    char *path;
    int open_errno;
    uint64_t file_size;
    kv__import_reader reader; /* belongs to the read job while `reading` */
    uv_work_t read_work;
    bool started;
    bool reading;
    kv__import_batch *incoming; /* written by the read job */
    kv__import_batch *ready;    /* parsed, waiting for the backend */
    kv__op **ops;               /* the batch with the backend (one slot per entry) */
    size_t in_flight;
    bool end_of_file;
    int read_errno;
    uint64_t consumed;
    uint64_t stored;
    kv__import_problems problems;
} import_state;

static void import_step(uv_idle_t *idle);

static void import_op_done(kv__op *op)
{
    kv__import_op *iop = (kv__import_op *)op;
    kv__transfer *transfer = op->owner;
    import_state *state = transfer->state;
    if (op->result.status == KV_OK) {
        state->stored++;
    } else {
        char message[160];
        snprintf(message, sizeof message, "%.*s: %s%s%.100s", (int)op->request->key_len,
                 op->request->key, kv_status_name(op->result.status),
                 op->result.message[0] ? ": " : "", op->result.message);
        kv__import_problem(&state->problems, iop->line, op->result.status, message);
    }
    kv_request_free(op->request);
    kv_result_clear(&op->result);
    free(iop);
    --state->in_flight;
    if ((state->in_flight == IMPORT_REFILL_AT || state->in_flight == 0) && !transfer->finishing)
        uv_idle_start(&transfer->idle, import_step); /* not from inside the backend's call */
}

static void read_job(uv_work_t *work)
{
    kv__transfer *transfer = work->data;
    import_state *state = transfer->state;
    state->incoming = kv__import_read_batch(&state->reader);
}

static void read_job_done(uv_work_t *work, int status)
{
    (void)status;
    kv__transfer *transfer = work->data;
    import_state *state = transfer->state;
    kv__import_batch *batch = state->incoming;
    state->incoming = NULL;
    state->reading = false;
    kv__import_problems_merge(&state->problems, &batch->problems);
    state->end_of_file = batch->end_of_file;
    state->read_errno = batch->read_errno;
    state->consumed = batch->consumed;
    state->ready = batch;
    uv_idle_start(&transfer->idle, import_step);
}

static void start_reading(kv__transfer *transfer)
{
    import_state *state = transfer->state;
    state->reading = true;
    state->read_work.data = transfer;
    uv_queue_work(transfer->env.loop, &state->read_work, read_job, read_job_done);
}

/* One upsert for ENTRY, or NULL (and a problem noted) when the rules refuse it. */
static kv__op *entry_op(kv__transfer *transfer, const kv__import_batch *batch,
                        const kv__import_entry *entry)
{
    import_state *state = transfer->state;
    char errbuf[160];
    kv_request *request =
        kv_request_new(KV_OP_UPSERT, (const char *)batch->bytes + entry->key_offset,
                       entry->key_len);
    uint8_t *value = malloc(entry->value_len ? entry->value_len : 1);
    kv__import_op *iop = calloc(1, sizeof *iop);
    if (!request || !value || !iop) {
        kv__out_of_memory();
    }
    memcpy(value, batch->bytes + entry->value_offset, entry->value_len);
    request->value = value;
    request->value_len = entry->value_len;
    request->flags = entry->flags;
    request->format = kv_format_of_flags(entry->flags);
    request->ttl = entry->ttl;
    request->has_ttl = entry->ttl != 0;
    kv_status status = kv_request_check(request, errbuf, sizeof errbuf);
    if (status != KV_OK) {
        kv__import_problem(&state->problems, entry->line, status, errbuf);
        kv_request_free(request);
        free(iop);
        return NULL;
    }
    iop->line = entry->line;
    iop->op.request = request;
    iop->op.on_complete = import_op_done;
    iop->op.owner = transfer;
    iop->op.started_ns = uv_hrtime();
    return &iop->op;
}

/* Hands BATCH to the backend as upserts; the embedded store commits them in one transaction.
 * False when no line of the batch made an upsert. */
static bool submit_batch(kv__transfer *transfer, kv__import_batch *batch)
{
    import_state *state = transfer->state;
    kv__op **ops = state->ops;
    size_t count = 0;
    for (size_t i = 0; i < batch->count; i++) {
        kv__op *op = entry_op(transfer, batch, &batch->entries[i]);
        if (op)
            ops[count++] = op;
    }
    kv__import_batch_free(batch);
    if (count == 0)
        return false;
    state->in_flight += count;
    const kv__backend_ops *backend = transfer->env.ops;
    if (backend->execute_batch) {
        backend->execute_batch(transfer->env.backend, ops, count);
        return true;
    }
    for (size_t i = 0; i < count; i++)
        backend->execute(transfer->env.backend, ops[i]);
    return true;
}

static void import_finish(kv__transfer *transfer, kv_status status, const char *why)
{
    import_state *state = transfer->state;
    char message[512]; /* cut to the event's 256 bytes by kv__transfer_finish */
    char problems[300];
    if (why) {
        snprintf(message, sizeof message, "%s (imported %" PRIu64 " documents)", why,
                 state->stored);
    } else if (state->problems.count == 0) {
        snprintf(message, sizeof message, "imported %" PRIu64 " document%s", state->stored,
                 state->stored == 1 ? "" : "s");
    } else {
        kv__import_problems_describe(&state->problems, problems, sizeof problems);
        snprintf(message, sizeof message, "imported %" PRIu64 " documents, %s", state->stored,
                 problems);
        status = state->problems.first;
    }
    kv__transfer_finish(transfer, status, state->stored, message);
}

/* Ends the import once nothing is being read or stored any more. */
static void finish_when_idle(kv__transfer *transfer)
{
    import_state *state = transfer->state;
    if (state->reading || state->in_flight > 0)
        return;
    if (transfer->cancelled) {
        import_finish(transfer, KV_ERR_CANCELLED, "cancelled");
    } else if (state->read_errno) {
        char why[300];
        snprintf(why, sizeof why, "reading %s: %s", state->path, strerror(state->read_errno));
        import_finish(transfer, KV_ERR_INTERNAL, why);
    } else {
        import_finish(transfer, KV_OK, NULL);
    }
}

/* One step of the pipeline: start the next read, then store the batch that is ready. */
static void import_step(uv_idle_t *idle)
{
    kv__transfer *transfer = idle->data;
    import_state *state = transfer->state;
    uv_idle_stop(idle);
    if (transfer->finishing || state->in_flight > IMPORT_REFILL_AT)
        return;
    if (!state->started) {
        state->started = true;
        start_reading(transfer);
        return;
    }
    kv__import_batch *batch = state->ready;
    state->ready = NULL;
    bool more = !state->end_of_file && state->read_errno == 0;
    if (batch && more && !transfer->cancelled && !state->reading)
        start_reading(transfer);
    kv__transfer_progress(transfer, state->stored, state->consumed, state->file_size, false);
    if (batch && !transfer->cancelled && submit_batch(transfer, batch))
        return;
    if (batch && transfer->cancelled)
        kv__import_batch_free(batch);
    finish_when_idle(transfer);
}

static void import_cancel(kv__transfer *transfer)
{
    uv_idle_start(&transfer->idle, import_step); /* the next step sees transfer->cancelled */
}

static void import_free(kv__transfer *transfer)
{
    import_state *state = transfer->state;
    if (state->ready)
        kv__import_batch_free(state->ready);
    free(state->ops);
    kv__import_reader_free(&state->reader);
    free(state->path);
    free(state);
}

/* The first step reports a refusal found at start, so no transfer ends inside its start call. */
static void import_refuse(uv_idle_t *idle)
{
    kv__transfer *transfer = idle->data;
    import_state *state = transfer->state;
    char why[256];
    if (transfer->env.read_only) {
        kv__transfer_finish(transfer, KV_ERR_NOT_SUPPORTED,
                            0, "import needs a writable store; it was opened read-only");
        return;
    }
    snprintf(why, sizeof why, "cannot open %s: %s", state->path, strerror(state->open_errno));
    kv__transfer_finish(transfer, KV_ERR_ARGUMENT, 0, why);
}

static char *quote_field(const char *id_field)
{
    size_t n = strlen(id_field);
    char *quoted = kv__xcalloc(n + 3, 1);
    quoted[0] = '"';
    memcpy(quoted + 1, id_field, n);
    quoted[n + 1] = '"';
    return quoted;
}

kv__transfer *kv__import_start(const kv__transfer_env *env, uint64_t id, void *user,
                               const char *path, const char *id_field)
{
    import_state *state = kv__xcalloc(1, sizeof *state);
    state->path = strdup(path ? path : "");
    state->ops = kv__xcalloc(KV__IMPORT_BATCH, sizeof *state->ops);
    state->reader.id_field = id_field && id_field[0] ? quote_field(id_field) : NULL;
    state->reader.fd = env->read_only ? -1 : open(state->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int fd = state->reader.fd;
    bool usable = fd >= 0 && fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode);
    if (!usable && !env->read_only)
        state->open_errno = fd >= 0 ? EISDIR : errno;
    else if (usable)
        state->file_size = (uint64_t)st.st_size;
    kv__transfer *transfer = kv__transfer_new(env, id, user, usable ? import_step : import_refuse);
    transfer->state = state;
    transfer->cancel = import_cancel;
    transfer->free_state = import_free;
    return transfer;
}

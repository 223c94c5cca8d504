/* JSON Lines import: read the file in slices on the worker loop, parse each line
 * (transfer_line.c) and upsert the documents in batches. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transfer_internal.h"

#define IMPORT_BATCH 5000
#define IMPORT_BATCH_BYTES (16u << 20)
#define IMPORT_READ_CHUNK (1u << 20)
/* A 20 MiB value is 27 MiB of base64: allow that plus the other fields. */
#define IMPORT_LINE_MAX ((size_t)KV_VALUE_MAX * 2)
#define IMPORT_PROBLEMS_SHOWN 3

static void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size);
    if (!p) {
        fputs("kvtui: out of memory\n", stderr);
        abort();
    }
    return p;
}

typedef struct import_op {
    kv__op op; /* first, so a kv__op pointer is an import_op pointer */
    uint64_t line;
} import_op;

typedef struct import_state {
    char *path;
    char *id_field; /* NULL: export-format lines */
    int fd;
    int open_errno;
    uint64_t file_size;
    char *buf;
    size_t buf_start, buf_len, buf_cap, scan_from;
    bool eof;
    bool skipping_long_line;
    uint64_t line_no;
    uint64_t consumed; /* bytes of the lines handled so far */
    kv__op **pending;  /* the batch being filled */
    size_t npending;
    size_t pending_bytes;
    kv__op **submitted; /* the batch the backend has (freed once every op completed) */
    size_t in_flight;
    uint64_t stored;
    uint64_t bad_lines;
    kv_status first_problem;
    char problems[200];
    unsigned nproblems;
} import_state;

static void import_problem(import_state *state, uint64_t line, kv_status status,
                           const char *message)
{
    state->bad_lines++;
    if (state->first_problem == KV_OK)
        state->first_problem = status;
    if (state->nproblems++ >= IMPORT_PROBLEMS_SHOWN)
        return;
    size_t used = strlen(state->problems);
    snprintf(state->problems + used, sizeof state->problems - used, "%sline %" PRIu64 ": %s",
             used ? "; " : "", line, message);
}

static void import_slice(uv_idle_t *idle);

static void import_op_done(kv__op *op)
{
    import_op *iop = (import_op *)op;
    kv__transfer *transfer = op->owner;
    import_state *state = transfer->state;
    if (op->result.status == KV_OK) {
        state->stored++;
    } else {
        char message[160];
        snprintf(message, sizeof message, "%.*s: %s%s%.100s", (int)op->request->key_len,
                 op->request->key, kv_status_name(op->result.status),
                 op->result.message[0] ? ": " : "", op->result.message);
        import_problem(state, iop->line, op->result.status, message);
    }
    kv_request_free(op->request);
    kv_result_clear(&op->result);
    free(iop);
    if (--state->in_flight == 0 && !transfer->finishing)
        uv_idle_start(&transfer->idle, import_slice);
}

static void queue_doc(kv__transfer *transfer, kv__import_doc *doc, uint64_t line)
{
    import_state *state = transfer->state;
    char errbuf[160];
    kv_request *request = kv_request_new(KV_OP_UPSERT, doc->key, doc->key_len);
    if (!request) {
        fputs("kvtui: out of memory\n", stderr);
        abort();
    }
    request->value = doc->value;
    request->value_len = doc->value_len;
    doc->value = NULL;
    request->flags = doc->flags;
    request->format = kv_format_of_flags(doc->flags);
    request->ttl = doc->ttl;
    request->has_ttl = doc->ttl != 0;
    kv_status status = kv_request_check(request, errbuf, sizeof errbuf);
    if (status != KV_OK) {
        import_problem(state, line, status, errbuf);
        kv_request_free(request);
        return;
    }
    import_op *iop = xcalloc(1, sizeof *iop);
    iop->line = line;
    iop->op.request = request;
    iop->op.on_complete = import_op_done;
    iop->op.owner = transfer;
    iop->op.started_ns = uv_hrtime();
    if (!state->pending)
        state->pending = xcalloc(IMPORT_BATCH, sizeof *state->pending);
    state->pending[state->npending++] = &iop->op;
    state->pending_bytes += request->value_len;
}

static void import_line(kv__transfer *transfer, char *line, size_t len)
{
    import_state *state = transfer->state;
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
        line++;
        len--;
    }
    if (state->line_no == 1 && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
        line += 3; /* a UTF-8 byte order mark some editors write */
        len -= 3;
    }
    if (len == 0)
        return;
    kv__import_doc doc;
    char errbuf[160];
    kv_status status = kv__import_parse_line(line, len, state->id_field, &doc, errbuf,
                                             sizeof errbuf);
    if (status == KV_OK)
        queue_doc(transfer, &doc, state->line_no);
    else
        import_problem(state, state->line_no, status, errbuf);
    kv__import_doc_free(&doc);
}

/* Hands the filled batch to the backend; the embedded store commits it in one transaction. */
static void submit_pending(kv__transfer *transfer)
{
    import_state *state = transfer->state;
    free(state->submitted);
    state->submitted = state->pending;
    size_t count = state->npending;
    state->pending = NULL;
    state->npending = 0;
    state->pending_bytes = 0;
    state->in_flight = count;
    const kv__backend_ops *ops = transfer->env.ops;
    if (ops->execute_batch) {
        ops->execute_batch(transfer->env.backend, state->submitted, count);
        return;
    }
    for (size_t i = 0; i < count; i++)
        ops->execute(transfer->env.backend, state->submitted[i]);
}

/* Makes room for one more read: drops consumed bytes, grows up to the line limit. */
static void make_room(import_state *state)
{
    if (state->buf_start > 0) {
        memmove(state->buf, state->buf + state->buf_start, state->buf_len - state->buf_start);
        state->buf_len -= state->buf_start;
        state->scan_from -= state->buf_start;
        state->buf_start = 0;
    }
    if (state->buf_cap - state->buf_len >= IMPORT_READ_CHUNK)
        return;
    size_t cap = state->buf_cap ? state->buf_cap * 2 : 4 * IMPORT_READ_CHUNK;
    char *buf = realloc(state->buf, cap);
    if (!buf) {
        fputs("kvtui: out of memory\n", stderr);
        abort();
    }
    state->buf = buf;
    state->buf_cap = cap;
}

/* Reads the next chunk; a line longer than the limit is skipped and reported. -1 on I/O error. */
static int fill_buffer(kv__transfer *transfer)
{
    import_state *state = transfer->state;
    if (state->buf_len - state->buf_start > IMPORT_LINE_MAX || state->skipping_long_line) {
        if (!state->skipping_long_line)
            import_problem(state, state->line_no + 1, KV_ERR_TOO_BIG,
                           "the line is longer than the 40 MiB limit");
        state->consumed += state->buf_len - state->buf_start;
        state->buf_start = state->buf_len = state->scan_from = 0;
        state->skipping_long_line = true;
    }
    make_room(state);
    ssize_t n;
    do
        n = read(state->fd, state->buf + state->buf_len, state->buf_cap - state->buf_len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    state->eof = n == 0;
    state->buf_len += (size_t)n;
    return 0;
}

/* The next complete line (the last one may lack its newline). 1: *line set; 0: end; -1: error. */
static int next_line(kv__transfer *transfer, char **line, size_t *len)
{
    import_state *state = transfer->state;
    if (!state->buf)
        make_room(state);
    for (;;) {
        char *start = state->buf + state->buf_start;
        char *scan = state->buf + state->scan_from;
        char *nl = memchr(scan, '\n', state->buf_len - state->scan_from);
        if (nl || (state->eof && state->buf_len > state->buf_start)) {
            size_t line_len = nl ? (size_t)(nl - start) : state->buf_len - state->buf_start;
            size_t used = nl ? line_len + 1 : line_len;
            state->buf_start += used;
            state->scan_from = state->buf_start;
            state->consumed += used;
            if (state->skipping_long_line) {
                state->skipping_long_line = false;
                state->line_no++;
                continue;
            }
            state->line_no++;
            *line = start;
            *len = line_len;
            return 1;
        }
        if (state->eof)
            return 0;
        state->scan_from = state->buf_len;
        if (fill_buffer(transfer) < 0)
            return -1;
    }
}

static void import_finish(kv__transfer *transfer, kv_status status, const char *why)
{
    import_state *state = transfer->state;
    char message[512]; /* cut to the event's 256 bytes by kv__transfer_finish */
    if (why) {
        snprintf(message, sizeof message, "%s (imported %" PRIu64 " documents)", why,
                 state->stored);
    } else if (state->bad_lines == 0) {
        snprintf(message, sizeof message, "imported %" PRIu64 " documents", state->stored);
    } else {
        snprintf(message, sizeof message, "imported %" PRIu64 " documents, %" PRIu64
                 " bad line%s (%s%s)", state->stored, state->bad_lines,
                 state->bad_lines == 1 ? "" : "s", state->problems,
                 state->nproblems > IMPORT_PROBLEMS_SHOWN ? "; ..." : "");
        status = state->first_problem;
    }
    kv__transfer_finish(transfer, status, state->stored, message);
}

/* Fills one batch from the file, or ends the import once the file and the backend are done. */
static void import_slice(uv_idle_t *idle)
{
    kv__transfer *transfer = idle->data;
    import_state *state = transfer->state;
    if (state->in_flight > 0) {
        uv_idle_stop(idle); /* import_op_done restarts it */
        return;
    }
    if (transfer->cancelled) {
        import_finish(transfer, KV_ERR_CANCELLED, "cancelled");
        return;
    }
    int rc = 1;
    char *line;
    size_t len;
    while (state->npending < IMPORT_BATCH && state->pending_bytes < IMPORT_BATCH_BYTES &&
           (rc = next_line(transfer, &line, &len)) > 0)
        import_line(transfer, line, len);
    if (rc < 0) {
        char why[200];
        snprintf(why, sizeof why, "reading %s: %s", state->path, strerror(errno));
        import_finish(transfer, KV_ERR_INTERNAL, why);
        return;
    }
    kv__transfer_progress(transfer, state->stored, state->consumed, state->file_size, false);
    if (state->npending > 0)
        submit_pending(transfer);
    else if (rc == 0)
        import_finish(transfer, KV_OK, NULL);
}

static void import_cancel(kv__transfer *transfer)
{
    (void)transfer; /* the next slice sees transfer->cancelled */
}

static void import_free(kv__transfer *transfer)
{
    import_state *state = transfer->state;
    if (state->fd >= 0)
        close(state->fd);
    for (size_t i = 0; i < state->npending; i++) {
        kv_request_free(state->pending[i]->request);
        free(state->pending[i]);
    }
    free(state->pending);
    free(state->submitted);
    free(state->buf);
    free(state->path);
    free(state->id_field);
    free(state);
}

/* The first slice reports a refusal found at start, so no transfer ends inside its start call. */
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
    char *quoted = xcalloc(n + 3, 1);
    quoted[0] = '"';
    memcpy(quoted + 1, id_field, n);
    quoted[n + 1] = '"';
    return quoted;
}

kv__transfer *kv__import_start(const kv__transfer_env *env, uint64_t id, void *user,
                               const char *path, const char *id_field)
{
    import_state *state = xcalloc(1, sizeof *state);
    state->path = strdup(path ? path : "");
    state->id_field = id_field && id_field[0] ? quote_field(id_field) : NULL;
    state->fd = env->read_only ? -1 : open(state->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    bool usable = state->fd >= 0 && fstat(state->fd, &st) == 0 && !S_ISDIR(st.st_mode);
    if (!usable && !env->read_only)
        state->open_errno = state->fd >= 0 ? EISDIR : errno;
    else if (usable)
        state->file_size = (uint64_t)st.st_size;
    kv__transfer *transfer = kv__transfer_new(env, id, user, usable ? import_slice : import_refuse);
    transfer->state = state;
    transfer->cancel = import_cancel;
    transfer->free_state = import_free;
    return transfer;
}

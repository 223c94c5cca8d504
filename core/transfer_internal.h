/*
 * transfer_internal.h - what the JSON Lines encoder, the import and the export share (internal).
 *
 * A transfer (import or export) lives on the worker loop. It owns one uv_idle handle that runs
 * its slices (import) or starts its scan (export) on a later loop turn, so that kv__import_start
 * and kv__export_start never finish a transfer before the worker has recorded it. The transfer
 * ends by posting one KV_EVENT_DONE and closing that handle; the close callback calls
 * env.finished and frees everything.
 */
#ifndef KV_TRANSFER_INTERNAL_H
#define KV_TRANSFER_INTERNAL_H

#include "transfer.h"

/* A growing NUL-terminated byte string. */
typedef struct kv__text_buffer {
    char *data;
    size_t len;
    size_t cap;
} kv__text_buffer;

void kv__text_append(kv__text_buffer *buffer, const void *bytes, size_t len);
/* TEXT as a JSON string: control characters escaped, valid UTF-8 kept, invalid bytes \u00XX. */
void kv__json_append_string(kv__text_buffer *buffer, const uint8_t *text, size_t len);
/* Length of the valid UTF-8 sequence at P (1-4), 0 when it is not one. */
size_t kv__utf8_sequence_length(const uint8_t *p, size_t avail);

/* What one import line turns into (core/transfer_line.c). */
typedef struct kv__import_doc {
    const char *key; /* into the line, or into key_owned */
    size_t key_len;
    uint8_t *key_owned;
    uint8_t *value; /* malloc'd */
    size_t value_len;
    uint32_t flags;
    int64_t ttl; /* as kv_request.ttl: 0 none, else relative or absolute by the Couchbase rule */
} kv__import_doc;

/* Parse one trimmed, non-empty line: export format when QUOTED_ID is NULL, else a document keyed
 * by its field QUOTED_ID (the name with its quotes). Errors fill ERRBUF; free DOC either way. */
kv_status kv__import_parse_line(const char *line, size_t len, const char *quoted_id,
                                kv__import_doc *doc, char *errbuf, size_t errbuf_len);
void kv__import_doc_free(kv__import_doc *doc);

/* Bad import lines: how many, the first error and the first few described. */
typedef struct kv__import_problems {
    uint64_t count;
    kv_status first;
    unsigned shown;
    char text[200];
} kv__import_problems;

void kv__import_problem(kv__import_problems *problems, uint64_t line, kv_status status,
                        const char *message);
void kv__import_problems_merge(kv__import_problems *into, const kv__import_problems *from);
/* "N bad lines (line 2: ...; line 7: ...)". */
void kv__import_problems_describe(const kv__import_problems *problems, char *out, size_t len);

typedef struct kv__import_op {
    kv__op op; /* first, so a kv__op pointer is an import op pointer */
    uint64_t line;
} kv__import_op;

/* Lines per import batch (at most; a batch also ends at 16 MiB of values). */
#define KV__IMPORT_BATCH 5000

/* One parsed line: where its key and value sit in the batch's bytes. */
typedef struct kv__import_entry {
    uint64_t line;
    size_t key_offset, value_offset;
    size_t key_len, value_len;
    uint32_t flags;
    int64_t ttl;
} kv__import_entry;

/* One batch of parsed lines (core/transfer_import_read.c). Keys and values are packed into one
 * byte block, so the thread that parses allocates a few large blocks instead of three small ones
 * per document. */
typedef struct kv__import_batch {
    kv__import_entry *entries;
    size_t count;
    uint8_t *bytes;
    size_t bytes_len, bytes_cap;
    kv__import_problems problems;
    bool end_of_file;
    int read_errno; /* not 0: reading the file failed */
    uint64_t consumed; /* bytes of the file handled up to this batch */
} kv__import_batch;

/* The file side of an import. Used by one thread at a time. */
typedef struct kv__import_reader {
    int fd;
    char *id_field; /* the field name with its quotes; NULL: export-format lines */
    char *buf;
    size_t buf_start, buf_len, buf_cap, scan_from;
    bool eof;
    bool skipping_long_line;
    uint64_t line_no;
    uint64_t consumed;
} kv__import_reader;

/* Read and parse lines until a batch is full or the file ends. */
kv__import_batch *kv__import_read_batch(kv__import_reader *reader);
void kv__import_batch_free(kv__import_batch *batch);
void kv__import_reader_free(kv__import_reader *reader);

#define KV__TRANSFER_PROGRESS_NS (100u * 1000u * 1000u)

struct kv__transfer {
    kv__transfer_env env;
    uint64_t id;
    void *user;
    uv_idle_t idle;
    bool cancelled;
    bool finishing;
    uint64_t last_progress_ns;
    void (*cancel)(kv__transfer *transfer);
    void (*free_state)(kv__transfer *transfer);
    void *state; /* the import's or export's own state */
};

/* Shared plumbing (core/transfer.c). */
kv__transfer *kv__transfer_new(const kv__transfer_env *env, uint64_t id, void *user,
                               uv_idle_cb slice);
/* Post KV_EVENT_PROGRESS unless one went out less than 100 ms ago (FORCE: always). */
void kv__transfer_progress(kv__transfer *transfer, uint64_t items, uint64_t bytes,
                           uint64_t total_bytes, bool force);
/* Post the one KV_EVENT_DONE and close the handle; env.finished and the free follow. */
void kv__transfer_finish(kv__transfer *transfer, kv_status status, uint64_t items,
                         const char *message);

#endif /* KV_TRANSFER_INTERNAL_H */

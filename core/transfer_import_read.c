/* The reading half of a JSON Lines import: the file, cut into lines and parsed into batches of
 * upserts. It touches nothing but its own reader and batch, so the import runs it on a libuv
 * threadpool thread while the worker loop stores the previous batch. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transfer_internal.h"
#include "util_alloc.h"

#define IMPORT_BATCH_BYTES (16u << 20)
#define IMPORT_READ_CHUNK (1u << 20)
/* A 20 MiB value is 27 MiB of base64: allow that plus the other fields. */
#define IMPORT_LINE_MAX ((size_t)KV_VALUE_MAX * 2)
#define IMPORT_PROBLEMS_SHOWN 3

void kv__import_problem(kv__import_problems *problems, uint64_t line, kv_status status,
                        const char *message)
{
    problems->count++;
    if (problems->first == KV_OK)
        problems->first = status;
    if (problems->shown++ >= IMPORT_PROBLEMS_SHOWN)
        return;
    size_t used = strlen(problems->text);
    snprintf(problems->text + used, sizeof problems->text - used, "%sline %" PRIu64 ": %s",
             used ? "; " : "", line, message);
}

void kv__import_problems_merge(kv__import_problems *into, const kv__import_problems *from)
{
    if (from->count == 0)
        return;
    if (into->first == KV_OK)
        into->first = from->first;
    size_t used = strlen(into->text);
    if (into->shown < IMPORT_PROBLEMS_SHOWN && from->text[0])
        snprintf(into->text + used, sizeof into->text - used, "%s%s", used ? "; " : "",
                 from->text);
    into->count += from->count;
    into->shown += from->shown;
}

void kv__import_problems_describe(const kv__import_problems *problems, char *out, size_t len)
{
    snprintf(out, len, "%" PRIu64 " bad line%s (%s%s)", problems->count,
             problems->count == 1 ? "" : "s", problems->text,
             problems->shown > IMPORT_PROBLEMS_SHOWN ? "; ..." : "");
}

void kv__import_batch_free(kv__import_batch *batch)
{
    free(batch->entries);
    free(batch->bytes);
    free(batch);
}

static size_t batch_append(kv__import_batch *batch, const void *data, size_t len)
{
    if (batch->bytes_cap - batch->bytes_len < len) {
        size_t cap = batch->bytes_cap ? batch->bytes_cap : (1u << 20);
        while (cap - batch->bytes_len < len)
            cap *= 2;
        uint8_t *bytes = realloc(batch->bytes, cap);
        if (!bytes) {
            kv__out_of_memory();
        }
        batch->bytes = bytes;
        batch->bytes_cap = cap;
    }
    size_t offset = batch->bytes_len;
    memcpy(batch->bytes + offset, data, len);
    batch->bytes_len += len;
    return offset;
}

static void batch_add(kv__import_batch *batch, const kv__import_doc *doc, uint64_t line)
{
    kv__import_entry *entry = &batch->entries[batch->count++];
    entry->line = line;
    entry->flags = doc->flags;
    entry->ttl = doc->ttl;
    entry->key_len = doc->key_len;
    entry->value_len = doc->value_len;
    entry->key_offset = batch_append(batch, doc->key, doc->key_len);
    entry->value_offset = batch_append(batch, doc->value, doc->value_len);
}

/* Trims blanks (and a first-line byte order mark some editors write), then parses. */
static void read_line(kv__import_reader *reader, kv__import_batch *batch, char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
        line++;
        len--;
    }
    if (reader->line_no == 1 && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
        line += 3;
        len -= 3;
    }
    if (len == 0)
        return;
    kv__import_doc doc;
    char errbuf[160];
    kv_status status =
        kv__import_parse_line(line, len, reader->id_field, &doc, errbuf, sizeof errbuf);
    if (status == KV_OK)
        batch_add(batch, &doc, reader->line_no);
    else
        kv__import_problem(&batch->problems, reader->line_no, status, errbuf);
    kv__import_doc_free(&doc);
}

/* Makes room for one more read: drops consumed bytes, grows up to the line limit. */
static void make_room(kv__import_reader *reader)
{
    if (reader->buf_start > 0) {
        memmove(reader->buf, reader->buf + reader->buf_start,
                reader->buf_len - reader->buf_start);
        reader->buf_len -= reader->buf_start;
        reader->scan_from -= reader->buf_start;
        reader->buf_start = 0;
    }
    if (reader->buf_cap - reader->buf_len >= IMPORT_READ_CHUNK)
        return;
    size_t cap = reader->buf_cap ? reader->buf_cap * 2 : 4 * IMPORT_READ_CHUNK;
    char *buf = realloc(reader->buf, cap);
    if (!buf) {
        kv__out_of_memory();
    }
    reader->buf = buf;
    reader->buf_cap = cap;
}

/* Reads the next chunk; a line longer than the limit is skipped and reported. -1 on I/O error. */
static int fill_buffer(kv__import_reader *reader, kv__import_batch *batch)
{
    if (reader->buf_len - reader->buf_start > IMPORT_LINE_MAX || reader->skipping_long_line) {
        if (!reader->skipping_long_line)
            kv__import_problem(&batch->problems, reader->line_no + 1, KV_ERR_TOO_BIG,
                               "the line is longer than the 40 MiB limit");
        reader->consumed += reader->buf_len - reader->buf_start;
        reader->buf_start = reader->buf_len = reader->scan_from = 0;
        reader->skipping_long_line = true;
    }
    make_room(reader);
    ssize_t n;
    do
        n = read(reader->fd, reader->buf + reader->buf_len, reader->buf_cap - reader->buf_len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    reader->eof = n == 0;
    reader->buf_len += (size_t)n;
    return 0;
}

/* The next complete line (the last one may lack its newline). 1: *line set; 0: end; -1: error. */
static int next_line(kv__import_reader *reader, kv__import_batch *batch, char **line,
                     size_t *len)
{
    if (!reader->buf)
        make_room(reader);
    for (;;) {
        char *start = reader->buf + reader->buf_start;
        char *scan = reader->buf + reader->scan_from;
        char *nl = memchr(scan, '\n', reader->buf_len - reader->scan_from);
        if (nl || (reader->eof && reader->buf_len > reader->buf_start)) {
            size_t line_len = nl ? (size_t)(nl - start) : reader->buf_len - reader->buf_start;
            size_t used = nl ? line_len + 1 : line_len;
            reader->buf_start += used;
            reader->scan_from = reader->buf_start;
            reader->consumed += used;
            reader->line_no++;
            if (reader->skipping_long_line) {
                reader->skipping_long_line = false;
                continue;
            }
            *line = start;
            *len = line_len;
            return 1;
        }
        if (reader->eof)
            return 0;
        reader->scan_from = reader->buf_len;
        if (fill_buffer(reader, batch) < 0)
            return -1;
    }
}

kv__import_batch *kv__import_read_batch(kv__import_reader *reader)
{
    kv__import_batch *batch = kv__xcalloc(1, sizeof *batch);
    batch->entries = kv__xcalloc(KV__IMPORT_BATCH, sizeof *batch->entries);
    int rc = 1;
    char *line;
    size_t len;
    while (batch->count < KV__IMPORT_BATCH && batch->bytes_len < IMPORT_BATCH_BYTES &&
           (rc = next_line(reader, batch, &line, &len)) > 0)
        read_line(reader, batch, line, len);
    batch->end_of_file = rc == 0;
    batch->read_errno = rc < 0 ? errno : 0;
    batch->consumed = reader->consumed;
    return batch;
}

void kv__import_reader_free(kv__import_reader *reader)
{
    if (reader->fd >= 0)
        close(reader->fd);
    free(reader->buf);
    free(reader->id_field);
}

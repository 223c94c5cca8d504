/*
 * Key listing on memcached (see mc_scan.h for the plan): the scan object, each node's probe and
 * metadump, rounds of candidates, and the end. Keys of all nodes merge into one stream of
 * batches. A node that fails (down, SASL-only, listing disabled) does not stop the others: their
 * keys still stream and the scan ends with the first node's error. Text replies may come after
 * the stream finished (cancel, limit, close): the scan lives until the last of them (refs), but
 * the stream is never touched after it finished.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_scan.h"
#include "util_alloc.h"

#define BUSY_RETRIES 50
#define BUSY_RETRY_MS 100
#define READ_CHUNK (64u * 1024u)
#define DUMP_COMMAND "lru_crawler metadump all\r\n"

static void dump_parse(kv__mc_scan_node *sn);

static void scan_free(kv__mc_scan *scan)
{
    for (kv__mc_scan **p = &scan->mc->scans; *p; p = &(*p)->next)
        if (*p == scan) {
            *p = scan->next;
            break;
        }
    for (size_t i = 0; i < scan->nnodes; i++) {
        kv__mc_conn_free(&scan->nodes[i].conn);
        kv__rbuf_free(&scan->nodes[i].in);
        free(scan->nodes[i].cands);
        free(scan->nodes[i].keys);
    }
    kv__key_batch_free(&scan->batch);
    free(scan->nodes);
    free(scan);
}

void kv__mc_scan_hold(kv__mc_scan *scan)
{
    scan->refs++;
}

void kv__mc_scan_release(kv__mc_scan *scan)
{
    if (--scan->refs == 0 && !scan->stream)
        scan_free(scan);
}

static void finish(kv__mc_scan *scan, kv_status status, const char *message)
{
    kv__stream *stream = scan->stream;
    if (!stream)
        return;
    if (status != KV_ERR_CANCELLED)
        kv__stream_emit(stream, &scan->batch);
    scan->stream = NULL;
    stream->backend_state = NULL;
    for (size_t i = 0; i < scan->nnodes; i++) {
        kv__mc_conn_close(&scan->nodes[i].conn);
        scan->nodes[i].state = KV__SN_FAILED;
    }
    kv__stream_finish(stream, status, message);
}

void kv__mc_scan_node_fail(kv__mc_scan_node *sn, kv_status status, const char *message)
{
    kv__mc_scan *scan = sn->scan;
    if (sn->state == KV__SN_FAILED || sn->state == KV__SN_FINISHED)
        return;
    kv__mc_conn_close(&sn->conn);
    sn->state = KV__SN_FAILED;
    if (scan->error == KV_OK) {
        scan->error = status;
        snprintf(scan->message, sizeof scan->message, "%s", message);
    }
}

bool kv__mc_scan_limit_reached(const kv__mc_scan *scan)
{
    return scan->stream && scan->stream->limit && scan->accepted >= scan->stream->limit;
}

void kv__mc_scan_check_done(kv__mc_scan *scan)
{
    if (!scan->stream)
        return;
    if (scan->stream->cancelled) {
        finish(scan, KV_ERR_CANCELLED, "scan cancelled");
        return;
    }
    bool limited = kv__mc_scan_limit_reached(scan);
    for (size_t i = 0; i < scan->nnodes; i++) {
        const kv__mc_scan_node *sn = &scan->nodes[i];
        bool over = sn->state == KV__SN_FINISHED || sn->state == KV__SN_FAILED;
        if (sn->in_flight || (!limited && !over))
            return;
    }
    finish(scan, scan->error, scan->error ? scan->message : NULL);
}

static void add_candidate(kv__mc_scan_node *sn, const kv__mc_dump_entry *e)
{
    if (sn->ncands == sn->cands_cap) {
        sn->cands_cap = sn->cands_cap ? sn->cands_cap * 2 : 1024;
        sn->cands = kv__xrealloc(sn->cands, sn->cands_cap * sizeof *sn->cands);
    }
    if (sn->keys_cap - sn->keys_len < e->key_len) {
        sn->keys_cap = sn->keys_cap ? sn->keys_cap * 2 : 16384;
        sn->keys = kv__xrealloc(sn->keys, sn->keys_cap);
    }
    memcpy(sn->keys + sn->keys_len, e->key, e->key_len);
    sn->cands[sn->ncands++] = (kv__mc_candidate){.cas = e->cas,
                                                 .exp = e->exp,
                                                 .flags = e->flags,
                                                 .key_at = (uint32_t)sn->keys_len,
                                                 .key_len = (uint8_t)e->key_len,
                                                 .has_flags = e->has_flags};
    sn->keys_len += e->key_len;
}

/* Read back what the dump gave so far; the dump waits (paused) unless it is over. */
static void start_round(kv__mc_scan_node *sn)
{
    sn->state = KV__SN_READING;
    sn->next = 0;
    kv__stream_emit(sn->scan->stream, &sn->scan->batch); /* the last keys listed early */
    if (sn->dump_ended)
        kv__mc_conn_close(&sn->conn);
    else
        kv__mc_conn_pause(&sn->conn, true);
    kv__mc_readback_pump(sn);
}

void kv__mc_scan_round_done(kv__mc_scan_node *sn)
{
    sn->ncands = sn->next = sn->keys_len = 0;
    if (sn->dump_ended || kv__mc_scan_limit_reached(sn->scan)) {
        kv__mc_conn_close(&sn->conn);
        sn->state = KV__SN_FINISHED;
        return;
    }
    sn->state = KV__SN_DUMPING;
    kv__mc_conn_pause(&sn->conn, false);
    dump_parse(sn);
}

static bool starts_with(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(line, prefix, n) == 0;
}

static void dump_refused(kv__mc_scan_node *sn, const char *line, size_t len)
{
    char message[KV__MC_MESSAGE_MAX];
    int shown = (int)(len < 100 ? len : 100);
    bool busy = starts_with(line, len, "BUSY");
    if (busy && sn->ncands == 0 && sn->busy_retries++ < BUSY_RETRIES) {
        kv__mc_conn_close(&sn->conn);
        sn->state = KV__SN_RETRY_WAIT;
        sn->retry_at_ns = kv__mc_now_ns() + BUSY_RETRY_MS * 1000000ull;
        return;
    }
    if (busy) {
        snprintf(message, sizeof message, "%s is busy with another key listing: %.*s",
                 sn->node->name, shown, line);
        kv__mc_scan_node_fail(sn, KV_ERR_TEMPORARY_FAIL, message);
    } else if (starts_with(line, len, "ERROR") || starts_with(line, len, "CLIENT_ERROR")) {
        snprintf(message, sizeof message, "key listing is not available on %s: %.*s",
                 sn->node->name, shown, line);
        kv__mc_scan_node_fail(sn, KV_ERR_NOT_SUPPORTED, message);
    } else {
        snprintf(message, sizeof message, "unexpected reply to metadump from %s: %.*s",
                 sn->node->name, shown, line);
        kv__mc_scan_node_fail(sn, KV_ERR_NETWORK, message);
    }
}

/* A key is listed the moment the dump names it (PARTIAL: flags and size follow with the read-back),
 * so a long list fills at the dump's pace. Export waits for the values instead. */
static void list_early(kv__mc_scan *scan, const kv__mc_dump_entry *e)
{
    if (scan->stream->want_values)
        return;
    kv__stream_list_detail(scan->stream, &scan->batch, e->key, e->key_len, e->cas,
                           e->exp < 0 ? 0 : e->exp, KV_KEY_PARTIAL);
}

/* One dump line; false once the round must be read back first. */
static bool dump_line(kv__mc_scan_node *sn, const char *line, size_t len)
{
    kv__mc_scan *scan = sn->scan;
    kv__mc_dump_entry entry;
    switch (kv__mc_parse_dump_line(line, len, &entry)) {
    case 1:
        if (kv__stream_matches(scan->stream, entry.key, entry.key_len)) {
            add_candidate(sn, &entry);
            list_early(scan, &entry);
        }
        if (scan->stream->limit && scan->accepted + sn->ncands >= scan->stream->limit)
            sn->dump_ended = true; /* enough keys: the rest of the dump is not needed */
        return !sn->dump_ended && sn->ncands < KV__MC_CANDIDATES_MAX;
    case 0:
        sn->dump_ended = true;
        return false;
    default:
        dump_refused(sn, line, len);
        return true;
    }
}

static void dump_parse(kv__mc_scan_node *sn)
{
    kv__mc_scan *scan = sn->scan;
    kv__mc_scan_hold(scan);
    while (scan->stream && !scan->stream->cancelled && sn->state == KV__SN_DUMPING) {
        const char *line;
        size_t len;
        int rc = kv__mc_next_line(&sn->in, KV__MC_LINE_MAX, &line, &len);
        if (rc == 0)
            break;
        if (rc < 0)
            kv__mc_scan_node_fail(sn, KV_ERR_NETWORK, "a metadump line longer than 8 KiB");
        else if (!dump_line(sn, line, len))
            start_round(sn);
    }
    kv__mc_scan_check_done(scan);
    kv__mc_scan_release(scan);
}

static void dump_open(kv__mc_conn *conn)
{
    kv__mc_conn_write(conn, DUMP_COMMAND, strlen(DUMP_COMMAND));
}

static uint8_t *dump_space(kv__mc_conn *conn, size_t *avail)
{
    kv__mc_scan_node *sn = conn->owner;
    return kv__rbuf_space(&sn->in, READ_CHUNK, avail);
}

static void dump_read(kv__mc_conn *conn, size_t n)
{
    kv__mc_scan_node *sn = conn->owner;
    kv__rbuf_commit(&sn->in, n);
    dump_parse(sn);
}

static void dump_down(kv__mc_conn *conn, kv_status status, const char *message, bool was_open)
{
    kv__mc_scan_node *sn = conn->owner;
    kv__mc_scan *scan = sn->scan;
    kv__mc_scan_hold(scan);
    kv__mc_scan_node_fail(sn, status, message);
    kv__mc_scan_check_done(scan);
    kv__mc_scan_release(scan);
}

static const kv__mc_conn_ops dump_ops = {
    .on_open = dump_open,
    .read_space = dump_space,
    .on_read = dump_read,
    .on_down = dump_down,
};

static void start_dump(kv__mc_scan_node *sn)
{
    kv__rbuf_reset(&sn->in);
    sn->state = KV__SN_DUMPING;
    kv__mc_conn_connect(&sn->conn);
}

static void probe_answered(void *arg, const kv__mc_text_reply *reply)
{
    kv__mc_scan_node *sn = arg;
    kv__mc_scan *scan = sn->scan;
    char message[KV__MC_MESSAGE_MAX];
    if (scan->stream && sn->state == KV__SN_PROBING) {
        if (reply->status == KV_OK) {
            start_dump(sn);
        } else if (sn->node->sasl == KV__MC_SASL_REQUIRED) {
            snprintf(message, sizeof message,
                     "key listing needs the text protocol, which a "
                     "SASL-only memcached refuses (%s)",
                     sn->node->name);
            kv__mc_scan_node_fail(sn, KV_ERR_NOT_SUPPORTED, message);
        } else {
            kv__mc_scan_node_fail(sn, reply->status, reply->message);
        }
    }
    kv__mc_scan_check_done(scan);
    kv__mc_scan_release(scan);
}

void kv__mc_scan_start(void *state, kv__stream *stream)
{
    kv__mc *mc = state;
    if (mc->closing) {
        kv__stream_finish(stream, KV_ERR_CANCELLED, "the store is closing");
        return;
    }
    kv__mc_scan *scan = kv__xcalloc(1, sizeof *scan);
    scan->mc = mc;
    scan->stream = stream;
    scan->nnodes = mc->nnodes;
    scan->nodes = kv__xcalloc(mc->nnodes, sizeof *scan->nodes);
    scan->next = mc->scans;
    mc->scans = scan;
    stream->backend_state = scan;
    if (stream->batch_size == 0)
        stream->batch_size = 1000;
    kv__mc_scan_hold(scan);
    for (size_t i = 0; i < mc->nnodes; i++) {
        kv__mc_scan_node *sn = &scan->nodes[i];
        sn->scan = scan;
        sn->node = &mc->nodes[i];
        sn->state = KV__SN_PROBING;
        kv__mc_conn_init(&sn->conn, mc, sn->node, &dump_ops, sn);
    }
    for (size_t i = 0; i < mc->nnodes && scan->stream; i++) {
        kv__mc_scan_hold(scan);
        kv__mc_text_submit(&mc->nodes[i], KV__MC_TREQ_NOOP, "mn\r\n", 4, probe_answered,
                           &scan->nodes[i]);
    }
    kv__mc_arm_tick(mc);
    kv__mc_scan_check_done(scan);
    kv__mc_scan_release(scan);
}

void kv__mc_scan_cancel(void *state, kv__stream *stream)
{
    (void)state;
    kv__mc_scan *scan = stream->backend_state;
    if (scan)
        finish(scan, KV_ERR_CANCELLED, "scan cancelled");
}

void kv__mc_scans_close(kv__mc *mc)
{
    for (kv__mc_scan *scan = mc->scans; scan; scan = scan->next)
        finish(scan, KV_ERR_CANCELLED, "the store was closed");
}

/* Retry busy crawlers; fail dumps that stopped sending (time spent paused does not count). */
static void scan_node_tick(kv__mc_scan_node *sn, uint64_t now)
{
    kv__mc_conn *conn = &sn->conn;
    uint64_t timeout = sn->scan->mc->timeout_ns;
    char message[KV__MC_MESSAGE_MAX];
    if (sn->state == KV__SN_RETRY_WAIT && now >= sn->retry_at_ns)
        start_dump(sn);
    if (conn->state == KV__MC_OPEN && (conn->reading_paused || sn->state != KV__SN_DUMPING))
        conn->activity_ns = now;
    if (sn->state != KV__SN_DUMPING)
        return;
    uint64_t since = conn->state == KV__MC_OPEN ? conn->activity_ns : conn->started_ns;
    if (kv__mc_elapsed(now, since) < timeout)
        return;
    snprintf(message, sizeof message, "%s sent no key listing for %.1f s", sn->node->name,
             (double)timeout / 1e9);
    kv__mc_conn_fail(conn, KV_ERR_TIMEOUT, message);
}

bool kv__mc_scans_tick(kv__mc *mc, uint64_t now)
{
    bool busy = false;
    for (kv__mc_scan *scan = mc->scans; scan; scan = scan->next) {
        if (!scan->stream)
            continue;
        busy = true;
        scan->refs++;
        for (size_t i = 0; i < scan->nnodes && scan->stream; i++)
            scan_node_tick(&scan->nodes[i], now);
        kv__mc_scan_check_done(scan);
        scan->refs--; /* freed below if this was the last use: not while walking the list */
    }
    for (kv__mc_scan *scan = mc->scans, *next; scan; scan = next) {
        next = scan->next;
        if (scan->refs == 0 && !scan->stream)
            scan_free(scan);
    }
    return busy;
}

/*
 * A node's text connection, for what the binary protocol cannot tell: meta `mg` readouts
 * (remaining TTL, flags, size, CAS, value) and `stats` (the server's clock). Text replies carry
 * no opaque, so they are matched by position: if the head request times out the connection is
 * dropped, since a late reply would otherwise be taken for the next request's. The text
 * connection is opened only once the binary handshake said the server speaks text (a SASL-only
 * memcached never answers text); a server that never answers at all (memcached -B binary) is
 * remembered, and later requests fail at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_internal.h"
#include "util_alloc.h"

#define READ_CHUNK (64u * 1024u)

static void tlist_push(kv__mc_treqlist *list, kv__mc_treq *t)
{
    t->next = NULL;
    if (list->tail)
        list->tail->next = t;
    else
        list->head = t;
    list->tail = t;
    list->count++;
}

static kv__mc_treq *tlist_pop(kv__mc_treqlist *list)
{
    kv__mc_treq *t = list->head;
    if (!t)
        return NULL;
    list->head = t->next;
    if (!list->head)
        list->tail = NULL;
    list->count--;
    return t;
}

/* Call T's callback with REPLY and free it (T is off every list already). */
static void treq_finish(kv__mc_treq *t, const kv__mc_text_reply *reply)
{
    kv__mc_text_cb cb = t->cb;
    void *arg = t->arg;
    free(t->line);
    free(t);
    cb(arg, reply);
}

static void treq_fail(kv__mc_treq *t, kv_status status, const char *message)
{
    kv__mc_text_reply reply = {.status = status, .message = message, .server_time = -1};
    treq_finish(t, &reply);
}

static void fail_tlist(kv__mc_treqlist *list, kv_status status, const char *message)
{
    for (kv__mc_treq *t; (t = tlist_pop(list));)
        treq_fail(t, status, message);
}

bool kv__mc_text_possible(const kv__mc_node *node)
{
    return !node->text_broken && !node->auth_failed && node->sasl != KV__MC_SASL_REQUIRED;
}

/* Why text requests to NODE cannot be served (NULL when they can or might be). */
static const char *text_refusal(const kv__mc_node *node, kv_status *status)
{
    *status = KV_ERR_NOT_SUPPORTED;
    if (node->sasl == KV__MC_SASL_REQUIRED || node->auth_failed)
        return "this needs the text protocol, which a SASL-only memcached refuses";
    if (node->text_broken)
        return "the server does not answer the text protocol (is it running with -B binary?)";
    return NULL;
}

/* Send or fail what waits, opening the connection (and learning about SASL) first. */
static void pump(kv__mc_node *node)
{
    kv_status status;
    if (node->mc->closing) {
        fail_tlist(&node->text_waiting, KV_ERR_CANCELLED, "the store is closing");
        return;
    }
    const char *refusal = text_refusal(node, &status);
    if (refusal) {
        fail_tlist(&node->text_waiting, status, refusal);
        return;
    }
    if (!node->text_waiting.head)
        return;
    if (node->sasl == KV__MC_SASL_UNKNOWN) {
        if (!kv__mc_node_ensure(node))
            fail_tlist(&node->text_waiting, KV_ERR_NETWORK,
                       node->down_reason[0] ? node->down_reason : "the node is down");
        return;
    }
    kv__mc_conn *conn = &node->text;
    if (conn->state == KV__MC_DOWN) {
        kv__rbuf_reset(&node->text_in);
        node->text_block = 0;
        node->stats_time = -1;
        kv__mc_conn_connect(conn);
    }
    if (conn->state != KV__MC_OPEN)
        return;
    for (kv__mc_treq *t; (t = tlist_pop(&node->text_waiting));) {
        kv__mc_conn_write(conn, t->line, t->line_len);
        tlist_push(&node->text_sent, t);
    }
    kv__mc_conn_flush(conn);
}

void kv__mc_text_sasl_known(kv__mc_node *node)
{
    pump(node);
}

void kv__mc_text_submit(kv__mc_node *node, kv__mc_treq_kind kind, const char *line, size_t line_len,
                        kv__mc_text_cb cb, void *arg)
{
    kv__mc_treq *t = kv__xcalloc(1, sizeof *t);
    t->kind = kind;
    t->cb = cb;
    t->arg = arg;
    t->deadline_ns = kv__mc_now_ns() + node->mc->timeout_ns;
    t->line = kv__xcalloc(1, line_len);
    memcpy(t->line, line, line_len);
    t->line_len = line_len;
    tlist_push(&node->text_waiting, t);
    kv__mc_arm_tick(node->mc);
    pump(node);
}

void kv__mc_text_fail_all(kv__mc_node *node, kv_status status, const char *message)
{
    kv__mc_conn_close(&node->text);
    fail_tlist(&node->text_sent, status, message);
    fail_tlist(&node->text_waiting, status, message);
}

/* The head request is answered: take it off and report REPLY. */
static void answer_head(kv__mc_node *node, kv__mc_text_reply *reply)
{
    treq_finish(tlist_pop(&node->text_sent), reply);
}

static void answer_error(kv__mc_node *node, const char *line, size_t len)
{
    char message[KV__MC_MESSAGE_MAX];
    snprintf(message, sizeof message, "%s answered: %.*s", node->name, (int)(len < 120 ? len : 120),
             line);
    kv__mc_text_reply reply = {.status = KV_ERR_INTERNAL, .message = message, .server_time = -1};
    answer_head(node, &reply);
}

static bool is_error_line(const char *line, size_t len)
{
    kv__mc_meta meta;
    return kv__mc_parse_meta(line, len, &meta) == KV__MC_META_ERROR;
}

/* One line of a stats reply: the clock, more STAT lines, END, or an error line. */
static bool take_stats_line(kv__mc_node *node, const char *line, size_t len)
{
    int64_t value;
    kv__mc_text_reply reply = {.server_time = -1};
    if (kv__mc_parse_stat(line, len, "time", &value)) {
        node->stats_time = value;
    } else if (kv__mc_is_end(line, len)) {
        reply.server_time = node->stats_time;
        node->stats_time = -1;
        answer_head(node, &reply);
    } else if (is_error_line(line, len)) {
        answer_error(node, line, len);
    } else if (len < 5 || memcmp(line, "STAT ", 5) != 0) {
        return false;
    }
    return true;
}

/* One line for the head request; false when the stream makes no sense (a protocol error). */
static bool take_line(kv__mc_node *node, const char *line, size_t len)
{
    kv__mc_treq *head = node->text_sent.head;
    kv__mc_text_reply reply = {.server_time = -1};
    if (head->kind == KV__MC_TREQ_STATS)
        return take_stats_line(node, line, len);
    if (head->kind == KV__MC_TREQ_NOOP) {
        if (len == 2 && memcmp(line, "MN", 2) == 0)
            answer_head(node, &reply);
        else if (is_error_line(line, len))
            answer_error(node, line, len);
        else
            return false;
        return true;
    }
    switch (kv__mc_parse_meta(line, len, &reply.meta)) {
    case KV__MC_META_VA:
        node->text_meta = reply.meta;
        node->text_block = reply.meta.value_len + 1; /* +1: a 0-byte value still has a block */
        return true;
    case KV__MC_META_HD:
    case KV__MC_META_EN:
        answer_head(node, &reply);
        return true;
    case KV__MC_META_ERROR:
        answer_error(node, line, len);
        return true;
    default:
        return false;
    }
}

/* Parse every complete reply; false (with the connection failed) on a broken stream. */
static void text_parse(kv__mc_node *node)
{
    kv__mc_conn *conn = &node->text;
    const char *why = NULL;
    while (conn->state == KV__MC_OPEN && !why) {
        int rc;
        if (!node->text_sent.head) {
            if (kv__rbuf_len(&node->text_in))
                why = "text sent without a request";
            break;
        }
        if (node->text_block) {
            const uint8_t *data;
            if ((rc = kv__mc_next_block(&node->text_in, node->text_block - 1, &data)) <= 0) {
                why = rc < 0 ? "a value block without its \\r\\n" : NULL;
                break;
            }
            kv__mc_text_reply reply = {.meta = node->text_meta, .value = data, .server_time = -1};
            node->text_block = 0;
            answer_head(node, &reply);
            continue;
        }
        const char *line;
        size_t len;
        if ((rc = kv__mc_next_line(&node->text_in, KV__MC_LINE_MAX, &line, &len)) <= 0) {
            why = rc < 0 ? "a line longer than 8 KiB" : NULL;
            break;
        }
        if (!take_line(node, line, len))
            why = "an unexpected reply";
    }
    if (why) {
        char message[KV__MC_MESSAGE_MAX];
        snprintf(message, sizeof message, "protocol error from %s (text): %s", node->name, why);
        kv__mc_conn_fail(conn, KV_ERR_NETWORK, message);
    }
}

static uint8_t *text_space(kv__mc_conn *conn, size_t *avail)
{
    kv__mc_node *node = conn->owner;
    size_t held = kv__rbuf_len(&node->text_in);
    size_t want = READ_CHUNK;
    if (node->text_block && node->text_block + 1 > held)
        want = node->text_block + 1 - held > want ? node->text_block + 1 - held : want;
    return kv__rbuf_space(&node->text_in, want, avail);
}

static void text_read(kv__mc_conn *conn, size_t n)
{
    kv__mc_node *node = conn->owner;
    kv__rbuf_commit(&node->text_in, n);
    node->text_answered = true;
    text_parse(node);
}

static void text_open(kv__mc_conn *conn)
{
    kv__mc_node *node = conn->owner;
    node->text_answered = false;
    pump(node);
}

/* What was sent is lost; what waits gets a new connection (unless the server never answered). */
static void text_down(kv__mc_conn *conn, kv_status status, const char *message, bool was_open)
{
    kv__mc_node *node = conn->owner;
    fail_tlist(&node->text_sent, status, message);
    if (!was_open)
        fail_tlist(&node->text_waiting, status, message);
    else
        pump(node);
}

static const kv__mc_conn_ops text_ops = {
    .on_open = text_open,
    .read_space = text_space,
    .on_read = text_read,
    .on_down = text_down,
};

void kv__mc_text_init(kv__mc_node *node)
{
    kv__mc_conn_init(&node->text, node->mc, node, &text_ops, node);
    node->stats_time = -1;
}

bool kv__mc_text_tick(kv__mc_node *node, uint64_t now)
{
    char message[KV__MC_MESSAGE_MAX];
    double seconds = (double)node->mc->timeout_ns / 1e9;
    kv__mc_conn *conn = &node->text;
    if ((conn->state == KV__MC_RESOLVING || conn->state == KV__MC_CONNECTING) &&
        kv__mc_elapsed(now, conn->started_ns) >= node->mc->timeout_ns) {
        snprintf(message, sizeof message, "connecting to %s timed out after %.1f s", node->name,
                 seconds);
        kv__mc_conn_fail(conn, KV_ERR_TIMEOUT, message);
    }
    kv__mc_treq *head = node->text_sent.head;
    if (head && head->deadline_ns <= now) {
        if (!node->text_answered)
            node->text_broken = true;
        snprintf(message, sizeof message, "no text reply from %s within %.1f s%s", node->name,
                 seconds, node->text_broken ? " (is it running with -B binary?)" : "");
        kv__mc_conn_fail(conn, KV_ERR_TIMEOUT, message);
    }
    while (node->text_waiting.head && node->text_waiting.head->deadline_ns <= now) {
        snprintf(message, sizeof message, "no text reply from %s within %.1f s", node->name,
                 seconds);
        treq_fail(tlist_pop(&node->text_waiting), KV_ERR_TIMEOUT, message);
    }
    return node->text_sent.count > 0 || node->text_waiting.count > 0 ||
           conn->state == KV__MC_RESOLVING || conn->state == KV__MC_CONNECTING;
}

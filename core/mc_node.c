/*
 * A node's binary connection: operations wait until the connection is up and authenticated,
 * are encoded in arrival order into the connection's output (held back while too many bytes
 * are still unwritten), and are answered in order, matched by opaque. What the server never
 * answers times out; what a broken connection had sent fails with NetworkError and is never
 * sent again.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_internal.h"
#include "util_alloc.h"

/* Requests a node holds (waiting plus sent) before new ones are refused with TemporaryFailError;
 * the bytes actually queued for the socket are bounded separately (BACKLOG_HIGH). */
#define QUEUE_MAX (1u << 20)
/* Stop encoding operations while this many output bytes are not yet written. */
#define BACKLOG_HIGH (4u << 20)
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

static void list_push(kv__mc_reqlist *list, kv__mc_req *req)
{
    req->next = NULL;
    if (list->tail)
        list->tail->next = req;
    else
        list->head = req;
    list->tail = req;
    list->count++;
}

static kv__mc_req *list_pop(kv__mc_reqlist *list)
{
    kv__mc_req *req = list->head;
    if (!req)
        return NULL;
    list->head = req->next;
    if (!list->head)
        list->tail = NULL;
    list->count--;
    req->next = NULL;
    return req;
}

static kv__mc_req *req_new(kv__mc_node *node, kv__mc_req_kind kind, kv__op *op)
{
    kv__mc *mc = node->mc;
    kv__mc_req *req = kv__xcalloc(1, sizeof *req);
    req->kind = kind;
    req->opaque = ++mc->next_opaque;
    req->deadline_ns = kv__mc_now_ns() + mc->timeout_ns;
    req->op = op;
    return req;
}

void kv__mc_op_fail(kv__op *op, kv_status status, const char *message)
{
    kv_result_clear(&op->result);
    kv__op_fail(op, status, "%s", message);
    kv__op_complete(op);
}

static void req_free(kv__mc_req *req)
{
    free(req->frame);
    free(req);
}

/* Fail every request of LIST; sent operations learn that they may have been applied. */
static void fail_list(kv__mc_node *node, kv__mc_reqlist *list, kv_status status,
                      const char *message, bool sent)
{
    char text[KV__MC_MESSAGE_MAX];
    snprintf(text, sizeof text, "%s%s", message,
             sent && status == KV_ERR_NETWORK ? " (the request was sent: it may have been applied)"
                                              : "");
    for (kv__mc_req *req; (req = list_pop(list));) {
        kv__op *op = req->op;
        kv__mc_call_cb cb = req->cb;
        void *arg = req->arg;
        req_free(req);
        if (op)
            kv__mc_op_fail(op, status, sent && kv_op_is_mutation(op->request->op) ? text : message);
        else if (cb)
            cb(node, arg, NULL, status, message);
    }
}

static void send_waiting(kv__mc_node *node)
{
    kv__mc_conn *conn = &node->bin;
    while (node->ready && node->waiting.head && kv__mc_conn_backlog(conn) < BACKLOG_HIGH) {
        kv__mc_req *req = list_pop(&node->waiting);
        if (req->frame) {
            kv__mc_conn_write(conn, req->frame, req->frame_len);
            free(req->frame);
            req->frame = NULL;
        } else {
            kv__mc_op_encode(conn, req->op, req->opaque, req->vbucket);
        }
        list_push(&node->sent, req);
    }
    kv__mc_conn_flush(conn);
}

static kv__mc_req *call_new(kv__mc_node *node, kv__mcbp_request *r, kv__mc_call_cb cb,
                            void *arg)
{
    kv__mc_req *req = req_new(node, KV__MC_REQ_CALL, NULL);
    req->cb = cb;
    req->arg = arg;
    r->opaque = req->opaque;
    return req;
}

static void node_call(kv__mc_node *node, kv__mcbp_request *r, kv__mc_call_cb cb, void *arg,
                      bool multi)
{
    if (!kv__mc_node_ensure(node)) {
        cb(node, arg, NULL, node->auth_failed ? KV_ERR_AUTH : KV_ERR_NETWORK,
           node->auth_failed ? node->auth_error
           : node->down_reason[0] ? node->down_reason
                                  : "the node is down");
        return;
    }
    kv__mc_req *req = call_new(node, r, cb, arg);
    req->multi = multi;
    req->frame_len = kv__mcbp_request_size(r);
    req->frame = kv__xcalloc(1, req->frame_len);
    kv__mcbp_encode(r, req->frame, req->frame_len);
    list_push(&node->waiting, req);
    kv__mc_arm_tick(node->mc);
    if (node->ready)
        send_waiting(node);
}

void kv__mc_node_call(kv__mc_node *node, kv__mcbp_request *r, kv__mc_call_cb cb, void *arg)
{
    node_call(node, r, cb, arg, false);
}

void kv__mc_node_call_multi(kv__mc_node *node, kv__mcbp_request *r, kv__mc_call_cb cb,
                            void *arg)
{
    node_call(node, r, cb, arg, true);
}

void kv__mc_node_handshake_call(kv__mc_node *node, kv__mcbp_request *r, kv__mc_call_cb cb,
                                void *arg, bool secret)
{
    kv__mc_req *req = call_new(node, r, cb, arg);
    req->handshake = true;
    size_t size = kv__mcbp_request_size(r);
    kv__mcbp_encode(r, kv__mc_conn_append(&node->bin, size), size);
    if (secret)
        node->bin.out_sensitive = true; /* wiped once written */
    list_push(&node->sent, req);
    kv__mc_arm_tick(node->mc);
    kv__mc_conn_flush(&node->bin);
}

void kv__mc_node_ready(kv__mc_node *node)
{
    node->ready = true;
    node->failures = 0;
    node->down_reason[0] = '\0';
    send_waiting(node);
    kv__mc_text_sasl_known(node);
}

void kv__mc_node_refuse(kv__mc_node *node, kv_status status, const char *message)
{
    if (status == KV_ERR_AUTH) {
        node->auth_failed = true;
        snprintf(node->auth_error, sizeof node->auth_error, "%s", message);
    }
    node->ready = false;
    kv__mc_conn_close(&node->bin);
    fail_list(node, &node->sent, status, message, false);
    fail_list(node, &node->waiting, status, message, false);
    kv__mc_text_sasl_known(node);
}

static uint64_t backoff_ms(int failures)
{
    uint64_t ms = BACKOFF_FIRST_MS;
    for (int i = 1; i < failures && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

bool kv__mc_node_ensure(kv__mc_node *node)
{
    if (node->bin.state != KV__MC_DOWN)
        return true;
    if (node->auth_failed || kv__mc_now_ns() < node->retry_at_ns || node->mc->closing)
        return false;
    node->ready = false;
    kv__mcbp_reader_reset(&node->reader);
    kv__mc_conn_connect(&node->bin);
    return node->bin.state != KV__MC_DOWN;
}

/* Why a new request cannot even wait for the node. */
static void fail_fast(kv__mc_node *node, kv__op *op)
{
    char message[KV__MC_MESSAGE_MAX + 40];
    if (node->auth_failed) {
        kv__mc_op_fail(op, KV_ERR_AUTH, node->auth_error);
        return;
    }
    uint64_t now = kv__mc_now_ns();
    uint64_t wait_ms = node->retry_at_ns > now ? (node->retry_at_ns - now) / 1000000 : 0;
    snprintf(message, sizeof message, "%s (next try in %" PRIu64 " ms)",
             node->down_reason[0] ? node->down_reason : "the node is down", wait_ms);
    kv__mc_op_fail(op, KV_ERR_NETWORK, message);
}

void kv__mc_node_submit(kv__mc_node *node, kv__op *op, uint16_t vbucket)
{
    if (node->waiting.count + node->sent.count >= QUEUE_MAX) {
        char message[KV__MC_MESSAGE_MAX];
        snprintf(message, sizeof message, "%zu requests already wait for %s; try again later",
                 node->waiting.count + node->sent.count, node->name);
        kv__mc_op_fail(op, KV_ERR_TEMPORARY_FAIL, message);
        return;
    }
    if (!kv__mc_node_ensure(node)) {
        fail_fast(node, op);
        return;
    }
    kv__mc_req *req = req_new(node, KV__MC_REQ_OP, op);
    req->vbucket = vbucket;
    list_push(&node->waiting, req);
    kv__mc_arm_tick(node->mc);
    if (node->ready)
        send_waiting(node);
}

/* Take the request OPAQUE answers off the sent list; earlier ones were skipped by the server. */
static kv__mc_req *take_answered(kv__mc_node *node, uint32_t opaque)
{
    kv__mc_req *req = node->sent.head;
    while (req && req->opaque != opaque)
        req = req->next;
    if (!req)
        return NULL;
    kv__mc_reqlist skipped = {0};
    for (kv__mc_req *r; (r = list_pop(&node->sent)) != req;)
        list_push(&skipped, r);
    fail_list(node, &skipped, KV_ERR_NETWORK, "the server skipped this request", true);
    return req;
}

/* A success frame of a multi-frame call: more follow, so the call stays first in line (the
 * server answers in order) with a fresh deadline. */
static bool answer_partial(kv__mc_node *node, const kv__mcbp_packet *p)
{
    kv__mc_req *req = node->sent.head;
    if (p->magic != KV__MCBP_MAGIC_RESPONSE || !req || !req->multi || req->opaque != p->opaque ||
        p->status != KV__MCBP_STATUS_SUCCESS)
        return false;
    req->deadline_ns = kv__mc_now_ns() + node->mc->timeout_ns;
    if (req->cb) /* NULL once timed out: the frames are dropped until the last one */
        req->cb(node, req->arg, p, KV_OK, NULL);
    return true;
}

static void dispatch(kv__mc_node *node, const kv__mcbp_packet *p)
{
    char message[KV__MC_MESSAGE_MAX];
    if (answer_partial(node, p))
        return;
    kv__mc_req *req = p->magic == KV__MCBP_MAGIC_RESPONSE ? take_answered(node, p->opaque) : NULL;
    if (!req) {
        snprintf(message, sizeof message, "protocol error from %s: %s", node->name,
                 p->magic == KV__MCBP_MAGIC_RESPONSE ? "an answer to no request"
                                                     : "not a response frame");
        kv__mc_conn_fail(&node->bin, KV_ERR_NETWORK, message);
        return;
    }
    if (req->kind == KV__MC_REQ_CALL) {
        if (req->cb)
            req->cb(node, req->arg, p, KV_OK, NULL);
    } else if (req->op) {
        kv__mc_op_answer(node, req->op, p);
    }
    req_free(req);
}

static uint8_t *bin_space(kv__mc_conn *conn, size_t *avail)
{
    kv__mc_node *node = conn->owner;
    return kv__mcbp_reader_space(&node->reader, avail);
}

static void bin_read(kv__mc_conn *conn, size_t n)
{
    kv__mc_node *node = conn->owner;
    kv__mcbp_reader_commit(&node->reader, n);
    kv__mcbp_packet packet;
    int rc;
    while (conn->state == KV__MC_OPEN && (rc = kv__mcbp_reader_next(&node->reader, &packet)) != 0) {
        if (rc < 0) {
            char message[KV__MC_MESSAGE_MAX];
            snprintf(message, sizeof message, "protocol error from %s: %s", node->name,
                     node->reader.why);
            kv__mc_conn_fail(conn, KV_ERR_NETWORK, message);
            return;
        }
        dispatch(node, &packet);
    }
    if (conn->state == KV__MC_OPEN)
        send_waiting(node);
}

static void bin_open(kv__mc_conn *conn)
{
    kv__mc_node *node = conn->owner;
    if (node->mc->flavor)
        node->mc->flavor->handshake(node);
    else
        kv__mc_sasl_start(node);
}

static void bin_drained(kv__mc_conn *conn)
{
    send_waiting(conn->owner);
}

/* A drop fails what was sent and retries once at once for what waits; a failed connect fails
 * everything that waits and backs off. A connection that broke during its handshake counts as a
 * failed connect: a wrong service on the port breaks every handshake, and what waits must hear
 * so at once rather than wait out its timeout. */
static void bin_down(kv__mc_conn *conn, kv_status status, const char *message, bool was_open)
{
    kv__mc_node *node = conn->owner;
    was_open = was_open && node->ready;
    node->ready = false;
    kv__mc_sasl_reset(node);
    fail_list(node, &node->sent, status, message, true);
    if (!was_open) {
        node->failures++;
        node->retry_at_ns = kv__mc_now_ns() + backoff_ms(node->failures) * 1000000u;
        snprintf(node->down_reason, sizeof node->down_reason, "%s", message);
        fail_list(node, &node->waiting, status, message, false);
    } else if (node->waiting.head && !kv__mc_node_ensure(node)) {
        fail_list(node, &node->waiting, status, message, false);
    }
    if (node->sasl == KV__MC_SASL_UNKNOWN)
        kv__mc_text_sasl_known(node);
}

static const kv__mc_conn_ops bin_ops = {
    .on_open = bin_open,
    .read_space = bin_space,
    .on_read = bin_read,
    .on_down = bin_down,
    .on_drained = bin_drained,
};

void kv__mc_node_init(kv__mc_node *node, kv__mc *mc, size_t index, const kv_host *host)
{
    memset(node, 0, sizeof *node);
    node->mc = mc;
    node->index = index;
    node->host.host = strdup(host->host);
    if (!node->host.host)
        kv__out_of_memory();
    node->host.port = host->port;
    bool v6 = strchr(host->host, ':') != NULL;
    snprintf(node->name, sizeof node->name, v6 ? "[%s]:%u" : "%s:%u", host->host,
             (unsigned)host->port);
    kv__mc_conn_init(&node->bin, mc, node, &bin_ops, node);
    kv__mcbp_reader_init(&node->reader);
    kv__mc_text_init(node);
}

/* Fail timed-out requests of the sent list (keeping placeholders for their late answers);
 * true when a request there still has time left. */
static bool expire_sent(kv__mc_node *node, uint64_t now, const char *message)
{
    for (kv__mc_req *req = node->sent.head; req; req = req->next) {
        if (req->deadline_ns > now)
            return true;
        if (req->handshake) {
            char why[KV__MC_MESSAGE_MAX];
            snprintf(why, sizeof why, "%s did not answer the handshake in time", node->name);
            kv__mc_conn_fail(&node->bin, KV_ERR_TIMEOUT, why);
            return node->waiting.count > 0;
        }
        if (req->op) {
            kv__op *op = req->op;
            req->op = NULL;
            kv__mc_op_fail(op, KV_ERR_TIMEOUT, message);
        } else if (req->cb) {
            kv__mc_call_cb cb = req->cb;
            req->cb = NULL;
            cb(node, req->arg, NULL, KV_ERR_TIMEOUT, message);
        }
    }
    return false;
}

bool kv__mc_node_tick(kv__mc_node *node, uint64_t now)
{
    char message[KV__MC_MESSAGE_MAX];
    double seconds = (double)node->mc->timeout_ns / 1e9;
    kv__mc_conn *conn = &node->bin;
    bool connecting = conn->state == KV__MC_RESOLVING || conn->state == KV__MC_CONNECTING;
    if (connecting && kv__mc_elapsed(now, conn->started_ns) >= node->mc->timeout_ns) {
        snprintf(message, sizeof message, "connecting to %s timed out after %.1f s", node->name,
                 seconds);
        kv__mc_conn_fail(conn, KV_ERR_TIMEOUT, message);
    }
    snprintf(message, sizeof message, "no answer from %s within %.1f s", node->name, seconds);
    while (node->waiting.head && node->waiting.head->deadline_ns <= now) {
        kv__mc_reqlist expired = {0};
        list_push(&expired, list_pop(&node->waiting));
        fail_list(node, &expired, KV_ERR_TIMEOUT, message, false);
    }
    bool busy = expire_sent(node, now, message);
    busy |= kv__mc_text_tick(node, now);
    return busy || node->waiting.count > 0 || node->bin.state == KV__MC_RESOLVING ||
           node->bin.state == KV__MC_CONNECTING;
}

void kv__mc_node_shutdown(kv__mc_node *node)
{
    node->ready = false;
    kv__mc_conn_close(&node->bin);
    fail_list(node, &node->sent, KV_ERR_CANCELLED, "the store is closing", false);
    fail_list(node, &node->waiting, KV_ERR_CANCELLED, "the store is closing", false);
    kv__mc_text_fail_all(node, KV_ERR_CANCELLED, "the store is closing");
}

void kv__mc_node_free(kv__mc_node *node)
{
    kv__mc_sasl_reset(node);
    kv__mc_conn_free(&node->bin);
    kv__mc_conn_free(&node->text);
    kv__mcbp_reader_free(&node->reader);
    kv__rbuf_free(&node->text_in);
    free(node->host.host);
    node->host.host = NULL;
}

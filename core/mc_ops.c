/*
 * The operations of DESIGN.md section 4 on memcached's binary protocol (and, for the Couchbase
 * flavor, GET_REPLICA, GET_LOCKED and UNLOCK_KEY, which memcached refuses before they are sent):
 *   get = GET (GAT with a TTL), insert = ADD, upsert = SET, replace = REPLACE (all three with
 *   flags, expiry and CAS), remove = DELETE, touch = TOUCH, counter = INCREMENT/DECREMENT with
 *   initial and expiry (expiry 0xffffffff when there is no initial, so a missing counter is
 *   NotFoundError instead of being created), append/prepend = APPEND/PREPEND.
 * memcached has no replicas, locks or durability: those are refused before anything is sent.
 * Results carry what the server said; expiry comes from the TTL the request set, or is read
 * back over text for operations that keep the stored one (get, counter, append, prepend).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_internal.h"
#include "mc_internal.h"
#include "util_alloc.h"
#include "util_text.h"

/* Messages quote at most this much of a key, so they fit the result's message buffer. */
#define KEY_SHOWN 100
#define KEY_ARGS(r) (int)((r)->key_len < KEY_SHOWN ? (r)->key_len : KEY_SHOWN), (r)->key

static bool fail_now(kv__op *op, kv_status status, const char *message)
{
    kv__mc_op_fail(op, status, message);
    return true;
}

bool kv__mc_op_refused(kv__op *op)
{
    const kv_request *r = op->request;
    char message[KV__MC_MESSAGE_MAX];
    if (r->op == KV_OP_LOCK || r->op == KV_OP_UNLOCK)
        return fail_now(op, KV_ERR_NOT_SUPPORTED,
                        "memcached has no locks: lock and unlock need Couchbase or the embedded "
                        "store");
    if (r->op == KV_OP_GET && r->replica)
        return fail_now(op, KV_ERR_NOT_SUPPORTED, "memcached has no replicas");
    if (r->op == KV_OP_GET && !r->has_ttl)
        return false;
    if (r->replicate_to > 0) {
        snprintf(message, sizeof message, "replicate_to %d: memcached has no replicas",
                 r->replicate_to);
        return fail_now(op, KV_ERR_DURABILITY_IMPOSSIBLE, message);
    }
    if (r->persist_to > 0) {
        snprintf(message, sizeof message, "persist_to %d: memcached keeps items in memory only",
                 r->persist_to);
        return fail_now(op, KV_ERR_DURABILITY_IMPOSSIBLE, message);
    }
    return false;
}

static uint32_t request_expiry(const kv_request *r)
{
    return r->has_ttl ? (uint32_t)r->ttl : 0; /* 0..UINT32_MAX: checked by kv_request_check */
}

static uint8_t opcode_of(const kv_request *r)
{
    switch (r->op) {
    case KV_OP_GET:
        if (r->replica)
            return KV__CB_OP_GET_REPLICA;
        return r->has_ttl ? KV__MCBP_OP_GAT : KV__MCBP_OP_GET;
    case KV_OP_LOCK:
        return KV__CB_OP_GET_LOCKED;
    case KV_OP_UNLOCK:
        return KV__CB_OP_UNLOCK_KEY;
    case KV_OP_INSERT:
        return KV__MCBP_OP_ADD;
    case KV_OP_UPSERT:
        return KV__MCBP_OP_SET;
    case KV_OP_REPLACE:
        return KV__MCBP_OP_REPLACE;
    case KV_OP_REMOVE:
        return KV__MCBP_OP_DELETE;
    case KV_OP_TOUCH:
        return KV__MCBP_OP_TOUCH;
    case KV_OP_COUNTER:
        return r->delta < 0 ? KV__MCBP_OP_DECREMENT : KV__MCBP_OP_INCREMENT;
    case KV_OP_APPEND:
        return KV__MCBP_OP_APPEND;
    default:
        return KV__MCBP_OP_PREPEND;
    }
}

/* The extras of R's request into EXTRAS; returns their length. */
static uint8_t extras_of(const kv_request *r, uint8_t extras[20])
{
    switch (r->op) {
    case KV_OP_GET:
    case KV_OP_TOUCH:
    case KV_OP_LOCK: /* GET_LOCKED: the lock time, in the same 4 bytes */
        if (!r->has_ttl && r->op == KV_OP_GET)
            return 0;
        kv__mcbp_expiry_extras(extras, request_expiry(r));
        return 4;
    case KV_OP_INSERT:
    case KV_OP_UPSERT:
    case KV_OP_REPLACE:
        kv__mcbp_store_extras(extras, r->flags, request_expiry(r));
        return 8;
    case KV_OP_COUNTER: {
        uint64_t delta = r->delta < 0 ? (uint64_t)0 - (uint64_t)r->delta : (uint64_t)r->delta;
        uint32_t expiry = r->has_initial ? request_expiry(r) : KV__MCBP_ARITH_NO_CREATE;
        kv__mcbp_arith_extras(extras, delta, r->has_initial ? r->initial : 0, expiry);
        return 20;
    }
    default:
        return 0;
    }
}

static bool carries_value(kv_op op)
{
    return op == KV_OP_INSERT || op == KV_OP_UPSERT || op == KV_OP_REPLACE || op == KV_OP_APPEND ||
           op == KV_OP_PREPEND;
}

/* The datatype byte: JSON for a whole JSON document, where the connection enabled it (HELLO). */
static uint8_t datatype_of(const kv__mc_conn *conn, const kv_request *r)
{
    bool document = r->op == KV_OP_INSERT || r->op == KV_OP_UPSERT || r->op == KV_OP_REPLACE;
    bool json = kv_format_of_flags(r->flags) == KV_FORMAT_JSON && kv_flags_known(r->flags);
    return conn->node && conn->node->json_datatype && document && json ? KV__CB_DATATYPE_JSON : 0;
}

void kv__mc_op_encode(kv__mc_conn *conn, const kv__op *op, uint32_t opaque, uint16_t vbucket)
{
    const kv_request *r = op->request;
    uint8_t extras[20];
    kv__mcbp_request req = {
        .opcode = opcode_of(r),
        .datatype = datatype_of(conn, r),
        .opaque = opaque,
        .vbucket = vbucket,
        .cas = r->op == KV_OP_GET || r->op == KV_OP_TOUCH || r->op == KV_OP_LOCK ? 0 : r->cas,
        .extras = extras,
        .extras_len = extras_of(r, extras),
        .key = (const uint8_t *)r->key,
        .key_len = (uint16_t)r->key_len,
        .value = carries_value(r->op) ? r->value : NULL,
        .value_len = carries_value(r->op) ? r->value_len : 0,
    };
    size_t size = kv__mcbp_request_size(&req);
    kv__mcbp_encode(&req, kv__mc_conn_append(conn, size), size);
}

static void fail_key_exists(kv__op *op)
{
    const kv_request *r = op->request;
    if (r->op == KV_OP_INSERT)
        kv__op_fail(op, KV_ERR_KEY_EXISTS, "key '%.*s' already exists", KEY_ARGS(r));
    else
        kv__op_fail(op, KV_ERR_KEY_EXISTS,
                    "key '%.*s' changed: CAS 0x%" PRIx64 " is not the stored one", KEY_ARGS(r),
                    r->cas);
}

/* Turn an error status into the result's status and a message a user can act on. */
static void fail_from_status(kv__mc_node *node, kv__op *op, const kv__mcbp_packet *p)
{
    const kv_request *r = op->request;
    char says[64];
    kv__printable(says, sizeof says, p->value, p->value_len, 60);
    kv_status status = kv__mcbp_status_to_kv(p->status);
    switch (p->status) {
    case KV__MCBP_STATUS_KEY_ENOENT:
    case KV__MCBP_STATUS_NOT_STORED:
        if (r->op == KV_OP_APPEND || r->op == KV_OP_PREPEND)
            status = KV_ERR_NOT_STORED;
        kv__op_fail(op, status, "key '%.*s' does not exist", KEY_ARGS(r));
        break;
    case KV__MCBP_STATUS_KEY_EEXISTS:
        fail_key_exists(op);
        break;
    case KV__MCBP_STATUS_E2BIG:
        kv__op_fail(op, status,
                    "%s refused the value of '%.*s' as too large (its item size "
                    "limit is set with memcached -I)",
                    node->name, KEY_ARGS(r));
        break;
    case KV__MCBP_STATUS_DELTA_BADVAL:
        kv__op_fail(op, status, "the value of key '%.*s' is not a number", KEY_ARGS(r));
        break;
    default:
        kv__op_fail(op, status, "%s answered %s (0x%04x)%s%s", node->name,
                    kv__mcbp_status_name(p->status), (unsigned)p->status, says[0] ? ": " : "",
                    says);
        break;
    }
}

static void copy_value(kv__op *op, const uint8_t *value, size_t len)
{
    uint8_t *copy = kv__xrealloc(NULL, len ? len : 1);
    if (len)
        memcpy(copy, value, len);
    op->result.value = copy;
    op->result.value_len = len;
}

static int64_t expiry_of_ttl(const kv_request *r)
{
    int64_t expiry = 0;
    if (r->has_ttl)
        kv_ttl_to_expiry(r->ttl, kv_now(), &expiry);
    return expiry;
}

/* Counters answer with the new number as 8 big-endian bytes; the document holds its text. */
static bool take_counter(kv__op *op, const kv__mcbp_packet *p)
{
    if (p->value_len != 8)
        return false;
    op->result.counter = kv__mcbp_get64(p->value);
    char text[24];
    int len = snprintf(text, sizeof text, "%" PRIu64, op->result.counter);
    copy_value(op, (const uint8_t *)text, (size_t)len);
    return true;
}

/* Fill the result of a successful answer; true when the expiry still has to be read back. */
static bool take_success(kv__op *op, const kv__mcbp_packet *p)
{
    const kv_request *r = op->request;
    kv_result *res = &op->result;
    res->status = KV_OK;
    res->cas = p->cas;
    if (p->extras_len >= 4 && (r->op == KV_OP_GET || r->op == KV_OP_TOUCH || r->op == KV_OP_LOCK))
        res->flags = kv__mcbp_get32(p->extras);
    switch (r->op) {
    case KV_OP_GET:
    case KV_OP_LOCK:
        copy_value(op, p->value, p->value_len);
        res->expiry = r->has_ttl ? expiry_of_ttl(r) : -1;
        return !r->has_ttl;
    case KV_OP_INSERT:
    case KV_OP_UPSERT:
    case KV_OP_REPLACE:
        res->flags = r->flags;
        res->expiry = expiry_of_ttl(r);
        return false;
    case KV_OP_TOUCH:
        res->expiry = expiry_of_ttl(r);
        return false;
    case KV_OP_REMOVE:
        res->expiry = 0;
        return false;
    case KV_OP_COUNTER:
        if (!take_counter(op, p))
            kv__op_fail(op, KV_ERR_INTERNAL, "the counter answer is not 8 bytes");
        return res->status == KV_OK;
    default:
        return true; /* append, prepend */
    }
}

void kv__mc_op_answer(kv__mc_node *node, kv__op *op, const kv__mcbp_packet *p)
{
    if (node->mc->flavor && node->mc->flavor->answered(node, op, p))
        return;
    kv_result_clear(&op->result);
    op->result.expiry = -1;
    if (p->status != KV__MCBP_STATUS_SUCCESS) {
        fail_from_status(node, op, p);
        op->result.expiry = 0;
        kv__op_complete(op);
        return;
    }
    bool expiry_unknown = take_success(op, p);
    if (node->mc->flavor && op->result.status == KV_OK) {
        node->mc->flavor->succeeded(node, op, expiry_unknown);
        return;
    }
    if (expiry_unknown && kv__mc_text_possible(node)) {
        kv__mc_expiry_readout(node, op);
        return;
    }
    if (op->result.status != KV_OK)
        kv_result_clear(&op->result);
    kv__op_complete(op);
}

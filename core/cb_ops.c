/*
 * What Couchbase operations add to memcached's (mc_ops.c encodes and reads them all):
 *   - refusals that need the map: replica reads on a bucket without replicas, persist_to /
 *     replicate_to beyond the copies the map has (DurabilityImpossibleError before writing),
 *     locks longer than the server honours;
 *   - answers: NOT_MY_VBUCKET sends the operation again where the newer map says, and the
 *     statuses memcached never sends (LOCKED, NOT_LOCKED, ...) mean what the Python SDK 2.x says;
 *   - after success: the expiry from GET_META (so TTLs count down), durability by OBSERVE.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cb_backend.h"

#define KEY_SHOWN 100
#define KEY_ARGS(r) (int)((r)->key_len < KEY_SHOWN ? (r)->key_len : KEY_SHOWN), (r)->key

static bool fail_now(kv__op *op, kv_status status, const char *message)
{
    kv__mc_op_fail(op, status, message);
    return true;
}

static bool wants_durability(const kv_request *r)
{
    return kv_op_is_mutation(r->op) && (r->persist_to != 0 || r->replicate_to != 0);
}

/* The replicas the map actually places for OP's vbucket (a bucket configured for more replicas
 * than it has nodes lists the missing ones as -1). */
static uint32_t placed_replicas(const kv__cb *cb, const kv__op *op)
{
    uint16_t vbucket = kv__cb_vbucket_of_op(cb, op);
    uint32_t placed = 0;
    for (uint32_t copy = 1; copy <= cb->config.num_replicas; copy++)
        placed += kv__cb_config_server(&cb->config, vbucket, copy) >= 0;
    return placed;
}

/* persist_to / replicate_to against the copies the map places for the key: -1 is "all", more
 * is impossible, and refused before anything is written. */
static bool durability_refused(const kv__cb *cb, kv__op *op)
{
    const kv_request *r = op->request;
    char message[KV__MC_MESSAGE_MAX];
    uint32_t replicas = placed_replicas(cb, op);
    if (r->replicate_to > (int)replicas) {
        snprintf(message, sizeof message,
                 "replicate_to %d: bucket '%s' has %" PRIu32 " replica%s of this key",
                 r->replicate_to, cb->bucket, replicas, replicas == 1 ? "" : "s");
        return fail_now(op, KV_ERR_DURABILITY_IMPOSSIBLE, message);
    }
    if (r->persist_to > (int)replicas + 1) {
        snprintf(message, sizeof message,
                 "persist_to %d: bucket '%s' keeps %" PRIu32 " cop%s (the active and %" PRIu32
                 " replica%s)",
                 r->persist_to, cb->bucket, replicas + 1, replicas ? "ies" : "y", replicas,
                 replicas == 1 ? "" : "s");
        return fail_now(op, KV_ERR_DURABILITY_IMPOSSIBLE, message);
    }
    return false;
}

bool kv__cb_refused(kv__mc *mc, kv__op *op)
{
    const kv__cb *cb = kv__cb_of(mc);
    const kv_request *r = op->request;
    char message[KV__MC_MESSAGE_MAX];
    if (r->op == KV_OP_LOCK && r->ttl > KV__CB_LOCK_MAX_SECONDS) {
        snprintf(message, sizeof message,
                 "lock --ttl %" PRId64 ": Couchbase holds a lock at most %d s", r->ttl,
                 KV__CB_LOCK_MAX_SECONDS);
        return fail_now(op, KV_ERR_ARGUMENT, message);
    }
    if (cb->config.nnodes == 0)
        return false; /* the rest is judged against the map, once it is there */
    if (r->op == KV_OP_GET && r->replica && cb->config.num_replicas == 0) {
        snprintf(message, sizeof message, "bucket '%s' has no replicas (numReplicas is 0)",
                 cb->bucket);
        return fail_now(op, KV_ERR_NOT_SUPPORTED, message);
    }
    return wants_durability(r) && durability_refused(cb, op);
}

/* NOT_MY_VBUCKET: the reply may carry the newer map; either way OP goes again. */
static void not_my_vbucket(kv__mc_node *node, kv__op *op, const kv__mcbp_packet *p)
{
    kv__cb *cb = kv__cb_of(node->mc);
    if (p->value_len > 0 && kv__cb_apply_map(cb, node, p->value, p->value_len)) {
        kv__cb_route(node->mc, op);
        return;
    }
    kv__cb_park(cb, op); /* the map did not move: ask for one, retry from the tick */
    kv__cb_fetch_map(cb);
}

/* The statuses only Couchbase sends, in the words the embedded store uses for the same cases. */
static bool couchbase_error(kv__mc_node *node, kv__op *op, const kv__mcbp_packet *p)
{
    const kv_request *r = op->request;
    const kv__cb_node_state *state = kv__cb_node_of(node);
    kv_status status = kv__cb_status_to_kv(p->status, p->opcode, &state->error_map);
    kv_result_clear(&op->result);
    switch (p->status) {
    case KV__MCBP_STATUS_LOCKED:
        if (r->op == KV_OP_LOCK)
            kv__op_fail(op, status, "key '%.*s' is already locked", KEY_ARGS(r));
        else
            kv__op_fail(op, status, "key '%.*s' is locked", KEY_ARGS(r));
        break;
    case KV__MCBP_STATUS_NOT_LOCKED:
        kv__op_fail(op, status, "key '%.*s' is not locked", KEY_ARGS(r));
        break;
    case KV__MCBP_STATUS_ETMPFAIL:
        kv__op_fail(op, status, "%s is temporarily unable to serve '%.*s' (%s)", node->name,
                    KEY_ARGS(r), kv__cb_status_name(p->status));
        break;
    default:
        return false;
    }
    op->result.expiry = 0;
    kv__op_complete(op);
    return true;
}

bool kv__cb_answered(kv__mc_node *node, kv__op *op, const kv__mcbp_packet *p)
{
    if (p->status == KV__MCBP_STATUS_NOT_MY_VBUCKET) {
        not_my_vbucket(node, op, p);
        return true;
    }
    if (p->status != KV__MCBP_STATUS_SUCCESS)
        return couchbase_error(node, op, p);
    return false;
}

static void meta_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p,
                          kv_status status, const char *message)
{
    (void)node, (void)status, (void)message;
    kv__op *op = arg;
    kv__cb_meta meta;
    if (p && p->status == KV__MCBP_STATUS_SUCCESS &&
        kv__cb_meta_parse(p, &meta, NULL, 0) == KV_OK)
        op->result.expiry = meta.expiry; /* absolute, 0 = none: what results carry */
    kv__op_complete(op); /* without it the expiry stays -1, "unknown" */
}

/* GET_META on the key's active node: the stored expiry of OP's document. */
static void read_expiry(kv__cb *cb, kv__op *op)
{
    uint16_t vbucket = kv__cb_vbucket_of_op(cb, op);
    kv__mc_node *active = kv__cb_node_for(cb, vbucket, 0);
    kv__cb_request r;
    if (!active || kv__cb_get_meta(&r, op->request->key, op->request->key_len, vbucket, NULL,
                                   0) != KV_OK) {
        kv__op_complete(op);
        return;
    }
    kv__mcbp_request m = kv__cb_request_mcbp(&r, 0);
    kv__mc_node_call(active, &m, meta_answered, op);
    kv__cb_request_free(&r);
}

void kv__cb_succeeded(kv__mc_node *node, kv__op *op, bool expiry_unknown)
{
    kv__cb *cb = kv__cb_of(node->mc);
    if (wants_durability(op->request))
        kv__cb_observe_start(cb, op, kv__cb_vbucket_of_op(cb, op), op->result.cas);
    else if (expiry_unknown)
        read_expiry(cb, op);
    else
        kv__op_complete(op);
}

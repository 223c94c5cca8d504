/*
 * The handshake of every Couchbase connection, as libcouchbase does it (protocol.md 2.1):
 * HELLO (a feature the server refuses is simply not used), GET_ERROR_MAP when XERROR is on, SASL
 * (mc_sasl.c: SCRAM, PLAIN only over TLS unless forced), SELECT_BUCKET, then GET_CLUSTER_CONFIG,
 * whose map decides where keys go. Only then is the node ready for operations.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "cb_backend.h"

#define AGENT "kvtui/" KV_VERSION
#define ERROR_MAP_VERSION 2

/* Send the request R as the next handshake step; its answer goes to CB. */
static void step(kv__mc_node *node, kv__cb_request *r, kv__mc_call_cb cb)
{
    kv__mcbp_request m = kv__cb_request_mcbp(r, 0);
    kv__mc_node_handshake_call(node, &m, cb, NULL, false);
    kv__cb_request_free(r);
}

/* A handshake request that failed without an answer broke the connection already. */
#define ANSWERED_OR_RETURN(p)                                                                      \
    do {                                                                                           \
        if (!(p))                                                                                  \
            return;                                                                                \
    } while (0)

static void refuse(kv__mc_node *node, kv_status status, const char *fmt, const char *detail)
{
    char message[KV__MC_MESSAGE_MAX + 320];
    snprintf(message, sizeof message, fmt, node->name, detail);
    kv__mc_node_refuse(node, status, message);
}

static void map_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p, kv_status status,
                         const char *message)
{
    (void)arg, (void)status, (void)message;
    ANSWERED_OR_RETURN(p);
    kv__cb *cb = kv__cb_of(node->mc);
    if (p->status != KV__MCBP_STATUS_SUCCESS) {
        refuse(node, KV_ERR_NOT_SUPPORTED,
               "%s serves no cluster map over KV (GET_CLUSTER_CONFIG: %s): kvtui needs "
               "Couchbase Server 5 or later",
               kv__cb_status_name(p->status));
        return;
    }
    if (!kv__cb_apply_map(cb, node, p->value, p->value_len) && cb->config.nnodes == 0) {
        kv__mc_node_refuse(node, KV_ERR_NETWORK, cb->map_error);
        return;
    }
    kv__cb_node_of(node)->bootstrap_done = true;
    kv__mc_node_ready(node);
}

static void fetch_map(kv__mc_node *node)
{
    kv__cb_request r;
    kv__cb_get_cluster_config(&r);
    step(node, &r, map_answered);
}

static void bucket_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p,
                            kv_status status, const char *message)
{
    (void)arg, (void)status, (void)message;
    ANSWERED_OR_RETURN(p);
    kv__cb *cb = kv__cb_of(node->mc);
    if (p->status == KV__MCBP_STATUS_SUCCESS) {
        fetch_map(node);
        return;
    }
    char detail[300];
    snprintf(detail, sizeof detail, "'%.250s' (%.40s)", cb->bucket, kv__cb_status_name(p->status));
    refuse(node, KV_ERR_AUTH,
           "%s refused bucket %s: it does not exist, or the user may not use it", detail);
}

void kv__cb_authenticated(kv__mc_node *node)
{
    kv__cb *cb = kv__cb_of(node->mc);
    kv__cb_request r;
    char why[KV__MC_MESSAGE_MAX / 2];
    if (!kv__cb_feature_on(kv__cb_node_of(node)->features, KV__CB_FEATURE_SELECT_BUCKET)) {
        fetch_map(node); /* an old server: the bucket is the user's own */
        return;
    }
    if (kv__cb_select_bucket(&r, cb->bucket, why, sizeof why) != KV_OK) {
        kv__mc_node_refuse(node, KV_ERR_ARGUMENT, why);
        return;
    }
    step(node, &r, bucket_answered);
}

static void error_map_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p,
                               kv_status status, const char *message)
{
    (void)arg, (void)status, (void)message;
    ANSWERED_OR_RETURN(p);
    kv__cb_node_state *state = kv__cb_node_of(node);
    if (p->status == KV__MCBP_STATUS_SUCCESS) /* an unreadable map is only less helpful */
        kv__cb_error_map_parse(p->value, p->value_len, &state->error_map, NULL, 0);
    kv__mc_sasl_start(node);
}

static void hello_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p,
                           kv_status status, const char *message)
{
    (void)arg, (void)status, (void)message;
    ANSWERED_OR_RETURN(p);
    kv__cb_node_state *state = kv__cb_node_of(node);
    char why[KV__MC_MESSAGE_MAX / 2];
    kv_status parsed = kv__cb_hello_parse(p, &state->features, why, sizeof why);
    if (parsed == KV_ERR_NETWORK) {
        refuse(node, KV_ERR_NETWORK, "protocol error from %s: %s", why);
        return;
    }
    if (parsed != KV_OK)
        state->features = 0; /* HELLO unknown: a plain memcached-like server */
    node->json_datatype = kv__cb_feature_on(state->features, KV__CB_FEATURE_JSON);
    if (!kv__cb_feature_on(state->features, KV__CB_FEATURE_XERROR)) {
        kv__mc_sasl_start(node);
        return;
    }
    kv__cb_request r;
    kv__cb_get_error_map(&r, ERROR_MAP_VERSION);
    step(node, &r, error_map_answered);
}

void kv__cb_handshake(kv__mc_node *node)
{
    kv__cb_node_state *state = kv__cb_node_of(node);
    state->features = 0;
    node->json_datatype = false;
    kv__cb_error_map_free(&state->error_map);
    uint64_t ids[2] = {0, 0};
    if (getrandom(ids, sizeof ids, GRND_NONBLOCK) != (ssize_t)sizeof ids)
        ids[1] = kv__mc_now_ns(); /* the id only helps server logs: any value will do */
    char id[KV__CB_CONNECTION_ID_LEN + 1];
    kv__cb_connection_id(id, ids[0], ids[1]);
    kv__cb_request r;
    char why[KV__MC_MESSAGE_MAX / 2];
    if (kv__cb_hello(&r, AGENT, id, kv__cb_hello_features, kv__cb_hello_nfeatures, why,
                     sizeof why) != KV_OK) {
        kv__mc_node_refuse(node, KV_ERR_INTERNAL, why);
        return;
    }
    step(node, &r, hello_answered);
}

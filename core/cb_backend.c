/*
 * The Couchbase backend's vtable and its cluster map: nodes come from the bootstrap hosts and
 * from every map a node serves; each key goes to the active node of its vbucket. Operations that
 * cannot be routed yet (no map so far, or a NOT_MY_VBUCKET without a newer map) are parked and
 * routed again from the tick, until their timeout. See cb_backend.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_backend.h"
#include "util_alloc.h"

static kv__mc_node *add_node(kv__mc *mc, const kv_host *host)
{
    kv__mc_node *node = kv__mc_add_node(mc, host);
    if (node)
        node->flavor_node = kv__xcalloc(1, sizeof(kv__cb_node_state));
    return node;
}

static kv__mc_node *find_node(kv__mc *mc, const char *host, uint16_t port)
{
    for (size_t i = 0; i < mc->nnodes; i++) {
        kv__mc_node *node = &mc->nodes[i];
        if (node->host.port == port && strcmp(node->host.host, host) == 0)
            return node;
    }
    return NULL;
}

/* The node of map server SERVER (added and connecting when new), or -1 when it cannot be used. */
static int node_of_server(kv__cb *cb, const kv__cb_node *server)
{
    uint16_t port = cb->mc->tls ? server->kv_tls_port : server->kv_port;
    if (port == 0)
        return -1; /* TLS wanted, but the map advertises no TLS port for this server */
    kv__mc_node *node = find_node(cb->mc, server->host, port);
    if (!node) {
        kv_host host = {.host = server->host, .port = port};
        node = add_node(cb->mc, &host);
        if (!node)
            return -1;
        kv__mc_node_ensure(node);
    }
    return (int)node->index;
}

static void reroute_parked(kv__cb *cb)
{
    kv__cb_parked parked = cb->parked;
    memset(&cb->parked, 0, sizeof cb->parked);
    for (size_t i = 0; i < parked.count; i++)
        kv__cb_route(cb->mc, parked.ops[i]);
    free(parked.ops);
}

bool kv__cb_apply_map(kv__cb *cb, kv__mc_node *from, const uint8_t *json, size_t len)
{
    kv__cb_config config;
    char why[KV__MC_MESSAGE_MAX / 2];
    if (kv__cb_config_parse((const char *)json, len, from->host.host, &config, why, sizeof why) !=
        KV_OK) {
        snprintf(cb->map_error, sizeof cb->map_error, "the cluster map from %s is unusable: %s",
                 from->name, why);
        return false;
    }
    if (!kv__cb_config_newer(&config, cb->config.nnodes ? &cb->config : NULL)) {
        kv__cb_config_free(&config);
        return false;
    }
    int *server_node = kv__xcalloc(config.nnodes, sizeof *server_node);
    for (size_t i = 0; i < config.nnodes; i++)
        server_node[i] = node_of_server(cb, &config.nodes[i]);
    kv__cb_config_free(&cb->config);
    free(cb->server_node);
    cb->config = config;
    cb->server_node = server_node;
    cb->map_error[0] = '\0';
    reroute_parked(cb);
    return true;
}

static void map_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p, kv_status status,
                         const char *message)
{
    kv__cb *cb = arg;
    (void)status;
    (void)message;
    cb->fetching = false;
    if (p && p->status == KV__MCBP_STATUS_SUCCESS)
        kv__cb_apply_map(cb, node, p->value, p->value_len);
}

void kv__cb_fetch_map(kv__cb *cb)
{
    if (cb->fetching)
        return;
    for (size_t i = 0; i < cb->mc->nnodes; i++) {
        kv__mc_node *node = &cb->mc->nodes[i];
        if (!node->ready)
            continue;
        kv__cb_request r;
        kv__cb_get_cluster_config(&r);
        kv__mcbp_request m = kv__cb_request_mcbp(&r, 0);
        cb->fetching = true;
        kv__mc_node_call(node, &m, map_answered, cb);
        kv__cb_request_free(&r);
        return;
    }
}

kv__mc_node *kv__cb_node_for(kv__cb *cb, uint16_t vbucket, uint32_t copy)
{
    int server = kv__cb_config_server(&cb->config, vbucket, copy);
    if (server < 0 || (size_t)server >= cb->config.nnodes || cb->server_node[server] < 0)
        return NULL;
    return &cb->mc->nodes[cb->server_node[server]];
}

uint16_t kv__cb_vbucket_of_op(const kv__cb *cb, const kv__op *op)
{
    return kv__cb_vbucket_of(op->request->key, op->request->key_len, cb->config.num_vbuckets);
}

void kv__cb_park(kv__cb *cb, kv__op *op)
{
    kv__cb_parked *parked = &cb->parked;
    if (parked->count == parked->cap) {
        parked->cap = parked->cap ? parked->cap * 2 : 64;
        parked->ops = kv__xrealloc(parked->ops, parked->cap * sizeof *parked->ops);
    }
    parked->ops[parked->count++] = op;
    kv__mc_arm_tick(cb->mc);
}

/* The first replica that has a node, for a replica read; NULL when none does. */
static kv__mc_node *replica_node(kv__cb *cb, uint16_t vbucket)
{
    for (uint32_t copy = 1; copy <= cb->config.num_replicas; copy++) {
        kv__mc_node *node = kv__cb_node_for(cb, vbucket, copy);
        if (node)
            return node;
    }
    return NULL;
}

void kv__cb_route(kv__mc *mc, kv__op *op)
{
    kv__cb *cb = kv__cb_of(mc);
    if (kv__cb_refused(mc, op))
        return; /* judged again after a park: the map settles replicas and durability */
    if (cb->config.nnodes == 0) {
        kv__cb_park(cb, op);
        return;
    }
    uint16_t vbucket = kv__cb_vbucket_of_op(cb, op);
    bool replica = op->request->op == KV_OP_GET && op->request->replica;
    kv__mc_node *node = replica ? replica_node(cb, vbucket) : kv__cb_node_for(cb, vbucket, 0);
    if (!node && replica) {
        kv__mc_op_fail(op, KV_ERR_TEMPORARY_FAIL,
                       "no replica of this key's vbucket is available in the cluster map");
        return;
    }
    if (!node) {
        kv__cb_park(cb, op);
        kv__cb_fetch_map(cb);
        return;
    }
    kv__mc_node_submit(node, op, vbucket);
}

/* Before any map: the node whose failure says why none can come (every node refused us or is
 * down), or NULL while one may still bootstrap. */
static const kv__mc_node *bootstrap_failure(const kv__cb *cb)
{
    const kv__mc *mc = cb->mc;
    const kv__mc_node *why = NULL;
    for (size_t i = 0; i < mc->nnodes; i++) {
        const kv__mc_node *node = &mc->nodes[i];
        bool hopeless = node->auth_failed || (node->bin.state == KV__MC_DOWN && node->failures > 0);
        if (!hopeless)
            return NULL;
        if (!why || (node->auth_failed && !why->auth_failed))
            why = node;
    }
    return why;
}

static void fail_parked(kv__cb *cb, kv_status status, const char *message)
{
    for (size_t i = 0; i < cb->parked.count; i++)
        kv__mc_op_fail(cb->parked.ops[i], status, message);
    cb->parked.count = 0;
}

/* Parked operations past their deadline fail; the others are routed again once a map exists. */
static bool cb_tick(kv__mc *mc, uint64_t now_ns)
{
    kv__cb *cb = kv__cb_of(mc);
    char message[KV__MC_MESSAGE_MAX + 64];
    const kv__mc_node *failed = cb->config.nnodes == 0 ? bootstrap_failure(cb) : NULL;
    if (failed && failed->auth_failed)
        fail_parked(cb, KV_ERR_AUTH, failed->auth_error);
    else if (failed)
        fail_parked(cb, KV_ERR_NETWORK, failed->down_reason);
    size_t kept = 0;
    for (size_t i = 0; i < cb->parked.count; i++) {
        kv__op *op = cb->parked.ops[i];
        if (kv__mc_elapsed(now_ns, op->started_ns) < mc->timeout_ns) {
            cb->parked.ops[kept++] = op;
            continue;
        }
        snprintf(message, sizeof message, "%s within %.1f s",
                 cb->map_error[0] ? cb->map_error : "no usable cluster map from any node",
                 (double)mc->timeout_ns / 1e9);
        kv__mc_op_fail(op, KV_ERR_TIMEOUT, message);
    }
    cb->parked.count = kept;
    if (kept > 0 && cb->config.nnodes > 0 && !cb->fetching)
        reroute_parked(cb);
    bool busy = cb->parked.count > 0;
    busy |= kv__cb_observes_tick(cb, now_ns);
    busy |= kv__cb_scans_tick(cb, now_ns);
    return busy;
}

static void cb_shutdown(kv__mc *mc)
{
    kv__cb *cb = kv__cb_of(mc);
    fail_parked(cb, KV_ERR_CANCELLED, "the store is closing");
    kv__cb_observes_close(cb);
    kv__cb_scans_close(cb);
}

static void cb_free(kv__mc *mc)
{
    kv__cb *cb = kv__cb_of(mc);
    for (size_t i = 0; i < mc->nnodes; i++) {
        kv__cb_node_state *state = kv__cb_node_of(&mc->nodes[i]);
        kv__cb_error_map_free(&state->error_map);
        free(state);
        mc->nodes[i].flavor_node = NULL;
    }
    kv__cb_config_free(&cb->config);
    free(cb->server_node);
    free(cb->parked.ops);
    free(cb->bucket);
    free(cb);
    mc->flavor_state = NULL;
}

static const kv__mc_flavor couchbase_flavor = {
    .name = "couchbase",
    .handshake = kv__cb_handshake,
    .authenticated = kv__cb_authenticated,
    .route = kv__cb_route,
    .answered = kv__cb_answered,
    .succeeded = kv__cb_succeeded,
    .tick = cb_tick,
    .shutdown = cb_shutdown,
    .free = cb_free,
};

static kv_status cb_open(const kv_connspec *spec, const kv_open_options *options, uv_loop_t *loop,
                         void **state, char *errbuf, size_t errbuf_len)
{
    *state = NULL;
    if (spec->nhosts == 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "no Couchbase host given");
    if (spec->nhosts > KV__CB_NODES_CAP / 2)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                               "%zu bootstrap hosts: give at most %d (the map names the rest)",
                               spec->nhosts, KV__CB_NODES_CAP / 2);
    kv__mc *mc;
    kv_status status = kv__mc_create(spec, options, loop, KV__CB_NODES_CAP, &mc, errbuf,
                                     errbuf_len);
    if (status != KV_OK)
        return status;
    kv__cb *cb = kv__xcalloc(1, sizeof *cb);
    cb->mc = mc;
    cb->bucket = strdup(spec->bucket ? spec->bucket : "default");
    if (!cb->bucket)
        kv__out_of_memory();
    mc->flavor = &couchbase_flavor;
    mc->flavor_state = cb;
    for (size_t i = 0; i < spec->nhosts; i++)
        add_node(mc, &spec->hosts[i]);
    for (size_t i = 0; i < mc->nnodes; i++)
        kv__mc_node_ensure(&mc->nodes[i]);
    *state = mc;
    return KV_OK;
}

const kv__backend_ops kv__couchbase_backend = {
    .name = "couchbase",
    .open = cb_open,
    .close = kv__mc_close,
    .execute = kv__mc_execute,
    .execute_batch = kv__mc_execute_batch,
    .scan = kv__cb_scan_start,
    .scan_cancel = kv__cb_scan_cancel,
    .changes = NULL,
};

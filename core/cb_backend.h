/*
 * cb_backend.h - the Couchbase backend (internal to core).
 *
 * Couchbase Server speaks memcached's binary protocol with extensions, so this backend is the
 * memcached machinery (mc_*.c: nodes, connections, pipelining, timeouts, reconnects, SASL, TLS)
 * run as a second flavor (kv__mc_flavor) with the Couchbase parts on top:
 *   - cb_handshake.c: each new connection says HELLO (XERROR, SelectBucket, JSON, TCPNODELAY),
 *     reads the error map, authenticates (SCRAM, PLAIN only over TLS), selects the bucket and
 *     fetches the cluster map;
 *   - cb_backend.c: the map (cb_config.c) decides the nodes and where each key goes: its vbucket
 *     (CRC32) and that vbucket's active node, the vbucket id in the header. NOT_MY_VBUCKET applies
 *     the map in the reply (or fetches one) and sends the operation again until its timeout;
 *   - cb_ops.c: what memcached lacks (replica reads, locks, GET_META expiry, Couchbase statuses);
 *   - cb_observe.c: persist_to / replicate_to by OBSERVE polling after a mutation;
 *   - cb_scan.c: key listing by RangeScan, vbucket by vbucket.
 * The pure pieces (map parsing, vbucket hashing, request and reply codecs) are in cb_internal.h.
 */
#ifndef KV_CB_BACKEND_H
#define KV_CB_BACKEND_H

#include "cb_internal.h"
#include "mc_internal.h"

/* Nodes a store can know: the bootstrap hosts plus every server a map names (the node array of
 * kv__mc never moves, so it is allocated once at this size). */
#define KV__CB_NODES_CAP 128

/* What each node's connection learned in its handshake. */
typedef struct kv__cb_node_state {
    uint64_t features;          /* HELLO: what the server enabled (kv__cb_feature_on) */
    kv__cb_error_map error_map; /* empty when the server sent none */
    bool bootstrap_done;        /* the handshake finished at least once */
} kv__cb_node_state;

/* An operation waiting for a map (before the first, or after NOT_MY_VBUCKET without one). */
typedef struct kv__cb_parked {
    kv__op **ops;
    size_t count, cap;
} kv__cb_parked;

typedef struct kv__cb {
    kv__mc *mc;
    char *bucket;
    kv__cb_config config; /* the current map; config.nnodes == 0 until the first one */
    int *server_node;     /* map server index -> index into mc->nodes, -1 = none */
    kv__cb_parked parked;
    bool fetching;        /* a GET_CLUSTER_CONFIG is on its way */
    char map_error[KV__MC_MESSAGE_MAX]; /* why the last map was refused, for parked ops */
    struct kv__cb_scan *scans;       /* cb_scan.c */
    struct kv__cb_observe *observes; /* cb_observe.c */
} kv__cb;

/* The flavor state of MC / the per-node state of NODE. */
static inline kv__cb *kv__cb_of(const kv__mc *mc)
{
    return (kv__cb *)mc->flavor_state;
}
static inline kv__cb_node_state *kv__cb_node_of(const kv__mc_node *node)
{
    return (kv__cb_node_state *)node->flavor_node;
}

/* ---- cb_backend.c ---- */

/* Apply MAP (JSON from NODE, or from a NOT_MY_VBUCKET reply) when it is newer than the current
 * one: add nodes it names, re-route parked operations. True when it was applied. */
bool kv__cb_apply_map(kv__cb *cb, kv__mc_node *node, const uint8_t *json, size_t len);
/* Ask a ready node for the current map (once at a time); parked operations wait for it. */
void kv__cb_fetch_map(kv__cb *cb);
/* The node holding copy COPY (0 = active, i = replica i) of VBUCKET, or NULL. */
kv__mc_node *kv__cb_node_for(kv__cb *cb, uint16_t vbucket, uint32_t copy);
/* Send OP to where its key lives now (or park it until a map says). */
void kv__cb_route(kv__mc *mc, kv__op *op);
/* Hold OP until a map comes (re-routed from the tick; fails at its deadline). */
void kv__cb_park(kv__cb *cb, kv__op *op);
/* The vbucket of OP's key under the current map (which must exist). */
uint16_t kv__cb_vbucket_of_op(const kv__cb *cb, const kv__op *op);

/* ---- cb_handshake.c ---- */

void kv__cb_handshake(kv__mc_node *node);
void kv__cb_authenticated(kv__mc_node *node);

/* ---- cb_ops.c ---- */

bool kv__cb_refused(kv__mc *mc, kv__op *op);
bool kv__cb_answered(kv__mc_node *node, kv__op *op, const kv__mcbp_packet *p);
void kv__cb_succeeded(kv__mc_node *node, kv__op *op, bool expiry_unknown);

/* ---- cb_observe.c: durability (protocol.md 2.13) ---- */

/*
 * OP (a mutation with persist_to / replicate_to, checked against the map before it was sent)
 * succeeded on its active node with CAS (for a remove: the CAS of the removal). Poll OBSERVE on
 * the active node and on the replicas until persist_to copies are persisted and replicate_to
 * replicas hold this CAS (-1 = every copy the map has), then complete OP with its result as it
 * is; on timeout fail it with TimeoutError saying how far durability got (the write itself did
 * happen). A later CAS on a node means the document changed again: that also satisfies it.
 */
void kv__cb_observe_start(kv__cb *cb, kv__op *op, uint16_t vbucket, uint64_t cas);
/* Fail every observe (closing); true while any is running (tick). */
void kv__cb_observes_close(kv__cb *cb);
bool kv__cb_observes_tick(kv__cb *cb, uint64_t now_ns);

/* ---- cb_scan.c: key listing by RangeScan (protocol.md 2.18) ---- */

/* The backend's scan entry points: every vbucket is range-scanned on its active node (a few
 * vbuckets at a time), keys that match the stream's glob are emitted with their flags, size,
 * CAS and expiry (see cb_scan.c for how they are read), and a bucket or server without RangeScan
 * ends the stream with NotSupportedError and a clear message. */
void kv__cb_scan_start(void *state, kv__stream *stream);
void kv__cb_scan_cancel(void *state, kv__stream *stream);
void kv__cb_scans_close(kv__cb *cb);
bool kv__cb_scans_tick(kv__cb *cb, uint64_t now_ns);

#endif /* KV_CB_BACKEND_H */

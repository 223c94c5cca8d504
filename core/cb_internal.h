/*
 * cb_internal.h - the pure pieces of the Couchbase backend (internal to core).
 *
 * No I/O and no global state: any thread may call these. Two parts, independent of each other:
 *   - cb_config.c: the cluster map of GET_CLUSTER_CONFIG (and of a NOT_MY_VBUCKET body) parsed
 *     and validated into kv__cb_config, and the vBucket a key hashes to;
 *   - cb_requests.c: the Couchbase requests on top of kv__mcbp (HELLO, GET_ERROR_MAP,
 *     SELECT_BUCKET, GET_CLUSTER_CONFIG, GET_META, GET_REPLICA, GET_LOCKED, UNLOCK_KEY, OBSERVE,
 *     RangeScan); cb_replies.c: the parsers of their replies; cb_errors.c: the error map and
 *     what Couchbase status codes mean to a user.
 *
 * Replies from the server are hostile input: every parser checks every length against the frame
 * it was given and fails with KV_ERR_NETWORK and a message instead of reading past it. Request
 * builders that cannot be sent (a key too long, an UNLOCK without a CAS) fail with
 * KV_ERR_ARGUMENT. Messages go to ERRBUF (may be NULL) through kv_error_printf.
 * The facts are from shared/reference/protocol.md section 2 (cited per function).
 */
#ifndef KV_CB_INTERNAL_H
#define KV_CB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv.h"
#include "mcbp.h"

/* ---- cb_config.c: the cluster map (protocol.md 2.6-2.9) ---- */

#define KV__CB_MAX_NODES 1024
#define KV__CB_MAX_VBUCKETS 65536 /* the vbucket id is a u16 */
#define KV__CB_MAX_REPLICAS 3

/* bucketCapabilities the backend may care about; names not listed here are ignored. */
enum {
    KV__CB_CAP_CCCP = 1u << 0,          /* "cccp": maps are served over KV */
    KV__CB_CAP_XATTR = 1u << 1,         /* "xattr" */
    KV__CB_CAP_DCP = 1u << 2,           /* "dcp" */
    KV__CB_CAP_CBHELLO = 1u << 3,       /* "cbhello" */
    KV__CB_CAP_TOUCH = 1u << 4,         /* "touch" */
    KV__CB_CAP_COLLECTIONS = 1u << 5,   /* "collections" */
    KV__CB_CAP_DURABLE_WRITE = 1u << 6, /* "durableWrite" */
    KV__CB_CAP_NODES_EXT = 1u << 7,     /* "nodesExt" */
    KV__CB_CAP_RANGE_SCAN = 1u << 8     /* "rangeScan" */
};

/* One server of serverList; its index is the number vBucketMap uses. */
typedef struct kv__cb_node {
    char *host;           /* "$HOST" replaced by the source host; IPv6 without brackets */
    uint16_t kv_port;     /* from "host:port" */
    uint16_t kv_tls_port; /* nodesExt services.kvSSL of the same node, 0 = not advertised */
} kv__cb_node;

typedef struct kv__cb_config {
    int64_t rev_epoch; /* "revEpoch", 0 when the map has none */
    int64_t rev;       /* "rev" */
    char *bucket;      /* "name" */
    kv__cb_node *nodes;
    size_t nnodes;
    uint32_t num_vbuckets; /* rows of vBucketMap: 1..KV__CB_MAX_VBUCKETS */
    uint32_t num_replicas; /* 0..KV__CB_MAX_REPLICAS; each row has num_replicas + 1 entries */
    int16_t *map;     /* row v at map[v * (num_replicas + 1)]: active, replica 1, ...; -1 none */
    int16_t *forward; /* vBucketMapForward (during a rebalance), same shape; NULL if absent */
    uint32_t capabilities; /* KV__CB_CAP_* */
} kv__cb_config;

/* Parse and validate the map JSON (LEN bytes, no NUL needed) that SOURCE_HOST sent (the host as
 * the client connected to it; NULL leaves "$HOST" unreplaced). On failure
 * *CONFIG is left empty and the message names the field; the status is KV_ERR_NETWORK (the
 * server sent something unusable) or KV_ERR_NOT_SUPPORTED (a memcached bucket, nodeLocator
 * "ketama"). */
kv_status kv__cb_config_parse(const char *json, size_t len, const char *source_host,
                              kv__cb_config *config, char *errbuf, size_t errbuf_len);
void kv__cb_config_free(kv__cb_config *config);
/* <0, 0, >0 as (EPOCH_A, REV_A) is older than, equal to or newer than (EPOCH_B, REV_B). */
int kv__cb_rev_compare(int64_t epoch_a, int64_t rev_a, int64_t epoch_b, int64_t rev_b);
/* Whether CANDIDATE should replace CURRENT (always when CURRENT is NULL). */
bool kv__cb_config_newer(const kv__cb_config *candidate, const kv__cb_config *current);
/* The server index holding copy COPY of VBUCKET (0 = active, i + 1 = replica i), or -1 when
 * there is none or the arguments are out of range (protocol.md 2.8). */
int kv__cb_config_server(const kv__cb_config *config, uint32_t vbucket, uint32_t copy);
/* The same from vBucketMapForward; -1 when the map has none. */
int kv__cb_config_forward_server(const kv__cb_config *config, uint32_t vbucket, uint32_t copy);
/* The index of the node HOST:PORT (plain KV port), or -1. */
int kv__cb_config_find_node(const kv__cb_config *config, const char *host, uint16_t port);

/* Standard CRC-32 (zlib's crc32(0, data, len)). */
uint32_t kv__cb_crc32(const void *data, size_t len);
/* The vBucket of KEY: ((crc32 >> 16) & 0x7fff) % NUM_VBUCKETS (protocol.md 2.7). Hash the
 * logical key, without any collection prefix. NUM_VBUCKETS must be > 0. */
uint16_t kv__cb_vbucket_of(const void *key, size_t len, uint32_t num_vbuckets);

/* ---- cb_requests.c: requests ---- */

enum {
    KV__CB_OP_GET_REPLICA = 0x83,
    KV__CB_OP_SELECT_BUCKET = 0x89,
    KV__CB_OP_OBSERVE = 0x92,
    KV__CB_OP_GET_LOCKED = 0x94,
    KV__CB_OP_UNLOCK_KEY = 0x95,
    KV__CB_OP_GET_META = 0xa0,
    KV__CB_OP_GET_CLUSTER_CONFIG = 0xb5,
    KV__CB_OP_RANGE_SCAN_CREATE = 0xda,
    KV__CB_OP_RANGE_SCAN_CONTINUE = 0xdb,
    KV__CB_OP_RANGE_SCAN_CANCEL = 0xdc,
    KV__CB_OP_GET_ERROR_MAP = 0xfe
};

/* HELLO feature codes (protocol.md 2.2). */
enum {
    KV__CB_FEATURE_TCPNODELAY = 0x03,
    KV__CB_FEATURE_MUTATION_SEQNO = 0x04,
    KV__CB_FEATURE_XATTR = 0x06,
    KV__CB_FEATURE_XERROR = 0x07,
    KV__CB_FEATURE_SELECT_BUCKET = 0x08,
    KV__CB_FEATURE_SNAPPY = 0x0a,
    KV__CB_FEATURE_JSON = 0x0b,
    KV__CB_FEATURE_DUPLEX = 0x0c,
    KV__CB_FEATURE_UNORDERED_EXECUTION = 0x0e,
    KV__CB_FEATURE_ALT_REQUEST = 0x10,
    KV__CB_FEATURE_SYNC_REPLICATION = 0x11,
    KV__CB_FEATURE_COLLECTIONS = 0x12
};

/* Datatype bits (protocol.md 2.3). */
enum { KV__CB_DATATYPE_JSON = 0x01, KV__CB_DATATYPE_SNAPPY = 0x02, KV__CB_DATATYPE_XATTR = 0x04 };

/* The features kvtui asks for: TCPNODELAY, XERROR, SELECT_BUCKET, JSON (in that order). */
extern const uint16_t kv__cb_hello_features[];
extern const size_t kv__cb_hello_nfeatures;

/* GET_LOCKED lock times the server honours: 0 or more than 30 s silently become 15 s (2.12). */
#define KV__CB_LOCK_MAX_SECONDS 30
#define KV__CB_LOCK_DEFAULT_SECONDS 15
/* HELLO connection ids are "%016x/%016x": 33 characters (2.2). */
#define KV__CB_CONNECTION_ID_LEN 33
#define KV__CB_SCAN_UUID_LEN 16

/*
 * A request the builders below fill in. Key and value are either borrowed from the caller (who
 * keeps them alive until the request is encoded) or built by the builder in OWNED, which
 * kv__cb_request_free releases. The struct may be copied. Encode it with
 *     kv__mcbp_request m = kv__cb_request_mcbp(&r, opaque);
 *     size_t n = kv__mcbp_request_size(&m);  kv__mcbp_encode(&m, out, n);
 */
typedef struct kv__cb_request {
    uint8_t opcode;
    uint8_t datatype;
    uint16_t vbucket;
    uint64_t cas;
    uint8_t extras[28];
    uint8_t extras_len;
    const uint8_t *key;
    uint16_t key_len;
    const uint8_t *value;
    size_t value_len;
    uint8_t *owned; /* malloc'd key or value, or NULL */
} kv__cb_request;

/* The kv__mcbp view of R (borrows R's bytes: R must outlive it). */
kv__mcbp_request kv__cb_request_mcbp(const kv__cb_request *r, uint32_t opaque);
void kv__cb_request_free(kv__cb_request *r);

/* "%016llx/%016llx" of the two ids into OUT (KV__CB_CONNECTION_ID_LEN + 1 bytes). */
void kv__cb_connection_id(char out[KV__CB_CONNECTION_ID_LEN + 1], uint64_t client_id,
                          uint64_t connection_id);
/* HELLO: key {"a":AGENT,"i":CONNECTION_ID} (JSON-escaped; AGENT at most 200 bytes, the id at most
 * 33), value FEATURES as u16s (2.2). */
kv_status kv__cb_hello(kv__cb_request *r, const char *agent, const char *connection_id,
                       const uint16_t *features, size_t nfeatures, char *errbuf, size_t errbuf_len);
/* GET_ERROR_MAP with value = u16 VERSION (2.15; kvtui asks for 2). */
void kv__cb_get_error_map(kv__cb_request *r, uint16_t version);
/* SELECT_BUCKET: key = BUCKET, 1..250 bytes (2.1). */
kv_status kv__cb_select_bucket(kv__cb_request *r, const char *bucket, char *errbuf,
                               size_t errbuf_len);
/* GET_CLUSTER_CONFIG: no extras, key or value (2.6). */
void kv__cb_get_cluster_config(kv__cb_request *r);
/* GET_META asking for version 2 (extras 0x02, the reply carries the datatype) (2.11). */
kv_status kv__cb_get_meta(kv__cb_request *r, const void *key, size_t key_len, uint16_t vbucket,
                          char *errbuf, size_t errbuf_len);
/* GET_REPLICA: exactly a GET, sent to the replica node with the same vbucket (2.10). */
kv_status kv__cb_get_replica(kv__cb_request *r, const void *key, size_t key_len, uint16_t vbucket,
                             char *errbuf, size_t errbuf_len);
/* GET_LOCKED with 4-byte extras LOCK_SECONDS, sent as given (see KV__CB_LOCK_MAX_SECONDS). */
kv_status kv__cb_get_locked(kv__cb_request *r, const void *key, size_t key_len, uint16_t vbucket,
                            uint32_t lock_seconds, char *errbuf, size_t errbuf_len);
/* UNLOCK_KEY with CAS = the lock CAS, which must not be 0 (2.12). */
kv_status kv__cb_unlock(kv__cb_request *r, const void *key, size_t key_len, uint16_t vbucket,
                        uint64_t cas, char *errbuf, size_t errbuf_len);

typedef struct kv__cb_observe_key {
    uint16_t vbucket;
    const void *key;
    size_t key_len;
} kv__cb_observe_key;

/* OBSERVE of NKEYS keys (all on the node it is sent to): value = (vbid u16, keylen u16, key)*,
 * no key, vbucket 0 (2.13). */
kv_status kv__cb_observe(kv__cb_request *r, const kv__cb_observe_key *keys, size_t nkeys,
                         char *errbuf, size_t errbuf_len);
/* RANGE_SCAN_CREATE, key-only, default collection, datatype JSON (2.18). START/END are the
 * inclusive logical-key bounds (at most 250 bytes each); NULL means the whole range: 0x00 up to
 * 250 bytes of 0xff. */
kv_status kv__cb_range_scan_create(kv__cb_request *r, uint16_t vbucket, const void *start,
                                   size_t start_len, const void *end, size_t end_len, char *errbuf,
                                   size_t errbuf_len);
/* RANGE_SCAN_CONTINUE: extras uuid[16], item limit, time limit ms, byte limit (0 = none). */
void kv__cb_range_scan_continue(kv__cb_request *r, uint16_t vbucket,
                                const uint8_t uuid[KV__CB_SCAN_UUID_LEN], uint32_t item_limit,
                                uint32_t time_limit_ms, uint32_t byte_limit);
/* RANGE_SCAN_CANCEL: extras uuid[16]. */
void kv__cb_range_scan_cancel(kv__cb_request *r, uint16_t vbucket,
                              const uint8_t uuid[KV__CB_SCAN_UUID_LEN]);

/* ---- cb_replies.c (the error map: cb_errors.c): replies (P is a whole decoded frame; its
 * status is checked by the caller unless a parser says otherwise) ---- */

/* The features the server enabled, as a bit per code below 64 (unknown codes above are
 * ignored). A non-success status (memcached answers UNKNOWN_COMMAND) is KV_ERR_NOT_SUPPORTED;
 * an odd value length is KV_ERR_NETWORK. */
kv_status kv__cb_hello_parse(const kv__mcbp_packet *p, uint64_t *features, char *errbuf,
                             size_t errbuf_len);
static inline bool kv__cb_feature_on(uint64_t features, uint16_t code)
{
    return code < 64 && (features >> code & 1u);
}

/* Error-map attributes kvtui acts on (2.15). */
enum {
    KV__CB_ERRATTR_TEMP = 1u << 0,
    KV__CB_ERRATTR_AUTH = 1u << 1,
    KV__CB_ERRATTR_ITEM_LOCKED = 1u << 2,
    KV__CB_ERRATTR_ITEM_DELETED = 1u << 3,
    KV__CB_ERRATTR_INVALID_INPUT = 1u << 4,
    KV__CB_ERRATTR_FETCH_CONFIG = 1u << 5,
    KV__CB_ERRATTR_CONN_STATE_INVALIDATED = 1u << 6,
    KV__CB_ERRATTR_SUPPORT = 1u << 7,
    KV__CB_ERRATTR_RETRY_NOW = 1u << 8,
    KV__CB_ERRATTR_RETRY_LATER = 1u << 9,
    KV__CB_ERRATTR_INTERNAL = 1u << 10,
    KV__CB_ERRATTR_SUCCESS = 1u << 11
};

typedef struct kv__cb_error_entry {
    uint16_t code;
    char name[48];  /* e.g. "KEY_ENOENT"; truncated, printable ASCII only */
    uint32_t attrs; /* KV__CB_ERRATTR_* */
} kv__cb_error_entry;

typedef struct kv__cb_error_map {
    int64_t version;
    int64_t revision;
    kv__cb_error_entry *entries; /* sorted by code */
    size_t count;
} kv__cb_error_map;

/* The GET_ERROR_MAP reply value: JSON with version, revision and errors (entries whose code is
 * not 1-4 hex digits are skipped). Anything else is KV_ERR_NETWORK and leaves *MAP empty. */
kv_status kv__cb_error_map_parse(const uint8_t *json, size_t len, kv__cb_error_map *map,
                                 char *errbuf, size_t errbuf_len);
void kv__cb_error_map_free(kv__cb_error_map *map);
const kv__cb_error_entry *kv__cb_error_map_find(const kv__cb_error_map *map, uint16_t code);

/* The GET_META reply (2.11). */
typedef struct kv__cb_meta {
    bool deleted;
    uint32_t flags;
    uint32_t expiry; /* absolute Unix time, 0 = none */
    uint64_t seqno;
    uint64_t cas;
    bool has_datatype; /* the reply had 21 bytes of extras */
    uint8_t datatype;
} kv__cb_meta;

/* A successful GET_META reply into *META; extras other than 20 or 21 bytes are KV_ERR_NETWORK. */
kv_status kv__cb_meta_parse(const kv__mcbp_packet *p, kv__cb_meta *meta, char *errbuf,
                            size_t errbuf_len);
/* A successful GET, GET_REPLICA or GET_LOCKED reply: 4-byte flags extras (else KV_ERR_NETWORK). */
kv_status kv__cb_value_parse(const kv__mcbp_packet *p, uint32_t *flags, char *errbuf,
                             size_t errbuf_len);

/* OBSERVE key states (2.13). */
enum {
    KV__CB_OBSERVE_FOUND = 0x00,
    KV__CB_OBSERVE_PERSISTED = 0x01,
    KV__CB_OBSERVE_NOT_FOUND = 0x80,
    KV__CB_OBSERVE_DELETED = 0x81
};

typedef struct kv__cb_observe_entry {
    uint16_t vbucket;
    const uint8_t *key; /* into the reply */
    uint16_t key_len;
    uint8_t state; /* KV__CB_OBSERVE_* (other values are passed through) */
    uint64_t cas;
} kv__cb_observe_entry;

/* Walks a reply value: (vbid u16, keylen u16, key, state u8, cas u64)*. */
typedef struct kv__cb_observe_iter {
    const uint8_t *at;
    size_t left;
} kv__cb_observe_iter;

void kv__cb_observe_iter_init(kv__cb_observe_iter *it, const kv__mcbp_packet *p);
/* 1: *ENTRY filled; 0: the end; -1: a truncated entry (ERRBUF says where). */
int kv__cb_observe_next(kv__cb_observe_iter *it, kv__cb_observe_entry *entry, char *errbuf,
                        size_t errbuf_len);

/* A successful RANGE_SCAN_CREATE reply: the 16-byte scan uuid (else KV_ERR_NETWORK). */
kv_status kv__cb_range_scan_uuid(const kv__mcbp_packet *p, uint8_t uuid[KV__CB_SCAN_UUID_LEN],
                                 char *errbuf, size_t errbuf_len);

typedef enum kv__cb_scan_state {
    KV__CB_SCAN_PART,     /* status 0: keys, more responses follow for this CONTINUE */
    KV__CB_SCAN_MORE,     /* 0xa6: keys, then send CONTINUE again */
    KV__CB_SCAN_COMPLETE, /* 0xa7: keys, the scan is over and gone */
    KV__CB_SCAN_FAILED    /* anything else: the status says why (0xa5 cancelled, 0x07, ...) */
} kv__cb_scan_state;

/* Walks the keys of one RANGE_SCAN_CONTINUE response: (leb128 length, key)*. */
typedef struct kv__cb_scan_keys {
    const uint8_t *at;
    size_t left;
} kv__cb_scan_keys;

/* Classify a RANGE_SCAN_CONTINUE response and point *KEYS at its key-only payload (empty for
 * FAILED). A document payload (extras 1) or extras that are not 4 bytes are KV_ERR_NETWORK. */
kv_status kv__cb_range_scan_reply(const kv__mcbp_packet *p, kv__cb_scan_state *state,
                                  kv__cb_scan_keys *keys, char *errbuf, size_t errbuf_len);
/* 1: *KEY / *KEY_LEN set (into the reply); 0: the end; -1: a truncated or over-long key. */
int kv__cb_scan_keys_next(kv__cb_scan_keys *keys, const uint8_t **key, size_t *key_len,
                          char *errbuf, size_t errbuf_len);

/* ---- cb_errors.c: status codes ---- */

enum {
    KV__CB_STATUS_CAS_VALUE_INVALID = 0x000f,
    KV__CB_STATUS_UNKNOWN_COLLECTION = 0x0088,
    KV__CB_STATUS_UNKNOWN_SCOPE = 0x008c,
    KV__CB_STATUS_SYNC_WRITE_RECOMMIT = 0x00a4,
    KV__CB_STATUS_RANGE_SCAN_CANCELLED = 0x00a5,
    KV__CB_STATUS_RANGE_SCAN_MORE = 0x00a6,
    KV__CB_STATUS_RANGE_SCAN_COMPLETE = 0x00a7,
    KV__CB_STATUS_VB_UUID_NOT_EQUAL = 0x00a8
};

/* The Couchbase name of STATUS ("LOCKED", "RANGE_SCAN_MORE", ...); falls back to
 * kv__mcbp_status_name, then "UNKNOWN". */
const char *kv__cb_status_name(uint16_t status);
/*
 * What STATUS, answering OPCODE, means to a user, as the Python SDK 2.x reports it (protocol.md
 * 4.2 and 2.4): LOCKED on SET/REPLACE/DELETE is KeyExistsError, LOCKED anywhere else and
 * NOT_LOCKED are TemporaryFailError; NOT_MY_VBUCKET is TemporaryFailError (the backend retries it
 * and reports TimeoutError when retries run out); RANGE_SCAN_MORE/COMPLETE are KV_OK; unknown
 * codes go through MAP's attributes when MAP is given, else KV_ERR_INTERNAL.
 */
kv_status kv__cb_status_to_kv(uint16_t status, uint8_t opcode, const kv__cb_error_map *map);
/*
 * What a client that did not negotiate XERROR receives instead of STATUS, answering OPCODE
 * (protocol.md 2.4): LOCKED becomes KEY_EEXISTS (ETMPFAIL for GET_LOCKED and UNLOCK_KEY),
 * NOT_LOCKED becomes ETMPFAIL, CAS_VALUE_INVALID KEY_EEXISTS, unknown collection/scope EINVAL,
 * SYNC_WRITE_IN_PROGRESS/RECOMMIT ETMPFAIL. *DISCONNECT is set when the server closes the
 * connection instead (EACCESS, NO_BUCKET, AUTH_STALE, durability and RangeScan codes).
 */
uint16_t kv__cb_status_without_xerror(uint16_t status, uint8_t opcode, bool *disconnect);

#endif /* KV_CB_INTERNAL_H */

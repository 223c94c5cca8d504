/*
 * mc_internal.h - the memcached backend (internal to core).
 *
 * Everything runs on the worker's libuv loop. A store is a list of nodes; each key lives on the
 * node libmemcached would pick (ketama by default, or modula). Per node:
 *   - one binary connection (TCP_NODELAY) carrying every operation, many requests in flight,
 *     answered in order and matched by opaque; it is authenticated (SASL PLAIN) before any
 *     operation is sent, and it finds out whether the server is SASL-only (then binary-only);
 *   - one text connection, opened on demand when the server speaks text, for expiry readouts
 *     (meta `mg <key> b t c f` plus `stats` for the server clock) and scan enrichment;
 *   - one short-lived text connection per running scan, for `lru_crawler metadump all`.
 * A periodic tick fails what passed its deadline (TimeoutError). A broken connection fails what
 * it had sent (NetworkError, never retried); requests not yet sent wait for one immediate
 * reconnect, and connect failures back off exponentially (new requests fail fast meanwhile).
 *
 * Files: mc_ketama.c (placement), mc_text.c (text/meta protocol, pure), mc_conn.c (one TCP
 * connection), mc_node.c (binary requests of a node), mc_sasl.c (the handshake), mc_textconn.c
 * (text requests of a node), mc_ops.c (operations and their results), mc_expiry.c (expiry and
 * flags readouts after an operation), mc_scan.c + mc_scan_readback.c (key listing, see
 * mc_scan.h), mc_backend.c (the vtable).
 */
#ifndef KV_MC_INTERNAL_H
#define KV_MC_INTERNAL_H

#include <netdb.h>

#include "backend.h"
#include "mcbp.h"
#include "util_rbuf.h"

/* ---- mc_ketama.c: which node holds a key, as libmemcached decides it ---- */

typedef struct kv__mc_point {
    uint32_t value;
    uint32_t node;
} kv__mc_point;

typedef struct kv__mc_ring {
    bool ketama; /* false = modula */
    size_t nnodes;
    kv__mc_point *points; /* ketama: sorted by value, then node */
    size_t npoints;
} kv__mc_ring;

/* Build the placement for HOSTS in the order given: ketama is libmemcached's
 * MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (equal weights, 160 points a server); modula is its
 * MEMCACHED_DISTRIBUTION_MODULA with the default one-at-a-time key hash. */
void kv__mc_ring_build(kv__mc_ring *ring, const kv_host *hosts, size_t nhosts, bool ketama);
void kv__mc_ring_free(kv__mc_ring *ring);
/* The index (into the hosts given to build) of the node holding KEY. */
size_t kv__mc_ring_node(const kv__mc_ring *ring, const void *key, size_t key_len);
/* libmemcached's continuum name of HOST: "host" for port 11211, else "host:port". */
int kv__mc_server_name(char *out, size_t cap, const kv_host *host);
uint32_t kv__mc_hash_md5(const void *key, size_t len);
uint32_t kv__mc_hash_one_at_a_time(const void *key, size_t len);

/* ---- mc_text.c: the text and meta protocol, as pure functions ---- */

#define KV__MC_LINE_MAX 8192
/* Room for any message the backend composes (a node name is at most 263 bytes). */
#define KV__MC_MESSAGE_MAX 640

typedef enum kv__mc_meta_kind {
    KV__MC_META_HD,    /* hit, no value */
    KV__MC_META_VA,    /* hit, value_len bytes and \r\n follow */
    KV__MC_META_EN,    /* miss */
    KV__MC_META_ERROR, /* ERROR / CLIENT_ERROR / SERVER_ERROR line */
    KV__MC_META_BAD    /* anything else */
} kv__mc_meta_kind;

typedef struct kv__mc_meta {
    kv__mc_meta_kind kind;
    size_t value_len;
    bool has_ttl, has_cas, has_flags, has_size;
    int64_t ttl; /* remaining seconds, -1 = never expires */
    uint64_t cas;
    uint32_t flags;
    uint64_t size;
} kv__mc_meta;

typedef struct kv__mc_dump_entry {
    char key[KV_KEY_MAX];
    size_t key_len;
    int64_t exp; /* absolute Unix time, -1 = never */
    uint64_t cas;
    uint64_t size; /* whole item bytes, not the value length */
    bool has_flags;
    uint32_t flags;
} kv__mc_dump_entry;

/* Take the next line (without \r\n or \n) off IN: 1 taken (valid until IN's next space call),
 * 0 incomplete, -1 longer than MAX. */
int kv__mc_next_line(kv__rbuf *in, size_t max, const char **line, size_t *len);
/* Take LEN data bytes plus their \r\n off IN: 1 taken, 0 incomplete, -1 no \r\n after them. */
int kv__mc_next_block(kv__rbuf *in, size_t len, const uint8_t **data);
kv__mc_meta_kind kv__mc_parse_meta(const char *line, size_t len, kv__mc_meta *meta);
/* One metadump line: 1 an entry, 0 the END line, -1 anything else (an error or garbage). */
int kv__mc_parse_dump_line(const char *line, size_t len, kv__mc_dump_entry *entry);
/* "STAT NAME <integer>": true with *value set. */
bool kv__mc_parse_stat(const char *line, size_t len, const char *name, int64_t *value);
bool kv__mc_is_end(const char *line, size_t len);
/* Percent-decode a metadump key into OUT (at most CAP bytes); false when malformed or long. */
bool kv__mc_url_decode(const char *in, size_t len, char *out, size_t cap, size_t *out_len);
/* "mg <key> FLAGS\r\n" into OUT, with the key in base64 (and the b flag) unless it is all
 * printable; returns the length, 0 when CAP is too small or the key cannot be sent (a base64
 * key over memcached's 250-byte limit). */
size_t kv__mc_encode_mg(char *out, size_t cap, const char *key, size_t key_len, const char *flags);

/* ---- mc_conn.c: one TCP connection (resolve, connect, batched writes, reads) ---- */

typedef struct kv__mc kv__mc;
typedef struct kv__mc_node kv__mc_node;
typedef struct kv__mc_conn kv__mc_conn;
typedef struct kv__mc_sock kv__mc_sock;

typedef enum kv__mc_conn_state {
    KV__MC_DOWN,
    KV__MC_RESOLVING,
    KV__MC_CONNECTING,
    KV__MC_OPEN
} kv__mc_conn_state;

/* What a protocol layer does with its connection's events. */
typedef struct kv__mc_conn_ops {
    void (*on_open)(kv__mc_conn *conn);
    uint8_t *(*read_space)(kv__mc_conn *conn, size_t *avail);
    void (*on_read)(kv__mc_conn *conn, size_t n);
    /* Connecting failed (WAS_OPEN false) or an open connection broke; the conn is DOWN. */
    void (*on_down)(kv__mc_conn *conn, kv_status status, const char *message, bool was_open);
    /* Every written byte left (optional): room for more. */
    void (*on_drained)(kv__mc_conn *conn);
} kv__mc_conn_ops;

struct kv__mc_conn {
    kv__mc *mc;
    kv__mc_node *node;
    const kv__mc_conn_ops *ops;
    void *owner;
    kv__mc_conn_state state;
    kv__mc_sock *sock;
    struct kv__mc_resolve *resolve;
    struct addrinfo *addrs, *next_addr;
    int last_error;       /* libuv code of the last connect failure */
    uint64_t started_ns;  /* when the current connect began */
    uint64_t activity_ns; /* last byte read */
    uint8_t *out;         /* bytes waiting for the socket */
    size_t out_len, out_cap;
    bool out_sensitive; /* out holds a password: wiped once written */
    bool reading_paused;
};

void kv__mc_conn_init(kv__mc_conn *conn, kv__mc *mc, kv__mc_node *node, const kv__mc_conn_ops *ops,
                      void *owner);
void kv__mc_conn_connect(kv__mc_conn *conn);
/* Room for N more output bytes (written by the caller, then kept: see kv__mc_conn_flush). */
uint8_t *kv__mc_conn_append(kv__mc_conn *conn, size_t n);
void kv__mc_conn_write(kv__mc_conn *conn, const void *data, size_t n);
/* Start writing what is waiting if no write is in progress (batches everything appended
 * meanwhile into the next write). */
void kv__mc_conn_flush(kv__mc_conn *conn);
/* Output bytes not yet taken by the kernel. */
size_t kv__mc_conn_backlog(const kv__mc_conn *conn);
void kv__mc_conn_pause(kv__mc_conn *conn, bool paused);
/* Drop the socket now without calling on_down; output not yet written is discarded. */
void kv__mc_conn_close(kv__mc_conn *conn);
/* Drop the socket and report on_down(STATUS, MESSAGE). */
void kv__mc_conn_fail(kv__mc_conn *conn, kv_status status, const char *message);
void kv__mc_conn_free(kv__mc_conn *conn);
/* "connection refused" etc. for a libuv error code. */
const char *kv__mc_uv_error(int code);

/* ---- mc_node.c, mc_sasl.c: a node and its binary connection ---- */

typedef enum kv__mc_sasl {
    KV__MC_SASL_UNKNOWN, /* not asked yet */
    KV__MC_SASL_NONE,    /* the server has no SASL: it also speaks text */
    KV__MC_SASL_REQUIRED /* memcached -S: binary only, authenticate every connection */
} kv__mc_sasl;

typedef enum kv__mc_req_kind {
    KV__MC_REQ_OP,  /* an operation of the API (kv__op) */
    KV__MC_REQ_CALL /* any other request (handshake steps, GET_META, RangeScan...): a callback */
} kv__mc_req_kind;

/* The answer P to a call, or (P NULL) why there is none: STATUS and MESSAGE. */
typedef void (*kv__mc_call_cb)(kv__mc_node *node, void *arg, const kv__mcbp_packet *p,
                               kv_status status, const char *message);

/* A binary request, waiting or sent. An op or call that timed out after it was sent stays in the
 * sent list with op / cb NULL, so its late answer is recognised and dropped. */
typedef struct kv__mc_req {
    struct kv__mc_req *next;
    kv__mc_req_kind kind;
    uint32_t opaque;
    uint16_t vbucket; /* Couchbase: the vbucket of the op's key */
    bool handshake;   /* sent while connecting: a timeout breaks the connection */
    uint64_t deadline_ns;
    kv__op *op;
    kv__mc_call_cb cb;
    void *arg;
    bool multi;     /* a call answered by several frames (kv__mc_node_call_multi) */
    uint8_t *frame; /* a call waiting to be sent: its encoded bytes */
    size_t frame_len;
} kv__mc_req;

typedef struct kv__mc_reqlist {
    kv__mc_req *head, *tail;
    size_t count;
} kv__mc_reqlist;

/* What a text request hears back. */
typedef struct kv__mc_text_reply {
    kv_status status; /* KV_OK, or why there is no answer */
    const char *message;
    kv__mc_meta meta;     /* mg */
    const uint8_t *value; /* mg with v: the value bytes */
    int64_t server_time;  /* stats: the server's clock (-1 when absent) */
} kv__mc_text_reply;

typedef void (*kv__mc_text_cb)(void *arg, const kv__mc_text_reply *reply);

typedef enum kv__mc_treq_kind {
    KV__MC_TREQ_MG,    /* mg: one HD/EN line, or VA plus a value block */
    KV__MC_TREQ_STATS, /* stats: STAT lines up to END */
    KV__MC_TREQ_NOOP   /* mn: MN */
} kv__mc_treq_kind;

typedef struct kv__mc_treq {
    struct kv__mc_treq *next;
    kv__mc_treq_kind kind;
    uint64_t deadline_ns;
    kv__mc_text_cb cb;
    void *arg;
    char *line; /* the command, sent when the connection is ready */
    size_t line_len;
} kv__mc_treq;

typedef struct kv__mc_treqlist {
    kv__mc_treq *head, *tail;
    size_t count;
} kv__mc_treqlist;

struct kv__mc_node {
    kv__mc *mc;
    size_t index;
    kv_host host;
    char name[272]; /* "host:port" for messages */
    kv__mc_conn bin;
    kv__mcbp_reader reader;
    kv__mc_reqlist waiting; /* not sent: connecting, authenticating or flow control */
    kv__mc_reqlist sent;    /* answered in this order */
    bool ready;             /* handshake done: operations may be sent */
    kv__mc_sasl sasl;
    void *sasl_state;  /* mc_sasl.c: the handshake in progress on the current connection */
    void *flavor_node; /* the flavor's per-node state (Couchbase: kv__cb_node_state) */
    bool json_datatype; /* Couchbase with HELLO JSON: JSON documents are sent flagged as JSON */
    bool auth_failed; /* sticky: bad credentials do not get better by retrying */
    char auth_error[KV__MC_MESSAGE_MAX];
    int failures;         /* consecutive connect failures (backoff) */
    uint64_t retry_at_ns; /* no new connect before this */
    char down_reason[KV__MC_MESSAGE_MAX];
    /* The text connection. */
    kv__mc_conn text;
    kv__rbuf text_in;
    kv__mc_treqlist text_waiting; /* not sent yet */
    kv__mc_treqlist text_sent;
    size_t text_block;     /* >0: reading a VA value block of text_block - 1 bytes */
    kv__mc_meta text_meta; /* the VA line the block belongs to */
    int64_t stats_time;    /* STAT time seen in the stats reply being read */
    bool text_answered;    /* the current text connection has received something */
    bool text_broken;      /* the server does not answer text (memcached -B binary) */
};

void kv__mc_node_init(kv__mc_node *node, kv__mc *mc, size_t index, const kv_host *host);
/* Fail everything the node holds (closing) and close its connections. */
void kv__mc_node_shutdown(kv__mc_node *node);
void kv__mc_node_free(kv__mc_node *node);
/* Queue OP for the node (with its VBUCKET on Couchbase, else 0): sent once the connection is
 * ready; completed exactly once. */
void kv__mc_node_submit(kv__mc_node *node, kv__op *op, uint16_t vbucket);
/* Queue request R (its opaque is set here) like an operation; CB hears exactly once. */
void kv__mc_node_call(kv__mc_node *node, kv__mcbp_request *r, kv__mc_call_cb cb, void *arg);
/* The same for a request the server answers with several frames (RANGE_SCAN_CONTINUE): CB hears
 * each success frame (P->status 0: more follow), then exactly once the final frame (any other
 * status) or (P NULL) why there is none. Each frame restarts the request's timeout. */
void kv__mc_node_call_multi(kv__mc_node *node, kv__mcbp_request *r, kv__mc_call_cb cb,
                            void *arg);
/* Send request R at once, as a step of the connection's handshake (a timeout breaks it); a
 * SECRET request (it holds a password) is wiped from the output once written. */
void kv__mc_node_handshake_call(kv__mc_node *node, kv__mcbp_request *r, kv__mc_call_cb cb,
                                void *arg, bool secret);
/* The handshake finished: operations may flow. */
void kv__mc_node_ready(kv__mc_node *node);
/* The handshake failed: fail everything and keep failing with STATUS (sticky for auth). */
void kv__mc_node_refuse(kv__mc_node *node, kv_status status, const char *message);
/* Fail timed-out requests; true while the node has anything outstanding. */
bool kv__mc_node_tick(kv__mc_node *node, uint64_t now_ns);
/* Start connecting the binary connection if it is down and not backing off. */
bool kv__mc_node_ensure(kv__mc_node *node);

/* mc_sasl.c */
void kv__mc_sasl_start(kv__mc_node *node);
/* SASL succeeded (or the server has none): the handshake goes on (Couchbase) or ends. */
void kv__mc_sasl_done(kv__mc_node *node);
/* Forget the handshake state of a connection that went down (or a node being freed). */
void kv__mc_sasl_reset(kv__mc_node *node);

/* ---- mc_textconn.c: text requests of a node ---- */

/* Queue a text request; CB is called exactly once (with an error when it cannot be done). */
void kv__mc_text_submit(kv__mc_node *node, kv__mc_treq_kind kind, const char *line, size_t line_len,
                        kv__mc_text_cb cb, void *arg);
/* The node learned whether it speaks text: send or fail what waits. */
void kv__mc_text_sasl_known(kv__mc_node *node);
/* Fail every text request with STATUS and close the text connection. */
void kv__mc_text_fail_all(kv__mc_node *node, kv_status status, const char *message);
bool kv__mc_text_tick(kv__mc_node *node, uint64_t now_ns);
/* Whether the node can answer text requests (known, or still finding out). */
bool kv__mc_text_possible(const kv__mc_node *node);
void kv__mc_text_init(kv__mc_node *node);

/* ---- mc_ops.c, mc_expiry.c: operations ---- */

/* Refuse what memcached cannot do (replicas, locks, durability) before anything is sent. */
bool kv__mc_op_refused(kv__op *op);
/* Encode OP into CONN's output with OPAQUE and VBUCKET. */
void kv__mc_op_encode(kv__mc_conn *conn, const kv__op *op, uint32_t opaque, uint16_t vbucket);
/* The server answered OP: fill the result and complete it (or read its expiry first). */
void kv__mc_op_answer(kv__mc_node *node, kv__op *op, const kv__mcbp_packet *p);
/* Fail OP with STATUS, quoting its key in MESSAGE's context; then complete it. */
void kv__mc_op_fail(kv__op *op, kv_status status, const char *message);
/* Read the expiry (and flags) of OP's key over text, then complete OP. */
void kv__mc_expiry_readout(kv__mc_node *node, kv__op *op);

/* ---- mc_scan.c ---- */

void kv__mc_scan_start(void *state, kv__stream *stream);
void kv__mc_scan_cancel(void *state, kv__stream *stream);
/* Finish every scan (closing); true while scans still hold resources. */
void kv__mc_scans_close(kv__mc *mc);
bool kv__mc_scans_tick(kv__mc *mc, uint64_t now_ns);

/* ---- Flavors: what Couchbase (cb_*.c) does differently on this machinery ---- */

typedef struct kv__mc_flavor {
    const char *name;
    /* A new binary connection is open: run the handshake, ending in kv__mc_node_ready or
     * kv__mc_node_refuse (kv__mc_sasl_start and kv__mc_sasl_done help). */
    void (*handshake)(kv__mc_node *node);
    /* SASL is done on NODE: go on with the handshake. */
    void (*authenticated)(kv__mc_node *node);
    /* Send OP to its node, or fail it (what the store cannot do, before anything is sent; or
     * when it cannot go anywhere). */
    void (*route)(kv__mc *mc, kv__op *op);
    /* The answer P to OP, before the common handling: true when the flavor took OP over
     * (NOT_MY_VBUCKET: send it again elsewhere; durability: observe before completing). */
    bool (*answered)(kv__mc_node *node, kv__op *op, const kv__mcbp_packet *p);
    /* OP succeeded (its result is filled; EXPIRY_UNKNOWN: the stored expiry must still be read):
     * do what else it needs (expiry, durability), then complete it. */
    void (*succeeded)(kv__mc_node *node, kv__op *op, bool expiry_unknown);
    /* Periodic work (deadlines, map refresh); true while busy. */
    bool (*tick)(kv__mc *mc, uint64_t now_ns);
    /* Closing: finish what the flavor holds (scans, observes). */
    void (*shutdown)(kv__mc *mc);
    void (*free)(kv__mc *mc);
} kv__mc_flavor;

/* ---- mc_backend.c ---- */

struct kv__mc {
    const kv__mc_flavor *flavor; /* NULL = plain memcached */
    void *flavor_state;
    uv_loop_t *loop;
    kv__mc_node *nodes; /* never moves: connections point into it */
    size_t nnodes, nodes_cap;
    kv__mc_ring ring;
    uint64_t timeout_ns;
    char *username;
    char *password;
    char *sasl_mech; /* forced mechanism (sasl_mech_force=), NULL = best offered */
    bool tls;        /* memcached+tls:// */
    char *cacert;    /* PEM file of trusted CAs, NULL = the system's */
    bool verify;     /* verify the server certificate and host name */
    struct kv__tls_ctx *tls_ctx; /* tls.c: shared by every connection, NULL without TLS */
    uint32_t next_opaque;
    uv_timer_t tick;
    bool tick_running;
    struct kv__mc_scan *scans;
    int handles; /* sockets and lookups not yet closed */
    bool closing;
    void (*pending_done)(void *arg); /* close() was asked; teardown runs on the next turn */
    void (*close_done)(void *arg);   /* set by the teardown: call once every handle closed */
    void *close_arg;
};

/* The store with its settings, TLS context and tick, but no nodes yet (room for NODES_CAP). */
kv_status kv__mc_create(const kv_connspec *spec, const kv_open_options *options, uv_loop_t *loop,
                        size_t nodes_cap, kv__mc **out, char *errbuf, size_t errbuf_len);
/* A new node for HOST (not connected yet); NULL when there is no room. */
kv__mc_node *kv__mc_add_node(kv__mc *mc, const kv_host *host);
/* The backend entry points, shared with the Couchbase backend. */
void kv__mc_close(void *state, void (*done)(void *arg), void *arg);
void kv__mc_execute(void *state, kv__op *op);
void kv__mc_execute_batch(void *state, kv__op **ops, size_t count);

uint64_t kv__mc_now_ns(void);
/* Nanoseconds from SINCE to NOW; 0 when SINCE was taken after NOW (within the same tick). */
static inline uint64_t kv__mc_elapsed(uint64_t now, uint64_t since)
{
    return now > since ? now - since : 0;
}
/* Something now waits for a deadline: make sure the tick runs. */
void kv__mc_arm_tick(kv__mc *mc);
/* A socket or lookup finished closing. */
void kv__mc_handle_closed(kv__mc *mc);

#endif /* KV_MC_INTERNAL_H */

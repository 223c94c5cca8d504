/*
 * kv.h - the only public header of libkvcore, the core of kvtui.
 *
 * libkvcore holds everything that is not a screen: documents and their formats, the operations of
 * the Couchbase key-value API with their exact semantics, lossless JSON, the pickle decoder and
 * encoder, connection strings, the backends (embedded LMDB store, later memcached and Couchbase)
 * and the worker thread that owns them. It never includes curses or readline. The CLI, the TUI,
 * the tests and the benchmarks all link it.
 *
 * Names: kv_ is public (this header), kv__ is internal to core/ (the internal headers in core/).
 *
 * Threads and ownership
 * ---------------------
 * - Pure functions (status names, formats, TTL and key rules, JSON, pickle, base64, globs,
 *   connection strings) keep no global state and may be called from any thread.
 * - A kv_client owns one worker thread running one libuv loop; that loop owns the backend and
 *   every handle of it. No other thread ever touches the backend.
 * - kv_client_open() and kv_client_close() are called by the thread that owns the client (the
 *   "owner", normally the UI or CLI main thread). kv_client_poll() is called by the owner only.
 * - kv_client_submit(), kv_client_scan(), kv_client_changes(), kv_client_import(),
 *   kv_client_export() and kv_client_cancel() may be called from any thread: they append a job to
 *   a mutex-protected queue and wake the loop with uv_async_send().
 * - A kv_request passed to kv_client_submit() belongs to the client from then on, even when the
 *   call fails; the caller must not touch or free it again.
 * - Results come back as kv_event lists: the worker appends them to a second queue and writes one
 *   byte to a non-blocking pipe whose read end is kv_client_fd(). The owner polls that fd with
 *   its other inputs, then calls kv_client_poll(), which swaps out the whole queue (wakeups
 *   coalesce, so always drain it). Each event belongs to the caller: free it with kv_event_free().
 * - Every request produces exactly one terminal event: KV_EVENT_RESULT for an operation,
 *   KV_EVENT_DONE for a stream (scan, import, export) after its KV_EVENT_KEYS / KV_EVENT_PROGRESS
 *   batches, and KV_EVENT_CHANGES for a change-sequence read. A cancelled stream ends with
 *   KV_EVENT_DONE carrying KV_ERR_CANCELLED.
 * - Shutdown: kv_client_close() cancels every stream, fails every queued request with
 *   KV_ERR_CANCELLED (events the owner never polls are freed), asks the worker to close the
 *   backend and its handles, joins the thread and checks that uv_loop_close() returned 0.
 */
#ifndef KV_H
#define KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The release, as `kvtui --version` prints it and Couchbase's HELLO names the client. */
#define KV_VERSION "0.1.0"

/* ---- Status: the stable error names of DESIGN.md section 4. ---- */

typedef enum kv_status {
    KV_OK = 0,
    KV_ERR_NOT_FOUND,              /* NotFoundError */
    KV_ERR_KEY_EXISTS,             /* KeyExistsError */
    KV_ERR_NOT_STORED,             /* NotStoredError */
    KV_ERR_VALUE_FORMAT,           /* ValueFormatError */
    KV_ERR_DELTA_BADVAL,           /* DeltaBadvalError */
    KV_ERR_TOO_BIG,                /* TooBigError */
    KV_ERR_TEMPORARY_FAIL,         /* TemporaryFailError */
    KV_ERR_ARGUMENT,               /* ArgumentError */
    KV_ERR_DURABILITY_IMPOSSIBLE,  /* DurabilityImpossibleError */
    KV_ERR_NOT_SUPPORTED,          /* NotSupportedError */
    KV_ERR_TIMEOUT,                /* TimeoutError */
    KV_ERR_NETWORK,                /* NetworkError */
    KV_ERR_AUTH,                   /* AuthError */
    KV_ERR_CANCELLED,              /* CancelledError: a stream or request stopped by the caller */
    KV_ERR_INTERNAL,               /* InternalError: a store or system failure (I/O, corruption) */
    KV_STATUS_COUNT
} kv_status;

/* "NotFoundError", ... ; KV_OK is "Success". Never NULL. */
const char *kv_status_name(kv_status status);
/* The CLI exit code of DESIGN.md section 6 (0 ok, 2 ArgumentError, 3 NotFoundError, ...). */
int kv_status_exit_code(kv_status status);

/* ---- Limits and rules (DESIGN.md sections 3 and 4). ---- */

#define KV_KEY_MAX 250
#define KV_VALUE_MAX (20u * 1024u * 1024u)
#define KV_TTL_RELATIVE_MAX 2592000 /* 30 days: larger TTLs are absolute Unix times */

/* 1..250 bytes, else KV_ERR_ARGUMENT. */
kv_status kv_key_check(const char *key, size_t key_len);
/* Couchbase TTL rule: 0 = no expiry, <= 30 days relative to now, larger = absolute Unix time.
 * Negative or above UINT32_MAX is KV_ERR_ARGUMENT. *expiry is absolute (0 = none). */
kv_status kv_ttl_to_expiry(int64_t ttl, int64_t now, int64_t *expiry);
/* Seconds since the epoch (CLOCK_REALTIME). */
int64_t kv_now(void);

/* ---- Formats and flags (Python SDK 2.x values, common flags in the top byte). ---- */

typedef enum kv_format {
    KV_FORMAT_JSON,
    KV_FORMAT_UTF8,
    KV_FORMAT_BYTES,
    KV_FORMAT_PICKLE,
    KV_FORMAT_AUTO /* input only: valid JSON -> json, else valid UTF-8 -> utf8, else bytes */
} kv_format;

#define KV_FLAGS_JSON 0x02000000u
#define KV_FLAGS_UTF8 0x04000004u
#define KV_FLAGS_BYTES 0x03000002u
#define KV_FLAGS_PICKLE 0x01000001u

uint32_t kv_format_flags(kv_format format);
/* Decode flags: common flags by the exact top byte, else legacy 0/1/2/4, else bytes. */
kv_format kv_format_of_flags(uint32_t flags);
/* False when the flags matched neither rule (shown as bytes with the raw flags). */
bool kv_flags_known(uint32_t flags);
/* "json", "utf8", "bytes", "pickle", "auto". */
const char *kv_format_name(kv_format format);
/* Parse a --format name; an unknown one is KV_ERR_ARGUMENT. */
kv_status kv_format_parse(const char *name, kv_format *out);
bool kv_utf8_valid(const uint8_t *text, size_t len);
kv_format kv_format_detect(const uint8_t *value, size_t len);

/*
 * Turn a user-given value into stored bytes and flags for FORMAT: json is validated (stored
 * exactly as given), utf8 is validated, bytes are kept, pickle takes JSON text and encodes it as
 * a protocol-2 pickle, auto detects. Invalid input is KV_ERR_VALUE_FORMAT with a message naming
 * the position; a result over KV_VALUE_MAX is KV_ERR_TOO_BIG. *out is malloc'd (free() it).
 */
kv_status kv_value_encode(kv_format format, const uint8_t *in, size_t len, uint8_t **out,
                          size_t *out_len, uint32_t *flags, char *errbuf, size_t errbuf_len);

/* ---- Small utilities. ---- */

/* Standard base64 with padding. Returns a malloc'd NUL-terminated string. */
char *kv_base64_encode(const uint8_t *data, size_t len, size_t *out_len);
/* Returns KV_ERR_VALUE_FORMAT on bad input; *out is malloc'd. */
kv_status kv_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len);
/* Glob with '*' and '?' over bytes; a pattern without either is a substring match when
 * SUBSTRING is true, else an exact match. */
bool kv_glob_match(const char *pattern, const char *text, size_t text_len, bool substring,
                   bool case_insensitive);
bool kv_glob_has_wildcards(const char *pattern);

/* kv_glob_match with the pattern prepared once, for filtering many keys (the TUI's filter). */
typedef struct kv_key_matcher {
    char pattern[256];
    size_t len;
    bool glob, substring, case_insensitive;
    unsigned char first; /* the pattern's first byte, folded */
} kv_key_matcher;

void kv_key_matcher_init(kv_key_matcher *matcher, const char *pattern, bool substring,
                         bool case_insensitive);
bool kv_key_matcher_match(const kv_key_matcher *matcher, const char *text, size_t text_len);
/* Parse a CAS: "0x..." hex or decimal, the whole string, no sign. */
kv_status kv_cas_parse(const char *text, uint64_t *cas);

/* ---- Lossless JSON (core/json_*): every lexeme kept, built on the original text. ---- */

typedef struct kv_json_error {
    size_t offset;   /* byte offset of the problem */
    unsigned line;   /* 1-based */
    unsigned column; /* 1-based, in bytes */
    char message[120];
} kv_json_error;

typedef enum kv_json_token_kind {
    KV_JSON_OBJECT_OPEN,
    KV_JSON_OBJECT_CLOSE,
    KV_JSON_ARRAY_OPEN,
    KV_JSON_ARRAY_CLOSE,
    KV_JSON_COLON,
    KV_JSON_COMMA,
    KV_JSON_KEY, /* a string in key position, quotes and escapes included */
    KV_JSON_STRING,
    KV_JSON_NUMBER,
    KV_JSON_TRUE,
    KV_JSON_FALSE,
    KV_JSON_NULL
} kv_json_token_kind;

typedef struct kv_json_token {
    kv_json_token_kind kind;
    size_t offset; /* into the text */
    size_t length;
    unsigned depth; /* nesting depth of the token (0 = top level) */
} kv_json_token;

#define KV_JSON_MAX_DEPTH 10000

/* A validating, allocation-free lexer over one JSON text (RFC 8259, UTF-8 checked). */
typedef struct kv_json_lexer {
    const char *text;
    size_t len;
    size_t pos;
    unsigned depth;
    int state;          /* internal */
    uint8_t stack[KV_JSON_MAX_DEPTH / 8 + 1]; /* internal: 1 bit per level, object or array */
    kv_json_error error;
} kv_json_lexer;

void kv_json_lexer_init(kv_json_lexer *lexer, const char *text, size_t len);
/* 1: *token filled; 0: end of a complete, valid text; -1: invalid (lexer->error says where). */
int kv_json_lexer_next(kv_json_lexer *lexer, kv_json_token *token);

bool kv_json_valid(const char *text, size_t len, kv_json_error *error);
/* Re-indent with INDENT spaces per level (0 = minify), keeping every lexeme. *out malloc'd. */
kv_status kv_json_format(const char *text, size_t len, unsigned indent, char **out,
                         size_t *out_len, kv_json_error *error);
/* A cJSON tree whose numbers are cJSON_Raw items holding their original text, so printing the
 * tree with cJSON_PrintUnformatted keeps them exact. NULL on invalid input (error filled). */
cJSON *kv_json_parse_tree(const char *text, size_t len, kv_json_error *error);

/* ---- Small shared helpers (core/util_error.c). ---- */

/* Write a printf-style message into ERRBUF (when it has room) and return STATUS: the one way the
 * functions here explain a failure. */
kv_status kv_error_printf(char *errbuf, size_t errbuf_len, kv_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The value of the hex digit C, or -1. */
int kv_hex_digit(int c);

/* ---- Pickle (core/pickle_*): display-only decoder and a protocol-2 encoder. ---- */

typedef struct kv_pickle_view {
    bool plain;    /* only dict (str keys), list, tuple, str, bytes, int, float, bool, None */
    bool unsafe;   /* contains a global, call, build, extension or persistent id */
    char *json;    /* plain data as JSON text (pretty, 2 spaces); NULL when !plain */
    char *display; /* always set: a readable, inert rendering (symbolic nodes for code) */
} kv_pickle_view;

/* Decode without importing or calling anything; memo, depth, lengths and work are capped.
 * A malformed pickle is KV_ERR_VALUE_FORMAT with a message naming the offset. */
kv_status kv_pickle_decode(const uint8_t *data, size_t len, kv_pickle_view *view, char *errbuf,
                           size_t errbuf_len);
void kv_pickle_view_free(kv_pickle_view *view);
/* JSON text -> protocol-2 pickle of the same plain data. *out malloc'd. */
kv_status kv_pickle_encode_json(const char *json, size_t len, uint8_t **out, size_t *out_len,
                                char *errbuf, size_t errbuf_len);

/* ---- Connection strings (DESIGN.md section 5). ---- */

typedef enum kv_backend_kind {
    KV_BACKEND_EMBEDDED,
    KV_BACKEND_MEMCACHED,
    KV_BACKEND_COUCHBASE
} kv_backend_kind;

typedef struct kv_host {
    char *host;
    uint16_t port; /* 0 = the scheme's default */
} kv_host;

typedef struct kv_connspec {
    kv_backend_kind kind;
    bool tls;
    char *path;      /* embedded: the store file */
    kv_host *hosts;  /* memcached / couchbase */
    size_t nhosts;
    char *bucket;    /* couchbase */
    char *username;
    char *cacert;
    bool verify;     /* TLS certificate verification (default true) */
    char *sasl_mech; /* sasl_mech_force=: the one SASL mechanism to use (NULL = best offered) */
    bool ketama;     /* memcached distribution (default true; false = modula) */
    double timeout_s; /* per-operation timeout (default 2.5 s) */
} kv_connspec;

/* NULL or "" means the default embedded store. Errors are KV_ERR_ARGUMENT with a message. */
kv_status kv_connspec_parse(const char *text, kv_connspec *spec, char *errbuf, size_t errbuf_len);
void kv_connspec_free(kv_connspec *spec);
/* $XDG_DATA_HOME/kvtui/default.kvdb (or ~/.local/share/...). malloc'd. */
char *kv_default_store_path(void);

/* ---- Operations, requests and results (DESIGN.md section 4). ---- */

typedef enum kv_op {
    KV_OP_GET,
    KV_OP_INSERT,
    KV_OP_UPSERT,
    KV_OP_REPLACE,
    KV_OP_REMOVE,
    KV_OP_TOUCH,
    KV_OP_COUNTER,
    KV_OP_APPEND,
    KV_OP_PREPEND,
    KV_OP_LOCK,
    KV_OP_UNLOCK,
    KV_OP_COUNT
} kv_op;

/* "get", "insert", ... */
const char *kv_op_name(kv_op op);
bool kv_op_is_mutation(kv_op op);

typedef struct kv_request {
    kv_op op;
    char key[KV_KEY_MAX + 1]; /* NUL-terminated copy; key_len bytes are the key */
    size_t key_len;
    uint8_t *value;           /* malloc'd, owned by the request; the stored bytes or fragment */
    size_t value_len;
    uint32_t flags;           /* flags to store (insert/upsert/replace) */
    kv_format format;         /* append/prepend: must be utf8 or bytes */
    uint64_t cas;             /* 0 = no check */
    bool has_ttl;             /* get: get-and-touch; counter: expiry of a created counter */
    int64_t ttl;
    bool replica;
    bool quiet;
    int persist_to;           /* -1 = as many as exist */
    int replicate_to;
    int64_t delta;            /* counter; negative decrements (stops at 0) */
    bool has_initial;
    uint64_t initial;
} kv_request;

/* A zeroed request for OP and KEY (truncated keys are caught by kv_request_check). */
kv_request *kv_request_new(kv_op op, const char *key, size_t key_len);
/* Copy VALUE into the request. */
void kv_request_set_value(kv_request *request, const void *value, size_t len);
void kv_request_free(kv_request *request);
/* Argument rules every backend shares: key length, TTL range, lock needs a TTL, unlock needs a
 * CAS, counter --ttl needs --initial, append/prepend format, value size, durability sign. */
kv_status kv_request_check(const kv_request *request, char *errbuf, size_t errbuf_len);

typedef struct kv_result {
    kv_op op;
    kv_status status;
    char message[200];         /* detail for errors ("" when none) */
    char key[KV_KEY_MAX + 1];
    size_t key_len;
    uint8_t *value;            /* reads (get, lock): malloc'd, owned by the result */
    size_t value_len;
    uint32_t flags;
    uint64_t cas;
    int64_t expiry;            /* absolute Unix time, 0 = none; -1 = unknown to this backend */
    uint64_t counter;          /* counter: the new value */
    uint64_t latency_us;       /* submit to completion, measured by the worker */
} kv_result;

void kv_result_clear(kv_result *result); /* frees the value */

/*
 * One JSON object for RESULT, without a newline (DESIGN.md section 6):
 * {"key","success","error","cas","flags","format","expiry","value"[,"encoding"]}. value is the
 * JSON value for json and plain pickles, a string for utf8, base64 for bytes (with
 * "encoding":"base64"), the number for counter, null when there is none. With FOR_EXPORT, pickles
 * are base64 of their bytes (so an import restores them byte for byte), and so is any json
 * document whose text spans lines. malloc'd.
 */
char *kv_result_to_json(const kv_result *result, bool for_export);

/* ---- Key listing and the change sequence. ---- */

/* How much a listed key's record says. A memcached scan lists each key twice: first PARTIAL, as
 * soon as the server's dump names it (CAS and expiry known; flags and size not: 0), then again
 * COMPLETE once read back, or GONE when it vanished in between. Every other listing gives each
 * key once, COMPLETE. A consumer that only wants whole records skips PARTIAL ones. */
typedef enum kv_key_detail {
    KV_KEY_COMPLETE = 0,
    KV_KEY_PARTIAL,
    KV_KEY_GONE
} kv_key_detail;

typedef struct kv_key_info {
    const char *key; /* points into the event's arena; not NUL-terminated */
    uint16_t key_len;
    uint8_t detail;  /* kv_key_detail */
    uint32_t flags;
    uint32_t size;   /* value bytes */
    uint64_t cas;
    int64_t expiry;  /* absolute, 0 = none */
} kv_key_info;

typedef struct kv_change {
    uint64_t seq;
    const char *key; /* into the event's arena */
    uint16_t key_len;
    bool removed;    /* removed or expired; otherwise created or changed */
} kv_change;

#define KV_SEQ_LATEST UINT64_MAX

/* ---- The client: a store opened behind its worker thread. ---- */

typedef struct kv_client kv_client;

typedef struct kv_open_options {
    const char *password; /* SASL; never logged. NULL = none */
    bool read_only;       /* every mutation fails with KV_ERR_NOT_SUPPORTED */
} kv_open_options;

typedef enum kv_event_type {
    KV_EVENT_RESULT,   /* an operation finished: result */
    KV_EVENT_KEYS,     /* a scan batch: keys[nkeys] */
    KV_EVENT_PROGRESS, /* import/export: items, bytes of total_bytes */
    KV_EVENT_CHANGES,  /* changes[nchanges] after the requested seq; last_seq */
    KV_EVENT_DONE      /* a stream ended: status, message, items */
} kv_event_type;

typedef struct kv_event {
    struct kv_event *next;
    kv_event_type type;
    uint64_t id;    /* what submit/scan/... returned */
    void *user;     /* what the caller passed */
    kv_result result;
    kv_key_info *keys;
    size_t nkeys;
    kv_change *changes;
    size_t nchanges;
    uint64_t last_seq;
    uint64_t items;
    uint64_t bytes;
    uint64_t total_bytes;
    kv_status status;
    char message[256];
    char *arena; /* owns the key bytes of keys/changes */
} kv_event;

/* Parse CONNSTR, start the worker, open the backend on it. Blocks until the store is open. */
kv_status kv_client_open(const char *connstr, const kv_open_options *options, kv_client **out,
                         char *errbuf, size_t errbuf_len);
void kv_client_close(kv_client *client);
/* "embedded", "memcached", "couchbase". */
const char *kv_client_backend_name(const kv_client *client);
/* What the user must be told about how the store is reached (TLS with verify=false), or NULL. */
const char *kv_client_warning(const kv_client *client);
/* Readable when events are waiting. */
int kv_client_fd(const kv_client *client);

uint64_t kv_client_submit(kv_client *client, kv_request *request, void *user);
/* Stream keys matching GLOB (NULL = all) in batches of BATCH (0 = default), at most LIMIT
 * (0 = no limit); sorted by key on the embedded store. */
uint64_t kv_client_scan(kv_client *client, const char *glob, size_t batch, size_t limit,
                        void *user);
/* One KV_EVENT_CHANGES with at most LIMIT changes after SINCE (KV_SEQ_LATEST: none, just
 * last_seq). A backend without a change sequence answers KV_ERR_NOT_SUPPORTED in status. */
uint64_t kv_client_changes(kv_client *client, uint64_t since, size_t limit, void *user);
/* JSON Lines import/export (DESIGN.md section 6); ID_FIELD NULL = export format lines. */
uint64_t kv_client_import(kv_client *client, const char *path, const char *id_field, void *user);
uint64_t kv_client_export(kv_client *client, const char *path, void *user);
void kv_client_cancel(kv_client *client, uint64_t id);

/* Non-blocking: every waiting event, oldest first, as a list linked by next (NULL if none). */
kv_event *kv_client_poll(kv_client *client);
/* Block until events are waiting or TIMEOUT_MS passes (-1 = forever). True when readable. */
bool kv_client_wait(kv_client *client, int timeout_ms);
void kv_event_free(kv_event *event);
/* Convenience for scripts and tests: submit, wait for this request's result, return it.
 * Other events that arrive meanwhile are freed. */
kv_status kv_client_call(kv_client *client, kv_request *request, kv_result *result);

#ifdef __cplusplus
}
#endif

#endif /* KV_H */

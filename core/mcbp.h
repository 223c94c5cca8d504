/*
 * mcbp.h - the memcached binary protocol ("MCBP", shared by memcached and Couchbase) as pure
 * functions over byte buffers (internal to core).
 *
 * No I/O, no global state: any thread may call these. Three parts:
 *   - encoding: kv__mcbp_encode() lays one request out byte for byte (24-byte header, then
 *     extras, key, value; every integer big-endian), plus builders for the common extras;
 *   - decoding: kv__mcbp_decode() checks one response frame at the start of a buffer, and
 *     kv__mcbp_reader accumulates a hostile or truncated stream into whole frames without ever
 *     reading past what it was given or buffering more than one capped frame;
 *   - status codes: their names and the kv_status each one means to a user.
 *
 * Couchbase reuses all of it: requests carry a vbucket and a datatype, decoded frames expose the
 * datatype and the flexible framing extras of the alternative response magic 0x18.
 * The facts are from shared/reference/protocol.md section 1.
 */
#ifndef KV_MCBP_H
#define KV_MCBP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv.h"
#include "util_rbuf.h"

#define KV__MCBP_HEADER_LEN 24
/* The largest body a reader accepts: a 20 MiB value plus room for extras, key and framing. */
#define KV__MCBP_BODY_MAX (KV_VALUE_MAX + 4096u)
/* INCREMENT/DECREMENT expiry that means "fail with KEY_ENOENT rather than create". */
#define KV__MCBP_ARITH_NO_CREATE 0xffffffffu

enum {
    KV__MCBP_MAGIC_REQUEST = 0x80,
    KV__MCBP_MAGIC_RESPONSE = 0x81,
    KV__MCBP_MAGIC_SERVER_REQUEST = 0x82, /* Couchbase, with the Duplex feature */
    KV__MCBP_MAGIC_ALT_REQUEST = 0x08,    /* Couchbase, flexible framing extras */
    KV__MCBP_MAGIC_ALT_RESPONSE = 0x18
};

enum {
    KV__MCBP_OP_GET = 0x00,
    KV__MCBP_OP_SET = 0x01,
    KV__MCBP_OP_ADD = 0x02,
    KV__MCBP_OP_REPLACE = 0x03,
    KV__MCBP_OP_DELETE = 0x04,
    KV__MCBP_OP_INCREMENT = 0x05,
    KV__MCBP_OP_DECREMENT = 0x06,
    KV__MCBP_OP_QUIT = 0x07,
    KV__MCBP_OP_GETQ = 0x09,
    KV__MCBP_OP_NOOP = 0x0a,
    KV__MCBP_OP_VERSION = 0x0b,
    KV__MCBP_OP_GETK = 0x0c,
    KV__MCBP_OP_GETKQ = 0x0d,
    KV__MCBP_OP_APPEND = 0x0e,
    KV__MCBP_OP_PREPEND = 0x0f,
    KV__MCBP_OP_STAT = 0x10,
    KV__MCBP_OP_SETQ = 0x11,
    KV__MCBP_OP_ADDQ = 0x12,
    KV__MCBP_OP_REPLACEQ = 0x13,
    KV__MCBP_OP_DELETEQ = 0x14,
    KV__MCBP_OP_INCREMENTQ = 0x15,
    KV__MCBP_OP_DECREMENTQ = 0x16,
    KV__MCBP_OP_APPENDQ = 0x19,
    KV__MCBP_OP_PREPENDQ = 0x1a,
    KV__MCBP_OP_TOUCH = 0x1c,
    KV__MCBP_OP_GAT = 0x1d,
    KV__MCBP_OP_GATQ = 0x1e,
    KV__MCBP_OP_HELLO = 0x1f,
    KV__MCBP_OP_SASL_LIST_MECHS = 0x20,
    KV__MCBP_OP_SASL_AUTH = 0x21,
    KV__MCBP_OP_SASL_STEP = 0x22
};

enum {
    KV__MCBP_STATUS_SUCCESS = 0x0000,
    KV__MCBP_STATUS_KEY_ENOENT = 0x0001,
    KV__MCBP_STATUS_KEY_EEXISTS = 0x0002,
    KV__MCBP_STATUS_E2BIG = 0x0003,
    KV__MCBP_STATUS_EINVAL = 0x0004,
    KV__MCBP_STATUS_NOT_STORED = 0x0005,
    KV__MCBP_STATUS_DELTA_BADVAL = 0x0006,
    KV__MCBP_STATUS_NOT_MY_VBUCKET = 0x0007,
    KV__MCBP_STATUS_NO_BUCKET = 0x0008,
    KV__MCBP_STATUS_LOCKED = 0x0009,
    KV__MCBP_STATUS_NOT_LOCKED = 0x000e,
    KV__MCBP_STATUS_AUTH_STALE = 0x001f,
    KV__MCBP_STATUS_AUTH_ERROR = 0x0020,
    KV__MCBP_STATUS_AUTH_CONTINUE = 0x0021,
    KV__MCBP_STATUS_ERANGE = 0x0022,
    KV__MCBP_STATUS_EACCESS = 0x0024,
    KV__MCBP_STATUS_NOT_INITIALIZED = 0x0025,
    KV__MCBP_STATUS_UNKNOWN_COMMAND = 0x0081,
    KV__MCBP_STATUS_ENOMEM = 0x0082,
    KV__MCBP_STATUS_NOT_SUPPORTED = 0x0083,
    KV__MCBP_STATUS_EINTERNAL = 0x0084,
    KV__MCBP_STATUS_EBUSY = 0x0085,
    KV__MCBP_STATUS_ETMPFAIL = 0x0086,
    KV__MCBP_STATUS_DURABILITY_INVALID_LEVEL = 0x00a0,
    KV__MCBP_STATUS_DURABILITY_IMPOSSIBLE = 0x00a1,
    KV__MCBP_STATUS_SYNC_WRITE_IN_PROGRESS = 0x00a2,
    KV__MCBP_STATUS_SYNC_WRITE_AMBIGUOUS = 0x00a3
};

/* One request. Pointers are borrowed; extras, key and value may be NULL when their length is 0. */
typedef struct kv__mcbp_request {
    uint8_t opcode;
    uint8_t datatype; /* 0 for memcached */
    uint16_t vbucket; /* 0 for memcached */
    uint32_t opaque;  /* echoed back in the response */
    uint64_t cas;     /* 0 = no check */
    const uint8_t *extras;
    uint8_t extras_len;
    const uint8_t *key;
    uint16_t key_len;
    const uint8_t *value;
    size_t value_len;
} kv__mcbp_request;

/* Bytes kv__mcbp_encode writes for REQUEST; 0 when the body would not fit in 32 bits. */
size_t kv__mcbp_request_size(const kv__mcbp_request *request);
/* Lay REQUEST out in OUT; returns the bytes written, or 0 (nothing written) when CAP is too
 * small or the body too large. */
size_t kv__mcbp_encode(const kv__mcbp_request *request, uint8_t *out, size_t cap);

/* SET/ADD/REPLACE extras: flags u32, expiry u32. */
void kv__mcbp_store_extras(uint8_t out[8], uint32_t flags, uint32_t expiry);
/* INCREMENT/DECREMENT extras: delta u64, initial u64, expiry u32 (KV__MCBP_ARITH_NO_CREATE). */
void kv__mcbp_arith_extras(uint8_t out[20], uint64_t delta, uint64_t initial, uint32_t expiry);
/* TOUCH/GAT extras: expiry u32. */
void kv__mcbp_expiry_extras(uint8_t out[4], uint32_t expiry);

/* One decoded frame. Pointers point into the decoded buffer; lengths are consistent with it. */
typedef struct kv__mcbp_packet {
    uint8_t magic;
    uint8_t opcode;
    uint8_t datatype;
    uint16_t status; /* responses; the vbucket field of a server request */
    uint32_t body_len;
    uint32_t opaque;
    uint64_t cas;
    const uint8_t *framing; /* alternative magic only */
    uint8_t framing_len;
    const uint8_t *extras;
    uint8_t extras_len;
    const uint8_t *key;
    uint16_t key_len;
    const uint8_t *value;
    uint32_t value_len;
} kv__mcbp_packet;

typedef enum kv__mcbp_decoded {
    KV__MCBP_NEED_MORE, /* *used = how many bytes the frame needs in all (24 until the header) */
    KV__MCBP_FRAME,     /* *packet filled, *used = the frame's size */
    KV__MCBP_BAD        /* not a server frame: *why says what is wrong */
} kv__mcbp_decoded;

/* Check the server frame (magic 0x81, 0x18 or 0x82) at the start of BUF[0..LEN). Reads nothing
 * beyond LEN; a body above KV__MCBP_BODY_MAX or lengths that do not add up are KV__MCBP_BAD. */
kv__mcbp_decoded kv__mcbp_decode(const uint8_t *buf, size_t len, kv__mcbp_packet *packet,
                                 size_t *used, const char **why);

/* An incremental reader: bytes in (straight from a socket), whole frames out. */
typedef struct kv__mcbp_reader {
    kv__rbuf in;
    bool failed;
    const char *why; /* set once failed; a static string */
} kv__mcbp_reader;

void kv__mcbp_reader_init(kv__mcbp_reader *reader);
void kv__mcbp_reader_free(kv__mcbp_reader *reader);
/* Forget everything buffered (a new connection), keeping the memory. */
void kv__mcbp_reader_reset(kv__mcbp_reader *reader);
/* Room to read into, sized for the frame being received; NULL once the stream has failed. */
uint8_t *kv__mcbp_reader_space(kv__mcbp_reader *reader, size_t *avail);
/* N bytes were written into the space. */
void kv__mcbp_reader_commit(kv__mcbp_reader *reader, size_t n);
/* Copy in as much of DATA as fits now; returns how much was taken (call _next, then again). */
size_t kv__mcbp_reader_feed(kv__mcbp_reader *reader, const uint8_t *data, size_t len);
/* 1: PACKET holds the next frame (valid until the next space/feed/reset call); 0: need more
 * bytes; -1: the stream is broken (reader->why) and stays broken until reset. */
int kv__mcbp_reader_next(kv__mcbp_reader *reader, kv__mcbp_packet *packet);

/* "KEY_ENOENT", "AUTH_ERROR", ... or "UNKNOWN" for codes not in the table. */
const char *kv__mcbp_status_name(uint16_t status);
/* What a response status means to a user (KV_OK for success, KV_ERR_INTERNAL when unknown). */
kv_status kv__mcbp_status_to_kv(uint16_t status);

uint16_t kv__mcbp_get16(const uint8_t *p);
uint32_t kv__mcbp_get32(const uint8_t *p);
uint64_t kv__mcbp_get64(const uint8_t *p);
void kv__mcbp_put16(uint8_t *p, uint16_t v);
void kv__mcbp_put32(uint8_t *p, uint32_t v);
void kv__mcbp_put64(uint8_t *p, uint64_t v);

#endif /* KV_MCBP_H */

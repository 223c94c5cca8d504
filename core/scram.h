/*
 * scram.h - SASL client pieces shared by the memcached and Couchbase backends (internal to core).
 *
 * A SCRAM client (RFC 5802, RFC 7677) as pure functions: it builds the client messages and checks
 * the server's, and never does I/O, so the backends drive it over their own connections and the
 * unit tests drive it with the RFC examples. Hashing is OpenSSL's libcrypto.
 *
 *   kv__scram_begin          -> client-first  "n,,n=USER,r=CNONCE"
 *   kv__scram_server_first   <- "r=NONCE,s=SALT,i=COUNT"  -> client-final "c=biws,r=NONCE,p=PROOF"
 *   kv__scram_server_final   <- "v=SIGNATURE" (checked in constant time) or "e=ERROR"
 *
 * The password is copied at begin and wiped as soon as the salted password is derived; every
 * password-derived secret is wiped before it is freed. SASLprep (RFC 4013) is the identity on
 * printable ASCII, which is all this client accepts: a username or password with other bytes is
 * refused with a clear message (Couchbase's own SASLprep also handles ASCII only).
 *
 * The mechanism table knows both spellings: Couchbase's "SCRAM-SHA512" and Cyrus SASL's
 * "SCRAM-SHA-512" (shared/reference/protocol.md 2.5 and 8). kv__sasl_choose (sasl_choose.c)
 * picks what to use from a server's SASL_LIST_MECHS answer.
 */
#ifndef KV_SCRAM_H
#define KV_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Iteration counts a server may ask for. RFC 5802 only says "positive". The ceiling keeps a
 * hostile or broken server from freezing the worker loop: PBKDF2 runs on it, and 2,000,000
 * rounds of HMAC-SHA-512 take about a second on a current x86 core, while real servers use 4096
 * (Cyrus, PostgreSQL) to 15,000 (Couchbase, MongoDB), and OWASP's 2023 advice tops out at
 * 1,300,000 (PBKDF2-HMAC-SHA1). */
#define KV__SCRAM_ITERATIONS_MIN 1
#define KV__SCRAM_ITERATIONS_MAX 2000000

/* Longest mechanism name kept (the longest known is 13 bytes; memcached allows 32). */
#define KV__SASL_NAME_MAX 32

typedef enum kv__sasl_hash {
    KV__SASL_PLAIN, /* not SCRAM: "\0user\0password" in one step */
    KV__SASL_SHA1,
    KV__SASL_SHA256,
    KV__SASL_SHA512
} kv__sasl_hash;

typedef struct kv__sasl_mech {
    const char *couchbase; /* "SCRAM-SHA512": Couchbase's spelling and sasl_mech_force= */
    const char *cyrus;     /* "SCRAM-SHA-512": Cyrus SASL's (memcached -S) and the RFCs' */
    kv__sasl_hash hash;
    int preference; /* higher is chosen first */
} kv__sasl_mech;

/* The mechanism named NAME (LEN bytes) in either spelling, case-insensitively; NULL if unknown. */
const kv__sasl_mech *kv__sasl_mech_find(const char *name, size_t len);

/* What to authenticate with: the mechanism and its name exactly as the server spelled it, which
 * is the key of SASL_AUTH and SASL_STEP. */
typedef struct kv__sasl_choice {
    const kv__sasl_mech *mech;
    char server_name[KV__SASL_NAME_MAX + 1];
} kv__sasl_choice;

/* Choose from the space-separated list OFFERED (LEN bytes, SASL_LIST_MECHS's answer): FORCED (a
 * name in either spelling, sasl_mech_force=) when set, else the best offered of SCRAM-SHA-512 >
 * SCRAM-SHA-256 > SCRAM-SHA-1 > PLAIN. PLAIN_ALLOWED says whether PLAIN may be picked when it is
 * the best offered: memcached passes true (libmemcached sends PLAIN over plain TCP too);
 * Couchbase passes whether the connection uses TLS (libcouchbase refuses to downgrade to PLAIN
 * without it). A forced PLAIN is always honoured: the user asked for it. False with WHY (a
 * sentence naming what the server offers) when nothing fits. */
bool kv__sasl_choose(const uint8_t *offered, size_t len, const char *forced, bool plain_allowed,
                     kv__sasl_choice *choice, char *why, size_t why_cap);

typedef enum kv__scram_result {
    KV__SCRAM_OK,
    KV__SCRAM_BAD_CREDENTIALS, /* the username or password cannot be used (not ASCII) */
    KV__SCRAM_SERVER_ERROR,    /* the server said e=...; WHY quotes it */
    KV__SCRAM_PROTOCOL_ERROR,  /* a malformed or hostile server message */
    KV__SCRAM_NOT_PROVEN       /* v= is wrong: the server does not know the password */
} kv__scram_result;

typedef struct kv__scram kv__scram;

/* Start a SCRAM exchange with MECH (not PLAIN) as USER. NONCE is the client nonce for tests
 * (printable ASCII without ','), NULL for 24 random bytes in base64. On success *OUT holds the
 * state and kv__scram_output gives the client-first message; otherwise *OUT is NULL and WHY says
 * why. */
kv__scram_result kv__scram_begin(kv__scram **out, const kv__sasl_mech *mech, const char *user,
                                 const char *password, const char *nonce, char *why,
                                 size_t why_cap);
/* The message to send now (NUL-terminated; LEN may be NULL). */
const char *kv__scram_output(const kv__scram *scram, size_t *len);
/* The server-first message MSG (LEN bytes, not NUL-terminated): on success the output is the
 * client-final message. */
kv__scram_result kv__scram_server_first(kv__scram *scram, const uint8_t *msg, size_t len, char *why,
                                        size_t why_cap);
/* The server-final message: KV__SCRAM_OK only when its v= proves the server knows the password. */
kv__scram_result kv__scram_server_final(kv__scram *scram, const uint8_t *msg, size_t len, char *why,
                                        size_t why_cap);
/* Wipe and free (NULL is fine). */
void kv__scram_free(kv__scram *scram);

#endif /* KV_SCRAM_H */

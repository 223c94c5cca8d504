/*
 * tls.h - TLS client sessions over memory buffers (internal to core), for memcached+tls:// and
 * couchbases://.
 *
 * OpenSSL never touches a socket here: the caller reads ciphertext from its own connection
 * (libuv) and feeds it in, takes plaintext out, puts plaintext in and takes the ciphertext to
 * write. So the event loop stays the caller's, and one session works for any transport.
 *
 * A kv__tls_ctx is made once per store (trusted CAs, whether to verify) and shared by every
 * session of that store; sessions keep it alive (OpenSSL counts references), so the store may
 * free its context while sockets are still closing. Everything is used from one thread: the
 * worker's. Messages are written into caller buffers and never name the node (the caller adds
 * it): "certificate verify failed: self-signed certificate in certificate chain".
 */
#ifndef KV_TLS_H
#define KV_TLS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kv__tls_ctx kv__tls_ctx;
typedef struct kv__tls_session kv__tls_session;

typedef enum kv__tls_result {
    KV__TLS_OK,     /* done (handshake finished, bytes read or written) */
    KV__TLS_AGAIN,  /* needs more ciphertext from the peer (send what is pending first) */
    KV__TLS_CLOSED, /* the peer ended the session cleanly (close_notify) */
    KV__TLS_ERROR   /* the session is unusable; the message says why */
} kv__tls_result;

/* The settings every session of a store shares: TLS 1.2 or later; trusted CAs from CAFILE (PEM)
 * or, when CAFILE is NULL, the system's default locations; VERIFY checks the server's
 * certificate chain and its host name. NULL (with MESSAGE, "cannot read CA file X: reason")
 * when the CA file cannot be used. */
kv__tls_ctx *kv__tls_ctx_new(const char *cafile, bool verify, char *message, size_t cap);
void kv__tls_ctx_free(kv__tls_ctx *ctx);

/* A client session with the server HOST (a name or an IP literal): the certificate must be for
 * HOST when the context verifies, and a name is sent as SNI. NULL with MESSAGE on failure. */
kv__tls_session *kv__tls_session_new(kv__tls_ctx *ctx, const char *host, char *message, size_t cap);
void kv__tls_session_free(kv__tls_session *session);

/* Ciphertext that arrived from the peer (copied). */
void kv__tls_feed(kv__tls_session *session, const void *data, size_t len);
/* Advance the handshake: OK once finished, AGAIN while it needs the peer's answer. Either way,
 * send what kv__tls_take_output has. */
kv__tls_result kv__tls_handshake(kv__tls_session *session, char *message, size_t cap);
/* Decrypt up to CAP bytes into BUF: OK with *LEN > 0, AGAIN when nothing complete is buffered,
 * CLOSED, or ERROR with MESSAGE. Reading may produce output (a key update answer). */
kv__tls_result kv__tls_read(kv__tls_session *session, void *buf, size_t cap, size_t *len,
                            char *message, size_t message_cap);
/* Encrypt all LEN bytes of DATA into the pending output: OK or ERROR with MESSAGE. */
kv__tls_result kv__tls_write(kv__tls_session *session, const void *data, size_t len, char *message,
                             size_t message_cap);
/* Ciphertext waiting to be sent to the peer. */
size_t kv__tls_output_len(const kv__tls_session *session);
/* Move up to CAP bytes of that ciphertext into OUT; returns how many. */
size_t kv__tls_take_output(kv__tls_session *session, void *out, size_t cap);
/* Whether input is buffered that kv__tls_read has not returned yet (after a pause). */
bool kv__tls_input_buffered(const kv__tls_session *session);

#endif /* KV_TLS_H */

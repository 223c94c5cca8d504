/*
 * TLS client sessions over memory BIOs (see tls.h). OpenSSL reads ciphertext from one memory
 * BIO (filled by kv__tls_feed) and writes ciphertext into another (emptied by
 * kv__tls_take_output); the caller moves those bytes over its own socket.
 *
 * OpenSSL reports errors through a per-thread queue: every call here starts with an empty queue
 * and leaves it empty, so an error from one session never shows up in another's message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util_alloc.h"

struct kv__tls_ctx {
    SSL_CTX *ssl_ctx;
    bool verify;
};

struct kv__tls_session {
    SSL *ssl;
    BIO *in;  /* ciphertext from the peer, owned by ssl */
    BIO *out; /* ciphertext for the peer, owned by ssl */
    bool verify;
    char *host;
};

/* The reason of the newest queued OpenSSL error, then an empty queue. */
static void take_openssl_reason(char *out, size_t cap)
{
    unsigned long err = ERR_peek_last_error();
    const char *reason = err ? ERR_reason_error_string(err) : NULL;
    snprintf(out, cap, "%s", reason ? reason : "unknown OpenSSL error");
    ERR_clear_error();
}

/* Check the file ourselves first: errno says "No such file or directory", OpenSSL only
 * "system lib". */
static bool load_cafile(SSL_CTX *ssl_ctx, const char *cafile, char *message, size_t cap)
{
    FILE *file = fopen(cafile, "r");
    if (!file) {
        snprintf(message, cap, "cannot read CA file %s: %s", cafile, strerror(errno));
        return false;
    }
    fclose(file);
    if (SSL_CTX_load_verify_locations(ssl_ctx, cafile, NULL) == 1)
        return true;
    char reason[160];
    take_openssl_reason(reason, sizeof reason);
    snprintf(message, cap, "cannot read CA file %s: %s", cafile, reason);
    return false;
}

kv__tls_ctx *kv__tls_ctx_new(const char *cafile, bool verify, char *message, size_t cap)
{
    ERR_clear_error();
    SSL_CTX *ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (!ssl_ctx) {
        char reason[160];
        take_openssl_reason(reason, sizeof reason);
        snprintf(message, cap, "cannot set up TLS: %s", reason);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION);
    /* A renegotiation could make a write wait for the peer, which a memory BIO cannot do. */
    SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_verify(ssl_ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    bool loaded = cafile ? load_cafile(ssl_ctx, cafile, message, cap)
                         : (SSL_CTX_set_default_verify_paths(ssl_ctx), true);
    ERR_clear_error();
    if (!loaded) {
        SSL_CTX_free(ssl_ctx);
        return NULL;
    }
    kv__tls_ctx *ctx = kv__xcalloc(1, sizeof *ctx);
    ctx->ssl_ctx = ssl_ctx;
    ctx->verify = verify;
    return ctx;
}

void kv__tls_ctx_free(kv__tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx);
}

static bool is_ip_literal(const char *host)
{
    unsigned char addr[16];
    return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/* SNI carries names only (RFC 6066); the check compares IP literals with the certificate's IP
 * addresses and names with its DNS names (no partial wildcards such as w*.example.com). */
static bool name_the_peer(kv__tls_session *session, const char *host)
{
    bool ip = is_ip_literal(host);
    if (!ip && SSL_set_tlsext_host_name(session->ssl, host) != 1)
        return false;
    if (!session->verify)
        return true;
    X509_VERIFY_PARAM *param = SSL_get0_param(session->ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1
              : X509_VERIFY_PARAM_set1_host(param, host, 0) == 1;
}

kv__tls_session *kv__tls_session_new(kv__tls_ctx *ctx, const char *host, char *message, size_t cap)
{
    ERR_clear_error();
    kv__tls_session *session = kv__xcalloc(1, sizeof *session);
    session->verify = ctx->verify;
    session->host = strdup(host);
    session->ssl = SSL_new(ctx->ssl_ctx);
    BIO *in = BIO_new(BIO_s_mem());
    BIO *out = BIO_new(BIO_s_mem());
    if (!session->host || !session->ssl || !in || !out) {
        BIO_free(in);
        BIO_free(out);
        snprintf(message, cap, "cannot start a TLS session: out of memory");
        kv__tls_session_free(session);
        return NULL;
    }
    BIO_set_mem_eof_return(in, -1); /* empty means "wait for more", not end of stream */
    BIO_set_mem_eof_return(out, -1);
    SSL_set_bio(session->ssl, in, out);
    session->in = in;
    session->out = out;
    SSL_set_connect_state(session->ssl);
    if (!name_the_peer(session, host)) {
        char reason[160];
        take_openssl_reason(reason, sizeof reason);
        snprintf(message, cap, "cannot use %s as a TLS server name: %s", host, reason);
        kv__tls_session_free(session);
        return NULL;
    }
    return session;
}

void kv__tls_session_free(kv__tls_session *session)
{
    if (!session)
        return;
    SSL_free(session->ssl); /* frees both BIOs */
    free(session->host);
    free(session);
}

void kv__tls_feed(kv__tls_session *session, const void *data, size_t len)
{
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int)len;
        int put = BIO_write(session->in, data, chunk);
        if (put <= 0)
            kv__out_of_memory(); /* a memory BIO only fails to grow */
        data = (const char *)data + put;
        len -= (size_t)put;
    }
}

/* Why verification refused the peer, in the words a user can act on. */
static void describe_verify_failure(const kv__tls_session *session, long result, char *message,
                                    size_t cap)
{
    if (result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH)
        snprintf(message, cap, "host name mismatch: the server's certificate is not for %s",
                 session->host);
    else
        snprintf(message, cap, "certificate verify failed: %s",
                 X509_verify_cert_error_string(result));
}

static void describe_failure(const kv__tls_session *session, char *message, size_t cap)
{
    long result = SSL_get_verify_result(session->ssl);
    unsigned long err = ERR_peek_last_error();
    if (session->verify && result != X509_V_OK) {
        describe_verify_failure(session, result, message, cap);
    } else if (err) {
        const char *reason = ERR_reason_error_string(err);
        bool plain = ERR_GET_LIB(err) == ERR_LIB_SSL &&
                     (ERR_GET_REASON(err) == SSL_R_WRONG_VERSION_NUMBER ||
                      ERR_GET_REASON(err) == SSL_R_PACKET_LENGTH_TOO_LONG);
        snprintf(message, cap, "%s%s", reason ? reason : "unknown OpenSSL error",
                 plain ? " (is the server speaking TLS on this port?)" : "");
    } else {
        snprintf(message, cap, "the TLS session broke off");
    }
    ERR_clear_error();
}

/* What a failed OpenSSL call RC means for the caller. */
static kv__tls_result outcome(kv__tls_session *session, int rc, char *message, size_t cap)
{
    switch (SSL_get_error(session->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        ERR_clear_error();
        return KV__TLS_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        snprintf(message, cap, "the server ended the TLS session");
        return KV__TLS_CLOSED;
    default:
        describe_failure(session, message, cap);
        return KV__TLS_ERROR;
    }
}

kv__tls_result kv__tls_handshake(kv__tls_session *session, char *message, size_t cap)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(session->ssl);
    if (rc == 1)
        return KV__TLS_OK;
    kv__tls_result result = outcome(session, rc, message, cap);
    return result == KV__TLS_CLOSED ? KV__TLS_ERROR : result;
}

kv__tls_result kv__tls_read(kv__tls_session *session, void *buf, size_t cap, size_t *len,
                            char *message, size_t message_cap)
{
    ERR_clear_error();
    *len = 0;
    if (SSL_read_ex(session->ssl, buf, cap, len) == 1)
        return KV__TLS_OK;
    *len = 0;
    return outcome(session, 0, message, message_cap);
}

kv__tls_result kv__tls_write(kv__tls_session *session, const void *data, size_t len, char *message,
                             size_t message_cap)
{
    ERR_clear_error();
    size_t written = 0;
    if (len == 0 || (SSL_write_ex(session->ssl, data, len, &written) == 1 && written == len))
        return KV__TLS_OK;
    if (outcome(session, 0, message, message_cap) != KV__TLS_ERROR)
        snprintf(message, message_cap, "the TLS session cannot send now");
    return KV__TLS_ERROR;
}

size_t kv__tls_output_len(const kv__tls_session *session)
{
    return BIO_ctrl_pending(session->out);
}

size_t kv__tls_take_output(kv__tls_session *session, void *out, size_t cap)
{
    int got = BIO_read(session->out, out, cap > INT_MAX ? INT_MAX : (int)cap);
    return got > 0 ? (size_t)got : 0;
}

bool kv__tls_input_buffered(const kv__tls_session *session)
{
    return SSL_has_pending(session->ssl) || BIO_ctrl_pending(session->in) > 0;
}

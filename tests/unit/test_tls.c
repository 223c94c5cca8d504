/*
 * kv__tls (core/tls.h) against an OpenSSL server in the same process, over memory: the test
 * makes its own CAs and server certificates with libcrypto, writes the CA files a user would
 * pass as ?cacert=, and moves the bytes between the two sides itself. Checks what a user sees:
 * the data arrives, and refusals say why (wrong CA, expired, host name, unreadable CA file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"

#define DAY (24L * 60 * 60)

typedef struct identity {
    EVP_PKEY *key;
    X509 *cert;
} identity;

typedef struct pair {
    kv__tls_session *client;
    SSL *server;
    BIO *server_in, *server_out;
    kv__tls_result handshake;
    char message[512];
} pair;

static identity ca, other_ca, good, expired;
static char ca_file[64], other_ca_file[64], junk_file[64];

static void add_extension(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

/* A certificate for NAME valid from FROM to UNTIL (seconds from now), signed by ISSUER (NULL:
 * self-signed, a CA). */
static identity make_identity(const char *name, const identity *issuer, long from, long until)
{
    static long serial = 1;
    identity id = {.key = EVP_EC_gen("P-256"), .cert = X509_new()};
    assert_non_null(id.key);
    X509 *cert = id.cert;
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               (const unsigned char *)name, -1, -1, 0);
    X509 *signer = issuer ? issuer->cert : cert;
    X509_set_issuer_name(cert, X509_get_subject_name(signer));
    X509_gmtime_adj(X509_getm_notBefore(cert), from);
    X509_gmtime_adj(X509_getm_notAfter(cert), until);
    X509_set_pubkey(cert, id.key);
    if (issuer) {
        add_extension(cert, signer, NID_basic_constraints, "CA:FALSE");
        add_extension(cert, signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    } else {
        add_extension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    assert_true(X509_sign(cert, issuer ? issuer->key : id.key, EVP_sha256()) > 0);
    return id;
}

static void write_pem(char *path, X509 *cert)
{
    strcpy(path, "/tmp/kvtui-tls-test.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    if (cert)
        PEM_write_X509(file, cert);
    else
        fputs("this is not a certificate\n", file);
    fclose(file);
}

static int setup(void **state)
{
    ca = make_identity("kvtui test CA", NULL, -DAY, 30 * DAY);
    other_ca = make_identity("kvtui other CA", NULL, -DAY, 30 * DAY);
    good = make_identity("localhost", &ca, -DAY, 30 * DAY);
    expired = make_identity("localhost", &ca, -60 * DAY, -30 * DAY);
    write_pem(ca_file, ca.cert);
    write_pem(other_ca_file, other_ca.cert);
    write_pem(junk_file, NULL);
    return 0;
}

static void identity_free(identity *id)
{
    EVP_PKEY_free(id->key);
    X509_free(id->cert);
}

static int teardown(void **state)
{
    identity_free(&ca);
    identity_free(&other_ca);
    identity_free(&good);
    identity_free(&expired);
    unlink(ca_file);
    unlink(other_ca_file);
    unlink(junk_file);
    return 0;
}

/* A server presenting SERVER and its chain up to the test CA (as memcached's chain file does). */
static SSL *make_server(const identity *server, BIO **in, BIO **out)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate(ctx, server->cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, server->key), 1);
    X509_up_ref(ca.cert);
    SSL_CTX_add_extra_chain_cert(ctx, ca.cert);
    SSL *ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    *in = BIO_new(BIO_s_mem());
    *out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(*in, -1);
    BIO_set_mem_eof_return(*out, -1);
    SSL_set_bio(ssl, *in, *out);
    SSL_set_accept_state(ssl);
    return ssl;
}

/* Move what each side wrote to the other; true when anything moved. */
static bool shuttle(pair *p)
{
    char buf[16384];
    bool moved = false;
    size_t n;
    while ((n = kv__tls_take_output(p->client, buf, sizeof buf)) > 0) {
        BIO_write(p->server_in, buf, (int)n);
        moved = true;
    }
    int got;
    while ((got = BIO_read(p->server_out, buf, sizeof buf)) > 0) {
        kv__tls_feed(p->client, buf, (size_t)got);
        moved = true;
    }
    return moved;
}

/* Connect a client (CAFILE, VERIFY, as HOST) to a server presenting SERVER; runs the handshake
 * until it finishes or fails (p->handshake, p->message). */
static void connect_pair(pair *p, const char *cafile, bool verify, const char *host,
                         const identity *server)
{
    char message[512] = "";
    memset(p, 0, sizeof *p);
    kv__tls_ctx *ctx = kv__tls_ctx_new(cafile, verify, message, sizeof message);
    assert_non_null(ctx);
    p->client = kv__tls_session_new(ctx, host, message, sizeof message);
    kv__tls_ctx_free(ctx); /* the session keeps what it needs */
    assert_non_null(p->client);
    p->server = make_server(server, &p->server_in, &p->server_out);
    for (int round = 0; round < 20; round++) {
        p->handshake = kv__tls_handshake(p->client, p->message, sizeof p->message);
        if (p->handshake == KV__TLS_ERROR)
            return;
        SSL_do_handshake(p->server);
        if (!shuttle(p) && p->handshake == KV__TLS_OK)
            return;
    }
    fail_msg("the handshake did not finish");
}

static void pair_free(pair *p)
{
    kv__tls_session_free(p->client);
    SSL_free(p->server);
}

/* Everything the client can read now, as a string. */
static const char *client_reads(pair *p, kv__tls_result *last)
{
    static char text[256];
    size_t len = 0, got;
    while ((*last = kv__tls_read(p->client, text + len, sizeof text - 1 - len, &got, p->message,
                                 sizeof p->message)) == KV__TLS_OK)
        len += got;
    text[len] = '\0';
    return text;
}

static void data_flows_both_ways_by_ip_and_by_name(void **state)
{
    static const char *const hosts[] = {"127.0.0.1", "localhost"};
    for (size_t i = 0; i < 2; i++) {
        pair p;
        connect_pair(&p, ca_file, true, hosts[i], &good);
        assert_int_equal(p.handshake, KV__TLS_OK);
        assert_int_equal(kv__tls_write(p.client, "ping\r\n", 6, p.message, sizeof p.message),
                         KV__TLS_OK);
        shuttle(&p);
        char buf[16] = "";
        size_t got = 0;
        assert_int_equal(SSL_read_ex(p.server, buf, sizeof buf - 1, &got), 1);
        assert_string_equal(buf, "ping\r\n");
        assert_int_equal(SSL_write(p.server, "pong\r\n", 6), 6);
        shuttle(&p);
        kv__tls_result last;
        assert_string_equal(client_reads(&p, &last), "pong\r\n");
        assert_int_equal(last, KV__TLS_AGAIN);
        pair_free(&p);
    }
}

static void small_reads_leave_the_rest_buffered(void **state)
{
    pair p;
    connect_pair(&p, ca_file, true, "127.0.0.1", &good);
    SSL_write(p.server, "0123456789", 10);
    shuttle(&p);
    char buf[4];
    size_t got = 0;
    assert_int_equal(kv__tls_read(p.client, buf, 4, &got, p.message, sizeof p.message), KV__TLS_OK);
    assert_int_equal(got, 4);
    assert_true(kv__tls_input_buffered(p.client));
    kv__tls_result last;
    assert_string_equal(client_reads(&p, &last), "456789");
    assert_false(kv__tls_input_buffered(p.client));
    pair_free(&p);
}

static void server_close_notify_reads_as_closed(void **state)
{
    pair p;
    connect_pair(&p, ca_file, true, "127.0.0.1", &good);
    SSL_shutdown(p.server);
    shuttle(&p);
    kv__tls_result last;
    client_reads(&p, &last);
    assert_int_equal(last, KV__TLS_CLOSED);
    pair_free(&p);
}

static void wrong_ca_is_refused_with_the_reason(void **state)
{
    pair p;
    connect_pair(&p, other_ca_file, true, "127.0.0.1", &good);
    assert_int_equal(p.handshake, KV__TLS_ERROR);
    assert_string_equal(p.message,
                        "certificate verify failed: self-signed certificate in certificate chain");
    pair_free(&p);
}

static void expired_certificate_is_refused(void **state)
{
    pair p;
    connect_pair(&p, ca_file, true, "127.0.0.1", &expired);
    assert_int_equal(p.handshake, KV__TLS_ERROR);
    assert_string_equal(p.message, "certificate verify failed: certificate has expired");
    pair_free(&p);
}

static void certificate_for_another_host_is_refused(void **state)
{
    static const char *const hosts[] = {"example.com", "10.0.0.1", "127.0.0.2", "local"};
    for (size_t i = 0; i < 4; i++) {
        pair p;
        connect_pair(&p, ca_file, true, hosts[i], &good);
        assert_int_equal(p.handshake, KV__TLS_ERROR);
        char want[128];
        snprintf(want, sizeof want, "host name mismatch: the server's certificate is not for %s",
                 hosts[i]);
        assert_string_equal(p.message, want);
        pair_free(&p);
    }
}

static void verify_false_accepts_anything(void **state)
{
    pair p;
    connect_pair(&p, other_ca_file, false, "example.com", &expired);
    assert_int_equal(p.handshake, KV__TLS_OK);
    pair_free(&p);
}

static void unreadable_ca_file_says_why(void **state)
{
    char message[512] = "";
    assert_null(kv__tls_ctx_new("/nonexistent/ca.pem", true, message, sizeof message));
    assert_string_equal(message,
                        "cannot read CA file /nonexistent/ca.pem: No such file or directory");
    assert_null(kv__tls_ctx_new(junk_file, true, message, sizeof message));
    char want[128];
    snprintf(want, sizeof want, "cannot read CA file %s: no certificate or crl found", junk_file);
    assert_string_equal(message, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(data_flows_both_ways_by_ip_and_by_name),
        cmocka_unit_test(small_reads_leave_the_rest_buffered),
        cmocka_unit_test(server_close_notify_reads_as_closed),
        cmocka_unit_test(wrong_ca_is_refused_with_the_reason),
        cmocka_unit_test(expired_certificate_is_refused),
        cmocka_unit_test(certificate_for_another_host_is_refused),
        cmocka_unit_test(verify_false_accepts_anything),
        cmocka_unit_test(unreadable_ca_file_says_why),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

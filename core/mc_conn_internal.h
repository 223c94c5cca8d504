/*
 * mc_conn_internal.h - what mc_conn.c (the TCP connection) and mc_conn_tls.c (TLS on it) share
 * (private to those two files).
 */
#ifndef KV_MC_CONN_INTERNAL_H
#define KV_MC_CONN_INTERNAL_H

#include "mc_internal.h"
#include "tls.h"

/* How much ciphertext one socket read takes. */
#define CIPHER_CHUNK (64u * 1024u)
/* The most plaintext one TLS record carries (RFC 8446 5.1). */
#define TLS_RECORD_MAX 16384u

struct kv__mc_sock {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    kv__mc_conn *conn; /* NULL once abandoned */
    kv__mc *mc;
    uint8_t *writing;
    size_t writing_len, writing_cap;
    bool write_busy;
    bool sensitive;
    int handles_open;     /* libuv handles not closed yet: tcp, and resume with TLS */
    bool has_resume;      /* resume was initialised (a TLS store) */
    uv_timer_t resume;    /* TLS: decrypts what a pause left buffered, on the next loop turn */
    kv__tls_session *tls; /* TLS: the session, once TCP is connected */
    uint8_t *cipher_in;   /* TLS: where the socket's bytes land before decryption */
    bool received;        /* the peer has sent something on this socket */
};

/* mc_conn.c */
/* The connection is ready for the protocol (after the TLS handshake, when there is one). */
void kv__mc_conn_opened(kv__mc_conn *conn);
/* Start writing sock->writing (the caller checked that no write is in progress). */
void kv__mc_sock_start_write(kv__mc_conn *conn, kv__mc_sock *sock);
/* Send what waits unless a write is in progress (its completion sends the rest). */
void kv__mc_sock_flush(kv__mc_conn *conn, kv__mc_sock *sock);
void kv__mc_wipe(uint8_t *data, size_t len);

/* mc_conn_tls.c */
/* TCP is connected: start the TLS handshake (kv__mc_conn_opened once it is done). */
void kv__mc_tls_start(kv__mc_sock *sock);
/* Ciphertext LEN bytes of DATA arrived from the socket. */
void kv__mc_tls_received(kv__mc_sock *sock, const uint8_t *data, size_t len);
/* Encrypt what the protocol appended and write it. */
void kv__mc_tls_flush(kv__mc_conn *conn, kv__mc_sock *sock);
/* Reading resumed after a pause: deliver what was decrypted before it. */
void kv__mc_tls_resume(kv__mc_sock *sock);

#endif /* KV_MC_CONN_INTERNAL_H */

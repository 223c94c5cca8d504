/*
 * TLS on a memcached connection (mc_conn.c): the protocol layer appends and reads plaintext;
 * here `out` is encrypted into the socket's write buffer in records that end where requests end,
 * and what the socket reads is decrypted straight into the protocol's read space (tls.h, memory
 * BIOs, so libuv keeps the socket).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_conn_internal.h"
#include "util_alloc.h"

/* A TLS failure: during the handshake it is a failed connect (was_open false, so the node backs
 * off and fails what waits with this message); afterwards the connection broke. */
static void tls_failed(kv__mc_conn *conn, const char *reason)
{
    char message[KV__MC_MESSAGE_MAX];
    if (conn->state == KV__MC_OPEN)
        snprintf(message, sizeof message, "TLS error on the connection to %s: %s", conn->node->name,
                 reason);
    else
        snprintf(message, sizeof message, "TLS handshake with %s failed: %s", conn->node->name,
                 reason);
    kv__mc_conn_fail(conn, KV_ERR_NETWORK, message);
}

/* Move the ciphertext the session produced into the socket's write buffer and write it. */
static void tls_send(kv__mc_conn *conn, kv__mc_sock *sock)
{
    size_t len = kv__tls_output_len(sock->tls);
    if (sock->write_busy || len == 0)
        return;
    if (sock->writing_cap < len) {
        free(sock->writing);
        sock->writing = kv__xcalloc(1, len);
        sock->writing_cap = len;
    }
    sock->writing_len = kv__tls_take_output(sock->tls, sock->writing, len);
    kv__mc_sock_start_write(conn, sock);
}

/* The length of the first request in DATA (LEN > 0): a binary frame says its body length
 * (protocol.md 2); a text command is one line. Whatever does not parse is one request. */
static size_t request_len(const uint8_t *data, size_t len)
{
    bool binary = data[0] >= KV__MCBP_MAGIC_REQUEST || data[0] == KV__MCBP_MAGIC_ALT_REQUEST ||
                  data[0] == KV__MCBP_MAGIC_ALT_RESPONSE;
    if (binary && len >= KV__MCBP_HEADER_LEN) {
        uint64_t body =
            (uint64_t)data[8] << 24 | (uint64_t)data[9] << 16 | (uint64_t)data[10] << 8 | data[11];
        return KV__MCBP_HEADER_LEN + body <= len ? KV__MCBP_HEADER_LEN + (size_t)body : len;
    }
    const uint8_t *newline = binary ? NULL : memchr(data, '\n', len);
    return newline ? (size_t)(newline - data) + 1 : len;
}

/* How much of DATA goes into the next TLS record: whole requests up to the record size, or one
 * bigger request (OpenSSL cuts it into records, the last one ending with it). memcached -Z
 * (1.6.18) reads a record only as far as the request it is parsing and then waits for the
 * socket, so a record ending inside a request strands the rest of it in the server until the
 * client sends again: the last requests of a burst would time out. */
static size_t record_len(const uint8_t *data, size_t len)
{
    size_t n = request_len(data, len);
    while (n < len) {
        size_t next = request_len(data + n, len - n);
        if (n + next > TLS_RECORD_MAX)
            break;
        n += next;
    }
    return n;
}

/* Encrypt everything appended since the last write, in records that end where requests end
 * (wiping a password once it is encrypted), then send; before the handshake is over only the
 * session's own output leaves. */
void kv__mc_tls_flush(kv__mc_conn *conn, kv__mc_sock *sock)
{
    if (conn->state == KV__MC_OPEN && conn->out_len > 0) {
        char reason[KV__MC_MESSAGE_MAX / 2];
        kv__tls_result result = KV__TLS_OK;
        for (size_t at = 0, n; at < conn->out_len && result == KV__TLS_OK; at += n) {
            n = record_len(conn->out + at, conn->out_len - at);
            result = kv__tls_write(sock->tls, conn->out + at, n, reason, sizeof reason);
        }
        if (conn->out_sensitive)
            kv__mc_wipe(conn->out, conn->out_len);
        conn->out_sensitive = false;
        conn->out_len = 0;
        if (result != KV__TLS_OK) {
            tls_failed(conn, reason);
            return;
        }
    }
    tls_send(conn, sock);
}

/* Decrypt into the protocol's read space until nothing complete is buffered, the protocol
 * pauses, or the connection goes (any on_read may close it: SOCK outlives that, CONN may not). */
static void tls_drain(kv__mc_sock *sock)
{
    char reason[KV__MC_MESSAGE_MAX / 2];
    kv__mc_conn *conn;
    while ((conn = sock->conn) && conn->state == KV__MC_OPEN && !conn->reading_paused) {
        size_t avail = 0, len = 0;
        uint8_t *space = conn->ops->read_space(conn, &avail);
        if (!space || avail == 0) {
            tls_failed(conn, kv__mc_uv_error(UV_ENOBUFS));
            return;
        }
        kv__tls_result result = kv__tls_read(sock->tls, space, avail, &len, reason, sizeof reason);
        if (result == KV__TLS_AGAIN)
            break;
        if (result == KV__TLS_CLOSED) {
            snprintf(reason, sizeof reason, "%s closed the connection", conn->node->name);
            kv__mc_conn_fail(conn, KV_ERR_NETWORK, reason);
            return;
        }
        if (result == KV__TLS_ERROR) {
            tls_failed(conn, reason);
            return;
        }
        conn->ops->on_read(conn, len);
    }
    if ((conn = sock->conn))
        kv__mc_sock_flush(conn, sock); /* reading may have produced output (a key update answer) */
}

static void tls_advance_handshake(kv__mc_sock *sock)
{
    kv__mc_conn *conn = sock->conn;
    char reason[KV__MC_MESSAGE_MAX / 2];
    kv__tls_result result = kv__tls_handshake(sock->tls, reason, sizeof reason);
    if (result == KV__TLS_ERROR) {
        tls_failed(conn, reason);
        return;
    }
    tls_send(conn, sock);
    if (result != KV__TLS_OK || sock->conn != conn)
        return;
    kv__mc_conn_opened(conn);
    tls_drain(sock); /* application data may have come with the last handshake bytes */
}

void kv__mc_tls_start(kv__mc_sock *sock)
{
    kv__mc_conn *conn = sock->conn;
    char reason[KV__MC_MESSAGE_MAX / 2];
    sock->tls =
        kv__tls_session_new(conn->mc->tls_ctx, conn->node->host.host, reason, sizeof reason);
    if (!sock->tls) {
        tls_failed(conn, reason);
        return;
    }
    tls_advance_handshake(sock);
}

void kv__mc_tls_received(kv__mc_sock *sock, const uint8_t *data, size_t len)
{
    kv__tls_feed(sock->tls, data, len);
    if (sock->conn->state == KV__MC_OPEN)
        tls_drain(sock);
    else
        tls_advance_handshake(sock);
}

static void on_resume(uv_timer_t *timer)
{
    tls_drain(timer->data);
}

/* Input decrypted and buffered before a pause is not announced by the socket again: drain it on
 * the next loop turn (never from inside the protocol's own call to resume). */
void kv__mc_tls_resume(kv__mc_sock *sock)
{
    if (kv__tls_input_buffered(sock->tls))
        uv_timer_start(&sock->resume, on_resume, 0, 0);
}

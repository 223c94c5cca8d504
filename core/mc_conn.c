/*
 * One TCP connection of the memcached backend: resolve, connect (trying every address),
 * TCP_NODELAY, TLS when the store asks for it, batched writes and reads handed to a protocol
 * layer (kv__mc_conn_ops).
 *
 * The socket of each attempt is its own object (kv__mc_sock) so a connection can be dropped at
 * any moment, even inside one of its callbacks: the socket is detached (conn = NULL), closes on
 * its own and frees itself. Writes batch naturally: while one write is in the kernel's hands,
 * everything appended meanwhile waits in `out` and leaves as the next single write.
 *
 * With TLS (memcached+tls://) the protocol layer still sees plaintext: `out` is encrypted into
 * the socket's write buffer when it leaves, and what the socket reads is decrypted straight into
 * the protocol's read space (tls.h, memory BIOs, so libuv keeps the socket). The handshake runs
 * between the TCP connect and on_open with the connection still CONNECTING, so its failures are
 * connect failures (the node backs off) and the connect timeout covers it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_internal.h"
#include "tls.h"
#include "util_alloc.h"

/* A write buffer bigger than this is given back after use. */
#define KEEP_WRITE_BUFFER (1u << 20)
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

typedef struct kv__mc_resolve {
    uv_getaddrinfo_t req;
    kv__mc_conn *conn; /* NULL once abandoned */
    kv__mc *mc;
} kv__mc_resolve;

static void try_next_address(kv__mc_conn *conn);
static void tls_start(kv__mc_sock *sock);
static void tls_received(kv__mc_sock *sock, const uint8_t *data, size_t len);
static void tls_flush(kv__mc_conn *conn, kv__mc_sock *sock);
static void tls_resume(kv__mc_sock *sock);

const char *kv__mc_uv_error(int code)
{
    return uv_strerror(code);
}

void kv__mc_conn_init(kv__mc_conn *conn, kv__mc *mc, kv__mc_node *node, const kv__mc_conn_ops *ops,
                      void *owner)
{
    memset(conn, 0, sizeof *conn);
    conn->mc = mc;
    conn->node = node;
    conn->ops = ops;
    conn->owner = owner;
    conn->state = KV__MC_DOWN;
}

static void wipe(uint8_t *data, size_t len)
{
    if (data && len)
        explicit_bzero(data, len);
}

static void sock_closed(uv_handle_t *handle)
{
    kv__mc_sock *sock = handle->data;
    if (--sock->handles_open > 0)
        return;
    kv__mc *mc = sock->mc;
    if (sock->sensitive)
        wipe(sock->writing, sock->writing_cap);
    free(sock->writing);
    kv__tls_session_free(sock->tls);
    free(sock->cipher_in);
    free(sock);
    kv__mc_handle_closed(mc);
}

static void close_handle(uv_handle_t *handle)
{
    if (!uv_is_closing(handle))
        uv_close(handle, sock_closed);
}

static void sock_abandon(kv__mc_sock *sock)
{
    sock->conn = NULL;
    close_handle((uv_handle_t *)&sock->tcp);
    if (sock->has_resume)
        close_handle((uv_handle_t *)&sock->resume);
}

void kv__mc_conn_close(kv__mc_conn *conn)
{
    if (conn->resolve) {
        conn->resolve->conn = NULL;
        conn->resolve = NULL;
    }
    if (conn->sock) {
        sock_abandon(conn->sock);
        conn->sock = NULL;
    }
    if (conn->addrs)
        uv_freeaddrinfo(conn->addrs);
    conn->addrs = conn->next_addr = NULL;
    if (conn->out_sensitive)
        wipe(conn->out, conn->out_cap);
    conn->out_sensitive = false;
    conn->out_len = 0;
    conn->reading_paused = false;
    conn->state = KV__MC_DOWN;
}

void kv__mc_conn_fail(kv__mc_conn *conn, kv_status status, const char *message)
{
    bool was_open = conn->state == KV__MC_OPEN;
    kv__mc_conn_close(conn);
    conn->ops->on_down(conn, status, message, was_open);
}

void kv__mc_conn_free(kv__mc_conn *conn)
{
    kv__mc_conn_close(conn);
    free(conn->out);
    conn->out = NULL;
    conn->out_cap = 0;
}

static void connect_failed(kv__mc_conn *conn, int code)
{
    char message[KV__MC_MESSAGE_MAX];
    snprintf(message, sizeof message, "cannot connect to %s: %s", conn->node->name,
             kv__mc_uv_error(code));
    kv__mc_conn_fail(conn, KV_ERR_NETWORK, message);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    kv__mc_sock *sock = handle->data;
    if (sock->tls && sock->conn) {
        if (!sock->cipher_in)
            sock->cipher_in = kv__xcalloc(1, CIPHER_CHUNK);
        *buf = uv_buf_init((char *)sock->cipher_in, CIPHER_CHUNK);
        return;
    }
    size_t avail = 0;
    uint8_t *space = sock->conn ? sock->conn->ops->read_space(sock->conn, &avail) : NULL;
    *buf =
        uv_buf_init((char *)space, space ? (unsigned)(avail < UINT32_MAX ? avail : UINT32_MAX) : 0);
}

/* A TLS server drops a plaintext client without a word (memcached -Z resets the connection). */
static const char *tls_hint(const kv__mc_sock *sock)
{
    return !sock->tls && !sock->received ? " before answering (does it expect TLS?)" : "";
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    kv__mc_sock *sock = stream->data;
    kv__mc_conn *conn = sock->conn;
    if (!conn || nread == 0)
        return;
    if (nread > 0) {
        conn->activity_ns = kv__mc_now_ns();
        sock->received = true;
        if (sock->tls)
            tls_received(sock, (const uint8_t *)buf->base, (size_t)nread);
        else
            conn->ops->on_read(conn, (size_t)nread);
        return;
    }
    char message[KV__MC_MESSAGE_MAX];
    if (nread == UV_EOF && sock->tls && conn->state != KV__MC_OPEN)
        snprintf(message, sizeof message,
                 "TLS handshake with %s failed: the server closed the connection",
                 conn->node->name);
    else if (nread == UV_EOF)
        snprintf(message, sizeof message, "%s closed the connection%s", conn->node->name,
                 tls_hint(sock));
    else
        snprintf(message, sizeof message, "connection to %s failed: %s%s", conn->node->name,
                 kv__mc_uv_error((int)nread), nread == UV_ECONNRESET ? tls_hint(sock) : "");
    kv__mc_conn_fail(conn, KV_ERR_NETWORK, message);
}

/* The connection is ready for the protocol (after the TLS handshake, when there is one). */
static void opened(kv__mc_conn *conn)
{
    conn->state = KV__MC_OPEN;
    conn->activity_ns = kv__mc_now_ns();
    conn->ops->on_open(conn);
    if (conn->state == KV__MC_OPEN)
        kv__mc_conn_flush(conn);
}

static void on_connected(uv_connect_t *req, int status)
{
    kv__mc_sock *sock = req->data;
    kv__mc_conn *conn = sock->conn;
    if (!conn)
        return;
    if (status < 0) {
        conn->last_error = status;
        conn->sock = NULL;
        sock_abandon(sock);
        try_next_address(conn);
        return;
    }
    uv_freeaddrinfo(conn->addrs);
    conn->addrs = conn->next_addr = NULL;
    uv_tcp_nodelay(&sock->tcp, 1);
    int rc = uv_read_start((uv_stream_t *)&sock->tcp, on_alloc, on_read);
    if (rc < 0) {
        connect_failed(conn, rc);
        return;
    }
    if (conn->mc->tls)
        tls_start(sock);
    else
        opened(conn);
}

static kv__mc_sock *sock_new(kv__mc_conn *conn)
{
    kv__mc_sock *sock = kv__xcalloc(1, sizeof *sock);
    sock->conn = conn;
    sock->mc = conn->mc;
    uv_tcp_init(conn->mc->loop, &sock->tcp);
    sock->tcp.data = sock;
    sock->connect_req.data = sock;
    sock->write_req.data = sock;
    sock->handles_open = 1;
    if (conn->mc->tls) {
        uv_timer_init(conn->mc->loop, &sock->resume);
        sock->resume.data = sock;
        sock->has_resume = true;
        sock->handles_open++;
    }
    conn->mc->handles++; /* one per socket, however many libuv handles it has */
    return sock;
}

static void try_next_address(kv__mc_conn *conn)
{
    while (conn->next_addr) {
        struct addrinfo *ai = conn->next_addr;
        conn->next_addr = ai->ai_next;
        kv__mc_sock *sock = sock_new(conn);
        int rc = uv_tcp_connect(&sock->connect_req, &sock->tcp, ai->ai_addr, on_connected);
        if (rc == 0) {
            conn->sock = sock;
            conn->state = KV__MC_CONNECTING;
            return;
        }
        conn->last_error = rc;
        sock_abandon(sock);
    }
    connect_failed(conn, conn->last_error ? conn->last_error : UV_EADDRNOTAVAIL);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    kv__mc_resolve *resolve = req->data;
    kv__mc_conn *conn = resolve->conn;
    kv__mc *mc = resolve->mc;
    free(resolve);
    if (!conn) {
        if (res)
            uv_freeaddrinfo(res);
        kv__mc_handle_closed(mc);
        return;
    }
    conn->resolve = NULL;
    mc->handles--; /* the loop is not closing while a connection still wants this lookup */
    if (status < 0) {
        connect_failed(conn, status);
        return;
    }
    conn->addrs = conn->next_addr = res;
    try_next_address(conn);
}

void kv__mc_conn_connect(kv__mc_conn *conn)
{
    if (conn->state != KV__MC_DOWN)
        return;
    kv__mc *mc = conn->mc;
    kv__mc_resolve *resolve = kv__xcalloc(1, sizeof *resolve);
    resolve->conn = conn;
    resolve->mc = mc;
    resolve->req.data = resolve;
    conn->state = KV__MC_RESOLVING;
    conn->started_ns = kv__mc_now_ns();
    conn->last_error = 0;
    kv__mc_arm_tick(mc);
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)conn->node->host.port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int rc =
        uv_getaddrinfo(mc->loop, &resolve->req, on_resolved, conn->node->host.host, port, &hints);
    if (rc < 0) {
        free(resolve);
        connect_failed(conn, rc);
        return;
    }
    conn->resolve = resolve;
    mc->handles++;
}

/* Grow OUT to CAP; a buffer holding a password is copied and wiped, never left to realloc. */
static void grow_out(kv__mc_conn *conn, size_t cap)
{
    if (!conn->out_sensitive) {
        conn->out = kv__xrealloc(conn->out, cap);
    } else {
        uint8_t *bigger = kv__xcalloc(1, cap);
        memcpy(bigger, conn->out, conn->out_len);
        wipe(conn->out, conn->out_cap);
        free(conn->out);
        conn->out = bigger;
    }
    conn->out_cap = cap;
}

uint8_t *kv__mc_conn_append(kv__mc_conn *conn, size_t n)
{
    if (conn->out_cap - conn->out_len < n) {
        size_t cap = conn->out_cap ? conn->out_cap : 16384;
        while (cap - conn->out_len < n)
            cap *= 2;
        grow_out(conn, cap);
    }
    uint8_t *at = conn->out + conn->out_len;
    conn->out_len += n;
    return at;
}

void kv__mc_conn_write(kv__mc_conn *conn, const void *data, size_t n)
{
    if (n)
        memcpy(kv__mc_conn_append(conn, n), data, n);
}

size_t kv__mc_conn_backlog(const kv__mc_conn *conn)
{
    const kv__mc_sock *sock = conn->sock;
    size_t writing = sock && sock->write_busy ? sock->writing_len : 0;
    size_t encrypted = sock && sock->tls ? kv__tls_output_len(sock->tls) : 0;
    return conn->out_len + writing + encrypted;
}

static void write_failed(kv__mc_conn *conn, int code)
{
    char message[KV__MC_MESSAGE_MAX];
    snprintf(message, sizeof message, "writing to %s failed: %s", conn->node->name,
             kv__mc_uv_error(code));
    kv__mc_conn_fail(conn, KV_ERR_NETWORK, message);
}

static void on_written(uv_write_t *req, int status);

/* Start writing sock->writing (the caller checked that no write is in progress). */
static void start_write(kv__mc_conn *conn, kv__mc_sock *sock)
{
    uv_buf_t buf = uv_buf_init((char *)sock->writing, (unsigned)sock->writing_len);
    int rc = uv_write(&sock->write_req, (uv_stream_t *)&sock->tcp, &buf, 1, on_written);
    if (rc < 0) {
        write_failed(conn, rc);
        return;
    }
    sock->write_busy = true;
}

/* Hand the waiting plaintext to the socket by swapping buffers (no copy). */
static void plain_flush(kv__mc_conn *conn, kv__mc_sock *sock)
{
    if (conn->out_len == 0)
        return;
    uint8_t *spare = sock->writing;
    size_t spare_cap = sock->writing_cap;
    sock->writing = conn->out;
    sock->writing_len = conn->out_len;
    sock->writing_cap = conn->out_cap;
    sock->sensitive = conn->out_sensitive;
    conn->out = spare;
    conn->out_cap = spare_cap;
    conn->out_len = 0;
    conn->out_sensitive = false;
    start_write(conn, sock);
}

/* Send what waits unless a write is in progress (its completion sends the rest). */
static void flush_sock(kv__mc_conn *conn, kv__mc_sock *sock)
{
    if (sock->write_busy)
        return;
    if (sock->tls)
        tls_flush(conn, sock);
    else if (conn->state == KV__MC_OPEN)
        plain_flush(conn, sock);
}

static void on_written(uv_write_t *req, int status)
{
    kv__mc_sock *sock = req->data;
    sock->write_busy = false;
    if (sock->sensitive)
        wipe(sock->writing, sock->writing_len);
    sock->sensitive = false;
    if (sock->writing_cap > KEEP_WRITE_BUFFER) {
        free(sock->writing);
        sock->writing = NULL;
        sock->writing_cap = 0;
    }
    kv__mc_conn *conn = sock->conn;
    if (!conn)
        return;
    if (status < 0) {
        write_failed(conn, status);
        return;
    }
    flush_sock(conn, sock);
    if (sock->conn == conn && conn->state == KV__MC_OPEN && kv__mc_conn_backlog(conn) == 0 &&
        conn->ops->on_drained)
        conn->ops->on_drained(conn);
}

void kv__mc_conn_flush(kv__mc_conn *conn)
{
    if (conn->state == KV__MC_OPEN && conn->sock)
        flush_sock(conn, conn->sock);
}

void kv__mc_conn_pause(kv__mc_conn *conn, bool paused)
{
    if (conn->state != KV__MC_OPEN || !conn->sock || conn->reading_paused == paused)
        return;
    conn->reading_paused = paused;
    uv_stream_t *stream = (uv_stream_t *)&conn->sock->tcp;
    if (paused) {
        uv_read_stop(stream);
        return;
    }
    uv_read_start(stream, on_alloc, on_read);
    if (conn->sock->tls)
        tls_resume(conn->sock);
}

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
    start_write(conn, sock);
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
static void tls_flush(kv__mc_conn *conn, kv__mc_sock *sock)
{
    if (conn->state == KV__MC_OPEN && conn->out_len > 0) {
        char reason[KV__MC_MESSAGE_MAX / 2];
        kv__tls_result result = KV__TLS_OK;
        for (size_t at = 0, n; at < conn->out_len && result == KV__TLS_OK; at += n) {
            n = record_len(conn->out + at, conn->out_len - at);
            result = kv__tls_write(sock->tls, conn->out + at, n, reason, sizeof reason);
        }
        if (conn->out_sensitive)
            wipe(conn->out, conn->out_len);
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
        flush_sock(conn, sock); /* reading may have produced output (a key update answer) */
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
    opened(conn);
    tls_drain(sock); /* application data may have come with the last handshake bytes */
}

static void tls_start(kv__mc_sock *sock)
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

static void tls_received(kv__mc_sock *sock, const uint8_t *data, size_t len)
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
static void tls_resume(kv__mc_sock *sock)
{
    if (kv__tls_input_buffered(sock->tls))
        uv_timer_start(&sock->resume, on_resume, 0, 0);
}

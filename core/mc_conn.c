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
 * the protocol's read space (mc_conn_tls.c, on tls.h's memory BIOs). The handshake runs
 * between the TCP connect and on_open with the connection still CONNECTING, so its failures are
 * connect failures (the node backs off) and the connect timeout covers it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_conn_internal.h"
#include "util_alloc.h"

/* A write buffer bigger than this is given back after use. */
#define KEEP_WRITE_BUFFER (1u << 20)
typedef struct kv__mc_resolve {
    uv_getaddrinfo_t req;
    kv__mc_conn *conn; /* NULL once abandoned */
    kv__mc *mc;
} kv__mc_resolve;

static void try_next_address(kv__mc_conn *conn);

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

void kv__mc_wipe(uint8_t *data, size_t len)
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
        kv__mc_wipe(sock->writing, sock->writing_cap);
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
        kv__mc_wipe(conn->out, conn->out_cap);
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
            kv__mc_tls_received(sock, (const uint8_t *)buf->base, (size_t)nread);
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
void kv__mc_conn_opened(kv__mc_conn *conn)
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
        kv__mc_tls_start(sock);
    else
        kv__mc_conn_opened(conn);
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
        kv__mc_wipe(conn->out, conn->out_cap);
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
void kv__mc_sock_start_write(kv__mc_conn *conn, kv__mc_sock *sock)
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
    kv__mc_sock_start_write(conn, sock);
}

/* Send what waits unless a write is in progress (its completion sends the rest). */
void kv__mc_sock_flush(kv__mc_conn *conn, kv__mc_sock *sock)
{
    if (sock->write_busy)
        return;
    if (sock->tls)
        kv__mc_tls_flush(conn, sock);
    else if (conn->state == KV__MC_OPEN)
        plain_flush(conn, sock);
}

static void on_written(uv_write_t *req, int status)
{
    kv__mc_sock *sock = req->data;
    sock->write_busy = false;
    if (sock->sensitive)
        kv__mc_wipe(sock->writing, sock->writing_len);
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
    kv__mc_sock_flush(conn, sock);
    if (sock->conn == conn && conn->state == KV__MC_OPEN && kv__mc_conn_backlog(conn) == 0 &&
        conn->ops->on_drained)
        conn->ops->on_drained(conn);
}

void kv__mc_conn_flush(kv__mc_conn *conn)
{
    if (conn->state == KV__MC_OPEN && conn->sock)
        kv__mc_sock_flush(conn, conn->sock);
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
        kv__mc_tls_resume(conn->sock);
}

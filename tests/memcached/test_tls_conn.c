/*
 * test_tls_conn - one kv__mc_conn over TLS to a real memcached -Z (started by
 * `test_tls.sh --with-server`, which exports MC_PORTS and MC_TLS_CA), driven the way the
 * protocol layers drive it, for what the CLI tests cannot reach:
 *   - a reader that pauses after every few bytes (as a key listing does while it reads back a
 *     round) still gets every byte once it resumes, including the bytes TLS had already
 *     decrypted and buffered when the socket had nothing more to say;
 *   - plaintext marked sensitive (the SASL password) does not stay in the output buffer once it
 *     was encrypted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mc_internal.h"
#include "tls.h"

#define GUARD_MS 10000

typedef struct probe {
    uv_loop_t loop;
    kv__mc mc;
    kv__mc_node node;
    kv__mc_conn conn;
    uv_timer_t resume, guard;
    const char *request;
    bool sensitive;        /* mark the request as holding a password */
    const char *reply_end; /* the reply is complete when it ends with this */
    size_t read_chunk;     /* read_space offers this many bytes at a time */
    bool pause_each_read;
    char reply[4096];
    size_t reply_len;
    int pauses;
    bool finished;
    char down[KV__MC_MESSAGE_MAX];
} probe;

static int server_port;
static const char *server_ca;

static void probe_open(kv__mc_conn *conn)
{
    probe *p = conn->owner;
    kv__mc_conn_write(conn, p->request, strlen(p->request));
    conn->out_sensitive = p->sensitive;
}

static uint8_t *probe_space(kv__mc_conn *conn, size_t *avail)
{
    probe *p = conn->owner;
    size_t room = sizeof p->reply - p->reply_len;
    *avail = room < p->read_chunk ? room : p->read_chunk;
    return (uint8_t *)p->reply + p->reply_len;
}

static void on_resume(uv_timer_t *timer)
{
    probe *p = timer->data;
    kv__mc_conn_pause(&p->conn, false);
}

static bool reply_complete(const probe *p)
{
    size_t n = strlen(p->reply_end);
    return p->reply_len >= n && memcmp(p->reply + p->reply_len - n, p->reply_end, n) == 0;
}

static void probe_read(kv__mc_conn *conn, size_t n)
{
    probe *p = conn->owner;
    p->reply_len += n;
    if (reply_complete(p)) {
        p->finished = true;
        uv_stop(&p->loop);
    } else if (p->pause_each_read) {
        kv__mc_conn_pause(conn, true);
        p->pauses++;
        uv_timer_start(&p->resume, on_resume, 1, 0);
    }
}

static void probe_down(kv__mc_conn *conn, kv_status status, const char *message, bool was_open)
{
    probe *p = conn->owner;
    snprintf(p->down, sizeof p->down, "%s", message);
    uv_stop(&p->loop);
}

static const kv__mc_conn_ops probe_ops = {
    .on_open = probe_open,
    .read_space = probe_space,
    .on_read = probe_read,
    .on_down = probe_down,
};

static void on_guard(uv_timer_t *timer)
{
    probe *p = timer->data;
    snprintf(p->down, sizeof p->down, "no complete reply within %d ms (%zu bytes so far)", GUARD_MS,
             p->reply_len);
    uv_stop(&p->loop);
}

static void probe_init(probe *p)
{
    char message[KV__MC_MESSAGE_MAX];
    uv_loop_init(&p->loop);
    p->mc.loop = &p->loop;
    p->mc.timeout_ns = (uint64_t)GUARD_MS * 1000000u;
    p->mc.tls = true;
    p->mc.verify = true;
    p->mc.tls_ctx = kv__tls_ctx_new(server_ca, true, message, sizeof message);
    assert_non_null(p->mc.tls_ctx);
    uv_timer_init(&p->loop, &p->mc.tick);
    p->mc.tick.data = &p->mc;
    kv_host host = {.host = "127.0.0.1", .port = (uint16_t)server_port};
    kv__mc_node_init(&p->node, &p->mc, 0, &host);
    kv__mc_conn_init(&p->conn, &p->mc, &p->node, &probe_ops, p);
    uv_timer_init(&p->loop, &p->resume);
    uv_timer_init(&p->loop, &p->guard);
    p->resume.data = p->guard.data = p;
}

/* Connect, send the request and run until the reply is complete or something failed. */
static void probe_run(probe *p)
{
    uv_timer_start(&p->guard, on_guard, GUARD_MS, 0);
    kv__mc_conn_connect(&p->conn);
    uv_run(&p->loop, UV_RUN_DEFAULT);
}

static void probe_free(probe *p)
{
    kv__mc_conn_free(&p->conn);
    kv__mc_node_free(&p->node);
    uv_close((uv_handle_t *)&p->resume, NULL);
    uv_close((uv_handle_t *)&p->guard, NULL);
    uv_close((uv_handle_t *)&p->mc.tick, NULL);
    uv_run(&p->loop, UV_RUN_DEFAULT); /* the socket closes and frees itself */
    assert_int_equal(p->mc.handles, 0);
    assert_int_equal(uv_loop_close(&p->loop), 0);
    kv__tls_ctx_free(p->mc.tls_ctx);
}

static void paused_reader_gets_every_byte_after_resuming(void **state)
{
    static char request[1024], expected[1024];
    char value[601];
    memset(value, 'v', 600);
    value[600] = '\0';
    snprintf(request, sizeof request, "set paused 0 0 600\r\n%s\r\nget paused\r\n", value);
    snprintf(expected, sizeof expected, "STORED\r\nVALUE paused 0 600\r\n%s\r\nEND\r\n", value);
    probe *p = calloc(1, sizeof *p);
    probe_init(p);
    p->request = request;
    p->reply_end = "END\r\n";
    p->read_chunk = 7;
    p->pause_each_read = true;
    probe_run(p);
    assert_string_equal(p->down, "");
    assert_true(p->finished);
    assert_int_equal(p->reply_len, strlen(expected));
    assert_memory_equal(p->reply, expected, p->reply_len);
    assert_true(p->pauses > 50);
    probe_free(p);
    free(p);
}

static void sensitive_plaintext_is_wiped_once_encrypted(void **state)
{
    static const char secret[] = "SECRET-kvtui-password-4711";
    char request[128];
    snprintf(request, sizeof request, "mg %s v\r\n", secret);
    probe *p = calloc(1, sizeof *p);
    probe_init(p);
    p->request = request;
    p->sensitive = true;
    p->reply_end = "EN\r\n";
    p->read_chunk = sizeof p->reply;
    probe_run(p);
    assert_string_equal(p->down, "");
    assert_true(p->finished);
    assert_null(memmem(p->conn.out, p->conn.out_cap, secret, strlen(secret)));
    probe_free(p);
    free(p);
}

int main(void)
{
    const char *ports = getenv("MC_PORTS");
    server_ca = getenv("MC_TLS_CA");
    if (!ports || !server_ca) {
        printf("SKIP: run through tests/memcached/test_tls.sh --with-server (no MC_PORTS, "
               "MC_TLS_CA)\n");
        return 0;
    }
    server_port = atoi(ports);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paused_reader_gets_every_byte_after_resuming),
        cmocka_unit_test(sensitive_plaintext_is_wiped_once_encrypted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

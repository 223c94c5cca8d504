/*
 * test_reconnect - one kv_client kept open (as the TUI keeps it) while memcached nodes die,
 * stall and come back on the same port. The client must fail the dead node's requests with
 * NetworkError, time out on a stalled node, keep serving the other nodes, and reconnect on its
 * own once the node is back. Starts its own servers on free 127.0.0.1 ports; prints "SKIP:"
 * when memcached is not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "kv.h"

#define NODES 3
#define KEYS 300
#define RECONNECT_LIMIT_MS 10000

typedef struct node {
    int port;
    pid_t pid;
} node;

static node nodes[NODES];

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A port nobody listens on right now: bind to 0 and let the kernel choose. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

static bool port_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return ok;
}

/* The child dies with us (PR_SET_PDEATHSIG), so a killed test never leaks a server. */
static pid_t spawn_memcached(int port)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        char port_text[16];
        snprintf(port_text, sizeof port_text, "%d", port);
        execlp("memcached", "memcached", "-l", "127.0.0.1", "-p", port_text, "-U", "0", "-m", "64",
               "-t", "2", getuid() == 0 ? "-u" : NULL, "root", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Start NODE on PORT (0 = a fresh free port); false when it did not come up within 5 s. */
static bool start_on(node *n, int port)
{
    n->port = port ? port : free_port();
    n->pid = spawn_memcached(n->port);
    for (int i = 0; i < 250; i++) {
        if (port_accepts(n->port))
            return true;
        if (waitpid(n->pid, NULL, WNOHANG) == n->pid)
            break;
        sleep_ms(20);
    }
    kill(n->pid, SIGKILL);
    waitpid(n->pid, NULL, 0);
    n->pid = 0;
    return false;
}

static void start_node(node *n)
{
    for (int attempt = 0; attempt < 5; attempt++)
        if (start_on(n, 0))
            return;
    fail_msg("memcached did not start");
}

static void restart_node(node *n)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        if (start_on(n, n->port))
            return;
        sleep_ms(100);
    }
    fail_msg("memcached did not come back on port %d", n->port);
}

static void stop_node(node *n, int sig)
{
    if (n->pid <= 0)
        return;
    kill(n->pid, sig);
    if (sig == SIGKILL || sig == SIGTERM) {
        waitpid(n->pid, NULL, 0);
        n->pid = 0;
    }
}

/* kill() returns before a SIGSTOP takes effect; waitpid(WUNTRACED) returns once every thread of
 * the child has stopped. */
static void pause_node(node *n)
{
    kill(n->pid, SIGSTOP);
    int status = 0;
    assert_int_equal(waitpid(n->pid, &status, WUNTRACED), n->pid);
    assert_true(WIFSTOPPED(status));
}

static void stop_all(void)
{
    for (int i = 0; i < NODES; i++) {
        if (nodes[i].pid > 0) {
            kill(nodes[i].pid, SIGCONT);
            stop_node(&nodes[i], SIGKILL);
        }
    }
}

static kv_client *open_client(int first, int count)
{
    char connstr[256];
    int len = snprintf(connstr, sizeof connstr, "memcached://");
    for (int i = first; i < first + count; i++)
        len += snprintf(connstr + len, sizeof connstr - (size_t)len, "%s127.0.0.1:%d",
                        i > first ? "," : "", nodes[i].port);
    snprintf(connstr + len, sizeof connstr - (size_t)len, "?timeout=1");
    kv_client *client = NULL;
    char err[256] = "";
    kv_open_options options = {0};
    kv_status status = kv_client_open(connstr, &options, &client, err, sizeof err);
    if (status != KV_OK)
        fail_msg("open %s: %s: %s", connstr, kv_status_name(status), err);
    return client;
}

static kv_status call(kv_client *client, kv_op op, const char *key, const char *json)
{
    kv_request *request = kv_request_new(op, key, strlen(key));
    if (json) {
        kv_request_set_value(request, json, strlen(json));
        request->flags = KV_FLAGS_JSON;
    }
    kv_result result;
    memset(&result, 0, sizeof result);
    kv_status status = kv_client_call(client, request, &result);
    kv_result_clear(&result);
    return status;
}

static const char *key_name(char *buf, size_t size, int i)
{
    snprintf(buf, size, "rk%03d", i);
    return buf;
}

/* Retry OP on KEY until it stops failing with a network error; returns the last status. */
static kv_status until_reconnected(kv_client *client, kv_op op, const char *key, const char *json,
                                   int64_t *waited_ms)
{
    int64_t start = now_ms();
    kv_status status;
    do {
        status = call(client, op, key, json);
        if (status != KV_ERR_NETWORK && status != KV_ERR_TIMEOUT)
            break;
        sleep_ms(100);
    } while (now_ms() - start < RECONNECT_LIMIT_MS);
    *waited_ms = now_ms() - start;
    return status;
}

static int setup_nodes(void **state)
{
    for (int i = 0; i < NODES; i++)
        start_node(&nodes[i]);
    return 0;
}

static int teardown_nodes(void **state)
{
    stop_all();
    return 0;
}

static void single_node_killed_and_restarted_reconnects(void **state)
{
    kv_client *client = open_client(0, 1);
    assert_int_equal(call(client, KV_OP_UPSERT, "solo", "1"), KV_OK);
    stop_node(&nodes[0], SIGKILL);
    assert_int_equal(call(client, KV_OP_GET, "solo", NULL), KV_ERR_NETWORK);
    assert_int_equal(call(client, KV_OP_UPSERT, "solo", "2"), KV_ERR_NETWORK);
    restart_node(&nodes[0]);
    int64_t waited = 0;
    assert_int_equal(until_reconnected(client, KV_OP_GET, "solo", NULL, &waited), KV_ERR_NOT_FOUND);
    printf("reconnected to a restarted node after %lld ms\n", (long long)waited);
    assert_int_equal(call(client, KV_OP_UPSERT, "solo", "3"), KV_OK);
    assert_int_equal(call(client, KV_OP_GET, "solo", NULL), KV_OK);
    kv_client_close(client);
}

/* Which keys live on node INDEX, asked of that node alone. */
static void keys_on_node(int index, bool on_node[KEYS])
{
    kv_client *single = open_client(index, 1);
    char key[16];
    for (int i = 0; i < KEYS; i++)
        on_node[i] = call(single, KV_OP_GET, key_name(key, sizeof key, i), NULL) == KV_OK;
    kv_client_close(single);
}

/* Submit ROUNDS upserts of every key without waiting, kill node VICTIM right after, and check
 * each result: OK, or a network failure of a key on the victim. */
static void upserts_while_killing(kv_client *client, const bool on_victim[KEYS], int victim,
                                  int rounds)
{
    char key[16];
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < KEYS; i++) {
            kv_request *request = kv_request_new(KV_OP_UPSERT, key_name(key, sizeof key, i), 5);
            kv_request_set_value(request, "\"mid\"", 5);
            request->flags = KV_FLAGS_JSON;
            kv_client_submit(client, request, (void *)(intptr_t)i);
        }
    stop_node(&nodes[victim], SIGKILL);
    int results = 0, failed_victim = 0;
    int64_t start = now_ms();
    while (results < rounds * KEYS && now_ms() - start < 20000) {
        kv_client_wait(client, 200);
        for (kv_event *event = kv_client_poll(client), *next; event; event = next) {
            next = event->next;
            int i = (int)(intptr_t)event->user;
            assert_int_equal(event->type, KV_EVENT_RESULT);
            if (event->result.status != KV_OK) {
                if (!on_victim[i] || (event->result.status != KV_ERR_NETWORK &&
                                      event->result.status != KV_ERR_TIMEOUT))
                    fail_msg("upsert %s: %s (%s)", event->result.key,
                             kv_status_name(event->result.status), event->result.message);
                failed_victim++;
            }
            results++;
            kv_event_free(event);
        }
    }
    assert_int_equal(results, rounds * KEYS);
    printf("%d of %d in-flight upserts to the killed node failed\n", failed_victim, results);
}

static void killed_node_fails_its_keys_only_and_comes_back(void **state)
{
    kv_client *client = open_client(0, NODES);
    char key[16];
    for (int i = 0; i < KEYS; i++)
        assert_int_equal(call(client, KV_OP_UPSERT, key_name(key, sizeof key, i), "0"), KV_OK);
    bool on_victim[KEYS];
    keys_on_node(1, on_victim);
    int victim_keys = 0;
    for (int i = 0; i < KEYS; i++)
        victim_keys += on_victim[i];
    assert_in_range(victim_keys, KEYS / 10, KEYS - KEYS / 10);

    upserts_while_killing(client, on_victim, 1, 10);
    for (int i = 0; i < KEYS; i++) {
        kv_status status = call(client, KV_OP_GET, key_name(key, sizeof key, i), NULL);
        if (status != (on_victim[i] ? KV_ERR_NETWORK : KV_OK))
            fail_msg("get %s with node 1 down: %s", key, kv_status_name(status));
    }

    restart_node(&nodes[1]);
    int first = 0;
    while (!on_victim[first])
        first++;
    int64_t waited = 0;
    assert_int_equal(
        until_reconnected(client, KV_OP_UPSERT, key_name(key, sizeof key, first), "1", &waited),
        KV_OK);
    printf("the cluster client reconnected to node 1 after %lld ms\n", (long long)waited);
    for (int i = 0; i < KEYS; i++)
        assert_int_equal(call(client, KV_OP_UPSERT, key_name(key, sizeof key, i), "2"), KV_OK);
    kv_client_close(client);
}

static void stalled_node_times_out_then_recovers(void **state)
{
    kv_client *client = open_client(2, 1);
    assert_int_equal(call(client, KV_OP_UPSERT, "stall", "1"), KV_OK);
    pause_node(&nodes[2]);
    int64_t start = now_ms();
    assert_int_equal(call(client, KV_OP_GET, "stall", NULL), KV_ERR_TIMEOUT);
    int64_t took = now_ms() - start;
    assert_in_range(took, 800, 4000);
    kill(nodes[2].pid, SIGCONT);
    int64_t waited = 0;
    assert_int_equal(until_reconnected(client, KV_OP_GET, "stall", NULL, &waited), KV_OK);
    kv_client_close(client);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_reconnect: overall time limit reached\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    for (int i = 0; i < NODES; i++)
        if (nodes[i].pid > 0) {
            kill(nodes[i].pid, SIGCONT);
            kill(nodes[i].pid, SIGKILL);
        }
    _exit(1);
}

static bool memcached_installed(void)
{
    return system("command -v memcached >/dev/null 2>&1") == 0;
}

int main(void)
{
    if (!memcached_installed()) {
        printf("SKIP: memcached is not installed\n");
        return 0;
    }
    signal(SIGALRM, on_alarm);
    alarm(90);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_node_killed_and_restarted_reconnects),
        cmocka_unit_test(killed_node_fails_its_keys_only_and_comes_back),
        cmocka_unit_test(stalled_node_times_out_then_recovers),
    };
    int failures = cmocka_run_group_tests(tests, setup_nodes, teardown_nodes);
    stop_all();
    return failures ? 1 : 0;
}

/*
 * memcached figures (DESIGN.md section 8), each against a bare socket loop in the same run, on a
 * memcached (-m 1024) this benchmark starts on a free 127.0.0.1 port:
 *   - pipelined writes: docs/5 upserts of ~200 B JSON submitted through kv_client without waiting,
 *     against a bare pipelined binary SET loop with the same data (bar >= 0.8x its rate); a bare
 *     SETQ loop (no replies) is shown for information;
 *   - listing the keys with kv_client_scan against reading `lru_crawler metadump all` bare
 *     (bar <= 1.5x its time);
 *   - one get through the worker against a blocking binary GET round trip (information).
 * Without memcached installed it prints SKIP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define GET_ROUNDS 20000
#define OP_GET 0x00
#define OP_SET 0x01
#define OP_NOOP 0x0a
#define OP_SETQ 0x11

typedef struct mc_server {
    int port;
    pid_t pid;
} mc_server;

/* Counts binary responses in a byte stream, however it is split across reads. */
typedef struct reply_counter {
    uint8_t header[24];
    size_t have;        /* header bytes collected */
    uint64_t body_left; /* body bytes still to skip */
    size_t replies;
    size_t errors;
    bool noop_seen;
} reply_counter;

static bool memcached_installed(void)
{
    return system("command -v memcached >/dev/null 2>&1") == 0;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    bind(fd, (struct sockaddr *)&addr, sizeof addr);
    getsockname(fd, (struct sockaddr *)&addr, &len);
    close(fd);
    return ntohs(addr.sin_port);
}

/* A blocking TCP connection to 127.0.0.1:PORT with Nagle off, or -1. */
static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* The server dies with this process (PR_SET_PDEATHSIG), even if the benchmark is killed. */
static pid_t spawn_memcached(int port)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    execlp("memcached", "memcached", "-l", "127.0.0.1", "-p", port_text, "-U", "0", "-m", "1024",
           "-c", "1024", getuid() == 0 ? "-u" : NULL, "root", (char *)NULL);
    _exit(127);
}

static bool start_server(mc_server *server)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        server->port = free_port();
        server->pid = spawn_memcached(server->port);
        for (int i = 0; i < 250 && server->pid > 0; i++) {
            int fd = connect_to(server->port);
            if (fd >= 0)
                return close(fd), true;
            if (waitpid(server->pid, NULL, WNOHANG) == server->pid)
                break;
            usleep(20000);
        }
        kill(server->pid, SIGKILL);
        waitpid(server->pid, NULL, 0);
    }
    return false;
}

static void stop_server(mc_server *server)
{
    kill(server->pid, SIGTERM);
    waitpid(server->pid, NULL, 0);
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
}

/* A request header; body = extras + key + value. */
static void encode_header(uint8_t *out, uint8_t opcode, size_t extras, size_t key, size_t body,
                          uint32_t opaque)
{
    memset(out, 0, 24);
    out[0] = 0x80;
    out[1] = opcode;
    put_be16(out + 2, (uint16_t)key);
    out[4] = (uint8_t)extras;
    put_be32(out + 8, (uint32_t)body);
    put_be32(out + 12, opaque);
}

/* SET or SETQ of document INDEX (the kvbench data, json flags, no expiry). */
static size_t encode_set(uint8_t *out, uint8_t opcode, size_t index)
{
    char key[32], value[300];
    size_t key_len = bench_doc_key(key, sizeof key, index);
    size_t value_len = bench_doc_value(value, sizeof value, index);
    encode_header(out, opcode, 8, key_len, 8 + key_len + value_len, (uint32_t)index);
    put_be32(out + 24, KV_FLAGS_JSON);
    put_be32(out + 28, 0);
    memcpy(out + 32, key, key_len);
    memcpy(out + 32 + key_len, value, value_len);
    return 32 + key_len + value_len;
}

static void count_header(reply_counter *counter)
{
    const uint8_t *h = counter->header;
    uint16_t status = (uint16_t)(h[6] << 8 | h[7]);
    counter->body_left = (uint64_t)h[8] << 24 | (uint64_t)h[9] << 16 | (uint64_t)h[10] << 8 | h[11];
    counter->replies++;
    counter->errors += status != 0;
    counter->noop_seen |= h[1] == OP_NOOP;
    counter->have = 0;
}

static void count_replies(reply_counter *counter, const uint8_t *data, size_t len)
{
    while (len > 0) {
        if (counter->body_left > 0) {
            size_t skip = counter->body_left < len ? (size_t)counter->body_left : len;
            counter->body_left -= skip;
            data += skip;
            len -= skip;
            continue;
        }
        size_t take = 24 - counter->have < len ? 24 - counter->have : len;
        memcpy(counter->header + counter->have, data, take);
        counter->have += take;
        data += take;
        len -= take;
        if (counter->have == 24)
            count_header(counter);
    }
}

/* Read whatever has arrived (non-blocking) into COUNTER; false on a closed connection. */
static bool drain_replies(int fd, reply_counter *counter)
{
    uint8_t buf[65536];
    for (;;) {
        ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got > 0)
            count_replies(counter, buf, (size_t)got);
        else if (got == 0)
            return false;
        else
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
}

static bool send_all(int fd, const uint8_t *data, size_t len, reply_counter *counter)
{
    while (len > 0) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLOUT};
        poll(&pfd, 1, 1000);
        if ((pfd.revents & POLLIN) && !drain_replies(fd, counter))
            return false;
        ssize_t sent = (pfd.revents & POLLOUT) ? send(fd, data, len, MSG_DONTWAIT) : 0;
        if (sent < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        data += sent > 0 ? sent : 0;
        len -= sent > 0 ? (size_t)sent : 0;
    }
    return true;
}

/* Wait until WANT replies (or the NOOP, for quiet loops) have been counted. */
static bool wait_replies(int fd, reply_counter *counter, size_t want, bool quiet)
{
    while (quiet ? !counter->noop_seen : counter->replies < want) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 10000) <= 0 || !drain_replies(fd, counter))
            return false;
    }
    return true;
}

/* A bare pipelined binary loop over a plain socket: N SETs (or SETQs closed by a NOOP) of the
 * same documents, written in 64 KiB chunks while replies are read. Seconds, or -1. */
static double bare_pipeline(int port, size_t n, uint8_t opcode)
{
    bool quiet = opcode == OP_SETQ;
    int fd = connect_to(port);
    if (fd < 0)
        return -1;
    reply_counter counter = {0};
    uint8_t *chunk = malloc(65536 + 512);
    double start = bench_now();
    bool ok = true;
    for (size_t i = 0, used = 0; ok && i < n; used = 0) {
        while (i < n && used < 65536)
            used += encode_set(chunk + used, opcode, i++);
        ok = send_all(fd, chunk, used, &counter);
    }
    if (ok && quiet) {
        encode_header(chunk, OP_NOOP, 0, 0, 0, 0);
        ok = send_all(fd, chunk, 24, &counter);
    }
    ok = ok && wait_replies(fd, &counter, n, quiet) && counter.errors == 0;
    double seconds = bench_now() - start;
    free(chunk);
    close(fd);
    return ok ? seconds : -1;
}

static kv_client *open_store(const char *connstr)
{
    kv_client *client = NULL;
    char err[256] = "";
    kv_open_options options = {0};
    if (kv_client_open(connstr, &options, &client, err, sizeof err) != KV_OK) {
        fprintf(stderr, "kvbench: cannot open %s: %s\n", connstr, err);
        return NULL;
    }
    return client;
}

/* Free every waiting result; counts them and the failed ones. */
static void collect(kv_client *client, size_t *done, size_t *failed)
{
    for (kv_event *event = kv_client_poll(client), *next; event; event = next) {
        next = event->next;
        *failed += event->type == KV_EVENT_RESULT && event->result.status != KV_OK;
        *done += event->type == KV_EVENT_RESULT;
        kv_event_free(event);
    }
}

#define SUBMIT_WINDOW 16384

/* N upserts through kv_client_submit, at most SUBMIT_WINDOW unanswered (results are collected as
 * they come). */
static double client_pipeline(kv_client *client, size_t n, size_t *failed)
{
    char key[32], value[300];
    size_t done = 0;
    *failed = 0;
    double start = bench_now();
    for (size_t i = 0; i < n; i++) {
        size_t key_len = bench_doc_key(key, sizeof key, i);
        kv_request *request = kv_request_new(KV_OP_UPSERT, key, key_len);
        kv_request_set_value(request, value, bench_doc_value(value, sizeof value, i));
        request->flags = KV_FLAGS_JSON;
        kv_client_submit(client, request, NULL);
        if (i % 1024 == 1023)
            collect(client, &done, failed);
        /* Like any real client, keep a bounded window: a request queued behind a million others
         * would wait out its timeout before it is even sent. */
        while (i + 1 - done >= SUBMIT_WINDOW && kv_client_wait(client, 1000))
            collect(client, &done, failed);
    }
    for (double idle_since = bench_now(); done < n && bench_now() - idle_since < 30;) {
        size_t before = done;
        kv_client_wait(client, 100);
        collect(client, &done, failed);
        idle_since = done != before ? bench_now() : idle_since;
    }
    *failed += n - done;
    return bench_now() - start;
}

static const char *key_line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl + 1 : NULL;
}

/* Count "key=" lines in BUF[*LEN], keeping a partial last line; true once "END" is seen. */
static bool count_dump_lines(char *buf, size_t *len, size_t *lines)
{
    const char *p = buf, *end = buf + *len, *next;
    bool ended = false;
    while ((next = key_line_end(p, end)) != NULL) {
        if (strncmp(p, "key=", 4) == 0)
            (*lines)++;
        else if (strncmp(p, "END", 3) == 0)
            ended = true;
        p = next;
    }
    *len = (size_t)(end - p);
    memmove(buf, p, *len);
    return ended;
}

/* The bare listing: `lru_crawler metadump all` read to its END. Seconds, or -1. */
static double bare_metadump(int port, size_t *lines)
{
    int fd = connect_to(port);
    static const char command[] = "lru_crawler metadump all\r\n";
    if (fd < 0 || send(fd, command, sizeof command - 1, 0) != (ssize_t)(sizeof command - 1))
        return -1;
    char *buf = malloc(1 << 20);
    size_t len = 0;
    *lines = 0;
    double start = bench_now();
    bool ended = false;
    while (!ended) {
        ssize_t got = recv(fd, buf + len, (1 << 20) - len, 0);
        if (got <= 0)
            break;
        len += (size_t)got;
        ended = count_dump_lines(buf, &len, lines);
    }
    double seconds = bench_now() - start;
    free(buf);
    close(fd);
    return ended ? seconds : -1;
}

typedef struct scan_timing {
    uint64_t listed;   /* keys on the list: early (PARTIAL) records, or COMPLETE ones without */
    uint64_t complete; /* COMPLETE records */
    double listed_s;   /* when the last key got on the list */
    double complete_s; /* when the stream ended: every key's flags and size known */
} scan_timing;

static void note_keys(const kv_event *event, double start, scan_timing *t)
{
    uint64_t early = 0;
    for (size_t i = 0; i < event->nkeys; i++) {
        early += event->keys[i].detail == KV_KEY_PARTIAL;
        t->complete += event->keys[i].detail == KV_KEY_COMPLETE;
    }
    if (early > 0) {
        t->listed += early;
        t->listed_s = bench_now() - start;
    }
}

/* A whole listing: when every key is on the list, and when every key is complete. */
static bool client_scan(kv_client *client, scan_timing *t)
{
    memset(t, 0, sizeof *t);
    double start = bench_now();
    uint64_t id = kv_client_scan(client, NULL, 0, 0, NULL);
    for (bool done = false; !done;) {
        kv_client_wait(client, 1000);
        for (kv_event *event = kv_client_poll(client), *next; event; event = next) {
            next = event->next;
            if (event->id == id && event->type == KV_EVENT_KEYS)
                note_keys(event, start, t);
            if (event->id == id && event->type == KV_EVENT_DONE) {
                done = true;
                t->complete_s = event->status == KV_OK ? bench_now() - start : -1;
                if (event->status != KV_OK)
                    fprintf(stderr, "kvbench: memcached scan: %s: %s\n",
                            kv_status_name(event->status), event->message);
            }
            kv_event_free(event);
        }
    }
    if (t->listed == 0) { /* a backend that lists each key once */
        t->listed = t->complete;
        t->listed_s = t->complete_s;
    }
    return t->complete_s > 0;
}

static size_t pick(size_t round, size_t n)
{
    return (size_t)((round * 2654435761u) % n);
}

static double client_get_latency(kv_client *client, size_t n)
{
    char key[32];
    double start = bench_now();
    for (size_t i = 0; i < GET_ROUNDS; i++) {
        kv_result result;
        memset(&result, 0, sizeof result);
        size_t len = bench_doc_key(key, sizeof key, pick(i, n));
        if (kv_client_call(client, kv_request_new(KV_OP_GET, key, len), &result) != KV_OK)
            return -1;
        kv_result_clear(&result);
    }
    return (bench_now() - start) / GET_ROUNDS;
}

/* One GET request, then its whole reply read back, blocking. */
static bool bare_get(int fd, size_t index)
{
    uint8_t req[64], buf[1024];
    char key[32];
    size_t key_len = bench_doc_key(key, sizeof key, index);
    encode_header(req, OP_GET, 0, key_len, key_len, (uint32_t)index);
    memcpy(req + 24, key, key_len);
    if (send(fd, req, 24 + key_len, 0) != (ssize_t)(24 + key_len))
        return false;
    reply_counter counter = {0};
    while (counter.replies == 0 || counter.body_left > 0) {
        ssize_t got = recv(fd, buf, sizeof buf, 0);
        if (got <= 0)
            return false;
        count_replies(&counter, buf, (size_t)got);
    }
    return counter.errors == 0;
}

static double bare_get_latency(int port, size_t n)
{
    int fd = connect_to(port);
    if (fd < 0)
        return -1;
    double start = bench_now();
    for (size_t i = 0; i < GET_ROUNDS; i++)
        if (!bare_get(fd, pick(i, n)))
            return close(fd), -1;
    close(fd);
    return (bench_now() - start) / GET_ROUNDS;
}

static void print_ratio_row(const char *what, const char *measured, const char *baseline,
                            double ratio, const char *bar, int verdict)
{
    bench_row row = {.what = what, .verdict = verdict};
    snprintf(row.measured, sizeof row.measured, "%s", measured);
    snprintf(row.baseline, sizeof row.baseline, "%s", baseline);
    snprintf(row.ratio, sizeof row.ratio, "%.2fx", ratio);
    snprintf(row.bar, sizeof row.bar, "%s", bar);
    bench_print_row(&row);
}

static void print_skip(const char *what, const char *why)
{
    bench_row row = {.what = what, .verdict = -1};
    snprintf(row.measured, sizeof row.measured, "SKIP");
    snprintf(row.baseline, sizeof row.baseline, "%s", why);
    bench_print_row(&row);
}

#define WRITE_ROUNDS 3

/* The shorter of two timings, where -1 is a failed run that spoils the result. */
static double best_of(double best, double seconds)
{
    if (best == -2 || seconds <= 0)
        return -2;
    return best < 0 || seconds < best ? seconds : best;
}

static void run_writes(kv_client *client, int port, const bench_config *config, size_t n)
{
    char measured[48], baseline[48];
    const char *file = bench_path(config, "memcached.jsonl");
    size_t value_bytes = 0;
    bench_write_jsonl(file, n, &value_bytes);
    bare_pipeline(port, n, OP_SET); /* warm up: the slabs are allocated once */
    /* Both sides get the best of WRITE_ROUNDS: one run of either swings by 20% on a busy VM. */
    double bare = -1, import = -1;
    for (int round = 0; round < WRITE_ROUNDS; round++) {
        bare = best_of(bare, bare_pipeline(port, n, OP_SET));
        import = best_of(import, bench_import_file(client, file, n)); /* `kvtui import` */
    }
    double quiet = bare_pipeline(port, n, OP_SETQ);
    size_t failed = 0;
    double mine = client_pipeline(client, n, &failed);
    if (bare <= 0 || quiet <= 0 || import <= 0 || failed > 0) {
        fprintf(stderr, "kvbench: memcached writes failed (%zu client failures)\n", failed);
        return;
    }
    snprintf(measured, sizeof measured, "%.0fk docs/s", (double)n / import / 1e3);
    snprintf(baseline, sizeof baseline, "%.0fk SET/s bare", (double)n / bare / 1e3);
    print_ratio_row("memcached bulk import vs bare SET", measured, baseline, bare / import,
                    ">= 0.8x", bare / import >= 0.8);
    snprintf(baseline, sizeof baseline, "%.0fk SETQ/s bare", (double)n / quiet / 1e3);
    print_ratio_row("  same, against bare SETQ (no replies)", measured, baseline, quiet / import,
                    "(info)", -1);
    snprintf(measured, sizeof measured, "%.0fk upserts/s", (double)n / mine / 1e3);
    snprintf(baseline, sizeof baseline, "%.0fk SET/s bare", (double)n / bare / 1e3);
    print_ratio_row("  kv_client_submit pipelined upserts", measured, baseline, bare / mine,
                    "(info)", -1);
}

static void run_listing(kv_client *client, int port, size_t n)
{
    char measured[48], baseline[48];
    size_t lines = 0;
    scan_timing t;
    double bare = bare_metadump(port, &lines);
    if (bare <= 0 || !client_scan(client, &t))
        return;
    if (t.listed != n || t.complete != n || lines != n)
        fprintf(stderr,
                "kvbench: memcached listing: the scan listed %llu keys (%llu complete), bare "
                "metadump %zu, want %zu\n",
                (unsigned long long)t.listed, (unsigned long long)t.complete, lines, n);
    snprintf(measured, sizeof measured, "%.3f s (%.0fk keys/s)", t.listed_s,
             (double)t.listed / t.listed_s / 1e3);
    snprintf(baseline, sizeof baseline, "%.3f s metadump bare", bare);
    print_ratio_row("memcached key listing vs bare metadump", measured, baseline,
                    t.listed_s / bare, "<= 1.5x", t.listed_s / bare <= 1.5);
    snprintf(measured, sizeof measured, "%.3f s", t.complete_s);
    print_ratio_row("  same, until flags and sizes are read", measured, baseline,
                    t.complete_s / bare, "(info)", -1);
}

static void run_gets(kv_client *client, int port, size_t n)
{
    char measured[48], baseline[48];
    double mine = client_get_latency(client, n);
    double bare = bare_get_latency(port, n);
    if (mine <= 0 || bare <= 0) {
        fprintf(stderr, "kvbench: memcached gets failed\n");
        return;
    }
    snprintf(measured, sizeof measured, "%.1f us", mine * 1e6);
    snprintf(baseline, sizeof baseline, "%.1f us bare socket", bare * 1e6);
    print_ratio_row("memcached get round trip vs bare", measured, baseline, mine / bare, "(info)",
                    -1);
}

void bench_memcached(const bench_config *config)
{
    if (!memcached_installed()) {
        print_skip("memcached benchmarks", "memcached not installed");
        return;
    }
    mc_server server;
    if (!start_server(&server)) {
        print_skip("memcached benchmarks", "memcached did not start");
        return;
    }
    char connstr[64];
    snprintf(connstr, sizeof connstr, "memcached://127.0.0.1:%d", server.port);
    kv_client *client = open_store(connstr);
    size_t n = config->docs; /* 1M keys, as the listing bar is stated */
    if (client) {
        run_writes(client, server.port, config, n);
        run_listing(client, server.port, n);
        run_gets(client, server.port, n);
        kv_client_close(client);
    }
    stop_server(&server);
}

/* The TUI's figures, measured on the real program in a pseudo-terminal: time to first screen,
 * input-to-screen latency while a 1M-key scan streams in, the scan into the list, key filter
 * latency at 1M keys, RSS with 1M keys listed, and opening a 20 MB JSON document against
 * `jq . FILE` on the same text. A keystroke's latency is the time until its echo ('%', which no
 * key, label or escape sequence contains) reaches the terminal: the full input-to-screen path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define SAMPLES 15
#define BIG_DOC_BYTES 20000000u /* 20 MB, under the 20 MiB value limit */

typedef struct tui_proc {
    pid_t pid;
    int fd;
    char tail[4096]; /* the latest output, for markers split across reads */
    size_t tail_len;
    const char *watch; /* noticed in every read, whoever is waiting */
    double watch_seen; /* when it was first seen, 0 = not yet */
    char watch_tail[256];
    size_t watch_len;
} tui_proc;

/* Keeps the last bytes of output to find the watched marker even when a read splits it. */
static void note_watch(tui_proc *p, const char *buf, size_t n)
{
    if (!p->watch || p->watch_seen > 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (p->watch_len == sizeof p->watch_tail - 1) {
            memmove(p->watch_tail, p->watch_tail + 128, p->watch_len - 128);
            p->watch_len -= 128;
        }
        p->watch_tail[p->watch_len++] = buf[i];
        p->watch_tail[p->watch_len] = '\0';
        if (strstr(p->watch_tail, p->watch)) {
            p->watch_seen = bench_now();
            return;
        }
    }
}

static const char *kvtui_path(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("KVTUI");
    if (env)
        return env;
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
    if (n <= 0)
        return "kvtui";
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    snprintf(slash ? slash : path, 16, "/../kvtui"); /* build/tests/kvbench -> build/kvtui */
    return path;
}

static void start_tui(tui_proc *p, const bench_config *config, const char *store)
{
    struct winsize size = {.ws_row = 40, .ws_col = 120};
    memset(p, 0, sizeof *p);
    p->pid = forkpty(&p->fd, NULL, NULL, &size);
    if (p->pid == 0) {
        setenv("TERM", "xterm-256color", 1);
        setenv("XDG_STATE_HOME", config->dir, 1);
        setenv("XDG_CONFIG_HOME", config->dir, 1);
        char connstr[1100];
        snprintf(connstr, sizeof connstr, "file:%s", store);
        execl(kvtui_path(), "kvtui", "-s", connstr, (char *)NULL);
        _exit(127);
    }
    if (p->pid < 0) {
        perror("forkpty");
        exit(1);
    }
}

static void stop_tui(tui_proc *p)
{
    kill(p->pid, SIGTERM);
    waitpid(p->pid, NULL, 0);
    close(p->fd);
}

/* Reads output until MARKER shows up after this call began; seconds waited, or -1 on timeout. */
static double wait_marker(tui_proc *p, const char *marker, double timeout)
{
    double start = bench_now();
    p->tail_len = 0;
    while (bench_now() - start < timeout) {
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        char buf[65536];
        ssize_t n = read(p->fd, buf, sizeof buf);
        if (n <= 0)
            return -1;
        note_watch(p, buf, (size_t)n);
        for (ssize_t i = 0; i < n; i++) {
            if (p->tail_len == sizeof p->tail - 1) {
                memmove(p->tail, p->tail + 2048, p->tail_len - 2048);
                p->tail_len -= 2048;
            }
            p->tail[p->tail_len++] = buf[i];
        }
        p->tail[p->tail_len] = '\0';
        if (strstr(p->tail, marker))
            return bench_now() - start;
    }
    return -1;
}

/* Throw away whatever output is waiting. */
static void drain(tui_proc *p)
{
    while (wait_marker(p, "\x01never\x01", 0.05) >= 0)
        ;
}

static void send_keys(tui_proc *p, const char *keys)
{
    if (write(p->fd, keys, strlen(keys)) < 0)
        perror("write");
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, compare_doubles);
    return n ? v[n / 2] : 0;
}

/* A "Name: N kB" field of /proc/PID/status, or -1. */
static long rss_field(pid_t pid, const char *name)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0 && sscanf(line + n, "%ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static void row(const char *what, const char *measured, const char *baseline, const char *ratio,
                const char *bar, int verdict)
{
    bench_row r = {.what = what, .verdict = verdict};
    snprintf(r.measured, sizeof r.measured, "%s", measured);
    snprintf(r.baseline, sizeof r.baseline, "%s", baseline);
    snprintf(r.ratio, sizeof r.ratio, "%s", ratio);
    snprintf(r.bar, sizeof r.bar, "%s", bar);
    bench_print_row(&r);
}

/* Median time from a '%' keystroke to its echo, after OPEN opened a prompt. RESET (or NULL) is
 * sent after each sample and its effect awaited as AWAIT, so every sample does the same work. */
static double echo_latency(tui_proc *p, const char *open, const char *reset, const char *await,
                           double timeout, size_t *samples)
{
    double lat[SAMPLES];
    size_t n = 0;
    send_keys(p, open);
    for (; n < SAMPLES; n++) {
        drain(p);
        send_keys(p, "%");
        double t = wait_marker(p, "%", timeout);
        if (t < 0)
            break;
        lat[n] = t;
        if (reset) {
            send_keys(p, reset);
            wait_marker(p, await, timeout);
        }
    }
    send_keys(p, "\x1b");
    *samples = n;
    return median(lat, n);
}

static void bench_tui_keys(const bench_config *config)
{
    char text[48], base[48];
    const char *store = bench_path(config, "bench.kvdb");
    tui_proc p;
    /* Only the final count shows the whole number (curses redraws just what changed, so a
     * longer marker could arrive in pieces). */
    char done[64];
    snprintf(done, sizeof done, "%zu", config->docs);
    double start = bench_now();
    start_tui(&p, config, store);
    p.watch = done;
    /* From exec to the first rows of keys on the screen. */
    double first = wait_marker(&p, "doc::", 10);
    snprintf(text, sizeof text, "%.1f ms", first * 1000);
    row("TUI: first keys on screen (from exec)", text, "-", "-", "<= 50 ms",
        first >= 0 && first <= 0.05);
    size_t samples = 0;
    /* Keystrokes at the : prompt while the scan streams. */
    double typing = echo_latency(&p, ":", NULL, NULL, 2, &samples);
    snprintf(text, sizeof text, "%.1f ms median", typing * 1000);
    snprintf(base, sizeof base, "%zu keystrokes", samples);
    row("TUI: input to screen during the scan", text, base, "-", "<= 50 ms", typing <= 0.05);
    for (double waited = 0; p.watch_seen == 0 && waited < 60; waited += 0.05)
        wait_marker(&p, "\x01never\x01", 0.05);
    double scan_total = p.watch_seen > 0 ? p.watch_seen - start : -1;
    snprintf(text, sizeof text, "%.2f s", scan_total);
    row("TUI: scan 1M keys into the list", text, "-", "-", "<= 1 s",
        scan_total >= 0 && scan_total <= 1);
    /* The bar is on the program's own memory; LMDB's map of the store file is page cache
     * (shared, reclaimable) and is shown beside it. */
    long anon = rss_field(p.pid, "RssAnon:"), file = rss_field(p.pid, "RssFile:");
    snprintf(text, sizeof text, "%.0f MB private", anon / 1024.0);
    snprintf(base, sizeof base, "+%.0f MB store file mapped", file / 1024.0);
    row("TUI: RSS with every key listed", text, base, "-", "<= 150 MB",
        anon >= 0 && anon <= 150 * 1024);
    /* '/' then '%' (no key has it): each sample filters every key once and redraws; Ctrl-U
     * brings every key back before the next one. */
    double filter = echo_latency(&p, "/", "\x15", "of ", 5, &samples);
    snprintf(text, sizeof text, "%.1f ms median", filter * 1000);
    row("TUI: filter keystroke at 1M keys", text, "-", "-", "<= 20 ms", filter <= 0.02);
    stop_tui(&p);
}

/* A 20 MB JSON document: objects with strings, numbers and nested arrays. */
static char *big_document(size_t *len)
{
    char *doc = malloc(BIG_DOC_BYTES + 4096);
    size_t used = (size_t)sprintf(doc, "{\"bench_marker\": \"first\", \"items\": [");
    for (size_t i = 0; used < BIG_DOC_BYTES; i++)
        used += (size_t)sprintf(doc + used,
                                "%s{\"id\": %zu, \"name\": \"item %zu\", \"price\": %zu.%02zu, "
                                "\"tags\": [\"a\", \"b\", \"c\"], \"ok\": true}",
                                i ? ", " : "", i, i, i % 1000, i % 100);
    used += (size_t)sprintf(doc + used, "]}");
    *len = used;
    return doc;
}

static double time_jq(const char *file)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "jq . '%s' > /dev/null 2>&1", file);
    double start = bench_now();
    int rc = system(cmd);
    return rc == 0 ? bench_now() - start : -1;
}

static void bench_tui_big_document(const bench_config *config)
{
    size_t len;
    char *doc = big_document(&len);
    const char *file = bench_path(config, "big.json");
    FILE *f = fopen(file, "w");
    fwrite(doc, 1, len, f);
    fclose(f);
    const char *store = bench_path(config, "big.kvdb");
    bench_remove_store(store);
    kv_client *client = bench_open(store, false);
    kv_request *request = kv_request_new(KV_OP_UPSERT, "big", 3);
    request->value = (uint8_t *)doc;
    request->value_len = len;
    request->flags = KV_FLAGS_JSON;
    kv_result result;
    memset(&result, 0, sizeof result);
    if (kv_client_call(client, request, &result) != KV_OK) {
        fprintf(stderr, "kvbench: storing the 20 MB document: %s\n", result.message);
        exit(1);
    }
    kv_client_close(client);
    tui_proc p;
    start_tui(&p, config, store);
    wait_marker(&p, "big", 10);
    drain(&p);
    send_keys(&p, "\r");
    double open = wait_marker(&p, "bench_marker", 20);
    stop_tui(&p);
    double jq = time_jq(file);
    char text[48], base[48], ratio[16];
    snprintf(text, sizeof text, "%.0f ms", open * 1000);
    snprintf(base, sizeof base, jq > 0 ? "%.0f ms jq ." : "jq missing", jq * 1000);
    snprintf(ratio, sizeof ratio, jq > 0 ? "%.2f" : "-", open / jq);
    row("TUI: open a 20 MB JSON document", text, base, ratio, "<= 0.5 x jq",
        jq > 0 && open >= 0 ? open <= 0.5 * jq : -1);
}

void bench_tui(const bench_config *config)
{
    bench_tui_keys(config);
    bench_tui_big_document(config);
}

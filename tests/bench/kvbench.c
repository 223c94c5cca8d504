/* kvbench [--quick] DIR: the DESIGN.md section 8 figures, each against a baseline measured in
 * the same process. It prints PASS or MISS per bar and always exits 0: timings are reported,
 * never asserted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *bench_path(const bench_config *config, const char *name)
{
    static char paths[4][1024];
    static unsigned next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s/%s", config->dir, name);
    return path;
}

void bench_remove_store(const char *path)
{
    char lock[1100];
    snprintf(lock, sizeof lock, "%s-lock", path);
    unlink(path);
    unlink(lock);
}

kv_client *bench_open(const char *store_path, bool read_only)
{
    char connstr[1100], err[256] = "";
    kv_open_options options = {.password = NULL, .read_only = read_only};
    kv_client *client = NULL;
    snprintf(connstr, sizeof connstr, "file:%s", store_path);
    if (kv_client_open(connstr, &options, &client, err, sizeof err) != KV_OK) {
        fprintf(stderr, "kvbench: cannot open %s: %s\n", store_path, err);
        exit(1);
    }
    return client;
}

/* Looks at one event of stream ID; true when it was the stream's end. */
static bool note_event(const kv_event *event, uint64_t id, double start, uint64_t *keys,
                       double *first_batch)
{
    if (event->id != id)
        return false;
    if (event->type == KV_EVENT_KEYS) {
        if (*keys == 0 && first_batch)
            *first_batch = bench_now() - start;
        *keys += event->nkeys;
    }
    return event->type == KV_EVENT_DONE;
}

kv_status bench_wait_stream(kv_client *client, uint64_t id, double start, uint64_t *items,
                            uint64_t *keys, double *first_batch, char *message, size_t len)
{
    uint64_t seen = 0;
    for (;;) {
        kv_client_wait(client, 1000);
        for (kv_event *event = kv_client_poll(client), *next; event; event = next) {
            next = event->next;
            if (note_event(event, id, start, &seen, first_batch)) {
                kv_status status = event->status;
                if (items)
                    *items = event->items;
                if (keys)
                    *keys = seen;
                if (message)
                    snprintf(message, len, "%s", event->message);
                for (; event; event = next) {
                    next = event->next;
                    kv_event_free(event);
                }
                return status;
            }
            kv_event_free(event);
        }
    }
}

void bench_print_row(const bench_row *row)
{
    const char *verdict = row->verdict < 0 ? "" : row->verdict ? "PASS" : "MISS";
    printf("%-40s %-22s %-26s %-8s %-10s %s\n", row->what, row->measured, row->baseline,
           row->ratio, row->bar, verdict);
    fflush(stdout);
}

static void usage(void)
{
    fputs("usage: kvbench [--quick] [--only NAME] DIR\n"
          "  Measures the DESIGN.md section 8 figures in DIR (stores and files are made there):\n"
          "  import vs a bare LMDB put loop, a full key scan, the key filter, get round trips.\n"
          "  --quick uses 100k documents instead of 1M.\n"
          "  --only runs one group: import, scan, filter, get, tui or memcached (scan, filter and\n"
          "  get read the store an earlier import made in DIR).\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    bench_config config = {.dir = NULL, .docs = 1000000};
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            config.docs = 100000;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (argv[i][0] == '-' || config.dir)
            usage();
        else
            config.dir = argv[i];
    }
    if (!config.dir)
        usage();
    if (mkdir(config.dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "kvbench: cannot create %s: %s\n", config.dir, strerror(errno));
        return 1;
    }
    printf("kvbench: %zu documents in %s\n\n", config.docs, config.dir);
    bench_row header = {.what = "what", .measured = "measured", .baseline = "baseline",
                        .ratio = "ratio", .bar = "bar", .verdict = -1};
    bench_print_row(&header);
    static const struct {
        const char *name;
        void (*run)(const bench_config *config);
    } groups[] = {{"import", bench_import}, {"scan", bench_scan},          {"filter", bench_filter},
                  {"get", bench_get},       {"tui", bench_tui},            {"memcached", bench_memcached}};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        if (!only || strcmp(only, groups[i].name) == 0)
            groups[i].run(&config);
    }
    printf("\nPASS/MISS compare with the DESIGN.md section 8 bars; timings never fail a build.\n");
    return 0;
}

/* A full key scan of the imported store through kv_client_scan, every batch received. */
#include <stdio.h>

#include "bench.h"

void bench_scan(const bench_config *config)
{
    kv_client *client = bench_open(bench_path(config, "bench.kvdb"), true);
    uint64_t keys = 0;
    double first_batch = 0;
    char message[256] = "";
    double start = bench_now();
    uint64_t id = kv_client_scan(client, NULL, 0, 0, NULL);
    kv_status status = bench_wait_stream(client, id, start, NULL, &keys, &first_batch, message,
                                         sizeof message);
    double seconds = bench_now() - start;
    kv_client_close(client);
    if (status != KV_OK || keys != config->docs) {
        fprintf(stderr, "kvbench: scan ended with %s after %llu keys: %s\n",
                kv_status_name(status), (unsigned long long)keys, message);
        return;
    }
    bench_row row = {.what = "scan all keys into the client", .verdict = seconds <= 1.0};
    snprintf(row.measured, sizeof row.measured, "%.3f s (%.1fM keys/s)", seconds,
             (double)keys / seconds / 1e6);
    snprintf(row.baseline, sizeof row.baseline, "-");
    snprintf(row.ratio, sizeof row.ratio, "-");
    snprintf(row.bar, sizeof row.bar, "<= 1 s");
    bench_print_row(&row);
    bench_row first = {.what = "  first batch of the scan", .verdict = first_batch <= 0.05};
    snprintf(first.measured, sizeof first.measured, "%.1f ms", first_batch * 1e3);
    snprintf(first.baseline, sizeof first.baseline, "-");
    snprintf(first.ratio, sizeof first.ratio, "-");
    snprintf(first.bar, sizeof first.bar, "<= 50 ms");
    bench_print_row(&first);
}

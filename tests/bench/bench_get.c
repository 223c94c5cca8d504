/* A get round trip through the worker thread (kv_client_call) against the same get run directly
 * on the embedded backend (kv__embedded_execute_direct), on the imported store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "embedded_internal.h"

#define GET_ROUNDS 20000

/* A fixed pseudo-random walk over the keys, the same for both sides. */
static size_t pick(size_t round, size_t docs)
{
    return (size_t)((round * 2654435761u) % docs);
}

static double worker_gets(const char *store, size_t docs)
{
    kv_client *client = bench_open(store, true);
    char key[32];
    double start = bench_now();
    for (size_t i = 0; i < GET_ROUNDS; i++) {
        size_t len = bench_doc_key(key, sizeof key, pick(i, docs));
        kv_result result;
        memset(&result, 0, sizeof result);
        if (kv_client_call(client, kv_request_new(KV_OP_GET, key, len), &result) != KV_OK) {
            fprintf(stderr, "kvbench: get %s: %s\n", key, kv_status_name(result.status));
            exit(1);
        }
        kv_result_clear(&result);
    }
    double seconds = bench_now() - start;
    kv_client_close(client);
    return seconds / GET_ROUNDS;
}

static double direct_gets(const char *store, size_t docs)
{
    kv__embedded *state = NULL;
    char err[256] = "", key[32];
    if (kv__embedded_open_direct(store, &state, err, sizeof err) != KV_OK) {
        fprintf(stderr, "kvbench: direct open: %s\n", err);
        exit(1);
    }
    double start = bench_now();
    for (size_t i = 0; i < GET_ROUNDS; i++) {
        size_t len = bench_doc_key(key, sizeof key, pick(i, docs));
        kv__op op;
        memset(&op, 0, sizeof op);
        op.request = kv_request_new(KV_OP_GET, key, len);
        kv__embedded_execute_direct(state, &op);
        if (op.result.status != KV_OK) {
            fprintf(stderr, "kvbench: direct get %s: %s\n", key,
                    kv_status_name(op.result.status));
            exit(1);
        }
        kv_result_clear(&op.result);
        kv_request_free(op.request);
    }
    double seconds = bench_now() - start;
    kv__embedded_close_direct(state);
    return seconds / GET_ROUNDS;
}

void bench_get(const bench_config *config)
{
    const char *store = bench_path(config, "bench.kvdb");
    double via_worker = worker_gets(store, config->docs);
    double direct = direct_gets(store, config->docs);
    bench_row row = {.what = "get round trip: worker vs direct", .verdict = -1};
    snprintf(row.measured, sizeof row.measured, "%.1f us", via_worker * 1e6);
    snprintf(row.baseline, sizeof row.baseline, "%.2f us direct", direct * 1e6);
    snprintf(row.ratio, sizeof row.ratio, "%.1fx", via_worker / direct);
    snprintf(row.bar, sizeof row.bar, "(info)");
    bench_print_row(&row);
}

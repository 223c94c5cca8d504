/* Import of N ~200-byte JSON documents through kv_client_import, against a bare LMDB put loop of
 * the same keys and values (10k puts per transaction, MDB_NOSYNC | MDB_NOSUBDIR, as the store). */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define BASELINE_TXN_PUTS 10000

size_t bench_doc_key(char *out, size_t size, size_t index)
{
    return (size_t)snprintf(out, size, "doc::%07zu", index);
}

/* About 200 bytes of JSON with the usual mix: strings, numbers, a bool, an array, an object. */
size_t bench_doc_value(char *out, size_t size, size_t index)
{
    return (size_t)snprintf(out, size,
                            "{\"id\":%zu,\"name\":\"user %07zu\",\"email\":\"user%07zu@example.com\","
                            "\"active\":%s,\"score\":%zu.%02zu,\"tags\":[\"alpha\",\"beta\"],"
                            "\"address\":{\"city\":\"Paris\",\"zip\":\"%05zu\"},"
                            "\"created\":\"2024-01-01T00:00:00Z\"}",
                            index, index, index, index % 3 ? "true" : "false", index % 100,
                            index % 97, index % 100000);
}

void bench_write_jsonl(const char *path, size_t docs, size_t *value_bytes)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        exit(1);
    }
    char key[32], value[512];
    *value_bytes = 0;
    for (size_t i = 0; i < docs; i++) {
        bench_doc_key(key, sizeof key, i);
        *value_bytes += bench_doc_value(value, sizeof value, i);
        fprintf(out, "{\"key\":\"%s\",\"flags\":\"0x02000000\",\"format\":\"json\",\"expiry\":0,"
                     "\"value\":%s}\n", key, value);
    }
    if (fclose(out) != 0) {
        perror(path);
        exit(1);
    }
}

static void lmdb_check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "kvbench: %s: %s\n", what, mdb_strerror(rc));
        exit(1);
    }
}

/* The bare loop: what LMDB alone costs for the same data. Returns seconds. */
static double lmdb_put_loop(const char *path, size_t docs)
{
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *txn = NULL;
    char key[32], value[512];
    bench_remove_store(path);
    lmdb_check(mdb_env_create(&env), "mdb_env_create");
    lmdb_check(mdb_env_set_mapsize(env, (size_t)4 << 30), "mdb_env_set_mapsize");
    lmdb_check(mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOSYNC, 0644), "mdb_env_open");
    double start = bench_now();
    for (size_t i = 0; i < docs; i++) {
        if (!txn) {
            lmdb_check(mdb_txn_begin(env, NULL, 0, &txn), "mdb_txn_begin");
            lmdb_check(mdb_dbi_open(txn, NULL, 0, &dbi), "mdb_dbi_open");
        }
        MDB_val k = {bench_doc_key(key, sizeof key, i), key};
        MDB_val v = {bench_doc_value(value, sizeof value, i), value};
        lmdb_check(mdb_put(txn, dbi, &k, &v, 0), "mdb_put");
        if ((i + 1) % BASELINE_TXN_PUTS == 0 || i + 1 == docs) {
            lmdb_check(mdb_txn_commit(txn), "mdb_txn_commit");
            txn = NULL;
        }
    }
    double seconds = bench_now() - start;
    mdb_env_close(env);
    bench_remove_store(path);
    return seconds;
}

double bench_import_file(kv_client *client, const char *file, size_t docs)
{
    char message[256] = "";
    uint64_t items = 0;
    double start = bench_now();
    uint64_t id = kv_client_import(client, file, NULL, NULL);
    kv_status status = bench_wait_stream(client, id, start, &items, NULL, NULL, message,
                                         sizeof message);
    double seconds = bench_now() - start;
    if (status != KV_OK || items != docs) {
        fprintf(stderr, "kvbench: import into %s failed (%s): %s\n",
                kv_client_backend_name(client), kv_status_name(status), message);
        return -1;
    }
    return seconds;
}

static double client_import(const char *store, const char *file, size_t docs)
{
    bench_remove_store(store);
    kv_client *client = bench_open(store, false);
    double seconds = bench_import_file(client, file, docs);
    kv_client_close(client);
    if (seconds < 0)
        exit(1);
    return seconds;
}

void bench_import(const bench_config *config)
{
    const char *file = bench_path(config, "bench.jsonl");
    size_t value_bytes = 0;
    bench_write_jsonl(file, config->docs, &value_bytes);
    double bare = lmdb_put_loop(bench_path(config, "baseline.lmdb"), config->docs);
    /* The store the scan and get benchmarks read afterwards. */
    double import = client_import(bench_path(config, "bench.kvdb"), file, config->docs);
    double ratio = bare / import;
    bench_row row = {.what = "import JSONL (~200 B docs), embedded", .verdict = ratio >= 0.5};
    snprintf(row.measured, sizeof row.measured, "%.2f s (%.0fk/s)", import,
             (double)config->docs / import / 1e3);
    snprintf(row.baseline, sizeof row.baseline, "%.2f s LMDB puts", bare);
    snprintf(row.ratio, sizeof row.ratio, "%.2f", ratio);
    snprintf(row.bar, sizeof row.bar, ">= 0.5");
    bench_print_row(&row);
    printf("%-40s average value %zu bytes\n", "", value_bytes / config->docs);
}

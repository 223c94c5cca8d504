/* Shared pieces of kvbench: timing, the result table and running a client stream to its end. */
#ifndef KV_BENCH_H
#define KV_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv.h"

typedef struct bench_config {
    const char *dir; /* working directory: stores and generated files */
    size_t docs;     /* 1M, or 100k with --quick */
} bench_config;

/* One row of the table. A bar of 0 means "information only". */
typedef struct bench_row {
    const char *what;
    char measured[48];
    char baseline[48];
    char ratio[16];
    char bar[24];
    int verdict; /* 1 PASS, 0 MISS, -1 none */
} bench_row;

double bench_now(void);
/* DIR/NAME in a static rotating buffer. */
const char *bench_path(const bench_config *config, const char *name);
/* Remove a store file and its lock file, so every run starts empty. */
void bench_remove_store(const char *path);
kv_client *bench_open(const char *store_path, bool read_only);
/* Drain events until stream ID ends; counts keys of KV_EVENT_KEYS batches and notes when the
 * first batch arrived (seconds since START, 0 when none). Returns the DONE status. */
kv_status bench_wait_stream(kv_client *client, uint64_t id, double start, uint64_t *items,
                            uint64_t *keys, double *first_batch, char *message, size_t len);
void bench_print_row(const bench_row *row);

/* The benchmarks: each prints its rows. */
void bench_import(const bench_config *config);
void bench_scan(const bench_config *config);
void bench_filter(const bench_config *config);
void bench_get(const bench_config *config);
void bench_tui(const bench_config *config);
void bench_memcached(const bench_config *config);

/* The document generator shared by the import benchmark and its LMDB baseline. */
size_t bench_doc_key(char *out, size_t size, size_t index);
size_t bench_doc_value(char *out, size_t size, size_t index);
/* The import file of DOCS documents (one JSON line each); *value_bytes = their values' total. */
void bench_write_jsonl(const char *path, size_t docs, size_t *value_bytes);
/* kv_client_import of FILE (DOCS lines) through CLIENT: seconds, or -1 (said on stderr). */
double bench_import_file(kv_client *client, const char *file, size_t docs);

#endif /* KV_BENCH_H */

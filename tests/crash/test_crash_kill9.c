/* kill -9 of a writer never corrupts the embedded store: a child writes pairs of keys in one
 * batch (one transaction) plus single upserts in a loop; the parent kills it at jittered times,
 * reopens the store each round and checks that the pair agrees and CAS values keep rising. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "embedded_internal.h"

#define ROUNDS 40

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

static kv_request *upsert_request(const char *key, const char *value, int persist_to)
{
    kv_request *r = kv_request_new(KV_OP_UPSERT, key, strlen(key));
    kv_request_set_value(r, value, strlen(value));
    r->flags = KV_FLAGS_JSON;
    r->persist_to = persist_to;
    return r;
}

/* The child: ctr and dup always change together; "single" changes on its own. */
static void writer(const char *path, unsigned long start)
{
    kv__embedded *store;
    char err[256];
    if (kv__embedded_open_direct(path, &store, err, sizeof err) != KV_OK)
        _exit(3);
    for (unsigned long i = start;; i++) {
        char value[32];
        snprintf(value, sizeof value, "%lu", i);
        kv__op pair[2] = {{.request = upsert_request("ctr", value, i % 64 == 0)},
                          {.request = upsert_request("dup", value, 0)}};
        kv__op *list[2] = {&pair[0], &pair[1]};
        kv__embedded_execute_batch_direct(store, list, 2);
        kv__op single = {.request = upsert_request("single", value, 0)};
        kv__embedded_execute_direct(store, &single);
        if (pair[0].result.status != KV_OK || pair[1].result.status != KV_OK)
            _exit(4);
        for (int k = 0; k < 2; k++)
            kv_request_free(pair[k].request);
        kv_request_free(single.request);
    }
}

static kv_result get(kv__embedded *store, const char *key)
{
    kv__op op = {.request = kv_request_new(KV_OP_GET, key, strlen(key))};
    kv__embedded_execute_direct(store, &op);
    kv_request_free(op.request);
    return op.result;
}

static bool same_value(const kv_result *a, const kv_result *b)
{
    return a->value_len == b->value_len && memcmp(a->value, b->value, a->value_len) == 0;
}

/* CAS values seen so far: a document's CAS never goes back, and a write made after the probe
 * of an earlier round gets a larger CAS than that probe. */
typedef struct cas_history {
    uint64_t ctr;   /* ctr's CAS at the last check */
    uint64_t probe; /* the last probe write's CAS */
} cas_history;

/* Reopen after a kill: returns the ctr value seen, checks the pair and the CAS order. */
static unsigned long check_store(const char *path, cas_history *history)
{
    kv__embedded *store;
    char err[256];
    CHECK(kv__embedded_open_direct(path, &store, err, sizeof err) == KV_OK, "open: %s", err);
    kv_result ctr = get(store, "ctr"), dup = get(store, "dup");
    CHECK(ctr.status == dup.status, "ctr %d, dup %d", ctr.status, dup.status);
    unsigned long seen = 0;
    if (ctr.status == KV_OK) {
        CHECK(same_value(&ctr, &dup), "ctr '%.*s' != dup '%.*s'", (int)ctr.value_len,
              (char *)ctr.value, (int)dup.value_len, (char *)dup.value);
        CHECK(ctr.cas >= history->ctr, "ctr CAS went back");
        CHECK(ctr.cas == history->ctr || ctr.cas > history->probe,
              "ctr was rewritten with a CAS below an earlier write's");
        history->ctr = ctr.cas;
        seen = strtoul((char *)ctr.value, NULL, 10);
    }
    kv__op probe = {.request = upsert_request("probe", "1", 0)};
    kv__embedded_execute_direct(store, &probe);
    CHECK(probe.result.status == KV_OK, "probe write: %s", probe.result.message);
    CHECK(probe.result.cas > history->probe && probe.result.cas > ctr.cas,
          "CAS did not increase");
    history->probe = probe.result.cas;
    kv_request_free(probe.request);
    kv_result_clear(&ctr);
    kv_result_clear(&dup);
    kv__embedded_close_direct(store);
    return seen;
}

int main(void)
{
    char dir[] = "/tmp/kv-kill9-XXXXXX", path[64];
    CHECK(mkdtemp(dir), "mkdtemp");
    snprintf(path, sizeof path, "%s/store.kvdb", dir);
    srand((unsigned)time(NULL));
    cas_history history = {0, 0};
    unsigned long progress = 0, killed_mid_write = 0;
    for (int round = 0; round < ROUNDS; round++) {
        pid_t child = fork();
        CHECK(child >= 0, "fork");
        if (child == 0)
            writer(path, progress + 1);
        usleep(20000 + (useconds_t)(rand() % 130000));
        kill(child, SIGKILL);
        int wstatus;
        waitpid(child, &wstatus, 0);
        CHECK(WIFSIGNALED(wstatus), "the writer exited by itself (status %d)",
              WEXITSTATUS(wstatus));
        killed_mid_write++;
        unsigned long seen = check_store(path, &history);
        CHECK(seen >= progress, "ctr went back from %lu to %lu", progress, seen);
        progress = seen;
    }
    CHECK(progress > (unsigned long)ROUNDS, "the writer made too little progress (%lu)", progress);
    printf("%lu kills, ctr reached %lu, every reopen consistent\n", killed_mid_write, progress);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

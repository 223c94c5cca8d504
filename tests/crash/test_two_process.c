/* Two processes on one embedded store through the public client API: each sees the other's
 * writes and changes, a stale CAS loses, and CAS values are unique across both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kv.h"

#define WRITES 300

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "[%s] %s:%d: check failed: %s: ", whoami, __FILE__, __LINE__,    \
                    #cond);                                                                    \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

static const char *whoami = "A";

static void send_u64(int fd, uint64_t value)
{
    CHECK(write(fd, &value, sizeof value) == (ssize_t)sizeof value, "pipe write");
}

static uint64_t recv_u64(int fd)
{
    uint64_t value;
    CHECK(read(fd, &value, sizeof value) == (ssize_t)sizeof value, "the other process died");
    return value;
}

static kv_client *open_store(const char *path)
{
    char connstr[128], err[256];
    kv_client *client;
    snprintf(connstr, sizeof connstr, "file:%s", path);
    CHECK(kv_client_open(connstr, NULL, &client, err, sizeof err) == KV_OK, "open: %s", err);
    return client;
}

static kv_result run(kv_client *client, kv_op op, const char *key, const char *value,
                     uint64_t cas)
{
    kv_request *r = kv_request_new(op, key, strlen(key));
    if (value)
        kv_request_set_value(r, value, strlen(value));
    r->flags = KV_FLAGS_UTF8;
    r->cas = cas;
    kv_result result;
    kv_client_call(client, r, &result);
    return result;
}

static void expect_value(const kv_result *res, const char *value)
{
    CHECK(res->status == KV_OK, "get: %s", res->message);
    CHECK(res->value_len == strlen(value) && memcmp(res->value, value, res->value_len) == 0,
          "value '%.*s', expected '%s'", (int)res->value_len, (char *)res->value, value);
}

/* Write WRITES documents and return their CAS values (each process's own are increasing). */
static uint64_t *write_many(kv_client *client, const char *prefix)
{
    uint64_t *cas = calloc(WRITES, sizeof *cas);
    for (int i = 0; i < WRITES; i++) {
        char key[32];
        snprintf(key, sizeof key, "%s-%d", prefix, i);
        kv_result res = run(client, KV_OP_UPSERT, key, "x", 0);
        CHECK(res.status == KV_OK, "upsert: %s", res.message);
        CHECK(i == 0 || res.cas > cas[i - 1], "CAS not increasing within one process");
        cas[i] = res.cas;
    }
    return cas;
}

static void process_b(const char *path, int from_a, int to_a)
{
    whoami = "B";
    kv_client *client = open_store(path);
    send_u64(to_a, 1);
    recv_u64(from_a); /* A inserted "doc" */
    kv_result got = run(client, KV_OP_GET, "doc", NULL, 0);
    expect_value(&got, "from A");
    send_u64(to_a, got.cas);
    recv_u64(from_a); /* A replaced "doc" with that CAS */
    kv_result stale = run(client, KV_OP_REPLACE, "doc", "from B", got.cas);
    send_u64(to_a, (uint64_t)stale.status);
    kv_result mine = run(client, KV_OP_UPSERT, "fromB", "hello", 0);
    send_u64(to_a, (uint64_t)mine.status);
    recv_u64(from_a); /* write concurrently */
    uint64_t *cas = write_many(client, "b");
    for (int i = 0; i < WRITES; i++)
        send_u64(to_a, cas[i]);
    free(cas);
    kv_result_clear(&got);
    kv_client_close(client);
    exit(0);
}

static kv_event *wait_changes(kv_client *client, uint64_t id)
{
    for (;;) {
        kv_client_wait(client, 5000);
        for (kv_event *e = kv_client_poll(client), *next; e; e = next) {
            next = e->next;
            e->next = NULL;
            if (e->type == KV_EVENT_CHANGES && e->id == id) {
                for (kv_event *rest = next; rest; rest = next) {
                    next = rest->next;
                    kv_event_free(rest);
                }
                return e;
            }
            kv_event_free(e);
        }
    }
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void check_cas_unique(uint64_t *mine, int to_b, int from_b)
{
    uint64_t *all = calloc(2 * WRITES, sizeof *all);
    memcpy(all, mine, WRITES * sizeof *all);
    for (int i = 0; i < WRITES; i++) {
        all[WRITES + i] = recv_u64(from_b);
        CHECK(i == 0 || all[WRITES + i] > all[WRITES + i - 1], "B's CAS not increasing");
    }
    qsort(all, 2 * WRITES, sizeof *all, compare_u64);
    for (int i = 1; i < 2 * WRITES; i++)
        CHECK(all[i] != all[i - 1], "CAS 0x%llx handed out twice", (unsigned long long)all[i]);
    free(all);
    (void)to_b;
}

static void process_a(const char *path, int to_b, int from_b)
{
    kv_client *client = open_store(path);
    recv_u64(from_b); /* B is open */
    kv_result ins = run(client, KV_OP_INSERT, "doc", "from A", 0);
    CHECK(ins.status == KV_OK, "insert: %s", ins.message);
    kv_event *latest = wait_changes(client, kv_client_changes(client, KV_SEQ_LATEST, 0, NULL));
    uint64_t seq = latest->last_seq;
    kv_event_free(latest);
    send_u64(to_b, 1);
    uint64_t cas_b = recv_u64(from_b);
    CHECK(cas_b == ins.cas, "B read CAS %llx, A wrote %llx", (unsigned long long)cas_b,
          (unsigned long long)ins.cas);
    kv_result replaced = run(client, KV_OP_REPLACE, "doc", "A again", ins.cas);
    CHECK(replaced.status == KV_OK && replaced.cas > ins.cas, "replace: %s", replaced.message);
    send_u64(to_b, 1);
    CHECK(recv_u64(from_b) == KV_ERR_KEY_EXISTS, "B's stale replace was not refused");
    CHECK(recv_u64(from_b) == KV_OK, "B's upsert failed");
    kv_result from_b_doc = run(client, KV_OP_GET, "fromB", NULL, 0);
    expect_value(&from_b_doc, "hello");
    kv_event *ev = wait_changes(client, kv_client_changes(client, seq, 0, NULL));
    CHECK(ev->status == KV_OK && ev->nchanges >= 2, "changes: %zu", ev->nchanges);
    const kv_change *last = &ev->changes[ev->nchanges - 1];
    CHECK(last->key_len == 5 && memcmp(last->key, "fromB", 5) == 0,
          "B's write is not the last change");
    kv_event_free(ev);
    send_u64(to_b, 1);
    uint64_t *mine = write_many(client, "a");
    check_cas_unique(mine, to_b, from_b);
    free(mine);
    kv_result doc = run(client, KV_OP_GET, "doc", NULL, 0);
    expect_value(&doc, "A again");
    kv_result_clear(&doc);
    kv_result_clear(&from_b_doc);
    kv_client_close(client);
}

int main(void)
{
    char dir[] = "/tmp/kv-two-XXXXXX", path[64];
    CHECK(mkdtemp(dir), "mkdtemp");
    snprintf(path, sizeof path, "%s/shared.kvdb", dir);
    int a_to_b[2], b_to_a[2];
    CHECK(pipe(a_to_b) == 0 && pipe(b_to_a) == 0, "pipe");
    pid_t child = fork(); /* before any client: an env or thread never crosses a fork */
    CHECK(child >= 0, "fork");
    if (child == 0) {
        close(a_to_b[1]);
        close(b_to_a[0]);
        process_b(path, a_to_b[0], b_to_a[1]);
    }
    close(a_to_b[0]);
    close(b_to_a[1]);
    process_a(path, a_to_b[1], b_to_a[0]);
    int wstatus;
    waitpid(child, &wstatus, 0);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "process B failed");
    printf("two processes: shared writes, stale CAS refused, %d unique CAS values\n", 2 * WRITES);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

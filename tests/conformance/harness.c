/* The conformance suite's shared client, capability table and call helpers, plus main(). */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conformance.h"

extern char **environ;

kv_client *conf_client;
const conf_caps *conf_caps_now;
const char *conf_connstr;

static char run_prefix[32];
static kv_event *pending_head;

/* DESIGN.md section 5: what each backend can and cannot do. A Couchbase test cluster with
 * replicas would set replicas and max_replicate_to in its own row.
 *
 * memcached (DESIGN.md sections 4 and 5): no locks, replicas or change sequence
 * (NotSupportedError); no durability, so persist_to/replicate_to > 0 is DurabilityImpossibleError
 * before anything is sent; touch keeps the CAS, and kvtui reports the CAS the server answers;
 * CAS counts per node, so it is not increasing across a cluster; listing through
 * `lru_crawler metadump` is unsorted; expiries come from `mg <key> t`, whose clock is memcached's
 * own (so within 2 s); items are capped by the server's item size (1 MiB by default, header
 * included). A SASL-only memcached is binary-only (protocol.md 5.2): it cannot list keys or read
 * expiries, so those become NotSupportedError and an expiry of -1. */
static const conf_caps caps_table[] = {
    {.row = "embedded",
     .backend = "embedded",
     .locks = true,
     .replicas = false,
     .change_sequence = true,
     .touch_changes_cas = true,
     .cas_increasing = true,
     .scan = true,
     .sorted_scan = true,
     .early_listing = false,
     .expiry_readable = true,
     .expiry_exact = true,
     .max_persist_to = 1,
     .max_replicate_to = 0,
     .value_max = KV_VALUE_MAX,
     .value_max_exact = true},
    {.row = "memcached",
     .backend = "memcached",
     .locks = false,
     .replicas = false,
     .change_sequence = false,
     .touch_changes_cas = false,
     .cas_increasing = false,
     .scan = true,
     .sorted_scan = false,
     .early_listing = true,
     .expiry_readable = true,
     .expiry_exact = false,
     .max_persist_to = 0,
     .max_replicate_to = 0,
     .value_max = 1024 * 1024,
     .value_max_exact = false},
    {.row = "memcached-sasl",
     .backend = "memcached",
     .locks = false,
     .replicas = false,
     .change_sequence = false,
     .touch_changes_cas = false,
     .cas_increasing = false,
     .scan = false,
     .sorted_scan = false,
     .early_listing = false,
     .expiry_readable = false,
     .expiry_exact = false,
     .max_persist_to = 0,
     .max_replicate_to = 0,
     .value_max = 1024 * 1024,
     .value_max_exact = false},
    {.row = "couchbase",
     .backend = "couchbase",
     .locks = true,
     .replicas = true,
     .change_sequence = false,
     .touch_changes_cas = true,
     .cas_increasing = false,
     .scan = true,
     .sorted_scan = false,
     .early_listing = true,
     .expiry_readable = true,
     .expiry_exact = true,
     .max_persist_to = 2,
     .max_replicate_to = 1,
     .value_max = KV_VALUE_MAX,
     .value_max_exact = false},
};

/* A memcached store opened with a password is a SASL-only server: its own row. */
static const conf_caps *caps_for(const char *backend)
{
    const char *row = backend;
    if (strcmp(backend, "memcached") == 0 && conf_password())
        row = "memcached-sasl";
    for (size_t i = 0; i < sizeof caps_table / sizeof caps_table[0]; i++)
        if (strcmp(caps_table[i].row, row) == 0)
            return &caps_table[i];
    return NULL;
}

const char *conf_password(void)
{
    const char *password = getenv("KV_CONFORMANCE_PASSWORD");
    if (!password || !*password)
        password = getenv("KVTUI_PASSWORD");
    return password && *password ? password : NULL;
}

const char *conf_key(char *buf, size_t size, const char *test, const char *suffix)
{
    snprintf(buf, size, "%s%s%s%s", run_prefix, test, suffix ? "_" : "", suffix ? suffix : "");
    return buf;
}

kv_request *conf_request(kv_op op, const char *key, const conf_args *args)
{
    kv_request *request = kv_request_new(op, key, strlen(key));
    assert_non_null(request);
    if (!args)
        return request;
    if (args->value)
        kv_request_set_value(request, args->value,
                             args->value_len ? args->value_len : strlen(args->value));
    request->flags = args->flags;
    request->format = args->format;
    request->cas = args->cas;
    request->has_ttl = args->has_ttl;
    request->ttl = args->ttl;
    request->quiet = args->quiet;
    request->replica = args->replica;
    request->persist_to = args->persist_to;
    request->replicate_to = args->replicate_to;
    request->delta = args->delta;
    request->has_initial = args->has_initial;
    request->initial = args->initial;
    return request;
}

kv_status conf_call_on(kv_client *client, kv_op op, const char *key, const conf_args *args,
                       kv_result *result)
{
    memset(result, 0, sizeof *result);
    kv_status status = kv_client_call(client, conf_request(op, key, args), result);
    assert_int_equal(status, result->status);
    return status;
}

kv_status conf_call(kv_op op, const char *key, const conf_args *args, kv_result *result)
{
    return conf_call_on(conf_client, op, key, args, result);
}

kv_status conf_status(kv_op op, const char *key, const conf_args *args)
{
    kv_result result;
    kv_status status = conf_call(op, key, args, &result);
    kv_result_clear(&result);
    return status;
}

uint64_t conf_store(const char *key, const char *json, int64_t ttl)
{
    kv_result result;
    assert_int_equal(
        conf_call(KV_OP_UPSERT, key,
                  ARGS(.value = json, .flags = KV_FLAGS_JSON, .has_ttl = ttl != 0, .ttl = ttl),
                  &result),
        KV_OK);
    uint64_t cas = result.cas;
    assert_true(cas != 0);
    kv_result_clear(&result);
    return cas;
}

void conf_assert_result_value(const kv_result *result, const void *value, size_t len)
{
    assert_int_equal(result->value_len, len);
    if (len > 0)
        assert_memory_equal(result->value, value, len);
}

uint64_t conf_assert_value(const char *key, const char *text)
{
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_result_value(&result, text, strlen(text));
    uint64_t cas = result.cas;
    kv_result_clear(&result);
    return cas;
}

void conf_assert_missing(const char *key)
{
    assert_int_equal(conf_status(KV_OP_GET, key, NULL), KV_ERR_NOT_FOUND);
}

void conf_assert_expiry_near(int64_t actual, int64_t want)
{
    if (!conf_caps_now->expiry_readable) {
        assert_int_equal(actual, -1);
        return;
    }
    assert_true(actual != -1);
    assert_in_range(actual, want - 2, want + 2);
}

void conf_assert_expiry_at(int64_t actual, int64_t want)
{
    if (conf_caps_now->expiry_exact && conf_caps_now->expiry_readable)
        assert_int_equal(actual, want);
    else
        conf_assert_expiry_near(actual, want);
}

void conf_assert_no_expiry(int64_t actual)
{
    assert_int_equal(actual, conf_caps_now->expiry_readable ? 0 : -1);
}

void conf_require_scan(void)
{
    if (!conf_caps_now->scan)
        skip();
}

void conf_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Take the first pending event of ID off the list, or NULL. */
static kv_event *take_pending(uint64_t id)
{
    for (kv_event **link = &pending_head; *link; link = &(*link)->next) {
        if ((*link)->id == id) {
            kv_event *event = *link;
            *link = event->next;
            event->next = NULL;
            return event;
        }
    }
    return NULL;
}

static void append_pending(kv_event *events)
{
    kv_event **tail = &pending_head;
    while (*tail)
        tail = &(*tail)->next;
    *tail = events;
}

kv_event *conf_wait_event(kv_client *client, uint64_t id)
{
    for (int waited_ms = 0; waited_ms < 60000; waited_ms += 100) {
        kv_event *event = take_pending(id);
        if (event)
            return event;
        kv_client_wait(client, 100);
        append_pending(kv_client_poll(client));
    }
    fail_msg("no event for request %llu within 60 s", (unsigned long long)id);
    return NULL;
}

static void copy_keys(conf_scan *scan, const kv_event *event)
{
    scan->keys = realloc(scan->keys, (scan->count + event->nkeys + 1) * sizeof *scan->keys);
    assert_non_null(scan->keys);
    for (size_t i = 0; i < event->nkeys; i++) {
        const kv_key_info *in = &event->keys[i];
        assert_in_range(in->key_len, 1, KV_KEY_MAX);
        assert_in_range(in->detail, KV_KEY_COMPLETE, KV_KEY_GONE);
        scan->early += in->detail == KV_KEY_PARTIAL;
        scan->gone += in->detail == KV_KEY_GONE;
        if (in->detail != KV_KEY_COMPLETE)
            continue;
        conf_key_info *out = &scan->keys[scan->count++];
        memcpy(out->key, in->key, in->key_len);
        out->key[in->key_len] = '\0';
        out->key_len = in->key_len;
        out->flags = in->flags;
        out->size = in->size;
        out->cas = in->cas;
        out->expiry = in->expiry;
    }
}

void conf_scan_run(kv_client *client, const char *glob, size_t batch, size_t limit, conf_scan *scan)
{
    memset(scan, 0, sizeof *scan);
    uint64_t id = kv_client_scan(client, glob, batch, limit, NULL);
    for (;;) {
        kv_event *event = conf_wait_event(client, id);
        if (event->type == KV_EVENT_DONE) {
            scan->status = event->status;
            assert_int_equal(event->items, scan->count); /* a key listed twice counts once */
            if (scan->status == KV_OK && scan->early > 0) /* every early key was settled */
                assert_int_equal(scan->early, scan->count + scan->gone);
            kv_event_free(event);
            return;
        }
        assert_int_equal(event->type, KV_EVENT_KEYS);
        copy_keys(scan, event);
        scan->batches++;
        kv_event_free(event);
    }
}

void conf_scan_free(conf_scan *scan)
{
    free(scan->keys);
    memset(scan, 0, sizeof *scan);
}

const conf_key_info *conf_scan_find(const conf_scan *scan, const char *key)
{
    for (size_t i = 0; i < scan->count; i++)
        if (strcmp(scan->keys[i].key, key) == 0)
            return &scan->keys[i];
    return NULL;
}

kv_client *conf_open_client(bool read_only)
{
    kv_open_options options = {.password = conf_password(), .read_only = read_only};
    kv_client *client = NULL;
    char err[256] = "";
    kv_status status = kv_client_open(conf_connstr, &options, &client, err, sizeof err);
    if (status != KV_OK)
        fail_msg("kv_client_open(%s): %s: %s", conf_connstr, kv_status_name(status), err);
    return client;
}

/* Child mode: upsert one key and print its CAS, so a test sees a write from another process. */
static int child_upsert(const char *key, const char *json)
{
    conf_connstr = getenv("KV_CONFORMANCE_STORE");
    kv_open_options options = {.password = conf_password()};
    kv_client *client = NULL;
    char err[256] = "";
    if (kv_client_open(conf_connstr, &options, &client, err, sizeof err) != KV_OK)
        return fprintf(stderr, "child open: %s\n", err), 1;
    kv_request *request = kv_request_new(KV_OP_UPSERT, key, strlen(key));
    kv_request_set_value(request, json, strlen(json));
    request->flags = KV_FLAGS_JSON;
    kv_result result;
    memset(&result, 0, sizeof result);
    kv_status status = kv_client_call(client, request, &result);
    printf("%llu\n", (unsigned long long)result.cas);
    kv_result_clear(&result);
    kv_client_close(client);
    return status == KV_OK ? 0 : 1;
}

uint64_t conf_child_upsert(const char *key, const char *json)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    char *argv[] = {"conformance", "--child-upsert", (char *)key, (char *)json, NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, "/proc/self/exe", &actions, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    char out[64] = "";
    ssize_t n = read(fds[0], out, sizeof out - 1);
    close(fds[0]);
    int wstatus = 0;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    assert_true(n > 0);
    return strtoull(out, NULL, 10);
}

static int open_shared_client(void **state)
{
    conf_client = conf_open_client(false);
    return 0;
}

static int close_shared_client(void **state)
{
    for (kv_event *event = pending_head, *next; event; event = next) {
        next = event->next;
        kv_event_free(event);
    }
    pending_head = NULL;
    kv_client_close(conf_client);
    conf_client = NULL;
    return 0;
}

static int run_groups(void)
{
    const conf_group *groups[] = {&conf_crud_tests,   &conf_counter_tests, &conf_append_tests,
                                  &conf_lock_tests,   &conf_rules_tests,   &conf_scan_tests,
                                  &conf_clients_tests};
    int failures = 0;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        failures += _cmocka_run_group_tests(groups[i]->name, groups[i]->tests, groups[i]->count,
                                            open_shared_client, close_shared_client);
    return failures;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child-upsert") == 0)
        return child_upsert(argv[2], argv[3]);
    conf_connstr = getenv("KV_CONFORMANCE_STORE");
    const char *backend = getenv("KV_CONFORMANCE_BACKEND");
    if (!conf_connstr || !backend) {
        fprintf(stderr, "conformance: set KV_CONFORMANCE_STORE and KV_CONFORMANCE_BACKEND\n");
        return 2;
    }
    conf_caps_now = caps_for(backend);
    if (!conf_caps_now) {
        fprintf(stderr, "conformance: no capability row for backend '%s'\n", backend);
        return 2;
    }
    printf("conformance: %s, capability row \"%s\"\n", conf_connstr, conf_caps_now->row);
    snprintf(run_prefix, sizeof run_prefix, "c%ld_", (long)getpid());
    return run_groups() ? 1 : 0;
}

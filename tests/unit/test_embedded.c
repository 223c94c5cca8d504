/* White-box tests of the embedded LMDB store through its direct API and its vtable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "embedded_internal.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    kv__embedded *store;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/kv-embedded-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/sub/dir/test.kvdb", f->dir);
    char err[256];
    assert_int_equal(kv__embedded_open_direct(f->path, &f->store, err, sizeof err), KV_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kv__embedded_close_direct(f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static kv_request *req(kv_op op, const char *key, const char *value)
{
    kv_request *r = kv_request_new(op, key, strlen(key));
    if (value)
        kv_request_set_value(r, value, strlen(value));
    r->flags = KV_FLAGS_JSON;
    return r;
}

/* Run R through the same path as the worker does, and hand back its result. */
static kv_result call(kv__embedded *store, kv_request *r)
{
    kv__op op = {.request = r};
    kv__embedded_execute_direct(store, &op);
    kv_request_free(r);
    return op.result;
}

static kv_status status_of(kv__embedded *store, kv_request *r)
{
    kv_result res = call(store, r);
    kv_result_clear(&res);
    return res.status;
}

static uint64_t upsert(kv__embedded *store, const char *key, const char *value)
{
    kv_result res = call(store, req(KV_OP_UPSERT, key, value));
    assert_int_equal(res.status, KV_OK);
    return res.cas;
}

static void assert_value(kv__embedded *store, const char *key, const char *value)
{
    kv_result res = call(store, req(KV_OP_GET, key, NULL));
    assert_int_equal(res.status, KV_OK);
    assert_int_equal(res.value_len, strlen(value));
    assert_memory_equal(res.value, value, res.value_len);
    kv_result_clear(&res);
}

static void test_crud_statuses(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    assert_int_equal(status_of(s, req(KV_OP_INSERT, "a", "1")), KV_OK);
    assert_int_equal(status_of(s, req(KV_OP_INSERT, "a", "2")), KV_ERR_KEY_EXISTS);
    assert_int_equal(status_of(s, req(KV_OP_REPLACE, "missing", "2")), KV_ERR_NOT_FOUND);
    assert_int_equal(status_of(s, req(KV_OP_GET, "missing", NULL)), KV_ERR_NOT_FOUND);
    kv_result got = call(s, req(KV_OP_GET, "a", NULL));
    assert_int_equal(got.flags, KV_FLAGS_JSON);
    assert_int_equal(got.expiry, 0);
    kv_request *r = req(KV_OP_UPSERT, "a", "3");
    r->cas = got.cas + 1;
    assert_int_equal(status_of(s, r), KV_ERR_KEY_EXISTS);
    r = req(KV_OP_UPSERT, "nope", "3");
    r->cas = got.cas;
    assert_int_equal(status_of(s, r), KV_ERR_NOT_FOUND);
    r = req(KV_OP_REPLACE, "a", "4");
    r->cas = got.cas;
    assert_int_equal(status_of(s, r), KV_OK);
    assert_value(s, "a", "4");
    r = req(KV_OP_REMOVE, "a", NULL);
    r->cas = got.cas; /* stale now */
    assert_int_equal(status_of(s, r), KV_ERR_KEY_EXISTS);
    assert_int_equal(status_of(s, req(KV_OP_REMOVE, "a", NULL)), KV_OK);
    assert_int_equal(status_of(s, req(KV_OP_REMOVE, "a", NULL)), KV_ERR_NOT_FOUND);
    kv_result_clear(&got);
}

static void test_errors_carry_messages(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    kv_result res = call(s, req(KV_OP_GET, "ghost", NULL));
    assert_string_equal(res.message, "key 'ghost' does not exist");
    res = call(s, req(KV_OP_UPSERT, "", "x"));
    assert_int_equal(res.status, KV_ERR_ARGUMENT);
    assert_true(strlen(res.message) > 0);
}

static void test_cas_strictly_increases(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    uint64_t last = 0;
    for (int i = 0; i < 200; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i % 7);
        uint64_t cas = upsert(s, key, "{}");
        assert_true(cas > last);
        last = cas;
    }
    kv_request *r = req(KV_OP_COUNTER, "n", NULL);
    r->has_initial = true;
    kv_result res = call(s, r);
    assert_true(res.cas > last);
    kv_result_clear(&res);
}

static void test_expired_is_invisible_at_once(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    kv_request *r = req(KV_OP_UPSERT, "old", "x");
    r->ttl = KV_TTL_RELATIVE_MAX + 1; /* an absolute time in 1970: already past */
    assert_int_equal(status_of(s, r), KV_OK);
    assert_int_equal(status_of(s, req(KV_OP_GET, "old", NULL)), KV_ERR_NOT_FOUND);
    assert_int_equal(status_of(s, req(KV_OP_REPLACE, "old", "y")), KV_ERR_NOT_FOUND);
    assert_int_equal(status_of(s, req(KV_OP_INSERT, "old", "z")), KV_OK);
    assert_value(s, "old", "z");

    r = req(KV_OP_UPSERT, "soon", "x");
    r->ttl = 1;
    kv_result res = call(s, r);
    assert_int_equal(res.expiry, kv_now() + 1);
    assert_value(s, "soon", "x");
    usleep(1100 * 1000);
    assert_int_equal(status_of(s, req(KV_OP_GET, "soon", NULL)), KV_ERR_NOT_FOUND);
}

static void test_touch_and_get_and_touch(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    uint64_t cas = upsert(s, "t", "v");
    kv_request *r = req(KV_OP_TOUCH, "t", NULL);
    r->has_ttl = true;
    r->ttl = 100;
    kv_result res = call(s, r);
    assert_int_equal(res.status, KV_OK);
    assert_true(res.cas > cas);
    assert_true(res.expiry >= kv_now() + 99 && res.expiry <= kv_now() + 100);
    r = req(KV_OP_GET, "t", NULL);
    r->has_ttl = true;
    r->ttl = 0;
    kv_result gat = call(s, r);
    assert_int_equal(gat.status, KV_OK);
    assert_int_equal(gat.expiry, 0);
    assert_true(gat.cas > res.cas);
    assert_memory_equal(gat.value, "v", 1);
    kv_result_clear(&gat);
    res = call(s, req(KV_OP_GET, "t", NULL));
    assert_int_equal(res.expiry, 0);
    kv_result_clear(&res);
}

static kv_result counter(kv__embedded *s, const char *key, int64_t delta, bool initial,
                         uint64_t value)
{
    kv_request *r = req(KV_OP_COUNTER, key, NULL);
    r->delta = delta;
    r->has_initial = initial;
    r->initial = value;
    return call(s, r);
}

static void test_counter(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    assert_int_equal(counter(s, "c", 1, false, 0).status, KV_ERR_NOT_FOUND);
    kv_result res = counter(s, "c", 5, true, 10);
    assert_int_equal(res.status, KV_OK);
    assert_int_equal(res.counter, 10); /* created: delta not applied */
    assert_int_equal(res.flags, 0);
    kv_result_clear(&res);
    res = counter(s, "c", 5, true, 10);
    assert_int_equal(res.counter, 15);
    assert_memory_equal(res.value, "15", 2);
    kv_result_clear(&res);
    res = counter(s, "c", -100, false, 0);
    assert_int_equal(res.counter, 0); /* decrement stops at 0 */
    kv_result_clear(&res);
    upsert(s, "big", "18446744073709551615");
    res = counter(s, "big", 2, false, 0);
    assert_int_equal(res.counter, 1); /* increment wraps */
    kv_result_clear(&res);
    upsert(s, "padded", "  41  ");
    res = counter(s, "padded", 1, false, 0);
    assert_int_equal(res.counter, 42);
    kv_result_clear(&res);
    upsert(s, "word", "\"x\"");
    assert_int_equal(counter(s, "word", 1, false, 0).status, KV_ERR_DELTA_BADVAL);
    assert_value(s, "word", "\"x\"");
}

static void test_counter_keeps_flags_and_expiry(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    kv_request *r = req(KV_OP_UPSERT, "c", "7");
    r->flags = KV_FLAGS_UTF8;
    r->ttl = 500;
    kv_result put = call(s, r);
    kv_result res = counter(s, "c", 1, false, 0);
    assert_int_equal(res.flags, KV_FLAGS_UTF8);
    assert_int_equal(res.expiry, put.expiry);
    assert_true(res.cas > put.cas);
    kv_result_clear(&res);
}

static void test_append_prepend(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    assert_int_equal(status_of(s, req(KV_OP_APPEND, "x", "!")), KV_ERR_NOT_STORED);
    kv_request *r = req(KV_OP_UPSERT, "x", "mid");
    r->flags = KV_FLAGS_UTF8;
    r->ttl = 300;
    kv_result put = call(s, r);
    r = req(KV_OP_APPEND, "x", ">>");
    r->flags = KV_FLAGS_BYTES; /* ignored: flags stay */
    kv_result res = call(s, r);
    assert_int_equal(res.status, KV_OK);
    assert_int_equal(res.flags, KV_FLAGS_UTF8);
    assert_int_equal(res.expiry, put.expiry);
    assert_true(res.cas > put.cas);
    assert_int_equal(status_of(s, req(KV_OP_PREPEND, "x", "<<")), KV_OK);
    assert_value(s, "x", "<<mid>>");
    r = req(KV_OP_APPEND, "x", "?");
    r->cas = put.cas;
    assert_int_equal(status_of(s, r), KV_ERR_KEY_EXISTS);
    r = req(KV_OP_APPEND, "x", "?");
    r->format = KV_FORMAT_JSON;
    assert_int_equal(status_of(s, r), KV_ERR_VALUE_FORMAT);
}

static kv_result lock(kv__embedded *s, const char *key, int64_t ttl)
{
    kv_request *r = req(KV_OP_LOCK, key, NULL);
    r->has_ttl = true;
    r->ttl = ttl;
    return call(s, r);
}

static void test_lock_rules(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    assert_int_equal(lock(s, "l", 10).status, KV_ERR_NOT_FOUND);
    uint64_t before = upsert(s, "l", "v");
    kv_result locked = lock(s, "l", 10);
    assert_int_equal(locked.status, KV_OK);
    assert_true(locked.cas > before);
    assert_memory_equal(locked.value, "v", 1);
    kv_result_clear(&locked);
    assert_int_equal(lock(s, "l", 10).status, KV_ERR_TEMPORARY_FAIL);
    kv_result got = call(s, req(KV_OP_GET, "l", NULL));
    assert_int_equal(got.cas, KV__LOCKED_CAS);
    kv_result_clear(&got);
    assert_int_equal(status_of(s, req(KV_OP_UPSERT, "l", "w")), KV_ERR_KEY_EXISTS);
    assert_int_equal(status_of(s, req(KV_OP_REMOVE, "l", NULL)), KV_ERR_KEY_EXISTS);
    kv_request *r = req(KV_OP_UNLOCK, "l", NULL);
    r->cas = locked.cas + 1;
    assert_int_equal(status_of(s, r), KV_ERR_TEMPORARY_FAIL);
    r = req(KV_OP_REPLACE, "l", "w");
    r->cas = locked.cas;
    assert_int_equal(status_of(s, r), KV_OK); /* the lock CAS writes and releases the lock */
    assert_int_equal(status_of(s, req(KV_OP_UPSERT, "l", "x")), KV_OK);
    r = req(KV_OP_UNLOCK, "l", NULL);
    r->cas = locked.cas;
    assert_int_equal(status_of(s, r), KV_ERR_TEMPORARY_FAIL); /* not locked any more */
}

static void test_unlock_keeps_cas(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    upsert(s, "l", "v");
    kv_result locked = lock(s, "l", 5);
    kv_result_clear(&locked);
    kv_request *r = req(KV_OP_UNLOCK, "l", NULL);
    r->cas = locked.cas;
    assert_int_equal(status_of(s, r), KV_OK);
    kv_result got = call(s, req(KV_OP_GET, "l", NULL));
    assert_int_equal(got.cas, locked.cas);
    kv_result_clear(&got);
    assert_int_equal(status_of(s, req(KV_OP_UPSERT, "l", "free")), KV_OK);
}

static void test_durability_and_replicas(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    kv_request *r = req(KV_OP_UPSERT, "d", "1");
    r->persist_to = 2;
    assert_int_equal(status_of(s, r), KV_ERR_DURABILITY_IMPOSSIBLE);
    r = req(KV_OP_UPSERT, "d", "1");
    r->replicate_to = 1;
    assert_int_equal(status_of(s, r), KV_ERR_DURABILITY_IMPOSSIBLE);
    assert_int_equal(status_of(s, req(KV_OP_GET, "d", NULL)), KV_ERR_NOT_FOUND);
    r = req(KV_OP_UPSERT, "d", "1");
    r->persist_to = -1;
    r->replicate_to = -1;
    assert_int_equal(status_of(s, r), KV_OK);
    r = req(KV_OP_GET, "d", NULL);
    r->replica = true;
    assert_int_equal(status_of(s, r), KV_ERR_NOT_SUPPORTED);
}

static void test_batch_statuses(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    upsert(s, "exists", "1");
    kv__op ops[3] = {{.request = req(KV_OP_INSERT, "new", "1")},
                     {.request = req(KV_OP_INSERT, "exists", "2")},
                     {.request = req(KV_OP_REPLACE, "ghost", "3")}};
    kv__op *list[3] = {&ops[0], &ops[1], &ops[2]};
    kv__embedded_execute_batch_direct(s, list, 3);
    assert_int_equal(ops[0].result.status, KV_OK);
    assert_int_equal(ops[1].result.status, KV_ERR_KEY_EXISTS);
    assert_int_equal(ops[2].result.status, KV_ERR_NOT_FOUND);
    for (int i = 0; i < 3; i++)
        kv_request_free(ops[i].request);
    assert_value(s, "new", "1");
    assert_value(s, "exists", "1");
}

static kv_event changes(kv__embedded *s, uint64_t since)
{
    kv_event event = {0};
    assert_int_equal(kv__embedded_changes(s, since, 0, &event), KV_OK);
    return event;
}

static void test_change_sequence_order(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    kv_event start = changes(s, KV_SEQ_LATEST);
    assert_int_equal(start.nchanges, 0);
    upsert(s, "a", "1");
    upsert(s, "b", "1");
    assert_int_equal(status_of(s, req(KV_OP_REMOVE, "a", NULL)), KV_OK);
    kv_event ev = changes(s, start.last_seq);
    assert_int_equal(ev.nchanges, 3);
    assert_int_equal(ev.last_seq, start.last_seq + 3);
    const char *keys[] = {"a", "b", "a"};
    bool removed[] = {false, false, true};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ev.changes[i].seq, start.last_seq + 1 + (uint64_t)i);
        assert_memory_equal(ev.changes[i].key, keys[i], 1);
        assert_int_equal(ev.changes[i].removed, removed[i]);
    }
    free(ev.changes);
    free(ev.arena);
    kv_event none = changes(s, ev.last_seq);
    assert_int_equal(none.nchanges, 0);
    uint64_t seq;
    assert_int_equal(kv__embedded_current_seq(s, &seq), KV_OK);
    assert_int_equal(seq, ev.last_seq);
}

static void test_sweep_removes_and_logs(void **state)
{
    kv__embedded *s = ((fixture *)*state)->store;
    kv_request *r = req(KV_OP_UPSERT, "gone", "x");
    r->ttl = 2;
    assert_int_equal(status_of(s, r), KV_OK);
    upsert(s, "stays", "x");
    assert_int_equal(kv__embedded_sweep(s, kv_now(), 100), 0);
    uint64_t before;
    kv__embedded_current_seq(s, &before);
    assert_int_equal(kv__embedded_sweep(s, kv_now() + 3, 100), 1);
    kv_event ev = changes(s, before);
    assert_int_equal(ev.nchanges, 1);
    assert_true(ev.changes[0].removed);
    assert_memory_equal(ev.changes[0].key, "gone", 4);
    free(ev.changes);
    free(ev.arena);
    assert_value(s, "stays", "x");
}

static void test_map_grows_and_nothing_is_lost(void **state)
{
    fixture *f = *state;
    char path[160], err[256];
    snprintf(path, sizeof path, "%s/tiny.kvdb", f->dir);
    setenv("KVTUI_MAPSIZE", "1048576", 1);
    kv__embedded *s;
    assert_int_equal(kv__embedded_open_direct(path, &s, err, sizeof err), KV_OK);
    unsetenv("KVTUI_MAPSIZE");
    char value[1000];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    for (int round = 0; round < 40; round++) {
        kv__op ops[100], *list[100];
        for (int i = 0; i < 100; i++) {
            char key[32];
            snprintf(key, sizeof key, "doc-%04d", round * 100 + i);
            ops[i] = (kv__op){.request = req(KV_OP_INSERT, key, value)};
            list[i] = &ops[i];
        }
        kv__embedded_execute_batch_direct(s, list, 100);
        for (int i = 0; i < 100; i++) {
            assert_int_equal(ops[i].result.status, KV_OK);
            kv_request_free(ops[i].request);
        }
    }
    assert_true(s->env->grow_count > 0);
    kv__embedded_close_direct(s);
    assert_int_equal(kv__embedded_open_direct(path, &s, err, sizeof err), KV_OK);
    for (int i = 0; i < 4000; i += 37) {
        char key[32];
        snprintf(key, sizeof key, "doc-%04d", i);
        assert_value(s, key, value);
    }
    kv__embedded_close_direct(s);
}

static void test_one_env_per_realpath(void **state)
{
    fixture *f = *state;
    char link[160], err[256];
    snprintf(link, sizeof link, "%s/link.kvdb", f->dir);
    assert_int_equal(symlink(f->path, link), 0);
    kv__embedded *other;
    assert_int_equal(kv__embedded_open_direct(link, &other, err, sizeof err), KV_OK);
    assert_ptr_equal(other->env, f->store->env);
    assert_int_equal(other->env->refcount, 2);
    upsert(f->store, "shared", "1");
    assert_value(other, "shared", "1");
    kv__embedded_close_direct(other);
    assert_int_equal(f->store->env->refcount, 1);
    assert_value(f->store, "shared", "1");
}

static void test_reopen_keeps_data(void **state)
{
    fixture *f = *state;
    uint64_t cas = upsert(f->store, "kept", "{\"a\":1}");
    kv__embedded_close_direct(f->store);
    char err[256];
    assert_int_equal(kv__embedded_open_direct(f->path, &f->store, err, sizeof err), KV_OK);
    assert_value(f->store, "kept", "{\"a\":1}");
    assert_true(upsert(f->store, "more", "1") > cas);
}

static void expect_refused(const char *path)
{
    kv__embedded *s = NULL;
    char err[256] = "";
    assert_int_equal(kv__embedded_open_direct(path, &s, err, sizeof err), KV_ERR_INTERNAL);
    assert_null(s);
    assert_true(strlen(err) > 0);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void test_corrupt_files_are_refused(void **state)
{
    fixture *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/garbage.kvdb", f->dir);
    uint8_t junk[16384];
    srand(7);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)rand();
    write_file(path, junk, sizeof junk);
    expect_refused(path);

    /* A real store cut short, and one whose page size field is zero (CVE-2019-16228 class). */
    upsert(f->store, "x", "1");
    kv__embedded_close_direct(f->store);
    f->store = NULL;
    FILE *fp = fopen(f->path, "rb");
    size_t len = fread(junk, 1, sizeof junk, fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/short.kvdb", f->dir);
    write_file(path, junk, 100);
    expect_refused(path);
    memset(junk + 40, 0, 4);
    snprintf(path, sizeof path, "%s/zero-psize.kvdb", f->dir);
    write_file(path, junk, len);
    expect_refused(path);
    char err[256];
    assert_int_equal(kv__embedded_open_direct(f->path, &f->store, err, sizeof err), KV_OK);
}

typedef struct loop_store {
    uv_loop_t loop;
    kv__embedded *store;
    bool closed;
} loop_store;

static void open_on_loop(loop_store *ls, const char *path, bool read_only)
{
    assert_int_equal(uv_loop_init(&ls->loop), 0);
    kv_connspec spec = {.kind = KV_BACKEND_EMBEDDED, .path = (char *)path};
    kv_open_options options = {.read_only = read_only};
    char err[256];
    void *state = NULL;
    assert_int_equal(kv__embedded_backend.open(&spec, &options, &ls->loop, &state, err, sizeof err),
                     KV_OK);
    ls->store = state;
}

static void store_closed(void *arg)
{
    ((loop_store *)arg)->closed = true;
}

static void close_on_loop(loop_store *ls)
{
    kv__embedded_backend.close(ls->store, store_closed, ls);
    uv_run(&ls->loop, UV_RUN_DEFAULT);
    assert_true(ls->closed);
    assert_int_equal(uv_loop_close(&ls->loop), 0);
}

typedef struct scan_sink {
    size_t keys, batches, largest;
    char last[KV_KEY_MAX + 1];
    bool in_order, done, cancel_after_first;
    kv_status status;
    size_t values_seen;
} scan_sink;

static void sink_batch(kv__stream *stream, kv__key_batch *batch)
{
    scan_sink *sink = stream->user;
    for (size_t i = 0; i < batch->count; i++) {
        char key[KV_KEY_MAX + 1];
        size_t len = batch->keys[i].key_len;
        memcpy(key, batch->arena + batch->key_offsets[i], len);
        key[len] = '\0';
        if (sink->keys && strcmp(sink->last, key) >= 0)
            sink->in_order = false;
        strcpy(sink->last, key);
        size_t vlen;
        const uint8_t *value = kv__key_batch_value(batch, i, &vlen);
        if (value && vlen == batch->keys[i].size && batch->keys[i].size > 0)
            sink->values_seen++;
        sink->keys++;
    }
    sink->batches++;
    sink->largest = batch->count > sink->largest ? batch->count : sink->largest;
    if (sink->cancel_after_first)
        stream->cancelled = true;
}

static void sink_done(kv__stream *stream, kv_status status, const char *message)
{
    (void)message;
    scan_sink *sink = stream->user;
    sink->status = status;
    sink->done = true;
}

static scan_sink scan(loop_store *ls, const char *glob, size_t batch, size_t limit, bool values,
                      bool cancel_after_first)
{
    scan_sink sink = {.in_order = true, .cancel_after_first = cancel_after_first};
    kv__stream stream = {.user = &sink, .glob = (char *)glob, .batch_size = batch,
                         .limit = limit, .want_values = values, .on_batch = sink_batch,
                         .on_done = sink_done};
    kv__embedded_backend.scan(ls->store, &stream);
    uv_run(&ls->loop, UV_RUN_DEFAULT);
    assert_true(sink.done);
    return sink;
}

static void fill(kv__embedded *s, int count)
{
    for (int i = 0; i < count; i++) {
        char key[32];
        snprintf(key, sizeof key, "%s:%05d", i % 2 ? "user" : "order", i);
        upsert(s, key, "{\"n\":1}");
    }
}

static void test_scan_streams_in_key_order(void **state)
{
    fixture *f = *state;
    loop_store ls = {0};
    open_on_loop(&ls, f->path, false);
    fill(ls.store, 2500);
    kv_request *r = req(KV_OP_UPSERT, "order:99999", "x");
    r->ttl = KV_TTL_RELATIVE_MAX + 1; /* expired: never listed */
    assert_int_equal(status_of(ls.store, r), KV_OK);
    scan_sink all = scan(&ls, NULL, 100, 0, false, false);
    assert_int_equal(all.status, KV_OK);
    assert_int_equal(all.keys, 2500);
    assert_true(all.in_order);
    assert_int_equal(all.largest, 100);
    scan_sink users = scan(&ls, "user:*", 64, 0, false, false);
    assert_int_equal(users.keys, 1250);
    assert_true(users.in_order);
    scan_sink limited = scan(&ls, "order:*", 7, 20, true, false);
    assert_int_equal(limited.keys, 20);
    assert_int_equal(limited.values_seen, 20);
    assert_string_equal(limited.last, "order:00038");
    close_on_loop(&ls);
}

static void test_scan_cancel(void **state)
{
    fixture *f = *state;
    loop_store ls = {0};
    open_on_loop(&ls, f->path, false);
    fill(ls.store, 500);
    scan_sink sink = scan(&ls, NULL, 10, 0, false, true);
    assert_int_equal(sink.status, KV_ERR_CANCELLED);
    assert_int_equal(sink.keys, 10);

    /* Cancelled from outside between slices, as the worker does. */
    scan_sink outside = {.in_order = true};
    kv__stream stream = {.user = &outside, .batch_size = 10, .on_batch = sink_batch,
                         .on_done = sink_done};
    kv__embedded_backend.scan(ls.store, &stream);
    uv_run(&ls.loop, UV_RUN_ONCE);
    stream.cancelled = true;
    kv__embedded_backend.scan_cancel(ls.store, &stream);
    assert_true(outside.done);
    assert_int_equal(outside.status, KV_ERR_CANCELLED);
    assert_true(outside.keys < 500);
    close_on_loop(&ls);
}

static void test_close_ends_running_scans(void **state)
{
    fixture *f = *state;
    loop_store ls = {0};
    open_on_loop(&ls, f->path, false);
    fill(ls.store, 100);
    scan_sink sink = {.in_order = true};
    kv__stream stream = {.user = &sink, .batch_size = 10, .on_batch = sink_batch,
                         .on_done = sink_done};
    kv__embedded_backend.scan(ls.store, &stream);
    close_on_loop(&ls);
    assert_true(sink.done);
    assert_int_equal(sink.status, KV_ERR_CANCELLED);
}

static void stop_timer(uv_timer_t *timer)
{
    uv_close((uv_handle_t *)timer, NULL);
}

static void test_sweeper_timer_deletes_expired(void **state)
{
    fixture *f = *state;
    setenv("KVTUI_SWEEP_MS", "50", 1);
    loop_store ls = {0};
    open_on_loop(&ls, f->path, false);
    unsetenv("KVTUI_SWEEP_MS");
    kv_request *r = req(KV_OP_UPSERT, "brief", "x");
    r->ttl = 1;
    assert_int_equal(status_of(ls.store, r), KV_OK);
    uint64_t before;
    kv__embedded_current_seq(ls.store, &before);
    uv_timer_t stopper;
    uv_timer_init(&ls.loop, &stopper);
    uv_timer_start(&stopper, stop_timer, 2200, 0);
    uv_run(&ls.loop, UV_RUN_DEFAULT);
    kv__txn t;
    kv__doc doc;
    assert_int_equal(kv__txn_begin(ls.store->env, false, &t), 0);
    assert_int_equal(kv__doc_get(&t, "brief", 5, &doc), MDB_NOTFOUND); /* really deleted */
    kv__txn_abort(&t);
    kv_event ev = changes(ls.store, before);
    assert_int_equal(ev.nchanges, 1);
    assert_true(ev.changes[0].removed);
    free(ev.changes);
    free(ev.arena);
    close_on_loop(&ls);
}

static void test_read_only_refuses_mutations(void **state)
{
    fixture *f = *state;
    upsert(f->store, "ro", "1");
    loop_store ls = {0};
    open_on_loop(&ls, f->path, true);
    kv_result res = call(ls.store, req(KV_OP_UPSERT, "ro", "2"));
    assert_int_equal(res.status, KV_ERR_NOT_SUPPORTED);
    kv_request *r = req(KV_OP_GET, "ro", NULL);
    r->has_ttl = true;
    r->ttl = 10;
    assert_int_equal(status_of(ls.store, r), KV_ERR_NOT_SUPPORTED);
    assert_value(ls.store, "ro", "1");
    close_on_loop(&ls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_crud_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_carry_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cas_strictly_increases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_is_invisible_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touch_and_get_and_touch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_keeps_flags_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_prepend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlock_keeps_cas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durability_and_replicas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_sequence_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_removes_and_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_grows_and_nothing_is_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_env_per_realpath, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_files_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_streams_in_key_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_ends_running_scans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweeper_timer_deletes_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_refuses_mutations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

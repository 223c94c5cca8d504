/* Key scans (streamed, filtered, limited, cancellable) and the change sequence. */
#include <stdio.h>
#include <string.h>

#include "conformance.h"

/* Store COUNT keys "<test>_<i>" with small JSON values, pipelined through kv_client_submit. */
static void store_many(const char *test, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char key[300], suffix[24];
        snprintf(suffix, sizeof suffix, "%05zu", i);
        conf_key(key, sizeof key, test, suffix);
        kv_client_submit(
            conf_client,
            conf_request(KV_OP_UPSERT, key, ARGS(.value = "0", .flags = KV_FLAGS_JSON)), NULL);
    }
    size_t done = 0;
    for (int idle = 0; done < count && idle < 600;) {
        kv_event *events = kv_client_poll(conf_client);
        idle = events ? 0 : idle + 1;
        for (kv_event *event = events, *next; event; event = next) {
            next = event->next;
            assert_int_equal(event->type, KV_EVENT_RESULT);
            assert_int_equal(event->result.status, KV_OK);
            done++;
            kv_event_free(event);
        }
        if (done < count)
            kv_client_wait(conf_client, 100);
    }
    assert_int_equal(done, count);
}

static const char *glob_for(char *buf, size_t size, const char *test, const char *tail)
{
    conf_key(buf, size, test, NULL);
    strncat(buf, tail, size - strlen(buf) - 1);
    return buf;
}

static void scan_streams_every_key_with_its_metadata(void **state)
{
    conf_require_scan();
    char plain[300], expiring[300], bytes[300], glob[300];
    TEST_KEY(plain, "plain");
    TEST_KEY(expiring, "expiring");
    TEST_KEY(bytes, "bytes");
    uint64_t plain_cas = conf_store(plain, "{\"a\":1}", 0);
    uint64_t expiring_cas = conf_store(expiring, "[1,2,3]", 1000);
    kv_result result;
    assert_int_equal(
        conf_call(KV_OP_UPSERT, bytes,
                  ARGS(.value = "\x00\x01\x02", .value_len = 3, .flags = KV_FLAGS_BYTES), &result),
        KV_OK);
    uint64_t bytes_cas = result.cas;
    kv_result_clear(&result);

    conf_scan scan;
    conf_scan_run(conf_client, glob_for(glob, sizeof glob, __func__, "*"), 0, 0, &scan);
    assert_int_equal(scan.status, KV_OK);
    assert_int_equal(scan.count, 3);
    assert_int_equal(scan.early, conf_caps_now->early_listing ? 3 : 0);
    const conf_key_info *info = conf_scan_find(&scan, plain);
    assert_non_null(info);
    assert_int_equal(info->size, 7);
    assert_int_equal(info->flags, KV_FLAGS_JSON);
    assert_int_equal(info->cas, plain_cas);
    conf_assert_no_expiry(info->expiry);
    info = conf_scan_find(&scan, expiring);
    assert_non_null(info);
    assert_int_equal(info->cas, expiring_cas);
    conf_assert_expiry_near(info->expiry, kv_now() + 1000);
    info = conf_scan_find(&scan, bytes);
    assert_non_null(info);
    assert_int_equal(info->size, 3);
    assert_int_equal(info->flags, KV_FLAGS_BYTES);
    assert_int_equal(info->cas, bytes_cas);
    conf_scan_free(&scan);
}

static void scan_without_pattern_lists_everything(void **state)
{
    conf_require_scan();
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    conf_scan scan;
    conf_scan_run(conf_client, NULL, 0, 0, &scan);
    assert_int_equal(scan.status, KV_OK);
    assert_non_null(conf_scan_find(&scan, key));
    assert_true(scan.count > 1);
    conf_scan_free(&scan);
}

static void scan_glob_filters_keys(void **state)
{
    conf_require_scan();
    char a1[300], a2[300], b1[300], glob[300];
    conf_store(TEST_KEY(a1, "a1"), "1", 0);
    conf_store(TEST_KEY(a2, "a2"), "1", 0);
    conf_store(TEST_KEY(b1, "b1"), "1", 0);
    conf_scan scan;
    conf_scan_run(conf_client, glob_for(glob, sizeof glob, __func__, "_a*"), 0, 0, &scan);
    assert_int_equal(scan.count, 2);
    assert_non_null(conf_scan_find(&scan, a1));
    assert_non_null(conf_scan_find(&scan, a2));
    conf_scan_free(&scan);
    conf_scan_run(conf_client, glob_for(glob, sizeof glob, __func__, "_?1"), 0, 0, &scan);
    assert_int_equal(scan.count, 2);
    assert_non_null(conf_scan_find(&scan, a1));
    assert_non_null(conf_scan_find(&scan, b1));
    conf_scan_free(&scan);
}

static void scan_limit_caps_the_number_of_keys(void **state)
{
    conf_require_scan();
    char glob[300];
    store_many(__func__, 10);
    conf_scan scan;
    conf_scan_run(conf_client, glob_for(glob, sizeof glob, __func__, "*"), 0, 3, &scan);
    assert_int_equal(scan.status, KV_OK);
    assert_int_equal(scan.count, 3);
    conf_scan_free(&scan);
}

static void scan_in_small_batches_delivers_every_key_once(void **state)
{
    conf_require_scan();
    char glob[300];
    store_many(__func__, 7);
    conf_scan scan;
    conf_scan_run(conf_client, glob_for(glob, sizeof glob, __func__, "*"), 2, 0, &scan);
    assert_int_equal(scan.status, KV_OK);
    assert_int_equal(scan.count, 7);
    assert_true(scan.batches >= 4);
    for (size_t i = 0; i < scan.count; i++)
        for (size_t j = i + 1; j < scan.count; j++)
            assert_string_not_equal(scan.keys[i].key, scan.keys[j].key);
    conf_scan_free(&scan);
}

static void scan_is_sorted_where_the_backend_promises_it(void **state)
{
    if (!conf_caps_now->scan || !conf_caps_now->sorted_scan)
        skip();
    char glob[300], key[300];
    conf_store(TEST_KEY(key, "zeta"), "1", 0);
    conf_store(TEST_KEY(key, "alpha"), "1", 0);
    conf_store(TEST_KEY(key, "mu"), "1", 0);
    conf_scan scan;
    conf_scan_run(conf_client, glob_for(glob, sizeof glob, __func__, "*"), 1, 0, &scan);
    assert_int_equal(scan.count, 3);
    assert_true(strcmp(scan.keys[0].key, scan.keys[1].key) < 0);
    assert_true(strcmp(scan.keys[1].key, scan.keys[2].key) < 0);
    conf_scan_free(&scan);
}

static void scan_omits_expired_keys(void **state)
{
    conf_require_scan();
    char live[300], gone[300], glob[300];
    conf_store(TEST_KEY(live, "live"), "1", 0);
    conf_store(TEST_KEY(gone, "gone"), "1", 1);
    conf_sleep_ms(2100);
    conf_scan scan;
    conf_scan_run(conf_client, glob_for(glob, sizeof glob, __func__, "*"), 0, 0, &scan);
    assert_int_equal(scan.count, 1);
    assert_non_null(conf_scan_find(&scan, live));
    conf_scan_free(&scan);
}

static void scan_cancel_ends_with_done_cancelled(void **state)
{
    conf_require_scan();
    char glob[300];
    store_many(__func__, 3000);
    uint64_t id =
        kv_client_scan(conf_client, glob_for(glob, sizeof glob, __func__, "*"), 1, 0, NULL);
    kv_client_cancel(conf_client, id);
    size_t keys = 0;
    for (;;) {
        kv_event *event = conf_wait_event(conf_client, id);
        if (event->type == KV_EVENT_DONE) {
            assert_int_equal(event->status, KV_ERR_CANCELLED);
            kv_event_free(event);
            break;
        }
        assert_int_equal(event->type, KV_EVENT_KEYS);
        for (size_t i = 0; i < event->nkeys; i++)
            keys += event->keys[i].detail == KV_KEY_COMPLETE;
        kv_event_free(event);
    }
    assert_true(keys < 3000);
}

/* memcached without its text protocol (SASL-only, DESIGN.md 5) cannot list: the stream says so
 * in one KV_EVENT_DONE with NotSupportedError and a message, and yields no keys. */
static void scan_without_listing_support_is_not_supported(void **state)
{
    if (conf_caps_now->scan)
        skip();
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    uint64_t id = kv_client_scan(conf_client, NULL, 0, 0, NULL);
    kv_event *event = conf_wait_event(conf_client, id);
    assert_int_equal(event->type, KV_EVENT_DONE);
    assert_int_equal(event->status, KV_ERR_NOT_SUPPORTED);
    assert_true(strlen(event->message) > 10);
    kv_event_free(event);
}

static void scan_event_carries_the_callers_user_pointer(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    int marker = 0;
    uint64_t id = kv_client_scan(conf_client, key, 0, 0, &marker);
    for (;;) {
        kv_event *event = conf_wait_event(conf_client, id);
        assert_ptr_equal(event->user, &marker);
        bool done = event->type == KV_EVENT_DONE;
        kv_event_free(event);
        if (done)
            break;
    }
}

/* One KV_EVENT_CHANGES for a read of the change sequence after SINCE. */
static kv_event *read_changes(uint64_t since)
{
    uint64_t id = kv_client_changes(conf_client, since, 1000, NULL);
    kv_event *event = conf_wait_event(conf_client, id);
    assert_int_equal(event->type, KV_EVENT_CHANGES);
    return event;
}

static const kv_change *find_change(const kv_event *event, const char *key)
{
    const kv_change *found = NULL;
    for (size_t i = 0; i < event->nchanges; i++) {
        const kv_change *change = &event->changes[i];
        if (change->key_len == strlen(key) && memcmp(change->key, key, change->key_len) == 0)
            found = change;
    }
    return found;
}

static void changes_report_writes_and_removals_after_a_sequence(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_event *event = read_changes(KV_SEQ_LATEST);
    if (!conf_caps_now->change_sequence) {
        assert_int_equal(event->status, KV_ERR_NOT_SUPPORTED);
        kv_event_free(event);
        return;
    }
    assert_int_equal(event->status, KV_OK);
    assert_int_equal(event->nchanges, 0);
    uint64_t since = event->last_seq;
    kv_event_free(event);

    conf_store(key, "1", 0);
    event = read_changes(since);
    assert_int_equal(event->status, KV_OK);
    const kv_change *change = find_change(event, key);
    assert_non_null(change);
    assert_false(change->removed);
    assert_true(change->seq > since);
    assert_true(event->last_seq >= change->seq);
    since = event->last_seq;
    kv_event_free(event);

    assert_int_equal(conf_status(KV_OP_REMOVE, key, NULL), KV_OK);
    event = read_changes(since);
    change = find_change(event, key);
    assert_non_null(change);
    assert_true(change->removed);
    kv_event_free(event);
}

static void changes_after_the_latest_sequence_are_empty(void **state)
{
    if (!conf_caps_now->change_sequence)
        skip();
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    kv_event *event = read_changes(KV_SEQ_LATEST);
    uint64_t last = event->last_seq;
    kv_event_free(event);
    event = read_changes(last);
    assert_int_equal(event->status, KV_OK);
    assert_int_equal(event->nchanges, 0);
    assert_int_equal(event->last_seq, last);
    kv_event_free(event);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(scan_streams_every_key_with_its_metadata),
    cmocka_unit_test(scan_without_pattern_lists_everything),
    cmocka_unit_test(scan_glob_filters_keys),
    cmocka_unit_test(scan_limit_caps_the_number_of_keys),
    cmocka_unit_test(scan_in_small_batches_delivers_every_key_once),
    cmocka_unit_test(scan_is_sorted_where_the_backend_promises_it),
    cmocka_unit_test(scan_omits_expired_keys),
    cmocka_unit_test(scan_cancel_ends_with_done_cancelled),
    cmocka_unit_test(scan_without_listing_support_is_not_supported),
    cmocka_unit_test(scan_event_carries_the_callers_user_pointer),
    cmocka_unit_test(changes_report_writes_and_removals_after_a_sequence),
    cmocka_unit_test(changes_after_the_latest_sequence_are_empty),
};

CONF_GROUP(conf_scan_tests, tests);

/* The client itself: events, read-only mode and several clients (and processes) on one store. */
#include <poll.h>
#include <string.h>

#include "conformance.h"

static const conf_args *mutation_args(kv_op op)
{
    static const conf_args store = {.value = "\"ro\"", .flags = KV_FLAGS_JSON};
    static const conf_args fragment = {.value = "x", .format = KV_FORMAT_UTF8};
    static const conf_args touch = {.has_ttl = true, .ttl = 100};
    static const conf_args counter = {.delta = 1, .has_initial = true, .initial = 1};
    switch (op) {
    case KV_OP_APPEND:
    case KV_OP_PREPEND:
        return &fragment;
    case KV_OP_TOUCH:
        return &touch;
    case KV_OP_COUNTER:
        return &counter;
    case KV_OP_REMOVE:
        return NULL;
    default:
        return &store;
    }
}

static void backend_name_matches_the_store(void **state)
{
    assert_string_equal(kv_client_backend_name(conf_client), conf_caps_now->backend);
}

static void submit_gives_exactly_one_result_with_its_id_and_user(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    int marker = 0;
    uint64_t id = kv_client_submit(
        conf_client, conf_request(KV_OP_UPSERT, key, ARGS(.value = "1", .flags = KV_FLAGS_JSON)),
        &marker);
    struct pollfd pfd = {.fd = kv_client_fd(conf_client), .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 10000), 1);
    kv_event *event = conf_wait_event(conf_client, id);
    assert_int_equal(event->type, KV_EVENT_RESULT);
    assert_ptr_equal(event->user, &marker);
    assert_int_equal(event->result.status, KV_OK);
    assert_true(event->result.cas != 0);
    kv_event_free(event);
    kv_client_wait(conf_client, 200);
    for (kv_event *extra = kv_client_poll(conf_client), *next; extra; extra = next) {
        next = extra->next;
        assert_true(extra->id != id);
        kv_event_free(extra);
    }
}

static void read_only_client_refuses_every_mutation(void **state)
{
    static const kv_op mutations[] = {KV_OP_INSERT, KV_OP_UPSERT,  KV_OP_REPLACE, KV_OP_REMOVE,
                                      KV_OP_TOUCH,  KV_OP_COUNTER, KV_OP_APPEND,  KV_OP_PREPEND};
    char key[300], fresh[300];
    TEST_KEY(key, NULL);
    TEST_KEY(fresh, "fresh");
    uint64_t cas = conf_store(key, "7", 0);
    kv_client *reader = conf_open_client(true);
    for (size_t i = 0; i < sizeof mutations / sizeof mutations[0]; i++) {
        kv_result result;
        const char *target = mutations[i] == KV_OP_INSERT ? fresh : key;
        kv_status status =
            conf_call_on(reader, mutations[i], target, mutation_args(mutations[i]), &result);
        if (status != KV_ERR_NOT_SUPPORTED)
            fail_msg("read-only %s gave %s", kv_op_name(mutations[i]), kv_status_name(status));
        kv_result_clear(&result);
    }
    kv_client_close(reader);
    assert_int_equal(conf_assert_value(key, "7"), cas);
    conf_assert_missing(fresh);
}

static void read_only_client_reads_and_scans(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "\"visible\"", 0);
    kv_client *reader = conf_open_client(true);
    kv_result result;
    assert_int_equal(conf_call_on(reader, KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_result_value(&result, "\"visible\"", 9);
    assert_int_equal(result.cas, cas);
    kv_result_clear(&result);
    conf_scan scan;
    conf_scan_run(reader, key, 0, 0, &scan);
    if (conf_caps_now->scan) {
        assert_int_equal(scan.status, KV_OK);
        assert_non_null(conf_scan_find(&scan, key));
    } else {
        assert_int_equal(scan.status, KV_ERR_NOT_SUPPORTED);
        assert_int_equal(scan.count, 0);
    }
    conf_scan_free(&scan);
    kv_client_close(reader);
}

static void two_clients_see_each_others_writes_and_cas_conflicts(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t first_cas = conf_store(key, "\"one\"", 0);
    kv_client *other = conf_open_client(false);
    kv_result result;
    assert_int_equal(conf_call_on(other, KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_result_value(&result, "\"one\"", 5);
    assert_int_equal(result.cas, first_cas);
    kv_result_clear(&result);
    assert_int_equal(
        conf_call_on(other, KV_OP_REPLACE, key,
                     ARGS(.value = "\"two\"", .flags = KV_FLAGS_JSON, .cas = first_cas), &result),
        KV_OK);
    uint64_t second_cas = result.cas;
    kv_result_clear(&result);
    if (conf_caps_now->cas_increasing)
        assert_true(second_cas > first_cas);
    kv_client_close(other);
    assert_int_equal(
        conf_status(KV_OP_REPLACE, key,
                    ARGS(.value = "\"stale\"", .flags = KV_FLAGS_JSON, .cas = first_cas)),
        KV_ERR_KEY_EXISTS);
    assert_int_equal(conf_assert_value(key, "\"two\""), second_cas);
}

static void another_process_sees_writes_and_cas_conflicts(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t mine = conf_store(key, "\"parent\"", 0);
    uint64_t theirs = conf_child_upsert(key, "\"child\"");
    assert_true(theirs != 0 && theirs != mine);
    if (conf_caps_now->cas_increasing)
        assert_true(theirs > mine);
    assert_int_equal(conf_assert_value(key, "\"child\""), theirs);
    assert_int_equal(conf_status(KV_OP_REPLACE, key,
                                 ARGS(.value = "\"stale\"", .flags = KV_FLAGS_JSON, .cas = mine)),
                     KV_ERR_KEY_EXISTS);
    conf_assert_value(key, "\"child\"");
}

static void close_with_requests_in_flight_returns(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_client *client = conf_open_client(false);
    for (int i = 0; i < 200; i++)
        kv_client_submit(
            client, conf_request(KV_OP_UPSERT, key, ARGS(.value = "1", .flags = KV_FLAGS_JSON)),
            NULL);
    kv_client_scan(client, NULL, 1, 0, NULL);
    kv_client_close(client);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(backend_name_matches_the_store),
    cmocka_unit_test(submit_gives_exactly_one_result_with_its_id_and_user),
    cmocka_unit_test(read_only_client_refuses_every_mutation),
    cmocka_unit_test(read_only_client_reads_and_scans),
    cmocka_unit_test(two_clients_see_each_others_writes_and_cas_conflicts),
    cmocka_unit_test(another_process_sees_writes_and_cas_conflicts),
    cmocka_unit_test(close_with_requests_in_flight_returns),
};

CONF_GROUP(conf_clients_tests, tests);

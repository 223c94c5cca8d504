/* get, insert, upsert, replace, remove and touch (DESIGN.md section 4). */
#include <string.h>

#include "conformance.h"

static void get_returns_value_flags_and_cas_of_the_write(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_result put, got;
    assert_int_equal(
        conf_call(KV_OP_UPSERT, key, ARGS(.value = "{\"a\":1}", .flags = KV_FLAGS_JSON), &put),
        KV_OK);
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &got), KV_OK);
    conf_assert_result_value(&got, "{\"a\":1}", 7);
    assert_int_equal(got.flags, KV_FLAGS_JSON);
    assert_int_equal(got.cas, put.cas);
    conf_assert_no_expiry(got.expiry);
    kv_result_clear(&put);
    kv_result_clear(&got);
}

static void result_echoes_key_and_op(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_result result;
    assert_int_equal(
        conf_call(KV_OP_UPSERT, key, ARGS(.value = "1", .flags = KV_FLAGS_JSON), &result), KV_OK);
    assert_int_equal(result.op, KV_OP_UPSERT);
    assert_int_equal(result.key_len, strlen(key));
    assert_memory_equal(result.key, key, strlen(key));
    kv_result_clear(&result);
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    assert_int_equal(result.op, KV_OP_GET);
    assert_memory_equal(result.key, key, strlen(key));
    kv_result_clear(&result);
}

static void get_missing_is_not_found_with_no_value_and_cas_zero(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_ERR_NOT_FOUND);
    assert_int_equal(result.value_len, 0);
    assert_int_equal(result.cas, 0);
    assert_int_equal(result.flags, 0);
    assert_string_equal(kv_status_name(result.status), "NotFoundError");
    kv_result_clear(&result);
}

/* Reading of the contract: quiet only stops the caller from treating a miss as a failure (the
 * CLI exits 0, the SDK returns success=False); the core still reports NotFoundError. */
static void get_quiet_missing_still_reports_not_found(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, ARGS(.quiet = true), &result), KV_ERR_NOT_FOUND);
    assert_int_equal(result.value_len, 0);
    assert_int_equal(result.cas, 0);
    kv_result_clear(&result);
}

static void get_quiet_does_not_hide_other_errors(void **state)
{
    assert_int_equal(conf_status(KV_OP_GET, "", ARGS(.quiet = true)), KV_ERR_ARGUMENT);
}

static void get_quiet_existing_returns_the_value(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "\"q\"", 0);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, ARGS(.quiet = true), &result), KV_OK);
    conf_assert_result_value(&result, "\"q\"", 3);
    kv_result_clear(&result);
}

static void get_with_ttl_sets_the_expiry(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, ARGS(.has_ttl = true, .ttl = 1000), &result), KV_OK);
    conf_assert_result_value(&result, "1", 1);
    kv_result_clear(&result);
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_expiry_near(result.expiry, kv_now() + 1000);
    kv_result_clear(&result);
}

static void get_with_ttl_one_expires_the_document(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_GET, key, ARGS(.has_ttl = true, .ttl = 1)), KV_OK);
    conf_sleep_ms(2100);
    conf_assert_missing(key);
}

static void get_replica_follows_backend_capability(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "\"r\"", 0);
    kv_result result;
    kv_status status = conf_call(KV_OP_GET, key, ARGS(.replica = true), &result);
    if (conf_caps_now->replicas) {
        assert_int_equal(status, KV_OK);
        conf_assert_result_value(&result, "\"r\"", 3);
    } else {
        assert_int_equal(status, KV_ERR_NOT_SUPPORTED);
        assert_int_equal(result.value_len, 0);
    }
    kv_result_clear(&result);
}

static void insert_creates_a_document(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_result result;
    assert_int_equal(
        conf_call(KV_OP_INSERT, key, ARGS(.value = "hello", .flags = KV_FLAGS_UTF8), &result),
        KV_OK);
    assert_true(result.cas != 0);
    uint64_t cas = result.cas;
    kv_result_clear(&result);
    assert_int_equal(conf_assert_value(key, "hello"), cas);
}

static void insert_existing_key_is_key_exists(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "\"first\"", 0);
    assert_int_equal(
        conf_status(KV_OP_INSERT, key, ARGS(.value = "\"second\"", .flags = KV_FLAGS_JSON)),
        KV_ERR_KEY_EXISTS);
    assert_int_equal(conf_assert_value(key, "\"first\""), cas);
}

static void upsert_creates_then_overwrites_with_a_new_cas(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t first = conf_store(key, "1", 0);
    uint64_t second = conf_store(key, "2", 0);
    assert_true(first != second);
    assert_int_equal(conf_assert_value(key, "2"), second);
}

/* TTL 0 means "no expiry" for every write, so a save must pass the TTL it wants to keep. Where
 * expiries cannot be read (SASL memcached) the document outliving its old TTL shows it. */
static void upsert_without_ttl_clears_an_existing_expiry(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    bool readable = conf_caps_now->expiry_readable;
    conf_store(key, "1", readable ? 500 : 1);
    conf_store(key, "2", 0);
    if (!readable)
        conf_sleep_ms(2100);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_no_expiry(result.expiry);
    conf_assert_result_value(&result, "2", 1);
    kv_result_clear(&result);
}

static void upsert_with_wrong_cas_is_key_exists(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "\"orig\"", 0);
    assert_int_equal(conf_status(KV_OP_UPSERT, key,
                                 ARGS(.value = "\"new\"", .flags = KV_FLAGS_JSON, .cas = cas + 1)),
                     KV_ERR_KEY_EXISTS);
    assert_int_equal(conf_assert_value(key, "\"orig\""), cas);
}

static void upsert_with_right_cas_succeeds(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "\"orig\"", 0);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_UPSERT, key,
                               ARGS(.value = "\"new\"", .flags = KV_FLAGS_JSON, .cas = cas),
                               &result),
                     KV_OK);
    assert_true(result.cas != 0 && result.cas != cas);
    kv_result_clear(&result);
    conf_assert_value(key, "\"new\"");
}

static void upsert_with_cas_on_missing_key_is_not_found(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(
        conf_status(KV_OP_UPSERT, key, ARGS(.value = "1", .flags = KV_FLAGS_JSON, .cas = 12345)),
        KV_ERR_NOT_FOUND);
    conf_assert_missing(key);
}

static void replace_missing_is_not_found(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_REPLACE, key, ARGS(.value = "1", .flags = KV_FLAGS_JSON)),
                     KV_ERR_NOT_FOUND);
    conf_assert_missing(key);
}

static void replace_existing_changes_value_and_cas(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "1", 0);
    kv_result result;
    assert_int_equal(
        conf_call(KV_OP_REPLACE, key, ARGS(.value = "2", .flags = KV_FLAGS_JSON), &result), KV_OK);
    assert_true(result.cas != 0 && result.cas != cas);
    kv_result_clear(&result);
    conf_assert_value(key, "2");
}

static void replace_with_wrong_cas_is_key_exists(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_REPLACE, key,
                                 ARGS(.value = "2", .flags = KV_FLAGS_JSON, .cas = cas ^ 0xff)),
                     KV_ERR_KEY_EXISTS);
    assert_int_equal(conf_assert_value(key, "1"), cas);
}

static void replace_with_right_cas_succeeds(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "1", 0);
    assert_int_equal(
        conf_status(KV_OP_REPLACE, key, ARGS(.value = "2", .flags = KV_FLAGS_JSON, .cas = cas)),
        KV_OK);
    conf_assert_value(key, "2");
}

static void replace_with_cas_on_missing_key_is_not_found(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(
        conf_status(KV_OP_REPLACE, key, ARGS(.value = "2", .flags = KV_FLAGS_JSON, .cas = 777)),
        KV_ERR_NOT_FOUND);
}

static void remove_existing_makes_it_missing(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, NULL), KV_OK);
    conf_assert_missing(key);
}

static void remove_missing_is_not_found(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, NULL), KV_ERR_NOT_FOUND);
}

/* Same reading as for get: quiet is for the caller; the core reports NotFoundError. */
static void remove_missing_quiet_still_reports_not_found(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, ARGS(.quiet = true)), KV_ERR_NOT_FOUND);
}

static void remove_quiet_with_wrong_cas_is_still_key_exists(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, ARGS(.quiet = true, .cas = cas + 1)),
                     KV_ERR_KEY_EXISTS);
    conf_assert_value(key, "1");
}

static void remove_with_wrong_cas_is_key_exists_and_keeps_the_document(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, ARGS(.cas = 0xdeadbeef ^ cas)),
                     KV_ERR_KEY_EXISTS);
    assert_int_equal(conf_assert_value(key, "1"), cas);
}

static void remove_with_right_cas_succeeds(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, ARGS(.cas = cas)), KV_OK);
    conf_assert_missing(key);
}

static void remove_with_cas_on_missing_key_is_not_found(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, ARGS(.cas = 99)), KV_ERR_NOT_FOUND);
}

static void touch_sets_the_expiry(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_TOUCH, key, ARGS(.has_ttl = true, .ttl = 500), &result),
                     KV_OK);
    kv_result_clear(&result);
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_expiry_near(result.expiry, kv_now() + 500);
    conf_assert_result_value(&result, "1", 1);
    kv_result_clear(&result);
}

static void touch_with_ttl_zero_clears_the_expiry(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 1);
    assert_int_equal(conf_status(KV_OP_TOUCH, key, ARGS(.has_ttl = true, .ttl = 0)), KV_OK);
    conf_sleep_ms(2100);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_no_expiry(result.expiry);
    kv_result_clear(&result);
}

static void touch_with_ttl_one_expires_the_document(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_TOUCH, key, ARGS(.has_ttl = true, .ttl = 1)), KV_OK);
    conf_sleep_ms(2100);
    conf_assert_missing(key);
}

static void touch_missing_is_not_found(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_TOUCH, key, ARGS(.has_ttl = true, .ttl = 10)),
                     KV_ERR_NOT_FOUND);
}

/* DESIGN.md 4: touch changes the CAS; memcached keeps it, and kvtui reports what the server says
 * (the unchanged CAS), which the next get confirms. */
static void touch_changes_the_cas_or_reports_the_kept_one(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "1", 0);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_TOUCH, key, ARGS(.has_ttl = true, .ttl = 100), &result),
                     KV_OK);
    assert_true(result.cas != 0);
    if (conf_caps_now->touch_changes_cas)
        assert_true(result.cas != cas);
    else
        assert_int_equal(result.cas, cas);
    uint64_t touched = result.cas;
    kv_result_clear(&result);
    assert_int_equal(conf_assert_value(key, "1"), touched);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(get_returns_value_flags_and_cas_of_the_write),
    cmocka_unit_test(result_echoes_key_and_op),
    cmocka_unit_test(get_missing_is_not_found_with_no_value_and_cas_zero),
    cmocka_unit_test(get_quiet_missing_still_reports_not_found),
    cmocka_unit_test(get_quiet_does_not_hide_other_errors),
    cmocka_unit_test(get_quiet_existing_returns_the_value),
    cmocka_unit_test(get_with_ttl_sets_the_expiry),
    cmocka_unit_test(get_with_ttl_one_expires_the_document),
    cmocka_unit_test(get_replica_follows_backend_capability),
    cmocka_unit_test(insert_creates_a_document),
    cmocka_unit_test(insert_existing_key_is_key_exists),
    cmocka_unit_test(upsert_creates_then_overwrites_with_a_new_cas),
    cmocka_unit_test(upsert_without_ttl_clears_an_existing_expiry),
    cmocka_unit_test(upsert_with_wrong_cas_is_key_exists),
    cmocka_unit_test(upsert_with_right_cas_succeeds),
    cmocka_unit_test(upsert_with_cas_on_missing_key_is_not_found),
    cmocka_unit_test(replace_missing_is_not_found),
    cmocka_unit_test(replace_existing_changes_value_and_cas),
    cmocka_unit_test(replace_with_wrong_cas_is_key_exists),
    cmocka_unit_test(replace_with_right_cas_succeeds),
    cmocka_unit_test(replace_with_cas_on_missing_key_is_not_found),
    cmocka_unit_test(remove_existing_makes_it_missing),
    cmocka_unit_test(remove_missing_is_not_found),
    cmocka_unit_test(remove_missing_quiet_still_reports_not_found),
    cmocka_unit_test(remove_quiet_with_wrong_cas_is_still_key_exists),
    cmocka_unit_test(remove_with_wrong_cas_is_key_exists_and_keeps_the_document),
    cmocka_unit_test(remove_with_right_cas_succeeds),
    cmocka_unit_test(remove_with_cas_on_missing_key_is_not_found),
    cmocka_unit_test(touch_sets_the_expiry),
    cmocka_unit_test(touch_with_ttl_zero_clears_the_expiry),
    cmocka_unit_test(touch_with_ttl_one_expires_the_document),
    cmocka_unit_test(touch_missing_is_not_found),
    cmocka_unit_test(touch_changes_the_cas_or_reports_the_kept_one),
};

CONF_GROUP(conf_crud_tests, tests);

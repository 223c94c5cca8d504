/* counter (DESIGN.md section 4): create with initial, increment, decrement to 0, bad values. */
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

/* The stored number of a counter document; memcached may pad it with spaces after a decrement. */
static uint64_t stored_number(const char *key)
{
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    char text[32] = "";
    assert_in_range(result.value_len, 1, sizeof text - 1);
    memcpy(text, result.value, result.value_len);
    kv_result_clear(&result);
    char *end = NULL;
    uint64_t number = strtoull(text, &end, 10);
    assert_true(end != text);
    while (*end == ' ')
        end++;
    assert_int_equal(*end, '\0');
    return number;
}

static kv_status counter(const char *key, int64_t delta, kv_result *result)
{
    return conf_call(KV_OP_COUNTER, key, ARGS(.delta = delta), result);
}

static void counter_missing_without_initial_is_not_found(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_result result;
    assert_int_equal(counter(key, 1, &result), KV_ERR_NOT_FOUND);
    kv_result_clear(&result);
    conf_assert_missing(key);
}

static void counter_missing_with_initial_creates_initial_without_delta(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_COUNTER, key,
                               ARGS(.delta = 5, .has_initial = true, .initial = 10), &result),
                     KV_OK);
    assert_int_equal(result.counter, 10);
    assert_true(result.cas != 0);
    kv_result_clear(&result);
    assert_int_equal(stored_number(key), 10);
}

static void counter_created_document_decodes_as_json(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(
        conf_status(KV_OP_COUNTER, key, ARGS(.delta = 1, .has_initial = true, .initial = 3)),
        KV_OK);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    assert_int_equal(kv_format_of_flags(result.flags), KV_FORMAT_JSON);
    kv_result_clear(&result);
}

static void counter_increments_and_result_carries_the_number(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "41", 0);
    kv_result result;
    assert_int_equal(counter(key, 1, &result), KV_OK);
    assert_int_equal(result.counter, 42);
    kv_result_clear(&result);
    assert_int_equal(counter(key, 8, &result), KV_OK);
    assert_int_equal(result.counter, 50);
    kv_result_clear(&result);
    assert_int_equal(stored_number(key), 50);
}

static void counter_with_initial_on_existing_applies_delta(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "10", 0);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_COUNTER, key,
                               ARGS(.delta = 1, .has_initial = true, .initial = 100), &result),
                     KV_OK);
    assert_int_equal(result.counter, 11);
    kv_result_clear(&result);
}

static void counter_negative_delta_decrements_and_stops_at_zero(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "5", 0);
    kv_result result;
    assert_int_equal(counter(key, -2, &result), KV_OK);
    assert_int_equal(result.counter, 3);
    kv_result_clear(&result);
    assert_int_equal(counter(key, -10, &result), KV_OK);
    assert_int_equal(result.counter, 0);
    kv_result_clear(&result);
    assert_int_equal(stored_number(key), 0);
    assert_int_equal(counter(key, -1, &result), KV_OK);
    assert_int_equal(result.counter, 0);
    kv_result_clear(&result);
}

static void counter_non_numeric_is_delta_badval(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "\"THIS IS SPARTA\"", 0);
    kv_result result;
    assert_int_equal(counter(key, 1, &result), KV_ERR_DELTA_BADVAL);
    kv_result_clear(&result);
    assert_int_equal(conf_assert_value(key, "\"THIS IS SPARTA\""), cas);
}

static void counter_keeps_flags_and_expiry_of_existing_document(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    int64_t expiry = kv_now() + 1000;
    assert_int_equal(
        conf_status(KV_OP_UPSERT, key,
                    ARGS(.value = "7", .flags = KV_FLAGS_UTF8, .has_ttl = true, .ttl = 1000)),
        KV_OK);
    kv_result result;
    assert_int_equal(counter(key, 1, &result), KV_OK);
    assert_int_equal(result.counter, 8);
    kv_result_clear(&result);
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    assert_int_equal(result.flags, KV_FLAGS_UTF8);
    conf_assert_expiry_near(result.expiry, expiry);
    kv_result_clear(&result);
}

static void counter_changes_the_cas(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "1", 0);
    kv_result result;
    assert_int_equal(counter(key, 1, &result), KV_OK);
    assert_true(result.cas != 0 && result.cas != cas);
    uint64_t counted = result.cas;
    kv_result_clear(&result);
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    assert_int_equal(result.cas, counted);
    kv_result_clear(&result);
}

static void counter_cas_works_for_a_following_upsert(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_COUNTER, key,
                               ARGS(.delta = 1, .has_initial = true, .initial = 10), &result),
                     KV_OK);
    uint64_t cas = result.cas;
    kv_result_clear(&result);
    assert_int_equal(
        conf_status(KV_OP_UPSERT, key, ARGS(.value = "\"x\"", .flags = KV_FLAGS_JSON, .cas = cas)),
        KV_OK);
}

static void counter_created_with_ttl_gets_that_expiry(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_COUNTER, key,
                                 ARGS(.delta = 1, .has_initial = true, .initial = 1,
                                      .has_ttl = true, .ttl = 300)),
                     KV_OK);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_expiry_near(result.expiry, kv_now() + 300);
    kv_result_clear(&result);
}

static void counter_ttl_without_initial_is_argument_error(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_COUNTER, key, ARGS(.delta = 1, .has_ttl = true, .ttl = 100)),
                     KV_ERR_ARGUMENT);
    conf_assert_value(key, "1");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(counter_missing_without_initial_is_not_found),
    cmocka_unit_test(counter_missing_with_initial_creates_initial_without_delta),
    cmocka_unit_test(counter_created_document_decodes_as_json),
    cmocka_unit_test(counter_increments_and_result_carries_the_number),
    cmocka_unit_test(counter_with_initial_on_existing_applies_delta),
    cmocka_unit_test(counter_negative_delta_decrements_and_stops_at_zero),
    cmocka_unit_test(counter_non_numeric_is_delta_badval),
    cmocka_unit_test(counter_keeps_flags_and_expiry_of_existing_document),
    cmocka_unit_test(counter_changes_the_cas),
    cmocka_unit_test(counter_cas_works_for_a_following_upsert),
    cmocka_unit_test(counter_created_with_ttl_gets_that_expiry),
    cmocka_unit_test(counter_ttl_without_initial_is_argument_error),
};

CONF_GROUP(conf_counter_tests, tests);

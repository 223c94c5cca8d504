/* TTL, key, value-size, durability, CAS and flags rules every backend shares (DESIGN.md 3-5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

static kv_status upsert_ttl(const char *key, int64_t ttl)
{
    return conf_status(KV_OP_UPSERT, key,
                       ARGS(.value = "1", .flags = KV_FLAGS_JSON, .has_ttl = true, .ttl = ttl));
}

static int64_t expiry_of(const char *key)
{
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    int64_t expiry = result.expiry;
    kv_result_clear(&result);
    return expiry;
}

static void negative_ttl_is_argument_error(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(upsert_ttl(key, -1), KV_ERR_ARGUMENT);
    conf_assert_missing(key);
    conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_TOUCH, key, ARGS(.has_ttl = true, .ttl = -1)),
                     KV_ERR_ARGUMENT);
    assert_int_equal(conf_status(KV_OP_GET, key, ARGS(.has_ttl = true, .ttl = -5)),
                     KV_ERR_ARGUMENT);
    conf_assert_no_expiry(expiry_of(key));
}

static void ttl_above_32_bits_is_argument_error(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(upsert_ttl(key, (int64_t)1 << 32), KV_ERR_ARGUMENT);
    conf_assert_missing(key);
}

static void ttl_of_30_days_is_relative(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(upsert_ttl(key, KV_TTL_RELATIVE_MAX), KV_OK);
    conf_assert_expiry_near(expiry_of(key), kv_now() + KV_TTL_RELATIVE_MAX);
}

static void short_ttl_is_relative(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(upsert_ttl(key, 100), KV_OK);
    conf_assert_expiry_near(expiry_of(key), kv_now() + 100);
}

static void ttl_over_30_days_is_an_absolute_time(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    int64_t at = kv_now() + 3600;
    assert_int_equal(upsert_ttl(key, at), KV_OK);
    conf_assert_expiry_at(expiry_of(key), at);
}

static void past_absolute_ttl_expires_at_once(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(upsert_ttl(key, KV_TTL_RELATIVE_MAX + 1), KV_OK);
    conf_assert_missing(key);
}

/* Expired documents are gone for every operation at once, not only for get. */
static void expired_document_is_invisible_at_once(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 1);
    conf_sleep_ms(2100);
    conf_assert_missing(key);
    assert_int_equal(conf_status(KV_OP_REPLACE, key, ARGS(.value = "2", .flags = KV_FLAGS_JSON)),
                     KV_ERR_NOT_FOUND);
    assert_int_equal(conf_status(KV_OP_TOUCH, key, ARGS(.has_ttl = true, .ttl = 10)),
                     KV_ERR_NOT_FOUND);
    assert_int_equal(conf_status(KV_OP_APPEND, key, ARGS(.value = "x", .format = KV_FORMAT_UTF8)),
                     KV_ERR_NOT_STORED);
    assert_int_equal(conf_status(KV_OP_INSERT, key, ARGS(.value = "3", .flags = KV_FLAGS_JSON)),
                     KV_OK);
    conf_assert_value(key, "3");
}

static void empty_key_is_argument_error(void **state)
{
    assert_int_equal(conf_status(KV_OP_GET, "", NULL), KV_ERR_ARGUMENT);
    assert_int_equal(conf_status(KV_OP_UPSERT, "", ARGS(.value = "1", .flags = KV_FLAGS_JSON)),
                     KV_ERR_ARGUMENT);
    assert_int_equal(conf_status(KV_OP_REMOVE, "", NULL), KV_ERR_ARGUMENT);
}

static void long_key(char *buf, size_t len, const char *test)
{
    conf_key(buf, len + 1, test, NULL);
    size_t used = strlen(buf);
    memset(buf + used, 'k', len - used);
    buf[len] = '\0';
}

static void key_of_251_bytes_is_argument_error(void **state)
{
    char key[KV_KEY_MAX + 2];
    long_key(key, KV_KEY_MAX + 1, __func__);
    kv_request *request = kv_request_new(KV_OP_UPSERT, key, KV_KEY_MAX + 1);
    kv_request_set_value(request, "1", 1);
    request->flags = KV_FLAGS_JSON;
    kv_result result;
    memset(&result, 0, sizeof result);
    assert_int_equal(kv_client_call(conf_client, request, &result), KV_ERR_ARGUMENT);
    kv_result_clear(&result);
    key[KV_KEY_MAX] = '\0';
    conf_assert_missing(key);
}

static void key_of_250_bytes_round_trips(void **state)
{
    char key[KV_KEY_MAX + 1];
    long_key(key, KV_KEY_MAX, __func__);
    uint64_t cas = conf_store(key, "\"long\"", 0);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    assert_int_equal(result.cas, cas);
    assert_int_equal(result.key_len, KV_KEY_MAX);
    assert_memory_equal(result.key, key, KV_KEY_MAX);
    kv_result_clear(&result);
}

static kv_status upsert_bytes(const char *key, const uint8_t *value, size_t len, kv_result *result)
{
    kv_request *request = kv_request_new(KV_OP_UPSERT, key, strlen(key));
    kv_request_set_value(request, value, len);
    request->flags = KV_FLAGS_BYTES;
    memset(result, 0, sizeof *result);
    return kv_client_call(conf_client, request, result);
}

static void value_over_the_limit_is_too_big(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    size_t len = conf_caps_now->value_max + 1;
    uint8_t *value = calloc(1, len);
    assert_non_null(value);
    kv_result result;
    assert_int_equal(upsert_bytes(key, value, len, &result), KV_ERR_TOO_BIG);
    kv_result_clear(&result);
    free(value);
    conf_assert_missing(key);
}

static void value_of_exactly_the_limit_is_stored(void **state)
{
    if (!conf_caps_now->value_max_exact)
        skip();
    char key[300];
    TEST_KEY(key, NULL);
    size_t len = conf_caps_now->value_max;
    uint8_t *value = malloc(len);
    assert_non_null(value);
    for (size_t i = 0; i < len; i++)
        value[i] = (uint8_t)(i * 31 + (i >> 13));
    kv_result result;
    assert_int_equal(upsert_bytes(key, value, len, &result), KV_OK);
    kv_result_clear(&result);
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_result_value(&result, value, len);
    kv_result_clear(&result);
    free(value);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, NULL), KV_OK);
}

/* Where the exact limit is the server's business (memcached counts its item header in -I), a
 * value a few KiB under it must still be stored whole. */
static void value_just_under_the_limit_is_stored(void **state)
{
    if (conf_caps_now->value_max_exact)
        skip();
    char key[300];
    TEST_KEY(key, NULL);
    size_t len = conf_caps_now->value_max - 4096;
    uint8_t *value = malloc(len);
    assert_non_null(value);
    for (size_t i = 0; i < len; i++)
        value[i] = (uint8_t)(i * 7 + (i >> 11));
    kv_result result;
    assert_int_equal(upsert_bytes(key, value, len, &result), KV_OK);
    kv_result_clear(&result);
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_result_value(&result, value, len);
    kv_result_clear(&result);
    free(value);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, NULL), KV_OK);
}

static void empty_value_round_trips(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    kv_result result;
    assert_int_equal(upsert_bytes(key, (const uint8_t *)"", 0, &result), KV_OK);
    kv_result_clear(&result);
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    assert_int_equal(result.value_len, 0);
    assert_int_equal(result.flags, KV_FLAGS_BYTES);
    kv_result_clear(&result);
}

static void binary_value_with_nul_bytes_round_trips(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint8_t value[512];
    for (size_t i = 0; i < sizeof value; i++)
        value[i] = (uint8_t)(i ^ (i >> 8));
    kv_result result;
    assert_int_equal(upsert_bytes(key, value, sizeof value, &result), KV_OK);
    kv_result_clear(&result);
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_result_value(&result, value, sizeof value);
    kv_result_clear(&result);
}

static void flags_round_trip_unchanged(void **state)
{
    static const uint32_t flags[] = {
        0,          1,         2, 4, KV_FLAGS_JSON, KV_FLAGS_UTF8, KV_FLAGS_BYTES, KV_FLAGS_PICKLE,
        0xdeadbeef, 0xffffffff};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char key[300], suffix[16];
        snprintf(suffix, sizeof suffix, "%zu", i);
        TEST_KEY(key, suffix);
        assert_int_equal(conf_status(KV_OP_UPSERT, key, ARGS(.value = "v", .flags = flags[i])),
                         KV_OK);
        kv_result result;
        assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
        assert_int_equal(result.flags, flags[i]);
        kv_result_clear(&result);
    }
}

static void durability_within_the_backend_is_honoured(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    int persist = conf_caps_now->max_persist_to;
    int replicate = conf_caps_now->max_replicate_to;
    assert_int_equal(conf_status(KV_OP_UPSERT, key,
                                 ARGS(.value = "1", .flags = KV_FLAGS_JSON, .persist_to = persist,
                                      .replicate_to = replicate)),
                     KV_OK);
    conf_assert_value(key, "1");
}

static void durability_minus_one_means_as_many_as_exist(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_INSERT, key,
                                 ARGS(.value = "1", .flags = KV_FLAGS_JSON, .persist_to = -1,
                                      .replicate_to = -1)),
                     KV_OK);
    conf_assert_value(key, "1");
}

static void persist_to_beyond_the_backend_is_impossible_and_writes_nothing(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    int persist = conf_caps_now->max_persist_to + 1;
    assert_int_equal(conf_status(KV_OP_INSERT, key,
                                 ARGS(.value = "1", .flags = KV_FLAGS_JSON, .persist_to = persist)),
                     KV_ERR_DURABILITY_IMPOSSIBLE);
    conf_assert_missing(key);
    uint64_t cas = conf_store(key, "\"kept\"", 0);
    assert_int_equal(
        conf_status(KV_OP_UPSERT, key,
                    ARGS(.value = "\"lost\"", .flags = KV_FLAGS_JSON, .persist_to = persist)),
        KV_ERR_DURABILITY_IMPOSSIBLE);
    assert_int_equal(conf_assert_value(key, "\"kept\""), cas);
}

static void replicate_to_beyond_the_backend_is_impossible_and_writes_nothing(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    int replicate = conf_caps_now->max_replicate_to + 1;
    assert_int_equal(
        conf_status(KV_OP_UPSERT, key,
                    ARGS(.value = "1", .flags = KV_FLAGS_JSON, .replicate_to = replicate)),
        KV_ERR_DURABILITY_IMPOSSIBLE);
    conf_assert_missing(key);
}

static void persist_to_two_is_impossible_on_a_single_store(void **state)
{
    if (conf_caps_now->max_persist_to >= 2)
        skip();
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(
        conf_status(KV_OP_UPSERT, key, ARGS(.value = "1", .flags = KV_FLAGS_JSON, .persist_to = 2)),
        KV_ERR_DURABILITY_IMPOSSIBLE);
    conf_assert_missing(key);
}

static bool cas_seen(const uint64_t *list, size_t count, uint64_t cas)
{
    for (size_t i = 0; i < count; i++)
        if (list[i] == cas)
            return true;
    return false;
}

/* Record the CAS of one successful mutation and check it is new (and larger, where promised). */
static void note_cas(uint64_t *list, size_t *count, kv_status status, kv_result *result)
{
    assert_int_equal(status, KV_OK);
    assert_true(result->cas != 0);
    assert_false(cas_seen(list, *count, result->cas));
    if (conf_caps_now->cas_increasing && *count > 0)
        assert_true(result->cas > list[*count - 1]);
    list[(*count)++] = result->cas;
    kv_result_clear(result);
}

static void cas_is_never_zero_and_changes_on_every_mutation(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t seen[8];
    size_t count = 0;
    kv_result r;
    note_cas(seen, &count,
             conf_call(KV_OP_INSERT, key, ARGS(.value = "1", .flags = KV_FLAGS_JSON), &r), &r);
    note_cas(seen, &count,
             conf_call(KV_OP_UPSERT, key, ARGS(.value = "2", .flags = KV_FLAGS_JSON), &r), &r);
    note_cas(seen, &count,
             conf_call(KV_OP_REPLACE, key, ARGS(.value = "3", .flags = KV_FLAGS_JSON), &r), &r);
    note_cas(seen, &count, conf_call(KV_OP_COUNTER, key, ARGS(.delta = 1), &r), &r);
    note_cas(seen, &count,
             conf_call(KV_OP_APPEND, key, ARGS(.value = "0", .format = KV_FORMAT_UTF8), &r), &r);
    note_cas(seen, &count,
             conf_call(KV_OP_PREPEND, key, ARGS(.value = "1", .format = KV_FORMAT_UTF8), &r), &r);
    assert_int_equal(conf_assert_value(key, "140"), seen[count - 1]);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(negative_ttl_is_argument_error),
    cmocka_unit_test(ttl_above_32_bits_is_argument_error),
    cmocka_unit_test(ttl_of_30_days_is_relative),
    cmocka_unit_test(short_ttl_is_relative),
    cmocka_unit_test(ttl_over_30_days_is_an_absolute_time),
    cmocka_unit_test(past_absolute_ttl_expires_at_once),
    cmocka_unit_test(expired_document_is_invisible_at_once),
    cmocka_unit_test(empty_key_is_argument_error),
    cmocka_unit_test(key_of_251_bytes_is_argument_error),
    cmocka_unit_test(key_of_250_bytes_round_trips),
    cmocka_unit_test(value_over_the_limit_is_too_big),
    cmocka_unit_test(value_of_exactly_the_limit_is_stored),
    cmocka_unit_test(value_just_under_the_limit_is_stored),
    cmocka_unit_test(empty_value_round_trips),
    cmocka_unit_test(binary_value_with_nul_bytes_round_trips),
    cmocka_unit_test(flags_round_trip_unchanged),
    cmocka_unit_test(durability_within_the_backend_is_honoured),
    cmocka_unit_test(durability_minus_one_means_as_many_as_exist),
    cmocka_unit_test(persist_to_beyond_the_backend_is_impossible_and_writes_nothing),
    cmocka_unit_test(replicate_to_beyond_the_backend_is_impossible_and_writes_nothing),
    cmocka_unit_test(persist_to_two_is_impossible_on_a_single_store),
    cmocka_unit_test(cas_is_never_zero_and_changes_on_every_mutation),
};

CONF_GROUP(conf_rules_tests, tests);

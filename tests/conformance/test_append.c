/* append and prepend (DESIGN.md section 4): utf8 or bytes fragments, flags never change. */
#include <string.h>

#include "conformance.h"

static kv_status add_fragment(kv_op op, const char *key, const void *fragment, size_t len,
                              kv_format format)
{
    return conf_status(op, key, ARGS(.value = fragment, .value_len = len, .format = format));
}

static void append_missing_is_not_stored(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(add_fragment(KV_OP_APPEND, key, "x", 1, KV_FORMAT_UTF8), KV_ERR_NOT_STORED);
    conf_assert_missing(key);
}

static void prepend_missing_is_not_stored(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(add_fragment(KV_OP_PREPEND, key, "x", 1, KV_FORMAT_UTF8), KV_ERR_NOT_STORED);
    conf_assert_missing(key);
}

static void append_and_prepend_utf8_build_the_text(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(
        conf_status(KV_OP_UPSERT, key, ARGS(.value = "middle", .flags = KV_FLAGS_UTF8)), KV_OK);
    assert_int_equal(add_fragment(KV_OP_PREPEND, key, "begin ", 6, KV_FORMAT_UTF8), KV_OK);
    assert_int_equal(add_fragment(KV_OP_APPEND, key, " end", 4, KV_FORMAT_UTF8), KV_OK);
    conf_assert_value(key, "begin middle end");
}

static void append_and_prepend_bytes_keep_nul_bytes(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_UPSERT, key,
                                 ARGS(.value = "\x10", .value_len = 1, .flags = KV_FLAGS_BYTES)),
                     KV_OK);
    assert_int_equal(add_fragment(KV_OP_PREPEND, key, "\x00", 1, KV_FORMAT_BYTES), KV_OK);
    assert_int_equal(add_fragment(KV_OP_APPEND, key, "\x20\x00", 2, KV_FORMAT_BYTES), KV_OK);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_result_value(&result, "\x00\x10\x20\x00", 4);
    assert_int_equal(result.flags, KV_FLAGS_BYTES);
    kv_result_clear(&result);
}

static void append_json_format_is_value_format_error(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "\"doc\"", 0);
    assert_int_equal(add_fragment(KV_OP_APPEND, key, "{\"a\":1}", 7, KV_FORMAT_JSON),
                     KV_ERR_VALUE_FORMAT);
    assert_int_equal(conf_assert_value(key, "\"doc\""), cas);
}

static void prepend_pickle_format_is_value_format_error(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "\"doc\"", 0);
    assert_int_equal(add_fragment(KV_OP_PREPEND, key, "1", 1, KV_FORMAT_PICKLE),
                     KV_ERR_VALUE_FORMAT);
    assert_int_equal(conf_assert_value(key, "\"doc\""), cas);
}

static void append_keeps_the_documents_flags(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_UPSERT, key, ARGS(.value = "abc", .flags = 0x00abcdef)),
                     KV_OK);
    assert_int_equal(add_fragment(KV_OP_APPEND, key, "def", 3, KV_FORMAT_BYTES), KV_OK);
    assert_int_equal(add_fragment(KV_OP_PREPEND, key, "xyz", 3, KV_FORMAT_UTF8), KV_OK);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    assert_int_equal(result.flags, 0x00abcdef);
    conf_assert_result_value(&result, "xyzabcdef", 9);
    kv_result_clear(&result);
}

static void append_changes_the_cas(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_UPSERT, key, ARGS(.value = "a", .flags = KV_FLAGS_UTF8)),
                     KV_OK);
    uint64_t before = conf_assert_value(key, "a");
    kv_result result;
    assert_int_equal(
        conf_call(KV_OP_APPEND, key, ARGS(.value = "b", .format = KV_FORMAT_UTF8), &result), KV_OK);
    assert_true(result.cas != 0 && result.cas != before);
    uint64_t after = result.cas;
    kv_result_clear(&result);
    assert_int_equal(conf_assert_value(key, "ab"), after);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(append_missing_is_not_stored),
    cmocka_unit_test(prepend_missing_is_not_stored),
    cmocka_unit_test(append_and_prepend_utf8_build_the_text),
    cmocka_unit_test(append_and_prepend_bytes_keep_nul_bytes),
    cmocka_unit_test(append_json_format_is_value_format_error),
    cmocka_unit_test(prepend_pickle_format_is_value_format_error),
    cmocka_unit_test(append_keeps_the_documents_flags),
    cmocka_unit_test(append_changes_the_cas),
};

CONF_GROUP(conf_append_tests, tests);

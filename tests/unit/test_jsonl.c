/* Unit tests for kv_result_to_json (core/jsonl_encode.c): the --json output and export lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv.h"

static kv_result make_result(const char *key, uint32_t flags, const void *value, size_t len)
{
    kv_result result;
    memset(&result, 0, sizeof result);
    result.op = KV_OP_GET;
    result.status = KV_OK;
    result.key_len = strlen(key);
    memcpy(result.key, key, result.key_len);
    result.flags = flags;
    result.cas = 0x1a2bULL;
    result.expiry = 1900000000;
    result.value = (uint8_t *)value; /* borrowed: never cleared in these tests */
    result.value_len = len;
    return result;
}

/* Encodes RESULT, checks that the line is one valid JSON object on one line, returns it. */
static char *encode(const kv_result *result, bool for_export)
{
    char *json = kv_result_to_json(result, for_export);
    assert_non_null(json);
    if (strchr(json, '\n') || strchr(json, '\r'))
        fail_msg("not one line: %s", json);
    if (!kv_json_valid(json, strlen(json), NULL))
        fail_msg("not valid JSON: %s", json);
    return json;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void assert_lacks(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle))
        fail_msg("'%s' contains '%s'", haystack, needle);
}

static cJSON *field(cJSON *object, const char *name)
{
    cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    if (!item)
        fail_msg("no field %s", name);
    return item;
}

static void test_field_order_and_metadata(void **state)
{
    (void)state;
    const char *doc = "{\"a\":1}";
    kv_result r = make_result("user::1", KV_FLAGS_JSON, doc, strlen(doc));
    char *json = encode(&r, false);
    assert_string_equal(json, "{\"key\":\"user::1\",\"success\":true,\"error\":null,"
                              "\"cas\":\"0x1a2b\",\"flags\":\"0x02000000\",\"format\":\"json\","
                              "\"expiry\":1900000000,\"value\":{\"a\":1}}");
    free(json);
}

static void test_json_value_kept_byte_for_byte(void **state)
{
    (void)state;
    const char *doc = "{\"id\": 12345678901234567890123, \"price\":19.990, \"x\":1e400,"
                      " \"s\":\"\\u00e9\\/\"}";
    kv_result r = make_result("order::1", KV_FLAGS_JSON, doc, strlen(doc));
    for (int exporting = 0; exporting < 2; exporting++) {
        char *json = encode(&r, exporting);
        assert_contains(json, doc);
        assert_lacks(json, "encoding");
        free(json);
    }
}

static void test_multiline_json_export_is_base64_display_is_minified(void **state)
{
    (void)state;
    const char *doc = "{\n  \"a\": [1, 2.50],\n  \"b\": \"x\"\n}\n";
    kv_result r = make_result("k", KV_FLAGS_JSON, doc, strlen(doc));
    char *shown = encode(&r, false);
    assert_contains(shown, "\"value\":{\"a\":[1,2.50],\"b\":\"x\"}");
    assert_lacks(shown, "encoding");
    free(shown);

    char *exported = encode(&r, true);
    cJSON *line = cJSON_Parse(exported);
    assert_string_equal(field(line, "encoding")->valuestring, "base64");
    const char *b64 = field(line, "value")->valuestring;
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(kv_base64_decode(b64, strlen(b64), &bytes, &len), KV_OK);
    assert_int_equal(len, strlen(doc));
    assert_memory_equal(bytes, doc, len);
    free(bytes);
    cJSON_Delete(line);
    free(exported);
}

static void test_json_with_surrounding_space_exports_as_base64(void **state)
{
    (void)state;
    const char *doc = " [1] ";
    kv_result r = make_result("k", KV_FLAGS_JSON, doc, strlen(doc));
    char *exported = encode(&r, true);
    assert_contains(exported, "\"encoding\":\"base64\"");
    free(exported);
}

static void test_invalid_json_flagged_value_becomes_base64(void **state)
{
    (void)state;
    const char *doc = "{not json";
    kv_result r = make_result("k", KV_FLAGS_JSON, doc, strlen(doc));
    char *json = encode(&r, false);
    assert_contains(json, "\"value\":\"e25vdCBqc29u\"");
    assert_contains(json, "\"encoding\":\"base64\"");
    free(json);
}

static void test_utf8_is_escaped_string(void **state)
{
    (void)state;
    const char *text = "caf\xc3\xa9 \"q\" \\ \x1b[2J\r\b\t\x7f \xe2\x80\xae end\n";
    kv_result r = make_result("readme", KV_FLAGS_UTF8, text, strlen(text));
    char *json = encode(&r, true);
    assert_contains(json, "\"format\":\"utf8\"");
    assert_contains(json, "caf\xc3\xa9 \\\"q\\\" \\\\ \\u001b[2J\\r\\b\\t\\u007f \xe2\x80\xae end\\n");
    assert_lacks(json, "\x1b");
    assert_lacks(json, "encoding");
    cJSON *line = cJSON_Parse(json);
    assert_string_equal(field(line, "value")->valuestring, text);
    cJSON_Delete(line);
    free(json);
}

static void test_invalid_utf8_text_becomes_base64(void **state)
{
    (void)state;
    const char text[] = "ab\xff";
    kv_result r = make_result("k", KV_FLAGS_UTF8, text, 3);
    char *json = encode(&r, false);
    assert_contains(json, "\"value\":\"YWL/\",\"encoding\":\"base64\"");
    free(json);
}

static void test_bytes_and_unknown_flags_are_base64(void **state)
{
    (void)state;
    const uint8_t png[] = {0x89, 'P', 'N', 'G', 0, 1, 2};
    kv_result r = make_result("blob", KV_FLAGS_BYTES, png, sizeof png);
    char *json = encode(&r, false);
    assert_contains(json, "\"format\":\"bytes\"");
    assert_contains(json, "\"value\":\"iVBORwABAg==\",\"encoding\":\"base64\"");
    free(json);

    const char *text = "{}";
    r = make_result("odd", 0x00abcdefu, text, 2);
    json = encode(&r, false);
    assert_contains(json, "\"flags\":\"0x00abcdef\"");
    assert_contains(json, "\"value\":\"e30=\",\"encoding\":\"base64\"");
    free(json);
}

static void test_key_escaping(void **state)
{
    (void)state;
    kv_result r = make_result("x", KV_FLAGS_JSON, "1", 1);
    const char key[] = "a\"b\\c\x01\xc3\xa9\xff";
    memcpy(r.key, key, sizeof key - 1);
    r.key_len = sizeof key - 1;
    char *json = encode(&r, false);
    assert_contains(json, "\"key\":\"a\\\"b\\\\c\\u0001\xc3\xa9\\u00ff\"");
    free(json);
}

static void test_failure_has_error_name_and_null_value(void **state)
{
    (void)state;
    kv_result r = make_result("gone", 0, NULL, 0);
    r.status = KV_ERR_NOT_FOUND;
    r.cas = 0;
    char *json = encode(&r, false);
    assert_contains(json, "\"success\":false,\"error\":\"NotFoundError\"");
    assert_contains(json, "\"value\":null}");
    free(json);
}

static void test_counter_and_mutation_values(void **state)
{
    (void)state;
    kv_result r = make_result("hits", 0, NULL, 0);
    r.op = KV_OP_COUNTER;
    r.counter = 18446744073709551615ULL;
    char *json = encode(&r, false);
    assert_contains(json, "\"value\":18446744073709551615}");
    free(json);

    r.op = KV_OP_UPSERT;
    json = encode(&r, false);
    assert_contains(json, "\"value\":null}");
    free(json);

    /* A server-made counter read back: flags 0, ASCII digits, shown as a JSON number. */
    r = make_result("hits", 0, "42", 2);
    json = encode(&r, true);
    assert_contains(json, "\"format\":\"json\"");
    assert_contains(json, "\"value\":42}");
    free(json);
}

static void test_empty_value(void **state)
{
    (void)state;
    kv_result r = make_result("empty", KV_FLAGS_UTF8, NULL, 0);
    char *json = encode(&r, true);
    assert_contains(json, "\"value\":\"\"}");
    free(json);
}

/* pickle.dumps({"a": 1, "b": [True, None]}, protocol=2) */
static const uint8_t plain_pickle[] = {
    0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x71, 0x01,
    0x4b, 0x01, 0x58, 0x01, 0x00, 0x00, 0x00, 0x62, 0x71, 0x02, 0x5d, 0x71, 0x03, 0x28,
    0x88, 0x4e, 0x65, 0x75, 0x2e};

static void test_pickle_export_is_base64_of_bytes(void **state)
{
    (void)state;
    kv_result r = make_result("pickle::settings", KV_FLAGS_PICKLE, plain_pickle,
                              sizeof plain_pickle);
    char *json = encode(&r, true);
    assert_contains(json, "\"format\":\"pickle\"");
    cJSON *line = cJSON_Parse(json);
    assert_string_equal(field(line, "encoding")->valuestring, "base64");
    const char *b64 = field(line, "value")->valuestring;
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(kv_base64_decode(b64, strlen(b64), &bytes, &len), KV_OK);
    assert_int_equal(len, sizeof plain_pickle);
    assert_memory_equal(bytes, plain_pickle, len);
    free(bytes);
    cJSON_Delete(line);
    free(json);
}

static void test_plain_pickle_display_is_its_data(void **state)
{
    (void)state;
    kv_result r = make_result("pickle::settings", KV_FLAGS_PICKLE, plain_pickle,
                              sizeof plain_pickle);
    char *json = encode(&r, false);
    cJSON *line = cJSON_Parse(json);
    cJSON *value = field(line, "value");
    assert_true(cJSON_IsObject(value));
    assert_int_equal(cJSON_GetObjectItem(value, "a")->valueint, 1);
    assert_true(cJSON_IsTrue(cJSON_GetArrayItem(cJSON_GetObjectItem(value, "b"), 0)));
    assert_null(cJSON_GetObjectItem(line, "encoding"));
    cJSON_Delete(line);
    free(json);
}

/* cos\nsystem\n(S'echo hi'\ntR. : shown inert as a string, never as data. */
static void test_unsafe_pickle_display_is_a_string(void **state)
{
    (void)state;
    const char evil[] = "cos\nsystem\n(S'echo hi'\ntR.";
    kv_result r = make_result("pickle::evil", KV_FLAGS_PICKLE, evil, sizeof evil - 1);
    char *json = encode(&r, false);
    cJSON *line = cJSON_Parse(json);
    cJSON *value = field(line, "value");
    assert_true(cJSON_IsString(value));
    assert_contains(value->valuestring, "system");
    cJSON_Delete(line);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_order_and_metadata),
        cmocka_unit_test(test_json_value_kept_byte_for_byte),
        cmocka_unit_test(test_multiline_json_export_is_base64_display_is_minified),
        cmocka_unit_test(test_json_with_surrounding_space_exports_as_base64),
        cmocka_unit_test(test_invalid_json_flagged_value_becomes_base64),
        cmocka_unit_test(test_utf8_is_escaped_string),
        cmocka_unit_test(test_invalid_utf8_text_becomes_base64),
        cmocka_unit_test(test_bytes_and_unknown_flags_are_base64),
        cmocka_unit_test(test_key_escaping),
        cmocka_unit_test(test_failure_has_error_name_and_null_value),
        cmocka_unit_test(test_counter_and_mutation_values),
        cmocka_unit_test(test_empty_value),
        cmocka_unit_test(test_pickle_export_is_base64_of_bytes),
        cmocka_unit_test(test_plain_pickle_display_is_its_data),
        cmocka_unit_test(test_unsafe_pickle_display_is_a_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

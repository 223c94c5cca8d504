/* Formats and flags (DESIGN.md section 3): flag decoding, auto detection and value encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv.h"

/* A string literal and its length without the NUL, so embedded NULs count. */
#define LIT(s) (s), (sizeof(s) - 1)

typedef struct flags_row {
    uint32_t flags;
    kv_format format;
    bool known;
} flags_row;

/* Python SDK 2.x decoding: the exact top byte when non-zero, else legacy 0/1/2/4, else bytes. */
static const flags_row flag_rows[] = {
    {KV_FLAGS_JSON, KV_FORMAT_JSON, true},
    {KV_FLAGS_UTF8, KV_FORMAT_UTF8, true},
    {KV_FLAGS_BYTES, KV_FORMAT_BYTES, true},
    {KV_FLAGS_PICKLE, KV_FORMAT_PICKLE, true},
    {0x02000000u | 0x1234u, KV_FORMAT_JSON, true},
    {0x01000000u, KV_FORMAT_PICKLE, true},
    {0x03000000u, KV_FORMAT_BYTES, true},
    {0x04000000u, KV_FORMAT_UTF8, true},
    {0, KV_FORMAT_JSON, true},
    {1, KV_FORMAT_PICKLE, true},
    {2, KV_FORMAT_BYTES, true},
    {4, KV_FORMAT_UTF8, true},
    {3, KV_FORMAT_BYTES, false},
    {0x10, KV_FORMAT_BYTES, false},
    {0x12345, KV_FORMAT_BYTES, false},
    {0x05000000u, KV_FORMAT_BYTES, false},
    {0x22000000u, KV_FORMAT_BYTES, false},
    {0xdeadbeefu, KV_FORMAT_BYTES, false},
};

static void format_flags_are_the_python_sdk_values(void **state)
{
    assert_int_equal(kv_format_flags(KV_FORMAT_JSON), 0x02000000u);
    assert_int_equal(kv_format_flags(KV_FORMAT_UTF8), 0x04000004u);
    assert_int_equal(kv_format_flags(KV_FORMAT_BYTES), 0x03000002u);
    assert_int_equal(kv_format_flags(KV_FORMAT_PICKLE), 0x01000001u);
}

static void flags_decode_to_formats_with_legacy_and_unknown_values(void **state)
{
    for (size_t i = 0; i < sizeof flag_rows / sizeof flag_rows[0]; i++) {
        const flags_row *row = &flag_rows[i];
        if (kv_format_of_flags(row->flags) != row->format)
            fail_msg("flags 0x%08x: format %s, want %s", row->flags,
                     kv_format_name(kv_format_of_flags(row->flags)), kv_format_name(row->format));
        if (kv_flags_known(row->flags) != row->known)
            fail_msg("flags 0x%08x: known %d, want %d", row->flags, kv_flags_known(row->flags),
                     row->known);
    }
}

static void format_names_parse_back(void **state)
{
    const kv_format formats[] = {KV_FORMAT_JSON, KV_FORMAT_UTF8, KV_FORMAT_BYTES, KV_FORMAT_PICKLE,
                                 KV_FORMAT_AUTO};
    const char *names[] = {"json", "utf8", "bytes", "pickle", "auto"};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(kv_format_name(formats[i]), names[i]);
        kv_format parsed = KV_FORMAT_AUTO;
        assert_int_equal(kv_format_parse(names[i], &parsed), KV_OK);
        assert_int_equal(parsed, formats[i]);
    }
}

static void unknown_format_name_is_argument_error(void **state)
{
    kv_format parsed;
    assert_int_equal(kv_format_parse("xml", &parsed), KV_ERR_ARGUMENT);
    assert_int_equal(kv_format_parse("", &parsed), KV_ERR_ARGUMENT);
    assert_int_equal(kv_format_parse("jsonx", &parsed), KV_ERR_ARGUMENT);
}

static bool utf8(const char *text, size_t len)
{
    return kv_utf8_valid((const uint8_t *)text, len);
}

static void utf8_validation_rejects_malformed_sequences(void **state)
{
    assert_true(utf8(LIT("")));
    assert_true(utf8(LIT("plain ascii")));
    assert_true(utf8(LIT("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80")));
    assert_false(utf8(LIT("\xff")));
    assert_false(utf8(LIT("\xc0\x80")));         /* overlong NUL */
    assert_false(utf8(LIT("\xe0\x80\xaf")));     /* overlong '/' */
    assert_false(utf8(LIT("\xed\xa0\x80")));     /* UTF-16 surrogate */
    assert_false(utf8(LIT("\xf4\x90\x80\x80"))); /* above U+10FFFF */
    assert_false(utf8(LIT("ok \xe2\x82")));      /* truncated at the end */
    assert_false(utf8(LIT("\x80 stray continuation")));
}

static kv_format detect(const char *text, size_t len)
{
    return kv_format_detect((const uint8_t *)text, len);
}

static void auto_detects_json_then_utf8_then_bytes(void **state)
{
    assert_int_equal(detect(LIT("{\"a\":[1,2]}")), KV_FORMAT_JSON);
    assert_int_equal(detect(LIT(" [1, 2] \n")), KV_FORMAT_JSON);
    assert_int_equal(detect(LIT("42")), KV_FORMAT_JSON);
    assert_int_equal(detect(LIT("\"quoted\"")), KV_FORMAT_JSON);
    assert_int_equal(detect(LIT("true")), KV_FORMAT_JSON);
    assert_int_equal(detect(LIT("null")), KV_FORMAT_JSON);
    assert_int_equal(detect(LIT("hello world")), KV_FORMAT_UTF8);
    assert_int_equal(detect(LIT("{\"a\":1")), KV_FORMAT_UTF8);
    assert_int_equal(detect(LIT("caf\xc3\xa9")), KV_FORMAT_UTF8);
    assert_int_equal(detect(LIT("\xff\xfe\x00\x01")), KV_FORMAT_BYTES);
    assert_int_equal(detect(LIT("{\"a\":\"\xff\"}")), KV_FORMAT_BYTES);
}

typedef struct encoded {
    kv_status status;
    uint8_t *bytes;
    size_t len;
    uint32_t flags;
    char error[200];
} encoded;

static encoded encode(kv_format format, const void *in, size_t len)
{
    encoded out = {.flags = 0xfeedf00d};
    out.status = kv_value_encode(format, in, len, &out.bytes, &out.len, &out.flags, out.error,
                                 sizeof out.error);
    return out;
}

static void encoded_free(encoded *out)
{
    free(out->bytes);
    out->bytes = NULL;
}

static void assert_stored_as_given(kv_format format, const char *in, size_t len, uint32_t flags)
{
    encoded out = encode(format, in, len);
    assert_int_equal(out.status, KV_OK);
    assert_int_equal(out.flags, flags);
    assert_int_equal(out.len, len);
    if (len > 0)
        assert_memory_equal(out.bytes, in, len);
    encoded_free(&out);
}

static void json_is_validated_and_stored_exactly_as_given(void **state)
{
    const char *text = "{ \"b\" : 1e400,\n  \"a\": 0.1, \"big\": 123456789012345678901 }";
    assert_stored_as_given(KV_FORMAT_JSON, text, strlen(text), KV_FLAGS_JSON);
}

/* The message must point at the problem: offset 37 is the stray '}' (column 38, line 1). */
static void invalid_json_is_value_format_error_naming_the_position(void **state)
{
    const char *text = "{\"name\":\"kvtui\",\"tags\":[\"a\",\"b\"],\"x\":}";
    encoded out = encode(KV_FORMAT_JSON, text, strlen(text));
    assert_int_equal(out.status, KV_ERR_VALUE_FORMAT);
    assert_true(strlen(out.error) > 0);
    if (!strstr(out.error, "37") && !strstr(out.error, "38"))
        fail_msg("error message has no position: %s", out.error);
    encoded_free(&out);
}

static void empty_value_is_not_json(void **state)
{
    encoded out = encode(KV_FORMAT_JSON, LIT(""));
    assert_int_equal(out.status, KV_ERR_VALUE_FORMAT);
    encoded_free(&out);
}

static void utf8_is_validated_and_stored_as_given(void **state)
{
    assert_stored_as_given(KV_FORMAT_UTF8, LIT("na\xc3\xafve text"), KV_FLAGS_UTF8);
    encoded out = encode(KV_FORMAT_UTF8, LIT("bad \xc3\x28"));
    assert_int_equal(out.status, KV_ERR_VALUE_FORMAT);
    assert_true(strlen(out.error) > 0);
    encoded_free(&out);
}

static void bytes_are_kept_byte_for_byte(void **state)
{
    assert_stored_as_given(KV_FORMAT_BYTES, LIT("\x00\xff\x10{"), KV_FLAGS_BYTES);
    assert_stored_as_given(KV_FORMAT_BYTES, LIT(""), KV_FLAGS_BYTES);
}

static void auto_encodes_by_detection(void **state)
{
    assert_stored_as_given(KV_FORMAT_AUTO, LIT("{\"a\": 1}"), KV_FLAGS_JSON);
    assert_stored_as_given(KV_FORMAT_AUTO, LIT("just text"), KV_FLAGS_UTF8);
    assert_stored_as_given(KV_FORMAT_AUTO, LIT("\x80\x02K\x01."), KV_FLAGS_BYTES);
}

static void pickle_is_made_from_json_as_protocol_2(void **state)
{
    const char *json = "{\"n\": [1, 2.5, true, null], \"s\": \"x\"}";
    encoded out = encode(KV_FORMAT_PICKLE, json, strlen(json));
    assert_int_equal(out.status, KV_OK);
    assert_int_equal(out.flags, KV_FLAGS_PICKLE);
    assert_true(out.len > 3);
    assert_int_equal(out.bytes[0], 0x80); /* PROTO */
    assert_int_equal(out.bytes[1], 2);
    assert_int_equal(out.bytes[out.len - 1], '.'); /* STOP */
    kv_pickle_view view;
    memset(&view, 0, sizeof view);
    char error[200] = "";
    assert_int_equal(kv_pickle_decode(out.bytes, out.len, &view, error, sizeof error), KV_OK);
    assert_true(view.plain);
    assert_false(view.unsafe);
    assert_non_null(view.json);
    assert_non_null(strstr(view.json, "2.5"));
    assert_non_null(strstr(view.json, "\"s\""));
    kv_pickle_view_free(&view);
    encoded_free(&out);
}

static void pickle_from_invalid_json_is_value_format_error(void **state)
{
    encoded out = encode(KV_FORMAT_PICKLE, LIT("{not json"));
    assert_int_equal(out.status, KV_ERR_VALUE_FORMAT);
    encoded_free(&out);
}

static void value_over_the_limit_is_too_big(void **state)
{
    size_t len = KV_VALUE_MAX + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, 'a', len);
    encoded out = encode(KV_FORMAT_BYTES, big, len);
    assert_int_equal(out.status, KV_ERR_TOO_BIG);
    encoded_free(&out);
    out = encode(KV_FORMAT_BYTES, big, KV_VALUE_MAX);
    assert_int_equal(out.status, KV_OK);
    assert_int_equal(out.len, KV_VALUE_MAX);
    encoded_free(&out);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format_flags_are_the_python_sdk_values),
        cmocka_unit_test(flags_decode_to_formats_with_legacy_and_unknown_values),
        cmocka_unit_test(format_names_parse_back),
        cmocka_unit_test(unknown_format_name_is_argument_error),
        cmocka_unit_test(utf8_validation_rejects_malformed_sequences),
        cmocka_unit_test(auto_detects_json_then_utf8_then_bytes),
        cmocka_unit_test(json_is_validated_and_stored_exactly_as_given),
        cmocka_unit_test(invalid_json_is_value_format_error_naming_the_position),
        cmocka_unit_test(empty_value_is_not_json),
        cmocka_unit_test(utf8_is_validated_and_stored_as_given),
        cmocka_unit_test(bytes_are_kept_byte_for_byte),
        cmocka_unit_test(auto_encodes_by_detection),
        cmocka_unit_test(pickle_is_made_from_json_as_protocol_2),
        cmocka_unit_test(pickle_from_invalid_json_is_value_format_error),
        cmocka_unit_test(value_over_the_limit_is_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* What the editors edit for each format and what a save stores: JSON as stored (byte for byte),
 * text as text, bytes as hex, a plain pickle as JSON (saved back as a pickle), a pickle with code
 * refused; invalid input is refused with its line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edit_text.h"

typedef struct edit_form_case {
    char *text;
    size_t len;
    ui_edit_form form;
} edit_form_case;

static edit_form_case text_of(const void *value, size_t len, uint32_t flags, kv_status want)
{
    edit_form_case c = {0};
    char errbuf[200];
    kv_status status =
        ui_edit_text_of(value, len, flags, &c.text, &c.len, &c.form, errbuf, sizeof errbuf);
    if (status != want)
        fail_msg("status %s (%s), want %s", kv_status_name(status), errbuf, kv_status_name(want));
    return c;
}

static void json_is_edited_as_stored(void **state)
{
    const char *stored = "{\"n\": 12345678901234567890,\n \"x\": 0.10, \"s\": \"\\u00e9\"}";
    edit_form_case c = text_of(stored, strlen(stored), KV_FLAGS_JSON, KV_OK);
    assert_int_equal(c.form, UI_EDIT_JSON);
    assert_string_equal(c.text, stored);
    uint8_t *out;
    size_t out_len;
    unsigned line, column;
    char errbuf[200];
    assert_int_equal(ui_edit_bytes_of(c.form, c.text, c.len, &out, &out_len, &line, &column, errbuf,
                                      sizeof errbuf),
                     KV_OK);
    assert_int_equal(out_len, strlen(stored));
    assert_memory_equal(out, stored, out_len);
    free(out);
    free(c.text);
    c = text_of("7", 1, 0, KV_OK); /* legacy flags 0: a counter, JSON */
    assert_int_equal(c.form, UI_EDIT_JSON);
    free(c.text);
}

static void invalid_json_names_line_and_column(void **state)
{
    const char *text = "{\n  \"v\": 1,,\n}";
    uint8_t *out = NULL;
    size_t out_len;
    unsigned line, column;
    char errbuf[200];
    assert_int_equal(ui_edit_bytes_of(UI_EDIT_JSON, text, strlen(text), &out, &out_len, &line,
                                      &column, errbuf, sizeof errbuf),
                     KV_ERR_VALUE_FORMAT);
    assert_int_equal(line, 2);
    assert_int_equal(column, 10); /* the second comma */
    assert_non_null(strstr(errbuf, "invalid JSON at line 2, column 10: "));
    assert_null(out);
}

static void text_is_text_and_must_stay_utf8(void **state)
{
    edit_form_case c = text_of("h\xc3\xa9llo", 6, KV_FLAGS_UTF8, KV_OK);
    assert_int_equal(c.form, UI_EDIT_TEXT);
    assert_string_equal(c.text, "h\xc3\xa9llo");
    free(c.text);
    c = text_of("\xff\xfe", 2, KV_FLAGS_UTF8, KV_OK); /* flagged utf8 but is not: hex */
    assert_int_equal(c.form, UI_EDIT_HEX);
    free(c.text);
    uint8_t *out = NULL;
    size_t out_len;
    unsigned line, column;
    char errbuf[200];
    assert_int_equal(ui_edit_bytes_of(UI_EDIT_TEXT, "\xff", 1, &out, &out_len, &line, &column,
                                      errbuf, sizeof errbuf),
                     KV_ERR_VALUE_FORMAT);
}

static void bytes_are_hex_sixteen_a_line(void **state)
{
    uint8_t value[18];
    for (size_t i = 0; i < sizeof value; i++)
        value[i] = (uint8_t)(i * 15);
    edit_form_case c = text_of(value, sizeof value, KV_FLAGS_BYTES, KV_OK);
    assert_int_equal(c.form, UI_EDIT_HEX);
    assert_string_equal(c.text, "00 0f 1e 2d 3c 4b 5a 69 78 87 96 a5 b4 c3 d2 e1\nf0 ff\n");
    free(c.text);
}

static void hex_allows_any_spacing_and_refuses_the_rest(void **state)
{
    uint8_t *out = NULL;
    size_t out_len;
    unsigned line, column;
    char errbuf[200];
    const char *spaced = "41 42\n\n  00FF\t0a";
    assert_int_equal(ui_edit_bytes_of(UI_EDIT_HEX, spaced, strlen(spaced), &out, &out_len, &line,
                                      &column, errbuf, sizeof errbuf),
                     KV_OK);
    assert_int_equal(out_len, 5);
    assert_memory_equal(out, "AB\x00\xff\n", 5);
    free(out);
    const char *bad = "41 42\n43 zz";
    assert_int_equal(ui_edit_bytes_of(UI_EDIT_HEX, bad, strlen(bad), &out, &out_len, &line, &column,
                                      errbuf, sizeof errbuf),
                     KV_ERR_VALUE_FORMAT);
    assert_int_equal(line, 2);
    assert_int_equal(column, 4);
    assert_non_null(strstr(errbuf, "invalid hex at line 2, column 4"));
    assert_int_equal(ui_edit_bytes_of(UI_EDIT_HEX, "414", 3, &out, &out_len, &line, &column, errbuf,
                                      sizeof errbuf),
                     KV_ERR_VALUE_FORMAT);
}

static void a_plain_pickle_is_edited_as_json_and_saved_as_a_pickle(void **state)
{
    const char *json = "{\"theme\": \"dark\", \"n\": [1, 2]}";
    uint8_t *pickle;
    size_t pickle_len;
    char errbuf[200];
    assert_int_equal(
        kv_pickle_encode_json(json, strlen(json), &pickle, &pickle_len, errbuf, sizeof errbuf),
        KV_OK);
    edit_form_case c = text_of(pickle, pickle_len, KV_FLAGS_PICKLE, KV_OK);
    assert_int_equal(c.form, UI_EDIT_PICKLE_JSON);
    assert_non_null(strstr(c.text, "\"theme\": \"dark\""));
    uint8_t *out;
    size_t out_len;
    unsigned line, column;
    assert_int_equal(ui_edit_bytes_of(c.form, c.text, c.len, &out, &out_len, &line, &column, errbuf,
                                      sizeof errbuf),
                     KV_OK);
    assert_int_equal(out[0], 0x80); /* PROTO: a pickle, not JSON text */
    edit_form_case back = text_of(out, out_len, KV_FLAGS_PICKLE, KV_OK);
    assert_string_equal(back.text, c.text);
    free(back.text);
    free(out);
    free(c.text);
    free(pickle);
}

static void a_pickle_with_code_is_read_only(void **state)
{
    /* protocol 2: GLOBAL os.system, the argument, TUPLE1, REDUCE, STOP (never run) */
    static const char evil[] = "\x80\x02"
                               "cos\nsystem\n"
                               "X\x02\x00\x00\x00id"
                               "\x85R.";
    edit_form_case c = text_of(evil, sizeof evil - 1, KV_FLAGS_PICKLE, KV_ERR_NOT_SUPPORTED);
    assert_null(c.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_is_edited_as_stored),
        cmocka_unit_test(invalid_json_names_line_and_column),
        cmocka_unit_test(text_is_text_and_must_stay_utf8),
        cmocka_unit_test(bytes_are_hex_sixteen_a_line),
        cmocka_unit_test(hex_allows_any_spacing_and_refuses_the_rest),
        cmocka_unit_test(a_plain_pickle_is_edited_as_json_and_saved_as_a_pickle),
        cmocka_unit_test(a_pickle_with_code_is_read_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Lossless JSON: lexemes survive formatting, errors say where, depth is capped, trees keep
 * numbers as raw text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv.h"

static char *format_ok(const char *text, unsigned indent)
{
    char *out = NULL;
    size_t out_len = 0;
    kv_json_error error;
    kv_status status = kv_json_format(text, strlen(text), indent, &out, &out_len, &error);
    if (status != KV_OK)
        fail_msg("format failed at %u:%u: %s", error.line, error.column, error.message);
    assert_int_equal(strlen(out), out_len);
    return out;
}

static kv_json_error error_of(const char *text)
{
    kv_json_error error;
    memset(&error, 0, sizeof error);
    assert_false(kv_json_valid(text, strlen(text), &error));
    return error;
}

static void assert_error_contains(const char *text, const char *expected)
{
    kv_json_error error = error_of(text);
    if (!strstr(error.message, expected))
        fail_msg("for %s: got \"%s\", expected \"%s\"", text, error.message, expected);
}

static void test_numbers_keep_their_text(void **state)
{
    const char *text = "[1e400, 0.1, 12345678901234567890123, -0, 1E-7, 2.50]";
    char *minified = format_ok(text, 0);
    assert_string_equal(minified, "[1e400,0.1,12345678901234567890123,-0,1E-7,2.50]");
    char *pretty = format_ok(text, 2);
    assert_string_equal(pretty, "[\n  1e400,\n  0.1,\n  12345678901234567890123,\n  -0,\n"
                                "  1E-7,\n  2.50\n]");
    free(minified);
    free(pretty);
}

static void test_escapes_and_key_order_kept(void **state)
{
    const char *text = "{ \"z\": \"\\u00e9\\/\\n\", \"a\": 1, \"m\": \"\\uD83D\\uDE00\" }";
    char *minified = format_ok(text, 0);
    assert_string_equal(minified, "{\"z\":\"\\u00e9\\/\\n\",\"a\":1,\"m\":\"\\uD83D\\uDE00\"}");
    char *pretty = format_ok(text, 4);
    assert_string_equal(pretty, "{\n    \"z\": \"\\u00e9\\/\\n\",\n    \"a\": 1,\n"
                                "    \"m\": \"\\uD83D\\uDE00\"\n}");
    free(minified);
    free(pretty);
}

static void test_empty_containers_stay_compact(void **state)
{
    char *pretty = format_ok("{\"a\":{},\"b\":[ ],\"c\":[{}]}", 2);
    assert_string_equal(pretty, "{\n  \"a\": {},\n  \"b\": [],\n  \"c\": [\n    {}\n  ]\n}");
    free(pretty);
}

static void test_pretty_minify_round_trip(void **state)
{
    const char *compact = "{\"k\":[1,{\"x\":null,\"y\":[true,false]},\"s p a c e\"],\"e\":{}}";
    char *pretty = format_ok(compact, 2);
    assert_string_not_equal(pretty, compact);
    char *back = format_ok(pretty, 0);
    assert_string_equal(back, compact);
    char *again = format_ok(compact, 0);
    assert_memory_equal(again, compact, strlen(compact) + 1);
    char *pretty_again = format_ok(back, 2);
    assert_string_equal(pretty_again, pretty);
    free(pretty);
    free(back);
    free(again);
    free(pretty_again);
}

static void test_minify_strips_whitespace_outside_strings(void **state)
{
    char *minified = format_ok(" \r\n\t{ \"a b\" :\t[ 1 ,\n 2 ] }\n", 0);
    assert_string_equal(minified, "{\"a b\":[1,2]}");
    free(minified);
}

static void test_error_line_and_column(void **state)
{
    kv_json_error error = error_of("[\n  1,\n  2 3\n]");
    assert_int_equal(error.line, 3);
    assert_int_equal(error.column, 5);
    assert_int_equal(error.offset, 11);
    assert_non_null(strstr(error.message, "expected ',' or ']' after array element"));

    error = error_of("{\"a\": 1\r\n,\n\n    \"b\" x}");
    assert_int_equal(error.line, 4);
    assert_int_equal(error.column, 9);
    assert_non_null(strstr(error.message, "expected ':' after object key"));
}

static void test_format_reports_errors(void **state)
{
    char *out = (char *)1;
    size_t out_len = 7;
    kv_json_error error;
    kv_status status = kv_json_format("{\"a\":1,}", 8, 2, &out, &out_len, &error);
    assert_int_equal(status, KV_ERR_VALUE_FORMAT);
    assert_null(out);
    assert_int_equal(error.column, 8);
    assert_non_null(strstr(error.message, "trailing comma"));
}

static void test_strictness(void **state)
{
    assert_error_contains("{\"a\":1,}", "trailing comma before '}'");
    assert_error_contains("[1,]", "trailing comma before ']'");
    assert_error_contains("{\"a\":1 \"b\":2}", "expected ',' or '}' after object member");
    assert_error_contains("\"\\q\"", "invalid escape \\q");
    assert_error_contains("\"\\u12G4\"", "\\u escape needs 4 hex digits");
    assert_error_contains("[1, 2", "unexpected end of input");
    assert_error_contains("", "unexpected end of input");
    assert_error_contains("  \n ", "unexpected end of input");
    assert_error_contains("[01]", "leading zeros");
    assert_error_contains("[1.]", "digit after '.'");
    assert_error_contains("[.5]", "expected a value");
    assert_error_contains("[1e]", "exponent");
    assert_error_contains("[NaN]", "expected a value");
    assert_error_contains("[+1]", "expected a value");
    assert_error_contains("[tru]", "invalid literal");
    assert_error_contains("[1] // c", "unexpected data after the JSON value");
    assert_error_contains("/* c */ 1", "expected a value");
    assert_error_contains("[1]\f", "unexpected data after the JSON value");
    assert_error_contains("{1:2}", "expected a string key or '}'");
    assert_error_contains("[\"a\tb\"]", "control character");
    assert_error_contains("[\"\xc0\xaf\"]", "invalid UTF-8");         /* overlong '/' */
    assert_error_contains("[\"\xed\xa0\x80\"]", "invalid UTF-8");     /* U+D800 in UTF-8 */
    assert_error_contains("[\"\xf4\x90\x80\x80\"]", "invalid UTF-8"); /* > U+10FFFF */
    assert_error_contains("[\"\xe2\x82\"]", "invalid UTF-8");         /* truncated */
    assert_error_contains("\xef\xbb\xbf{}", "expected a value");      /* no BOM */
}

static void test_accepts_what_rfc_allows(void **state)
{
    const char *valid[] = {
        "0", "-0.0e+0", "\"\"", "null", " true ", "{}", "[]", "\"\\uD800\"",
        "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]", "{\"a\":{\"a\":1},\"a\":2}",
        "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\"", "1E+2", "[-1.5e-3]",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        kv_json_error error;
        if (!kv_json_valid(valid[i], strlen(valid[i]), &error))
            fail_msg("%s rejected: %s", valid[i], error.message);
    }
}

static void test_length_is_respected(void **state)
{
    const char buffer[] = "[1]garbage";
    assert_true(kv_json_valid(buffer, 3, NULL));
    assert_false(kv_json_valid(buffer, 2, NULL));
    assert_true(kv_json_valid("12", 1, NULL));
    assert_false(kv_json_valid("\"ab\"", 3, NULL));
}

static void test_tokens(void **state)
{
    const char *text = "{\"a\": [1, \"s\"]}";
    const struct {
        kv_json_token_kind kind;
        size_t offset, length;
        unsigned depth;
    } expected[] = {
        {KV_JSON_OBJECT_OPEN, 0, 1, 0}, {KV_JSON_KEY, 1, 3, 1},   {KV_JSON_COLON, 4, 1, 1},
        {KV_JSON_ARRAY_OPEN, 6, 1, 1},  {KV_JSON_NUMBER, 7, 1, 2}, {KV_JSON_COMMA, 8, 1, 2},
        {KV_JSON_STRING, 10, 3, 2},     {KV_JSON_ARRAY_CLOSE, 13, 1, 1},
        {KV_JSON_OBJECT_CLOSE, 14, 1, 0},
    };
    kv_json_lexer lexer;
    kv_json_token token;
    kv_json_lexer_init(&lexer, text, strlen(text));
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        assert_int_equal(kv_json_lexer_next(&lexer, &token), 1);
        assert_int_equal(token.kind, expected[i].kind);
        assert_int_equal(token.offset, expected[i].offset);
        assert_int_equal(token.length, expected[i].length);
        assert_int_equal(token.depth, expected[i].depth);
    }
    assert_int_equal(kv_json_lexer_next(&lexer, &token), 0);
    assert_int_equal(kv_json_lexer_next(&lexer, &token), 0);
}

static char *nested_arrays(size_t depth)
{
    char *text = malloc(2 * depth + 1);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = '\0';
    return text;
}

static void test_depth_limit(void **state)
{
    char *deepest = nested_arrays(KV_JSON_MAX_DEPTH);
    assert_true(kv_json_valid(deepest, strlen(deepest), NULL));
    cJSON *tree = kv_json_parse_tree(deepest, strlen(deepest), NULL);
    assert_non_null(tree);
    cJSON_Delete(tree);

    char *too_deep = nested_arrays(KV_JSON_MAX_DEPTH + 1);
    kv_json_error error = error_of(too_deep);
    assert_non_null(strstr(error.message, "nesting deeper than 10000 levels"));
    assert_int_equal(error.offset, KV_JSON_MAX_DEPTH);
    assert_null(kv_json_parse_tree(too_deep, strlen(too_deep), NULL));
    free(deepest);
    free(too_deep);

    char *huge = malloc(1000001);
    memset(huge, '{', 1000000);
    huge[1000000] = '\0';
    assert_false(kv_json_valid(huge, 1000000, NULL));
    free(huge);
}

static void test_tree_numbers_are_raw(void **state)
{
    const char *text = "{\"big\":12345678901234567890123,\"f\":0.1,\"e\":1e400,\"n\":-0}";
    kv_json_error error;
    cJSON *tree = kv_json_parse_tree(text, strlen(text), &error);
    assert_non_null(tree);
    cJSON *big = cJSON_GetObjectItemCaseSensitive(tree, "big");
    assert_true(cJSON_IsRaw(big));
    assert_string_equal(big->valuestring, "12345678901234567890123");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(tree, "e")->valuestring, "1e400");
    char *printed = cJSON_PrintUnformatted(tree);
    assert_string_equal(printed, text);
    free(printed);
    cJSON_Delete(tree);
}

static void test_tree_strings_decoded_keys_in_order(void **state)
{
    const char *text = "{\"z\":\"\\u00e9\\n\\\"\",\"a\":\"\\ud83d\\ude00\",\"z\":[true,null],"
                       "\"k\\u0041\":\"\\uD800x\"}";
    cJSON *tree = kv_json_parse_tree(text, strlen(text), NULL);
    assert_non_null(tree);
    cJSON *item = tree->child;
    assert_string_equal(item->string, "z");
    assert_string_equal(item->valuestring, "\xc3\xa9\n\"");
    item = item->next;
    assert_string_equal(item->string, "a");
    assert_string_equal(item->valuestring, "\xf0\x9f\x98\x80");
    item = item->next;
    assert_string_equal(item->string, "z");
    assert_true(cJSON_IsArray(item));
    assert_int_equal(cJSON_GetArraySize(item), 2);
    item = item->next;
    assert_string_equal(item->string, "kA");
    assert_string_equal(item->valuestring, "\xef\xbf\xbdx"); /* lone surrogate -> U+FFFD */
    assert_null(item->next);
    cJSON_Delete(tree);
}

static void test_tree_scalars_and_errors(void **state)
{
    cJSON *tree = kv_json_parse_tree(" \"top\" ", 7, NULL);
    assert_true(cJSON_IsString(tree));
    assert_string_equal(tree->valuestring, "top");
    cJSON_Delete(tree);

    kv_json_error error;
    assert_null(kv_json_parse_tree("{\"a\":[1,2}", 10, &error));
    assert_int_equal(error.column, 10);
    assert_non_null(strstr(error.message, "expected ',' or ']'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_keep_their_text),
        cmocka_unit_test(test_escapes_and_key_order_kept),
        cmocka_unit_test(test_empty_containers_stay_compact),
        cmocka_unit_test(test_pretty_minify_round_trip),
        cmocka_unit_test(test_minify_strips_whitespace_outside_strings),
        cmocka_unit_test(test_error_line_and_column),
        cmocka_unit_test(test_format_reports_errors),
        cmocka_unit_test(test_strictness),
        cmocka_unit_test(test_accepts_what_rfc_allows),
        cmocka_unit_test(test_length_is_respected),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_tree_numbers_are_raw),
        cmocka_unit_test(test_tree_strings_decoded_keys_in_order),
        cmocka_unit_test(test_tree_scalars_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Small utilities: base64 (RFC 4648), key globs and CAS parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv.h"

/* RFC 4648 section 10 test vectors. */
static const char *const rfc_plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const rfc_base64[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                         "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

static void base64_encodes_the_rfc_4648_vectors(void **state)
{
    for (size_t i = 0; i < 7; i++) {
        size_t len = 99;
        char *text = kv_base64_encode((const uint8_t *)rfc_plain[i], strlen(rfc_plain[i]), &len);
        assert_non_null(text);
        assert_string_equal(text, rfc_base64[i]);
        assert_int_equal(len, strlen(rfc_base64[i]));
        free(text);
    }
}

static void base64_decodes_the_rfc_4648_vectors(void **state)
{
    for (size_t i = 0; i < 7; i++) {
        uint8_t *data = NULL;
        size_t len = 99;
        assert_int_equal(kv_base64_decode(rfc_base64[i], strlen(rfc_base64[i]), &data, &len),
                         KV_OK);
        assert_int_equal(len, strlen(rfc_plain[i]));
        if (len > 0)
            assert_memory_equal(data, rfc_plain[i], len);
        free(data);
    }
}

static void base64_round_trips_every_byte_value(void **state)
{
    uint8_t all[256 * 3 + 1];
    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (uint8_t)(i * 7);
    size_t text_len = 0;
    char *text = kv_base64_encode(all, sizeof all, &text_len);
    assert_int_equal(text_len, (sizeof all + 2) / 3 * 4);
    assert_non_null(strchr(text, '+'));
    assert_non_null(strchr(text, '/'));
    uint8_t *back = NULL;
    size_t back_len = 0;
    assert_int_equal(kv_base64_decode(text, text_len, &back, &back_len), KV_OK);
    assert_int_equal(back_len, sizeof all);
    assert_memory_equal(back, all, sizeof all);
    free(back);
    free(text);
}

static void base64_rejects_malformed_text(void **state)
{
    const char *bad[] = {"Zg=", "Z", "Zm9", "Z!==", "Zm9v\xff", "Zg==Zg==x", "=Zg=", "Zm-_"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        kv_status status = kv_base64_decode(bad[i], strlen(bad[i]), &data, &len);
        if (status != KV_ERR_VALUE_FORMAT)
            fail_msg("\"%s\" decoded with %s", bad[i], kv_status_name(status));
        free(data);
    }
}

static bool glob(const char *pattern, const char *text)
{
    return kv_glob_match(pattern, text, strlen(text), false, false);
}

static void glob_star_matches_any_run(void **state)
{
    assert_true(glob("*", ""));
    assert_true(glob("*", "anything at all"));
    assert_true(glob("user:*", "user:"));
    assert_true(glob("user:*", "user:42"));
    assert_false(glob("user:*", "xuser:42"));
    assert_true(glob("*:42", "user:42"));
    assert_false(glob("*:42", "user:421"));
    assert_true(glob("a*b*c", "aXXbYYc"));
    assert_false(glob("a*b*c", "aXXcYYb"));
    assert_true(glob("**", "x"));
}

static void glob_question_mark_matches_one_byte(void **state)
{
    assert_true(glob("a?c", "abc"));
    assert_false(glob("a?c", "ac"));
    assert_false(glob("a?c", "abbc"));
    assert_true(glob("???", "xyz"));
    assert_false(glob("???", "xy"));
    assert_true(glob("k?y*", "key:1"));
}

static void glob_without_wildcards_is_exact_or_substring(void **state)
{
    assert_true(kv_glob_match("user", "user", 4, false, false));
    assert_false(kv_glob_match("ser", "user:1", 6, false, false));
    assert_true(kv_glob_match("ser", "user:1", 6, true, false));
    assert_true(kv_glob_match(":1", "user:1", 6, true, false));
    assert_false(kv_glob_match("xyz", "user:1", 6, true, false));
    assert_true(kv_glob_match("", "user:1", 6, true, false));
}

static void glob_case_insensitive_folds_ascii(void **state)
{
    assert_false(kv_glob_match("USER:*", "user:1", 6, false, false));
    assert_true(kv_glob_match("USER:*", "user:1", 6, false, true));
    assert_true(kv_glob_match("SeR", "user:1", 6, true, true));
    assert_false(kv_glob_match("SeR", "user:1", 6, true, false));
}

static void glob_uses_text_length_not_nul(void **state)
{
    const char text[] = "abc\0def";
    assert_true(kv_glob_match("abc", "abcdef", 3, false, false));
    assert_false(kv_glob_match("abcd", "abcdef", 3, false, false));
    assert_true(kv_glob_match("abc?def", text, 7, false, false));
    assert_true(kv_glob_match("*def", text, 7, false, false));
}

/* A filter typed into the UI must not take exponential time on an unlucky key. */
static void glob_with_many_stars_stays_fast(void **state)
{
    char text[4001];
    memset(text, 'a', 4000);
    text[4000] = '\0';
    assert_false(glob("*a*a*a*a*a*a*a*a*b", text));
    text[3999] = 'b';
    assert_true(glob("*a*a*a*a*a*a*a*a*b", text));
}

static void glob_detects_wildcards(void **state)
{
    assert_true(kv_glob_has_wildcards("a*"));
    assert_true(kv_glob_has_wildcards("?"));
    assert_false(kv_glob_has_wildcards("plain:key"));
    assert_false(kv_glob_has_wildcards(""));
}

static kv_status cas(const char *text, uint64_t *out)
{
    *out = 777;
    return kv_cas_parse(text, out);
}

/* The prepared matcher the TUI filters with gives kv_glob_match's answer for every mode. */
static void prepared_matcher_agrees_with_glob_match(void **state)
{
    (void)state;
    static const char *const patterns[] = {"", "user", "USER::1", "::", "%", "u*1", "?ser*",
                                           "Order::10", "r::1", "x"};
    static const char *const keys[] = {"user::1", "User::12", "order::100", "Order::1001",
                                       "", "a:b", "USER::1", "%"};
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++)
        for (int mode = 0; mode < 4; mode++) {
            bool substring = mode & 1, ci = mode & 2;
            kv_key_matcher m;
            kv_key_matcher_init(&m, patterns[p], substring, ci);
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                size_t len = strlen(keys[k]);
                bool want = kv_glob_match(patterns[p], keys[k], len, substring, ci);
                if (kv_key_matcher_match(&m, keys[k], len) != want)
                    fail_msg("'%s' on '%s' (substring %d, ci %d): want %d", patterns[p], keys[k],
                             substring, ci, want);
            }
        }
}

static void cas_parses_hex_and_decimal(void **state)
{
    uint64_t value;
    assert_int_equal(cas("0x1a2b", &value), KV_OK);
    assert_int_equal(value, 0x1a2b);
    assert_int_equal(cas("0xDEADbeef", &value), KV_OK);
    assert_int_equal(value, 0xdeadbeef);
    assert_int_equal(cas("0xffffffffffffffff", &value), KV_OK);
    assert_true(value == UINT64_MAX);
    assert_int_equal(cas("12345", &value), KV_OK);
    assert_int_equal(value, 12345);
    assert_int_equal(cas("18446744073709551615", &value), KV_OK);
    assert_true(value == UINT64_MAX);
    assert_int_equal(cas("0", &value), KV_OK);
    assert_int_equal(value, 0);
}

static void cas_rejects_garbage_signs_and_overflow(void **state)
{
    const char *bad[] = {"",
                         "0x",
                         "abc",
                         "12abc",
                         "0x12g",
                         "-1",
                         "+1",
                         " 12",
                         "12 ",
                         "1.5",
                         "0x-1",
                         "18446744073709551616",
                         "0x10000000000000000",
                         "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t value;
        kv_status status = cas(bad[i], &value);
        if (status != KV_ERR_ARGUMENT)
            fail_msg("\"%s\" parsed with %s (%llu)", bad[i], kv_status_name(status),
                     (unsigned long long)value);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base64_encodes_the_rfc_4648_vectors),
        cmocka_unit_test(base64_decodes_the_rfc_4648_vectors),
        cmocka_unit_test(base64_round_trips_every_byte_value),
        cmocka_unit_test(base64_rejects_malformed_text),
        cmocka_unit_test(glob_star_matches_any_run),
        cmocka_unit_test(glob_question_mark_matches_one_byte),
        cmocka_unit_test(glob_without_wildcards_is_exact_or_substring),
        cmocka_unit_test(glob_case_insensitive_folds_ascii),
        cmocka_unit_test(glob_uses_text_length_not_nul),
        cmocka_unit_test(glob_with_many_stars_stays_fast),
        cmocka_unit_test(glob_detects_wildcards),
        cmocka_unit_test(prepared_matcher_agrees_with_glob_match),
        cmocka_unit_test(cas_parses_hex_and_decimal),
        cmocka_unit_test(cas_rejects_garbage_signs_and_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

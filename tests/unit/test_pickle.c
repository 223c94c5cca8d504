/* Pickle decoder and encoder against fixtures written by CPython (tests/data/make_pickles.py):
 * plain data at every protocol, code-like pickles that must stay inert, hostile limits, and
 * the encoder's bytes compared with pickle.dumps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kv.h"

#define CANARY "/tmp/kvtui_pickle_canary"

static uint8_t *read_fixture(const char *name, size_t *len)
{
    const char *root = getenv("KV_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/pickle/%s", root ? root : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc((size_t)n + 1);
    assert_non_null(data);
    *len = fread(data, 1, (size_t)n, f);
    data[*len] = '\0';
    fclose(f);
    return data;
}

/* Numbers are raw text (kv_json_parse_tree): integers must match digit for digit, floats
 * by value ("1e+300" and "1e300" are the same number). */
static bool numbers_equal(const char *a, const char *b)
{
    bool a_float = strpbrk(a, ".eE") != NULL, b_float = strpbrk(b, ".eE") != NULL;
    if (a_float != b_float)
        return false;
    return a_float ? strtod(a, NULL) == strtod(b, NULL) : strcmp(a, b) == 0;
}

static bool json_equal(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xff) != (b->type & 0xff))
        return false;
    if (cJSON_IsRaw(a))
        return numbers_equal(a->valuestring, b->valuestring);
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (!cJSON_IsArray(a) && !cJSON_IsObject(a))
        return true;
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next) {
        if (cJSON_IsObject(a) && strcmp(x->string, y->string) != 0)
            return false;
        if (!json_equal(x, y))
            return false;
    }
    return !x && !y;
}

/* Parses both texts and compares structures, numbers exactly (see numbers_equal). */
static void assert_json_same(const char *got, const char *expected, const char *what)
{
    if (got && !kv_json_valid(got, strlen(got), NULL))
        fail_msg("%s: not valid JSON:\n%.2000s", what, got);
    cJSON *a = got ? kv_json_parse_tree(got, strlen(got), NULL) : NULL;
    cJSON *b = kv_json_parse_tree(expected, strlen(expected), NULL);
    if (!a || !b || !json_equal(a, b))
        fail_msg("%s: JSON differs\n--- got:\n%.2000s\n--- expected:\n%.2000s", what,
                 got ? got : "(null)", expected);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static kv_status decode_fixture(const char *name, kv_pickle_view *view, char *err, size_t errlen)
{
    size_t len;
    uint8_t *data = read_fixture(name, &len);
    kv_status status = kv_pickle_decode(data, len, view, err, errlen);
    free(data);
    return status;
}

static void assert_decodes_to(const char *pickle_name, const char *json_name)
{
    kv_pickle_view view;
    char err[256];
    kv_status status = decode_fixture(pickle_name, &view, err, sizeof err);
    if (status != KV_OK)
        fail_msg("%s: %s", pickle_name, err);
    if (!view.plain || view.unsafe || !view.json)
        fail_msg("%s: plain=%d unsafe=%d\n%.2000s", pickle_name, view.plain, view.unsafe,
                 view.display);
    size_t len;
    char *expected = (char *)read_fixture(json_name, &len);
    assert_json_same(view.json, expected, pickle_name);
    assert_non_null(view.display);
    free(expected);
    kv_pickle_view_free(&view);
}

static void test_plain_every_protocol(void **state)
{
    (void)state;
    for (int proto = 0; proto <= 5; proto++) {
        char name[64];
        snprintf(name, sizeof name, "plain_p%d.pickle", proto);
        assert_decodes_to(name, "plain.json");
    }
    for (int proto = 3; proto <= 5; proto++) {
        char name[64];
        snprintf(name, sizeof name, "bytes_p%d.pickle", proto);
        assert_decodes_to(name, "bytes.json");
    }
}

/* Doubles in the comparison above cannot see the last digits of a big int: check the text. */
static void test_big_ints_exact(void **state)
{
    (void)state;
    kv_pickle_view view;
    char err[256];
    for (int proto = 0; proto <= 5; proto++) {
        char name[64];
        snprintf(name, sizeof name, "plain_p%d.pickle", proto);
        assert_int_equal(decode_fixture(name, &view, err, sizeof err), KV_OK);
        assert_non_null(strstr(view.json, "\"big\": 1267650600228229401496703205376,"));
        assert_non_null(strstr(view.json, "\"neg_big\": -1180591620717411303423,"));
        assert_non_null(strstr(view.json, "\"int64_min\": -9223372036854775808,"));
        assert_non_null(strstr(view.json, "\"tenth\": 0.1,"));
        assert_non_null(strstr(view.json, "\"tiny_float\": 5e-324,"));
        assert_non_null(strstr(view.json, "\"integral_float\": 2.0,"));
        assert_non_null(strstr(view.display, "'big': 1267650600228229401496703205376,"));
        kv_pickle_view_free(&view);
    }
    assert_int_equal(decode_fixture("hand_long4_negative.pickle", &view, err, sizeof err), KV_OK);
    assert_string_equal(view.json, "-18446744073709551617");
    kv_pickle_view_free(&view);
}

static void test_hand_assembled_opcodes(void **state)
{
    (void)state;
    static const char *names[] = {
        "dup",      "string",          "string_dq", "binstring",   "short_binstring",
        "binbytes8", "binunicode8",    "long4",     "long4_negative", "long_text",
        "int_bool", "pop_mark",        "pop",       "pop_mark_via_pop", "get_put",
        "unicode",  "float_text",      "dict_mark", "tuples",      "long_binget",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char pickle_name[64], json_name[64];
        snprintf(pickle_name, sizeof pickle_name, "hand_%s.pickle", names[i]);
        snprintf(json_name, sizeof json_name, "hand_%s.json", names[i]);
        assert_decodes_to(pickle_name, json_name);
    }
}

static void assert_display(const char *name, bool plain, bool unsafe, const char *needle)
{
    kv_pickle_view view;
    char err[256];
    kv_status status = decode_fixture(name, &view, err, sizeof err);
    if (status != KV_OK)
        fail_msg("%s: %s", name, err);
    if (view.plain != plain || view.unsafe != unsafe || !strstr(view.display, needle))
        fail_msg("%s: plain=%d unsafe=%d, expected %d %d and \"%s\" in:\n%s", name, view.plain,
                 view.unsafe, plain, unsafe, needle, view.display);
    if (!plain)
        assert_null(view.json);
    kv_pickle_view_free(&view);
}

static void test_malicious_stay_symbolic(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *needle;
    } cases[] = {
        {"evil_reduce_p0.pickle", "Call(Global('posix', 'system'), ('touch " CANARY "',))"},
        {"evil_reduce_p2.pickle", "Call(Global('posix', 'system'), ('touch " CANARY "',))"},
        {"evil_stack_global_p4.pickle", "Call(Global('posix', 'system'), ("},
        {"evil_hand_global.pickle", "Call(Global('os', 'system'), ('touch " CANARY "',))"},
        {"evil_inst.pickle", "Call(Global('os', 'system'), ('touch " CANARY "',))"},
        {"evil_obj.pickle", "Call(Global('os', 'system'), ('touch " CANARY "',))"},
        {"evil_newobj_ex_p4.pickle",
         "Call(Global('__main__', 'NewEx'), ('positional',), {'key': 'word'})"},
        {"evil_build_p2.pickle",
         "Build(Call(Global('__main__', 'Thing'), ()), {'colour': 'red', 'size': 3})"},
        {"evil_ext1_p2.pickle", "Build(Call(Ext(42), ()),"},
        {"evil_ext2.pickle", "Ext(12345)"},
        {"evil_ext4.pickle", "Ext(123456)"},
        {"evil_persid_p0.pickle", "{'owner': PersId('user:42')}"},
        {"evil_persid_p2.pickle", "{'owner': PersId('user:42')}"},
        {"evil_oob_buffer_p5.pickle",
         "[<out-of-band buffer #0 (absent)>, <out-of-band buffer #1 (absent)>]"},
        {"evil_bytes_p2.pickle", "Call(Global('_codecs', 'encode'), ('\\x00\xc3\xbf', 'latin1'))"},
        {"other_datetime_p4.pickle", "Call(Global('datetime', 'datetime'), (b'\\x07\\xe8"},
        {"other_datetime_p2.pickle", "Global('datetime', 'datetime')"},
        {"other_ordereddict_p2.pickle",
         "Update(Call(Global('collections', 'OrderedDict'), ()), {'a': 1})"},
    };
    unlink(CANARY);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_display(cases[i].name, false, true, cases[i].needle);
    /* Had anything run, os.system would have created the canary file. */
    assert_int_not_equal(access(CANARY, F_OK), 0);
}

static void test_other_data_is_readable_not_plain(void **state)
{
    (void)state;
    assert_display("other_sets_p4.pickle", false, false, "[{1, 2}, frozenset({'a'}), set()]");
    assert_display("other_intkeys_p2.pickle", false, false, "{1: 'one', (2, 3): 'pair'}");
    assert_display("other_cycle_p2.pickle", false, false, "[[1, 2], [1, 2], [...]]");
    assert_display("other_bytearray_p5.pickle", false, false, "bytearray(b'ab\\x00')");
    assert_display("hand_memoize.pickle", false, false, "[1, [...]]");
}

static void assert_format_error(const char *name, const char *needle)
{
    kv_pickle_view view;
    char err[256];
    kv_status status = decode_fixture(name, &view, err, sizeof err);
    if (status != KV_ERR_VALUE_FORMAT || !strstr(err, needle) || !strstr(err, "offset"))
        fail_msg("%s: status %d, message \"%s\", expected \"%s\"", name, status, err, needle);
    assert_null(view.display);
    assert_null(view.json);
}

static void test_limit_fixtures(void **state)
{
    (void)state;
    assert_format_error("limit_binunicode8.pickle", "(opcode BINUNICODE8)");
    assert_format_error("limit_binunicode8.pickle", "4611686018427387904 bytes");
    assert_format_error("limit_binbytes8.pickle", "(opcode BINBYTES8)");
    assert_format_error("limit_bytearray8.pickle", "(opcode BYTEARRAY8)");
    assert_format_error("limit_long4.pickle", "(opcode LONG4)");
    assert_format_error("limit_long4_negative.pickle", "negative length");
    assert_format_error("limit_binstring.pickle", "(opcode BINSTRING)");
    assert_format_error("limit_get_undefined.pickle", "memo index 5 is not defined");
    assert_format_error("limit_no_stop.pickle", "without STOP");
    assert_format_error("limit_underflow.pickle", "(opcode APPEND)");
    assert_format_error("limit_unknown_opcode.pickle", "unknown opcode 0xff");
    assert_format_error("limit_proto9.pickle", "unsupported protocol 9");
    assert_format_error("limit_empty.pickle", "without STOP");
    /* A sparse memo takes index 2^31-1 in one entry; FRAME's length is only a hint. */
    assert_display("limit_long_binput.pickle", true, false, "None");
    assert_display("limit_frame.pickle", true, false, "None");
    /* Bytes after STOP are shown, and the value is not editable (saving would drop them). */
    assert_display("limit_trailing.pickle", false, false, "7 trailing byte(s) after STOP");
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Decodes DATA and checks it answers within a bound even in a sanitizer build. */
static kv_status timed_decode(const uint8_t *data, size_t len, kv_pickle_view *view, char *err,
                              size_t errlen)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    kv_status status = kv_pickle_decode(data, len, view, err, errlen);
    double took = seconds_since(&start);
    if (took > 5.0)
        fail_msg("decode of %zu bytes took %.2f s", len, took);
    return status;
}

static uint8_t *repeat(const char *head, size_t head_len, const char *unit, size_t unit_len,
                       size_t times, const char *tail, size_t *len)
{
    size_t tail_len = strlen(tail);
    *len = head_len + unit_len * times + tail_len;
    uint8_t *data = malloc(*len);
    assert_non_null(data);
    memcpy(data, head, head_len);
    for (size_t i = 0; i < times; i++)
        memcpy(data + head_len + i * unit_len, unit, unit_len);
    memcpy(data + head_len + unit_len * times, tail, tail_len);
    return data;
}

static void test_limits_generated(void **state)
{
    (void)state;
    kv_pickle_view view;
    char err[256];
    size_t len;

    uint8_t *marks = repeat("", 0, "(", 1, 1000000, "N.", &len);
    assert_int_equal(timed_decode(marks, len, &view, err, sizeof err), KV_OK);
    assert_string_equal(view.display, "None");
    kv_pickle_view_free(&view);
    free(marks);
    marks = repeat("", 0, "(", 1, 1000001, "N.", &len);
    assert_int_equal(timed_decode(marks, len, &view, err, sizeof err), KV_ERR_VALUE_FORMAT);
    assert_non_null(strstr(err, "MARK"));
    free(marks);

    /* 100000 nested lists: ] x 100000 then APPEND x 99999. */
    uint8_t *deep = malloc(200002);
    assert_non_null(deep);
    memset(deep, ']', 100000);
    memset(deep + 100000, 'a', 99999);
    deep[199999] = '.';
    assert_int_equal(timed_decode(deep, 200000, &view, err, sizeof err), KV_OK);
    assert_false(view.plain);
    assert_non_null(strstr(view.display, "[...]"));
    assert_true(strlen(view.display) < 100000);
    kv_pickle_view_free(&view);
    free(deep);

    uint8_t *digits = repeat("L", 1, "9", 1, 1000000, "L\n.", &len);
    assert_int_equal(timed_decode(digits, len, &view, err, sizeof err), KV_ERR_VALUE_FORMAT);
    assert_non_null(strstr(err, "(opcode LONG)"));
    free(digits);

    uint8_t *huge = repeat("\x80\x02\x8b\x40\x42\x0f\x00", 7, "\x7f", 1, 1000000, ".", &len);
    assert_int_equal(timed_decode(huge, len, &view, err, sizeof err), KV_OK);
    assert_non_null(strstr(view.display, "int of 8000000 bits, too large to show"));
    assert_false(view.plain);
    kv_pickle_view_free(&view);
    free(huge);

    uint8_t *busy = repeat("", 0, "N0", 2, 5000001, "N.", &len);
    assert_int_equal(timed_decode(busy, len, &view, err, sizeof err), KV_ERR_VALUE_FORMAT);
    assert_non_null(strstr(err, "budget"));
    free(busy);
}

static void test_memo_cap(void **state)
{
    (void)state;
    size_t n = 1000001, len = 1 + 5 * n + 1;
    uint8_t *data = malloc(len + 1);
    assert_non_null(data);
    data[0] = 'N';
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = data + 1 + 5 * i;
        p[0] = 'r';
        for (int b = 0; b < 4; b++)
            p[1 + b] = (uint8_t)(i >> (8 * b));
    }
    data[len - 1] = '.';
    kv_pickle_view view;
    char err[256];
    assert_int_equal(timed_decode(data, len, &view, err, sizeof err), KV_ERR_VALUE_FORMAT);
    assert_non_null(strstr(err, "memo is full"));
    free(data);
}

static void test_display_escapes_terminal_controls(void **state)
{
    (void)state;
    /* SHORT_BINUNICODE with ESC, CR, BS, DEL, U+0085, U+202E (RLO) and U+200B. */
    static const uint8_t data[] = "\x80\x04\x8c\x16" "a\x1b[2Jb\r\x08\x7f\xc2\x85\xe2\x80\xae"
                                  "\xe2\x80\x8b\xc3\xa9z!!" ".";
    kv_pickle_view view;
    char err[256];
    assert_int_equal(kv_pickle_decode(data, sizeof data - 1, &view, err, sizeof err), KV_OK);
    assert_string_equal(view.display,
                        "'a\\x1b[2Jb\\r\\x08\\x7f\\x85\\u202e\\u200b\xc3\xa9z!!'");
    assert_non_null(view.json);
    for (const char *p = view.json; *p; p++)
        assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f);
    assert_null(strstr(view.json, "\xe2\x80\xae"));
    kv_pickle_view_free(&view);
}

/* A str with NUL cannot travel through the editor's JSON tree intact: shown, not editable. */
static void test_nul_in_str_is_not_plain(void **state)
{
    (void)state;
    static const uint8_t data[] = "\x80\x04\x8c\x03" "a\0b.";
    kv_pickle_view view;
    char err[256];
    assert_int_equal(kv_pickle_decode(data, sizeof data - 1, &view, err, sizeof err), KV_OK);
    assert_false(view.plain);
    assert_string_equal(view.display, "'a\\x00b'");
    kv_pickle_view_free(&view);
}

static void test_encode_matches_cpython(void **state)
{
    (void)state;
    static const char *names[] = {"enc_small", "enc_batches", "enc_scalar", "enc_bytes"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char json_name[64], pickle_name[64], err[256];
        snprintf(json_name, sizeof json_name, "%s.json", names[i]);
        snprintf(pickle_name, sizeof pickle_name, "%s.pickle", names[i]);
        size_t json_len, want_len, got_len;
        char *json = (char *)read_fixture(json_name, &json_len);
        uint8_t *want = read_fixture(pickle_name, &want_len);
        uint8_t *got;
        kv_status status = kv_pickle_encode_json(json, json_len, &got, &got_len, err, sizeof err);
        if (status != KV_OK)
            fail_msg("%s: %s", json_name, err);
        if (got_len != want_len || memcmp(got, want, got_len) != 0) {
            size_t at = 0;
            while (at < got_len && at < want_len && got[at] == want[at])
                at++;
            fail_msg("%s: %zu bytes vs CPython's %zu, first difference at %zu", names[i],
                     got_len, want_len, at);
        }
        free(json);
        free(want);
        free(got);
    }
}

static void assert_round_trip(const char *json_name)
{
    size_t json_len, len;
    char *json = (char *)read_fixture(json_name, &json_len);
    uint8_t *pickle;
    char err[256];
    assert_int_equal(kv_pickle_encode_json(json, json_len, &pickle, &len, err, sizeof err), KV_OK);
    kv_pickle_view view;
    assert_int_equal(kv_pickle_decode(pickle, len, &view, err, sizeof err), KV_OK);
    assert_true(view.plain);
    assert_false(view.unsafe);
    assert_json_same(view.json, json, json_name);
    kv_pickle_view_free(&view);
    free(pickle);
    free(json);
}

static void test_encode_round_trip(void **state)
{
    (void)state;
    assert_round_trip("plain.json");
    assert_round_trip("bytes.json");
    assert_round_trip("enc_small.json");
    assert_round_trip("hand_long4_negative.json");
}

/* Decoded JSON, encoded again, decodes to the same text: the editor's save path. */
static void test_decode_encode_decode_is_stable(void **state)
{
    (void)state;
    kv_pickle_view first, second;
    char err[256];
    assert_int_equal(decode_fixture("plain_p2.pickle", &first, err, sizeof err), KV_OK);
    uint8_t *pickle;
    size_t len;
    assert_int_equal(
        kv_pickle_encode_json(first.json, strlen(first.json), &pickle, &len, err, sizeof err),
        KV_OK);
    assert_int_equal(kv_pickle_decode(pickle, len, &second, err, sizeof err), KV_OK);
    assert_string_equal(first.json, second.json);
    kv_pickle_view_free(&first);
    kv_pickle_view_free(&second);
    free(pickle);
}

static void assert_encode_fails(const char *json, const char *needle)
{
    uint8_t *out = (uint8_t *)"untouched";
    size_t len = 99;
    char err[256];
    kv_status status = kv_pickle_encode_json(json, strlen(json), &out, &len, err, sizeof err);
    if (status != KV_ERR_VALUE_FORMAT || !strstr(err, needle))
        fail_msg("\"%.40s\": status %d, message \"%s\"", json, status, err);
    assert_null(out);
}

static void test_encode_errors(void **state)
{
    (void)state;
    assert_encode_fails("{\"a\": ", "invalid JSON");
    assert_encode_fails("[1e400]", "does not fit in a float");
    assert_encode_fails("{\"$bytes\": \"not base64!\"}", "invalid base64");
    assert_encode_fails("{\"a\": \"x\\u0000y\"}", "\\u0000");
    char *long_int = malloc(5002);
    assert_non_null(long_int);
    memset(long_int, '7', 5001);
    long_int[5001] = '\0';
    assert_encode_fails(long_int, "more than 4300 digits");
    free(long_int);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_every_protocol),
        cmocka_unit_test(test_big_ints_exact),
        cmocka_unit_test(test_hand_assembled_opcodes),
        cmocka_unit_test(test_malicious_stay_symbolic),
        cmocka_unit_test(test_other_data_is_readable_not_plain),
        cmocka_unit_test(test_limit_fixtures),
        cmocka_unit_test(test_limits_generated),
        cmocka_unit_test(test_memo_cap),
        cmocka_unit_test(test_display_escapes_terminal_controls),
        cmocka_unit_test(test_nul_in_str_is_not_plain),
        cmocka_unit_test(test_encode_matches_cpython),
        cmocka_unit_test(test_encode_round_trip),
        cmocka_unit_test(test_decode_encode_decode_is_stable),
        cmocka_unit_test(test_encode_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

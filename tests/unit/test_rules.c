/* TTL, key and request rules every backend shares (DESIGN.md section 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kv.h"

static const int64_t now = 1700000000;

static kv_status ttl(int64_t value, int64_t *expiry)
{
    *expiry = -12345;
    return kv_ttl_to_expiry(value, now, expiry);
}

static void ttl_zero_means_no_expiry(void **state)
{
    int64_t expiry;
    assert_int_equal(ttl(0, &expiry), KV_OK);
    assert_int_equal(expiry, 0);
}

static void ttl_up_to_30_days_is_relative(void **state)
{
    int64_t expiry;
    assert_int_equal(ttl(1, &expiry), KV_OK);
    assert_int_equal(expiry, now + 1);
    assert_int_equal(ttl(2592000, &expiry), KV_OK);
    assert_int_equal(expiry, now + 2592000);
}

static void ttl_over_30_days_is_absolute(void **state)
{
    int64_t expiry;
    assert_int_equal(ttl(2592001, &expiry), KV_OK);
    assert_int_equal(expiry, 2592001);
    assert_int_equal(ttl(now + 60, &expiry), KV_OK);
    assert_int_equal(expiry, now + 60);
    assert_int_equal(ttl(UINT32_MAX, &expiry), KV_OK);
    assert_int_equal(expiry, UINT32_MAX);
}

static void negative_or_too_large_ttl_is_argument_error(void **state)
{
    int64_t expiry;
    assert_int_equal(ttl(-1, &expiry), KV_ERR_ARGUMENT);
    assert_int_equal(ttl(INT64_MIN, &expiry), KV_ERR_ARGUMENT);
    assert_int_equal(ttl((int64_t)1 << 32, &expiry), KV_ERR_ARGUMENT);
    assert_int_equal(ttl(INT64_MAX, &expiry), KV_ERR_ARGUMENT);
}

static void now_is_the_wall_clock(void **state)
{
    int64_t before = (int64_t)time(NULL);
    int64_t got = kv_now();
    int64_t after = (int64_t)time(NULL);
    assert_in_range(got, before, after);
}

static void keys_are_1_to_250_bytes(void **state)
{
    char key[KV_KEY_MAX + 2];
    memset(key, 'k', sizeof key);
    assert_int_equal(kv_key_check(key, 0), KV_ERR_ARGUMENT);
    assert_int_equal(kv_key_check(key, 1), KV_OK);
    assert_int_equal(kv_key_check(key, KV_KEY_MAX), KV_OK);
    assert_int_equal(kv_key_check(key, KV_KEY_MAX + 1), KV_ERR_ARGUMENT);
    assert_int_equal(KV_KEY_MAX, 250);
}

typedef struct checked {
    kv_status status;
    char error[200];
} checked;

static checked check(kv_request *request)
{
    checked out = {.status = KV_OK};
    out.status = kv_request_check(request, out.error, sizeof out.error);
    kv_request_free(request);
    return out;
}

static kv_request *request(kv_op op, const char *key)
{
    kv_request *r = kv_request_new(op, key, strlen(key));
    assert_non_null(r);
    return r;
}

static kv_request *store_request(kv_op op, const char *key, const char *value)
{
    kv_request *r = request(op, key);
    kv_request_set_value(r, value, strlen(value));
    r->flags = KV_FLAGS_JSON;
    return r;
}

static void assert_check(kv_request *r, kv_status want)
{
    checked out = check(r);
    if (out.status != want)
        fail_msg("kv_request_check: %s (%s), want %s", kv_status_name(out.status), out.error,
                 kv_status_name(want));
    if (want != KV_OK && out.error[0] == '\0')
        fail_msg("kv_request_check failed with %s but gave no message", kv_status_name(want));
}

static void new_request_is_zeroed_and_copies_the_key(void **state)
{
    char key[] = "user:1";
    kv_request *r = kv_request_new(KV_OP_GET, key, 6);
    key[0] = 'X';
    assert_int_equal(r->op, KV_OP_GET);
    assert_int_equal(r->key_len, 6);
    assert_string_equal(r->key, "user:1");
    assert_null(r->value);
    assert_int_equal(r->cas, 0);
    assert_false(r->has_ttl);
    assert_false(r->quiet);
    assert_int_equal(r->persist_to, 0);
    char value[] = "abc";
    kv_request_set_value(r, value, 3);
    value[0] = 'X';
    assert_int_equal(r->value_len, 3);
    assert_memory_equal(r->value, "abc", 3);
    kv_request_free(r);
}

static void valid_requests_pass(void **state)
{
    assert_check(request(KV_OP_GET, "k"), KV_OK);
    assert_check(store_request(KV_OP_UPSERT, "k", "1"), KV_OK);
    kv_request *r = store_request(KV_OP_INSERT, "k", "1");
    r->has_ttl = true;
    r->ttl = 2592001;
    r->persist_to = -1;
    r->replicate_to = -1;
    assert_check(r, KV_OK);
    r = request(KV_OP_LOCK, "k");
    r->has_ttl = true;
    r->ttl = 15;
    assert_check(r, KV_OK);
    r = request(KV_OP_UNLOCK, "k");
    r->cas = 42;
    assert_check(r, KV_OK);
    r = request(KV_OP_COUNTER, "k");
    r->delta = -3;
    r->has_initial = true;
    r->initial = 7;
    r->has_ttl = true;
    r->ttl = 60;
    assert_check(r, KV_OK);
}

static void empty_or_long_key_is_argument_error(void **state)
{
    assert_check(request(KV_OP_GET, ""), KV_ERR_ARGUMENT);
    char key[KV_KEY_MAX + 2];
    memset(key, 'k', KV_KEY_MAX + 1);
    key[KV_KEY_MAX + 1] = '\0';
    assert_check(request(KV_OP_UPSERT, key), KV_ERR_ARGUMENT);
    key[KV_KEY_MAX] = '\0';
    assert_check(store_request(KV_OP_UPSERT, key, "1"), KV_OK);
}

static void negative_or_huge_ttl_is_argument_error(void **state)
{
    const kv_op ops[] = {KV_OP_UPSERT, KV_OP_GET, KV_OP_TOUCH, KV_OP_LOCK};
    const int64_t bad[] = {-1, (int64_t)1 << 32};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        for (size_t j = 0; j < 2; j++) {
            kv_request *r = store_request(ops[i], "k", "1");
            r->has_ttl = true;
            r->ttl = bad[j];
            assert_check(r, KV_ERR_ARGUMENT);
        }
    }
}

static void lock_needs_a_ttl(void **state)
{
    assert_check(request(KV_OP_LOCK, "k"), KV_ERR_ARGUMENT);
    kv_request *r = request(KV_OP_LOCK, "k");
    r->has_ttl = true;
    r->ttl = 0;
    assert_check(r, KV_ERR_ARGUMENT);
}

static void unlock_needs_a_cas(void **state)
{
    assert_check(request(KV_OP_UNLOCK, "k"), KV_ERR_ARGUMENT);
}

static void counter_ttl_needs_an_initial(void **state)
{
    kv_request *r = request(KV_OP_COUNTER, "k");
    r->delta = 1;
    r->has_ttl = true;
    r->ttl = 10;
    assert_check(r, KV_ERR_ARGUMENT);
}

static void append_and_prepend_take_only_utf8_or_bytes(void **state)
{
    const kv_op ops[] = {KV_OP_APPEND, KV_OP_PREPEND};
    for (size_t i = 0; i < 2; i++) {
        const kv_format good[] = {KV_FORMAT_UTF8, KV_FORMAT_BYTES};
        const kv_format bad[] = {KV_FORMAT_JSON, KV_FORMAT_PICKLE};
        for (size_t j = 0; j < 2; j++) {
            kv_request *r = store_request(ops[i], "k", "x");
            r->format = good[j];
            assert_check(r, KV_OK);
            r = store_request(ops[i], "k", "x");
            r->format = bad[j];
            assert_check(r, KV_ERR_VALUE_FORMAT);
        }
    }
}

static void value_over_the_limit_is_too_big(void **state)
{
    size_t len = KV_VALUE_MAX + 1;
    char *big = calloc(1, len);
    assert_non_null(big);
    kv_request *r = request(KV_OP_UPSERT, "k");
    kv_request_set_value(r, big, len);
    assert_check(r, KV_ERR_TOO_BIG);
    r = request(KV_OP_UPSERT, "k");
    kv_request_set_value(r, big, KV_VALUE_MAX);
    assert_check(r, KV_OK);
    free(big);
}

static void durability_below_minus_one_is_argument_error(void **state)
{
    kv_request *r = store_request(KV_OP_UPSERT, "k", "1");
    r->persist_to = -2;
    assert_check(r, KV_ERR_ARGUMENT);
    r = store_request(KV_OP_UPSERT, "k", "1");
    r->replicate_to = -5;
    assert_check(r, KV_ERR_ARGUMENT);
}

static void op_names_and_mutations(void **state)
{
    const char *names[KV_OP_COUNT] = {"get",     "insert", "upsert",  "replace", "remove", "touch",
                                      "counter", "append", "prepend", "lock",    "unlock"};
    for (int op = 0; op < KV_OP_COUNT; op++)
        assert_string_equal(kv_op_name((kv_op)op), names[op]);
    assert_false(kv_op_is_mutation(KV_OP_GET));
    const kv_op mutations[] = {KV_OP_INSERT, KV_OP_UPSERT,  KV_OP_REPLACE, KV_OP_REMOVE,
                               KV_OP_TOUCH,  KV_OP_COUNTER, KV_OP_APPEND,  KV_OP_PREPEND};
    for (size_t i = 0; i < sizeof mutations / sizeof mutations[0]; i++)
        assert_true(kv_op_is_mutation(mutations[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ttl_zero_means_no_expiry),
        cmocka_unit_test(ttl_up_to_30_days_is_relative),
        cmocka_unit_test(ttl_over_30_days_is_absolute),
        cmocka_unit_test(negative_or_too_large_ttl_is_argument_error),
        cmocka_unit_test(now_is_the_wall_clock),
        cmocka_unit_test(keys_are_1_to_250_bytes),
        cmocka_unit_test(new_request_is_zeroed_and_copies_the_key),
        cmocka_unit_test(valid_requests_pass),
        cmocka_unit_test(empty_or_long_key_is_argument_error),
        cmocka_unit_test(negative_or_huge_ttl_is_argument_error),
        cmocka_unit_test(lock_needs_a_ttl),
        cmocka_unit_test(unlock_needs_a_cas),
        cmocka_unit_test(counter_ttl_needs_an_initial),
        cmocka_unit_test(append_and_prepend_take_only_utf8_or_bytes),
        cmocka_unit_test(value_over_the_limit_is_too_big),
        cmocka_unit_test(durability_below_minus_one_is_argument_error),
        cmocka_unit_test(op_names_and_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

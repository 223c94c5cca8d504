/* lock and unlock (DESIGN.md section 4): pessimistic locks released by the lock CAS or a TTL. */
#include <string.h>

#include "conformance.h"

static void require_locks(void)
{
    if (!conf_caps_now->locks)
        skip();
}

/* Store KEY, lock it for TTL seconds and return the lock CAS. */
static uint64_t store_and_lock(const char *key, int64_t ttl)
{
    uint64_t stored = conf_store(key, "\"locked\"", 0);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_LOCK, key, ARGS(.has_ttl = true, .ttl = ttl), &result), KV_OK);
    conf_assert_result_value(&result, "\"locked\"", 8);
    assert_int_equal(result.flags, KV_FLAGS_JSON);
    assert_true(result.cas != 0 && result.cas != stored);
    uint64_t lock_cas = result.cas;
    kv_result_clear(&result);
    return lock_cas;
}

static kv_status upsert(const char *key, const char *json, uint64_t cas)
{
    return conf_status(KV_OP_UPSERT, key, ARGS(.value = json, .flags = KV_FLAGS_JSON, .cas = cas));
}

static void lock_without_backend_support_is_not_supported(void **state)
{
    if (conf_caps_now->locks)
        skip();
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_LOCK, key, ARGS(.has_ttl = true, .ttl = 5)),
                     KV_ERR_NOT_SUPPORTED);
    assert_int_equal(conf_status(KV_OP_UNLOCK, key, ARGS(.cas = 1)), KV_ERR_NOT_SUPPORTED);
    assert_int_equal(upsert(key, "2", 0), KV_OK);
}

static void lock_returns_the_value_and_a_new_cas(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    store_and_lock(key, 5);
}

static void lock_allows_reads(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    store_and_lock(key, 5);
    kv_result result;
    assert_int_equal(conf_call(KV_OP_GET, key, NULL, &result), KV_OK);
    conf_assert_result_value(&result, "\"locked\"", 8);
    kv_result_clear(&result);
}

static void mutation_without_lock_cas_is_key_exists(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    store_and_lock(key, 5);
    assert_int_equal(upsert(key, "\"other\"", 0), KV_ERR_KEY_EXISTS);
    assert_int_equal(
        conf_status(KV_OP_REPLACE, key, ARGS(.value = "\"other\"", .flags = KV_FLAGS_JSON)),
        KV_ERR_KEY_EXISTS);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, NULL), KV_ERR_KEY_EXISTS);
    conf_assert_value(key, "\"locked\"");
}

static void mutation_with_pre_lock_cas_is_key_exists(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t stored = conf_store(key, "\"v\"", 0);
    assert_int_equal(conf_status(KV_OP_LOCK, key, ARGS(.has_ttl = true, .ttl = 5)), KV_OK);
    assert_int_equal(upsert(key, "\"other\"", stored), KV_ERR_KEY_EXISTS);
    conf_assert_value(key, "\"v\"");
}

static void second_lock_is_temporary_fail(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    store_and_lock(key, 5);
    assert_int_equal(conf_status(KV_OP_LOCK, key, ARGS(.has_ttl = true, .ttl = 5)),
                     KV_ERR_TEMPORARY_FAIL);
}

static void mutation_with_lock_cas_succeeds_and_releases(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t lock_cas = store_and_lock(key, 10);
    assert_int_equal(upsert(key, "\"mine\"", lock_cas), KV_OK);
    conf_assert_value(key, "\"mine\"");
    assert_int_equal(upsert(key, "\"anyone\"", 0), KV_OK);
    conf_assert_value(key, "\"anyone\"");
    assert_int_equal(conf_status(KV_OP_LOCK, key, ARGS(.has_ttl = true, .ttl = 5)), KV_OK);
}

static void remove_with_lock_cas_succeeds(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t lock_cas = store_and_lock(key, 10);
    assert_int_equal(conf_status(KV_OP_REMOVE, key, ARGS(.cas = lock_cas)), KV_OK);
    conf_assert_missing(key);
}

static void unlock_with_wrong_cas_is_temporary_fail_and_keeps_the_lock(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t lock_cas = store_and_lock(key, 10);
    assert_int_equal(conf_status(KV_OP_UNLOCK, key, ARGS(.cas = lock_cas + 1)),
                     KV_ERR_TEMPORARY_FAIL);
    assert_int_equal(upsert(key, "\"other\"", 0), KV_ERR_KEY_EXISTS);
}

static void unlock_with_lock_cas_releases(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t lock_cas = store_and_lock(key, 10);
    assert_int_equal(conf_status(KV_OP_UNLOCK, key, ARGS(.cas = lock_cas)), KV_OK);
    assert_int_equal(upsert(key, "\"after\"", 0), KV_OK);
    conf_assert_value(key, "\"after\"");
}

static void unlock_not_locked_is_temporary_fail(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    uint64_t cas = conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_UNLOCK, key, ARGS(.cas = cas)), KV_ERR_TEMPORARY_FAIL);
    uint64_t lock_cas = store_and_lock(key, 10);
    assert_int_equal(conf_status(KV_OP_UNLOCK, key, ARGS(.cas = lock_cas)), KV_OK);
    assert_int_equal(conf_status(KV_OP_UNLOCK, key, ARGS(.cas = lock_cas)), KV_ERR_TEMPORARY_FAIL);
}

static void lock_expires_after_its_ttl(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    store_and_lock(key, 1);
    conf_sleep_ms(2100);
    assert_int_equal(upsert(key, "\"free\"", 0), KV_OK);
    conf_assert_value(key, "\"free\"");
}

static void lock_missing_is_not_found(void **state)
{
    require_locks();
    char key[300];
    TEST_KEY(key, NULL);
    assert_int_equal(conf_status(KV_OP_LOCK, key, ARGS(.has_ttl = true, .ttl = 5)),
                     KV_ERR_NOT_FOUND);
}

static void lock_without_ttl_is_argument_error(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_LOCK, key, NULL), KV_ERR_ARGUMENT);
    assert_int_equal(conf_status(KV_OP_LOCK, key, ARGS(.has_ttl = true, .ttl = 0)),
                     KV_ERR_ARGUMENT);
    assert_int_equal(upsert(key, "2", 0), KV_OK);
}

static void unlock_without_cas_is_argument_error(void **state)
{
    char key[300];
    TEST_KEY(key, NULL);
    conf_store(key, "1", 0);
    assert_int_equal(conf_status(KV_OP_UNLOCK, key, NULL), KV_ERR_ARGUMENT);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(lock_without_backend_support_is_not_supported),
    cmocka_unit_test(lock_returns_the_value_and_a_new_cas),
    cmocka_unit_test(lock_allows_reads),
    cmocka_unit_test(mutation_without_lock_cas_is_key_exists),
    cmocka_unit_test(mutation_with_pre_lock_cas_is_key_exists),
    cmocka_unit_test(second_lock_is_temporary_fail),
    cmocka_unit_test(mutation_with_lock_cas_succeeds_and_releases),
    cmocka_unit_test(remove_with_lock_cas_succeeds),
    cmocka_unit_test(unlock_with_wrong_cas_is_temporary_fail_and_keeps_the_lock),
    cmocka_unit_test(unlock_with_lock_cas_releases),
    cmocka_unit_test(unlock_not_locked_is_temporary_fail),
    cmocka_unit_test(lock_expires_after_its_ttl),
    cmocka_unit_test(lock_missing_is_not_found),
    cmocka_unit_test(lock_without_ttl_is_argument_error),
    cmocka_unit_test(unlock_without_cas_is_argument_error),
};

CONF_GROUP(conf_lock_tests, tests);

/* Status names and CLI exit codes: stable strings users and scripts rely on (DESIGN.md 4, 6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "kv.h"

typedef struct status_row {
    kv_status status;
    const char *name;
    int exit_code;
} status_row;

/* DESIGN.md section 4 (names) and section 6 (exit codes); the last two are core-only names. */
static const status_row rows[] = {
    {KV_OK, "Success", 0},
    {KV_ERR_NOT_FOUND, "NotFoundError", 3},
    {KV_ERR_KEY_EXISTS, "KeyExistsError", 4},
    {KV_ERR_NOT_STORED, "NotStoredError", 5},
    {KV_ERR_VALUE_FORMAT, "ValueFormatError", 6},
    {KV_ERR_DELTA_BADVAL, "DeltaBadvalError", 7},
    {KV_ERR_TOO_BIG, "TooBigError", 8},
    {KV_ERR_TEMPORARY_FAIL, "TemporaryFailError", 9},
    {KV_ERR_ARGUMENT, "ArgumentError", 2},
    {KV_ERR_DURABILITY_IMPOSSIBLE, "DurabilityImpossibleError", 10},
    {KV_ERR_NOT_SUPPORTED, "NotSupportedError", 10},
    {KV_ERR_TIMEOUT, "TimeoutError", 11},
    {KV_ERR_NETWORK, "NetworkError", 11},
    {KV_ERR_AUTH, "AuthError", 12},
    {KV_ERR_CANCELLED, "CancelledError", 1},
    {KV_ERR_INTERNAL, "InternalError", 1},
};

#define ROW_COUNT (sizeof rows / sizeof rows[0])

static void every_status_has_its_design_name(void **state)
{
    assert_int_equal(ROW_COUNT, KV_STATUS_COUNT);
    for (size_t i = 0; i < ROW_COUNT; i++)
        assert_string_equal(kv_status_name(rows[i].status), rows[i].name);
}

static void every_status_has_its_design_exit_code(void **state)
{
    for (size_t i = 0; i < ROW_COUNT; i++) {
        if (kv_status_exit_code(rows[i].status) != rows[i].exit_code)
            fail_msg("%s: exit code %d, want %d", rows[i].name, kv_status_exit_code(rows[i].status),
                     rows[i].exit_code);
    }
}

static void status_names_are_distinct(void **state)
{
    for (size_t i = 0; i < ROW_COUNT; i++)
        for (size_t j = i + 1; j < ROW_COUNT; j++)
            assert_string_not_equal(kv_status_name(rows[i].status), kv_status_name(rows[j].status));
}

static void unknown_status_still_has_a_name_and_a_failing_exit_code(void **state)
{
    const kv_status unknown[] = {KV_STATUS_COUNT, (kv_status)1000, (kv_status)-1};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *name = kv_status_name(unknown[i]);
        assert_non_null(name);
        assert_true(strlen(name) > 0);
        assert_int_equal(kv_status_exit_code(unknown[i]), 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_status_has_its_design_name),
        cmocka_unit_test(every_status_has_its_design_exit_code),
        cmocka_unit_test(status_names_are_distinct),
        cmocka_unit_test(unknown_status_still_has_a_name_and_a_failing_exit_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

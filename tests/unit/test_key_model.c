/* The key list's model: sorted keys, the filter applied as keys stream in and as single keys
 * come and go, and the narrowing of a growing filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "key_model.h"

static kv_key_info info(const char *key)
{
    return (kv_key_info){.key = key, .key_len = (uint16_t)strlen(key), .flags = KV_FLAGS_JSON};
}

/* The visible keys joined with spaces. */
static const char *shown(const ui_key_model *m)
{
    static char out[512];
    out[0] = '\0';
    for (size_t row = 0; row < m->nvisible; row++) {
        const ui_key_entry *e = ui_key_model_visible(m, row);
        strncat(out, row ? " " : "", sizeof out - strlen(out) - 1);
        strncat(out, ui_key_model_key(m, e), e->key_len);
    }
    return out;
}

static void keys_in_order_are_filtered_as_they_stream(void **state)
{
    (void)state;
    ui_key_model m;
    ui_key_model_init(&m);
    ui_key_model_set_filter(&m, "USER");
    static const char *const keys[] = {"a", "order::1", "user::1", "user::2", "zz"};
    for (size_t i = 0; i < 5; i++) {
        kv_key_info k = info(keys[i]);
        ui_key_model_append(&m, &k);
    }
    assert_string_equal(shown(&m), "user::1 user::2");
    assert_int_equal(m.nsorted, 5);
    ui_key_model_free(&m);
}

static void keys_out_of_order_are_sorted_by_refresh(void **state)
{
    (void)state;
    ui_key_model m;
    ui_key_model_init(&m);
    static const char *const keys[] = {"c", "a", "b"};
    for (size_t i = 0; i < 3; i++) {
        kv_key_info k = info(keys[i]);
        ui_key_model_append(&m, &k);
    }
    ui_key_model_refresh(&m);
    assert_string_equal(shown(&m), "a b c");
    ui_key_model_free(&m);
}

/* An unordered scan arrives in batches: each batch is merged into what is already sorted, and a
 * key listed early (PARTIAL) is completed in place or dropped when it turned out GONE. */
static void batches_merge_and_early_keys_are_completed(void **state)
{
    (void)state;
    ui_key_model m;
    ui_key_model_init(&m);
    static const char *const first[] = {"m", "c", "x", "a"}, *const second[] = {"b", "z", "d"};
    for (size_t i = 0; i < 4; i++) {
        kv_key_info k = info(first[i]);
        k.detail = KV_KEY_PARTIAL;
        ui_key_model_append(&m, &k);
    }
    ui_key_model_refresh(&m);
    assert_string_equal(shown(&m), "a c m x");
    assert_true(ui_key_model_visible(&m, 0)->partial);
    for (size_t i = 0; i < 3; i++) {
        kv_key_info k = info(second[i]);
        ui_key_model_append(&m, &k);
    }
    kv_key_info done = info("c");
    done.size = 42;
    ui_key_model_put(&m, &done); /* sorts the second batch in first */
    assert_true(ui_key_model_remove(&m, "x", 1));
    ui_key_model_refresh(&m);
    assert_string_equal(shown(&m), "a b c d m z");
    const ui_key_entry *c = ui_key_model_visible(&m, 2);
    assert_false(c->partial);
    assert_int_equal(c->size, 42);
    assert_int_equal(m.nsorted, 6);
    ui_key_model_free(&m);
}

static void a_put_key_lands_in_its_row_and_a_removed_one_goes(void **state)
{
    (void)state;
    ui_key_model m;
    ui_key_model_init(&m);
    static const char *const keys[] = {"user::1", "user::3", "x"};
    for (size_t i = 0; i < 3; i++) {
        kv_key_info k = info(keys[i]);
        ui_key_model_append(&m, &k);
    }
    ui_key_model_set_filter(&m, "user");
    kv_key_info two = info("user::2"), other = info("order::9");
    ui_key_model_put(&m, &two);
    ui_key_model_put(&m, &other); /* does not match: listed, not shown */
    assert_string_equal(shown(&m), "user::1 user::2 user::3");
    assert_int_equal(m.nsorted, 5);
    two.size = 77;
    ui_key_model_put(&m, &two); /* an update, not a second row */
    assert_int_equal(m.nsorted, 5);
    assert_int_equal(ui_key_model_visible(&m, 1)->size, 77);
    assert_true(ui_key_model_remove(&m, "user::1", 7));
    assert_false(ui_key_model_remove(&m, "user::1", 7));
    assert_string_equal(shown(&m), "user::2 user::3");
    ui_key_model_free(&m);
}

static void filters_narrow_widen_and_glob(void **state)
{
    (void)state;
    ui_key_model m;
    ui_key_model_init(&m);
    static const char *const keys[] = {"Order::10", "order::11", "order::20", "user::10"};
    for (size_t i = 0; i < 4; i++) {
        kv_key_info k = info(keys[i]);
        ui_key_model_append(&m, &k);
    }
    ui_key_model_set_filter(&m, "order");
    assert_string_equal(shown(&m), "Order::10 order::11 order::20");
    ui_key_model_set_filter(&m, "order::1");
    assert_string_equal(shown(&m), "Order::10 order::11");
    ui_key_model_set_filter(&m, "1");
    assert_string_equal(shown(&m), "Order::10 order::11 user::10");
    ui_key_model_set_filter(&m, "*::?0");
    assert_string_equal(shown(&m), "Order::10 order::20 user::10");
    ui_key_model_set_filter(&m, "");
    assert_int_equal(m.nvisible, 4);
    ui_key_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_in_order_are_filtered_as_they_stream),
        cmocka_unit_test(keys_out_of_order_are_sorted_by_refresh),
        cmocka_unit_test(batches_merge_and_early_keys_are_completed),
        cmocka_unit_test(a_put_key_lands_in_its_row_and_a_removed_one_goes),
        cmocka_unit_test(filters_narrow_widen_and_glob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

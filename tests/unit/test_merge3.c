/* The conflict view's 3-way JSON merge: disjoint changes merge by themselves, clashes are listed
 * by JSON Pointer with all three versions and resolved as picked, values keep their exact text,
 * and the result is laid out like mine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merge3.h"

static ui_merge merge_of(const char *base, const char *mine, const char *theirs)
{
    ui_merge merge;
    char errbuf[200];
    kv_status status = ui_merge3(base, strlen(base), mine, strlen(mine), theirs, strlen(theirs),
                                 &merge, errbuf, sizeof errbuf);
    if (status != KV_OK)
        fail_msg("merge failed: %s", errbuf);
    return merge;
}

static void assert_result(const ui_merge *merge, const char *want)
{
    char *text, errbuf[200];
    size_t len;
    if (ui_merge_result(merge, &text, &len, errbuf, sizeof errbuf) != KV_OK)
        fail_msg("no result: %s", errbuf);
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
    free(text);
}

static void disjoint_changes_merge_by_themselves(void **state)
{
    ui_merge m =
        merge_of("{\"a\":1,\"b\":2,\"c\":3}", "{\"a\":10,\"b\":2,\"c\":3}", "{\"a\":1,\"b\":20}");
    assert_int_equal(m.nclashes, 0);
    assert_int_equal(m.merged, 2); /* theirs changed b and removed c */
    assert_result(&m, "{\"a\":10,\"b\":20}");
    ui_merge_free(&m);
}

static void a_clash_is_listed_and_resolved_as_picked(void **state)
{
    ui_merge m = merge_of("{\"a\":1,\"k\":0}", "{\"a\":2,\"k\":0}", "{\"a\":3,\"k\":1}");
    assert_int_equal(m.nclashes, 1);
    assert_string_equal(m.clashes[0].path, "/a");
    assert_string_equal(m.clashes[0].base, "1");
    assert_string_equal(m.clashes[0].mine, "2");
    assert_string_equal(m.clashes[0].theirs, "3");
    char *text, errbuf[200];
    size_t len;
    assert_int_equal(ui_merge_result(&m, &text, &len, errbuf, sizeof errbuf), KV_ERR_ARGUMENT);
    assert_non_null(strstr(errbuf, "/a"));
    m.clashes[0].pick = UI_MERGE_THEIRS;
    assert_result(&m, "{\"a\":3,\"k\":1}");
    m.clashes[0].pick = UI_MERGE_MINE;
    assert_result(&m, "{\"a\":2,\"k\":1}");
    ui_merge_free(&m);
}

static void values_keep_their_exact_text(void **state)
{
    ui_merge m = merge_of("{\"n\":12345678901234567890,\"x\":0.10,\"s\":\"\\u00e9\"}",
                          "{\"n\":12345678901234567890,\"x\":0.10,\"s\":\"\\u00e9\",\"m\":1}",
                          "{\"n\":12345678901234567890,\"x\":1e400,\"s\":\"\\u00e9\"}");
    assert_result(&m, "{\"n\":12345678901234567890,\"x\":1e400,\"s\":\"\\u00e9\",\"m\":1}");
    ui_merge_free(&m);
}

static void objects_merge_deeply_and_paths_are_escaped(void **state)
{
    ui_merge m = merge_of("{\"a/b\":{\"c~d\":1,\"e\":1}}", "{\"a/b\":{\"c~d\":2,\"e\":1}}",
                          "{\"a/b\":{\"c~d\":3,\"e\":5}}");
    assert_int_equal(m.nclashes, 1);
    assert_string_equal(m.clashes[0].path, "/a~1b/c~0d");
    assert_int_equal(m.merged, 1);
    m.clashes[0].pick = UI_MERGE_MINE;
    assert_result(&m, "{\"a/b\":{\"c~d\":2,\"e\":5}}");
    ui_merge_free(&m);
}

static void arrays_are_whole_values(void **state)
{
    ui_merge m = merge_of("{\"l\":[1,2,3]}", "{\"l\":[1,2,3,4]}", "{\"l\":[0,1,2,3]}");
    assert_int_equal(m.nclashes, 1);
    assert_string_equal(m.clashes[0].path, "/l");
    assert_string_equal(m.clashes[0].theirs, "[0,1,2,3]");
    ui_merge_free(&m);
    m = merge_of("{\"l\":[1],\"o\":1}", "{\"l\":[1,2],\"o\":1}", "{\"l\":[1],\"o\":2}");
    assert_int_equal(m.nclashes, 0);
    assert_result(&m, "{\"l\":[1,2],\"o\":2}");
    ui_merge_free(&m);
}

static void additions_and_removals(void **state)
{
    /* Both added the same member the same way: no clash. Added differently: a clash with no
     * base. Removed by mine, changed by theirs: a clash with no mine; picking mine removes it. */
    ui_merge m = merge_of("{\"gone\":1}", "{\"same\":1,\"new\":\"m\"}",
                          "{\"gone\":2,\"same\":1,\"new\":\"t\",\"theirs\":true}");
    assert_int_equal(m.nclashes, 2);
    const ui_merge_clash *added = NULL, *removed = NULL;
    for (size_t i = 0; i < m.nclashes; i++) {
        if (strcmp(m.clashes[i].path, "/new") == 0)
            added = &m.clashes[i];
        if (strcmp(m.clashes[i].path, "/gone") == 0)
            removed = &m.clashes[i];
    }
    assert_non_null(added);
    assert_null(added->base);
    assert_non_null(removed);
    assert_null(removed->mine);
    assert_string_equal(removed->theirs, "2");
    for (size_t i = 0; i < m.nclashes; i++)
        m.clashes[i].pick = UI_MERGE_MINE;
    assert_result(&m, "{\"same\":1,\"new\":\"m\",\"theirs\":true}");
    ui_merge_free(&m);
}

static void the_result_is_laid_out_like_mine(void **state)
{
    ui_merge m =
        merge_of("{\"a\":1,\"b\":1}", "{\n    \"a\": 2,\n    \"b\": 1\n}", "{\"a\":1,\"b\":3}");
    assert_result(&m, "{\n    \"a\": 2,\n    \"b\": 3\n}");
    ui_merge_free(&m);
}

static void an_unchanged_side_gives_the_other_exactly(void **state)
{
    const char *mine = "{ \"a\" :  2 ,\"b\":[ 1 ] }";
    ui_merge m = merge_of("{\"a\":1,\"b\":[1]}", mine, "{\"a\":1,\"b\":[1]}");
    assert_result(&m, mine);
    ui_merge_free(&m);
    m = merge_of("{\"a\":1}", "{\"a\":1}", "{\"a\" : 5}");
    assert_result(&m, "{\"a\" : 5}");
    ui_merge_free(&m);
}

static void a_whole_document_clash_has_the_empty_path(void **state)
{
    ui_merge m = merge_of("[1]", "[2]", "{\"x\":1}");
    assert_int_equal(m.nclashes, 1);
    assert_string_equal(m.clashes[0].path, "");
    m.clashes[0].pick = UI_MERGE_THEIRS;
    assert_result(&m, "{\"x\":1}");
    ui_merge_free(&m);
}

static void invalid_json_names_the_side(void **state)
{
    ui_merge m;
    char errbuf[200];
    assert_int_equal(ui_merge3("{}", 2, "{\"a\":}", 6, "{}", 2, &m, errbuf, sizeof errbuf),
                     KV_ERR_VALUE_FORMAT);
    assert_non_null(strstr(errbuf, "mine: invalid JSON at line 1, column"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(disjoint_changes_merge_by_themselves),
        cmocka_unit_test(a_clash_is_listed_and_resolved_as_picked),
        cmocka_unit_test(values_keep_their_exact_text),
        cmocka_unit_test(objects_merge_deeply_and_paths_are_escaped),
        cmocka_unit_test(arrays_are_whole_values),
        cmocka_unit_test(additions_and_removals),
        cmocka_unit_test(the_result_is_laid_out_like_mine),
        cmocka_unit_test(an_unchanged_side_gives_the_other_exactly),
        cmocka_unit_test(a_whole_document_clash_has_the_empty_path),
        cmocka_unit_test(invalid_json_names_the_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

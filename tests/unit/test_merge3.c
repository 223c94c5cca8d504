/* The conflict view's 3-way JSON merge: disjoint changes merge by themselves, clashes are listed
 * by JSON Pointer with all three versions and resolved as picked, values keep their exact text,
 * and the result is laid out like mine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void pick_all(ui_merge *merge, ui_merge_pick pick)
{
    for (size_t i = 0; i < merge->nclashes; i++)
        merge->clashes[i].pick = pick;
}

static void the_same_change_on_both_sides_is_no_clash(void **state)
{
    /* Both set a to 2, both removed c, theirs only reordered (not a change). */
    ui_merge m = merge_of("{\"a\":1,\"b\":{\"x\":1,\"y\":2},\"c\":3}",
                          "{\"a\":2,\"b\":{\"x\":1,\"y\":2}}", "{\"b\":{\"y\":2,\"x\":1},\"a\":2}");
    assert_int_equal(m.nclashes, 0);
    assert_result(&m, "{\"a\":2,\"b\":{\"x\":1,\"y\":2}}");
    ui_merge_free(&m);
}

static void theirs_deleting_what_mine_changed_is_a_clash(void **state)
{
    ui_merge m = merge_of("{\"keep\":1,\"addr\":{\"city\":\"Oslo\",\"zip\":1}}",
                          "{\"keep\":1,\"addr\":{\"city\":\"Bergen\",\"zip\":1}}", "{\"keep\":2}");
    assert_int_equal(m.nclashes, 1);
    assert_string_equal(m.clashes[0].path, "/addr");
    assert_string_equal(m.clashes[0].base, "{\"city\":\"Oslo\",\"zip\":1}");
    assert_string_equal(m.clashes[0].mine, "{\"city\":\"Bergen\",\"zip\":1}");
    assert_null(m.clashes[0].theirs);
    m.clashes[0].pick = UI_MERGE_THEIRS;
    assert_result(&m, "{\"keep\":2}");
    m.clashes[0].pick = UI_MERGE_MINE;
    assert_result(&m, "{\"keep\":2,\"addr\":{\"city\":\"Bergen\",\"zip\":1}}");
    ui_merge_free(&m);
}

/* Objects both sides added merge member by member: the clash is deep, with no base. */
static void objects_added_on_both_sides_merge_inside(void **state)
{
    ui_merge m = merge_of("{}", "{\"o\":{\"a\":1,\"same\":true}}",
                          "{\"o\":{\"b\":2,\"same\":true,\"a\":9}}");
    assert_int_equal(m.nclashes, 1);
    assert_string_equal(m.clashes[0].path, "/o/a");
    assert_null(m.clashes[0].base);
    assert_string_equal(m.clashes[0].theirs, "9");
    m.clashes[0].pick = UI_MERGE_THEIRS;
    assert_result(&m, "{\"o\":{\"a\":9,\"same\":true,\"b\":2}}");
    ui_merge_free(&m);
}

static void a_change_of_type_is_a_whole_value(void **state)
{
    ui_merge m = merge_of("{\"v\":{\"a\":1}}", "{\"v\":{\"a\":2}}", "{\"v\":[1]}");
    assert_int_equal(m.nclashes, 1);
    assert_string_equal(m.clashes[0].path, "/v");
    assert_string_equal(m.clashes[0].mine, "{\"a\":2}");
    assert_string_equal(m.clashes[0].theirs, "[1]");
    ui_merge_free(&m);
    m = merge_of("\"s\"", "\"s\"", "42"); /* a scalar root only theirs changed */
    assert_int_equal(m.nclashes, 0);
    assert_result(&m, "42");
    ui_merge_free(&m);
}

/* Arrays changed on both sides are one clash even when the changes touch other elements. */
static void arrays_changed_on_both_sides_clash_whole(void **state)
{
    ui_merge m = merge_of("{\"l\":[{\"a\":1},{\"b\":1}]}", "{\"l\":[{\"a\":2},{\"b\":1}]}",
                          "{\"l\":[{\"a\":1},{\"b\":2}]}");
    assert_int_equal(m.nclashes, 1);
    assert_string_equal(m.clashes[0].path, "/l");
    assert_string_equal(m.clashes[0].mine, "[{\"a\":2},{\"b\":1}]");
    m.clashes[0].pick = UI_MERGE_MINE;
    assert_result(&m, "{\"l\":[{\"a\":2},{\"b\":1}]}");
    ui_merge_free(&m);
}

static void clashing_numbers_keep_their_text(void **state)
{
    ui_merge m = merge_of("{\"n\":1.0,\"big\":9007199254740993}",
                          "{\"n\":123456789012345678901234567890,\"big\":9007199254740993}",
                          "{\"n\":1e400,\"big\":-0.0E+2}");
    assert_int_equal(m.nclashes, 1);
    assert_string_equal(m.clashes[0].base, "1.0");
    assert_string_equal(m.clashes[0].mine, "123456789012345678901234567890");
    assert_string_equal(m.clashes[0].theirs, "1e400");
    m.clashes[0].pick = UI_MERGE_THEIRS;
    assert_result(&m, "{\"n\":1e400,\"big\":-0.0E+2}");
    m.clashes[0].pick = UI_MERGE_MINE;
    assert_result(&m, "{\"n\":123456789012345678901234567890,\"big\":-0.0E+2}");
    ui_merge_free(&m);
    m = merge_of("{\"n\":1}", "{\"n\":1.0}", "{\"n\":1e0}"); /* same number, other text */
    assert_int_equal(m.nclashes, 1);
    ui_merge_free(&m);
}

/* Mine's additions stay where mine put them; theirs' come after, in theirs' order. */
static void added_members_keep_their_sides_order(void **state)
{
    ui_merge m = merge_of("{\"a\":1,\"z\":1}", "{\"a\":1,\"m1\":1,\"z\":1,\"m2\":1}",
                          "{\"t2\":1,\"a\":1,\"z\":2,\"t1\":1}");
    assert_int_equal(m.nclashes, 0);
    assert_result(&m, "{\"a\":1,\"m1\":1,\"z\":2,\"m2\":1,\"t2\":1,\"t1\":1}");
    ui_merge_free(&m);
}

static void compact_mine_gives_compact_and_pretty_gives_pretty(void **state)
{
    const char *pretty_base = "{\n  \"a\": 1,\n  \"b\": [1, 2]\n}\n";
    ui_merge m = merge_of(pretty_base, "{\"a\":2,\"b\":[1,2]}",
                          "{\n  \"a\": 1,\n  \"b\": [1, 2],\n  \"c\": null\n}\n");
    assert_result(&m, "{\"a\":2,\"b\":[1,2],\"c\":null}");
    ui_merge_free(&m);
    m = merge_of("{\"a\":1,\"b\":[1,2]}", "{\n  \"a\": 2,\n  \"b\": [1, 2]\n}\n",
                 "{\"a\":1,\"b\":[1,2],\"c\":\"x\"}");
    assert_result(&m, "{\n  \"a\": 2,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": \"x\"\n}\n");
    ui_merge_free(&m);
}

static void a_clash_in_a_name_with_escapes(void **state)
{
    ui_merge m =
        merge_of("{\"a\\\"b\":{\"~/\":1}}", "{\"a\\\"b\":{\"~/\":2}}", "{\"a\\\"b\":{\"~/\":3}}");
    assert_int_equal(m.nclashes, 1);
    assert_string_equal(m.clashes[0].path, "/a\"b/~0~1");
    pick_all(&m, UI_MERGE_THEIRS);
    assert_result(&m, "{\"a\\\"b\":{\"~/\":3}}");
    ui_merge_free(&m);
}

static void every_side_is_named_when_invalid(void **state)
{
    static const char *const names[] = {"base", "mine", "theirs"};
    for (int bad = 0; bad < 3; bad++) {
        const char *text[3] = {"{}", "{}", "{}"};
        text[bad] = "{\n  \"a\": 1,\n  \"b\" 2\n}";
        ui_merge m;
        char errbuf[200], want[64];
        assert_int_equal(ui_merge3(text[0], strlen(text[0]), text[1], strlen(text[1]), text[2],
                                   strlen(text[2]), &m, errbuf, sizeof errbuf),
                         KV_ERR_VALUE_FORMAT);
        snprintf(want, sizeof want, "%s: invalid JSON at line 3, column 7", names[bad]);
        if (!strstr(errbuf, want))
            fail_msg("'%s' does not say '%s'", errbuf, want);
    }
}

/* A name given twice counts once, the first, as cJSON reads it: no duplicate in the result. */
static void a_name_given_twice_counts_once(void **state)
{
    ui_merge m = merge_of("{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":2,\"b\":1}", "{\"a\":1,\"a\":3}");
    assert_int_equal(m.nclashes, 0);
    assert_result(&m, "{\"a\":1,\"b\":1}");
    ui_merge_free(&m);
}

/* 100 000 members each side: cJSON's own lookups made this quadratic (a minute and more). */
static void a_big_object_merges_quickly(void **state)
{
    size_t n = 100000;
    char *text[3];
    size_t len[3];
    for (int side = 0; side < 3; side++) {
        text[side] = malloc(n * 32 + 8);
        len[side] = 0;
        text[side][len[side]++] = '{';
        for (size_t i = 0; i < n; i++) {
            int value = (side == 1 && i == 10) ? 5 : (side == 2 && i == n - 10) ? 6 : 1;
            len[side] +=
                (size_t)sprintf(text[side] + len[side], "%s\"key%zu\":%d", i ? "," : "", i, value);
        }
        text[side][len[side]++] = '}';
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    ui_merge m;
    char errbuf[200], *out;
    size_t out_len;
    assert_int_equal(
        ui_merge3(text[0], len[0], text[1], len[1], text[2], len[2], &m, errbuf, sizeof errbuf),
        KV_OK);
    assert_int_equal(m.nclashes, 0);
    assert_int_equal(ui_merge_result(&m, &out, &out_len, errbuf, sizeof errbuf), KV_OK);
    clock_gettime(CLOCK_MONOTONIC, &end);
    assert_non_null(strstr(out, "\"key10\":5,"));
    assert_non_null(strstr(out, "\"key99990\":6,"));
    assert_int_equal(out_len, len[0]);
    double seconds =
        (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    assert_true(seconds < 3.0);
    free(out);
    ui_merge_free(&m);
    for (int side = 0; side < 3; side++)
        free(text[side]);
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
        cmocka_unit_test(the_same_change_on_both_sides_is_no_clash),
        cmocka_unit_test(theirs_deleting_what_mine_changed_is_a_clash),
        cmocka_unit_test(objects_added_on_both_sides_merge_inside),
        cmocka_unit_test(a_change_of_type_is_a_whole_value),
        cmocka_unit_test(arrays_changed_on_both_sides_clash_whole),
        cmocka_unit_test(clashing_numbers_keep_their_text),
        cmocka_unit_test(added_members_keep_their_sides_order),
        cmocka_unit_test(compact_mine_gives_compact_and_pretty_gives_pretty),
        cmocka_unit_test(a_clash_in_a_name_with_escapes),
        cmocka_unit_test(every_side_is_named_when_invalid),
        cmocka_unit_test(a_name_given_twice_counts_once),
        cmocka_unit_test(a_big_object_merges_quickly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

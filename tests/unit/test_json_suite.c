/* Runs JSONTestSuite (../shared/data/JSONTestSuite, never copied into the project): every y_
 * file accepted, every n_ file rejected, every i_ file handled without a crash. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv.h"

typedef struct suite_counts {
    unsigned accepted_y, rejected_n, handled_i, failures;
} suite_counts;

static char *read_file(const char *path, size_t *len)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    char *data = NULL;
    size_t cap = 0, used = 0, got;
    do {
        if (used == cap) {
            cap = cap ? cap * 2 : 4096;
            data = realloc(data, cap);
            assert_non_null(data);
        }
        got = fread(data + used, 1, cap - used, file);
        used += got;
    } while (got > 0);
    fclose(file);
    *len = used;
    return data;
}

/* Both entry points must agree with the file's verdict; the tree is also printed, so that a
 * broken tree would crash here rather than in a user's session. */
static void check_file(const char *dir, const char *name, suite_counts *counts)
{
    char path[4096 + 260];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = read_file(path, &len);
    assert_non_null(text);
    kv_json_error error;
    bool valid = kv_json_valid(text, len, &error);
    cJSON *tree = kv_json_parse_tree(text, len, NULL);
    char *printed = tree ? cJSON_PrintUnformatted(tree) : NULL;
    bool expected_valid = name[0] == 'y';
    if (name[0] == 'i') {
        counts->handled_i++;
    } else if (valid != expected_valid || (tree != NULL) != expected_valid) {
        printf("FAIL %s: valid=%d tree=%d (%s)\n", name, valid, tree != NULL,
               valid ? "" : error.message);
        counts->failures++;
    } else if (expected_valid) {
        counts->accepted_y++;
    } else {
        counts->rejected_n++;
    }
    free(printed);
    cJSON_Delete(tree);
    free(text);
}

static void test_json_test_suite(void **state)
{
    const char *shared = getenv("KV_SHARED_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/data/JSONTestSuite/test_parsing", shared ? shared : "../shared");
    DIR *listing = opendir(dir);
    if (!listing) {
        printf("SKIP: ../shared/data/JSONTestSuite not found\n");
        skip();
    }
    suite_counts counts = {0};
    struct dirent *entry;
    while ((entry = readdir(listing))) {
        const char *name = entry->d_name;
        if ((name[0] == 'y' || name[0] == 'n' || name[0] == 'i') && name[1] == '_')
            check_file(dir, name, &counts);
    }
    closedir(listing);
    printf("JSONTestSuite: %u y_ accepted, %u n_ rejected, %u i_ handled, %u failures\n",
           counts.accepted_y, counts.rejected_n, counts.handled_i, counts.failures);
    assert_int_equal(counts.failures, 0);
    assert_true(counts.accepted_y > 0 && counts.rejected_n > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_test_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

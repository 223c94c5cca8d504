/* merge3_internal.h - the JSON tree the merge works on (merge3_tree.c) and the lookups and
 * comparisons on it (merge3_match.c), shared with merge3.c. */
#ifndef UI_MERGE3_INTERNAL_H
#define UI_MERGE3_INTERNAL_H

#include "merge3.h"

/* A cJSON tree of TEXT in which every scalar (string, number, true, false, null) is a raw item
 * holding its exact text, so comparing and printing never changes how a value is written.
 * NULL on invalid JSON, with ERROR filled. */
cJSON *ui__merge_tree(const char *text, size_t len, kv_json_error *error);
/* TREE printed compact, or indented INDENT spaces per level when INDENT > 0 (malloc'd). */
char *ui__merge_print(const cJSON *tree, unsigned indent, size_t *len);

/* An object's members by name, so a lookup is O(log n) (an empty index for a non-object). */
typedef struct ui_merge_index ui_merge_index;
ui_merge_index *ui__merge_index(const cJSON *object);
/* The first member named KEY, or NULL. */
const cJSON *ui__merge_find(const ui_merge_index *index, const char *key);
void ui__merge_index_free(ui_merge_index *index);
/* Whether A and B (either may be NULL) are the same value: scalars by their exact text, objects
 * whatever the order of their members. */
bool ui__merge_same(const cJSON *a, const cJSON *b);

/* LEN bytes of TEXT, NUL-terminated (malloc'd; aborts when memory is out). */
char *ui__merge_copy(const char *text, size_t len);

#endif /* UI_MERGE3_INTERNAL_H */

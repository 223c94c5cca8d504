/* Finding members by name and comparing values in the merge's trees, in O(n log n) where cJSON's
 * own lookups (cJSON_GetObjectItem, cJSON_Compare) are O(n) per member and so O(n^2) for an
 * object, which is minutes for a 20 MB document of 200 000 members. */
#include <stdlib.h>
#include <string.h>

#include "merge3_internal.h"

typedef struct index_entry {
    const char *key;
    const cJSON *item;
    size_t position; /* for duplicate names: the first one wins, as in cJSON */
} index_entry;

struct ui_merge_index {
    index_entry *entries;
    size_t count;
};

static int by_key(const void *a, const void *b)
{
    const index_entry *x = a, *y = b;
    int order = strcmp(x->key, y->key);
    if (order != 0)
        return order;
    return x->position < y->position ? -1 : x->position > y->position;
}

ui_merge_index *ui__merge_index(const cJSON *object)
{
    ui_merge_index *index = calloc(1, sizeof *index);
    if (!index)
        abort();
    if (!cJSON_IsObject(object))
        return index;
    size_t n = (size_t)cJSON_GetArraySize(object), i = 0;
    index->entries = calloc(n ? n : 1, sizeof *index->entries);
    if (!index->entries)
        abort();
    for (const cJSON *item = object->child; item && i < n; item = item->next, i++)
        index->entries[i] = (index_entry){item->string ? item->string : "", item, i};
    index->count = i;
    qsort(index->entries, index->count, sizeof *index->entries, by_key);
    return index;
}

const cJSON *ui__merge_find(const ui_merge_index *index, const char *key)
{
    size_t low = 0, high = index->count; /* the first entry not before KEY */
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (strcmp(index->entries[mid].key, key) < 0)
            low = mid + 1;
        else
            high = mid;
    }
    if (low < index->count && strcmp(index->entries[low].key, key) == 0)
        return index->entries[low].item;
    return NULL;
}

void ui__merge_index_free(ui_merge_index *index)
{
    if (index)
        free(index->entries);
    free(index);
}

static bool same_object(const cJSON *a, const cJSON *b);

bool ui__merge_same(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    if ((a->type & 0xff) != (b->type & 0xff))
        return false;
    if (cJSON_IsRaw(a) || cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsObject(a))
        return same_object(a, b);
    if (!cJSON_IsArray(a))
        return true; /* a tree of raw items has no other kinds; two of one kind are alike */
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
        if (!ui__merge_same(x, y))
            return false;
    return !x && !y;
}

/* Members in the same order are compared in step; from the first that differ in name on, the
 * rest of A is looked up in an index of B. */
static bool same_object(const cJSON *a, const cJSON *b)
{
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
        return false;
    const cJSON *x = a->child, *y = b->child;
    for (; x && y && strcmp(x->string, y->string) == 0; x = x->next, y = y->next)
        if (!ui__merge_same(x, y))
            return false;
    if (!x)
        return true;
    ui_merge_index *ia = ui__merge_index(a), *ib = ui__merge_index(b);
    bool same = true;
    for (; x && same; x = x->next)
        same = ui__merge_find(ia, x->string) != x || /* a later duplicate: not what counts */
               ui__merge_same(x, ui__merge_find(ib, x->string));
    for (y = b->child; y && same; y = y->next)
        same = ui__merge_find(ia, y->string) != NULL;
    ui__merge_index_free(ia);
    ui__merge_index_free(ib);
    return same;
}

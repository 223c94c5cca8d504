/* The key list's data: see key_model.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key_model.h"

static void *grow(void *items, size_t *capacity, size_t need, size_t item_size)
{
    if (need <= *capacity)
        return items;
    size_t cap = *capacity ? *capacity : 1024;
    while (cap < need)
        cap *= 2;
    void *p = realloc(items, cap * item_size);
    if (!p)
        abort(); /* the TUI's abort handler restores the terminal */
    *capacity = cap;
    return p;
}

void ui_key_model_init(ui_key_model *model)
{
    memset(model, 0, sizeof *model);
}

void ui_key_model_free(ui_key_model *model)
{
    free(model->arena);
    free(model->entries);
    free(model->sorted);
    free(model->visible);
    memset(model, 0, sizeof *model);
}

void ui_key_model_clear(ui_key_model *model)
{
    model->arena_len = model->count = model->nsorted = model->nsorted_clean = model->nvisible = 0;
    model->sorted_dirty = false;
}

const char *ui_key_model_key(const ui_key_model *model, const ui_key_entry *entry)
{
    return model->arena + entry->key_offset;
}

static int compare_keys(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static int compare_ids(const ui_key_model *model, uint32_t a, uint32_t b)
{
    const ui_key_entry *x = &model->entries[a], *y = &model->entries[b];
    return compare_keys(model->arena + x->key_offset, x->key_len, model->arena + y->key_offset,
                        y->key_len);
}

static const ui_key_model *sort_model; /* qsort has no context argument; the UI is one thread */

static int compare_sorted(const void *a, const void *b)
{
    return compare_ids(sort_model, *(const uint32_t *)a, *(const uint32_t *)b);
}

/* Merge the sorted run sorted[clean..n) into the sorted prefix sorted[0..clean), from the back,
 * with the run copied aside. */
static void merge_tail(ui_key_model *model, size_t clean)
{
    size_t n = model->nsorted, k = n - clean;
    uint32_t *run = malloc(k * sizeof *run);
    if (!run)
        abort();
    memcpy(run, model->sorted + clean, k * sizeof *run);
    size_t i = clean, j = k, out = n;
    while (j > 0) {
        if (i > 0 && compare_ids(model, model->sorted[i - 1], run[j - 1]) > 0)
            model->sorted[--out] = model->sorted[--i];
        else
            model->sorted[--out] = run[--j];
    }
    free(run);
}

/* Keys that came out of order are sorted among themselves and merged into the sorted prefix:
 * O(n + k log k) for k new keys, so a scan in no order (memcached) costs a merge per batch rather
 * than a sort of the whole list. */
static void sort_if_needed(ui_key_model *model)
{
    if (!model->sorted_dirty)
        return;
    size_t clean = model->nsorted_clean;
    sort_model = model;
    qsort(model->sorted + clean, model->nsorted - clean, sizeof *model->sorted, compare_sorted);
    if (clean > 0)
        merge_tail(model, clean);
    model->nsorted_clean = model->nsorted;
    model->sorted_dirty = false;
}

static void fill_entry(ui_key_entry *entry, const kv_key_info *info)
{
    entry->partial = info->detail == KV_KEY_PARTIAL;
    entry->cas = info->cas;
    entry->expiry = info->expiry;
    entry->flags = info->flags;
    entry->size = info->size;
    entry->removed = false;
}

static uint32_t new_entry(ui_key_model *model, const kv_key_info *info)
{
    model->arena = grow(model->arena, &model->arena_cap, model->arena_len + info->key_len, 1);
    memcpy(model->arena + model->arena_len, info->key, info->key_len);
    model->entries = grow(model->entries, &model->capacity, model->count + 1,
                          sizeof *model->entries);
    ui_key_entry *entry = &model->entries[model->count];
    entry->key_offset = model->arena_len;
    entry->key_len = info->key_len;
    fill_entry(entry, info);
    model->arena_len += info->key_len;
    return (uint32_t)model->count++;
}

static bool entry_matches(const ui_key_model *model, uint32_t id);
static size_t visible_position(const ui_key_model *model, uint32_t id);
static void visible_insert(ui_key_model *model, size_t row, uint32_t id);

/* The sorted array always has room for every entry. */
static void reserve_sorted(ui_key_model *model)
{
    size_t cap = model->capacity;
    uint32_t *p = realloc(model->sorted, (cap ? cap : 1) * sizeof *p);
    if (!p)
        abort();
    model->sorted = p;
}

void ui_key_model_append(ui_key_model *model, const kv_key_info *info)
{
    size_t old_capacity = model->capacity;
    uint32_t id = new_entry(model, info);
    if (model->capacity != old_capacity || !model->sorted)
        reserve_sorted(model);
    if (model->nsorted > 0 && !model->sorted_dirty &&
        compare_ids(model, model->sorted[model->nsorted - 1], id) > 0)
        model->sorted_dirty = true;
    model->sorted[model->nsorted++] = id;
    if (!model->sorted_dirty)
        model->nsorted_clean = model->nsorted;
    /* In key order (the embedded store) the new key simply extends what the filter shows;
     * out of order, the next ui_key_model_refresh sorts and filters once. */
    if (!model->sorted_dirty && entry_matches(model, id))
        visible_insert(model, model->nvisible, id);
}

/* Binary search: the position of KEY in the sorted array, *found when it is there. */
static size_t sorted_position(ui_key_model *model, const char *key, size_t key_len, bool *found)
{
    sort_if_needed(model);
    size_t lo = 0, hi = model->nsorted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ui_key_entry *e = &model->entries[model->sorted[mid]];
        int c = compare_keys(model->arena + e->key_offset, e->key_len, key, key_len);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

long ui_key_model_find(ui_key_model *model, const char *key, size_t key_len)
{
    bool found;
    size_t at = sorted_position(model, key, key_len, &found);
    return found ? (long)model->sorted[at] : -1;
}

void ui_key_model_put(ui_key_model *model, const kv_key_info *info)
{
    bool found;
    size_t at = sorted_position(model, info->key, info->key_len, &found);
    if (found) {
        fill_entry(&model->entries[model->sorted[at]], info);
        return;
    }
    size_t old_capacity = model->capacity;
    uint32_t id = new_entry(model, info);
    if (model->capacity != old_capacity || !model->sorted)
        reserve_sorted(model);
    memmove(model->sorted + at + 1, model->sorted + at,
            (model->nsorted - at) * sizeof *model->sorted);
    model->sorted[at] = id;
    model->nsorted_clean = ++model->nsorted;
    if (entry_matches(model, id))
        visible_insert(model, visible_position(model, id), id);
}

bool ui_key_model_remove(ui_key_model *model, const char *key, size_t key_len)
{
    bool found;
    size_t at = sorted_position(model, key, key_len, &found);
    if (!found)
        return false;
    uint32_t id = model->sorted[at];
    model->entries[id].removed = true;
    memmove(model->sorted + at, model->sorted + at + 1,
            (model->nsorted - at - 1) * sizeof *model->sorted);
    model->nsorted_clean = --model->nsorted;
    long row = ui_key_model_row_of(model, id);
    if (row >= 0) {
        memmove(model->visible + row, model->visible + row + 1,
                (model->nvisible - (size_t)row - 1) * sizeof *model->visible);
        model->nvisible--;
    }
    return true;
}

static bool entry_matches(const ui_key_model *model, uint32_t id)
{
    if (!model->filter[0])
        return true;
    const ui_key_entry *e = &model->entries[id];
    return kv_key_matcher_match(&model->matcher, model->arena + e->key_offset, e->key_len);
}

/* Keeps the ids of FROM[0..n) that match; FROM may be model->visible itself (narrowing). */
static void select_visible(ui_key_model *model, const uint32_t *from, size_t n)
{
    model->visible = grow(model->visible, &model->visible_cap, n ? n : 1, sizeof *model->visible);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (entry_matches(model, from[i]))
            model->visible[kept++] = from[i];
    model->nvisible = kept;
}

void ui_key_model_refresh(ui_key_model *model)
{
    sort_if_needed(model);
    select_visible(model, model->sorted, model->nsorted);
}

void ui_key_model_set_filter(ui_key_model *model, const char *filter)
{
    bool was_glob = model->filter_glob;
    bool narrows = model->filter[0] && !was_glob && strstr(filter, model->filter) != NULL;
    snprintf(model->filter, sizeof model->filter, "%s", filter);
    model->filter_glob = kv_glob_has_wildcards(filter);
    kv_key_matcher_init(&model->matcher, model->filter, true, true);
    if (narrows && !model->filter_glob && !model->sorted_dirty)
        select_visible(model, model->visible, model->nvisible);
    else
        ui_key_model_refresh(model);
}

const ui_key_entry *ui_key_model_visible(const ui_key_model *model, size_t row)
{
    return row < model->nvisible ? &model->entries[model->visible[row]] : NULL;
}

/* Where entry ID is, or would go, among the visible rows (they are in key order). */
static size_t visible_position(const ui_key_model *model, uint32_t id)
{
    size_t lo = 0, hi = model->nvisible;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare_ids(model, model->visible[mid], id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void visible_insert(ui_key_model *model, size_t row, uint32_t id)
{
    model->visible = grow(model->visible, &model->visible_cap, model->nvisible + 1,
                          sizeof *model->visible);
    memmove(model->visible + row + 1, model->visible + row,
            (model->nvisible - row) * sizeof *model->visible);
    model->visible[row] = id;
    model->nvisible++;
}

long ui_key_model_row_of(const ui_key_model *model, uint32_t id)
{
    size_t row = visible_position(model, id);
    return row < model->nvisible && model->visible[row] == id ? (long)row : -1;
}

int64_t ui_key_ttl_left(const ui_key_entry *entry, int64_t now)
{
    if (entry->expiry == 0)
        return -1;
    return entry->expiry > now ? entry->expiry - now : 0;
}

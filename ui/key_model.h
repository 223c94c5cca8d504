/*
 * key_model.h - the key list's data: every key the store reported, kept compactly enough for
 * millions (one byte arena plus fixed-size entries, about 40 bytes a key beyond the key itself),
 * sorted, and the subset the filter shows. No curses here, so it is unit-tested directly.
 */
#ifndef UI_KEY_MODEL_H
#define UI_KEY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv.h"

typedef struct ui_key_entry {
    uint64_t key_offset; /* into the arena */
    uint64_t cas;
    int64_t expiry;      /* absolute Unix time, 0 = none */
    uint32_t flags;
    uint32_t size;
    uint16_t key_len;
    bool removed;        /* dropped: kept in the arena until the next compaction */
    bool partial;        /* listed before its flags and size are known (kv_key_detail) */
} ui_key_entry;

typedef struct ui_key_model {
    char *arena;
    size_t arena_len, arena_cap;
    ui_key_entry *entries;
    size_t count, capacity;
    uint32_t *sorted; /* entry ids in key order (removed ones left out) */
    size_t nsorted;
    size_t nsorted_clean; /* sorted[0..nsorted_clean) is in key order; the rest came after */
    bool sorted_dirty;    /* entries were added out of order: sort before the next use */
    uint32_t *visible; /* entry ids the filter shows, in key order */
    size_t nvisible, visible_cap;
    char filter[256];
    bool filter_glob;
    kv_key_matcher matcher; /* the filter, prepared */
} ui_key_model;

void ui_key_model_init(ui_key_model *model);
void ui_key_model_free(ui_key_model *model);
/* Forget every key (a new scan starts). */
void ui_key_model_clear(ui_key_model *model);
/* Add a key of a scan batch (a scan never repeats a key, so there is no lookup). Keys that
 * arrive in order are filtered as they come; otherwise call ui_key_model_refresh. */
void ui_key_model_append(ui_key_model *model, const kv_key_info *info);
/* Add or update one key (a write seen on the store, a re-check); the filter applies to it. */
void ui_key_model_put(ui_key_model *model, const kv_key_info *info);
/* Drop KEY; true when it was listed. */
bool ui_key_model_remove(ui_key_model *model, const char *key, size_t key_len);
/* The entry id of KEY, or -1. */
long ui_key_model_find(ui_key_model *model, const char *key, size_t key_len);
/* Sort (if needed) and recompute what the filter shows. */
void ui_key_model_refresh(ui_key_model *model);
/* Set the filter: substring, case-insensitive; a glob when it holds * or ?. "" shows all. A
 * filter that extends the previous substring narrows the visible set instead of rescanning. */
void ui_key_model_set_filter(ui_key_model *model, const char *filter);
const ui_key_entry *ui_key_model_visible(const ui_key_model *model, size_t row);
const char *ui_key_model_key(const ui_key_model *model, const ui_key_entry *entry);
/* The row of entry ID among the visible ones, or -1. */
long ui_key_model_row_of(const ui_key_model *model, uint32_t id);
/* Seconds until ENTRY expires at NOW (0 when due), or -1 when it has no expiry. */
int64_t ui_key_ttl_left(const ui_key_entry *entry, int64_t now);

#endif /* UI_KEY_MODEL_H */

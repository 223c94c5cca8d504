/*
 * merge3.h - three-way merge of JSON documents by path: what I loaded (base), my edit (mine) and
 * what the store has now (theirs).
 *
 * Objects merge member by member, recursively: a member only one side changed (or added, or
 * removed) takes that side's version; a member both sides changed (or added) the same way is
 * taken once; a member both changed differently, or one removed and the other changed, is a
 * clash, listed by its JSON Pointer (RFC 6901: "/a~1b/c~0d" for a/b then c~d) with the three
 * versions, for the user to pick mine or theirs.
 *
 * Arrays are whole values, never merged element by element (an index means nothing once the
 * other side inserted or removed elements): an array only one side changed takes that side's;
 * changed differently on both sides, the whole array is one clash. Strings, numbers, literals,
 * a change of type, and a root that is not an object on all three sides follow the same
 * whole-value rule.
 *
 * Values are compared and printed by their exact text (numbers above 2^53, 0.10, 1e400 and
 * "\u00e9" stay as written; 1.0 and 1 differ, so they clash rather than one silently winning).
 * Member names are compared decoded and printed the way cJSON escapes them (escapes in names
 * may be normalized, e.g. "\u00e9" becomes the UTF-8 bytes).
 *
 * The result: members in mine's order (base order with mine's additions where mine put them),
 * then the members only theirs added, in theirs' order. Compact when mine has no newline,
 * otherwise indented like mine's first indented line (2 spaces if unclear), ending with a
 * newline when mine does. When one side did not change at all (byte for byte) the result is
 * the other side's exact text. No curses here.
 *
 * Use: ui_merge3, show clashes[] (set each clash's PICK to mine or theirs, any order, any number
 * of times), ui_merge_result for the text to save, ui_merge_free.
 */
#ifndef UI_MERGE3_H
#define UI_MERGE3_H

#include <stdbool.h>
#include <stddef.h>

#include "kv.h"

typedef enum ui_merge_pick { UI_MERGE_UNPICKED, UI_MERGE_MINE, UI_MERGE_THEIRS } ui_merge_pick;

typedef struct ui_merge_clash {
    char *path; /* JSON Pointer: "" is the whole document, "/a/b~1c/0" */
    char *base; /* each version as compact JSON; NULL where the member does not exist */
    char *mine;
    char *theirs;
    ui_merge_pick pick;
} ui_merge_clash;

typedef struct ui_merge {
    ui_merge_clash *clashes;
    size_t nclashes;
    size_t merged; /* members one side changed, taken without asking */
    void *internal;
} ui_merge;

/* Merge; an invalid document is KV_ERR_VALUE_FORMAT naming which one and where. */
kv_status ui_merge3(const char *base, size_t base_len, const char *mine, size_t mine_len,
                    const char *theirs, size_t theirs_len, ui_merge *merge, char *errbuf,
                    size_t errbuf_len);
/* The merged document with every clash resolved as picked (*text malloc'd). A clash left
 * unpicked is KV_ERR_ARGUMENT naming its path. */
kv_status ui_merge_result(const ui_merge *merge, char **text, size_t *len, char *errbuf,
                          size_t errbuf_len);
void ui_merge_free(ui_merge *merge);

#endif /* UI_MERGE3_H */

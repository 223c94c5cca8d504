/*
 * merge3.h - three-way merge of JSON documents by path: what I loaded (base), my edit (mine) and
 * what the store has now (theirs).
 *
 * Objects merge member by member, recursively: a member only one side changed (or added, or
 * removed) takes that side's version; a member both sides changed the same way is taken once;
 * a member both changed differently is a clash, listed by its JSON Pointer (RFC 6901) with the
 * three versions, for the user to pick mine or theirs. Arrays, strings, numbers and literals are
 * whole values (an array changed on both sides is one clash). The tree keeps every scalar's
 * original text (numbers above 2^53, 0.10, "\u00e9" stay as written); the result is compact when
 * mine was compact and indented like mine otherwise. No curses here.
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

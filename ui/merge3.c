/* Three-way JSON merge by path: see merge3.h. The merge runs twice over the same trees: once to
 * list the clashes, once (after the user picked) to build the result, taking the clashes in the
 * same order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge3_internal.h"

typedef struct merge_state {
    cJSON *base, *mine, *theirs;
    unsigned indent;    /* 0: mine was compact */
    bool final_newline; /* mine ends with a newline: so does the result */
    char *unchanged;    /* when one side did not change at all: the other's exact text */
    size_t unchanged_len;
} merge_state;

typedef struct merge_run {
    ui_merge *merge;
    bool listing;      /* first run: record clashes; second: apply the picks */
    size_t next_clash; /* second run: the clash met next */
    char *path;        /* the JSON Pointer of the value being merged */
    size_t path_len, path_cap;
} merge_run;

static void *checked(void *p)
{
    if (!p)
        abort();
    return p;
}

static cJSON *copy_of(const cJSON *item)
{
    return item ? checked(cJSON_Duplicate(item, true)) : NULL;
}

static char *compact(const cJSON *item)
{
    return item ? checked(cJSON_PrintUnformatted(item)) : NULL;
}

/* Append "/" and KEY to the path, escaped as RFC 6901 says (~ is ~0, / is ~1). */
static size_t push_segment(merge_run *run, const char *key)
{
    size_t saved = run->path_len, need = run->path_len + 2 * strlen(key) + 2;
    if (need > run->path_cap) {
        run->path_cap = need * 2;
        run->path = checked(realloc(run->path, run->path_cap));
    }
    run->path[run->path_len++] = '/';
    for (const char *k = key; *k; k++) {
        if (*k == '~' || *k == '/') {
            run->path[run->path_len++] = '~';
            run->path[run->path_len++] = *k == '~' ? '0' : '1';
        } else {
            run->path[run->path_len++] = *k;
        }
    }
    run->path[run->path_len] = '\0';
    return saved;
}

static void pop_segment(merge_run *run, size_t saved)
{
    run->path_len = saved;
    run->path[saved] = '\0';
}

static cJSON *clash(merge_run *run, const cJSON *base, const cJSON *mine, const cJSON *theirs)
{
    ui_merge *merge = run->merge;
    if (!run->listing) {
        const ui_merge_clash *c = &merge->clashes[run->next_clash++];
        return copy_of(c->pick == UI_MERGE_THEIRS ? theirs : mine);
    }
    merge->clashes =
        checked(realloc(merge->clashes, (merge->nclashes + 1) * sizeof *merge->clashes));
    ui_merge_clash *c = &merge->clashes[merge->nclashes++];
    c->path = ui__merge_copy(run->path, run->path_len);
    c->base = compact(base);
    c->mine = compact(mine);
    c->theirs = compact(theirs);
    c->pick = UI_MERGE_UNPICKED;
    return copy_of(mine);
}

static cJSON *merge_value(merge_run *run, const cJSON *base, const cJSON *mine,
                          const cJSON *theirs);

static void merge_member(merge_run *run, cJSON *out, const char *key, const cJSON *base,
                         const cJSON *mine, const cJSON *theirs)
{
    size_t saved = push_segment(run, key);
    cJSON *merged = merge_value(run, base, mine, theirs);
    pop_segment(run, saved);
    if (merged)
        cJSON_AddItemToObject(out, key, merged);
}

/* Members in mine's order, then the ones only theirs has, in theirs' order (a name given twice
 * counts once, the first, as cJSON reads it). */
static cJSON *merge_object(merge_run *run, const cJSON *base, const cJSON *mine,
                           const cJSON *theirs)
{
    cJSON *out = checked(cJSON_CreateObject());
    ui_merge_index *in_base = ui__merge_index(base), *in_mine = ui__merge_index(mine),
                   *in_theirs = ui__merge_index(theirs);
    const cJSON *item;
    cJSON_ArrayForEach(item, mine)
    {
        if (ui__merge_find(in_mine, item->string) == item)
            merge_member(run, out, item->string, ui__merge_find(in_base, item->string), item,
                         ui__merge_find(in_theirs, item->string));
    }
    cJSON_ArrayForEach(item, theirs)
    {
        if (!ui__merge_find(in_mine, item->string) &&
            ui__merge_find(in_theirs, item->string) == item)
            merge_member(run, out, item->string, ui__merge_find(in_base, item->string), NULL, item);
    }
    ui__merge_index_free(in_base);
    ui__merge_index_free(in_mine);
    ui__merge_index_free(in_theirs);
    return out;
}

/* The merged value (NULL: the member is gone). */
static cJSON *merge_value(merge_run *run, const cJSON *base, const cJSON *mine, const cJSON *theirs)
{
    if (ui__merge_same(mine, theirs) || ui__merge_same(theirs, base))
        return copy_of(mine);
    if (ui__merge_same(mine, base)) {
        if (run->listing)
            run->merge->merged++;
        return copy_of(theirs);
    }
    if (cJSON_IsObject(mine) && cJSON_IsObject(theirs) && (!base || cJSON_IsObject(base)))
        return merge_object(run, base, mine, theirs);
    return clash(run, base, mine, theirs);
}

static cJSON *run_merge(ui_merge *merge, bool listing)
{
    merge_state *state = merge->internal;
    merge_run run = {.merge = merge, .listing = listing};
    run.path_cap = 64;
    run.path = checked(calloc(1, run.path_cap));
    cJSON *result = merge_value(&run, state->base, state->mine, state->theirs);
    free(run.path);
    return result;
}

/* Mine's indentation: the spaces that start its first indented line (0 when compact). */
static unsigned indent_of(const char *text, size_t len)
{
    const char *nl = memchr(text, '\n', len);
    while (nl && nl + 1 < text + len && nl[1] == '\n')
        nl++;
    if (!nl)
        return 0;
    unsigned spaces = 0;
    for (const char *p = nl + 1; p < text + len && *p == ' '; p++)
        spaces++;
    return spaces > 0 && spaces <= 8 ? spaces : 2;
}

static cJSON *parse_side(const char *name, const char *text, size_t len, char *errbuf,
                         size_t errbuf_len, kv_status *status)
{
    kv_json_error error;
    cJSON *tree = ui__merge_tree(text, len, &error);
    if (!tree)
        *status = kv_error_printf(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                                  "%s: invalid JSON at line %u, column %u: %s", name, error.line,
                                  error.column, error.message);
    return tree;
}

/* When a side did not change, the result is the other side's exact text. */
static void note_unchanged(merge_state *state, const char *base, size_t base_len, const char *mine,
                           size_t mine_len, const char *theirs, size_t theirs_len)
{
    bool mine_kept = mine_len == base_len && memcmp(mine, base, base_len) == 0;
    bool theirs_kept = theirs_len == base_len && memcmp(theirs, base, base_len) == 0;
    if (theirs_kept || (mine_len == theirs_len && memcmp(mine, theirs, mine_len) == 0)) {
        state->unchanged = ui__merge_copy(mine, mine_len);
        state->unchanged_len = mine_len;
    } else if (mine_kept) {
        state->unchanged = ui__merge_copy(theirs, theirs_len);
        state->unchanged_len = theirs_len;
    }
}

kv_status ui_merge3(const char *base, size_t base_len, const char *mine, size_t mine_len,
                    const char *theirs, size_t theirs_len, ui_merge *merge, char *errbuf,
                    size_t errbuf_len)
{
    memset(merge, 0, sizeof *merge);
    merge_state *state = checked(calloc(1, sizeof *state));
    merge->internal = state;
    kv_status status = KV_OK;
    state->base = parse_side("base", base, base_len, errbuf, errbuf_len, &status);
    if (status == KV_OK)
        state->mine = parse_side("mine", mine, mine_len, errbuf, errbuf_len, &status);
    if (status == KV_OK)
        state->theirs = parse_side("theirs", theirs, theirs_len, errbuf, errbuf_len, &status);
    if (status != KV_OK) {
        ui_merge_free(merge);
        return status;
    }
    state->indent = indent_of(mine, mine_len);
    state->final_newline = mine_len > 0 && mine[mine_len - 1] == '\n';
    note_unchanged(state, base, base_len, mine, mine_len, theirs, theirs_len);
    cJSON_Delete(run_merge(merge, true));
    return KV_OK;
}

kv_status ui_merge_result(const ui_merge *merge, char **text, size_t *len, char *errbuf,
                          size_t errbuf_len)
{
    const merge_state *state = merge->internal;
    if (state->unchanged) {
        *text = ui__merge_copy(state->unchanged, state->unchanged_len);
        *len = state->unchanged_len;
        return KV_OK;
    }
    for (size_t i = 0; i < merge->nclashes; i++)
        if (merge->clashes[i].pick == UI_MERGE_UNPICKED)
            return kv_error_printf(
                errbuf, errbuf_len, KV_ERR_ARGUMENT, "pick mine or theirs for %s first",
                merge->clashes[i].path[0] ? merge->clashes[i].path : "the whole document");
    cJSON *result = run_merge((ui_merge *)merge, false);
    *text = ui__merge_print(result, state->indent, len);
    cJSON_Delete(result);
    if (state->final_newline && (*len == 0 || (*text)[*len - 1] != '\n')) {
        *text = checked(realloc(*text, *len + 2));
        (*text)[(*len)++] = '\n';
        (*text)[*len] = '\0';
    }
    return KV_OK;
}

void ui_merge_free(ui_merge *merge)
{
    merge_state *state = merge->internal;
    if (state) {
        cJSON_Delete(state->base);
        cJSON_Delete(state->mine);
        cJSON_Delete(state->theirs);
        free(state->unchanged);
        free(state);
    }
    for (size_t i = 0; i < merge->nclashes; i++) {
        free(merge->clashes[i].path);
        free(merge->clashes[i].base);
        free(merge->clashes[i].mine);
        free(merge->clashes[i].theirs);
    }
    free(merge->clashes);
    memset(merge, 0, sizeof *merge);
}

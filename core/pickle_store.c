/* Storage of a decoded pickle: the node arena and the sparse memo, both capped. */
#include <stdlib.h>
#include <string.h>

#include "pickle_internal.h"

#define SLAB_NODES 4096u

static bool kind_has_seq(uint8_t kind)
{
    return kind >= KV__PK_LIST && kind <= KV__PK_PERSID;
}

kv__pnode *kv__parena_node(kv__parena *arena, kv__pkind kind)
{
    if (arena->count >= KV__PICKLE_MAX_NODES)
        return NULL;
    if (arena->nslabs == 0 || arena->used == SLAB_NODES) {
        kv__pnode **slabs = realloc(arena->slabs, (arena->nslabs + 1) * sizeof *slabs);
        if (!slabs)
            return NULL;
        arena->slabs = slabs;
        slabs[arena->nslabs] = malloc(SLAB_NODES * sizeof(kv__pnode));
        if (!slabs[arena->nslabs])
            return NULL;
        arena->nslabs++;
        arena->used = 0;
    }
    kv__pnode *node = &arena->slabs[arena->nslabs - 1][arena->used++];
    arena->count++;
    memset(node, 0, sizeof *node);
    node->kind = (uint8_t)kind;
    return node;
}

static void node_release(kv__pnode *node)
{
    if (kind_has_seq(node->kind))
        free(node->u.seq.items);
    else if (node->flags & KV__PN_OWNED)
        free((void *)node->u.bytes.data);
}

void kv__parena_free(kv__parena *arena)
{
    for (size_t s = 0; s < arena->nslabs; s++) {
        size_t n = s + 1 == arena->nslabs ? arena->used : SLAB_NODES;
        for (size_t i = 0; i < n; i++)
            node_release(&arena->slabs[s][i]);
        free(arena->slabs[s]);
    }
    free(arena->slabs);
    memset(arena, 0, sizeof *arena);
}

static size_t memo_hash(uint32_t key, size_t cap)
{
    return (size_t)((key * 2654435761u) & (cap - 1));
}

static kv__pmemo_slot *memo_find(const kv__pmemo *memo, uint32_t key)
{
    size_t i = memo_hash(key, memo->cap);
    while (memo->slots[i].value && memo->slots[i].key != key)
        i = (i + 1) & (memo->cap - 1);
    return &memo->slots[i];
}

/* Doubles the table so that it stays at most half full. */
static int memo_grow(kv__pmemo *memo)
{
    kv__pmemo old = *memo;
    memo->cap = old.cap ? old.cap * 2 : 64;
    memo->slots = calloc(memo->cap, sizeof *memo->slots);
    if (!memo->slots) {
        *memo = old;
        return -1;
    }
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].value)
            *memo_find(memo, old.slots[i].key) = old.slots[i];
    free(old.slots);
    return 0;
}

int kv__pmemo_put(kv__pmemo *memo, uint32_t key, kv__pnode *value)
{
    if ((memo->count + 1) * 2 > memo->cap && memo_grow(memo) != 0)
        return -1;
    kv__pmemo_slot *slot = memo_find(memo, key);
    if (!slot->value) {
        if (memo->count >= KV__PICKLE_MAX_MEMO)
            return -1;
        memo->count++;
    }
    slot->key = key;
    slot->value = value;
    return 0;
}

kv__pnode *kv__pmemo_get(const kv__pmemo *memo, uint32_t key)
{
    return memo->cap ? memo_find(memo, key)->value : NULL;
}

void kv__pmemo_free(kv__pmemo *memo)
{
    free(memo->slots);
    memset(memo, 0, sizeof *memo);
}

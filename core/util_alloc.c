/* Allocation that cannot fail: see util_alloc.h. */
#include <stdio.h>
#include <stdlib.h>

#include "util_alloc.h"

void kv__out_of_memory(void)
{
    fputs("kvtui: out of memory\n", stderr);
    abort();
}

void *kv__xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        kv__out_of_memory();
    return p;
}

void *kv__xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        kv__out_of_memory();
    return p;
}

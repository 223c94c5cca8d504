/*
 * util_alloc.h - allocation that cannot fail (internal to core/).
 *
 * Out of memory in the middle of building a batch, an event or a JSON line leaves nothing sane
 * to report through, so these print one line and abort; the TUI's abort handler restores the
 * terminal first.
 */
#ifndef KV_UTIL_ALLOC_H
#define KV_UTIL_ALLOC_H

#include <stddef.h>

void *kv__xcalloc(size_t count, size_t size);
void *kv__xrealloc(void *ptr, size_t size);
void kv__out_of_memory(void) __attribute__((noreturn));

#endif /* KV_UTIL_ALLOC_H */

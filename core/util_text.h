/* util_text.h - server text made fit for a message (internal to core). */
#ifndef KV_UTIL_TEXT_H
#define KV_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* At most MAX bytes of DATA (LEN bytes, from a server) into OUT (CAP bytes, NUL-terminated),
 * every byte that is not printable ASCII as '?', so no control byte reaches a terminal. */
void kv__printable(char *out, size_t cap, const void *data, size_t len, size_t max);

#endif /* KV_UTIL_TEXT_H */

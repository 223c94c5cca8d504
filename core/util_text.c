/* Server text made fit for a message: see util_text.h. */
#include "util_text.h"

void kv__printable(char *out, size_t cap, const void *data, size_t len, size_t max)
{
    const uint8_t *bytes = data;
    size_t n = len < max ? len : max;
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = bytes[i] >= 0x20 && bytes[i] < 0x7f ? (char)bytes[i] : '?';
    out[n] = '\0';
}

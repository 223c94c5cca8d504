/* Strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
#include "kv.h"

/* Length of the sequence starting at S (of at most LEFT bytes), or 0 when it is invalid. */
static size_t utf8_sequence_length(const uint8_t *s, size_t left)
{
    uint8_t c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF; /* the valid range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (left < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

bool kv_utf8_valid(const uint8_t *text, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (text[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_sequence_length(text + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

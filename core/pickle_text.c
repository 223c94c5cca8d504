/* Text helpers shared by the pickle renderers and encoder: a capped buffer, float and big-int
 * formatting, and the UTF-8 reading rules for Python strings. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle_internal.h"

void kv__pbuf_init(kv__pbuf *buf, size_t limit)
{
    memset(buf, 0, sizeof *buf);
    buf->limit = limit;
}

void kv__pbuf_free(kv__pbuf *buf)
{
    free(buf->data);
    memset(buf, 0, sizeof *buf);
}

static bool pbuf_reserve(kv__pbuf *buf, size_t extra)
{
    if (buf->cap - buf->len > extra)
        return true;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap - buf->len <= extra)
        cap *= 2;
    char *grown = realloc(buf->data, cap);
    if (!grown) {
        buf->oom = true;
        return false;
    }
    buf->data = grown;
    buf->cap = cap;
    return true;
}

void kv__pbuf_add(kv__pbuf *buf, const void *data, size_t len)
{
    if (buf->overflow || buf->oom)
        return;
    if (len > buf->limit - buf->len) {
        buf->overflow = true;
        return;
    }
    if (!pbuf_reserve(buf, len))
        return;
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
}

void kv__pbuf_str(kv__pbuf *buf, const char *text)
{
    kv__pbuf_add(buf, text, strlen(text));
}

void kv__pbuf_byte(kv__pbuf *buf, uint8_t byte)
{
    kv__pbuf_add(buf, &byte, 1);
}

void kv__pbuf_printf(kv__pbuf *buf, const char *format, ...)
{
    char text[128];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(text, sizeof text, format, args);
    va_end(args);
    if (n > 0)
        kv__pbuf_add(buf, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

char *kv__pbuf_take(kv__pbuf *buf)
{
    bool was_overflow = buf->overflow;
    buf->overflow = false;
    buf->limit = buf->len + 1;
    if (!pbuf_reserve(buf, 1)) {
        kv__pbuf_free(buf);
        return NULL;
    }
    buf->data[buf->len] = '\0';
    char *text = buf->data;
    memset(buf, 0, sizeof *buf);
    buf->overflow = was_overflow;
    return text;
}

/* Python's float repr: the shortest round-tripping digits, with ".0" on integral values so
 * the text reads back as a float; the caller runs under the C locale. */
void kv__pickle_format_double(double value, char *out, size_t out_len)
{
    if (value != value) {
        snprintf(out, out_len, "nan");
        return;
    }
    if (value > 1.7976931348623157e308 || value < -1.7976931348623157e308) {
        snprintf(out, out_len, value > 0 ? "inf" : "-inf");
        return;
    }
    /* %g drops trailing zeros, so 15 digits is already the shortest form for any value
     * that round-trips at 15 - except subnormals, which carry fewer significant digits. */
    bool subnormal = value != 0 && value > -2.2250738585072014e-308 && value < 2.2250738585072014e-308;
    for (int precision = subnormal ? 1 : 15; precision <= 17; precision++) {
        snprintf(out, out_len, "%.*g", precision, value);
        if (strtod(out, NULL) == value)
            break;
    }
    if (!strpbrk(out, ".e"))
        strncat(out, ".0", out_len - strlen(out) - 1);
}

/* Divides the little-endian 32-bit limbs of MAG by 1e9 in place, returning the remainder. */
static uint32_t limbs_divide_1e9(uint32_t *mag, size_t *nlimbs)
{
    uint64_t rem = 0;
    for (size_t i = *nlimbs; i-- > 0;) {
        uint64_t cur = (rem << 32) | mag[i];
        mag[i] = (uint32_t)(cur / 1000000000u);
        rem = cur % 1000000000u;
    }
    while (*nlimbs > 0 && mag[*nlimbs - 1] == 0)
        (*nlimbs)--;
    return (uint32_t)rem;
}

/* Loads the magnitude of a two's complement little-endian number into 32-bit limbs. */
static uint32_t *limbs_from_twos(const uint8_t *le, size_t len, bool *negative, size_t *nlimbs)
{
    *negative = len > 0 && (le[len - 1] & 0x80);
    *nlimbs = len / 4 + 1;
    uint32_t *mag = calloc(*nlimbs, sizeof *mag);
    if (!mag)
        return NULL;
    unsigned carry = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned byte = le[i];
        if (*negative) {
            byte = (~byte & 0xffu) + carry;
            carry = byte >> 8;
            byte &= 0xffu;
        }
        mag[i / 4] |= (uint32_t)byte << (8 * (i % 4));
    }
    while (*nlimbs > 0 && mag[*nlimbs - 1] == 0)
        (*nlimbs)--;
    return mag;
}

bool kv__pickle_bigint_decimal(const uint8_t *le, size_t len, kv__pbuf *out)
{
    if (len > KV__PICKLE_MAX_DIGITS / 2) /* > 2150 bytes is > 5170 digits: refuse early */
        return false;
    bool negative;
    size_t nlimbs;
    uint32_t *mag = limbs_from_twos(le, len, &negative, &nlimbs);
    size_t nchunks = len / 4 + 2;
    uint32_t *chunks = malloc(nchunks * 2 * sizeof *chunks);
    if (!mag || !chunks) {
        free(mag);
        free(chunks);
        out->oom = true;
        return false;
    }
    size_t used = 0;
    do
        chunks[used++] = limbs_divide_1e9(mag, &nlimbs);
    while (nlimbs > 0);
    char first[16];
    int first_len = snprintf(first, sizeof first, "%u", chunks[used - 1]);
    bool ok = (size_t)first_len + 9 * (used - 1) <= KV__PICKLE_MAX_DIGITS;
    if (ok) {
        if (negative)
            kv__pbuf_byte(out, '-');
        kv__pbuf_str(out, first);
        for (size_t i = used - 1; i-- > 0;)
            kv__pbuf_printf(out, "%09u", chunks[i]);
    }
    free(mag);
    free(chunks);
    return ok;
}

size_t kv__pickle_utf8_next(const uint8_t *s, size_t left, uint32_t *code_point)
{
    uint8_t c = s[0];
    if (c < 0x80) {
        *code_point = c;
        return 1;
    }
    size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    static const uint32_t min_value[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < 0xc2 || c > 0xf4 || left < n)
        return 0;
    uint32_t cp = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min_value[n] || cp > 0x10ffff)
        return 0;
    *code_point = cp;
    return n;
}

bool kv__pickle_codepoint_unsafe(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
        return true;
    if (cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e))
        return true;
    if ((cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff)
        return true;
    return cp >= 0xd800 && cp <= 0xdfff;
}

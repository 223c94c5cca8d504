/* Base64 (RFC 4648, with padding) for bytes in JSON output and JSON Lines export. */
#include <stdlib.h>
#include <string.h>

#include "kv.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *kv_base64_encode(const uint8_t *data, size_t len, size_t *out_len)
{
    size_t n = 4 * ((len + 2) / 3);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    char *p = out;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        *p++ = alphabet[(v >> 18) & 63];
        *p++ = alphabet[(v >> 12) & 63];
        *p++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        *p++ = i + 2 < len ? alphabet[v & 63] : '=';
    }
    *p = '\0';
    if (out_len)
        *out_len = n;
    return out;
}

static int base64_digit(unsigned char c)
{
    const char *hit = c ? strchr(alphabet, c) : NULL;
    return hit ? (int)(hit - alphabet) : -1;
}

kv_status kv_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len)
{
    if (len % 4 != 0)
        return KV_ERR_VALUE_FORMAT;
    uint8_t *buf = malloc(len / 4 * 3 + 1);
    if (!buf)
        return KV_ERR_INTERNAL;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int pad = (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=');
        bool last = i + 4 == len;
        uint32_t v = 0;
        for (int j = 0; j < 4 - pad; j++) {
            int d = base64_digit((unsigned char)text[i + j]);
            if (d < 0)
                goto bad;
            v |= (uint32_t)d << (18 - 6 * j);
        }
        if (pad && !last)
            goto bad;
        buf[n++] = (uint8_t)(v >> 16);
        if (pad < 2)
            buf[n++] = (uint8_t)(v >> 8);
        if (pad < 1)
            buf[n++] = (uint8_t)v;
    }
    *out = buf;
    *out_len = n;
    return KV_OK;
bad:
    free(buf);
    return KV_ERR_VALUE_FORMAT;
}

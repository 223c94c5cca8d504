/*
 * The memcached text protocol pieces kvtui reads, as pure functions: lines and data blocks off
 * a receive buffer, meta (mg) replies, `lru_crawler metadump` lines (1.6.18 format, plus the
 * flags= field newer servers add), `stats` lines, and mg commands with base64 keys (so any
 * binary key works). Shapes are in shared/reference/protocol.md sections 5.3 and 5.5.
 */
#include <string.h>

#include "mc_internal.h"

int kv__mc_next_line(kv__rbuf *in, size_t max, const char **line, size_t *len)
{
    size_t held = kv__rbuf_len(in);
    size_t look = held < max + 1 ? held : max + 1;
    const char *start = (const char *)kv__rbuf_data(in);
    const char *nl = look ? memchr(start, '\n', look) : NULL;
    if (!nl)
        return held > max ? -1 : 0;
    size_t n = (size_t)(nl - start);
    *line = start;
    *len = n > 0 && start[n - 1] == '\r' ? n - 1 : n;
    kv__rbuf_consume(in, n + 1);
    return 1;
}

int kv__mc_next_block(kv__rbuf *in, size_t len, const uint8_t **data)
{
    if (kv__rbuf_len(in) < len + 2)
        return 0;
    const uint8_t *p = kv__rbuf_data(in);
    if (p[len] != '\r' || p[len + 1] != '\n')
        return -1;
    *data = p;
    kv__rbuf_consume(in, len + 2);
    return 1;
}

static bool starts_with(const char *line, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(line, prefix, n) == 0;
}

/* Parse a decimal number of LEN bytes (an optional '-' when NEGATIVE_OK). */
static bool parse_int(const char *text, size_t len, bool negative_ok, int64_t *out)
{
    bool negative = negative_ok && len > 0 && text[0] == '-';
    size_t i = negative ? 1 : 0;
    if (i == len || len - i > 19)
        return false;
    int64_t value = 0;
    for (; i < len; i++) {
        int digit = text[i] - '0';
        if (digit < 0 || digit > 9 || value > (INT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    *out = negative ? -value : value;
    return true;
}

static bool parse_u64(const char *text, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20)
        return false;
    uint64_t value = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned digit = (unsigned)(text[i] - '0');
        if (digit > 9 || value > (UINT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

/* The next space-separated token of LINE at *POS. */
static bool next_token(const char *line, size_t len, size_t *pos, const char **tok, size_t *tok_len)
{
    while (*pos < len && line[*pos] == ' ')
        (*pos)++;
    if (*pos >= len)
        return false;
    *tok = line + *pos;
    while (*pos < len && line[*pos] != ' ')
        (*pos)++;
    *tok_len = (size_t)(line + *pos - *tok);
    return true;
}

/* One returned flag of an mg reply ("t-1", "c5", "f0", "s3"); unknown flags are ignored. */
static bool parse_meta_flag(const char *tok, size_t len, kv__mc_meta *meta)
{
    uint64_t u;
    switch (tok[0]) {
    case 't':
        return meta->has_ttl = parse_int(tok + 1, len - 1, true, &meta->ttl);
    case 'c':
        return meta->has_cas = parse_u64(tok + 1, len - 1, &meta->cas);
    case 'f':
        if (!parse_u64(tok + 1, len - 1, &u) || u > UINT32_MAX)
            return false;
        meta->flags = (uint32_t)u;
        return meta->has_flags = true;
    case 's':
        return meta->has_size = parse_u64(tok + 1, len - 1, &meta->size);
    default:
        return true;
    }
}

static kv__mc_meta_kind meta_code(const char *tok, size_t len)
{
    if (len == 2 && memcmp(tok, "HD", 2) == 0)
        return KV__MC_META_HD;
    if (len == 2 && memcmp(tok, "VA", 2) == 0)
        return KV__MC_META_VA;
    if (len == 2 && memcmp(tok, "EN", 2) == 0)
        return KV__MC_META_EN;
    return KV__MC_META_BAD;
}

static bool is_error_line(const char *line, size_t len)
{
    return (len == 5 && memcmp(line, "ERROR", 5) == 0) || starts_with(line, len, "ERROR ") ||
           starts_with(line, len, "CLIENT_ERROR") || starts_with(line, len, "SERVER_ERROR");
}

kv__mc_meta_kind kv__mc_parse_meta(const char *line, size_t len, kv__mc_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    if (is_error_line(line, len))
        return meta->kind = KV__MC_META_ERROR;
    size_t pos = 0, tok_len;
    const char *tok;
    if (!next_token(line, len, &pos, &tok, &tok_len))
        return meta->kind = KV__MC_META_BAD;
    meta->kind = meta_code(tok, tok_len);
    if (meta->kind == KV__MC_META_VA) {
        uint64_t value_len;
        if (!next_token(line, len, &pos, &tok, &tok_len) || !parse_u64(tok, tok_len, &value_len) ||
            value_len > KV_VALUE_MAX)
            return meta->kind = KV__MC_META_BAD;
        meta->value_len = (size_t)value_len;
    }
    while (meta->kind != KV__MC_META_BAD && next_token(line, len, &pos, &tok, &tok_len))
        if (!parse_meta_flag(tok, tok_len, meta))
            meta->kind = KV__MC_META_BAD;
    return meta->kind;
}

bool kv__mc_url_decode(const char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++, n++) {
        if (n >= cap)
            return false;
        if (in[i] != '%') {
            out[n] = in[i];
            continue;
        }
        int hi = i + 2 < len ? kv_hex_digit((unsigned char)in[i + 1]) : -1;
        int lo = hi >= 0 ? kv_hex_digit((unsigned char)in[i + 2]) : -1;
        if (lo < 0)
            return false;
        out[n] = (char)(hi << 4 | lo);
        i += 2;
    }
    *out_len = n;
    return true;
}

/* One "name=value" field of a metadump line. */
static bool parse_dump_field(const char *tok, size_t len, kv__mc_dump_entry *e, bool *has_key)
{
    const char *eq = memchr(tok, '=', len);
    if (!eq)
        return false;
    size_t name_len = (size_t)(eq - tok), value_len = len - name_len - 1;
    const char *value = eq + 1;
    uint64_t u;
    if (name_len == 3 && memcmp(tok, "key", 3) == 0)
        return *has_key = kv__mc_url_decode(value, value_len, e->key, sizeof e->key, &e->key_len) &&
                          e->key_len > 0;
    if (name_len == 3 && memcmp(tok, "exp", 3) == 0)
        return parse_int(value, value_len, true, &e->exp);
    if (name_len == 3 && memcmp(tok, "cas", 3) == 0)
        return parse_u64(value, value_len, &e->cas);
    if (name_len == 4 && memcmp(tok, "size", 4) == 0)
        return parse_u64(value, value_len, &e->size);
    if (name_len == 5 && memcmp(tok, "flags", 5) == 0) {
        if (!parse_u64(value, value_len, &u) || u > UINT32_MAX)
            return false;
        e->flags = (uint32_t)u;
        return e->has_flags = true;
    }
    return true; /* la, fetch, cls, ext_page, ... */
}

int kv__mc_parse_dump_line(const char *line, size_t len, kv__mc_dump_entry *e)
{
    if (kv__mc_is_end(line, len))
        return 0;
    memset(e, 0, sizeof *e);
    e->exp = -1;
    if (!starts_with(line, len, "key="))
        return -1;
    bool has_key = false;
    size_t pos = 0, tok_len;
    const char *tok;
    while (next_token(line, len, &pos, &tok, &tok_len))
        if (!parse_dump_field(tok, tok_len, e, &has_key))
            return -1;
    return has_key ? 1 : -1;
}

bool kv__mc_parse_stat(const char *line, size_t len, const char *name, int64_t *value)
{
    size_t name_len = strlen(name);
    if (!starts_with(line, len, "STAT ") || len < 5 + name_len + 2 ||
        memcmp(line + 5, name, name_len) != 0 || line[5 + name_len] != ' ')
        return false;
    size_t at = 5 + name_len + 1;
    return parse_int(line + at, len - at, false, value);
}

bool kv__mc_is_end(const char *line, size_t len)
{
    return len == 3 && memcmp(line, "END", 3) == 0;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t base64_into(char *out, const uint8_t *data, size_t len)
{
    char *p = out;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        v |= i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0;
        v |= i + 2 < len ? data[i + 2] : 0;
        *p++ = b64_alphabet[(v >> 18) & 63];
        *p++ = b64_alphabet[(v >> 12) & 63];
        *p++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        *p++ = i + 2 < len ? b64_alphabet[v & 63] : '=';
    }
    return (size_t)(p - out);
}

/* Keys of printable bytes go as they are; others need base64, which memcached only takes up to
 * its 250-byte key limit (keys of at most 186 bytes). */
static bool text_safe_key(const char *key, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)key[i] <= 0x20 || (unsigned char)key[i] == 0x7f)
            return false;
    return len > 0 && len <= KV_KEY_MAX;
}

size_t kv__mc_encode_mg(char *out, size_t cap, const char *key, size_t key_len, const char *flags)
{
    bool plain = text_safe_key(key, key_len);
    size_t encoded = plain ? key_len : 4 * ((key_len + 2) / 3);
    size_t flags_len = strlen(flags);
    size_t need = 3 + encoded + (plain ? 1 : 3) + flags_len + 2;
    if (encoded > KV_KEY_MAX || key_len == 0 || need > cap)
        return 0;
    memcpy(out, "mg ", 3);
    size_t n = 3;
    if (plain) {
        memcpy(out + n, key, key_len);
        n += key_len;
    } else {
        n += base64_into(out + n, (const uint8_t *)key, key_len);
    }
    memcpy(out + n, plain ? " " : " b ", plain ? 1 : 3);
    n += plain ? 1 : 3;
    memcpy(out + n, flags, flags_len);
    memcpy(out + n + flags_len, "\r\n", 2);
    return need;
}

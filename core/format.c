/* Document formats: Python SDK 2.x flag values, legacy flags, and auto-detection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

static const struct {
    kv_format format;
    const char *name;
    uint32_t flags;
    uint32_t legacy; /* the Python SDK 1.x value, still found in old buckets */
} formats[] = {
    {KV_FORMAT_JSON, "json", KV_FLAGS_JSON, 0},
    {KV_FORMAT_UTF8, "utf8", KV_FLAGS_UTF8, 4},
    {KV_FORMAT_BYTES, "bytes", KV_FLAGS_BYTES, 2},
    {KV_FORMAT_PICKLE, "pickle", KV_FLAGS_PICKLE, 1},
};
#define FORMAT_COUNT (sizeof formats / sizeof formats[0])

uint32_t kv_format_flags(kv_format format)
{
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        if (formats[i].format == format)
            return formats[i].flags;
    return KV_FLAGS_BYTES;
}

/* The SDK compares the common-flags top byte exactly, else the whole legacy value exactly. */
static bool format_lookup(uint32_t flags, kv_format *out)
{
    uint32_t common = flags & 0xFF000000u;
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        bool hit = common ? (formats[i].flags & 0xFF000000u) == common : formats[i].legacy == flags;
        if (hit) {
            *out = formats[i].format;
            return true;
        }
    }
    *out = KV_FORMAT_BYTES;
    return false;
}

kv_format kv_format_of_flags(uint32_t flags)
{
    kv_format format;
    format_lookup(flags, &format);
    return format;
}

bool kv_flags_known(uint32_t flags)
{
    kv_format format;
    return format_lookup(flags, &format);
}

const char *kv_format_name(kv_format format)
{
    if (format == KV_FORMAT_AUTO)
        return "auto";
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        if (formats[i].format == format)
            return formats[i].name;
    return "bytes";
}

kv_status kv_format_parse(const char *name, kv_format *out)
{
    if (name && strcmp(name, "auto") == 0) {
        *out = KV_FORMAT_AUTO;
        return KV_OK;
    }
    for (size_t i = 0; name && i < FORMAT_COUNT; i++) {
        if (strcmp(name, formats[i].name) == 0) {
            *out = formats[i].format;
            return KV_OK;
        }
    }
    return KV_ERR_ARGUMENT;
}

kv_format kv_format_detect(const uint8_t *value, size_t len)
{
    if (kv_json_valid((const char *)value, len, NULL))
        return KV_FORMAT_JSON;
    if (kv_utf8_valid(value, len))
        return KV_FORMAT_UTF8;
    return KV_FORMAT_BYTES;
}

static kv_status copy_value(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    *out = malloc(len ? len : 1);
    if (!*out)
        return KV_ERR_INTERNAL;
    if (len)
        memcpy(*out, in, len);
    *out_len = len;
    return KV_OK;
}

static kv_status check_text(kv_format format, const uint8_t *in, size_t len, char *errbuf,
                            size_t errbuf_len)
{
    kv_json_error jerr;
    if (format == KV_FORMAT_JSON && !kv_json_valid((const char *)in, len, &jerr)) {
        snprintf(errbuf, errbuf_len, "invalid JSON at line %u, column %u: %s", jerr.line,
                 jerr.column, jerr.message);
        return KV_ERR_VALUE_FORMAT;
    }
    if (format == KV_FORMAT_UTF8 && !kv_utf8_valid(in, len)) {
        snprintf(errbuf, errbuf_len, "value is not valid UTF-8 (use --format bytes)");
        return KV_ERR_VALUE_FORMAT;
    }
    return KV_OK;
}

kv_status kv_value_encode(kv_format format, const uint8_t *in, size_t len, uint8_t **out,
                          size_t *out_len, uint32_t *flags, char *errbuf, size_t errbuf_len)
{
    kv_status status;
    if (errbuf_len)
        errbuf[0] = '\0';
    if (format == KV_FORMAT_AUTO)
        format = kv_format_detect(in, len);
    *flags = kv_format_flags(format);
    if (format == KV_FORMAT_PICKLE)
        status = kv_pickle_encode_json((const char *)in, len, out, out_len, errbuf, errbuf_len);
    else if ((status = check_text(format, in, len, errbuf, errbuf_len)) == KV_OK)
        status = copy_value(in, len, out, out_len);
    if (status == KV_OK && *out_len > KV_VALUE_MAX) {
        free(*out);
        *out = NULL;
        snprintf(errbuf, errbuf_len, "value is %zu bytes; the limit is %u", *out_len,
                 KV_VALUE_MAX);
        return KV_ERR_TOO_BIG;
    }
    return status;
}

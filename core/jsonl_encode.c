/* kv_result_to_json: one result as one JSON object on one line (CLI --json output and export). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transfer_internal.h"
#include "util_alloc.h"

/* Grows the buffer so EXTRA more bytes (and a NUL) fit; aborts on allocation failure because a
 * half-written JSON line is worse than no line. */
static void buffer_reserve(kv__text_buffer *buffer, size_t extra)
{
    if (buffer->len + extra + 1 <= buffer->cap)
        return;
    size_t cap = buffer->cap ? buffer->cap : 256;
    while (cap < buffer->len + extra + 1)
        cap *= 2;
    char *data = realloc(buffer->data, cap);
    if (!data) {
        kv__out_of_memory();
    }
    buffer->data = data;
    buffer->cap = cap;
}

void kv__text_append(kv__text_buffer *buffer, const void *bytes, size_t len)
{
    buffer_reserve(buffer, len);
    memcpy(buffer->data + buffer->len, bytes, len);
    buffer->len += len;
    buffer->data[buffer->len] = '\0';
}

static void append_cstr(kv__text_buffer *buffer, const char *text)
{
    kv__text_append(buffer, text, strlen(text));
}

/* Length of the valid UTF-8 sequence at P (1-4), or 0 when the bytes there are not one. */
size_t kv__utf8_sequence_length(const uint8_t *p, size_t avail)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || p[0] > 0xf4 || avail < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && p[0] == 0xe0 && p[1] < 0xa0)
        return 0; /* overlong */
    if (n == 3 && p[0] == 0xed && p[1] >= 0xa0)
        return 0; /* UTF-16 surrogate */
    if (n == 4 && p[0] == 0xf0 && p[1] < 0x90)
        return 0; /* overlong */
    if (n == 4 && p[0] == 0xf4 && p[1] >= 0x90)
        return 0; /* above U+10FFFF */
    return n;
}

static const char *short_escape(uint8_t c)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    default: return NULL;
    }
}

/* Escapes control characters (and DEL) so no terminal escape survives in the output, keeps valid
 * UTF-8 as is, and writes each byte of invalid UTF-8 as \u00XX (so keys that are not text still
 * give valid JSON; such keys do not survive a round trip byte for byte). */
void kv__json_append_string(kv__text_buffer *buffer, const uint8_t *text, size_t len)
{
    buffer_reserve(buffer, len + 2);
    kv__text_append(buffer, "\"", 1);
    size_t run = 0; /* start of the pending run of bytes copied as they are */
    size_t i = 0;
    while (i < len) {
        uint8_t c = text[i];
        size_t n = c >= 0x20 && c != '"' && c != '\\' && c != 0x7f
                       ? kv__utf8_sequence_length(text + i, len - i) : 0;
        if (n > 0) {
            i += n;
            continue;
        }
        kv__text_append(buffer, text + run, i - run);
        const char *escape = short_escape(c);
        char hex[8];
        if (!escape) {
            snprintf(hex, sizeof hex, "\\u%04x", (unsigned)c);
            escape = hex;
        }
        append_cstr(buffer, escape);
        run = ++i;
    }
    kv__text_append(buffer, text + run, len - run);
    kv__text_append(buffer, "\"", 1);
}

static void append_base64(kv__text_buffer *buffer, const uint8_t *data, size_t len)
{
    size_t out_len = 0;
    char *encoded = kv_base64_encode(data, len, &out_len);
    if (!encoded) {
        kv__out_of_memory();
    }
    kv__text_append(buffer, "\"", 1);
    kv__text_append(buffer, encoded, out_len);
    kv__text_append(buffer, "\"", 1);
    free(encoded);
}

static bool is_json_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* True when TEXT can sit verbatim inside a JSON line and be cut out again byte for byte: valid
 * JSON on one line, with nothing around the value that a reader would trim. */
static bool json_embeds_exactly(const uint8_t *text, size_t len)
{
    if (len == 0 || is_json_space(text[0]) || is_json_space(text[len - 1]))
        return false;
    if (memchr(text, '\n', len) || memchr(text, '\r', len))
        return false;
    return kv_json_valid((const char *)text, len, NULL);
}

/* A json document: verbatim when exact, minified for display when it spans lines, else base64.
 * Returns true when the value went out as base64. */
static bool append_json_value(kv__text_buffer *buffer, const uint8_t *value, size_t len,
                              bool for_export)
{
    if (json_embeds_exactly(value, len)) {
        kv__text_append(buffer, value, len);
        return false;
    }
    char *compact = NULL;
    size_t compact_len = 0;
    if (!for_export &&
        kv_json_format((const char *)value, len, 0, &compact, &compact_len, NULL) == KV_OK) {
        kv__text_append(buffer, compact, compact_len);
        free(compact);
        return false;
    }
    free(compact);
    append_base64(buffer, value, len);
    return true;
}

/* Plain pickles show as their data, others as their inert rendering; a broken one as base64. */
static bool append_pickle_display(kv__text_buffer *buffer, const uint8_t *value, size_t len)
{
    kv_pickle_view view;
    memset(&view, 0, sizeof view);
    char errbuf[128];
    if (kv_pickle_decode(value, len, &view, errbuf, sizeof errbuf) != KV_OK) {
        kv_pickle_view_free(&view);
        append_base64(buffer, value, len);
        return true;
    }
    bool base64 = false;
    if (view.plain && view.json)
        base64 = append_json_value(buffer, (const uint8_t *)view.json, strlen(view.json), false);
    else if (view.display)
        kv__json_append_string(buffer, (const uint8_t *)view.display, strlen(view.display));
    else
        append_cstr(buffer, "null");
    kv_pickle_view_free(&view);
    return base64;
}

/* Writes the value as its format says; returns true when it was written as base64. */
static bool append_value(kv__text_buffer *buffer, const kv_result *result, bool for_export)
{
    const uint8_t *value = result->value ? result->value : (const uint8_t *)"";
    size_t len = result->value ? result->value_len : 0;
    if (!kv_flags_known(result->flags)) {
        append_base64(buffer, value, len);
        return true;
    }
    switch (kv_format_of_flags(result->flags)) {
    case KV_FORMAT_JSON:
        return append_json_value(buffer, value, len, for_export);
    case KV_FORMAT_UTF8:
        if (!kv_utf8_valid(value, len))
            break;
        kv__json_append_string(buffer, value, len);
        return false;
    case KV_FORMAT_PICKLE:
        if (!for_export)
            return append_pickle_display(buffer, value, len);
        break;
    default:
        break;
    }
    append_base64(buffer, value, len);
    return true;
}

static bool result_has_value(const kv_result *result)
{
    return result->value != NULL || result->op == KV_OP_GET || result->op == KV_OP_LOCK;
}

static void append_metadata(kv__text_buffer *buffer, const kv_result *result)
{
    char text[160];
    bool ok = result->status == KV_OK;
    append_cstr(buffer, ok ? ",\"success\":true,\"error\":null" : ",\"success\":false,\"error\":");
    if (!ok)
        kv__json_append_string(buffer, (const uint8_t *)kv_status_name(result->status),
                               strlen(kv_status_name(result->status)));
    snprintf(text, sizeof text, ",\"cas\":\"0x%" PRIx64 "\",\"flags\":\"0x%08" PRIx32
             "\",\"format\":\"%s\",\"expiry\":%" PRId64 ",\"value\":",
             result->cas, result->flags, kv_format_name(kv_format_of_flags(result->flags)),
             result->expiry);
    append_cstr(buffer, text);
}

char *kv_result_to_json(const kv_result *result, bool for_export)
{
    kv__text_buffer buffer = {0};
    append_cstr(&buffer, "{\"key\":");
    kv__json_append_string(&buffer, (const uint8_t *)result->key, result->key_len);
    append_metadata(&buffer, result);
    bool base64 = false;
    if (result->status != KV_OK) {
        append_cstr(&buffer, "null");
    } else if (result->op == KV_OP_COUNTER) {
        char number[24];
        snprintf(number, sizeof number, "%" PRIu64, result->counter);
        append_cstr(&buffer, number);
    } else if (result_has_value(result)) {
        base64 = append_value(&buffer, result, for_export);
    } else {
        append_cstr(&buffer, "null");
    }
    append_cstr(&buffer, base64 ? ",\"encoding\":\"base64\"}" : "}");
    return buffer.data;
}

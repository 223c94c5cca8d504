/* One JSON Lines import line -> key, value bytes, flags and TTL, with the lossless lexer so the
 * stored JSON is the exact text of the line (numbers, escapes and key order untouched). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transfer_internal.h"
#include "util_alloc.h"

typedef struct json_span {
    size_t offset;
    size_t length;
    kv_json_token_kind kind;
} json_span;

/* What an export-format line says, before it becomes a request. */
typedef struct line_fields {
    json_span key, flags, format, expiry, ttl, value, encoding, success;
    bool has_key, has_flags, has_format, has_expiry, has_ttl, has_value, has_encoding,
        has_success;
} line_fields;

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static unsigned read_hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 4 | (unsigned)hex_value(p[i]);
    return v;
}

static size_t put_utf8(uint8_t *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes one \uXXXX escape (with its low surrogate when it is a high one) at P; returns the
 * number of input bytes used, 0 for a lone surrogate, which has no UTF-8 form. */
static size_t unescape_u(const char *p, const char *end, uint8_t *out, size_t *written)
{
    unsigned cp = read_hex4(p + 2);
    size_t used = 6;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return 0;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
            return 0;
        unsigned low = read_hex4(p + 8);
        if (low < 0xdc00 || low > 0xdfff)
            return 0;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        used = 12;
    }
    *written = put_utf8(out, cp);
    return used;
}

static char simple_unescape(char c)
{
    switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'f': return '\f';
    default: return c; /* '"', '\\', '/' */
    }
}

/* Decode a string token the lexer validated (quotes included) into bytes; *out malloc'd. */
static kv_status json_unescape(const char *token, size_t len, uint8_t **out, size_t *out_len)
{
    const char *p = token + 1, *end = token + len - 1;
    uint8_t *bytes = kv__xcalloc(len, 1);
    size_t n = 0;
    while (p < end) {
        if (*p != '\\') {
            bytes[n++] = (uint8_t)*p++;
        } else if (p[1] != 'u') {
            bytes[n++] = (uint8_t)simple_unescape(p[1]);
            p += 2;
        } else {
            size_t written = 0, used = unescape_u(p, end, bytes + n, &written);
            if (used == 0) {
                free(bytes);
                return KV_ERR_VALUE_FORMAT;
            }
            p += used;
            n += written;
        }
    }
    *out = bytes;
    *out_len = n;
    return KV_OK;
}

/* Reads the next member of the top-level object: the span of its name and of its whole value.
 * 1: a member; 0: the object and the text ended cleanly; -1: invalid JSON. */
static int next_member(kv_json_lexer *lexer, json_span *name, json_span *value)
{
    kv_json_token token;
    int rc = kv_json_lexer_next(lexer, &token);
    if (rc > 0 && token.kind == KV_JSON_COMMA)
        rc = kv_json_lexer_next(lexer, &token);
    if (rc <= 0)
        return rc;
    if (token.kind == KV_JSON_OBJECT_CLOSE)
        return kv_json_lexer_next(lexer, &token);
    *name = (json_span){token.offset, token.length, token.kind};
    if (kv_json_lexer_next(lexer, &token) <= 0 || kv_json_lexer_next(lexer, &token) <= 0)
        return -1; /* the colon, then the first token of the value */
    *value = (json_span){token.offset, token.length, token.kind};
    if (token.kind != KV_JSON_OBJECT_OPEN && token.kind != KV_JSON_ARRAY_OPEN)
        return 1;
    unsigned depth = token.depth;
    do {
        if ((rc = kv_json_lexer_next(lexer, &token)) <= 0)
            return -1;
    } while (!(token.depth == depth && (token.kind == KV_JSON_OBJECT_CLOSE ||
                                        token.kind == KV_JSON_ARRAY_CLOSE)));
    value->length = token.offset + token.length - value->offset;
    return 1;
}

static void describe_json_error(const kv_json_lexer *lexer, char *errbuf, size_t errbuf_len)
{
    snprintf(errbuf, errbuf_len, "invalid JSON at column %u: %s", lexer->error.column,
             lexer->error.message);
}

/* Starts lexing LINE, which must hold one JSON object. */
static bool open_object(kv_json_lexer *lexer, const char *line, size_t len, char *errbuf,
                        size_t errbuf_len)
{
    kv_json_token token;
    kv_json_lexer_init(lexer, line, len);
    int rc = kv_json_lexer_next(lexer, &token);
    if (rc < 0)
        describe_json_error(lexer, errbuf, errbuf_len);
    else if (token.kind != KV_JSON_OBJECT_OPEN)
        snprintf(errbuf, errbuf_len, "a line must be one JSON object");
    return rc > 0 && token.kind == KV_JSON_OBJECT_OPEN;
}

static bool span_is(const char *line, const json_span *name, const char *quoted)
{
    size_t n = strlen(quoted);
    return name->length == n && memcmp(line + name->offset, quoted, n) == 0;
}

/* Files a member of an export-format line under its name; unknown names are ignored. */
static void keep_field(line_fields *fields, const char *line, const json_span *name,
                       const json_span *value)
{
    static const struct {
        const char *quoted;
        size_t span_at, flag_at;
    } table[] = {
        {"\"key\"", offsetof(line_fields, key), offsetof(line_fields, has_key)},
        {"\"flags\"", offsetof(line_fields, flags), offsetof(line_fields, has_flags)},
        {"\"format\"", offsetof(line_fields, format), offsetof(line_fields, has_format)},
        {"\"expiry\"", offsetof(line_fields, expiry), offsetof(line_fields, has_expiry)},
        {"\"ttl\"", offsetof(line_fields, ttl), offsetof(line_fields, has_ttl)},
        {"\"value\"", offsetof(line_fields, value), offsetof(line_fields, has_value)},
        {"\"encoding\"", offsetof(line_fields, encoding), offsetof(line_fields, has_encoding)},
        {"\"success\"", offsetof(line_fields, success), offsetof(line_fields, has_success)},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (span_is(line, name, table[i].quoted)) {
            *(json_span *)((char *)fields + table[i].span_at) = *value;
            *(bool *)((char *)fields + table[i].flag_at) = true;
            return;
        }
    }
}

void kv__import_doc_free(kv__import_doc *doc)
{
    free(doc->key_owned);
    free(doc->value);
}

static kv_status fail_line(char *errbuf, size_t errbuf_len, kv_status status, const char *what)
{
    snprintf(errbuf, errbuf_len, "%s", what);
    return status;
}

/* An unsigned integer field, written as a JSON number or as a "0x..."/decimal string. */
static bool span_to_u64(const char *line, const json_span *span, uint64_t *out)
{
    char text[32];
    size_t start = span->kind == KV_JSON_STRING ? 1 : 0;
    size_t len = span->kind == KV_JSON_STRING ? span->length - 2 : span->length;
    if ((span->kind != KV_JSON_STRING && span->kind != KV_JSON_NUMBER) || len == 0 ||
        len >= sizeof text)
        return false;
    memcpy(text, line + span->offset + start, len);
    text[len] = '\0';
    return kv_cas_parse(text, out) == KV_OK;
}

static kv_status decode_key(const char *line, const json_span *span, kv__import_doc *doc,
                            char *errbuf, size_t errbuf_len)
{
    if (span->kind == KV_JSON_NUMBER) {
        doc->key = line + span->offset;
        doc->key_len = span->length;
    } else if (span->kind != KV_JSON_STRING) {
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                         "the key must be a string or a number");
    } else if (json_unescape(line + span->offset, span->length, &doc->key_owned,
                             &doc->key_len) != KV_OK) {
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                         "the key holds a lone UTF-16 surrogate");
    } else {
        doc->key = (const char *)doc->key_owned;
    }
    if (kv_key_check(doc->key, doc->key_len) != KV_OK) {
        snprintf(errbuf, errbuf_len, "key is %zu bytes; keys are 1 to 250 bytes", doc->key_len);
        return KV_ERR_ARGUMENT;
    }
    return KV_OK;
}

/* The stored format: from flags when given, else the format name, else guessed from the value. */
static kv_status decide_format(const char *line, const line_fields *f, kv__import_doc *doc,
                               kv_format *format, char *errbuf, size_t errbuf_len)
{
    uint64_t flags = 0;
    if (f->has_flags) {
        if (!span_to_u64(line, &f->flags, &flags) || flags > UINT32_MAX)
            return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                             "flags must be a 32-bit number or \"0x...\" string");
        doc->flags = (uint32_t)flags;
        *format = kv_format_of_flags(doc->flags);
        return KV_OK;
    }
    char name[16] = "";
    if (f->has_format && f->format.kind == KV_JSON_STRING && f->format.length - 2 < sizeof name)
        memcpy(name, line + f->format.offset + 1, f->format.length - 2);
    if (f->has_format && (kv_format_parse(name, format) != KV_OK || *format == KV_FORMAT_AUTO))
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                         "format must be json, utf8, bytes or pickle");
    if (!f->has_format)
        *format = f->has_encoding ? KV_FORMAT_BYTES
                  : f->value.kind == KV_JSON_STRING ? KV_FORMAT_UTF8 : KV_FORMAT_JSON;
    doc->flags = kv_format_flags(*format);
    return KV_OK;
}

static kv_status decode_base64_value(const char *line, const line_fields *f, kv__import_doc *doc,
                                     char *errbuf, size_t errbuf_len)
{
    if (!span_is(line, &f->encoding, "\"base64\""))
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                         "the only encoding is \"base64\"");
    if (f->value.kind != KV_JSON_STRING)
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                         "a base64 value must be a string");
    if (kv_base64_decode(line + f->value.offset + 1, f->value.length - 2, &doc->value,
                         &doc->value_len) != KV_OK)
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT, "the value is not base64");
    return KV_OK;
}

static kv_status decode_string_value(const char *line, const line_fields *f, kv__import_doc *doc,
                                     kv_format format, char *errbuf, size_t errbuf_len)
{
    if (f->value.kind != KV_JSON_STRING) {
        snprintf(errbuf, errbuf_len, "a %s value must be a JSON string (or base64 with "
                 "\"encoding\")", kv_format_name(format));
        return KV_ERR_VALUE_FORMAT;
    }
    if (json_unescape(line + f->value.offset, f->value.length, &doc->value, &doc->value_len) !=
        KV_OK)
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                         "the value holds a lone UTF-16 surrogate");
    return KV_OK;
}

static kv_status decode_value(const char *line, const line_fields *f, kv__import_doc *doc,
                              kv_format format, char *errbuf, size_t errbuf_len)
{
    const char *text = line + f->value.offset;
    if (f->has_encoding)
        return decode_base64_value(line, f, doc, errbuf, errbuf_len);
    switch (format) {
    case KV_FORMAT_UTF8:
    case KV_FORMAT_BYTES:
        return decode_string_value(line, f, doc, format, errbuf, errbuf_len);
    case KV_FORMAT_PICKLE:
        return kv_pickle_encode_json(text, f->value.length, &doc->value, &doc->value_len, errbuf,
                                     errbuf_len);
    default:
        doc->value = kv__xcalloc(f->value.length, 1);
        memcpy(doc->value, text, f->value.length);
        doc->value_len = f->value.length;
        return KV_OK;
    }
}

/* "ttl" (relative seconds, demo data) wins over "expiry" (absolute; -1 = unknown = none). */
static kv_status decode_expiry(const char *line, const line_fields *f, kv__import_doc *doc,
                               char *errbuf, size_t errbuf_len)
{
    const json_span *span = f->has_ttl ? &f->ttl : f->has_expiry ? &f->expiry : NULL;
    if (!span)
        return KV_OK;
    if (span->kind == KV_JSON_NUMBER && span->length == 2 && !memcmp(line + span->offset, "-1", 2))
        return KV_OK;
    uint64_t value = 0;
    if (span->kind != KV_JSON_NUMBER || !span_to_u64(line, span, &value) ||
        value > UINT32_MAX)
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                         f->has_ttl ? "ttl must be a whole number of seconds"
                                    : "expiry must be a Unix time (0 = none)");
    if (f->has_ttl && value > KV_TTL_RELATIVE_MAX)
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                         "ttl is relative: at most 30 days (use expiry for a date)");
    doc->ttl = (int64_t)value;
    return KV_OK;
}

static kv_status decode_export_fields(const char *line, const line_fields *f, kv__import_doc *doc,
                                      char *errbuf, size_t errbuf_len)
{
    if (f->has_success && f->success.kind == KV_JSON_FALSE)
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                         "a failed result holds no document");
    if (!f->has_key || !f->has_value)
        return fail_line(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                         f->has_key ? "no \"value\" field" : "no \"key\" field");
    kv_format format = KV_FORMAT_JSON;
    kv_status status = decode_key(line, &f->key, doc, errbuf, errbuf_len);
    if (status == KV_OK)
        status = decide_format(line, f, doc, &format, errbuf, errbuf_len);
    if (status == KV_OK)
        status = decode_expiry(line, f, doc, errbuf, errbuf_len);
    if (status == KV_OK)
        status = decode_value(line, f, doc, format, errbuf, errbuf_len);
    return status;
}

/* An export-format line: {"key","flags","format","expiry","value"[,"encoding"][,"ttl"]}. */
static kv_status parse_export_line(const char *line, size_t len, kv__import_doc *doc,
                                   char *errbuf, size_t errbuf_len)
{
    kv_json_lexer lexer;
    if (!open_object(&lexer, line, len, errbuf, errbuf_len))
        return KV_ERR_VALUE_FORMAT;
    line_fields fields;
    memset(&fields, 0, sizeof fields);
    json_span name, value;
    int rc;
    while ((rc = next_member(&lexer, &name, &value)) > 0)
        keep_field(&fields, line, &name, &value);
    if (rc < 0) {
        describe_json_error(&lexer, errbuf, errbuf_len);
        return KV_ERR_VALUE_FORMAT;
    }
    return decode_export_fields(line, &fields, doc, errbuf, errbuf_len);
}

/* A document line keyed by its field ID_FIELD; the whole line is the stored JSON value. */
static kv_status parse_document_line(const char *line, size_t len, const char *quoted_id,
                                     kv__import_doc *doc, char *errbuf, size_t errbuf_len)
{
    kv_json_lexer lexer;
    if (!open_object(&lexer, line, len, errbuf, errbuf_len))
        return KV_ERR_VALUE_FORMAT;
    json_span name, value, id = {0, 0, KV_JSON_NULL};
    bool found = false;
    int rc;
    while ((rc = next_member(&lexer, &name, &value)) > 0) {
        if (!found && span_is(line, &name, quoted_id)) {
            id = value;
            found = true;
        }
    }
    if (rc < 0) {
        describe_json_error(&lexer, errbuf, errbuf_len);
        return KV_ERR_VALUE_FORMAT;
    }
    if (!found) {
        snprintf(errbuf, errbuf_len, "no field %s", quoted_id);
        return KV_ERR_VALUE_FORMAT;
    }
    kv_status status = decode_key(line, &id, doc, errbuf, errbuf_len);
    if (status != KV_OK)
        return status;
    doc->value = kv__xcalloc(len, 1);
    memcpy(doc->value, line, len);
    doc->value_len = len;
    doc->flags = KV_FLAGS_JSON;
    return KV_OK;
}

kv_status kv__import_parse_line(const char *line, size_t len, const char *quoted_id,
                                kv__import_doc *doc, char *errbuf, size_t errbuf_len)
{
    memset(doc, 0, sizeof *doc);
    return quoted_id ? parse_document_line(line, len, quoted_id, doc, errbuf, errbuf_len)
                     : parse_export_line(line, len, doc, errbuf, errbuf_len);
}

/*
 * output.c - how the CLI prints results. Untrusted bytes (keys, values on a terminal, messages
 * that echo keys) never reach a terminal as raw control sequences: see kv_output_escaped().
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "unicode_text.h"

static void write_ascii_escaped(FILE *out, uint8_t c, kv_escape_mode mode)
{
    if (mode == KV_ESCAPE_KEEP_LAYOUT && (c == '\n' || c == '\t'))
        fputc(c, out);
    else if (c == '\\' && mode == KV_ESCAPE_LINE)
        fputs("\\\\", out);
    else if (c == '\n')
        fputs("\\n", out);
    else if (c == '\t')
        fputs("\\t", out);
    else if (c == '\r')
        fputs("\\r", out);
    else if (c < 0x20 || c == 0x7F)
        fprintf(out, "\\x%02x", c);
    else
        fputc(c, out);
}

void kv_output_escaped(FILE *out, const void *bytes, size_t len, kv_escape_mode mode)
{
    const uint8_t *p = bytes;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            write_ascii_escaped(out, p[i++], mode);
            continue;
        }
        uint32_t cp = 0;
        size_t n = ui_utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            fprintf(out, "\\x%02x", p[i++]);
        } else {
            if (ui_codepoint_is_deceptive(cp))
                fprintf(out, "\\u%04" PRIx32, cp);
            else
                fwrite(p + i, 1, n, out);
            i += n;
        }
    }
}

static void write_text(FILE *out, const char *text, size_t len, bool terminal)
{
    if (terminal)
        kv_output_escaped(out, text, len, KV_ESCAPE_KEEP_LAYOUT);
    else
        fwrite(text, 1, len, out);
}

void kv_output_error(kv_status status, const char *message)
{
    fprintf(stderr, "kvtui: %s", kv_status_name(status));
    if (message && *message) {
        fputs(": ", stderr);
        kv_output_escaped(stderr, message, strlen(message), KV_ESCAPE_LINE);
    }
    fputc('\n', stderr);
}

/* What a failure means when the store said nothing more. */
static const char *default_message(kv_status status)
{
    switch (status) {
    case KV_ERR_NOT_FOUND: return "no such key";
    case KV_ERR_KEY_EXISTS: return "the key exists, or its CAS did not match";
    case KV_ERR_NOT_STORED: return "not stored (no such key)";
    case KV_ERR_TEMPORARY_FAIL: return "temporary failure (locked, or not locked)";
    default: return "failed";
    }
}

void kv_output_result_error(const kv_result *result)
{
    fprintf(stderr, "kvtui: %s: ", kv_status_name(result->status));
    if (result->message[0]) {
        /* The store's message already names the key. */
        kv_output_escaped(stderr, result->message, strlen(result->message), KV_ESCAPE_LINE);
    } else {
        fputc('\'', stderr);
        kv_output_escaped(stderr, result->key, result->key_len, KV_ESCAPE_LINE);
        fprintf(stderr, "': %s", default_message(result->status));
    }
    fputc('\n', stderr);
}

static bool is_pickle(const kv_result *result)
{
    return kv_format_of_flags(result->flags) == KV_FORMAT_PICKLE;
}

/* A pickle as text: its JSON when plain, else the inert display. False if it cannot be read. */
static bool pickle_text(const kv_result *result, kv_pickle_view *view, const char **text)
{
    char err[200];
    memset(view, 0, sizeof *view);
    if (kv_pickle_decode(result->value, result->value_len, view, err, sizeof err) != KV_OK)
        return false;
    *text = view->plain && view->json ? view->json : view->display;
    return *text != NULL;
}

void kv_output_value(FILE *out, const kv_result *result, bool terminal)
{
    kv_pickle_view view;
    const char *text;
    if (is_pickle(result) && pickle_text(result, &view, &text)) {
        write_text(out, text, strlen(text), terminal);
        fputc('\n', out);
        kv_pickle_view_free(&view);
        return;
    }
    const char *value = (const char *)result->value;
    size_t len = value ? result->value_len : 0;
    write_text(out, value, len, terminal);
    if (terminal && (len == 0 || value[len - 1] != '\n'))
        fputc('\n', out);
}

/* A pickle's JSON minified to one line, or its display text. */
static void write_pickle_line(FILE *out, const char *text)
{
    char *compact = NULL;
    size_t compact_len = 0;
    kv_json_error error;
    if (kv_json_format(text, strlen(text), 0, &compact, &compact_len, &error) == KV_OK) {
        kv_output_escaped(out, compact, compact_len, KV_ESCAPE_LINE);
        free(compact);
        return;
    }
    kv_output_escaped(out, text, strlen(text), KV_ESCAPE_LINE);
}

void kv_output_key_value_line(FILE *out, const kv_result *result)
{
    kv_output_escaped(out, result->key, result->key_len, KV_ESCAPE_LINE);
    fputc('\t', out);
    kv_pickle_view view;
    const char *text;
    if (is_pickle(result) && pickle_text(result, &view, &text)) {
        write_pickle_line(out, text);
        kv_pickle_view_free(&view);
    } else if (result->value) {
        kv_output_escaped(out, result->value, result->value_len, KV_ESCAPE_LINE);
    }
    fputc('\n', out);
}

void kv_output_result_json(FILE *out, const kv_result *result)
{
    char *json = kv_result_to_json(result, false);
    if (!json) {
        kv_output_error(KV_ERR_INTERNAL, "cannot render the result as JSON");
        return;
    }
    fputs(json, out);
    fputc('\n', out);
    free(json);
}

static void add_hex(cJSON *object, const char *name, uint64_t value, int digits)
{
    char text[24];
    snprintf(text, sizeof text, "0x%0*" PRIx64, digits, value);
    cJSON_AddStringToObject(object, name, text);
}

/* Keys are bytes; JSON strings must be UTF-8, so a key that is not becomes base64. */
static void add_json_key(cJSON *object, const kv_key_info *info)
{
    if (kv_utf8_valid((const uint8_t *)info->key, info->key_len)) {
        char *key = strndup(info->key, info->key_len);
        if (key && strlen(key) == info->key_len) {
            cJSON_AddStringToObject(object, "key", key);
            free(key);
            return;
        }
        free(key);
    }
    char *encoded = kv_base64_encode((const uint8_t *)info->key, info->key_len, NULL);
    cJSON_AddStringToObject(object, "key", encoded ? encoded : "");
    cJSON_AddStringToObject(object, "key_encoding", "base64");
    free(encoded);
}

static void write_key_info_json(FILE *out, const kv_key_info *info)
{
    cJSON *object = cJSON_CreateObject();
    add_json_key(object, info);
    add_hex(object, "flags", info->flags, 8);
    cJSON_AddStringToObject(object, "format", kv_format_name(kv_format_of_flags(info->flags)));
    cJSON_AddNumberToObject(object, "size", info->size);
    add_hex(object, "cas", info->cas, 1);
    cJSON_AddNumberToObject(object, "expiry", (double)info->expiry);
    char *text = cJSON_PrintUnformatted(object);
    if (text) {
        fputs(text, out);
        fputc('\n', out);
    }
    free(text);
    cJSON_Delete(object);
}

void kv_output_key_info(FILE *out, const kv_key_info *info, bool json)
{
    if (json) {
        write_key_info_json(out, info);
        return;
    }
    kv_output_escaped(out, info->key, info->key_len, KV_ESCAPE_LINE);
    fprintf(out, "\t%s\t%" PRIu32 "\t%" PRId64 "\n",
            kv_format_name(kv_format_of_flags(info->flags)), info->size, info->expiry);
}

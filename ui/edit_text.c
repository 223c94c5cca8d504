/* What the editors edit for each format: see edit_text.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit_text.h"

#define HEX_PER_LINE 16

static char *copy_text(const void *bytes, size_t len)
{
    char *text = malloc(len + 1);
    if (!text)
        abort();
    memcpy(text, bytes, len);
    text[len] = '\0';
    return text;
}

static char *hex_text(const uint8_t *value, size_t len, size_t *text_len)
{
    char *text = malloc(len * 3 + len / HEX_PER_LINE + 2);
    if (!text)
        abort();
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        bool line_end = (i + 1) % HEX_PER_LINE == 0 || i + 1 == len;
        used += (size_t)sprintf(text + used, "%02x%c", value[i], line_end ? '\n' : ' ');
    }
    text[used] = '\0';
    *text_len = used;
    return text;
}

kv_status ui_edit_text_of(const uint8_t *value, size_t len, uint32_t flags, char **text,
                          size_t *text_len, ui_edit_form *form, char *errbuf,
                          size_t errbuf_len)
{
    kv_format format = kv_flags_known(flags) ? kv_format_of_flags(flags) : KV_FORMAT_BYTES;
    if (format == KV_FORMAT_PICKLE) {
        kv_pickle_view view;
        memset(&view, 0, sizeof view);
        kv_status status = kv_pickle_decode(value, len, &view, errbuf, errbuf_len);
        if (status == KV_OK && !(view.plain && view.json))
            status = kv_error_printf(errbuf, errbuf_len, KV_ERR_NOT_SUPPORTED,
                                     "this pickle refers to code, so it is read-only");
        if (status == KV_OK) {
            *form = UI_EDIT_PICKLE_JSON;
            *text_len = strlen(view.json);
            *text = copy_text(view.json, *text_len);
        }
        kv_pickle_view_free(&view);
        return status;
    }
    if (format == KV_FORMAT_BYTES || (format == KV_FORMAT_UTF8 && !kv_utf8_valid(value, len))) {
        *form = UI_EDIT_HEX;
        *text = hex_text(value, len, text_len);
        return KV_OK;
    }
    *form = format == KV_FORMAT_JSON ? UI_EDIT_JSON : UI_EDIT_TEXT;
    *text = copy_text(value, len);
    *text_len = len;
    return KV_OK;
}

/* Hex digits with any whitespace between bytes; the position of a bad character is reported. */
static kv_status parse_hex(const char *text, size_t len, uint8_t **out, size_t *out_len,
                           unsigned *line, unsigned *column, char *errbuf, size_t errbuf_len)
{
    uint8_t *bytes = malloc(len / 2 + 1);
    if (!bytes)
        abort();
    size_t n = 0;
    int high = -1;
    unsigned at_line = 1, at_column = 1;
    for (size_t i = 0; i < len; i++, at_column++) {
        int digit = kv_hex_digit((unsigned char)text[i]);
        if (text[i] == '\n') {
            at_line++;
            at_column = 0;
        }
        if (digit < 0 && strchr(" \t\r\n", text[i]) && high < 0)
            continue;
        if (digit < 0) {
            free(bytes);
            *line = at_line;
            *column = at_column;
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                                   "invalid hex at line %u, column %u: expected two hex digits "
                                   "per byte", at_line, at_column);
        }
        if (high < 0) {
            high = digit;
        } else {
            bytes[n++] = (uint8_t)(high << 4 | digit);
            high = -1;
        }
    }
    if (high >= 0) {
        free(bytes);
        *line = at_line;
        *column = at_column;
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                               "invalid hex: the last byte has one digit");
    }
    *out = bytes;
    *out_len = n;
    return KV_OK;
}

kv_status ui_edit_bytes_of(ui_edit_form form, const char *text, size_t len, uint8_t **out,
                           size_t *out_len, unsigned *error_line, unsigned *error_column,
                           char *errbuf, size_t errbuf_len)
{
    *error_line = *error_column = 0;
    if (form == UI_EDIT_JSON || form == UI_EDIT_PICKLE_JSON) {
        kv_json_error error;
        if (!kv_json_valid(text, len, &error)) {
            *error_line = error.line;
            *error_column = error.column;
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                                   "invalid JSON at line %u, column %u: %s", error.line,
                                   error.column, error.message);
        }
    }
    if (form == UI_EDIT_PICKLE_JSON)
        return kv_pickle_encode_json(text, len, out, out_len, errbuf, errbuf_len);
    if (form == UI_EDIT_HEX)
        return parse_hex(text, len, out, out_len, error_line, error_column, errbuf, errbuf_len);
    if (!kv_utf8_valid((const uint8_t *)text, len))
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                               "the text is not valid UTF-8");
    *out = (uint8_t *)copy_text(text, len);
    *out_len = len;
    return KV_OK;
}

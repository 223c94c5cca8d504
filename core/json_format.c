/* Re-indents or minifies JSON in one pass over the lexer's tokens, copying every lexeme as is. */
#include <stdlib.h>
#include <string.h>

#include "kv.h"

typedef struct out_buffer {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} out_buffer;

static bool reserve(out_buffer *out, size_t extra)
{
    if (out->failed)
        return false;
    if (out->cap - out->len > extra)
        return true;
    size_t cap = out->cap ? out->cap : 256;
    while (cap - out->len <= extra) {
        if (cap > SIZE_MAX / 2) {
            out->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *data = realloc(out->data, cap);
    if (!data) {
        out->failed = true;
        return false;
    }
    out->data = data;
    out->cap = cap;
    return true;
}

static void append(out_buffer *out, const char *bytes, size_t n)
{
    if (!reserve(out, n))
        return;
    memcpy(out->data + out->len, bytes, n);
    out->len += n;
}

static void append_newline_indent(out_buffer *out, size_t spaces)
{
    if (!reserve(out, spaces + 1))
        return;
    out->data[out->len++] = '\n';
    memset(out->data + out->len, ' ', spaces);
    out->len += spaces;
}

static bool is_open(kv_json_token_kind kind)
{
    return kind == KV_JSON_OBJECT_OPEN || kind == KV_JSON_ARRAY_OPEN;
}

static bool is_close(kv_json_token_kind kind)
{
    return kind == KV_JSON_OBJECT_CLOSE || kind == KV_JSON_ARRAY_CLOSE;
}

/* Pretty layout: a line break after { [ and , and before } ], except that an empty container
 * stays "{}" or "[]"; the depth of each token gives its indentation. */
static void append_pretty(out_buffer *out, const char *text, const kv_json_token *token,
                          kv_json_token_kind previous, bool first, unsigned indent)
{
    bool empty_close = !first && is_open(previous) && is_close(token->kind);
    bool breaks = !first && !empty_close &&
                  (is_open(previous) || previous == KV_JSON_COMMA || is_close(token->kind));
    if (breaks)
        append_newline_indent(out, (size_t)token->depth * indent);
    append(out, text + token->offset, token->length);
    if (token->kind == KV_JSON_COLON)
        append(out, " ", 1);
}

kv_status kv_json_format(const char *text, size_t len, unsigned indent, char **out,
                         size_t *out_len, kv_json_error *error)
{
    kv_json_lexer lexer;
    kv_json_token token;
    kv_json_token_kind previous = KV_JSON_NULL;
    out_buffer buffer = {0};
    bool first = true;
    int rc;

    *out = NULL;
    *out_len = 0;
    kv_json_lexer_init(&lexer, text, len);
    reserve(&buffer, indent ? len + len / 2 : len);
    while ((rc = kv_json_lexer_next(&lexer, &token)) > 0) {
        if (indent == 0)
            append(&buffer, text + token.offset, token.length);
        else
            append_pretty(&buffer, text, &token, previous, first, indent);
        previous = token.kind;
        first = false;
    }
    if (rc < 0 || buffer.failed || !reserve(&buffer, 1)) {
        if (error)
            *error = rc < 0 ? lexer.error
                            : (kv_json_error){.offset = 0, .line = 1, .column = 1,
                                              .message = "out of memory"};
        free(buffer.data);
        return rc < 0 ? KV_ERR_VALUE_FORMAT : KV_ERR_INTERNAL;
    }
    buffer.data[buffer.len] = '\0';
    *out = buffer.data;
    *out_len = buffer.len;
    return KV_OK;
}

/* A document turned into display lines: see doc_lines.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_lines.h"
#include "kv.h"

#define HEX_PER_LINE 16

static void index_lines(ui_doc_lines *lines)
{
    size_t count = 1;
    for (size_t i = 0; i < lines->text_len; i++)
        count += lines->text[i] == '\n';
    lines->starts = malloc(count * sizeof *lines->starts);
    if (!lines->starts)
        abort();
    lines->starts[0] = 0;
    size_t n = 1;
    for (size_t i = 0; i < lines->text_len; i++)
        if (lines->text[i] == '\n')
            lines->starts[n++] = i + 1;
    /* A final newline ends the last line rather than starting an empty one. */
    if (n > 1 && lines->starts[n - 1] == lines->text_len)
        n--;
    lines->count = n;
}

/* The first and last non-blank bytes of line I ('\0' for an empty line). */
static void line_ends(const ui_doc_lines *lines, size_t i, char *first, char *last)
{
    size_t len;
    const char *text = ui_doc_line(lines, i, &len);
    size_t a = 0, b = len;
    while (a < len && text[a] == ' ')
        a++;
    while (b > a && text[b - 1] == ' ')
        b--;
    *first = a < b ? text[a] : '\0';
    *last = a < b ? text[b - 1] : '\0';
}

/* Pretty JSON opens a block at the end of a line and closes it at the start of another: pair
 * them with a stack, so any block can be folded. */
static void index_blocks(ui_doc_lines *lines)
{
    size_t n = lines->count;
    lines->close_of = malloc(n * sizeof *lines->close_of);
    lines->open_of = malloc(n * sizeof *lines->open_of);
    lines->folded = calloc(n ? n : 1, sizeof *lines->folded);
    size_t *stack = malloc(n * sizeof *stack);
    if (!lines->close_of || !lines->open_of || !lines->folded || !stack)
        abort();
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        char first, last;
        line_ends(lines, i, &first, &last);
        lines->close_of[i] = lines->open_of[i] = SIZE_MAX;
        if ((first == '}' || first == ']') && depth > 0) {
            size_t opener = stack[--depth];
            lines->close_of[opener] = i;
            lines->open_of[i] = opener;
        }
        if (last == '{' || last == '[')
            stack[depth++] = i;
    }
    free(stack);
}

static void take_text(ui_doc_lines *lines, ui_doc_kind kind, char *text, size_t len)
{
    lines->kind = kind;
    lines->text = text;
    lines->text_len = len;
    index_lines(lines);
    if (kind == UI_DOC_JSON)
        index_blocks(lines);
}

size_t ui_doc_block_of(const ui_doc_lines *lines, size_t i)
{
    if (!lines->close_of || i >= lines->count)
        return SIZE_MAX;
    if (lines->close_of[i] != SIZE_MAX)
        return i;
    if (lines->open_of[i] != SIZE_MAX)
        return lines->open_of[i];
    /* Inside a block: walk up to the nearest opener whose block contains I. */
    for (size_t j = i; j-- > 0;) {
        if (lines->open_of[j] != SIZE_MAX)
            j = lines->open_of[j]; /* skip a whole sibling block */
        else if (lines->close_of[j] != SIZE_MAX && lines->close_of[j] > i)
            return j;
    }
    return SIZE_MAX;
}

size_t ui_doc_fold_toggle(ui_doc_lines *lines, size_t i)
{
    size_t opener = ui_doc_block_of(lines, i);
    if (opener != SIZE_MAX)
        lines->folded[opener] = !lines->folded[opener];
    return opener;
}

void ui_doc_fold_all(ui_doc_lines *lines, bool folded)
{
    for (size_t i = 0; lines->close_of && i < lines->count; i++)
        if (lines->close_of[i] != SIZE_MAX)
            lines->folded[i] = folded && i > 0; /* the outermost block stays open */
}

size_t ui_doc_next_shown(const ui_doc_lines *lines, size_t i)
{
    if (lines->folded && lines->folded[i])
        return lines->close_of[i] + 1;
    return i + 1;
}

size_t ui_doc_prev_shown(const ui_doc_lines *lines, size_t i)
{
    if (i == 0)
        return 0;
    size_t j = i - 1;
    /* A hidden line just above a shown one can only be the closer of a folded block. */
    if (lines->folded && lines->open_of[j] != SIZE_MAX && lines->folded[lines->open_of[j]])
        j = lines->open_of[j];
    return j;
}

static void copy_text(ui_doc_lines *lines, const uint8_t *value, size_t len)
{
    char *text = malloc(len + 1);
    if (!text)
        abort();
    memcpy(text, value, len);
    text[len] = '\0';
    take_text(lines, UI_DOC_TEXT, text, len);
}

static void show_hex(ui_doc_lines *lines, const uint8_t *value, size_t len)
{
    lines->kind = UI_DOC_HEX;
    lines->bytes = value;
    lines->bytes_len = len;
    lines->count = (len + HEX_PER_LINE - 1) / HEX_PER_LINE;
}

static void build_json(ui_doc_lines *lines, const uint8_t *value, size_t len)
{
    char *pretty = NULL;
    size_t pretty_len = 0;
    kv_json_error error;
    if (kv_json_format((const char *)value, len, 2, &pretty, &pretty_len, &error) == KV_OK) {
        take_text(lines, UI_DOC_JSON, pretty, pretty_len);
        return;
    }
    snprintf(lines->note, sizeof lines->note,
             "not valid JSON (line %u, column %u: %s); shown as stored", error.line,
             error.column, error.message);
    if (kv_utf8_valid(value, len))
        copy_text(lines, value, len);
    else
        show_hex(lines, value, len);
}

static void build_pickle(ui_doc_lines *lines, const uint8_t *value, size_t len)
{
    kv_pickle_view view;
    memset(&view, 0, sizeof view);
    char errbuf[160];
    if (kv_pickle_decode(value, len, &view, errbuf, sizeof errbuf) != KV_OK) {
        snprintf(lines->note, sizeof lines->note, "pickle that cannot be decoded (%s): bytes",
                 errbuf);
        kv_pickle_view_free(&view);
        show_hex(lines, value, len);
        return;
    }
    if (view.plain && view.json) {
        snprintf(lines->note, sizeof lines->note, "pickle of plain data, shown as JSON");
        build_json(lines, (const uint8_t *)view.json, strlen(view.json));
    } else {
        snprintf(lines->note, sizeof lines->note,
                 "pickle with code references: read-only, never executed");
        copy_text(lines, (const uint8_t *)view.display, strlen(view.display));
    }
    kv_pickle_view_free(&view);
}

void ui_doc_lines_build(ui_doc_lines *lines, const uint8_t *value, size_t len, uint32_t flags)
{
    memset(lines, 0, sizeof *lines);
    if (!value)
        value = (const uint8_t *)"";
    kv_format format = kv_flags_known(flags) ? kv_format_of_flags(flags) : KV_FORMAT_BYTES;
    if (!kv_flags_known(flags))
        snprintf(lines->note, sizeof lines->note, "unknown flags 0x%08x: shown as bytes", flags);
    switch (format) {
    case KV_FORMAT_JSON: build_json(lines, value, len); break;
    case KV_FORMAT_PICKLE: build_pickle(lines, value, len); break;
    case KV_FORMAT_UTF8:
        if (kv_utf8_valid(value, len)) {
            copy_text(lines, value, len);
            break;
        }
        snprintf(lines->note, sizeof lines->note, "flags say utf8 but the bytes are not UTF-8");
        show_hex(lines, value, len);
        break;
    default: show_hex(lines, value, len); break;
    }
}

void ui_doc_lines_free(ui_doc_lines *lines)
{
    free(lines->text);
    free(lines->starts);
    free(lines->close_of);
    free(lines->open_of);
    free(lines->folded);
    memset(lines, 0, sizeof *lines);
}

const char *ui_doc_line(const ui_doc_lines *lines, size_t i, size_t *len)
{
    size_t start = lines->starts[i];
    size_t end = i + 1 < lines->count ? lines->starts[i + 1] - 1 : lines->text_len;
    if (end > start && lines->text[end - 1] == '\n')
        end--;
    *len = end - start;
    return lines->text + start;
}

void ui_doc_hex_line(const ui_doc_lines *lines, size_t i, char *out, size_t out_len)
{
    size_t offset = i * HEX_PER_LINE;
    size_t n = lines->bytes_len - offset < HEX_PER_LINE ? lines->bytes_len - offset : HEX_PER_LINE;
    size_t used = (size_t)snprintf(out, out_len, "%08zx ", offset);
    for (size_t k = 0; k < HEX_PER_LINE && used + 4 < out_len; k++)
        used += (size_t)snprintf(out + used, out_len - used, k < n ? " %02x" : "   ",
                                 k < n ? lines->bytes[offset + k] : 0);
    used += (size_t)snprintf(out + used, out_len - used, "  ");
    for (size_t k = 0; k < n && used + 1 < out_len; k++) {
        uint8_t c = lines->bytes[offset + k];
        out[used++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
    }
    out[used < out_len ? used : out_len - 1] = '\0';
}

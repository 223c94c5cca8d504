/* The edit buffer's lines: loading, reading back, and the raw insert and delete every edit and
 * every undo is made of (see edit_buffer.h). */
#include <stdlib.h>
#include <string.h>

#include "edit_buffer_internal.h"

static void *checked(void *p)
{
    if (!p)
        abort();
    return p;
}

/* Room for EXTRA more bytes in LINE, copying it out of the loaded text first. */
static void make_room(edit_line *line, size_t extra)
{
    if (line->cap == 0) {
        size_t cap = line->len + extra + 16;
        char *text = checked(malloc(cap));
        if (line->len)
            memcpy(text, line->text, line->len);
        line->text = text;
        line->cap = cap;
    } else if (line->len + extra > line->cap) {
        size_t cap = line->cap * 2 > line->len + extra ? line->cap * 2 : line->len + extra;
        line->text = checked(realloc(line->text, cap));
        line->cap = cap;
    }
}

static void append(edit_line *line, const char *text, size_t len)
{
    make_room(line, len);
    if (len)
        memcpy(line->text + line->len, text, len);
    line->len += len;
}

/* N empty lines before line AT. */
static void open_lines(ui_edit_buffer *b, size_t at, size_t n)
{
    if (b->count + n > b->cap) {
        b->cap = b->cap * 2 > b->count + n ? b->cap * 2 : b->count + n;
        b->lines = checked(realloc(b->lines, b->cap * sizeof *b->lines));
    }
    memmove(b->lines + at + n, b->lines + at, (b->count - at) * sizeof *b->lines);
    memset(b->lines + at, 0, n * sizeof *b->lines);
    b->count += n;
}

static void free_line(edit_line *line)
{
    if (line->cap)
        free(line->text);
}

/* Point one line per '\n' of B->loaded into it (lines not owned, so nothing is copied). */
static void index_loaded(ui_edit_buffer *b)
{
    size_t len = b->loaded_len, count = 1;
    for (const char *p = b->loaded; (p = memchr(p, '\n', len - (size_t)(p - b->loaded))); p++)
        count++;
    b->lines = checked(calloc(count, sizeof *b->lines));
    b->count = b->cap = count;
    const char *start = b->loaded, *end = b->loaded + len;
    for (size_t i = 0; i < count; i++) {
        const char *nl = memchr(start, '\n', (size_t)(end - start));
        b->lines[i].text = (char *)start;
        b->lines[i].len = (size_t)((nl ? nl : end) - start);
        start = nl ? nl + 1 : end;
    }
    b->total = len;
}

ui_edit_buffer *ui_edit_buffer_new(const char *text, size_t len, ui_edit_columns_fn columns)
{
    ui_edit_buffer *b = checked(calloc(1, sizeof *b));
    b->loaded = checked(malloc(len + 1));
    if (len)
        memcpy(b->loaded, text, len);
    b->loaded[len] = '\0';
    b->loaded_len = len;
    index_loaded(b);
    b->goal = NO_GOAL;
    b->columns = columns;
    return b;
}

void ui_edit_buffer_free(ui_edit_buffer *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->count; i++)
        free_line(&b->lines[i]);
    for (size_t i = 0; i < b->nops; i++)
        free(b->ops[i].text);
    free(b->ops);
    free(b->lines);
    free(b->loaded);
    free(b);
}

char *ui_edit_buffer_text(const ui_edit_buffer *b, size_t *len)
{
    size_t total = b->count - 1;
    for (size_t i = 0; i < b->count; i++)
        total += b->lines[i].len;
    char *text = checked(malloc(total + 1)), *p = text;
    for (size_t i = 0; i < b->count; i++) {
        memcpy(p, b->lines[i].text, b->lines[i].len);
        p += b->lines[i].len;
        if (i + 1 < b->count)
            *p++ = '\n';
    }
    *p = '\0';
    *len = total;
    return text;
}

size_t ui_edit_buffer_line_count(const ui_edit_buffer *b)
{
    return b->count;
}

const char *ui_edit_buffer_line(const ui_edit_buffer *b, size_t i, size_t *len)
{
    if (i >= b->count) {
        *len = 0;
        return "";
    }
    *len = b->lines[i].len;
    return b->lines[i].text;
}

edit_pos ui__edit_end_of(edit_pos at, const char *text, size_t len)
{
    const char *last = NULL;
    for (const char *p = text; (p = memchr(p, '\n', len - (size_t)(p - text))); p++) {
        at.line++;
        last = p;
    }
    at.column = last ? len - (size_t)(last + 1 - text) : at.column + len;
    return at;
}

edit_pos ui__edit_raw_insert(ui_edit_buffer *b, edit_pos at, const char *text, size_t len)
{
    edit_line *line = &b->lines[at.line];
    b->total += len;
    const char *nl = memchr(text, '\n', len);
    if (!nl) {
        make_room(line, len);
        memmove(line->text + at.column + len, line->text + at.column, line->len - at.column);
        memcpy(line->text + at.column, text, len);
        line->len += len;
        return (edit_pos){at.line, at.column + len};
    }
    edit_pos end = ui__edit_end_of(at, text, len);
    size_t tail_len = line->len - at.column;
    char *tail = checked(malloc(tail_len + 1));
    memcpy(tail, line->text + at.column, tail_len);
    line->len = at.column;
    append(line, text, (size_t)(nl - text));
    open_lines(b, at.line + 1, end.line - at.line);
    const char *p = nl + 1, *stop = text + len;
    for (size_t i = at.line + 1; i <= end.line; i++) {
        const char *next = memchr(p, '\n', (size_t)(stop - p));
        append(&b->lines[i], p, (size_t)((next ? next : stop) - p));
        p = next ? next + 1 : stop;
    }
    append(&b->lines[end.line], tail, tail_len);
    free(tail);
    return end;
}

void ui__edit_raw_delete(ui_edit_buffer *b, edit_pos from, edit_pos to, char **text, size_t *len)
{
    size_t total = to.line - from.line;
    for (size_t i = from.line; i <= to.line; i++)
        total += (i == to.line ? to.column : b->lines[i].len) - (i == from.line ? from.column : 0);
    char *out = checked(malloc(total + 1)), *p = out;
    for (size_t i = from.line; i <= to.line; i++) {
        size_t start = i == from.line ? from.column : 0;
        size_t stop = i == to.line ? to.column : b->lines[i].len;
        memcpy(p, b->lines[i].text + start, stop - start);
        p += stop - start;
        if (i < to.line)
            *p++ = '\n';
    }
    *p = '\0';
    *text = out;
    *len = total;
    b->total -= total;
    edit_line *first = &b->lines[from.line], *last = &b->lines[to.line];
    make_room(first, 0);
    if (first == last) {
        memmove(first->text + from.column, first->text + to.column, first->len - to.column);
        first->len -= to.column - from.column;
        return;
    }
    first->len = from.column;
    append(first, last->text + to.column, last->len - to.column);
    for (size_t i = from.line + 1; i <= to.line; i++)
        free_line(&b->lines[i]);
    memmove(b->lines + from.line + 1, b->lines + to.line + 1,
            (b->count - to.line - 1) * sizeof *b->lines);
    b->count -= to.line - from.line;
}

size_t ui__edit_char_length(const char *text, size_t avail)
{
    unsigned char c = (unsigned char)text[0];
    size_t n = c < 0xc2 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 1;
    if (n > avail)
        return 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)text[i] & 0xc0) != 0x80)
            return 1;
    return n;
}

unsigned ui__edit_code_point(const char *text, size_t n)
{
    const unsigned char *u = (const unsigned char *)text;
    if (n == 1)
        return u[0] < 0x80 ? u[0] : 0xdc00u + u[0];
    unsigned cp = u[0] & (0xffu >> (n + 1));
    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (u[i] & 0x3fu);
    return cp;
}

/* Whether line I, which starts at byte AT of the loaded text, still reads as it did there: an
 * unedited line still points at it, so only edited lines are compared byte by byte. */
static bool line_as_loaded(const ui_edit_buffer *b, size_t i, size_t at)
{
    const edit_line *line = &b->lines[i];
    bool last = i + 1 == b->count;
    if (at + line->len + (last ? 0 : 1) > b->loaded_len)
        return false;
    if (!last && b->loaded[at + line->len] != '\n')
        return false;
    return line->text == b->loaded + at || memcmp(line->text, b->loaded + at, line->len) == 0;
}

bool ui_edit_buffer_modified(const ui_edit_buffer *b)
{
    if (b->total != b->loaded_len)
        return true;
    size_t at = 0;
    for (size_t i = 0; i < b->count; i++) {
        if (!line_as_loaded(b, i, at))
            return true;
        at += b->lines[i].len + 1;
    }
    return false;
}

/* The text now becomes the loaded text: lines point into a fresh copy (edited lines are freed),
 * so "modified" compares with it and memory of edited lines is given back. */
void ui_edit_buffer_mark_saved(ui_edit_buffer *b)
{
    size_t len;
    char *text = ui_edit_buffer_text(b, &len);
    for (size_t i = 0; i < b->count; i++)
        free_line(&b->lines[i]);
    free(b->lines);
    free(b->loaded);
    b->loaded = text;
    b->loaded_len = len;
    index_loaded(b);
    b->grouping = false;
}

/* The edit buffer's search: forward or backward from the cursor, line by line, wrapping around
 * the text, exact or ignoring case character by character (see edit_buffer.h). */
#include <string.h>
#include <wctype.h>

#include "edit_buffer_internal.h"

typedef struct search {
    const char *needle;
    size_t len;
    bool backward, fold;
} search;

static unsigned folded(const char *text, size_t n)
{
    return (unsigned)towlower((wint_t)ui__edit_code_point(text, n));
}

/* Whether the needle starts at byte AT of LINE. */
static bool matches_at(const edit_line *line, size_t at, const search *s)
{
    if (!s->fold)
        return line->len - at >= s->len && memcmp(line->text + at, s->needle, s->len) == 0;
    size_t i = at, j = 0;
    while (j < s->len) {
        if (i >= line->len)
            return false;
        size_t n = ui__edit_char_length(line->text + i, line->len - i);
        size_t m = ui__edit_char_length(s->needle + j, s->len - j);
        if (folded(line->text + i, n) != folded(s->needle + j, m))
            return false;
        i += n;
        j += m;
    }
    return true;
}

/* The first (backward: the last) match in line I starting at a character in [FROM, UNTIL),
 * FROM being a character start; -1 when there is none. */
static long find_in_line(const ui_edit_buffer *b, size_t i, size_t from, size_t until,
                         const search *s)
{
    const edit_line *line = &b->lines[i];
    until = until < line->len ? until : line->len;
    if (!s->fold && !s->backward) { /* the common case, fast */
        const char *hit =
            from < until ? memmem(line->text + from, line->len - from, s->needle, s->len) : NULL;
        return hit && (size_t)(hit - line->text) < until ? hit - line->text : -1;
    }
    long found = -1;
    for (size_t at = from; at < until;
         at += ui__edit_char_length(line->text + at, line->len - at)) {
        if (matches_at(line, at, s)) {
            found = (long)at;
            if (!s->backward)
                break;
        }
    }
    return found;
}

/* The character start after COLUMN (past the end when COLUMN is the end). */
static size_t next_char(const edit_line *line, size_t column)
{
    if (column >= line->len)
        return line->len + 1;
    return column + ui__edit_char_length(line->text + column, line->len - column);
}

/* The K-th line of the search round (K = 0 and K = count are the cursor's line: first the part
 * past the cursor, last the rest, so the cursor's own match comes last). */
static long find_in_round(const ui_edit_buffer *b, size_t k, const search *s, size_t *line)
{
    const edit_pos c = b->cursor;
    size_t after = next_char(&b->lines[c.line], c.column), n = b->count;
    *line = s->backward ? (c.line + n - k % n) % n : (c.line + k) % n;
    if (k == 0)
        return s->backward ? find_in_line(b, *line, 0, c.column, s)
                           : find_in_line(b, *line, after, SIZE_MAX, s);
    if (k == n)
        return s->backward ? find_in_line(b, *line, c.column, SIZE_MAX, s)
                           : find_in_line(b, *line, 0, c.column + 1, s);
    return find_in_line(b, *line, 0, SIZE_MAX, s);
}

bool ui_edit_buffer_search(ui_edit_buffer *b, const char *needle, size_t len, unsigned flags,
                           size_t *line, size_t *column)
{
    b->grouping = false;
    if (len == 0 || memchr(needle, '\n', len))
        return false;
    search s = {needle, len, flags & UI_EDIT_FIND_BACKWARD, flags & UI_EDIT_FIND_IGNORE_CASE};
    for (size_t k = 0; k <= b->count; k++) {
        size_t at_line;
        long hit = find_in_round(b, k, &s, &at_line);
        if (hit >= 0) {
            ui_edit_buffer_goto(b, at_line, (size_t)hit);
            if (line)
                *line = at_line;
            if (column)
                *column = (size_t)hit;
            return true;
        }
    }
    return false;
}

bool ui_edit_buffer_find(ui_edit_buffer *b, const char *needle, size_t len)
{
    return ui_edit_buffer_search(b, needle, len, 0, NULL, NULL);
}

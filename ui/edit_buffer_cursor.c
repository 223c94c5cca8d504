/* The edit buffer's cursor: moving by character, by word, by line at a kept display column, by
 * page; offsets and 1-based positions (see edit_buffer.h). Search is edit_buffer_search.c. */
#include <string.h>
#include <wchar.h>

#include "edit_buffer_internal.h"

void ui_edit_buffer_cursor(const ui_edit_buffer *b, size_t *line, size_t *column)
{
    *line = b->cursor.line;
    *column = b->cursor.column;
}

size_t ui__edit_previous_char(const edit_line *line, size_t column)
{
    if (column == 0)
        return 0;
    size_t start = column - 1;
    for (int steps = 0; start > 0 && steps < 3 && ((unsigned char)line->text[start] & 0xc0) == 0x80;
         steps++)
        start--;
    return ui__edit_char_length(line->text + start, line->len - start) == column - start
               ? start
               : column - 1;
}

/* The start of the character holding byte COLUMN (COLUMN itself unless it is inside one). */
static size_t char_start(const edit_line *line, size_t column)
{
    for (size_t back = 1; back <= 3 && back <= column && column < line->len; back++) {
        size_t start = column - back;
        if (ui__edit_char_length(line->text + start, line->len - start) > back)
            return start;
    }
    return column;
}

/* wcwidth of each character; what has no width (control, unassigned, not UTF-8) counts 1. */
static size_t locale_width(const char *text, size_t len)
{
    size_t columns = 0;
    for (size_t i = 0, n; i < len; i += n) {
        n = ui__edit_char_length(text + i, len - i);
        int w = wcwidth((wchar_t)ui__edit_code_point(text + i, n));
        columns += w < 0 ? 1 : (size_t)w;
    }
    return columns;
}

static size_t width_of(const ui_edit_buffer *b, const char *text, size_t len)
{
    return b->columns ? (size_t)b->columns(text, len) : locale_width(text, len);
}

/* The byte column on LINE whose display column is the last one not past GOAL. */
static size_t column_at(const ui_edit_buffer *b, const edit_line *line, size_t goal)
{
    size_t at = 0, used = 0;
    while (at < line->len) {
        size_t n = ui__edit_char_length(line->text + at, line->len - at);
        size_t w = width_of(b, line->text + at, n);
        if (used + w > goal)
            break;
        used += w;
        at += n;
    }
    return at;
}

static void vertical(ui_edit_buffer *b, long delta)
{
    const edit_line *line = &b->lines[b->cursor.line];
    if (b->goal == NO_GOAL)
        b->goal = width_of(b, line->text, b->cursor.column);
    long target = (long)b->cursor.line + delta;
    long last = (long)b->count - 1;
    b->cursor.line = (size_t)(target < 0 ? 0 : target > last ? last : target);
    b->cursor.column = column_at(b, &b->lines[b->cursor.line], b->goal);
}

/* One character left of P, to the end of the line above at a line start; false at the start. */
static bool step_left(const ui_edit_buffer *b, edit_pos *p)
{
    if (p->column > 0)
        p->column = ui__edit_previous_char(&b->lines[p->line], p->column);
    else if (p->line > 0)
        *p = (edit_pos){p->line - 1, b->lines[p->line - 1].len};
    else
        return false;
    return true;
}

static bool step_right(const ui_edit_buffer *b, edit_pos *p)
{
    const edit_line *line = &b->lines[p->line];
    if (p->column < line->len)
        p->column += ui__edit_char_length(line->text + p->column, line->len - p->column);
    else if (p->line + 1 < b->count)
        *p = (edit_pos){p->line + 1, 0};
    else
        return false;
    return true;
}

static bool is_word_byte(unsigned char c)
{
    return c >= 0x80 || c == '_' || (c >= '0' && c <= '9') ||
           ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Whether the character just right (RIGHT) or left of P is part of a word; a line end is not. */
static bool word_beside(const ui_edit_buffer *b, edit_pos p, bool right)
{
    const edit_line *line = &b->lines[p.line];
    if (right)
        return p.column < line->len && is_word_byte((unsigned char)line->text[p.column]);
    return p.column > 0 &&
           is_word_byte((unsigned char)line->text[ui__edit_previous_char(line, p.column)]);
}

/* Past the gap before the next word, then past the word (like Emacs' M-f / M-b). */
static void by_word(ui_edit_buffer *b, bool right)
{
    edit_pos p = b->cursor;
    bool (*step)(const ui_edit_buffer *, edit_pos *) = right ? step_right : step_left;
    while (!word_beside(b, p, right) && step(b, &p)) {
    }
    while (word_beside(b, p, right) && step(b, &p)) {
    }
    b->cursor = p;
}

static void horizontal(ui_edit_buffer *b, ui_edit_motion motion)
{
    edit_pos *c = &b->cursor;
    if (motion == UI_EDIT_LEFT)
        step_left(b, c);
    else if (motion == UI_EDIT_RIGHT)
        step_right(b, c);
    else if (motion == UI_EDIT_WORD_LEFT || motion == UI_EDIT_WORD_RIGHT)
        by_word(b, motion == UI_EDIT_WORD_RIGHT);
    else if (motion == UI_EDIT_HOME)
        c->column = 0;
    else if (motion == UI_EDIT_END)
        c->column = b->lines[c->line].len;
    else if (motion == UI_EDIT_TOP)
        *c = (edit_pos){0, 0};
    else if (motion == UI_EDIT_BOTTOM)
        *c = (edit_pos){b->count - 1, b->lines[b->count - 1].len};
    b->goal = NO_GOAL;
}

void ui_edit_buffer_move(ui_edit_buffer *b, ui_edit_motion motion, size_t page)
{
    long step = page > 0 ? (long)page : 1;
    b->grouping = false;
    if (motion == UI_EDIT_UP || motion == UI_EDIT_DOWN)
        vertical(b, motion == UI_EDIT_UP ? -1 : 1);
    else if (motion == UI_EDIT_PAGE_UP || motion == UI_EDIT_PAGE_DOWN)
        vertical(b, motion == UI_EDIT_PAGE_UP ? -step : step);
    else
        horizontal(b, motion);
}

void ui_edit_buffer_goto(ui_edit_buffer *b, size_t line, size_t column)
{
    line = line < b->count ? line : b->count - 1;
    const edit_line *l = &b->lines[line];
    column = column < l->len ? char_start(l, column) : l->len;
    b->cursor = (edit_pos){line, column};
    b->goal = NO_GOAL;
    b->grouping = false;
}

void ui_edit_buffer_goto_reported(ui_edit_buffer *b, size_t line, size_t column)
{
    ui_edit_buffer_goto(b, line > 0 ? line - 1 : 0, column > 0 ? column - 1 : 0);
}

size_t ui_edit_buffer_cursor_offset(const ui_edit_buffer *b)
{
    size_t offset = b->cursor.column;
    for (size_t i = 0; i < b->cursor.line; i++)
        offset += b->lines[i].len + 1;
    return offset;
}

void ui_edit_buffer_set_cursor_offset(ui_edit_buffer *b, size_t offset)
{
    size_t line = 0;
    while (line + 1 < b->count && offset > b->lines[line].len) {
        offset -= b->lines[line].len + 1;
        line++;
    }
    ui_edit_buffer_goto(b, line, offset);
}

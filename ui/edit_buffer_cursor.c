/* The edit buffer's cursor: moving by character, by line at a kept display column, by page;
 * offsets; search with wrap-around (see edit_buffer.h). */
#include <string.h>

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

static size_t width_of(const ui_edit_buffer *b, const char *text, size_t len)
{
    if (b->columns)
        return (size_t)b->columns(text, len);
    size_t chars = 0;
    for (size_t i = 0; i < len; i += ui__edit_char_length(text + i, len - i))
        chars++;
    return chars;
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

static void horizontal(ui_edit_buffer *b, ui_edit_motion motion)
{
    edit_pos *c = &b->cursor;
    const edit_line *line = &b->lines[c->line];
    if (motion == UI_EDIT_LEFT && c->column > 0) {
        c->column = ui__edit_previous_char(line, c->column);
    } else if (motion == UI_EDIT_LEFT && c->line > 0) {
        c->line--;
        c->column = b->lines[c->line].len;
    } else if (motion == UI_EDIT_RIGHT && c->column < line->len) {
        c->column += ui__edit_char_length(line->text + c->column, line->len - c->column);
    } else if (motion == UI_EDIT_RIGHT && c->line + 1 < b->count) {
        c->line++;
        c->column = 0;
    } else if (motion == UI_EDIT_HOME) {
        c->column = 0;
    } else if (motion == UI_EDIT_END) {
        c->column = line->len;
    } else if (motion == UI_EDIT_TOP) {
        *c = (edit_pos){0, 0};
    } else if (motion == UI_EDIT_BOTTOM) {
        *c = (edit_pos){b->count - 1, b->lines[b->count - 1].len};
    }
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
    column = column < l->len ? column : l->len;
    for (int steps = 0; column > 0 && column < l->len && steps < 3 &&
                        ((unsigned char)l->text[column] & 0xc0) == 0x80;
         steps++)
        column--;
    b->cursor = (edit_pos){line, column};
    b->goal = NO_GOAL;
    b->grouping = false;
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

/* The first match in line I at or after byte FROM (and starting before UNTIL), or -1. */
static long find_in_line(const ui_edit_buffer *b, size_t i, size_t from, size_t until,
                         const char *needle, size_t len)
{
    const edit_line *line = &b->lines[i];
    if (from > line->len)
        return -1;
    const char *hit = memmem(line->text + from, line->len - from, needle, len);
    if (!hit || (size_t)(hit - line->text) >= until)
        return -1;
    return hit - line->text;
}

bool ui_edit_buffer_find(ui_edit_buffer *b, const char *needle, size_t len)
{
    if (len == 0 || memchr(needle, '\n', len))
        return false;
    size_t start = b->cursor.line;
    for (size_t k = 0; k <= b->count; k++) {
        size_t i = (start + k) % b->count;
        size_t from = k == 0 ? b->cursor.column + 1 : 0;
        size_t until = k == b->count ? b->cursor.column + 1 : SIZE_MAX;
        long hit = find_in_line(b, i, from, until, needle, len);
        if (hit >= 0) {
            ui_edit_buffer_goto(b, i, (size_t)hit);
            return true;
        }
    }
    return false;
}

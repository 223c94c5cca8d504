/* The edits a user makes (insert, backspace, delete), each recorded as an undo step; typing or
 * deleting without moving in between joins the last step, so one undo takes back a whole run. */
#include <stdlib.h>
#include <string.h>

#include "edit_buffer_internal.h"

static bool same_pos(edit_pos a, edit_pos b)
{
    return a.line == b.line && a.column == b.column;
}

static void make_op_room(edit_op *op, size_t extra)
{
    if (op->len + extra + 1 <= op->cap)
        return;
    op->cap = (op->len + extra + 1) * 2;
    op->text = realloc(op->text, op->cap);
    if (!op->text)
        abort();
}

/* A new step: whatever could be redone is gone. */
static edit_op *push_op(ui_edit_buffer *b, bool insert, edit_pos at, const char *text, size_t len)
{
    for (size_t i = b->done; i < b->nops; i++)
        free(b->ops[i].text);
    b->nops = b->done;
    if (b->nops == b->ops_cap) {
        b->ops_cap = b->ops_cap ? b->ops_cap * 2 : 64;
        b->ops = realloc(b->ops, b->ops_cap * sizeof *b->ops);
        if (!b->ops)
            abort();
    }
    edit_op *op = &b->ops[b->nops++];
    memset(op, 0, sizeof *op);
    op->insert = insert;
    op->at = at;
    make_op_room(op, len);
    memcpy(op->text, text, len);
    op->len = len;
    b->done = b->nops;
    return op;
}

/* The last step, when the next keystroke may join it (a save clears GROUPING too). */
static edit_op *joinable(ui_edit_buffer *b)
{
    if (!b->grouping || b->done == 0 || b->done != b->nops)
        return NULL;
    return &b->ops[b->done - 1];
}

/* Only one typed character joins a run: a newline, a paste or an indent is a step of its own. */
void ui_edit_buffer_insert(ui_edit_buffer *b, const char *text, size_t len)
{
    if (len == 0)
        return;
    edit_pos at = b->cursor;
    edit_pos end = ui__edit_raw_insert(b, at, text, len);
    bool typed = text[0] != '\n' && ui__edit_char_length(text, len) == len;
    edit_op *top = joinable(b);
    if (top && top->insert && typed && same_pos(top->after, at)) {
        make_op_room(top, len);
        memcpy(top->text + top->len, text, len);
        top->len += len;
    } else {
        top = push_op(b, true, at, text, len);
        top->before = at;
    }
    top->after = end;
    b->cursor = end;
    b->goal = NO_GOAL;
    b->grouping = typed;
}

/* Record the deletion of TEXT at FROM, made with the cursor at CURSOR. */
static void record_delete(ui_edit_buffer *b, edit_pos from, edit_pos cursor, char *text, size_t len)
{
    edit_op *top = joinable(b);
    if (top && !top->insert && same_pos(top->after, cursor) && same_pos(top->at, cursor)) {
        make_op_room(top, len);
        if (same_pos(from, cursor)) { /* forward: the text follows what was deleted */
            memcpy(top->text + top->len, text, len);
        } else { /* backward: the text comes before it */
            memmove(top->text + len, top->text, top->len);
            memcpy(top->text, text, len);
        }
        top->len += len;
    } else {
        top = push_op(b, false, from, text, len);
        top->before = cursor;
    }
    top->at = from;
    top->after = from;
    free(text);
    b->cursor = from;
    b->goal = NO_GOAL;
    b->grouping = true;
}

bool ui_edit_buffer_backspace(ui_edit_buffer *b)
{
    edit_pos to = b->cursor, from = to;
    if (to.column > 0)
        from.column = ui__edit_previous_char(&b->lines[to.line], to.column);
    else if (to.line > 0)
        from = (edit_pos){to.line - 1, b->lines[to.line - 1].len};
    else
        return false;
    char *text;
    size_t len;
    ui__edit_raw_delete(b, from, to, &text, &len);
    record_delete(b, from, to, text, len);
    return true;
}

bool ui_edit_buffer_delete(ui_edit_buffer *b)
{
    edit_pos from = b->cursor, to = from;
    const edit_line *line = &b->lines[from.line];
    if (from.column < line->len)
        to.column += ui__edit_char_length(line->text + from.column, line->len - from.column);
    else if (from.line + 1 < b->count)
        to = (edit_pos){from.line + 1, 0};
    else
        return false;
    char *text;
    size_t len;
    ui__edit_raw_delete(b, from, to, &text, &len);
    record_delete(b, from, from, text, len);
    return true;
}

/* What delete-line removes for the cursor's line: the line and its newline, or for the last
 * line the newline before it; false when the text is empty. */
static bool line_span(const ui_edit_buffer *b, edit_pos *from, edit_pos *to)
{
    size_t line = b->cursor.line;
    *from = (edit_pos){line, 0};
    *to = (edit_pos){line, b->lines[line].len};
    if (line + 1 < b->count)
        *to = (edit_pos){line + 1, 0};
    else if (line > 0)
        *from = (edit_pos){line - 1, b->lines[line - 1].len};
    return from->line != to->line || from->column != to->column;
}

bool ui_edit_buffer_delete_line(ui_edit_buffer *b)
{
    edit_pos from, to, cursor = b->cursor;
    if (!line_span(b, &from, &to))
        return false;
    char *text;
    size_t len;
    ui__edit_raw_delete(b, from, to, &text, &len);
    b->grouping = false;
    record_delete(b, from, cursor, text, len);
    b->cursor = (edit_pos){from.line, 0};
    b->ops[b->done - 1].after = b->cursor;
    b->grouping = false;
    return true;
}

static void apply(ui_edit_buffer *b, const edit_op *op, bool forward)
{
    if (op->insert == forward) {
        ui__edit_raw_insert(b, op->at, op->text, op->len);
    } else {
        char *text;
        size_t len;
        ui__edit_raw_delete(b, op->at, ui__edit_end_of(op->at, op->text, op->len), &text, &len);
        free(text);
    }
    b->cursor = forward ? op->after : op->before;
    b->goal = NO_GOAL;
    b->grouping = false;
}

bool ui_edit_buffer_undo(ui_edit_buffer *b)
{
    if (b->done == 0)
        return false;
    apply(b, &b->ops[--b->done], false);
    return true;
}

bool ui_edit_buffer_redo(ui_edit_buffer *b)
{
    if (b->done == b->nops)
        return false;
    apply(b, &b->ops[b->done++], true);
    return true;
}

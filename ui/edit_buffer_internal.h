/*
 * edit_buffer_internal.h - the edit buffer's representation, shared by its three files:
 * edit_buffer.c (lines, raw insert and delete), edit_buffer_cursor.c (motion, search) and
 * edit_buffer_undo.c (the edits users make, undo and redo).
 */
#ifndef UI_EDIT_BUFFER_INTERNAL_H
#define UI_EDIT_BUFFER_INTERNAL_H

#include <stdint.h>

#include "edit_buffer.h"

#define NO_GOAL SIZE_MAX

/* One line. CAP 0 means TEXT points into the loaded text (not owned, never written). */
typedef struct edit_line {
    char *text;
    size_t len, cap;
} edit_line;

typedef struct edit_pos {
    size_t line, column;
} edit_pos;

/* One undo step: TEXT was inserted at, or deleted from, AT. */
typedef struct edit_op {
    bool insert;
    edit_pos at;
    char *text;
    size_t len, cap;
    edit_pos before, after; /* the cursor around the step */
} edit_op;

struct ui_edit_buffer {
    char *loaded; /* the text as loaded or last saved: unedited lines point into it */
    size_t loaded_len;
    size_t total; /* the length of the text now */
    edit_line *lines;
    size_t count, cap;
    edit_pos cursor;
    size_t goal; /* display column kept by up/down, NO_GOAL when none */
    ui_edit_columns_fn columns;
    edit_op *ops;
    size_t nops, ops_cap;
    size_t done;   /* ops[0..done) are applied, the rest can be redone */
    bool grouping; /* the next keystroke may join the last undo step */
};

/* Insert TEXT at AT; returns the position after it. */
edit_pos ui__edit_raw_insert(ui_edit_buffer *b, edit_pos at, const char *text, size_t len);
/* Delete from FROM to TO (FROM before TO); the deleted bytes are malloc'd into *TEXT. */
void ui__edit_raw_delete(ui_edit_buffer *b, edit_pos from, edit_pos to, char **text, size_t *len);
/* Where TEXT inserted at AT ends. */
edit_pos ui__edit_end_of(edit_pos at, const char *text, size_t len);
/* The byte length of the UTF-8 character at TEXT (1 for a byte that starts none). */
size_t ui__edit_char_length(const char *text, size_t avail);

/* The code point of the N-byte character at TEXT (N from ui__edit_char_length); a byte that
 * starts no character gives 0xDC00 + the byte, which no locale gives a case or a width. */
unsigned ui__edit_code_point(const char *text, size_t n);

/* The start of the character before COLUMN (a stray byte is a character of its own). */
size_t ui__edit_previous_char(const edit_line *line, size_t column);

#endif /* UI_EDIT_BUFFER_INTERNAL_H */

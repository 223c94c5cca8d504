/*
 * edit_buffer.h - the text of the in-place editor: multi-line UTF-8 (or any bytes: text that is
 * not UTF-8 round-trips byte for byte), a cursor that moves by character and keeps its display
 * column on up/down, insert and delete (joining lines), undo/redo with typing grouped into one
 * step, search with wrap-around, and "modified" = differs from the text loaded or last saved.
 *
 * Bytes: lines are split on '\n' only, so "\r\n" keeps its '\r' as the last character of the
 * line, and a final newline (or its absence) is an empty (or non-empty) last line: loading and
 * exporting without edits gives the same bytes. A byte that starts no valid UTF-8 character is
 * a character of its own; the cursor never stops inside a valid sequence.
 *
 * Lines are an index into the loaded text and are copied only when edited, so opening a 20 MB
 * document costs one pass over it, and typing costs the length of the line (a newline also
 * shifts the line index: a memmove of 24 bytes per line below). Positions are a line and a byte
 * column, both 0-based. No curses here: the caller gives the display width of text (the same
 * function that draws it), or NULL for wcwidth() in the current locale (wide characters 2
 * columns, combining ones 0, anything without a width 1).
 *
 * Undo steps: characters typed one by one without moving form one step, and so do deletes in a
 * row (backspace/delete without moving); a move, a save, a newline, a paste (an insert of more
 * than one character), a delete after typing or typing after a delete start a new step. Any new
 * edit drops what could be redone.
 */
#ifndef UI_EDIT_BUFFER_H
#define UI_EDIT_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ui_edit_buffer ui_edit_buffer;

/* The columns TEXT (one character, or a run of them) takes on screen. */
typedef int (*ui_edit_columns_fn)(const char *text, size_t len);

typedef enum ui_edit_motion {
    UI_EDIT_LEFT,
    UI_EDIT_RIGHT,
    UI_EDIT_UP,
    UI_EDIT_DOWN,
    UI_EDIT_HOME,    /* start of the line */
    UI_EDIT_END,     /* end of the line */
    UI_EDIT_PAGE_UP, /* PAGE lines up */
    UI_EDIT_PAGE_DOWN,
    UI_EDIT_TOP,    /* start of the text */
    UI_EDIT_BOTTOM, /* end of the text */
    /* Words are runs of ASCII letters, digits, '_' and non-ASCII characters; the moves cross
     * line ends as if they were spaces. */
    UI_EDIT_WORD_LEFT, /* to the start of this or the previous word */
    UI_EDIT_WORD_RIGHT /* to the end of this or the next word */
} ui_edit_motion;

/* A buffer holding a copy of TEXT, the cursor at its start, not modified. */
ui_edit_buffer *ui_edit_buffer_new(const char *text, size_t len, ui_edit_columns_fn columns);
void ui_edit_buffer_free(ui_edit_buffer *buffer);

/* The whole text (malloc'd, NUL-terminated; *LEN without the NUL). */
char *ui_edit_buffer_text(const ui_edit_buffer *buffer, size_t *len);
size_t ui_edit_buffer_line_count(const ui_edit_buffer *buffer);
/* Line I without its newline (valid until the next change). */
const char *ui_edit_buffer_line(const ui_edit_buffer *buffer, size_t i, size_t *len);

void ui_edit_buffer_cursor(const ui_edit_buffer *buffer, size_t *line, size_t *column);
/* The cursor as a byte offset into the whole text, and back. */
size_t ui_edit_buffer_cursor_offset(const ui_edit_buffer *buffer);
void ui_edit_buffer_set_cursor_offset(ui_edit_buffer *buffer, size_t offset);
/* Put the cursor at LINE and byte COLUMN (clamped, and moved back to a character start). */
void ui_edit_buffer_goto(ui_edit_buffer *buffer, size_t line, size_t column);
/* The same, from a 1-based LINE and 1-based byte COLUMN as kv_json_error reports them (lines
 * counted by '\n', so they are this buffer's lines); 0 counts as 1. */
void ui_edit_buffer_goto_reported(ui_edit_buffer *buffer, size_t line, size_t column);
/* PAGE: the lines UI_EDIT_PAGE_UP/DOWN move (0 counts as 1); ignored by the other motions. */
void ui_edit_buffer_move(ui_edit_buffer *buffer, ui_edit_motion motion, size_t page);

/* Insert LEN bytes at the cursor (newlines split the line); the cursor goes after them. */
void ui_edit_buffer_insert(ui_edit_buffer *buffer, const char *text, size_t len);
/* Delete the character before / under the cursor (joining lines at their ends); false when
 * there is none. */
bool ui_edit_buffer_backspace(ui_edit_buffer *buffer);
bool ui_edit_buffer_delete(ui_edit_buffer *buffer);
/* Delete the cursor's line with its newline (the last line takes the newline before it) and put
 * the cursor at the start of the line now there (the new last line when it was the last). One
 * undo step. False only when the text is empty. */
bool ui_edit_buffer_delete_line(ui_edit_buffer *buffer);
/* False when there is nothing to undo / redo. Typing without moving is one step. */
bool ui_edit_buffer_undo(ui_edit_buffer *buffer);
bool ui_edit_buffer_redo(ui_edit_buffer *buffer);

enum {
    UI_EDIT_FIND_BACKWARD = 1u << 0,    /* the previous occurrence instead of the next */
    UI_EDIT_FIND_IGNORE_CASE = 1u << 1, /* per character with towlower() in the current locale */
};
/* Move the cursor to the start of the next (or previous) occurrence of NEEDLE, starting after
 * (before) the cursor and wrapping around the text; an occurrence at the cursor itself is found
 * last, so searching again for the only one finds it again. True and the position in *LINE and
 * *COLUMN (either may be NULL) when found; false when there is none (the cursor stays). A
 * needle holding a newline is never found. Not an edit: it ends a run of typing. */
bool ui_edit_buffer_search(ui_edit_buffer *buffer, const char *needle, size_t len, unsigned flags,
                           size_t *line, size_t *column);
/* ui_edit_buffer_search forward, case-sensitive. */
bool ui_edit_buffer_find(ui_edit_buffer *buffer, const char *needle, size_t len);

/* True when the text differs from what was loaded or last marked saved: a comparison of the
 * text, so typing and deleting (or undoing) back to it counts as unmodified. Cheap: lengths
 * first, then only the lines that were edited are compared. */
bool ui_edit_buffer_modified(const ui_edit_buffer *buffer);
/* The current text becomes the one "modified" compares with (after a successful save). */
void ui_edit_buffer_mark_saved(ui_edit_buffer *buffer);

#endif /* UI_EDIT_BUFFER_H */

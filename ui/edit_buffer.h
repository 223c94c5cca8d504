/*
 * edit_buffer.h - the text of the in-place editor: multi-line UTF-8 (or any bytes: text that is
 * not UTF-8 round-trips byte for byte), a cursor that moves by character and keeps its display
 * column on up/down, insert and delete (joining lines), undo/redo with typing grouped into one
 * step, search with wrap-around, and "modified" = differs from the text loaded or last saved.
 *
 * Lines are an index into the loaded text and are copied only when edited, so opening a 20 MB
 * document costs one pass over it. Positions are a line and a byte column, both 0-based. No
 * curses here: the caller gives the display width of text (the same function that draws it).
 */
#ifndef UI_EDIT_BUFFER_H
#define UI_EDIT_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ui_edit_buffer ui_edit_buffer;

/* The columns TEXT takes on screen; NULL counts one per character. */
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
    UI_EDIT_TOP,   /* start of the text */
    UI_EDIT_BOTTOM /* end of the text */
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
void ui_edit_buffer_move(ui_edit_buffer *buffer, ui_edit_motion motion, size_t page);

/* Insert LEN bytes at the cursor (newlines split the line); the cursor goes after them. */
void ui_edit_buffer_insert(ui_edit_buffer *buffer, const char *text, size_t len);
/* Delete the character before / under the cursor (joining lines at their ends); false when
 * there is none. */
bool ui_edit_buffer_backspace(ui_edit_buffer *buffer);
bool ui_edit_buffer_delete(ui_edit_buffer *buffer);
/* False when there is nothing to undo / redo. Typing without moving is one step. */
bool ui_edit_buffer_undo(ui_edit_buffer *buffer);
bool ui_edit_buffer_redo(ui_edit_buffer *buffer);

/* Move to the next occurrence of NEEDLE after the cursor, wrapping around; false when there is
 * none (the cursor stays). A needle holding a newline is never found. */
bool ui_edit_buffer_find(ui_edit_buffer *buffer, const char *needle, size_t len);

/* True when the text differs from what was loaded or last marked saved (undoing back to it
 * counts as unmodified). */
bool ui_edit_buffer_modified(const ui_edit_buffer *buffer);
void ui_edit_buffer_mark_saved(ui_edit_buffer *buffer);

#endif /* UI_EDIT_BUFFER_H */

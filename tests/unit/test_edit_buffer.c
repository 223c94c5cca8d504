/* The editor's text buffer: bytes come back exactly, the cursor moves by character and keeps its
 * column, edits join and split lines, undo/redo take back whole runs of typing, search wraps,
 * and "modified" means the text differs from what was loaded or saved. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "edit_buffer.h"
#include "kv.h"

static bool utf8_locale; /* wcwidth and towlower know non-ASCII characters */

static void type(ui_edit_buffer *b, const char *text)
{
    for (const char *p = text; *p; p++)
        ui_edit_buffer_insert(b, p, 1);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void assert_text(const ui_edit_buffer *b, const char *want)
{
    size_t len;
    char *text = ui_edit_buffer_text(b, &len);
    assert_int_equal(len, strlen(want));
    assert_string_equal(text, want);
    free(text);
}

static void assert_cursor(const ui_edit_buffer *b, size_t line, size_t column)
{
    size_t l, c;
    ui_edit_buffer_cursor(b, &l, &c);
    assert_int_equal(l, line);
    assert_int_equal(c, column);
}

static void bytes_round_trip_exactly(void **state)
{
    static const char *const texts[] = {
        "", "\n", "a\r\nb\r\n", "no newline", "x\n\n\ny\n", "\xff\xfe bad \xc3 utf8 \x00 nul"};
    static const size_t lens[] = {0, 1, 6, 10, 6, 19};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        ui_edit_buffer *b = ui_edit_buffer_new(texts[i], lens[i], NULL);
        size_t len;
        char *text = ui_edit_buffer_text(b, &len);
        assert_int_equal(len, lens[i]);
        assert_memory_equal(text, texts[i], lens[i]);
        free(text);
        assert_false(ui_edit_buffer_modified(b));
        ui_edit_buffer_free(b);
    }
}

static void lines_are_split_on_newlines(void **state)
{
    ui_edit_buffer *b = ui_edit_buffer_new("ab\ncd\n", 6, NULL);
    size_t len;
    assert_int_equal(ui_edit_buffer_line_count(b), 3);
    assert_memory_equal(ui_edit_buffer_line(b, 1, &len), "cd", 2);
    assert_int_equal(len, 2);
    ui_edit_buffer_line(b, 2, &len);
    assert_int_equal(len, 0);
    ui_edit_buffer_free(b);
}

static void insert_splits_and_backspace_joins(void **state)
{
    ui_edit_buffer *b = ui_edit_buffer_new("{\"a\": 1}", 8, NULL);
    ui_edit_buffer_goto(b, 0, 1);
    ui_edit_buffer_insert(b, "\n  ", 3);
    assert_text(b, "{\n  \"a\": 1}");
    assert_cursor(b, 1, 2);
    ui_edit_buffer_move(b, UI_EDIT_HOME, 0);
    assert_true(ui_edit_buffer_backspace(b));
    assert_text(b, "{  \"a\": 1}");
    assert_cursor(b, 0, 1);
    assert_true(ui_edit_buffer_delete(b));
    assert_true(ui_edit_buffer_delete(b));
    assert_text(b, "{\"a\": 1}");
    ui_edit_buffer_move(b, UI_EDIT_BOTTOM, 0);
    assert_false(ui_edit_buffer_delete(b));
    ui_edit_buffer_move(b, UI_EDIT_TOP, 0);
    assert_false(ui_edit_buffer_backspace(b));
    ui_edit_buffer_free(b);
}

static void a_multi_line_insert_in_the_middle_keeps_the_tail(void **state)
{
    ui_edit_buffer *b = ui_edit_buffer_new("head|tail\nnext", 14, NULL);
    ui_edit_buffer_goto(b, 0, 5);
    ui_edit_buffer_insert(b, "one\ntwo\nthree ", 14);
    assert_text(b, "head|one\ntwo\nthree tail\nnext");
    assert_cursor(b, 2, 6);
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "head|tail\nnext");
    assert_true(ui_edit_buffer_redo(b));
    assert_text(b, "head|one\ntwo\nthree tail\nnext");
    ui_edit_buffer_free(b);
}

static void typing_is_one_undo_step_and_modified_follows(void **state)
{
    ui_edit_buffer *b = ui_edit_buffer_new("x", 1, NULL);
    ui_edit_buffer_move(b, UI_EDIT_END, 0);
    const char *typed = "hello";
    for (const char *p = typed; *p; p++)
        ui_edit_buffer_insert(b, p, 1);
    assert_true(ui_edit_buffer_modified(b));
    ui_edit_buffer_move(b, UI_EDIT_LEFT, 0); /* moving ends the run */
    ui_edit_buffer_insert(b, "!", 1);
    assert_text(b, "xhell!o");
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "xhello");
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "x");
    assert_cursor(b, 0, 1);
    assert_false(ui_edit_buffer_modified(b)); /* back to what was loaded */
    assert_false(ui_edit_buffer_undo(b));
    assert_true(ui_edit_buffer_redo(b));
    assert_text(b, "xhello");
    assert_true(ui_edit_buffer_modified(b));
    ui_edit_buffer_free(b);
}

static void backspacing_a_run_is_one_step(void **state)
{
    ui_edit_buffer *b = ui_edit_buffer_new("abc\ndef", 7, NULL);
    ui_edit_buffer_goto(b, 1, 2);
    for (int i = 0; i < 4; i++)
        assert_true(ui_edit_buffer_backspace(b));
    assert_text(b, "abf");
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "abc\ndef");
    assert_cursor(b, 1, 2);
    ui_edit_buffer_free(b);
}

static void saving_marks_the_text_unmodified(void **state)
{
    ui_edit_buffer *b = ui_edit_buffer_new("a", 1, NULL);
    ui_edit_buffer_insert(b, "b", 1);
    ui_edit_buffer_mark_saved(b);
    assert_false(ui_edit_buffer_modified(b));
    ui_edit_buffer_insert(b, "c", 1); /* a new step, not joined across the save */
    assert_true(ui_edit_buffer_modified(b));
    assert_true(ui_edit_buffer_undo(b));
    assert_false(ui_edit_buffer_modified(b));
    assert_true(ui_edit_buffer_undo(b));
    assert_true(ui_edit_buffer_modified(b)); /* before the save is a change too */
    ui_edit_buffer_insert(b, "z", 1);        /* the saved state cannot come back by redo now */
    assert_true(ui_edit_buffer_modified(b));
    ui_edit_buffer_free(b);
}

static void the_cursor_moves_by_character(void **state)
{
    const char *text = "\xc3\xa9t\xc3\xa9 \xe4\xb8\xad"; /* "été 中" */
    ui_edit_buffer *b = ui_edit_buffer_new(text, strlen(text), NULL);
    ui_edit_buffer_move(b, UI_EDIT_RIGHT, 0);
    assert_cursor(b, 0, 2);
    ui_edit_buffer_move(b, UI_EDIT_END, 0);
    ui_edit_buffer_move(b, UI_EDIT_LEFT, 0);
    assert_cursor(b, 0, 6);
    assert_true(ui_edit_buffer_backspace(b));
    assert_text(b, "\xc3\xa9t\xc3\xa9\xe4\xb8\xad");
    ui_edit_buffer_goto(b, 0, 1); /* inside a character: back to its start */
    assert_cursor(b, 0, 0);
    ui_edit_buffer_free(b);
}

/* A wide character takes two columns (what the screen shows). */
static int test_columns(const char *text, size_t len)
{
    int cols = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == 0xe4)
            cols += 2; /* the lead byte of the CJK characters used here */
        else if (c < 0x80 || c >= 0xc0)
            cols += 1;
    }
    return cols;
}

static void up_and_down_keep_the_display_column(void **state)
{
    const char *text = "abcdef\n\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad\nab\nabcdef";
    ui_edit_buffer *b = ui_edit_buffer_new(text, strlen(text), test_columns);
    ui_edit_buffer_goto(b, 0, 4);
    ui_edit_buffer_move(b, UI_EDIT_DOWN, 0);
    assert_cursor(b, 1, 6); /* two wide characters = 4 columns */
    ui_edit_buffer_move(b, UI_EDIT_DOWN, 0);
    assert_cursor(b, 2, 2); /* short line: its end */
    ui_edit_buffer_move(b, UI_EDIT_DOWN, 0);
    assert_cursor(b, 3, 4); /* the column comes back */
    ui_edit_buffer_move(b, UI_EDIT_PAGE_UP, 10);
    assert_cursor(b, 0, 4);
    ui_edit_buffer_move(b, UI_EDIT_PAGE_DOWN, 2);
    assert_cursor(b, 2, 2);
    ui_edit_buffer_free(b);
}

static void search_wraps_around(void **state)
{
    const char *text = "key one\nfind me\nand key two";
    ui_edit_buffer *b = ui_edit_buffer_new(text, strlen(text), NULL);
    ui_edit_buffer_goto(b, 1, 0);
    assert_true(ui_edit_buffer_find(b, "key", 3));
    assert_cursor(b, 2, 4);
    assert_true(ui_edit_buffer_find(b, "key", 3));
    assert_cursor(b, 0, 0); /* wrapped */
    assert_true(ui_edit_buffer_find(b, "find", 4));
    assert_cursor(b, 1, 0);
    assert_true(ui_edit_buffer_find(b, "find", 4)); /* the only one: found again */
    assert_cursor(b, 1, 0);
    assert_false(ui_edit_buffer_find(b, "absent", 6));
    assert_cursor(b, 1, 0);
    assert_false(ui_edit_buffer_find(b, "me\nand", 6));
    ui_edit_buffer_free(b);
}

static void offsets_map_to_positions(void **state)
{
    ui_edit_buffer *b = ui_edit_buffer_new("ab\ncd\nef", 8, NULL);
    ui_edit_buffer_set_cursor_offset(b, 4);
    assert_cursor(b, 1, 1);
    assert_int_equal(ui_edit_buffer_cursor_offset(b), 4);
    ui_edit_buffer_set_cursor_offset(b, 3);
    assert_cursor(b, 1, 0);
    ui_edit_buffer_set_cursor_offset(b, 999);
    assert_cursor(b, 2, 2);
    ui_edit_buffer_goto(b, 99, 99);
    assert_cursor(b, 2, 2);
    ui_edit_buffer_free(b);
}

static void an_edit_undone_gives_back_the_same_bytes(void **state)
{
    const char *text = "{\r\n  \"a\": 1\r\n}\r\n"; /* CRLF and a final newline */
    ui_edit_buffer *b = ui_edit_buffer_new(text, strlen(text), NULL);
    assert_int_equal(ui_edit_buffer_line_count(b), 4);
    size_t len;
    assert_memory_equal(ui_edit_buffer_line(b, 1, &len), "  \"a\": 1\r", 9); /* \r is kept */
    ui_edit_buffer_goto(b, 1, 8);
    ui_edit_buffer_insert(b, "2\n", 2);
    assert_text(b, "{\r\n  \"a\": 12\n\r\n}\r\n");
    ui_edit_buffer_move(b, UI_EDIT_BOTTOM, 0);
    assert_true(ui_edit_buffer_backspace(b)); /* the final newline */
    assert_text(b, "{\r\n  \"a\": 12\n\r\n}\r");
    assert_true(ui_edit_buffer_undo(b));
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, text);
    assert_false(ui_edit_buffer_modified(b));
    ui_edit_buffer_free(b);
}

/* Typing and deleting back to the loaded text, without undo, is not a change either. */
static void modified_compares_the_text(void **state)
{
    ui_edit_buffer *b = ui_edit_buffer_new("ab\ncd", 5, NULL);
    ui_edit_buffer_goto(b, 1, 1);
    type(b, "x");
    assert_true(ui_edit_buffer_modified(b));
    assert_true(ui_edit_buffer_backspace(b));
    assert_false(ui_edit_buffer_modified(b));
    assert_true(ui_edit_buffer_backspace(b)); /* same length, other text */
    type(b, "C");
    assert_text(b, "ab\nCd");
    assert_true(ui_edit_buffer_modified(b));
    ui_edit_buffer_move(b, UI_EDIT_HOME, 0);
    assert_true(ui_edit_buffer_backspace(b)); /* joined, then split again the same way */
    ui_edit_buffer_insert(b, "\n", 1);
    assert_true(ui_edit_buffer_modified(b));
    assert_true(ui_edit_buffer_delete(b));
    type(b, "c");
    assert_false(ui_edit_buffer_modified(b));
    ui_edit_buffer_mark_saved(b);
    ui_edit_buffer_move(b, UI_EDIT_TOP, 0);
    ui_edit_buffer_insert(b, "Z", 1);
    assert_true(ui_edit_buffer_modified(b));
    assert_true(ui_edit_buffer_undo(b));
    assert_false(ui_edit_buffer_modified(b)); /* compared with the saved text now */
    ui_edit_buffer_free(b);
}

/* Right then left over every kind of character stops at the same character starts. */
static void moves_never_stop_inside_a_character(void **state)
{
    const char text[] = "a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\x80\xc3z\xe4\xb8";
    static const size_t stops[] = {0, 1, 3, 6, 10, 11, 12, 13, 14, 15};
    size_t n = sizeof stops / sizeof stops[0];
    ui_edit_buffer *b = ui_edit_buffer_new(text, sizeof text - 1, NULL);
    for (size_t i = 0; i < n; i++) {
        assert_cursor(b, 0, stops[i]);
        ui_edit_buffer_move(b, UI_EDIT_RIGHT, 0);
    }
    assert_cursor(b, 0, 15); /* the end: no further */
    for (size_t i = n; i-- > 0;) {
        assert_cursor(b, 0, stops[i]);
        ui_edit_buffer_move(b, UI_EDIT_LEFT, 0);
    }
    for (size_t column = 0; column <= 15; column++) { /* goto snaps to the stop at or before */
        ui_edit_buffer_goto(b, 0, column);
        size_t want = 0;
        for (size_t i = 0; i < n && stops[i] <= column; i++)
            want = stops[i];
        assert_cursor(b, 0, want);
    }
    ui_edit_buffer_goto(b, 0, 8); /* inside the emoji: deleting takes the whole character */
    assert_true(ui_edit_buffer_delete(b));
    assert_text(b, "a\xc3\xa9\xe4\xb8\xad\x80\xc3z\xe4\xb8");
    ui_edit_buffer_free(b);
}

/* Without a columns function, wcwidth counts: a CJK character takes two columns. */
static void wide_characters_take_two_columns_by_default(void **state)
{
    if (!utf8_locale)
        skip();
    const char *text =
        "abcdefgh\n\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97x\n\xc3\xa9t\xc3\xa9\nabcdefgh";
    ui_edit_buffer *b = ui_edit_buffer_new(text, strlen(text), NULL);
    ui_edit_buffer_goto(b, 0, 5);
    ui_edit_buffer_move(b, UI_EDIT_DOWN, 0);
    assert_cursor(b, 1, 6); /* column 5 falls in the third wide character: before it */
    ui_edit_buffer_move(b, UI_EDIT_DOWN, 0);
    assert_cursor(b, 2, 5); /* "été" is three columns in five bytes: its end */
    ui_edit_buffer_move(b, UI_EDIT_DOWN, 0);
    assert_cursor(b, 3, 5); /* the wanted column is remembered across short lines */
    ui_edit_buffer_move(b, UI_EDIT_END, 0);
    ui_edit_buffer_move(b, UI_EDIT_UP, 0);
    assert_cursor(b, 2, 5);
    ui_edit_buffer_move(b, UI_EDIT_UP, 0);
    assert_cursor(b, 1, 10); /* 8 columns: after the x */
    ui_edit_buffer_free(b);
}

static void word_moves(void **state)
{
    const char *text = "  \"key_1\": caf\xc3\xa9,\n\n  x";
    ui_edit_buffer *b = ui_edit_buffer_new(text, strlen(text), NULL);
    ui_edit_buffer_move(b, UI_EDIT_WORD_RIGHT, 0);
    assert_cursor(b, 0, 8); /* after key_1 */
    ui_edit_buffer_move(b, UI_EDIT_WORD_RIGHT, 0);
    assert_cursor(b, 0, 16); /* after café (é is a word character) */
    ui_edit_buffer_move(b, UI_EDIT_WORD_RIGHT, 0);
    assert_cursor(b, 2, 3); /* across the line ends and the empty line */
    ui_edit_buffer_move(b, UI_EDIT_WORD_RIGHT, 0);
    assert_cursor(b, 2, 3); /* the end */
    ui_edit_buffer_move(b, UI_EDIT_WORD_LEFT, 0);
    assert_cursor(b, 2, 2);
    ui_edit_buffer_move(b, UI_EDIT_WORD_LEFT, 0);
    assert_cursor(b, 0, 11); /* the start of café */
    ui_edit_buffer_move(b, UI_EDIT_WORD_LEFT, 0);
    assert_cursor(b, 0, 3);
    ui_edit_buffer_move(b, UI_EDIT_WORD_LEFT, 0);
    assert_cursor(b, 0, 0);
    ui_edit_buffer_free(b);
}

static void delete_line_takes_the_line_and_its_newline(void **state)
{
    ui_edit_buffer *b = ui_edit_buffer_new("one\ntwo\nthree", 13, NULL);
    ui_edit_buffer_goto(b, 1, 2);
    assert_true(ui_edit_buffer_delete_line(b));
    assert_text(b, "one\nthree");
    assert_cursor(b, 1, 0);
    assert_true(ui_edit_buffer_delete_line(b)); /* the last line takes the newline before it */
    assert_text(b, "one");
    assert_cursor(b, 0, 0);
    assert_true(ui_edit_buffer_delete_line(b));
    assert_text(b, "");
    assert_false(ui_edit_buffer_delete_line(b));
    assert_true(ui_edit_buffer_undo(b));
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "one\nthree");
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "one\ntwo\nthree");
    assert_cursor(b, 1, 2);
    assert_true(ui_edit_buffer_redo(b));
    assert_text(b, "one\nthree");
    assert_cursor(b, 1, 0);
    ui_edit_buffer_free(b);
}

/* A paste is a step of its own; a new edit drops what could be redone. */
static void undo_steps_and_redo_cleared_by_an_edit(void **state)
{
    ui_edit_buffer *b = ui_edit_buffer_new("", 0, NULL);
    type(b, "abc");
    ui_edit_buffer_insert(b, "PASTE", 5);
    type(b, "de");
    assert_true(ui_edit_buffer_backspace(b)); /* a delete after typing: a new step */
    assert_text(b, "abcPASTEd");
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "abcPASTEde");
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "abcPASTE");
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "abc");
    assert_cursor(b, 0, 3);
    ui_edit_buffer_insert(b, "\n", 1); /* a newline ends the run too */
    type(b, "x");
    assert_false(ui_edit_buffer_redo(b)); /* the edit dropped the redo of PASTE */
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "abc\n");
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "abc");
    assert_true(ui_edit_buffer_undo(b));
    assert_text(b, "");
    assert_false(ui_edit_buffer_undo(b));
    ui_edit_buffer_free(b);
}

static void search_backward_and_ignoring_case(void **state)
{
    const char *text = "Key one\nfind KEY me\nand key two";
    ui_edit_buffer *b = ui_edit_buffer_new(text, strlen(text), NULL);
    size_t line = 99, column = 99;
    ui_edit_buffer_goto(b, 1, 6);
    assert_true(ui_edit_buffer_search(b, "key", 3, UI_EDIT_FIND_BACKWARD, &line, &column));
    assert_int_equal(line, 2); /* wrapped backward past the top to the last line */
    assert_int_equal(column, 4);
    assert_cursor(b, 2, 4);
    assert_true(ui_edit_buffer_search(b, "key", 3, UI_EDIT_FIND_BACKWARD, NULL, NULL));
    assert_cursor(b, 2, 4); /* the only exact match: found again */
    unsigned both = UI_EDIT_FIND_BACKWARD | UI_EDIT_FIND_IGNORE_CASE;
    assert_true(ui_edit_buffer_search(b, "kEy", 3, both, &line, &column));
    assert_cursor(b, 1, 5);
    assert_true(ui_edit_buffer_search(b, "kEy", 3, both, &line, &column));
    assert_cursor(b, 0, 0);
    assert_true(ui_edit_buffer_search(b, "kEy", 3, both, &line, &column));
    assert_cursor(b, 2, 4);
    assert_true(ui_edit_buffer_search(b, "KEY ", 4, UI_EDIT_FIND_IGNORE_CASE, &line, &column));
    assert_cursor(b, 0, 0); /* forward, wrapped */
    assert_false(ui_edit_buffer_search(b, "keys", 4, both, &line, &column));
    assert_cursor(b, 0, 0);
    ui_edit_buffer_free(b);
    if (!utf8_locale)
        return;
    b = ui_edit_buffer_new("x \xc3\x89t\xc3\xa9", 7, NULL); /* "x Été" */
    assert_true(
        ui_edit_buffer_search(b, "\xc3\xa9T\xc3\x89", 5, UI_EDIT_FIND_IGNORE_CASE, &line, &column));
    assert_int_equal(column, 2);
    ui_edit_buffer_free(b);
}

/* kv_json_error's line and byte column put the cursor on the offending byte. */
static void goto_a_reported_json_error(void **state)
{
    const char *text = "{\n  \"\xc3\xa9t\xc3\xa9\": [1,\n    2,,\n  ]\n}";
    kv_json_error error;
    assert_false(kv_json_valid(text, strlen(text), &error));
    ui_edit_buffer *b = ui_edit_buffer_new(text, strlen(text), NULL);
    ui_edit_buffer_goto_reported(b, error.line, error.column);
    assert_int_equal(ui_edit_buffer_cursor_offset(b), error.offset);
    size_t len, line, column;
    ui_edit_buffer_cursor(b, &line, &column);
    assert_int_equal(ui_edit_buffer_line(b, line, &len)[column], ',');
    ui_edit_buffer_goto_reported(b, 0, 0); /* 0 counts as 1 */
    assert_cursor(b, 0, 0);
    ui_edit_buffer_free(b);
}

/* 20 MB of pretty JSON: load, edit at both ends, read back (must be fast enough to run here). */
static void a_20_mb_document_is_edited(void **state)
{
    size_t rows = 200000, len = 0;
    char *text = malloc(rows * 110);
    for (size_t i = 0; i < rows; i++)
        len += (size_t)sprintf(text + len, "  {\"id\": %zu, \"pad\": \"%080d\"},\n", i, 0);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    ui_edit_buffer *b = ui_edit_buffer_new(text, len, NULL);
    assert_int_equal(ui_edit_buffer_line_count(b), rows + 1);
    ui_edit_buffer_goto(b, rows / 2, 10); /* in the middle: type, split, join, undo */
    for (int i = 0; i < 1000; i++)
        ui_edit_buffer_insert(b, "x", 1);
    ui_edit_buffer_insert(b, "\n", 1);
    assert_int_equal(ui_edit_buffer_line_count(b), rows + 2);
    assert_true(ui_edit_buffer_modified(b));
    assert_true(ui_edit_buffer_backspace(b));
    assert_true(ui_edit_buffer_undo(b));
    assert_true(ui_edit_buffer_undo(b));
    assert_true(ui_edit_buffer_undo(b));
    assert_false(ui_edit_buffer_modified(b));
    assert_true(ui_edit_buffer_search(b, "\"id\": 123456,", 13, 0, NULL, NULL));
    assert_cursor(b, 123456, 3);
    ui_edit_buffer_move(b, UI_EDIT_TOP, 0);
    ui_edit_buffer_insert(b, "[", 1);
    ui_edit_buffer_move(b, UI_EDIT_BOTTOM, 0);
    ui_edit_buffer_insert(b, "]", 1);
    ui_edit_buffer_move(b, UI_EDIT_PAGE_UP, 100000);
    size_t line, column, out_len;
    ui_edit_buffer_cursor(b, &line, &column);
    assert_int_equal(line, rows - 100000);
    char *out = ui_edit_buffer_text(b, &out_len);
    assert_int_equal(out_len, len + 2);
    assert_int_equal(out[0], '[');
    assert_int_equal(out[out_len - 1], ']');
    assert_memory_equal(out + 1, text, len);
    free(out);
    ui_edit_buffer_mark_saved(b);
    assert_false(ui_edit_buffer_modified(b));
    assert_true(seconds_since(&start) < 3.0); /* loading alone is ~10 ms: this catches O(n^2) */
    free(text);
    ui_edit_buffer_free(b);
}

int main(void)
{
    utf8_locale = setlocale(LC_CTYPE, "C.UTF-8") != NULL;
    if (!utf8_locale)
        printf("no C.UTF-8 locale: wide characters and case folding beyond ASCII not tested\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bytes_round_trip_exactly),
        cmocka_unit_test(lines_are_split_on_newlines),
        cmocka_unit_test(insert_splits_and_backspace_joins),
        cmocka_unit_test(a_multi_line_insert_in_the_middle_keeps_the_tail),
        cmocka_unit_test(typing_is_one_undo_step_and_modified_follows),
        cmocka_unit_test(backspacing_a_run_is_one_step),
        cmocka_unit_test(saving_marks_the_text_unmodified),
        cmocka_unit_test(the_cursor_moves_by_character),
        cmocka_unit_test(up_and_down_keep_the_display_column),
        cmocka_unit_test(search_wraps_around),
        cmocka_unit_test(offsets_map_to_positions),
        cmocka_unit_test(an_edit_undone_gives_back_the_same_bytes),
        cmocka_unit_test(modified_compares_the_text),
        cmocka_unit_test(moves_never_stop_inside_a_character),
        cmocka_unit_test(wide_characters_take_two_columns_by_default),
        cmocka_unit_test(word_moves),
        cmocka_unit_test(delete_line_takes_the_line_and_its_newline),
        cmocka_unit_test(undo_steps_and_redo_cleared_by_an_edit),
        cmocka_unit_test(search_backward_and_ignoring_case),
        cmocka_unit_test(goto_a_reported_json_error),
        cmocka_unit_test(a_20_mb_document_is_edited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

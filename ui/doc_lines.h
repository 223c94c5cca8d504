/*
 * doc_lines.h - a document turned into display lines: pretty JSON (built from the original text
 * by the lossless formatter, so numbers and escapes show exactly as stored), UTF-8 text, hex +
 * ASCII for bytes, and for pickles the decoded data (never executed). Only a line index is built
 * up front; the pane draws the lines it shows.
 */
#ifndef UI_DOC_LINES_H
#define UI_DOC_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ui_doc_kind { UI_DOC_TEXT, UI_DOC_JSON, UI_DOC_HEX } ui_doc_kind;

typedef struct ui_doc_lines {
    ui_doc_kind kind;
    char *text;        /* TEXT/JSON: the text shown (malloc'd) */
    size_t text_len;
    size_t *starts;    /* TEXT/JSON: byte offset of each line */
    size_t count;      /* lines */
    const uint8_t *bytes; /* HEX: the value (borrowed) */
    size_t bytes_len;
    char note[200];    /* a line shown above the body: why it is shown this way */
    /* JSON: for a line that opens an object or array spanning lines, the line that closes it;
     * SIZE_MAX elsewhere. open_of is the reverse. folded marks the folded openers. */
    size_t *close_of, *open_of;
    bool *folded;
} ui_doc_lines;

/* Build the lines of VALUE stored with FLAGS. VALUE must outlive LINES (hex view borrows it). */
void ui_doc_lines_build(ui_doc_lines *lines, const uint8_t *value, size_t len, uint32_t flags);
void ui_doc_lines_free(ui_doc_lines *lines);
/* Line I as bytes (TEXT/JSON), without its newline. */
const char *ui_doc_line(const ui_doc_lines *lines, size_t i, size_t *len);
/* Folding (JSON only): the opener of the block line I opens or sits in (SIZE_MAX: none). */
size_t ui_doc_block_of(const ui_doc_lines *lines, size_t i);
/* Fold or unfold the block that line I opens or sits in; the opener, or SIZE_MAX. */
size_t ui_doc_fold_toggle(ui_doc_lines *lines, size_t i);
void ui_doc_fold_all(ui_doc_lines *lines, bool folded);
/* The next and previous line shown when folded blocks show only their first line. */
size_t ui_doc_next_shown(const ui_doc_lines *lines, size_t i);
size_t ui_doc_prev_shown(const ui_doc_lines *lines, size_t i);

/* Line I of the hex view: "00000010  7b 22 61 ...  {"a..." written into OUT. */
void ui_doc_hex_line(const ui_doc_lines *lines, size_t i, char *out, size_t out_len);

#endif /* UI_DOC_LINES_H */

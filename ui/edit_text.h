/*
 * edit_text.h - what the editors edit for each format, and turning an edit back into the bytes
 * to store. JSON is edited as stored (lossless); utf8 as its text; bytes as hex (16 per line);
 * a pickle of plain data as its JSON (saved back as a protocol-2 pickle). A pickle that refers to
 * code is not editable, and saying so is the error. No curses here.
 */
#ifndef UI_EDIT_TEXT_H
#define UI_EDIT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "kv.h"

/* How a value is presented for editing. */
typedef enum ui_edit_form {
    UI_EDIT_JSON,        /* the stored JSON text */
    UI_EDIT_TEXT,        /* the stored UTF-8 text */
    UI_EDIT_HEX,         /* bytes (or text that is not UTF-8) as hex */
    UI_EDIT_PICKLE_JSON  /* a plain-data pickle as JSON */
} ui_edit_form;

/* The editable text of VALUE stored with FLAGS, and its form. *text is malloc'd (NUL-terminated). */
kv_status ui_edit_text_of(const uint8_t *value, size_t len, uint32_t flags, char **text,
                          size_t *text_len, ui_edit_form *form, char *errbuf,
                          size_t errbuf_len);
/* The bytes to store for TEXT edited in FORM. Invalid JSON is
 * KV_ERR_VALUE_FORMAT with "invalid JSON at line L, column C: ..." and *error_line/column set
 * (1-based; 0 when the error has no position). *out is malloc'd. */
kv_status ui_edit_bytes_of(ui_edit_form form, const char *text, size_t len, uint8_t **out,
                           size_t *out_len, unsigned *error_line, unsigned *error_column,
                           char *errbuf, size_t errbuf_len);

#endif /* UI_EDIT_TEXT_H */

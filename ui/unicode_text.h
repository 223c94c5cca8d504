/*
 * unicode_text.h - what the CLI's and the TUI's escaping share: decoding UTF-8 strictly, whatever
 * the locale, and which code points must never reach a terminal as themselves.
 */
#ifndef UI_UNICODE_TEXT_H
#define UI_UNICODE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at P with its code point in *CP; 0 if invalid (bad lead,
 * truncated, overlong, surrogate, above U+10FFFF). */
size_t ui_utf8_decode(const uint8_t *p, size_t avail, uint32_t *cp);
/* C1 controls, bidi overrides and isolates, zero-width and line-separator characters: they can
 * reorder or hide what the terminal shows. */
bool ui_codepoint_is_deceptive(uint32_t cp);

#endif /* UI_UNICODE_TEXT_H */

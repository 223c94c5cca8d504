/* ttl_text.h - a TTL as people read it: "-", "45s", "12m05s", "3h04m", "2d03h". */
#ifndef UI_TTL_TEXT_H
#define UI_TTL_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* SECONDS_LEFT < 0 means no expiry. */
void ui_ttl_text(char *out, size_t len, int64_t seconds_left);

#endif /* UI_TTL_TEXT_H */

/* Reporting a failure with a message, and other tiny helpers every part of kvtui shares. */
#include <stdarg.h>
#include <stdio.h>

#include "kv.h"

kv_status kv_error_printf(char *errbuf, size_t errbuf_len, kv_status status, const char *fmt, ...)
{
    if (errbuf && errbuf_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errbuf_len, fmt, ap);
        va_end(ap);
    }
    return status;
}

int kv_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

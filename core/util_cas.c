/* CAS values as users type them: "0x..." hex (as printed) or decimal. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "kv.h"

kv_status kv_cas_parse(const char *text, uint64_t *cas)
{
    if (!text || !isdigit((unsigned char)text[0]))
        return KV_ERR_ARGUMENT;
    bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    if (hex && !isxdigit((unsigned char)text[2]))
        return KV_ERR_ARGUMENT;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, hex ? 16 : 10);
    if (errno == ERANGE || *end != '\0')
        return KV_ERR_ARGUMENT;
    *cas = v;
    return KV_OK;
}

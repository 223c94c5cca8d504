/* A TTL as people read it: see ttl_text.h. */
#include <stdio.h>

#include "ttl_text.h"

void ui_ttl_text(char *out, size_t len, int64_t s)
{
    long long v = (long long)s;
    if (s < 0)
        snprintf(out, len, "-");
    else if (s < 60)
        snprintf(out, len, "%llds", v);
    else if (s < 3600)
        snprintf(out, len, "%lldm%02llds", v / 60, v % 60);
    else if (s < 86400)
        snprintf(out, len, "%lldh%02lldm", v / 3600, v / 60 % 60);
    else
        snprintf(out, len, "%lldd%02lldh", v / 86400, v / 3600 % 24);
}

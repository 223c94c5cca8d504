/* Fuzz target: connection strings must parse or be refused, never crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_spec(const kv_connspec *spec)
{
    /* Touch every field so the sanitizers see any dangling or unterminated string. */
    size_t total = 0;
    for (size_t i = 0; i < spec->nhosts; i++) {
        total += strlen(spec->hosts[i].host);
        if (spec->hosts[i].host[0] == '\0')
            abort();
    }
    total += spec->path ? strlen(spec->path) : 0;
    total += spec->bucket ? strlen(spec->bucket) : 0;
    total += spec->username ? strlen(spec->username) : 0;
    total += spec->cacert ? strlen(spec->cacert) : 0;
    if (spec->kind != KV_BACKEND_EMBEDDED && spec->nhosts == 0)
        abort();
    if (spec->kind == KV_BACKEND_EMBEDDED && !spec->path)
        abort();
    (void)total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    kv_connspec spec;
    char err[256];
    if (kv_connspec_parse(text, &spec, err, sizeof err) == KV_OK) {
        check_spec(&spec);
        kv_connspec_free(&spec);
    } else if (err[0] == '\0') {
        abort(); /* every refusal explains itself */
    }
    free(text);
    return 0;
}

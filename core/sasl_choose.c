/*
 * Which SASL mechanism to use, given what a server offers (scram.h). memcached -S (Cyrus SASL)
 * spells SCRAM names with a hyphen before the digits, Couchbase without (protocol.md 2.5, 8); the
 * name sent back is always the server's own spelling.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scram.h"
#include "util_text.h"

static const kv__sasl_mech mechs[] = {
    {"SCRAM-SHA512", "SCRAM-SHA-512", KV__SASL_SHA512, 4},
    {"SCRAM-SHA256", "SCRAM-SHA-256", KV__SASL_SHA256, 3},
    {"SCRAM-SHA1", "SCRAM-SHA-1", KV__SASL_SHA1, 2},
    {"PLAIN", "PLAIN", KV__SASL_PLAIN, 1},
};

static bool same_name(const char *known, const char *name, size_t len)
{
    return strlen(known) == len && strncasecmp(known, name, len) == 0;
}

const kv__sasl_mech *kv__sasl_mech_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
        if (same_name(mechs[i].couchbase, name, len) || same_name(mechs[i].cyrus, name, len))
            return &mechs[i];
    return NULL;
}

/* Walk the offered names: keep the one WANTED names (any one known when WANTED is NULL) with the
 * highest preference, PLAIN only when PLAIN_OK. */
static bool pick(const uint8_t *offered, size_t len, const kv__sasl_mech *wanted, bool plain_ok,
                 kv__sasl_choice *choice)
{
    choice->mech = NULL;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && offered[j] != ' ')
            j++;
        const kv__sasl_mech *m = kv__sasl_mech_find((const char *)offered + i, j - i);
        bool fits = m && (wanted ? m == wanted : plain_ok || m->hash != KV__SASL_PLAIN);
        if (fits && j - i <= KV__SASL_NAME_MAX &&
            (!choice->mech || m->preference > choice->mech->preference)) {
            choice->mech = m;
            memcpy(choice->server_name, offered + i, j - i);
            choice->server_name[j - i] = '\0';
        }
        i = j + 1;
    }
    return choice->mech != NULL;
}

bool kv__sasl_choose(const uint8_t *offered, size_t len, const char *forced, bool plain_allowed,
                     kv__sasl_choice *choice, char *why, size_t why_cap)
{
    char text[96];
    const kv__sasl_mech *wanted = forced ? kv__sasl_mech_find(forced, strlen(forced)) : NULL;
    kv__printable(text, sizeof text, offered, len, 80);
    if (forced && !wanted) {
        snprintf(why, why_cap, "kvtui does not know the SASL mechanism '%s'", forced);
        return false;
    }
    if (pick(offered, len, wanted, plain_allowed, choice))
        return true;
    if (wanted)
        snprintf(why, why_cap,
                 "the server offers the SASL mechanisms '%s', not %s "
                 "(sasl_mech_force=%s)",
                 text, wanted->cyrus, forced);
    else if (pick(offered, len, NULL, true, choice))
        snprintf(why, why_cap,
                 "the server offers only PLAIN, which would send the password "
                 "in clear text without TLS; use TLS, or sasl_mech_force=PLAIN to accept that");
    else
        snprintf(why, why_cap,
                 "the server offers the SASL mechanisms '%s'; kvtui authenticates "
                 "with SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1 or PLAIN",
                 text);
    choice->mech = NULL;
    return false;
}

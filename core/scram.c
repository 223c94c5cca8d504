/*
 * The SCRAM client of scram.h (RFC 5802; SHA-256 per RFC 7677, SHA-512 by the same recipe):
 *   SaltedPassword  = PBKDF2(HMAC-H, password, salt, i)
 *   ClientKey       = HMAC(SaltedPassword, "Client Key"),  StoredKey = H(ClientKey)
 *   AuthMessage     = client-first-bare "," server-first "," client-final-without-proof
 *   ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
 *   ServerSignature = HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage)
 * Only the expected ServerSignature outlives kv__scram_server_first; it is wiped at free.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "kv.h"
#include "scram.h"
#include "util_alloc.h"
#include "util_text.h"

#define NONCE_BYTES 24
/* "biws" is base64("n,,"): no channel binding, no authzid. */
#define GS2_HEADER "n,,"
#define CHANNEL_BINDING "biws"

typedef enum scram_step { SENT_FIRST, SENT_FINAL, FINISHED } scram_step;

struct kv__scram {
    const EVP_MD *md;
    scram_step step;
    char *password;     /* until the salted password is derived */
    char *client_first; /* GS2_HEADER + client-first-bare, until server-first */
    char *nonce;        /* the client nonce */
    char *output;       /* the message to send now */
    size_t output_len;
    uint8_t server_signature[EVP_MAX_MD_SIZE];
};

static void say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cap)
        vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = kv__xcalloc(1, n);
    memcpy(copy, s, n);
    return copy;
}

/* Free S after overwriting it: it held a password or something derived from one. */
static void wipe_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static const EVP_MD *digest_of(kv__sasl_hash hash)
{
    switch (hash) {
    case KV__SASL_SHA1:
        return EVP_sha1();
    case KV__SASL_SHA256:
        return EVP_sha256();
    case KV__SASL_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

/* SASLprep maps printable ASCII to itself, so accepting only that needs no SASLprep tables. */
static bool printable_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

/* The saslname of RFC 5802: ',' and '=' would end or confuse the attribute, so they are escaped. */
static char *escape_user(const char *user)
{
    char *out = kv__xcalloc(1, 3 * strlen(user) + 1), *p = out;
    for (; *user; user++) {
        if (*user == '=' || *user == ',') {
            memcpy(p, *user == '=' ? "=3D" : "=2C", 3);
            p += 3;
        } else {
            *p++ = *user;
        }
    }
    *p = '\0';
    return out;
}

static char *random_nonce(void)
{
    uint8_t bytes[NONCE_BYTES];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return NULL;
    char *nonce = kv_base64_encode(bytes, sizeof bytes, NULL);
    if (!nonce)
        kv__out_of_memory();
    return nonce;
}

static bool valid_nonce(const char *nonce)
{
    return *nonce && printable_ascii(nonce) && !strchr(nonce, ',');
}

static void set_output(kv__scram *scram, char *message)
{
    wipe_free(scram->output);
    scram->output = message;
    scram->output_len = strlen(message);
}

/* Refuse what SCRAM cannot carry before anything is sent, naming the problem. */
static bool usable_credentials(const char *user, const char *password, char *why, size_t cap)
{
    if (!*user) {
        say(why, cap, "SCRAM needs a username");
        return false;
    }
    const char *bad = !printable_ascii(user)       ? "username"
                      : !printable_ascii(password) ? "password"
                                                   : NULL;
    if (bad) {
        say(why, cap,
            "the %s holds bytes other than printable ASCII, for which SCRAM would need SASLprep "
            "(not implemented); use an ASCII %s or sasl_mech_force=PLAIN",
            bad, bad);
        return false;
    }
    return true;
}

kv__scram_result kv__scram_begin(kv__scram **out, const kv__sasl_mech *mech, const char *user,
                                 const char *password, const char *nonce, char *why, size_t why_cap)
{
    *out = NULL;
    const EVP_MD *md = mech ? digest_of(mech->hash) : NULL;
    if (!md) {
        say(why, why_cap, "%s is not a SCRAM mechanism", mech ? mech->cyrus : "(none)");
        return KV__SCRAM_BAD_CREDENTIALS;
    }
    if (!usable_credentials(user, password, why, why_cap))
        return KV__SCRAM_BAD_CREDENTIALS;
    char *cnonce = nonce ? xstrdup(nonce) : random_nonce();
    if (!cnonce || !valid_nonce(cnonce)) {
        free(cnonce);
        say(why, why_cap, "could not make a client nonce");
        return KV__SCRAM_BAD_CREDENTIALS;
    }
    kv__scram *scram = kv__xcalloc(1, sizeof *scram);
    scram->md = md;
    scram->nonce = cnonce;
    scram->password = xstrdup(password);
    char *name = escape_user(user);
    size_t n = strlen(GS2_HEADER "n=,r=") + strlen(name) + strlen(cnonce) + 1;
    scram->client_first = kv__xcalloc(1, n);
    snprintf(scram->client_first, n, GS2_HEADER "n=%s,r=%s", name, cnonce);
    free(name);
    set_output(scram, xstrdup(scram->client_first));
    *out = scram;
    return KV__SCRAM_OK;
}

const char *kv__scram_output(const kv__scram *scram, size_t *len)
{
    if (len)
        *len = scram->output_len;
    return scram->output;
}

/* One "X=value" attribute at *P (before END): its value, and *P moved past the next ','. */
static bool take_attribute(const char **p, const char *end, char name, const char **value,
                           size_t *value_len)
{
    const char *s = *p;
    if (end - s < 2 || s[0] != name || s[1] != '=')
        return false;
    s += 2;
    const char *comma = memchr(s, ',', (size_t)(end - s));
    *value = s;
    *value_len = (size_t)((comma ? comma : end) - s);
    *p = comma ? comma + 1 : end;
    return true;
}

/* The iteration count: decimal digits within the bounds of scram.h. */
static bool parse_iterations(const char *s, size_t len, int *count)
{
    long value = 0;
    if (len == 0 || len > 10)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        value = value * 10 + (s[i] - '0');
    }
    if (value < KV__SCRAM_ITERATIONS_MIN || value > KV__SCRAM_ITERATIONS_MAX)
        return false;
    *count = (int)value;
    return true;
}

/* The server nonce must extend ours with printable characters, or the server is replaying. */
static bool nonce_extends(const kv__scram *scram, const char *nonce, size_t len)
{
    size_t ours = strlen(scram->nonce);
    if (len <= ours || memcmp(nonce, scram->nonce, ours) != 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (nonce[i] < 0x21 || nonce[i] > 0x7e)
            return false;
    return true;
}

typedef struct server_first {
    const char *nonce;
    size_t nonce_len;
    uint8_t *salt;
    size_t salt_len;
    int iterations;
} server_first;

/* Check the attributes of server-first (r=, s=, i= in that order, then extensions). */
static kv__scram_result parse_server_first(const kv__scram *scram, const uint8_t *msg, size_t len,
                                           server_first *sf, char *why, size_t cap)
{
    const char *p = (const char *)msg, *end = p + len, *value;
    size_t value_len;
    char text[64];
    if (take_attribute(&p, end, 'e', &value, &value_len)) {
        kv__printable(text, sizeof text, value, value_len, 60);
        say(why, cap, "the server refused: %s", text);
        return KV__SCRAM_SERVER_ERROR;
    }
    if (len >= 2 && msg[0] == 'm' && msg[1] == '=') {
        say(why, cap, "the server demands a SCRAM extension (m=) that kvtui does not know");
        return KV__SCRAM_PROTOCOL_ERROR;
    }
    if (!take_attribute(&p, end, 'r', &sf->nonce, &sf->nonce_len)) {
        say(why, cap, "the server's challenge has no nonce (r=)");
        return KV__SCRAM_PROTOCOL_ERROR;
    }
    if (!nonce_extends(scram, sf->nonce, sf->nonce_len)) {
        say(why, cap, "the server's nonce does not extend the one kvtui sent (a replay?)");
        return KV__SCRAM_PROTOCOL_ERROR;
    }
    if (!take_attribute(&p, end, 's', &value, &value_len)) {
        say(why, cap, "the server's challenge has no salt (s=)");
        return KV__SCRAM_PROTOCOL_ERROR;
    }
    if (value_len == 0 || kv_base64_decode(value, value_len, &sf->salt, &sf->salt_len) != KV_OK ||
        sf->salt_len == 0) {
        kv__printable(text, sizeof text, value, value_len, 60);
        say(why, cap, "the server's salt is not base64: '%s'", text);
        return KV__SCRAM_PROTOCOL_ERROR;
    }
    if (!take_attribute(&p, end, 'i', &value, &value_len)) {
        say(why, cap, "the server's challenge has no iteration count (i=)");
        return KV__SCRAM_PROTOCOL_ERROR;
    }
    if (!parse_iterations(value, value_len, &sf->iterations)) {
        kv__printable(text, sizeof text, value, value_len, 60);
        say(why, cap, "the server asks for '%s' iterations; kvtui accepts %d to %d", text,
            KV__SCRAM_ITERATIONS_MIN, KV__SCRAM_ITERATIONS_MAX);
        return KV__SCRAM_PROTOCOL_ERROR;
    }
    return KV__SCRAM_OK;
}

static bool hmac(const EVP_MD *md, const uint8_t *key, size_t key_len, const void *data, size_t len,
                 uint8_t *out)
{
    unsigned int n = 0;
    return HMAC(md, key, (int)key_len, data, len, out, &n) != NULL;
}

/* From the salted password: the proof for AUTH_MESSAGE into PROOF, and the signature the server
 * must send back into scram->server_signature. */
static bool sign(kv__scram *scram, const uint8_t *salted, const char *auth_message, uint8_t *proof)
{
    const EVP_MD *md = scram->md;
    size_t h = (size_t)EVP_MD_get_size(md), len = strlen(auth_message);
    uint8_t client_key[EVP_MAX_MD_SIZE], stored_key[EVP_MAX_MD_SIZE];
    uint8_t client_signature[EVP_MAX_MD_SIZE], server_key[EVP_MAX_MD_SIZE];
    bool ok = hmac(md, salted, h, "Client Key", 10, client_key) &&
              EVP_Digest(client_key, h, stored_key, NULL, md, NULL) == 1 &&
              hmac(md, stored_key, h, auth_message, len, client_signature) &&
              hmac(md, salted, h, "Server Key", 10, server_key) &&
              hmac(md, server_key, h, auth_message, len, scram->server_signature);
    for (size_t i = 0; i < h; i++)
        proof[i] = client_key[i] ^ client_signature[i];
    OPENSSL_cleanse(client_key, sizeof client_key);
    OPENSSL_cleanse(stored_key, sizeof stored_key);
    OPENSSL_cleanse(client_signature, sizeof client_signature);
    OPENSSL_cleanse(server_key, sizeof server_key);
    return ok;
}

/* "c=biws,r=NONCE" (the client-final message without its proof). */
static char *final_without_proof(const server_first *sf)
{
    size_t n = strlen("c=" CHANNEL_BINDING ",r=") + sf->nonce_len + 1;
    char *out = kv__xcalloc(1, n);
    snprintf(out, n, "c=" CHANNEL_BINDING ",r=%.*s", (int)sf->nonce_len, sf->nonce);
    return out;
}

static char *auth_message_of(const kv__scram *scram, const uint8_t *msg, size_t len,
                             const char *without_proof)
{
    const char *bare = scram->client_first + strlen(GS2_HEADER);
    size_t n = strlen(bare) + 1 + len + 1 + strlen(without_proof) + 1;
    char *out = kv__xcalloc(1, n);
    snprintf(out, n, "%s,%.*s,%s", bare, (int)len, (const char *)msg, without_proof);
    return out;
}

/* Derive everything from the password (then wiped) and build the client-final message. */
static bool answer_challenge(kv__scram *scram, const uint8_t *msg, size_t len,
                             const server_first *sf)
{
    size_t h = (size_t)EVP_MD_get_size(scram->md);
    uint8_t salted[EVP_MAX_MD_SIZE], proof[EVP_MAX_MD_SIZE];
    bool ok = PKCS5_PBKDF2_HMAC(scram->password, (int)strlen(scram->password), sf->salt,
                                (int)sf->salt_len, sf->iterations, scram->md, (int)h, salted) == 1;
    wipe_free(scram->password);
    scram->password = NULL;
    char *without_proof = final_without_proof(sf);
    char *auth_message = auth_message_of(scram, msg, len, without_proof);
    ok = ok && sign(scram, salted, auth_message, proof);
    OPENSSL_cleanse(salted, sizeof salted);
    char *proof64 = ok ? kv_base64_encode(proof, h, NULL) : NULL;
    if (proof64) {
        size_t n = strlen(without_proof) + strlen(",p=") + strlen(proof64) + 1;
        char *final = kv__xcalloc(1, n);
        snprintf(final, n, "%s,p=%s", without_proof, proof64);
        set_output(scram, final);
    }
    OPENSSL_cleanse(proof, sizeof proof);
    free(proof64);
    free(auth_message);
    free(without_proof);
    return proof64 != NULL;
}

kv__scram_result kv__scram_server_first(kv__scram *scram, const uint8_t *msg, size_t len, char *why,
                                        size_t why_cap)
{
    if (scram->step != SENT_FIRST) {
        say(why, why_cap, "the server sent a second SCRAM challenge");
        return KV__SCRAM_PROTOCOL_ERROR;
    }
    if (memchr(msg, '\0', len)) {
        say(why, why_cap, "the server's challenge holds a NUL byte");
        return KV__SCRAM_PROTOCOL_ERROR;
    }
    server_first sf = {0};
    kv__scram_result rc = parse_server_first(scram, msg, len, &sf, why, why_cap);
    if (rc == KV__SCRAM_OK && !answer_challenge(scram, msg, len, &sf)) {
        say(why, why_cap, "OpenSSL could not compute the SCRAM proof");
        rc = KV__SCRAM_PROTOCOL_ERROR;
    }
    free(sf.salt);
    if (rc == KV__SCRAM_OK) {
        scram->step = SENT_FINAL;
        wipe_free(scram->client_first);
        scram->client_first = NULL;
    }
    return rc;
}

/* Whether the base64 signature VALUE matches the expected one, compared in constant time. */
static bool signature_matches(const kv__scram *scram, const char *value, size_t len)
{
    uint8_t *got = NULL;
    size_t got_len = 0, h = (size_t)EVP_MD_get_size(scram->md);
    bool ok = kv_base64_decode(value, len, &got, &got_len) == KV_OK && got_len == h &&
              CRYPTO_memcmp(got, scram->server_signature, h) == 0;
    free(got);
    return ok;
}

kv__scram_result kv__scram_server_final(kv__scram *scram, const uint8_t *msg, size_t len, char *why,
                                        size_t why_cap)
{
    const char *p = (const char *)msg, *end = p + len, *value;
    size_t value_len;
    char text[64];
    if (scram->step != SENT_FINAL) {
        say(why, why_cap, "the server sent its SCRAM signature out of turn");
        return KV__SCRAM_PROTOCOL_ERROR;
    }
    if (take_attribute(&p, end, 'e', &value, &value_len)) {
        kv__printable(text, sizeof text, value, value_len, 60);
        say(why, why_cap, "the server refused: %s", text);
        return KV__SCRAM_SERVER_ERROR;
    }
    if (!take_attribute(&p, end, 'v', &value, &value_len)) {
        say(why, why_cap, "the server's last SCRAM message has no signature (v=)");
        return KV__SCRAM_NOT_PROVEN;
    }
    if (!signature_matches(scram, value, value_len)) {
        say(why, why_cap,
            "the server could not prove it knows the password (wrong SCRAM "
            "signature): it may not be the server you meant");
        return KV__SCRAM_NOT_PROVEN;
    }
    scram->step = FINISHED;
    set_output(scram, xstrdup(""));
    return KV__SCRAM_OK;
}

void kv__scram_free(kv__scram *scram)
{
    if (!scram)
        return;
    wipe_free(scram->password);
    wipe_free(scram->client_first);
    wipe_free(scram->output);
    free(scram->nonce);
    OPENSSL_cleanse(scram->server_signature, sizeof scram->server_signature);
    free(scram);
}

/* The SCRAM client (core/scram.c) against the RFC 5802 and RFC 7677 examples and a SHA-512 case,
 * hostile server messages, username escaping, and the choice of SASL mechanism
 * (core/sasl_choose.c) from what memcached (Cyrus spelling) or Couchbase offers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "scram.h"

typedef struct exchange {
    const char *mech, *nonce, *client_first, *server_first, *client_final, *server_final;
} exchange;

/* RFC 5802 section 5 (user "user", password "pencil"). */
static const exchange rfc5802 = {
    "SCRAM-SHA-1",
    "fyko+d2lbbFgONRv9qkxdawL",
    "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

/* RFC 7677 section 3. */
static const exchange rfc7677 = {
    "SCRAM-SHA-256",
    "rOprNGfwEbeRWgbNEkqO",
    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

/* The RFC 7677 inputs with SHA-512, computed apart from kvtui with Python (the same script with
 * sha256 reproduces RFC 7677's values above):
 *   import base64, hashlib, hmac
 *   h = hashlib.sha512
 *   cnonce = "rOprNGfwEbeRWgbNEkqO"; snonce = cnonce + "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
 *   salt, i = "W22ZaJ0SNY7soEsUEjb6gQ==", 4096
 *   noproof = "c=biws,r=" + snonce
 *   auth = ",".join(["n=user,r=" + cnonce, "r=%s,s=%s,i=%d" % (snonce, salt, i),
 *                    noproof]).encode()
 *   salted = hashlib.pbkdf2_hmac("sha512", b"pencil", base64.b64decode(salt), i)
 *   ck = hmac.new(salted, b"Client Key", h).digest()
 *   sig = hmac.new(h(ck).digest(), auth, h).digest()
 *   proof = bytes(a ^ b for a, b in zip(ck, sig))
 *   sk = hmac.new(salted, b"Server Key", h).digest()
 *   print(noproof + ",p=" + base64.b64encode(proof).decode())
 *   print("v=" + base64.b64encode(hmac.new(sk, auth, h).digest()).decode())
 */
static const exchange sha512 = {
    "SCRAM-SHA512",
    "rOprNGfwEbeRWgbNEkqO",
    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==",
    "v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==",
};

static char why[320];

static const kv__sasl_mech *mech(const char *name)
{
    const kv__sasl_mech *m = kv__sasl_mech_find(name, strlen(name));
    assert_non_null(m);
    return m;
}

static kv__scram *begin(const char *mech_name, const char *user, const char *nonce)
{
    kv__scram *scram = NULL;
    assert_int_equal(
        kv__scram_begin(&scram, mech(mech_name), user, "pencil", nonce, why, sizeof why),
        KV__SCRAM_OK);
    return scram;
}

static kv__scram_result first(kv__scram *scram, const char *msg)
{
    why[0] = '\0';
    return kv__scram_server_first(scram, (const uint8_t *)msg, strlen(msg), why, sizeof why);
}

static kv__scram_result final(kv__scram *scram, const char *msg)
{
    why[0] = '\0';
    return kv__scram_server_final(scram, (const uint8_t *)msg, strlen(msg), why, sizeof why);
}

/* Run EX through kv__scram and check every message we send, byte for byte. */
static void run_exchange(const exchange *ex)
{
    kv__scram *scram = begin(ex->mech, "user", ex->nonce);
    size_t len;
    assert_string_equal(kv__scram_output(scram, &len), ex->client_first);
    assert_int_equal(len, strlen(ex->client_first));
    assert_int_equal(first(scram, ex->server_first), KV__SCRAM_OK);
    assert_string_equal(kv__scram_output(scram, &len), ex->client_final);
    assert_int_equal(len, strlen(ex->client_final));
    assert_int_equal(final(scram, ex->server_final), KV__SCRAM_OK);
    kv__scram_free(scram);
}

static void rfc5802_sha1_example_is_reproduced(void **state)
{
    run_exchange(&rfc5802);
}

static void rfc7677_sha256_example_is_reproduced(void **state)
{
    run_exchange(&rfc7677);
}

static void sha512_matches_an_independent_computation(void **state)
{
    run_exchange(&sha512);
}

static void wrong_server_signature_is_not_proof(void **state)
{
    static const char *const bad[] = {
        "v=rmF9pqV8S7suAoZWja4dJRkFsKM=",                 /* last byte differs */
        "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", /* SHA-256's, wrong length */
        "v=",
        "v=!!!!",
        "x=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kv__scram *scram = begin(rfc5802.mech, "user", rfc5802.nonce);
        assert_int_equal(first(scram, rfc5802.server_first), KV__SCRAM_OK);
        assert_int_equal(final(scram, bad[i]), KV__SCRAM_NOT_PROVEN);
        assert_non_null(strstr(why, bad[i][0] == 'v' ? "could not prove it knows the password"
                                                     : "no signature"));
        kv__scram_free(scram);
    }
}

static void server_error_in_final_message_is_reported(void **state)
{
    kv__scram *scram = begin(rfc5802.mech, "user", rfc5802.nonce);
    assert_int_equal(first(scram, rfc5802.server_first), KV__SCRAM_OK);
    assert_int_equal(final(scram, "e=invalid-proof"), KV__SCRAM_SERVER_ERROR);
    assert_non_null(strstr(why, "invalid-proof"));
    kv__scram_free(scram);
}

static void hostile_server_first_messages_are_refused(void **state)
{
    static const struct {
        const char *msg, *why;
        kv__scram_result rc;
    } cases[] = {
        {"r=someoneelse123,s=QSXCR+Q6sek8bf92,i=4096", "does not extend", KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", "does not extend",
         KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdaw,s=QSXCR+Q6sek8bf92,i=4096", "does not extend",
         KV__SCRAM_PROTOCOL_ERROR},
        {"s=QSXCR+Q6sek8bf92,i=4096", "no nonce", KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawLX,i=4096", "no salt", KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawLX,s=QSXCR+Q6sek8bf92", "no iteration count",
         KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawLX,s=QSXCR+Q6sek8bf9,i=4096", "not base64",
         KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawLX,s=QSX*R+Q6sek8bf92,i=4096", "not base64",
         KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawLX,s=,i=4096", "not base64", KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawLX,s=QSXCR+Q6sek8bf92,i=0", "'0' iterations",
         KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawLX,s=QSXCR+Q6sek8bf92,i=2000001", "'2000001' iterations",
         KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawLX,s=QSXCR+Q6sek8bf92,i=99999999999999999999",
         "iterations; kvtui accepts 1 to 2000000", KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawLX,s=QSXCR+Q6sek8bf92,i=-5", "'-5' iterations",
         KV__SCRAM_PROTOCOL_ERROR},
        {"r=fyko+d2lbbFgONRv9qkxdawLX,s=QSXCR+Q6sek8bf92,i=", "'' iterations",
         KV__SCRAM_PROTOCOL_ERROR},
        {"m=ext,r=fyko+d2lbbFgONRv9qkxdawLX,s=QSXCR+Q6sek8bf92,i=4096", "extension",
         KV__SCRAM_PROTOCOL_ERROR},
        {"e=unknown-user", "the server refused: unknown-user", KV__SCRAM_SERVER_ERROR},
        {"", "no nonce", KV__SCRAM_PROTOCOL_ERROR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kv__scram *scram = begin(rfc5802.mech, "user", rfc5802.nonce);
        kv__scram_result rc = first(scram, cases[i].msg);
        if (rc != cases[i].rc || !strstr(why, cases[i].why))
            fail_msg("'%s' gave %d '%s', want %d '%s'", cases[i].msg, rc, why, cases[i].rc,
                     cases[i].why);
        kv__scram_free(scram);
    }
}

static void nul_in_server_first_is_refused(void **state)
{
    static const char msg[] = "r=fyko+d2lbbFgONRv9qkxdawLX\0,s=QSXCR+Q6sek8bf92,i=4096";
    kv__scram *scram = begin(rfc5802.mech, "user", rfc5802.nonce);
    assert_int_equal(
        kv__scram_server_first(scram, (const uint8_t *)msg, sizeof msg - 1, why, sizeof why),
        KV__SCRAM_PROTOCOL_ERROR);
    assert_non_null(strstr(why, "NUL"));
    kv__scram_free(scram);
}

static void low_iteration_count_and_extensions_are_accepted(void **state)
{
    kv__scram *scram = begin(rfc5802.mech, "user", rfc5802.nonce);
    assert_int_equal(first(scram, "r=fyko+d2lbbFgONRv9qkxdawLX,s=QSXCR+Q6sek8bf92,i=1,x=ext"),
                     KV__SCRAM_OK);
    assert_non_null(strstr(kv__scram_output(scram, NULL), "c=biws,r=fyko+d2lbbFgONRv9qkxdawLX,p="));
    kv__scram_free(scram);
}

static void messages_out_of_turn_are_refused(void **state)
{
    kv__scram *scram = begin(rfc5802.mech, "user", rfc5802.nonce);
    assert_int_equal(final(scram, rfc5802.server_final), KV__SCRAM_PROTOCOL_ERROR);
    assert_int_equal(first(scram, rfc5802.server_first), KV__SCRAM_OK);
    assert_int_equal(first(scram, rfc5802.server_first), KV__SCRAM_PROTOCOL_ERROR);
    kv__scram_free(scram);
}

static void username_commas_and_equals_are_escaped(void **state)
{
    kv__scram *scram = begin("SCRAM-SHA256", "a=b,c==", "nonce");
    assert_string_equal(kv__scram_output(scram, NULL), "n,,n=a=3Db=2Cc=3D=3D,r=nonce");
    kv__scram_free(scram);
}

static void non_ascii_credentials_are_refused_clearly(void **state)
{
    kv__scram *scram = (kv__scram *)&scram;
    assert_int_equal(kv__scram_begin(&scram, mech("SCRAM-SHA-256"), "us\xc3\xa9r", "pencil", NULL,
                                     why, sizeof why),
                     KV__SCRAM_BAD_CREDENTIALS);
    assert_null(scram);
    assert_non_null(strstr(why, "username"));
    assert_non_null(strstr(why, "SASLprep"));
    assert_int_equal(kv__scram_begin(&scram, mech("SCRAM-SHA-256"), "user", "p\xe2\x82\xacss", NULL,
                                     why, sizeof why),
                     KV__SCRAM_BAD_CREDENTIALS);
    assert_non_null(strstr(why, "password"));
    assert_null(strstr(why, "\xe2\x82\xac"));
    assert_int_equal(
        kv__scram_begin(&scram, mech("SCRAM-SHA-256"), "", "pencil", NULL, why, sizeof why),
        KV__SCRAM_BAD_CREDENTIALS);
    assert_int_equal(
        kv__scram_begin(&scram, mech("PLAIN"), "user", "pencil", NULL, why, sizeof why),
        KV__SCRAM_BAD_CREDENTIALS);
}

static void random_nonces_differ(void **state)
{
    kv__scram *a = begin("SCRAM-SHA1", "user", NULL), *b = begin("SCRAM-SHA1", "user", NULL);
    const char *fa = kv__scram_output(a, NULL), *fb = kv__scram_output(b, NULL);
    assert_true(strncmp(fa, "n,,n=user,r=", 12) == 0);
    assert_true(strlen(fa) >= 12 + 32);
    assert_null(strchr(fa + 12, ','));
    assert_string_not_equal(fa, fb);
    kv__scram_free(a);
    kv__scram_free(b);
}

static void both_spellings_name_the_same_mechanism(void **state)
{
    assert_ptr_equal(mech("SCRAM-SHA512"), mech("SCRAM-SHA-512"));
    assert_ptr_equal(mech("SCRAM-SHA256"), mech("scram-sha-256"));
    assert_ptr_equal(mech("SCRAM-SHA1"), mech("SCRAM-SHA-1"));
    assert_int_equal(mech("PLAIN")->hash, KV__SASL_PLAIN);
    assert_null(kv__sasl_mech_find("CRAM-MD5", 8));
    assert_null(kv__sasl_mech_find("SCRAM-SHA-1-PLUS", 16));
    assert_null(kv__sasl_mech_find("SCRAM-SHA", 9));
}

static bool choose(const char *offered, const char *forced, bool plain_allowed,
                   kv__sasl_choice *choice)
{
    why[0] = '\0';
    return kv__sasl_choose((const uint8_t *)offered, strlen(offered), forced, plain_allowed, choice,
                           why, sizeof why);
}

static void the_best_offered_mechanism_is_chosen_in_the_servers_spelling(void **state)
{
    kv__sasl_choice c;
    assert_true(choose("PLAIN SCRAM-SHA-1 SCRAM-SHA-256", NULL, true, &c));
    assert_string_equal(c.server_name, "SCRAM-SHA-256");
    assert_true(choose("SCRAM-SHA512 SCRAM-SHA256 SCRAM-SHA1 PLAIN", NULL, false, &c));
    assert_string_equal(c.server_name, "SCRAM-SHA512");
    assert_true(choose("CRAM-MD5 PLAIN", NULL, true, &c));
    assert_string_equal(c.server_name, "PLAIN");
    assert_true(choose("SCRAM-SHA-1-PLUS  SCRAM-SHA-1 ", NULL, true, &c));
    assert_string_equal(c.server_name, "SCRAM-SHA-1");
}

static void a_forced_mechanism_matches_either_spelling(void **state)
{
    kv__sasl_choice c;
    assert_true(choose("SCRAM-SHA-1 SCRAM-SHA-256", "SCRAM-SHA1", true, &c));
    assert_string_equal(c.server_name, "SCRAM-SHA-1");
    assert_true(choose("SCRAM-SHA512 PLAIN", "PLAIN", false, &c));
    assert_string_equal(c.server_name, "PLAIN");
    assert_false(choose("SCRAM-SHA-256", "PLAIN", true, &c));
    assert_non_null(strstr(why, "'SCRAM-SHA-256'"));
    assert_non_null(strstr(why, "sasl_mech_force=PLAIN"));
}

static void plain_alone_is_refused_when_not_allowed(void **state)
{
    kv__sasl_choice c;
    assert_false(choose("PLAIN", NULL, false, &c));
    assert_null(c.mech);
    assert_non_null(strstr(why, "TLS"));
    assert_false(choose("CRAM-MD5 GSSAPI", NULL, true, &c));
    assert_non_null(strstr(why, "'CRAM-MD5 GSSAPI'"));
    assert_false(choose("", NULL, true, &c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc5802_sha1_example_is_reproduced),
        cmocka_unit_test(rfc7677_sha256_example_is_reproduced),
        cmocka_unit_test(sha512_matches_an_independent_computation),
        cmocka_unit_test(wrong_server_signature_is_not_proof),
        cmocka_unit_test(server_error_in_final_message_is_reported),
        cmocka_unit_test(hostile_server_first_messages_are_refused),
        cmocka_unit_test(nul_in_server_first_is_refused),
        cmocka_unit_test(low_iteration_count_and_extensions_are_accepted),
        cmocka_unit_test(messages_out_of_turn_are_refused),
        cmocka_unit_test(username_commas_and_equals_are_escaped),
        cmocka_unit_test(non_ascii_credentials_are_refused_clearly),
        cmocka_unit_test(random_nonces_differ),
        cmocka_unit_test(both_spellings_name_the_same_mechanism),
        cmocka_unit_test(the_best_offered_mechanism_is_chosen_in_the_servers_spelling),
        cmocka_unit_test(a_forced_mechanism_matches_either_spelling),
        cmocka_unit_test(plain_alone_is_refused_when_not_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for connection strings (DESIGN.md section 5, core/connstr.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kv.h"

static kv_connspec parse_ok(const char *text)
{
    kv_connspec spec;
    char err[256] = "";
    kv_status st = kv_connspec_parse(text, &spec, err, sizeof err);
    if (st != KV_OK)
        fail_msg("'%s' was refused: %s", text, err);
    return spec;
}

/* The error message of a refused string, for substring checks. */
static const char *parse_error(const char *text)
{
    static char err[256];
    kv_connspec spec;
    err[0] = '\0';
    kv_status st = kv_connspec_parse(text, &spec, err, sizeof err);
    if (st != KV_ERR_ARGUMENT)
        fail_msg("'%s' was accepted (status %d), expected ArgumentError", text, st);
    assert_true(err[0] != '\0');
    assert_null(spec.hosts);
    assert_null(spec.path);
    return err;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("'%s' does not mention '%s'", haystack, needle);
}

static void test_default_store_uses_xdg_then_home(void **state)
{
    (void)state;
    setenv("XDG_DATA_HOME", "/data/x", 1);
    kv_connspec spec = parse_ok(NULL);
    assert_int_equal(spec.kind, KV_BACKEND_EMBEDDED);
    assert_string_equal(spec.path, "/data/x/kvtui/default.kvdb");
    kv_connspec_free(&spec);
    spec = parse_ok("");
    assert_string_equal(spec.path, "/data/x/kvtui/default.kvdb");
    kv_connspec_free(&spec);

    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/home/u", 1);
    char *path = kv_default_store_path();
    assert_string_equal(path, "/home/u/.local/share/kvtui/default.kvdb");
    free(path);
    setenv("XDG_DATA_HOME", "relative/ignored", 1);
    path = kv_default_store_path();
    assert_string_equal(path, "/home/u/.local/share/kvtui/default.kvdb");
    free(path);
    unsetenv("XDG_DATA_HOME");
    unsetenv("HOME");
    assert_null(kv_default_store_path());
    assert_contains(parse_error(NULL), "HOME");
}

static void test_embedded_forms(void **state)
{
    (void)state;
    kv_connspec spec = parse_ok("file:/tmp/a store");
    assert_int_equal(spec.kind, KV_BACKEND_EMBEDDED);
    assert_string_equal(spec.path, "/tmp/a store");
    kv_connspec_free(&spec);
    spec = parse_ok("file:///tmp/b");
    assert_string_equal(spec.path, "/tmp/b");
    kv_connspec_free(&spec);
    spec = parse_ok("data/x.kvdb");
    assert_int_equal(spec.kind, KV_BACKEND_EMBEDDED);
    assert_string_equal(spec.path, "data/x.kvdb");
    kv_connspec_free(&spec);
    spec = parse_ok("file:rel");
    assert_string_equal(spec.path, "rel");
    kv_connspec_free(&spec);
    assert_contains(parse_error("file:"), "empty");
    assert_contains(parse_error("data/x.db"), "not a store");
}

static void test_memcached_hosts_and_defaults(void **state)
{
    (void)state;
    kv_connspec spec = parse_ok("memcached://a,b:11311;[::1]:9000,[fe80::1%25eth0]");
    assert_int_equal(spec.kind, KV_BACKEND_MEMCACHED);
    assert_false(spec.tls);
    assert_int_equal(spec.nhosts, 4);
    assert_string_equal(spec.hosts[0].host, "a");
    assert_int_equal(spec.hosts[0].port, 11211);
    assert_string_equal(spec.hosts[1].host, "b");
    assert_int_equal(spec.hosts[1].port, 11311);
    assert_string_equal(spec.hosts[2].host, "::1");
    assert_int_equal(spec.hosts[2].port, 9000);
    assert_string_equal(spec.hosts[3].host, "fe80::1%eth0");
    assert_int_equal(spec.hosts[3].port, 11211);
    assert_true(spec.ketama);
    assert_true(spec.verify);
    assert_true(spec.timeout_s > 2.4 && spec.timeout_s < 2.6);
    assert_null(spec.username);
    assert_null(spec.bucket);
    kv_connspec_free(&spec);
}

static void test_memcached_options(void **state)
{
    (void)state;
    kv_connspec spec = parse_ok("MEMCACHED://h/?timeout=0.5&distribution=modula&username=a%40b");
    assert_true(spec.timeout_s > 0.49 && spec.timeout_s < 0.51);
    assert_false(spec.ketama);
    assert_string_equal(spec.username, "a@b");
    kv_connspec_free(&spec);
    spec = parse_ok("memcached+tls://h:1?cacert=%2Fetc%2Fca.pem&verify=false");
    assert_true(spec.tls);
    assert_int_equal(spec.hosts[0].port, 1);
    assert_string_equal(spec.cacert, "/etc/ca.pem");
    assert_false(spec.verify);
    kv_connspec_free(&spec);
    assert_contains(parse_error("memcached://h?cacert=/x"), "TLS");
    assert_contains(parse_error("memcached://h?verify=false"), "TLS");
    assert_contains(parse_error("memcached+tls://h?verify=maybe"), "verify");
    assert_contains(parse_error("memcached://h?distribution=random"), "distribution");
    assert_contains(parse_error("memcached://h?timeout=-1"), "timeout");
    assert_contains(parse_error("memcached://h?timeout=abc"), "timeout");
    assert_contains(parse_error("memcached://h?timeout=nan"), "timeout");
    assert_contains(parse_error("memcached://h/bucket"), "bucket");
    spec = parse_ok("memcached://h?sasl_mech_force=scram-sha256");
    assert_string_equal(spec.sasl_mech, "SCRAM-SHA256");
    kv_connspec_free(&spec);
    assert_contains(parse_error("memcached://h?sasl_mech_force=CRAM-MD5"), "CRAM-MD5");
}

static void test_couchbase_forms(void **state)
{
    (void)state;
    kv_connspec spec = parse_ok("couchbase://h1,h2:12000");
    assert_int_equal(spec.kind, KV_BACKEND_COUCHBASE);
    assert_string_equal(spec.bucket, "default");
    assert_int_equal(spec.hosts[0].port, 11210);
    assert_int_equal(spec.hosts[1].port, 12000);
    kv_connspec_free(&spec);
    spec = parse_ok("couchbases://h/travel%2Dsample?username=admin&timeout=10");
    assert_true(spec.tls);
    assert_int_equal(spec.hosts[0].port, 11207);
    assert_string_equal(spec.bucket, "travel-sample");
    assert_string_equal(spec.username, "admin");
    assert_true(spec.timeout_s > 9.9 && spec.timeout_s < 10.1);
    kv_connspec_free(&spec);
    /* libcouchbase ignores the HTTP port given by mistake; typed ports are accepted. */
    spec = parse_ok("couchbase://h:8091,g:11999=mcd/b");
    assert_int_equal(spec.hosts[0].port, 11210);
    assert_int_equal(spec.hosts[1].port, 11999);
    kv_connspec_free(&spec);
    assert_contains(parse_error("couchbase://h/"), "bucket");
    assert_contains(parse_error("couchbase://h:80=http/b"), "port type");
    assert_contains(parse_error("couchbase://h?distribution=ketama"), "unknown option");
}

static void test_refusals(void **state)
{
    (void)state;
    const char *secret = "memcached://h?username=u&password=hunter2";
    const char *msg = parse_error(secret);
    assert_contains(msg, "passwords never go in connection strings");
    assert_contains(msg, "KVTUI_PASSWORD");
    assert_null(strstr(msg, "hunter2"));
    assert_contains(parse_error("couchbase://h/b?pass=x"), "passwords never");
    assert_contains(parse_error("redis://h"), "unknown scheme");
    assert_contains(parse_error("memcached://h?bogus=1"), "unknown option 'bogus'");
    assert_contains(parse_error("memcached://h?timeout"), "name=value");
    assert_contains(parse_error("memcached://h?"), "empty option");
    assert_contains(parse_error("memcached://h:0"), "bad port");
    assert_contains(parse_error("memcached://h:65536"), "bad port");
    assert_contains(parse_error("memcached://h:99999999999999999999"), "bad port");
    assert_contains(parse_error("memcached://h:"), "bad port");
    assert_contains(parse_error("memcached://h:12a"), "bad port");
    assert_contains(parse_error("memcached://"), "no host");
    assert_contains(parse_error("memcached://a,,b"), "empty host");
    assert_contains(parse_error("memcached://:11211"), "empty host");
    assert_contains(parse_error("memcached://::1"), "brackets");
    assert_contains(parse_error("memcached://[::1"), "unclosed");
    assert_contains(parse_error("memcached://[::1]x"), "after ']'");
    assert_contains(parse_error("memcached://user@h"), "bad character");
    assert_contains(parse_error("memcached://h?username=%zz"), "escape");
    assert_contains(parse_error("memcached://h?username=a%00b"), "escape");
    assert_contains(parse_error("memcached://h?username="), "empty username");
}

static void test_free_is_idempotent(void **state)
{
    (void)state;
    kv_connspec spec = parse_ok("memcached://a,b");
    kv_connspec_free(&spec);
    kv_connspec_free(&spec);
    kv_connspec_free(NULL);
    assert_int_equal(spec.nhosts, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_store_uses_xdg_then_home),
        cmocka_unit_test(test_embedded_forms),
        cmocka_unit_test(test_memcached_hosts_and_defaults),
        cmocka_unit_test(test_memcached_options),
        cmocka_unit_test(test_couchbase_forms),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_free_is_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

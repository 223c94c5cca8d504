/* The memcached text protocol pieces: meta replies, metadump lines (memcached 1.6.18 format,
 * samples from shared/reference/protocol.md 5.5), stats lines, lines and value blocks off a
 * receive buffer, and mg commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "mc_internal.h"

static kv__mc_meta_kind meta(const char *line, kv__mc_meta *m)
{
    return kv__mc_parse_meta(line, strlen(line), m);
}

static void meta_hit_reports_ttl_cas_flags_and_size(void **state)
{
    kv__mc_meta m;
    assert_int_equal(meta("HD t100 c5 f123 s3", &m), KV__MC_META_HD);
    assert_true(m.has_ttl && m.has_cas && m.has_flags && m.has_size);
    assert_int_equal(m.ttl, 100);
    assert_int_equal(m.cas, 5);
    assert_int_equal(m.flags, 123);
    assert_int_equal(m.size, 3);
    assert_int_equal(meta("HD t-1 c18446744073709551615 f4294967295", &m), KV__MC_META_HD);
    assert_int_equal(m.ttl, -1);
    assert_true(m.cas == UINT64_MAX);
    assert_int_equal(m.flags, 0xffffffffu);
}

static void meta_value_reply_announces_its_length(void **state)
{
    kv__mc_meta m;
    assert_int_equal(meta("VA 3 t100 c1 f123 s3 kfoo", &m), KV__MC_META_VA);
    assert_int_equal(m.value_len, 3);
    assert_int_equal(m.flags, 123);
    assert_int_equal(meta("VA 0", &m), KV__MC_META_VA);
    assert_int_equal(m.value_len, 0);
}

static void meta_miss_and_errors_are_told_apart(void **state)
{
    kv__mc_meta m;
    assert_int_equal(meta("EN", &m), KV__MC_META_EN);
    assert_int_equal(meta("CLIENT_ERROR bad command line format", &m), KV__MC_META_ERROR);
    assert_int_equal(meta("SERVER_ERROR out of memory", &m), KV__MC_META_ERROR);
    assert_int_equal(meta("ERROR", &m), KV__MC_META_ERROR);
}

static void meta_garbage_is_bad(void **state)
{
    kv__mc_meta m;
    static const char *const bad[] = {"",
                                      "XX",
                                      "VA",
                                      "VA x",
                                      "VA -1",
                                      "HD tx",
                                      "HD c-1",
                                      "HD f4294967296",
                                      "HD t99999999999999999999",
                                      "VA 99999999999999999999",
                                      "VA 20971521"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (meta(bad[i], &m) != KV__MC_META_BAD)
            fail_msg("'%s' was accepted", bad[i]);
}

static int dump(const char *line, kv__mc_dump_entry *e)
{
    return kv__mc_parse_dump_line(line, strlen(line), e);
}

static void dump_line_of_1_6_18_is_read(void **state)
{
    kv__mc_dump_entry e;
    assert_int_equal(dump("key=foo exp=1795929430 la=1795929330 cas=1 fetch=yes cls=1 size=69", &e),
                     1);
    assert_int_equal(e.key_len, 3);
    assert_memory_equal(e.key, "foo", 3);
    assert_int_equal(e.exp, 1795929430);
    assert_int_equal(e.cas, 1);
    assert_int_equal(e.size, 69);
    assert_false(e.has_flags);
    assert_int_equal(dump("key=k exp=-1 la=1 cas=7 fetch=no cls=1 size=60 flags=33554432", &e), 1);
    assert_int_equal(e.exp, -1);
    assert_true(e.has_flags);
    assert_int_equal(e.flags, 0x02000000);
}

/* Keys come percent-encoded: "a%2Fb\x01" was dumped as key=a%252Fb%01. */
static void dump_keys_are_percent_decoded(void **state)
{
    kv__mc_dump_entry e;
    assert_int_equal(dump("key=a%252Fb%01 exp=-1 la=1 cas=2 fetch=no cls=1 size=60", &e), 1);
    assert_int_equal(e.key_len, 6);
    assert_memory_equal(e.key, "a%2Fb\x01", 6);
    assert_int_equal(dump("key=k%C3%A9%2Fx%3Fy%3D1%26z exp=-1 cas=3 size=1", &e), 1);
    assert_int_equal(e.key_len, 11);
    assert_memory_equal(e.key, "k\xc3\xa9/x?y=1&z", 11);
}

static void dump_end_and_errors_are_not_entries(void **state)
{
    kv__mc_dump_entry e;
    assert_int_equal(dump("END", &e), 0);
    assert_int_equal(dump("BUSY currently processing crawler request", &e), -1);
    assert_int_equal(dump("ERROR metadump not allowed", &e), -1);
    assert_int_equal(dump("CLIENT_ERROR lru crawler disabled", &e), -1);
    assert_int_equal(dump("key= exp=-1", &e), -1);
    assert_int_equal(dump("key=%zz exp=-1", &e), -1);
    assert_int_equal(dump("key=%4 exp=-1", &e), -1);
    assert_int_equal(dump("key=a exp=x", &e), -1);
}

static void dump_keys_longer_than_250_bytes_are_refused(void **state)
{
    char line[1200] = "key=";
    for (int i = 0; i < 251; i++)
        strcat(line, "%41");
    strcat(line, " exp=-1");
    kv__mc_dump_entry e;
    assert_int_equal(dump(line, &e), -1);
}

static void stat_time_is_found(void **state)
{
    int64_t value = 0;
    const char *line = "STAT time 1796350858";
    assert_true(kv__mc_parse_stat(line, strlen(line), "time", &value));
    assert_int_equal(value, 1796350858);
    line = "STAT uptime 3";
    assert_false(kv__mc_parse_stat(line, strlen(line), "time", &value));
    line = "STAT time_in_listen_disabled_us 0";
    assert_false(kv__mc_parse_stat(line, strlen(line), "time", &value));
}

static void fill(kv__rbuf *in, const char *text, size_t len)
{
    size_t avail;
    uint8_t *space = kv__rbuf_space(in, len, &avail);
    memcpy(space, text, len);
    kv__rbuf_commit(in, len);
}

static void lines_end_with_crlf_or_lf_and_wait_for_the_end(void **state)
{
    kv__rbuf in = {0};
    const char *line;
    size_t len;
    fill(&in, "HD t1\r\nkey=a exp=-1\nEN", 22);
    assert_int_equal(kv__mc_next_line(&in, 100, &line, &len), 1);
    assert_int_equal(len, 5);
    assert_memory_equal(line, "HD t1", 5);
    assert_int_equal(kv__mc_next_line(&in, 100, &line, &len), 1);
    assert_int_equal(len, 12);
    assert_int_equal(kv__mc_next_line(&in, 100, &line, &len), 0);
    fill(&in, "\r\n", 2);
    assert_int_equal(kv__mc_next_line(&in, 100, &line, &len), 1);
    assert_memory_equal(line, "EN", 2);
    kv__rbuf_free(&in);
}

static void overlong_lines_are_an_error(void **state)
{
    kv__rbuf in = {0};
    const char *line;
    size_t len;
    char text[40];
    memset(text, 'x', sizeof text);
    fill(&in, text, 16);
    assert_int_equal(kv__mc_next_line(&in, 16, &line, &len), 0);
    fill(&in, text, 1);
    assert_int_equal(kv__mc_next_line(&in, 16, &line, &len), -1);
    kv__rbuf_free(&in);
}

static void value_blocks_need_their_crlf(void **state)
{
    kv__rbuf in = {0};
    const uint8_t *data;
    fill(&in, "ab\0c\r\nxyz", 9);
    assert_int_equal(kv__mc_next_block(&in, 8, &data), 0); /* needs 10 bytes: it has 9 */
    assert_int_equal(kv__mc_next_block(&in, 4, &data), 1);
    assert_memory_equal(data, "ab\0c", 4);
    assert_int_equal(kv__mc_next_block(&in, 1, &data), -1); /* "xy" is not "x\r\n" */
    kv__rbuf_free(&in);
}

static void mg_sends_printable_keys_as_they_are(void **state)
{
    char out[64];
    size_t n = kv__mc_encode_mg(out, sizeof out, "user:1", 6, "t c f");
    assert_int_equal(n, strlen("mg user:1 t c f\r\n"));
    assert_memory_equal(out, "mg user:1 t c f\r\n", n);
}

static void mg_sends_other_keys_in_base64(void **state)
{
    char out[64];
    size_t n = kv__mc_encode_mg(out, sizeof out, "a b\x01\xff/x", 7, "t");
    assert_int_equal(n, strlen("mg YSBiAf8veA== b t\r\n"));
    assert_memory_equal(out, "mg YSBiAf8veA== b t\r\n", n);
}

/* memcached takes at most 250 bytes of key token, base64 included. */
static void mg_refuses_what_memcached_cannot_take(void **state)
{
    char out[600], key[251];
    memset(key, 'k', sizeof key);
    assert_int_equal(kv__mc_encode_mg(out, sizeof out, key, 250, "t"), 3 + 250 + 1 + 1 + 2);
    key[0] = ' ';
    assert_int_equal(kv__mc_encode_mg(out, sizeof out, key, 186, "t"), 3 + 248 + 3 + 1 + 2);
    assert_int_equal(kv__mc_encode_mg(out, sizeof out, key, 187, "t"), 0);
    assert_int_equal(kv__mc_encode_mg(out, 10, "user:1", 6, "t"), 0);
    assert_int_equal(kv__mc_encode_mg(out, sizeof out, "", 0, "t"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(meta_hit_reports_ttl_cas_flags_and_size),
        cmocka_unit_test(meta_value_reply_announces_its_length),
        cmocka_unit_test(meta_miss_and_errors_are_told_apart),
        cmocka_unit_test(meta_garbage_is_bad),
        cmocka_unit_test(dump_line_of_1_6_18_is_read),
        cmocka_unit_test(dump_keys_are_percent_decoded),
        cmocka_unit_test(dump_end_and_errors_are_not_entries),
        cmocka_unit_test(dump_keys_longer_than_250_bytes_are_refused),
        cmocka_unit_test(stat_time_is_found),
        cmocka_unit_test(lines_end_with_crlf_or_lf_and_wait_for_the_end),
        cmocka_unit_test(overlong_lines_are_an_error),
        cmocka_unit_test(value_blocks_need_their_crlf),
        cmocka_unit_test(mg_sends_printable_keys_as_they_are),
        cmocka_unit_test(mg_sends_other_keys_in_base64),
        cmocka_unit_test(mg_refuses_what_memcached_cannot_take),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

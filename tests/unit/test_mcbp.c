/* The memcached binary protocol codec: requests byte for byte against the published layout
 * (shared/reference/protocol.md section 1), and the response reader on split, truncated and
 * hostile streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mcbp.h"

/* Encode R and compare with WANT (LEN bytes). */
static void assert_encodes(const kv__mcbp_request *r, const uint8_t *want, size_t len)
{
    uint8_t out[256];
    assert_int_equal(kv__mcbp_request_size(r), len);
    assert_int_equal(kv__mcbp_encode(r, out, sizeof out), len);
    assert_memory_equal(out, want, len);
}

#define KEY(text) .key = (const uint8_t *)(text), .key_len = sizeof(text) - 1
#define VALUE(text) .value = (const uint8_t *)(text), .value_len = sizeof(text) - 1

/* The example of protocol.md 1.7: ADD "Hello"="World", flags 0xdeadbeef, expiry 3600. */
static void add_matches_the_published_example(void **state)
{
    static const uint8_t want[] = {0x80, 0x02, 0x00, 0x05, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x0e, 0x10, 'H',
                                   'e',  'l',  'l',  'o',  'W',  'o',  'r',  'l',  'd'};
    uint8_t extras[8];
    kv__mcbp_store_extras(extras, 0xdeadbeef, 3600);
    kv__mcbp_request r = {
        .opcode = KV__MCBP_OP_ADD, .extras = extras, .extras_len = 8, KEY("Hello"), VALUE("World")};
    assert_encodes(&r, want, sizeof want);
}

static void get_carries_key_opaque_and_no_extras(void **state)
{
    static const uint8_t want[] = {0x80, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44, 0,    0,
                                   0,    0,    0,    0,    0,    0,    'f',  'o',  'o'};
    kv__mcbp_request r = {.opcode = KV__MCBP_OP_GET, .opaque = 0x11223344, KEY("foo")};
    assert_encodes(&r, want, sizeof want);
}

static void set_carries_cas_big_endian(void **state)
{
    static const uint8_t want[] = {0x80, 0x01, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x07, 0x01, 0x02,
                                   0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x02, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 'k',  'v'};
    uint8_t extras[8];
    kv__mcbp_store_extras(extras, 0x02000000, 0);
    kv__mcbp_request r = {.opcode = KV__MCBP_OP_SET,
                          .opaque = 7,
                          .cas = 0x0102030405060708,
                          .extras = extras,
                          .extras_len = 8,
                          KEY("k"),
                          VALUE("v")};
    assert_encodes(&r, want, sizeof want);
}

static void delete_has_no_extras_and_a_cas(void **state)
{
    static const uint8_t want[] = {0x80, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 'k'};
    kv__mcbp_request r = {.opcode = KV__MCBP_OP_DELETE, .opaque = 9, .cas = 5, KEY("k")};
    assert_encodes(&r, want, sizeof want);
}

static void increment_extras_are_delta_initial_expiry(void **state)
{
    static const uint8_t want[] = {0x80, 0x05, 0x00, 0x01, 0x14,
                                   0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x15, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, /* extras: */ 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x01, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x0a,
                                   0xff, 0xff, 0xff, 0xff, 'c'};
    uint8_t extras[20];
    kv__mcbp_arith_extras(extras, 1, 10, KV__MCBP_ARITH_NO_CREATE);
    kv__mcbp_request r = {
        .opcode = KV__MCBP_OP_INCREMENT, .extras = extras, .extras_len = 20, KEY("c")};
    assert_encodes(&r, want, sizeof want);
}

static void touch_and_gat_carry_the_expiry(void **state)
{
    static const uint8_t want[] = {0x80, 0x1c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x10, 't'};
    uint8_t extras[4];
    kv__mcbp_expiry_extras(extras, 3600);
    kv__mcbp_request r = {.opcode = KV__MCBP_OP_TOUCH, .extras = extras, .extras_len = 4, KEY("t")};
    assert_encodes(&r, want, sizeof want);
    uint8_t gat[sizeof want];
    memcpy(gat, want, sizeof want);
    gat[1] = KV__MCBP_OP_GAT;
    r.opcode = KV__MCBP_OP_GAT;
    assert_encodes(&r, gat, sizeof gat);
}

static void append_carries_the_fragment_as_value(void **state)
{
    static const uint8_t want[] = {0x80, 0x0e, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 'a',  'x',  'y'};
    kv__mcbp_request r = {.opcode = KV__MCBP_OP_APPEND, KEY("a"), VALUE("xy")};
    assert_encodes(&r, want, sizeof want);
}

static void bodyless_commands_are_a_bare_header(void **state)
{
    static const uint8_t ops[] = {KV__MCBP_OP_NOOP, KV__MCBP_OP_VERSION,
                                  KV__MCBP_OP_SASL_LIST_MECHS};
    for (size_t i = 0; i < sizeof ops; i++) {
        uint8_t want[24] = {0x80, ops[i]};
        want[15] = 0x2a;
        kv__mcbp_request r = {.opcode = ops[i], .opaque = 0x2a};
        assert_encodes(&r, want, sizeof want);
    }
}

static void sasl_auth_puts_mechanism_in_key_and_credentials_in_value(void **state)
{
    static const uint8_t want[] = {0x80, 0x21, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 'P',  'L',  'A',
                                   'I',  'N',  0x00, 'u',  0x00, 'p',  'w'};
    kv__mcbp_request r = {.opcode = KV__MCBP_OP_SASL_AUTH,
                          KEY("PLAIN"),
                          .value = (const uint8_t *)"\0u\0pw",
                          .value_len = 5};
    assert_encodes(&r, want, sizeof want);
}

static void encode_refuses_a_small_buffer_and_writes_nothing(void **state)
{
    uint8_t out[26];
    memset(out, 0xaa, sizeof out);
    kv__mcbp_request r = {.opcode = KV__MCBP_OP_GET, KEY("foo")};
    assert_int_equal(kv__mcbp_encode(&r, out, 26), 0);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xaa);
}

/* A response frame with the given parts; returns its length. */
static size_t response(uint8_t *out, uint8_t opcode, uint16_t status, uint32_t opaque, uint64_t cas,
                       const void *extras, uint8_t extras_len, const char *key, const void *value,
                       size_t value_len)
{
    size_t key_len = key ? strlen(key) : 0;
    memset(out, 0, 24);
    out[0] = 0x81;
    out[1] = opcode;
    kv__mcbp_put16(out + 2, (uint16_t)key_len);
    out[4] = extras_len;
    kv__mcbp_put16(out + 6, status);
    kv__mcbp_put32(out + 8, (uint32_t)(extras_len + key_len + value_len));
    kv__mcbp_put32(out + 12, opaque);
    kv__mcbp_put64(out + 16, cas);
    uint8_t *p = out + 24;
    if (extras_len)
        memcpy(p, extras, extras_len);
    if (key_len)
        memcpy(p + extras_len, key, key_len);
    if (value_len)
        memcpy(p + extras_len + key_len, value, value_len);
    return 24 + extras_len + key_len + value_len;
}

static void decode_reads_flags_value_status_and_cas(void **state)
{
    uint8_t frame[64];
    static const uint8_t flags[4] = {0x02, 0, 0, 0};
    size_t len =
        response(frame, KV__MCBP_OP_GET, 0, 0xabcdef01, 0x55, flags, 4, NULL, "{\"a\":1}", 7);
    kv__mcbp_packet p;
    size_t used;
    const char *why;
    assert_int_equal(kv__mcbp_decode(frame, len, &p, &used, &why), KV__MCBP_FRAME);
    assert_int_equal(used, len);
    assert_int_equal(p.opaque, 0xabcdef01);
    assert_int_equal(p.cas, 0x55);
    assert_int_equal(p.status, 0);
    assert_int_equal(kv__mcbp_get32(p.extras), 0x02000000);
    assert_int_equal(p.value_len, 7);
    assert_memory_equal(p.value, "{\"a\":1}", 7);
}

static void decode_asks_for_exactly_the_missing_bytes(void **state)
{
    uint8_t frame[64];
    size_t len = response(frame, KV__MCBP_OP_GET, 1, 3, 0, NULL, 0, NULL, "Not found", 9);
    kv__mcbp_packet p;
    size_t used;
    const char *why;
    for (size_t n = 0; n < len; n++) {
        assert_int_equal(kv__mcbp_decode(frame, n, &p, &used, &why), KV__MCBP_NEED_MORE);
        assert_int_equal(used, n < 24 ? 24 : len);
    }
}

/* Three frames fed in every possible two-piece split come out whole and in order. */
static void reader_survives_every_split_point(void **state)
{
    uint8_t stream[256];
    size_t len = response(stream, KV__MCBP_OP_SET, 0, 1, 11, NULL, 0, NULL, NULL, 0);
    len += response(stream + len, KV__MCBP_OP_GET, 0, 2, 12, "\0\0\0\4", 4, NULL, "value", 5);
    len += response(stream + len, KV__MCBP_OP_GETK, 1, 3, 0, NULL, 0, "key", "Not found", 9);
    for (size_t split = 0; split <= len; split++) {
        kv__mcbp_reader reader;
        kv__mcbp_reader_init(&reader);
        uint32_t seen[3];
        size_t count = 0;
        kv__mcbp_packet p;
        const uint8_t *parts[2] = {stream, stream + split};
        size_t sizes[2] = {split, len - split};
        for (int part = 0; part < 2; part++) {
            for (size_t at = 0; at < sizes[part];) {
                at += kv__mcbp_reader_feed(&reader, parts[part] + at, sizes[part] - at);
                int rc;
                while ((rc = kv__mcbp_reader_next(&reader, &p)) == 1)
                    seen[count++] = p.opaque;
                assert_int_equal(rc, 0);
            }
        }
        assert_int_equal(count, 3);
        assert_int_equal(seen[0], 1);
        assert_int_equal(seen[1], 2);
        assert_int_equal(seen[2], 3);
        assert_int_equal(p.key_len, 3);
        assert_memory_equal(p.key, "key", 3);
        kv__mcbp_reader_free(&reader);
    }
}

static void reader_yields_nothing_from_a_truncated_frame(void **state)
{
    uint8_t frame[64];
    size_t len = response(frame, KV__MCBP_OP_GET, 0, 1, 1, "\0\0\0\0", 4, NULL, "abc", 3);
    for (size_t n = 0; n < len; n++) {
        kv__mcbp_reader reader;
        kv__mcbp_reader_init(&reader);
        assert_int_equal(kv__mcbp_reader_feed(&reader, frame, n), n);
        kv__mcbp_packet p;
        assert_int_equal(kv__mcbp_reader_next(&reader, &p), 0);
        kv__mcbp_reader_free(&reader);
    }
}

static void reader_rejects_bad_magic_and_stays_broken_until_reset(void **state)
{
    uint8_t frame[64];
    size_t len = response(frame, KV__MCBP_OP_NOOP, 0, 1, 0, NULL, 0, NULL, NULL, 0);
    frame[0] = 0x80; /* a request, not a response */
    kv__mcbp_reader reader;
    kv__mcbp_reader_init(&reader);
    kv__mcbp_reader_feed(&reader, frame, len);
    kv__mcbp_packet p;
    assert_int_equal(kv__mcbp_reader_next(&reader, &p), -1);
    assert_non_null(reader.why);
    frame[0] = 0x81;
    assert_int_equal(kv__mcbp_reader_feed(&reader, frame, len), 0);
    assert_int_equal(kv__mcbp_reader_next(&reader, &p), -1);
    kv__mcbp_reader_reset(&reader);
    kv__mcbp_reader_feed(&reader, frame, len);
    assert_int_equal(kv__mcbp_reader_next(&reader, &p), 1);
    kv__mcbp_reader_free(&reader);
}

/* A header announcing a 4 GiB body is refused from the header alone, with no buffer for it. */
static void reader_refuses_oversized_bodies_without_allocating(void **state)
{
    uint8_t header[24] = {0x81, 0x00};
    kv__mcbp_put32(header + 8, 0xffffffffu);
    kv__mcbp_reader reader;
    kv__mcbp_reader_init(&reader);
    kv__mcbp_reader_feed(&reader, header, sizeof header);
    kv__mcbp_packet p;
    assert_int_equal(kv__mcbp_reader_next(&reader, &p), -1);
    assert_true(reader.in.cap < (1u << 20));
    size_t avail;
    assert_null(kv__mcbp_reader_space(&reader, &avail));
    kv__mcbp_reader_free(&reader);
    kv__mcbp_put32(header + 8, KV__MCBP_BODY_MAX + 1);
    kv__mcbp_reader_init(&reader);
    kv__mcbp_reader_feed(&reader, header, sizeof header);
    assert_int_equal(kv__mcbp_reader_next(&reader, &p), -1);
    kv__mcbp_reader_free(&reader);
}

/* The largest legal body is awaited, and the reader makes room for exactly that frame. */
static void reader_makes_room_for_the_largest_legal_frame(void **state)
{
    uint8_t header[24] = {0x81, 0x00};
    kv__mcbp_put32(header + 8, KV__MCBP_BODY_MAX);
    kv__mcbp_reader reader;
    kv__mcbp_reader_init(&reader);
    kv__mcbp_reader_feed(&reader, header, sizeof header);
    kv__mcbp_packet p;
    assert_int_equal(kv__mcbp_reader_next(&reader, &p), 0);
    size_t avail;
    assert_non_null(kv__mcbp_reader_space(&reader, &avail));
    assert_true(avail >= KV__MCBP_BODY_MAX);
    assert_true(reader.in.cap <= 24 + KV__MCBP_BODY_MAX);
    kv__mcbp_reader_free(&reader);
}

static void reader_rejects_lengths_that_do_not_add_up(void **state)
{
    uint8_t frame[64];
    size_t len = response(frame, KV__MCBP_OP_GET, 0, 1, 0, "\0\0\0\0", 4, NULL, "v", 1);
    kv__mcbp_put32(frame + 8, 3); /* body shorter than its 4 bytes of extras */
    kv__mcbp_reader reader;
    kv__mcbp_reader_init(&reader);
    kv__mcbp_reader_feed(&reader, frame, len);
    kv__mcbp_packet p;
    assert_int_equal(kv__mcbp_reader_next(&reader, &p), -1);
    kv__mcbp_reader_free(&reader);
}

/* Couchbase's alternative response magic: byte 2 is the framing length, byte 3 the key length. */
static void alternative_magic_exposes_framing_extras(void **state)
{
    uint8_t frame[] = {0x18, 0x00, 0x03, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                       0x00, 0x06, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
                       0x00, 0x00, 0x00, 0x09, 0x02, 0x00, 0x10, 'k',  'v',  'w'};
    kv__mcbp_packet p;
    size_t used;
    const char *why;
    assert_int_equal(kv__mcbp_decode(frame, sizeof frame, &p, &used, &why), KV__MCBP_FRAME);
    assert_int_equal(p.framing_len, 3);
    assert_int_equal(p.framing[0], 0x02);
    assert_int_equal(p.key_len, 1);
    assert_int_equal(p.key[0], 'k');
    assert_int_equal(p.value_len, 2);
    assert_memory_equal(p.value, "vw", 2);
    assert_int_equal(p.datatype, 1);
}

static void status_codes_map_to_user_errors(void **state)
{
    static const struct {
        uint16_t code;
        kv_status status;
        const char *name;
    } rows[] = {
        {0x00, KV_OK, "SUCCESS"},
        {0x01, KV_ERR_NOT_FOUND, "KEY_ENOENT"},
        {0x02, KV_ERR_KEY_EXISTS, "KEY_EEXISTS"},
        {0x03, KV_ERR_TOO_BIG, "E2BIG"},
        {0x04, KV_ERR_ARGUMENT, "EINVAL"},
        {0x05, KV_ERR_NOT_STORED, "NOT_STORED"},
        {0x06, KV_ERR_DELTA_BADVAL, "DELTA_BADVAL"},
        {0x20, KV_ERR_AUTH, "AUTH_ERROR"},
        {0x81, KV_ERR_NOT_SUPPORTED, "UNKNOWN_COMMAND"},
        {0x83, KV_ERR_NOT_SUPPORTED, "NOT_SUPPORTED"},
        {0x82, KV_ERR_TEMPORARY_FAIL, "ENOMEM"},
        {0x85, KV_ERR_TEMPORARY_FAIL, "EBUSY"},
        {0x86, KV_ERR_TEMPORARY_FAIL, "ETMPFAIL"},
        {0xa1, KV_ERR_DURABILITY_IMPOSSIBLE, "DURABILITY_IMPOSSIBLE"},
        {0x7777, KV_ERR_INTERNAL, "UNKNOWN"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(kv__mcbp_status_to_kv(rows[i].code), rows[i].status);
        assert_string_equal(kv__mcbp_status_name(rows[i].code), rows[i].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_matches_the_published_example),
        cmocka_unit_test(get_carries_key_opaque_and_no_extras),
        cmocka_unit_test(set_carries_cas_big_endian),
        cmocka_unit_test(delete_has_no_extras_and_a_cas),
        cmocka_unit_test(increment_extras_are_delta_initial_expiry),
        cmocka_unit_test(touch_and_gat_carry_the_expiry),
        cmocka_unit_test(append_carries_the_fragment_as_value),
        cmocka_unit_test(bodyless_commands_are_a_bare_header),
        cmocka_unit_test(sasl_auth_puts_mechanism_in_key_and_credentials_in_value),
        cmocka_unit_test(encode_refuses_a_small_buffer_and_writes_nothing),
        cmocka_unit_test(decode_reads_flags_value_status_and_cas),
        cmocka_unit_test(decode_asks_for_exactly_the_missing_bytes),
        cmocka_unit_test(reader_survives_every_split_point),
        cmocka_unit_test(reader_yields_nothing_from_a_truncated_frame),
        cmocka_unit_test(reader_rejects_bad_magic_and_stays_broken_until_reset),
        cmocka_unit_test(reader_refuses_oversized_bodies_without_allocating),
        cmocka_unit_test(reader_makes_room_for_the_largest_legal_frame),
        cmocka_unit_test(reader_rejects_lengths_that_do_not_add_up),
        cmocka_unit_test(alternative_magic_exposes_framing_extras),
        cmocka_unit_test(status_codes_map_to_user_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

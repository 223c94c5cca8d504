/* The Couchbase requests and replies, byte for byte against the layouts of protocol.md section 2
 * (every expected frame below is written out by hand from the tables cited), and what the
 * Couchbase status codes mean to a user (sections 1.3, 2.4 and 4.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cb_internal.h"

/* Encode R with OPAQUE and compare with WANT. */
static void assert_frame(const kv__cb_request *r, uint32_t opaque, const uint8_t *want, size_t len)
{
    uint8_t out[1024];
    kv__mcbp_request m = kv__cb_request_mcbp(r, opaque);
    assert_int_equal(kv__mcbp_request_size(&m), len);
    assert_int_equal(kv__mcbp_encode(&m, out, sizeof out), len);
    assert_memory_equal(out, want, len);
}

/* Decode the hand-written response FRAME (LEN bytes) into *P. */
static void decode(const uint8_t *frame, size_t len, kv__mcbp_packet *p)
{
    size_t used;
    const char *why;
    assert_int_equal(kv__mcbp_decode(frame, len, p, &used, &why), KV__MCBP_FRAME);
    assert_int_equal(used, len);
}

#define ZERO_CAS 0, 0, 0, 0, 0, 0, 0, 0

/* 2.2: key = {"a":agent,"i":id} (59 = 0x3b bytes), value = u16 features 03 07 08 0b. */
static void hello_sends_a_json_agent_and_the_features(void **state)
{
    static const char key[] = "{\"a\":\"kvtui/0.1.0\",\"i\":\"0000000000000001/0000000000000002\"}";
    uint8_t want[24 + 59 + 8] = {0x80, 0x1f, 0x00, 0x3b, 0x00, 0x00, 0x00, 0x00,    0x00,
                                 0x00, 0x00, 0x43, 0x00, 0x00, 0x00, 0x01, ZERO_CAS};
    memcpy(want + 24, key, 59);
    memcpy(want + 24 + 59, (const uint8_t[]){0x00, 0x03, 0x00, 0x07, 0x00, 0x08, 0x00, 0x0b}, 8);
    char id[KV__CB_CONNECTION_ID_LEN + 1];
    kv__cb_connection_id(id, 1, 2);
    assert_string_equal(id, "0000000000000001/0000000000000002");
    kv__cb_request r;
    assert_int_equal(
        kv__cb_hello(&r, "kvtui/0.1.0", id, kv__cb_hello_features, kv__cb_hello_nfeatures, NULL, 0),
        KV_OK);
    assert_frame(&r, 1, want, sizeof want);
    kv__cb_request_free(&r);
}

static void hello_escapes_the_agent_and_refuses_a_long_one(void **state)
{
    kv__cb_request r;
    assert_int_equal(kv__cb_hello(&r, "a\"b\\c\n", NULL, NULL, 0, NULL, 0), KV_OK);
    static const char want[] = "{\"a\":\"a\\\"b\\\\c\\u000a\"}";
    assert_int_equal(r.key_len, sizeof want - 1);
    assert_memory_equal(r.key, want, sizeof want - 1);
    assert_int_equal(r.value_len, 0);
    kv__cb_request_free(&r);
    char agent[202];
    memset(agent, 'x', 201);
    agent[201] = '\0';
    char err[128] = "";
    assert_int_equal(kv__cb_hello(&r, agent, NULL, NULL, 0, err, sizeof err), KV_ERR_ARGUMENT);
    assert_non_null(strstr(err, "HELLO"));
    kv__cb_request_free(&r);
}

/* 2.2: the reply value is the enabled subset, as u16s: here TCPNODELAY, XERROR, JSON. */
static void hello_reply_lists_the_accepted_features(void **state)
{
    static const uint8_t frame[] = {0x81,     0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x00,     0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x01,
                                    ZERO_CAS, 0x00, 0x03, 0x00, 0x07, 0x00, 0x0b};
    kv__mcbp_packet p;
    decode(frame, sizeof frame, &p);
    uint64_t features;
    assert_int_equal(kv__cb_hello_parse(&p, &features, NULL, 0), KV_OK);
    assert_true(kv__cb_feature_on(features, KV__CB_FEATURE_XERROR));
    assert_true(kv__cb_feature_on(features, KV__CB_FEATURE_JSON));
    assert_true(kv__cb_feature_on(features, KV__CB_FEATURE_TCPNODELAY));
    assert_false(kv__cb_feature_on(features, KV__CB_FEATURE_SELECT_BUCKET));
    assert_false(kv__cb_feature_on(features, 200));
}

/* 5.4/2.2: memcached answers HELLO with 0x81; an odd-length list is a broken reply. */
static void hello_reply_from_memcached_or_garbage_is_an_error(void **state)
{
    static const uint8_t unknown[] = {0x81, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81,    0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, ZERO_CAS};
    static const uint8_t odd[] = {0x81, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00,     0x00, 0x00, 0x00,
                                  0x00, 0x03, 0x00, 0x00, 0x00, 0x01, ZERO_CAS, 0x00, 0x07, 0x00};
    kv__mcbp_packet p;
    uint64_t features;
    char err[128] = "";
    decode(unknown, sizeof unknown, &p);
    assert_int_equal(kv__cb_hello_parse(&p, &features, err, sizeof err), KV_ERR_NOT_SUPPORTED);
    assert_non_null(strstr(err, "UNKNOWN_COMMAND"));
    decode(odd, sizeof odd, &p);
    assert_int_equal(kv__cb_hello_parse(&p, &features, err, sizeof err), KV_ERR_NETWORK);
}

/* 2.15: GET_ERROR_MAP value = u16 version. */
static void get_error_map_asks_for_version_2(void **state)
{
    static const uint8_t want[] = {0x80, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00,     0x00, 0x00, 0x00,
                                   0x00, 0x02, 0x00, 0x00, 0x00, 0x02, ZERO_CAS, 0x00, 0x02};
    kv__cb_request r;
    kv__cb_get_error_map(&r, 2);
    assert_frame(&r, 2, want, sizeof want);
    kv__cb_request_free(&r);
}

/* 2.1: SELECT_BUCKET key = bucket name; 2.6: GET_CLUSTER_CONFIG has no body. */
static void select_bucket_and_get_cluster_config(void **state)
{
    static const uint8_t select[] = {0x80,     0x89, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
                                     0x00,     0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x03,
                                     ZERO_CAS, 'd',  'e',  'f',  'a',  'u',  'l',  't'};
    static const uint8_t config[] = {0x80, 0xb5, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,    0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, ZERO_CAS};
    kv__cb_request r;
    assert_int_equal(kv__cb_select_bucket(&r, "default", NULL, 0), KV_OK);
    assert_frame(&r, 3, select, sizeof select);
    kv__cb_get_cluster_config(&r);
    assert_frame(&r, 4, config, sizeof config);
    assert_int_equal(kv__cb_select_bucket(&r, "", NULL, 0), KV_ERR_ARGUMENT);
}

/* 2.11: GET_META with 1 byte of extras 0x02, vbucket in bytes 6-7 ("foo" -> 51 of 64, 2.7). */
static void get_meta_asks_for_version_2(void **state)
{
    static const uint8_t want[] = {0x80, 0xa0, 0x00,     0x03, 0x01, 0x00, 0x00,
                                   0x33, 0x00, 0x00,     0x00, 0x04, 0x00, 0x00,
                                   0x00, 0x05, ZERO_CAS, 0x02, 'f',  'o',  'o'};
    kv__cb_request r;
    assert_int_equal(kv__cb_get_meta(&r, "foo", 3, 51, NULL, 0), KV_OK);
    assert_frame(&r, 5, want, sizeof want);
}

/* 2.11: deleted u32, flags u32, exptime u32, seqno u64, datatype u8; CAS in the header. */
static void get_meta_reply_gives_deleted_flags_expiry_seqno_datatype(void **state)
{
    static const uint8_t v2[] = {0x81, 0xa0, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x05,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34, /* cas 0x1234 */
                                 0x00, 0x00, 0x00, 0x01,                         /* deleted */
                                 0x02, 0x00, 0x00, 0x00,                         /* flags */
                                 0x65, 0x00, 0x00, 0x00,                         /* exptime */
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, /* seqno */
                                 0x01};                                          /* datatype JSON */
    kv__mcbp_packet p;
    kv__cb_meta meta;
    decode(v2, sizeof v2, &p);
    assert_int_equal(kv__cb_meta_parse(&p, &meta, NULL, 0), KV_OK);
    assert_true(meta.deleted);
    assert_int_equal(meta.flags, 0x02000000);
    assert_int_equal(meta.expiry, 0x65000000);
    assert_int_equal(meta.seqno, 7);
    assert_int_equal(meta.cas, 0x1234);
    assert_true(meta.has_datatype);
    assert_int_equal(meta.datatype, KV__CB_DATATYPE_JSON);

    static const uint8_t short_extras[] = {0x81, 0xa0, 0x00,     0x00, 0x04, 0x00, 0x00,
                                           0x00, 0x00, 0x00,     0x00, 0x04, 0x00, 0x00,
                                           0x00, 0x05, ZERO_CAS, 0x00, 0x00, 0x00, 0x00};
    decode(short_extras, sizeof short_extras, &p);
    assert_int_equal(kv__cb_meta_parse(&p, &meta, NULL, 0), KV_ERR_NETWORK);
}

/* 2.10: GET_REPLICA is a GET with opcode 0x83; its reply has 4 bytes of flags. */
static void get_replica_is_a_get(void **state)
{
    static const uint8_t want[] = {0x80, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03,     0x00,
                                   0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, ZERO_CAS, 'k'};
    static const uint8_t reply[] = {0x81, 0x83, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x05, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x09, 0x04, 0x00, 0x00, 0x04, 'v'};
    kv__cb_request r;
    assert_int_equal(kv__cb_get_replica(&r, "k", 1, 3, NULL, 0), KV_OK);
    assert_frame(&r, 6, want, sizeof want);
    kv__mcbp_packet p;
    uint32_t flags;
    decode(reply, sizeof reply, &p);
    assert_int_equal(kv__cb_value_parse(&p, &flags, NULL, 0), KV_OK);
    assert_int_equal(flags, 0x04000004);
    assert_int_equal(p.cas, 9);
}

/* 2.12: GET_LOCKED extras = lock time u32; UNLOCK_KEY carries the lock CAS, never 0. */
static void get_locked_and_unlock(void **state)
{
    static const uint8_t lock[] = {0x80,     0x94, 0x00, 0x01, 0x04, 0x00, 0x00, 0x03,
                                   0x00,     0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x07,
                                   ZERO_CAS, 0x00, 0x00, 0x00, 0x0a, 'k'};
    static const uint8_t unlock[] = {0x80, 0x95, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00,
                                     0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x11, 0x22,
                                     0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 'k'};
    kv__cb_request r;
    assert_int_equal(kv__cb_get_locked(&r, "k", 1, 3, 10, NULL, 0), KV_OK);
    assert_frame(&r, 7, lock, sizeof lock);
    assert_int_equal(kv__cb_unlock(&r, "k", 1, 3, 0x1122334455667788, NULL, 0), KV_OK);
    assert_frame(&r, 8, unlock, sizeof unlock);
    char err[128] = "";
    assert_int_equal(kv__cb_unlock(&r, "k", 1, 3, 0, err, sizeof err), KV_ERR_ARGUMENT);
    assert_non_null(strstr(err, "CAS"));
}

static void keys_outside_1_to_250_bytes_are_refused(void **state)
{
    char key[251];
    memset(key, 'k', sizeof key);
    kv__cb_request r;
    assert_int_equal(kv__cb_get_meta(&r, key, 251, 0, NULL, 0), KV_ERR_ARGUMENT);
    assert_int_equal(kv__cb_get_replica(&r, key, 0, 0, NULL, 0), KV_ERR_ARGUMENT);
    assert_int_equal(kv__cb_get_locked(&r, key, 250, 0, 5, NULL, 0), KV_OK);
}

/* 2.13: value = (vbid u16, keylen u16, key)*; no key, vbucket 0. */
static void observe_lists_vbucket_and_key_per_entry(void **state)
{
    static const uint8_t want[] = {0x80, 0x92, 0x00, 0x00, 0x00, 0x00, 0x00,     0x00, 0x00, 0x00,
                                   0x00, 0x0c, 0x00, 0x00, 0x00, 0x09, ZERO_CAS, 0x00, 0x33, 0x00,
                                   0x03, 'f',  'o',  'o',  0x00, 0x37, 0x00,     0x01, 'a'};
    kv__cb_observe_key keys[] = {{51, "foo", 3}, {55, "a", 1}};
    kv__cb_request r;
    assert_int_equal(kv__cb_observe(&r, keys, 2, NULL, 0), KV_OK);
    assert_frame(&r, 9, want, sizeof want);
    kv__cb_request_free(&r);
    assert_int_equal(kv__cb_observe(&r, keys, 0, NULL, 0), KV_ERR_ARGUMENT);
}

/* 2.13: reply value = (vbid, keylen, key, state u8, cas u64)*. */
static void observe_reply_gives_state_and_cas_per_key(void **state)
{
    static const uint8_t frame[] = {0x81, 0x92, 0x00, 0x00, 0x00, 0x00, 0x00,     0x00, 0x00, 0x00,
                                    0x00, 0x1e, 0x00, 0x00, 0x00, 0x09, ZERO_CAS, 0x00, 0x33, 0x00,
                                    0x03, 'f',  'o',  'o',  0x01, 0x00, 0x00,     0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x2a, 0x00, 0x37, 0x00, 0x01,     'a',  0x80, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    kv__mcbp_packet p;
    decode(frame, sizeof frame, &p);
    kv__cb_observe_iter it;
    kv__cb_observe_entry e;
    kv__cb_observe_iter_init(&it, &p);
    assert_int_equal(kv__cb_observe_next(&it, &e, NULL, 0), 1);
    assert_int_equal(e.vbucket, 51);
    assert_int_equal(e.key_len, 3);
    assert_memory_equal(e.key, "foo", 3);
    assert_int_equal(e.state, KV__CB_OBSERVE_PERSISTED);
    assert_int_equal(e.cas, 42);
    assert_int_equal(kv__cb_observe_next(&it, &e, NULL, 0), 1);
    assert_int_equal(e.state, KV__CB_OBSERVE_NOT_FOUND);
    assert_memory_equal(e.key, "a", 1);
    assert_int_equal(kv__cb_observe_next(&it, &e, NULL, 0), 0);

    /* The same reply cut one byte short: the second entry is truncated. */
    p.value_len -= 1;
    kv__cb_observe_iter_init(&it, &p);
    char err[128] = "";
    assert_int_equal(kv__cb_observe_next(&it, &e, err, sizeof err), 1);
    assert_int_equal(kv__cb_observe_next(&it, &e, err, sizeof err), -1);
    assert_non_null(strstr(err, "OBSERVE"));
}

/* 2.18: CREATE has datatype JSON, no key or extras, and a key-only range over base64 keys.
 * The whole range is 0x00 ("AA==") up to 250 bytes of 0xff: 83 groups "////" + "/w==". */
static void range_scan_create_asks_for_keys_only(void **state)
{
    static const char bounded[] =
        "{\"key_only\":true,\"range\":{\"start\":\"YQ==\",\"end\":\"Yg==\"}}";
    uint8_t want[24 + 55] = {0x80, 0xda, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05,    0x00,
                             0x00, 0x00, 0x37, 0x00, 0x00, 0x00, 0x0a, ZERO_CAS};
    memcpy(want + 24, bounded, 55);
    kv__cb_request r;
    assert_int_equal(kv__cb_range_scan_create(&r, 5, "a", 1, "b", 1, NULL, 0), KV_OK);
    assert_frame(&r, 10, want, sizeof want);
    kv__cb_request_free(&r);

    char whole[400] = "{\"key_only\":true,\"range\":{\"start\":\"AA==\",\"end\":\"";
    size_t n = strlen(whole);
    for (int i = 0; i < 332; i++)
        whole[n++] = '/';
    memcpy(whole + n, "/w==\"}}", 7);
    n += 7;
    assert_int_equal(n, 0x183);
    assert_int_equal(kv__cb_range_scan_create(&r, 5, NULL, 0, NULL, 0, NULL, 0), KV_OK);
    assert_int_equal(r.datatype, KV__CB_DATATYPE_JSON);
    assert_int_equal(r.value_len, n);
    assert_memory_equal(r.value, whole, n);
    kv__cb_request_free(&r);
}

/* 2.18: CONTINUE extras = uuid[16], item limit, time limit ms, byte limit; CANCEL = uuid. */
static void range_scan_continue_and_cancel_carry_the_uuid(void **state)
{
    static const uint8_t uuid[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t cont[] = {0x80, 0xdb, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x05,     0x00,
                                   0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x0b, ZERO_CAS, 0,
                                   1,    2,    3,    4,    5,    6,    7,    8,        9,
                                   10,   11,   12,   13,   14,   15,   0x00, 0x00,     0x00,
                                   0x64, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x01, 0x00,     0x00};
    static const uint8_t cancel[] = {0x80, 0xdc, 0x00, 0x00, 0x10, 0x00, 0x00, 0x05,     0x00,
                                     0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x0c, ZERO_CAS, 0,
                                     1,    2,    3,    4,    5,    6,    7,    8,        9,
                                     10,   11,   12,   13,   14,   15};
    kv__cb_request r;
    kv__cb_range_scan_continue(&r, 5, uuid, 100, 1000, 65536);
    assert_frame(&r, 11, cont, sizeof cont);
    kv__cb_range_scan_cancel(&r, 5, uuid);
    assert_frame(&r, 12, cancel, sizeof cancel);
}

static void range_scan_create_reply_is_a_16_byte_uuid(void **state)
{
    static const uint8_t frame[] = {0x81, 0xda, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     0x00,
                                    0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x0a, ZERO_CAS, 0xa0,
                                    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,     0xa9,
                                    0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
    kv__mcbp_packet p;
    uint8_t uuid[16];
    decode(frame, sizeof frame, &p);
    assert_int_equal(kv__cb_range_scan_uuid(&p, uuid, NULL, 0), KV_OK);
    assert_int_equal(uuid[0], 0xa0);
    assert_int_equal(uuid[15], 0xaf);
    p.value_len = 15;
    assert_int_equal(kv__cb_range_scan_uuid(&p, uuid, NULL, 0), KV_ERR_NETWORK);
}

/* 2.18: a continue response has extras 0 (key-only) and a value of leb128(len) ‖ key; status
 * 0xa6 says "send CONTINUE again". */
static void range_scan_keys_are_leb128_prefixed(void **state)
{
    static const uint8_t frame[] = {0x81, 0xdb, 0x00, 0x00, 0x04, 0x00, 0x00, 0xa6,     0x00,
                                    0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x0b, ZERO_CAS, 0x00,
                                    0x00, 0x00, 0x00, 0x03, 'f',  'o',  'o',  0x01,     'a'};
    kv__mcbp_packet p;
    decode(frame, sizeof frame, &p);
    kv__cb_scan_state st;
    kv__cb_scan_keys keys;
    assert_int_equal(kv__cb_range_scan_reply(&p, &st, &keys, NULL, 0), KV_OK);
    assert_int_equal(st, KV__CB_SCAN_MORE);
    const uint8_t *key;
    size_t len;
    assert_int_equal(kv__cb_scan_keys_next(&keys, &key, &len, NULL, 0), 1);
    assert_int_equal(len, 3);
    assert_memory_equal(key, "foo", 3);
    assert_int_equal(kv__cb_scan_keys_next(&keys, &key, &len, NULL, 0), 1);
    assert_int_equal(len, 1);
    assert_memory_equal(key, "a", 1);
    assert_int_equal(kv__cb_scan_keys_next(&keys, &key, &len, NULL, 0), 0);
}

/* A 200-byte key has a 2-byte LEB128 length: 200 = 0x48 | 0x80, then 0x01. */
static void range_scan_key_lengths_may_take_two_bytes(void **state)
{
    uint8_t payload[2 + 200];
    payload[0] = 0xc8;
    payload[1] = 0x01;
    memset(payload + 2, 'z', 200);
    kv__cb_scan_keys keys = {payload, sizeof payload};
    const uint8_t *key;
    size_t len;
    assert_int_equal(kv__cb_scan_keys_next(&keys, &key, &len, NULL, 0), 1);
    assert_int_equal(len, 200);
    assert_int_equal(kv__cb_scan_keys_next(&keys, &key, &len, NULL, 0), 0);
}

static void range_scan_bad_payloads_are_refused(void **state)
{
    const uint8_t *key;
    size_t len;
    char err[128] = "";
    static const uint8_t truncated[] = {0x05, 'a', 'b'};
    kv__cb_scan_keys keys = {truncated, sizeof truncated};
    assert_int_equal(kv__cb_scan_keys_next(&keys, &key, &len, err, sizeof err), -1);
    static const uint8_t too_long[] = {0x80, 0x02}; /* 256 */
    keys = (kv__cb_scan_keys){too_long, sizeof too_long};
    assert_int_equal(kv__cb_scan_keys_next(&keys, &key, &len, err, sizeof err), -1);
    static const uint8_t endless[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
    keys = (kv__cb_scan_keys){endless, sizeof endless};
    assert_int_equal(kv__cb_scan_keys_next(&keys, &key, &len, err, sizeof err), -1);
    static const uint8_t empty_key[] = {0x00};
    keys = (kv__cb_scan_keys){empty_key, sizeof empty_key};
    assert_int_equal(kv__cb_scan_keys_next(&keys, &key, &len, err, sizeof err), -1);

    /* Extras 1 = documents, which kvtui never asks for. */
    static const uint8_t documents[] = {0x81, 0xdb, 0x00,     0x00, 0x04, 0x00, 0x00,
                                        0xa7, 0x00, 0x00,     0x00, 0x04, 0x00, 0x00,
                                        0x00, 0x0b, ZERO_CAS, 0x00, 0x00, 0x00, 0x01};
    kv__mcbp_packet p;
    kv__cb_scan_state st;
    decode(documents, sizeof documents, &p);
    assert_int_equal(kv__cb_range_scan_reply(&p, &st, &keys, err, sizeof err), KV_ERR_NETWORK);
}

static void range_scan_end_states(void **state)
{
    static const uint8_t complete[] = {0x81, 0xdb, 0x00,     0x00, 0x04, 0x00, 0x00,
                                       0xa7, 0x00, 0x00,     0x00, 0x04, 0x00, 0x00,
                                       0x00, 0x0b, ZERO_CAS, 0x00, 0x00, 0x00, 0x00};
    static const uint8_t cancelled[] = {0x81, 0xdb, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa5,    0x00,
                                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, ZERO_CAS};
    kv__mcbp_packet p;
    kv__cb_scan_state st;
    kv__cb_scan_keys keys;
    const uint8_t *key;
    size_t len;
    decode(complete, sizeof complete, &p);
    assert_int_equal(kv__cb_range_scan_reply(&p, &st, &keys, NULL, 0), KV_OK);
    assert_int_equal(st, KV__CB_SCAN_COMPLETE);
    assert_int_equal(kv__cb_scan_keys_next(&keys, &key, &len, NULL, 0), 0);
    decode(cancelled, sizeof cancelled, &p);
    assert_int_equal(kv__cb_range_scan_reply(&p, &st, &keys, NULL, 0), KV_OK);
    assert_int_equal(st, KV__CB_SCAN_FAILED);
    assert_int_equal(kv__cb_status_to_kv(p.status, p.opcode, NULL), KV_ERR_CANCELLED);
}

/* 2.15: {"version","revision","errors":{"<hex>":{"name","desc","attrs"}}}. */
static void error_map_is_parsed_and_judges_unknown_codes(void **state)
{
    static const char json[] =
        "{\"version\":2,\"revision\":7,\"errors\":{"
        "\"0\":{\"name\":\"SUCCESS\",\"desc\":\"ok\",\"attrs\":[\"success\"]},"
        "\"86\":{\"name\":\"ETMPFAIL\",\"desc\":\"t\",\"attrs\":[\"temp\",\"retry-later\"]},"
        "\"30\":{\"name\":\"RATE_LIMITED_NETWORK_INGRESS\",\"desc\":\"r\",\"attrs\":[\"rate-"
        "limit\"]},"
        "\"7ff0\":{\"name\":\"FUTURE_AUTH\",\"desc\":\"x\",\"attrs\":[\"auth\"]},"
        "\"7ff1\":{\"name\":\"FUTURE_TEMP\",\"desc\":\"x\",\"attrs\":[\"retry-now\"]},"
        "\"zz\":{\"name\":\"BAD\"},\"12345\":{\"name\":\"BAD\"}}}";
    kv__cb_error_map map;
    assert_int_equal(kv__cb_error_map_parse((const uint8_t *)json, strlen(json), &map, NULL, 0),
                     KV_OK);
    assert_int_equal(map.version, 2);
    assert_int_equal(map.revision, 7);
    assert_int_equal(map.count, 5);
    const kv__cb_error_entry *e = kv__cb_error_map_find(&map, 0x86);
    assert_non_null(e);
    assert_string_equal(e->name, "ETMPFAIL");
    assert_int_equal(e->attrs, KV__CB_ERRATTR_TEMP | KV__CB_ERRATTR_RETRY_LATER);
    assert_null(kv__cb_error_map_find(&map, 0x1234));
    assert_int_equal(kv__cb_status_to_kv(0x7ff0, KV__MCBP_OP_GET, &map), KV_ERR_AUTH);
    assert_int_equal(kv__cb_status_to_kv(0x7ff1, KV__MCBP_OP_GET, &map), KV_ERR_TEMPORARY_FAIL);
    assert_int_equal(kv__cb_status_to_kv(0x7ff2, KV__MCBP_OP_GET, &map), KV_ERR_INTERNAL);
    kv__cb_error_map_free(&map);

    static const char *bad[] = {"", "[]", "{\"version\":2}", "{\"version\":2,\"revision\":1}",
                                "{\"version\":\"2\",\"revision\":1,\"errors\":{}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(
            kv__cb_error_map_parse((const uint8_t *)bad[i], strlen(bad[i]), &map, NULL, 0),
            KV_ERR_NETWORK);
        assert_null(map.entries);
    }
}

/* 4.2 and 2.4 (LCB 2.x masking): what the Python SDK reports for each Couchbase status. */
static void couchbase_statuses_mean_what_the_python_sdk_says(void **state)
{
    assert_int_equal(kv__cb_status_to_kv(0x09, KV__MCBP_OP_SET, NULL), KV_ERR_KEY_EXISTS);
    assert_int_equal(kv__cb_status_to_kv(0x09, KV__MCBP_OP_REPLACE, NULL), KV_ERR_KEY_EXISTS);
    assert_int_equal(kv__cb_status_to_kv(0x09, KV__MCBP_OP_DELETE, NULL), KV_ERR_KEY_EXISTS);
    assert_int_equal(kv__cb_status_to_kv(0x09, KV__CB_OP_GET_LOCKED, NULL), KV_ERR_TEMPORARY_FAIL);
    assert_int_equal(kv__cb_status_to_kv(0x09, KV__CB_OP_UNLOCK_KEY, NULL), KV_ERR_TEMPORARY_FAIL);
    assert_int_equal(kv__cb_status_to_kv(0x09, KV__MCBP_OP_APPEND, NULL), KV_ERR_TEMPORARY_FAIL);
    assert_int_equal(kv__cb_status_to_kv(0x0e, KV__CB_OP_UNLOCK_KEY, NULL), KV_ERR_TEMPORARY_FAIL);
    assert_int_equal(kv__cb_status_to_kv(0x86, KV__CB_OP_GET_LOCKED, NULL), KV_ERR_TEMPORARY_FAIL);
    assert_int_equal(kv__cb_status_to_kv(0x07, KV__MCBP_OP_GET, NULL), KV_ERR_TEMPORARY_FAIL);
    assert_int_equal(kv__cb_status_to_kv(0x01, KV__CB_OP_GET_META, NULL), KV_ERR_NOT_FOUND);
    assert_int_equal(kv__cb_status_to_kv(0x02, KV__MCBP_OP_SET, NULL), KV_ERR_KEY_EXISTS);
    assert_int_equal(kv__cb_status_to_kv(0x05, KV__MCBP_OP_APPEND, NULL), KV_ERR_NOT_STORED);
    assert_int_equal(kv__cb_status_to_kv(0x24, KV__CB_OP_SELECT_BUCKET, NULL), KV_ERR_AUTH);
    assert_int_equal(kv__cb_status_to_kv(0x88, KV__MCBP_OP_GET, NULL), KV_ERR_ARGUMENT);
    assert_int_equal(kv__cb_status_to_kv(0xa6, KV__CB_OP_RANGE_SCAN_CONTINUE, NULL), KV_OK);
    assert_int_equal(kv__cb_status_to_kv(0xa7, KV__CB_OP_RANGE_SCAN_CONTINUE, NULL), KV_OK);
    assert_int_equal(kv__cb_status_to_kv(0x81, KV__CB_OP_RANGE_SCAN_CREATE, NULL),
                     KV_ERR_NOT_SUPPORTED);
    assert_int_equal(kv__cb_status_to_kv(0x33, KV__MCBP_OP_GET, NULL), KV_ERR_TEMPORARY_FAIL);
    assert_int_equal(kv__cb_status_to_kv(0x4242, KV__MCBP_OP_GET, NULL), KV_ERR_INTERNAL);
    assert_string_equal(kv__cb_status_name(0x09), "LOCKED");
    assert_string_equal(kv__cb_status_name(0xa6), "RANGE_SCAN_MORE");
    assert_string_equal(kv__cb_status_name(0x07), "NOT_MY_VBUCKET");
    assert_string_equal(kv__cb_status_name(0x4242), "UNKNOWN");
}

/* 2.4: the table of what a client without XERROR receives. */
static void without_xerror_statuses_are_remapped_or_disconnect(void **state)
{
    bool closes;
    assert_int_equal(kv__cb_status_without_xerror(0x09, KV__MCBP_OP_SET, &closes), 0x02);
    assert_false(closes);
    assert_int_equal(kv__cb_status_without_xerror(0x09, KV__CB_OP_GET_LOCKED, &closes), 0x86);
    assert_int_equal(kv__cb_status_without_xerror(0x09, KV__CB_OP_UNLOCK_KEY, &closes), 0x86);
    assert_int_equal(kv__cb_status_without_xerror(0x0e, KV__CB_OP_UNLOCK_KEY, &closes), 0x86);
    assert_int_equal(kv__cb_status_without_xerror(0x0f, KV__MCBP_OP_SET, &closes), 0x02);
    assert_int_equal(kv__cb_status_without_xerror(0x88, KV__MCBP_OP_GET, &closes), 0x04);
    assert_int_equal(kv__cb_status_without_xerror(0xa2, KV__MCBP_OP_SET, &closes), 0x86);
    assert_int_equal(kv__cb_status_without_xerror(0x01, KV__MCBP_OP_GET, &closes), 0x01);
    assert_false(closes);
    kv__cb_status_without_xerror(0x24, KV__CB_OP_SELECT_BUCKET, &closes);
    assert_true(closes);
    kv__cb_status_without_xerror(0x08, KV__MCBP_OP_GET, &closes);
    assert_true(closes);
    kv__cb_status_without_xerror(0xa7, KV__CB_OP_RANGE_SCAN_CONTINUE, &closes);
    assert_true(closes);
    /* A remapped lock conflict still reads as the SDK reports it. */
    uint16_t s = kv__cb_status_without_xerror(0x09, KV__CB_OP_GET_LOCKED, &closes);
    assert_int_equal(kv__cb_status_to_kv(s, KV__CB_OP_GET_LOCKED, NULL), KV_ERR_TEMPORARY_FAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hello_sends_a_json_agent_and_the_features),
        cmocka_unit_test(hello_escapes_the_agent_and_refuses_a_long_one),
        cmocka_unit_test(hello_reply_lists_the_accepted_features),
        cmocka_unit_test(hello_reply_from_memcached_or_garbage_is_an_error),
        cmocka_unit_test(get_error_map_asks_for_version_2),
        cmocka_unit_test(select_bucket_and_get_cluster_config),
        cmocka_unit_test(get_meta_asks_for_version_2),
        cmocka_unit_test(get_meta_reply_gives_deleted_flags_expiry_seqno_datatype),
        cmocka_unit_test(get_replica_is_a_get),
        cmocka_unit_test(get_locked_and_unlock),
        cmocka_unit_test(keys_outside_1_to_250_bytes_are_refused),
        cmocka_unit_test(observe_lists_vbucket_and_key_per_entry),
        cmocka_unit_test(observe_reply_gives_state_and_cas_per_key),
        cmocka_unit_test(range_scan_create_asks_for_keys_only),
        cmocka_unit_test(range_scan_continue_and_cancel_carry_the_uuid),
        cmocka_unit_test(range_scan_create_reply_is_a_16_byte_uuid),
        cmocka_unit_test(range_scan_keys_are_leb128_prefixed),
        cmocka_unit_test(range_scan_key_lengths_may_take_two_bytes),
        cmocka_unit_test(range_scan_bad_payloads_are_refused),
        cmocka_unit_test(range_scan_end_states),
        cmocka_unit_test(error_map_is_parsed_and_judges_unknown_codes),
        cmocka_unit_test(couchbase_statuses_mean_what_the_python_sdk_says),
        cmocka_unit_test(without_xerror_statuses_are_remapped_or_disconnect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

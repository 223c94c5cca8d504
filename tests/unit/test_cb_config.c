/* The Couchbase cluster map: vBucket hashing against the vectors of protocol.md 2.7, a map like
 * the server sends (2.6) routed and resolved, and hostile maps refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cb_internal.h"

/* protocol.md 2.7: key, h = (crc32 >> 16) & 0x7fff, vb for 1024 and for 64 vbuckets. */
static void vbucket_hash_matches_the_published_vectors(void **state)
{
    static const struct {
        const char *key;
        unsigned h, vb1024, vb64;
    } vectors[] = {
        {"foo", 3187, 115, 51},
        {"hello", 13840, 528, 16},
        {"Hello", 30673, 977, 17},
        {"a", 26807, 183, 55},
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        size_t len = strlen(vectors[i].key);
        assert_int_equal((kv__cb_crc32(vectors[i].key, len) >> 16) & 0x7fff, vectors[i].h);
        assert_int_equal(kv__cb_vbucket_of(vectors[i].key, len, 1024), vectors[i].vb1024);
        assert_int_equal(kv__cb_vbucket_of(vectors[i].key, len, 64), vectors[i].vb64);
    }
}

/* The CRC-32 check value every implementation publishes: crc32("123456789") = 0xcbf43926. */
static void crc32_is_the_standard_one(void **state)
{
    assert_int_equal(kv__cb_crc32("123456789", 9), 0xcbf43926u);
    assert_int_equal(kv__cb_crc32("", 0), 0);
}

/* A two-node map in the shape of protocol.md 2.6, as a node sends it over KV: "$HOST" for itself,
 * 8 vbuckets, one replica, a TLS port per node in nodesExt. */
static const char two_nodes[] =
    "{\"rev\":42,\"revEpoch\":3,\"name\":\"default\",\"uuid\":\"0b1c\",\"nodeLocator\":"
    "\"vbucket\",\"bucketCapabilities\":[\"cccp\",\"xattr\",\"rangeScan\",\"future\"],"
    "\"nodesExt\":[{\"services\":{\"kv\":11210,\"kvSSL\":11207,\"mgmt\":8091},\"thisNode\":true},"
    "{\"hostname\":\"10.0.0.2\",\"services\":{\"kv\":11210,\"kvSSL\":11217}}],"
    "\"vBucketServerMap\":{\"hashAlgorithm\":\"CRC\",\"numReplicas\":1,"
    "\"serverList\":[\"$HOST:11210\",\"10.0.0.2:11210\"],"
    "\"vBucketMap\":[[0,1],[1,0],[0,1],[1,0],[0,-1],[1,0],[0,1],[-1,0]]}}";

static void parse(const char *json, const char *host, kv__cb_config *config)
{
    char err[256] = "";
    kv_status rc = kv__cb_config_parse(json, strlen(json), host, config, err, sizeof err);
    if (rc != KV_OK)
        fail_msg("parse failed: %s", err);
}

static void a_server_map_is_parsed_with_host_substitution(void **state)
{
    kv__cb_config c;
    parse(two_nodes, "db.example", &c);
    assert_int_equal(c.rev, 42);
    assert_int_equal(c.rev_epoch, 3);
    assert_string_equal(c.bucket, "default");
    assert_int_equal(c.nnodes, 2);
    assert_string_equal(c.nodes[0].host, "db.example");
    assert_int_equal(c.nodes[0].kv_port, 11210);
    assert_int_equal(c.nodes[0].kv_tls_port, 11207);
    assert_string_equal(c.nodes[1].host, "10.0.0.2");
    assert_int_equal(c.nodes[1].kv_tls_port, 11217);
    assert_int_equal(c.num_vbuckets, 8);
    assert_int_equal(c.num_replicas, 1);
    assert_int_equal(c.capabilities, KV__CB_CAP_CCCP | KV__CB_CAP_XATTR | KV__CB_CAP_RANGE_SCAN);
    assert_null(c.forward);
    kv__cb_config_free(&c);
    assert_null(c.nodes);
}

static void vbuckets_route_to_active_and_replica(void **state)
{
    kv__cb_config c;
    parse(two_nodes, "db.example", &c);
    /* "foo": h = 3187 (2.7), 3187 % 8 = 3, row [1,0]. */
    uint16_t vb = kv__cb_vbucket_of("foo", 3, c.num_vbuckets);
    assert_int_equal(vb, 3);
    assert_int_equal(kv__cb_config_server(&c, vb, 0), 1);
    assert_int_equal(kv__cb_config_server(&c, vb, 1), 0);
    assert_int_equal(kv__cb_config_server(&c, 4, 1), -1); /* no replica */
    assert_int_equal(kv__cb_config_server(&c, 7, 0), -1); /* no active */
    assert_int_equal(kv__cb_config_server(&c, 8, 0), -1); /* no such vbucket */
    assert_int_equal(kv__cb_config_server(&c, 0, 2), -1); /* no such replica */
    assert_int_equal(kv__cb_config_forward_server(&c, 0, 0), -1);
    assert_int_equal(kv__cb_config_find_node(&c, "10.0.0.2", 11210), 1);
    assert_int_equal(kv__cb_config_find_node(&c, "10.0.0.2", 11207), -1);
    kv__cb_config_free(&c);
}

static void ipv6_hosts_lose_their_brackets(void **state)
{
    static const char json[] =
        "{\"rev\":1,\"name\":\"b\",\"vBucketServerMap\":{\"numReplicas\":0,"
        "\"serverList\":[\"[$HOST]:11210\",\"[fe80::2]:12000\"],\"vBucketMap\":[[0],[1]]}}";
    kv__cb_config c;
    parse(json, "::1", &c);
    assert_string_equal(c.nodes[0].host, "::1");
    assert_string_equal(c.nodes[1].host, "fe80::2");
    assert_int_equal(c.nodes[1].kv_port, 12000);
    assert_int_equal(c.nodes[0].kv_tls_port, 0);
    assert_int_equal(c.rev_epoch, 0);
    kv__cb_config_free(&c);
}

/* protocol.md 2.6: serverless buckets have 48 vbuckets, so the count is not always a power of
 * two; 2.7 takes the hash modulo the count. */
static void a_count_that_is_not_a_power_of_two_routes_by_modulo(void **state)
{
    char json[4096];
    size_t n = (size_t)snprintf(json, sizeof json,
                                "{\"rev\":1,\"name\":\"b\",\"vBucketServerMap\":"
                                "{\"numReplicas\":0,\"serverList\":"
                                "[\"h:1\",\"h:2\"],\"vBucketMap\":[");
    for (int v = 0; v < 48; v++)
        n += (size_t)snprintf(json + n, sizeof json - n, "%s[%d]", v ? "," : "", v % 2);
    snprintf(json + n, sizeof json - n, "]}}");
    kv__cb_config c;
    parse(json, "h", &c);
    assert_int_equal(c.num_vbuckets, 48);
    /* "hello": h = 13840 (2.7); 13840 % 48 = 16. */
    assert_int_equal(kv__cb_vbucket_of("hello", 5, c.num_vbuckets), 16);
    kv__cb_config_free(&c);
}

static void the_forward_map_is_kept_during_a_rebalance(void **state)
{
    static const char json[] = "{\"rev\":7,\"name\":\"b\",\"vBucketServerMap\":{\"numReplicas\":0,"
                               "\"serverList\":[\"a:1\",\"b:1\"],\"vBucketMap\":[[0],[0]],"
                               "\"vBucketMapForward\":[[0],[1]]}}";
    kv__cb_config c;
    parse(json, "a", &c);
    assert_int_equal(kv__cb_config_server(&c, 1, 0), 0);
    assert_int_equal(kv__cb_config_forward_server(&c, 1, 0), 1);
    kv__cb_config_free(&c);
}

static void newer_compares_epoch_then_rev(void **state)
{
    kv__cb_config old_map = {.rev_epoch = 1, .rev = 10, .map = (int16_t[]){0}};
    kv__cb_config higher_rev = {.rev_epoch = 1, .rev = 11};
    kv__cb_config same = {.rev_epoch = 1, .rev = 10};
    kv__cb_config new_epoch_low_rev = {.rev_epoch = 2, .rev = 1};
    kv__cb_config old_epoch_high_rev = {.rev_epoch = 0, .rev = 1000};
    assert_true(kv__cb_config_newer(&higher_rev, &old_map));
    assert_false(kv__cb_config_newer(&same, &old_map));
    assert_true(kv__cb_config_newer(&new_epoch_low_rev, &old_map));
    assert_false(kv__cb_config_newer(&old_epoch_high_rev, &old_map));
    assert_true(kv__cb_config_newer(&same, NULL));
    assert_true(kv__cb_rev_compare(0, 5, 0, 4) > 0);
    assert_int_equal(kv__cb_rev_compare(3, 5, 3, 5), 0);
}

/* Wrap a vBucketServerMap body in a valid envelope. */
#define MAP(server_map) "{\"rev\":1,\"name\":\"b\",\"vBucketServerMap\":{" server_map "}}"
#define TWO_SERVERS "\"serverList\":[\"a:1\",\"b:2\"]"

static const struct {
    const char *json;
    const char *message; /* a word the error must contain */
} hostile[] = {
    {"", "not valid JSON"},
    {"{\"rev\":1,", "not valid JSON"},
    {"[1,2]", "not a JSON object"},
    {"{\"name\":\"b\"}", "\"rev\""},
    {"{\"rev\":1e300,\"name\":\"b\"}", "\"rev\""},
    {"{\"rev\":-1,\"name\":\"b\"}", "\"rev\""},
    {"{\"rev\":1.5,\"name\":\"b\"}", "\"rev\""},
    {"{\"rev\":1,\"revEpoch\":\"x\",\"name\":\"b\"}", "revEpoch"},
    {"{\"rev\":1}", "\"name\""},
    {"{\"rev\":1,\"name\":\"\"}", "\"name\""},
    {"{\"rev\":1,\"name\":\"b\"}", "vBucketServerMap"},
    {MAP("\"numReplicas\":0,\"vBucketMap\":[[0]]"), "serverList"},
    {MAP("\"numReplicas\":0,\"serverList\":[],\"vBucketMap\":[[0]]"), "serverList has 0"},
    {MAP("\"numReplicas\":0,\"serverList\":[\"a\"],\"vBucketMap\":[[0]]"), "serverList[0]"},
    {MAP("\"numReplicas\":0,\"serverList\":[\"a:70000\"],\"vBucketMap\":[[0]]"), "serverList[0]"},
    {MAP("\"numReplicas\":0,\"serverList\":[\"a:0\"],\"vBucketMap\":[[0]]"), "serverList[0]"},
    {MAP("\"numReplicas\":0,\"serverList\":[\":11210\"],\"vBucketMap\":[[0]]"), "invalid host"},
    {MAP("\"numReplicas\":0,\"serverList\":[\"[::1]\"],\"vBucketMap\":[[0]]"), "serverList[0]"},
    {MAP("\"numReplicas\":0,\"serverList\":[7],\"vBucketMap\":[[0]]"), "serverList[0]"},
    {MAP(TWO_SERVERS ",\"vBucketMap\":[[0]]"), "numReplicas"},
    {MAP("\"numReplicas\":99," TWO_SERVERS ",\"vBucketMap\":[[0]]"), "numReplicas"},
    {MAP("\"numReplicas\":0," TWO_SERVERS ",\"vBucketMap\":[]"), "0 vbuckets"},
    {MAP("\"numReplicas\":0," TWO_SERVERS), "vBucketMap is missing"},
    {MAP("\"numReplicas\":0," TWO_SERVERS ",\"vBucketMap\":{}"), "vBucketMap is missing"},
    {MAP("\"numReplicas\":0," TWO_SERVERS ",\"vBucketMap\":[[0],[2]]"), "vBucketMap[1][0]"},
    {MAP("\"numReplicas\":0," TWO_SERVERS ",\"vBucketMap\":[[0],[-2]]"), "vBucketMap[1][0]"},
    {MAP("\"numReplicas\":0," TWO_SERVERS ",\"vBucketMap\":[[0],[1e300]]"), "vBucketMap[1][0]"},
    {MAP("\"numReplicas\":0," TWO_SERVERS ",\"vBucketMap\":[[0],[\"1\"]]"), "vBucketMap[1][0]"},
    {MAP("\"numReplicas\":1," TWO_SERVERS ",\"vBucketMap\":[[0,1],[1]]"), "vBucketMap[1]"},
    {MAP("\"numReplicas\":0," TWO_SERVERS ",\"vBucketMap\":[[0],7]"), "vBucketMap[1]"},
    {MAP("\"numReplicas\":0," TWO_SERVERS ",\"vBucketMap\":[[0]],\"vBucketMapForward\":[]"),
     "vBucketMapForward"},
    {MAP("\"numReplicas\":0," TWO_SERVERS ",\"vBucketMap\":[[0]],\"vBucketMapForward\":[[5]]"),
     "vBucketMapForward[0][0]"},
    {MAP("\"hashAlgorithm\":\"MD5\",\"numReplicas\":0," TWO_SERVERS ",\"vBucketMap\":[[0]]"),
     "hashAlgorithm"},
};

static void hostile_maps_are_refused_with_a_message(void **state)
{
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        kv__cb_config c;
        char err[256] = "";
        kv_status rc =
            kv__cb_config_parse(hostile[i].json, strlen(hostile[i].json), "h", &c, err, sizeof err);
        if (rc != KV_ERR_NETWORK || !strstr(err, hostile[i].message))
            fail_msg("case %zu (%s): status %d, message \"%s\", wanted \"%s\"", i, hostile[i].json,
                     rc, err, hostile[i].message);
        assert_null(c.nodes);
        assert_null(c.map);
    }
}

static void too_many_vbuckets_are_refused(void **state)
{
    size_t rows = KV__CB_MAX_VBUCKETS + 1, cap = 128 + rows * 4;
    char *json = malloc(cap);
    size_t n = (size_t)snprintf(json, cap,
                                "{\"rev\":1,\"name\":\"b\",\"vBucketServerMap\":{"
                                "\"numReplicas\":0,\"serverList\":[\"h:1\"],"
                                "\"vBucketMap\":[");
    for (size_t v = 0; v < rows; v++)
        n += (size_t)snprintf(json + n, cap - n, "%s[0]", v ? "," : "");
    n += (size_t)snprintf(json + n, cap - n, "]}}");
    kv__cb_config c;
    char err[256] = "";
    assert_int_equal(kv__cb_config_parse(json, n, "h", &c, err, sizeof err), KV_ERR_NETWORK);
    assert_non_null(strstr(err, "65537 vbuckets"));
    free(json);
}

static void a_memcached_bucket_is_not_supported(void **state)
{
    static const char json[] = "{\"rev\":1,\"name\":\"m\",\"nodeLocator\":\"ketama\","
                               "\"nodes\":[{\"hostname\":\"h:8091\"}]}";
    kv__cb_config c;
    char err[256] = "";
    assert_int_equal(kv__cb_config_parse(json, strlen(json), "h", &c, err, sizeof err),
                     KV_ERR_NOT_SUPPORTED);
    assert_non_null(strstr(err, "memcached bucket"));
}

/* A NOT_MY_VBUCKET body is not NUL-terminated: parsing must stop at LEN. */
static void parsing_stops_at_the_given_length(void **state)
{
    size_t len = strlen(two_nodes);
    char *copy = malloc(len + 5);
    memcpy(copy, two_nodes, len);
    memcpy(copy + len, "junk", 5);
    kv__cb_config c;
    char err[256] = "";
    assert_int_equal(kv__cb_config_parse(copy, len, "h", &c, err, sizeof err), KV_OK);
    kv__cb_config_free(&c);
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vbucket_hash_matches_the_published_vectors),
        cmocka_unit_test(crc32_is_the_standard_one),
        cmocka_unit_test(a_server_map_is_parsed_with_host_substitution),
        cmocka_unit_test(vbuckets_route_to_active_and_replica),
        cmocka_unit_test(ipv6_hosts_lose_their_brackets),
        cmocka_unit_test(a_count_that_is_not_a_power_of_two_routes_by_modulo),
        cmocka_unit_test(the_forward_map_is_kept_during_a_rebalance),
        cmocka_unit_test(newer_compares_epoch_then_rev),
        cmocka_unit_test(hostile_maps_are_refused_with_a_message),
        cmocka_unit_test(too_many_vbuckets_are_refused),
        cmocka_unit_test(a_memcached_bucket_is_not_supported),
        cmocka_unit_test(parsing_stops_at_the_given_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

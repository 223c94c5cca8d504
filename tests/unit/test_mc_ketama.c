/* Key placement on memcached nodes: the same node libmemcached picks, so kvtui finds the keys
 * applications wrote. The expected placements were produced by libmemcached 1.1.4 (Debian 12)
 * with memcached_generate_hash() and MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED or
 * MEMCACHED_DISTRIBUTION_MODULA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mc_internal.h"
#include "util_md5.h"

static const char *const keys[] = {"foo",
                                   "bar",
                                   "baz",
                                   "user:1",
                                   "user:2",
                                   "user:3",
                                   "session:abcdef",
                                   "k\xc3\xa9y",
                                   "a b",
                                   "0",
                                   "doc::0000001",
                                   "doc::0000002",
                                   "doc::0000003",
                                   "x",
                                   "hello world",
                                   "\xff\xfe",
                                   "order-42",
                                   "cart/99",
                                   "kvtui",
                                   "memcached"};
#define NKEYS (sizeof keys / sizeof keys[0])

static void assert_placements(const kv_host *hosts, size_t nhosts, bool ketama,
                              const unsigned expected[NKEYS])
{
    kv__mc_ring ring;
    kv__mc_ring_build(&ring, hosts, nhosts, ketama);
    for (size_t i = 0; i < NKEYS; i++) {
        size_t node = kv__mc_ring_node(&ring, keys[i], strlen(keys[i]));
        if (node != expected[i])
            fail_msg("key #%zu (%s) went to node %zu; libmemcached puts it on %u", i,
                     ketama ? "ketama" : "modula", node, expected[i]);
    }
    kv__mc_ring_free(&ring);
}

static kv_host three_local[] = {{"127.0.0.1", 11211}, {"127.0.0.1", 11212}, {"127.0.0.1", 11213}};

static void ketama_matches_libmemcached_on_three_local_ports(void **state)
{
    static const unsigned expected[NKEYS] = {0, 1, 1, 0, 2, 0, 2, 2, 1, 2,
                                             0, 0, 1, 2, 0, 1, 0, 2, 2, 2};
    assert_placements(three_local, 3, true, expected);
}

static void modula_matches_libmemcached_on_three_local_ports(void **state)
{
    static const unsigned expected[NKEYS] = {0, 1, 1, 2, 2, 2, 2, 1, 0, 0,
                                             1, 0, 0, 1, 1, 2, 0, 1, 0, 2};
    assert_placements(three_local, 3, false, expected);
}

/* Port 11211 is left out of the continuum names ("10.0.0.1-0", not "10.0.0.1:11211-0"). */
static void ketama_matches_libmemcached_on_default_ports(void **state)
{
    static kv_host hosts[] = {{"10.0.0.1", 11211}, {"10.0.0.2", 11211}};
    static const unsigned expected[NKEYS] = {1, 1, 0, 1, 1, 0, 1, 0, 0, 0,
                                             1, 0, 0, 0, 0, 1, 1, 0, 1, 1};
    assert_placements(hosts, 2, true, expected);
}

static kv_host five_named[] = {{"cache-a", 21211},
                               {"cache-b", 21211},
                               {"cache-c", 21211},
                               {"cache-d", 21211},
                               {"cache-e", 21211}};

static void ketama_matches_libmemcached_on_five_named_hosts(void **state)
{
    static const unsigned expected[NKEYS] = {2, 0, 3, 4, 0, 3, 2, 1, 3, 0,
                                             1, 4, 4, 4, 1, 0, 0, 2, 4, 0};
    assert_placements(five_named, 5, true, expected);
}

/* Bytes above 0x7f are sign-extended by libhashkit's one-at-a-time ("\xff\xfe" -> node 0). */
static void modula_matches_libmemcached_on_five_named_hosts(void **state)
{
    static const unsigned expected[NKEYS] = {0, 1, 4, 1, 1, 2, 3, 4, 4, 4,
                                             4, 2, 4, 4, 3, 0, 3, 1, 3, 2};
    assert_placements(five_named, 5, false, expected);
}

static void server_names_leave_out_the_default_port(void **state)
{
    char name[64];
    kv_host standard = {"127.0.0.1", 11211}, other = {"127.0.0.1", 11212};
    kv__mc_server_name(name, sizeof name, &standard);
    assert_string_equal(name, "127.0.0.1");
    kv__mc_server_name(name, sizeof name, &other);
    assert_string_equal(name, "127.0.0.1:11212");
}

static void single_node_takes_every_key(void **state)
{
    kv_host host = {"localhost", 2000};
    for (int ketama = 0; ketama < 2; ketama++) {
        kv__mc_ring ring;
        kv__mc_ring_build(&ring, &host, 1, ketama);
        for (size_t i = 0; i < NKEYS; i++)
            assert_int_equal(kv__mc_ring_node(&ring, keys[i], strlen(keys[i])), 0);
        kv__mc_ring_free(&ring);
    }
}

static void ketama_has_160_points_per_server_and_spreads_keys(void **state)
{
    kv__mc_ring ring;
    kv__mc_ring_build(&ring, three_local, 3, true);
    assert_int_equal(ring.npoints, 3 * 160);
    size_t counts[3] = {0};
    for (int i = 0; i < 30000; i++) {
        char key[32];
        int len = snprintf(key, sizeof key, "spread:%d", i);
        counts[kv__mc_ring_node(&ring, key, (size_t)len)]++;
    }
    for (int n = 0; n < 3; n++)
        assert_in_range(counts[n], 7000, 13000);
    kv__mc_ring_free(&ring);
}

/* The point of consistent hashing: losing a server moves only that server's keys. */
static void ketama_keeps_other_keys_in_place_when_a_server_goes(void **state)
{
    kv__mc_ring all, two;
    kv__mc_ring_build(&all, three_local, 3, true);
    kv__mc_ring_build(&two, three_local, 2, true);
    for (int i = 0; i < 5000; i++) {
        char key[32];
        int len = snprintf(key, sizeof key, "stay:%d", i);
        size_t before = kv__mc_ring_node(&all, key, (size_t)len);
        if (before != 2)
            assert_int_equal(kv__mc_ring_node(&two, key, (size_t)len), before);
    }
    kv__mc_ring_free(&all);
    kv__mc_ring_free(&two);
}

static void md5_matches_rfc_1321_vectors(void **state)
{
    static const struct {
        const char *text, *hex;
    } vectors[] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        uint8_t digest[16];
        char hex[33];
        kv__md5(vectors[i].text, strlen(vectors[i].text), digest);
        for (int j = 0; j < 16; j++)
            snprintf(hex + 2 * j, 3, "%02x", digest[j]);
        assert_string_equal(hex, vectors[i].hex);
    }
}

static void key_hash_is_the_first_md5_word_little_endian(void **state)
{
    /* md5("abc") = 90 01 50 98 ... */
    assert_int_equal(kv__mc_hash_md5("abc", 3), 0x98500190u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ketama_matches_libmemcached_on_three_local_ports),
        cmocka_unit_test(modula_matches_libmemcached_on_three_local_ports),
        cmocka_unit_test(ketama_matches_libmemcached_on_default_ports),
        cmocka_unit_test(ketama_matches_libmemcached_on_five_named_hosts),
        cmocka_unit_test(modula_matches_libmemcached_on_five_named_hosts),
        cmocka_unit_test(server_names_leave_out_the_default_port),
        cmocka_unit_test(single_node_takes_every_key),
        cmocka_unit_test(ketama_has_160_points_per_server_and_spreads_keys),
        cmocka_unit_test(ketama_keeps_other_keys_in_place_when_a_server_goes),
        cmocka_unit_test(md5_matches_rfc_1321_vectors),
        cmocka_unit_test(key_hash_is_the_first_md5_word_little_endian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Fuzz target: what a Couchbase node (or anything posing as one) sends about the cluster. The
 * first byte picks the parser: the cluster map of GET_CLUSTER_CONFIG / NOT_MY_VBUCKET (most
 * inputs), the error map, or the RangeScan and OBSERVE reply payloads. None may crash, read
 * outside its input, leak, or accept a map whose routing could index outside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cb_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

/* Every accepted map must route every vbucket to -1 or a real node. */
static void check_config(const kv__cb_config *c)
{
    if (c->nnodes == 0 || c->nnodes > KV__CB_MAX_NODES || c->num_vbuckets == 0 ||
        c->num_vbuckets > KV__CB_MAX_VBUCKETS || c->num_replicas > KV__CB_MAX_REPLICAS ||
        !c->bucket || !c->map)
        abort();
    for (size_t i = 0; i < c->nnodes; i++)
        if (!c->nodes[i].host || !c->nodes[i].host[0] || c->nodes[i].kv_port == 0)
            abort();
    for (uint32_t v = 0; v < c->num_vbuckets; v++)
        for (uint32_t copy = 0; copy <= c->num_replicas; copy++) {
            int s = kv__cb_config_server(c, v, copy), f = kv__cb_config_forward_server(c, v, copy);
            if (s < -1 || s >= (int)c->nnodes || f < -1 || f >= (int)c->nnodes)
                abort();
        }
    if (kv__cb_vbucket_of("foo", 3, c->num_vbuckets) >= c->num_vbuckets)
        abort();
}

static void fuzz_config(const uint8_t *data, size_t size)
{
    kv__cb_config c;
    char err[256];
    if (kv__cb_config_parse((const char *)data, size, "fuzz.example", &c, err, sizeof err) ==
        KV_OK) {
        check_config(&c);
        sink += (uint64_t)c.rev + kv__cb_config_newer(&c, NULL);
    } else if (c.nodes || c.map || c.bucket) {
        abort(); /* a refused map must leave nothing behind */
    }
    kv__cb_config_free(&c);
}

static void fuzz_error_map(const uint8_t *data, size_t size)
{
    kv__cb_error_map map;
    char err[256];
    if (kv__cb_error_map_parse(data, size, &map, err, sizeof err) == KV_OK) {
        for (size_t i = 1; i < map.count; i++)
            if (map.entries[i - 1].code >= map.entries[i].code)
                abort();
        sink += kv__cb_status_to_kv(0x7fff, 0, &map);
    }
    kv__cb_error_map_free(&map);
}

static void fuzz_payloads(const uint8_t *data, size_t size)
{
    kv__mcbp_packet p = {.value = data, .value_len = (uint32_t)size};
    kv__cb_scan_keys keys = {data, size};
    const uint8_t *key;
    size_t len;
    while (kv__cb_scan_keys_next(&keys, &key, &len, NULL, 0) == 1) {
        if (len == 0 || len > KV_KEY_MAX || key < data || key + len > data + size)
            abort();
        sink += key[len - 1];
    }
    kv__cb_observe_iter it;
    kv__cb_observe_entry e;
    kv__cb_observe_iter_init(&it, &p);
    while (kv__cb_observe_next(&it, &e, NULL, 0) == 1) {
        if (e.key + e.key_len > data + size)
            abort();
        sink += e.cas + (e.key_len ? e.key[e.key_len - 1] : 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 4) {
    case 1:
        fuzz_error_map(data + 1, size - 1);
        break;
    case 2:
        fuzz_payloads(data + 1, size - 1);
        break;
    default:
        fuzz_config(data + 1, size - 1);
        break;
    }
    return 0;
}

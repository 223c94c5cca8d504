/* The Couchbase cluster map (protocol.md 2.6-2.9): parsed, validated, compared and routed. */
#include <stdlib.h>
#include <string.h>

#include "cb_internal.h"
#include "util_alloc.h"

#define HOST_MAX 255
#define JSON_INT_MAX 9007199254740992.0 /* 2^53: every integer up to it is exact in a double */

typedef struct parser {
    kv__cb_config *config;
    const char *source_host;
    char *errbuf;
    size_t errbuf_len;
} parser;

#define FAIL(ps, ...) kv_error_printf((ps)->errbuf, (ps)->errbuf_len, KV_ERR_NETWORK, __VA_ARGS__)

static char *copy_string(const char *text, size_t len)
{
    char *out = kv__xcalloc(1, len + 1);
    memcpy(out, text, len);
    return out;
}

/* ITEM as an integer in [MIN, MAX]; false for non-numbers, fractions and values out of range
 * (checked before any conversion, so a hostile 1e300 is refused, not undefined behaviour). */
static bool json_int(const cJSON *item, double min, double max, int64_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    double v = item->valuedouble;
    if (!(v >= min && v <= max) || (double)(int64_t)v != v)
        return false;
    *out = (int64_t)v;
    return true;
}

static kv_status parse_revision(parser *ps, const cJSON *root)
{
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(root, "rev");
    if (!json_int(rev, 0, JSON_INT_MAX, &ps->config->rev))
        return FAIL(ps, "cluster map: \"rev\" is missing or not an integer in 0..2^53");
    const cJSON *epoch = cJSON_GetObjectItemCaseSensitive(root, "revEpoch");
    if (epoch && !json_int(epoch, -JSON_INT_MAX, JSON_INT_MAX, &ps->config->rev_epoch))
        return FAIL(ps, "cluster map: \"revEpoch\" is not an integer");
    return KV_OK;
}

static kv_status parse_name(parser *ps, const cJSON *root)
{
    const cJSON *locator = cJSON_GetObjectItemCaseSensitive(root, "nodeLocator");
    if (cJSON_IsString(locator) && strcmp(locator->valuestring, "vbucket") != 0)
        return kv_error_printf(ps->errbuf, ps->errbuf_len, KV_ERR_NOT_SUPPORTED,
                               "cluster map: nodeLocator \"%.20s\" (a memcached bucket) is not "
                               "supported; only Couchbase and ephemeral buckets are",
                               locator->valuestring);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (!cJSON_IsString(name) || name->valuestring[0] == '\0' || strlen(name->valuestring) > 250)
        return FAIL(ps, "cluster map: \"name\" (the bucket) is missing or not a 1..250 byte "
                        "string");
    ps->config->bucket = copy_string(name->valuestring, strlen(name->valuestring));
    return KV_OK;
}

/* TEXT with every "$HOST" replaced by the host the map came from (protocol.md 2.6). */
static char *substitute_host(parser *ps, const char *text, size_t len)
{
    static const char marker[] = "$HOST";
    const size_t mlen = sizeof marker - 1;
    size_t hlen = strlen(ps->source_host), count = 0;
    for (size_t i = 0; i + mlen <= len; i++)
        if (memcmp(text + i, marker, mlen) == 0)
            count++, i += mlen - 1;
    char *out = kv__xcalloc(1, len + count * hlen + 1), *w = out;
    for (size_t i = 0; i < len;) {
        if (i + mlen <= len && memcmp(text + i, marker, mlen) == 0) {
            memcpy(w, ps->source_host, hlen);
            w += hlen, i += mlen;
        } else {
            *w++ = text[i++];
        }
    }
    return out;
}

/* Strip IPv6 brackets from HOST (LEN bytes) and substitute $HOST: a malloc'd host, or NULL when
 * it is empty, too long or badly bracketed. */
static char *clean_host(parser *ps, const char *host, size_t len)
{
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
        host++, len -= 2;
    if (len == 0 || memchr(host, '[', len) || memchr(host, ']', len) || memchr(host, '\0', len))
        return NULL;
    char *out = substitute_host(ps, host, len);
    size_t out_len = strlen(out);
    if (out_len == 0 || out_len > HOST_MAX) {
        free(out);
        return NULL;
    }
    return out;
}

static bool parse_port(const char *text, uint16_t *port)
{
    unsigned long value = 0;
    if (*text == '\0' || strlen(text) > 5)
        return false;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        value = value * 10 + (unsigned long)(*p - '0');
    }
    if (value == 0 || value > 65535)
        return false;
    *port = (uint16_t)value;
    return true;
}

/* One serverList entry, "host:port" or "[v6]:port". */
static kv_status parse_server(parser *ps, const cJSON *item, size_t index, kv__cb_node *node)
{
    const char *text = cJSON_IsString(item) ? item->valuestring : NULL;
    const char *colon = text ? strrchr(text, ':') : NULL;
    if (colon && text[0] == '[' && colon[-1] != ']')
        colon = NULL; /* "[::1]" has colons but no port */
    if (!colon || !parse_port(colon + 1, &node->kv_port))
        return FAIL(ps, "cluster map: serverList[%zu] is not a \"host:port\" string", index);
    node->host = clean_host(ps, text, (size_t)(colon - text));
    if (!node->host)
        return FAIL(ps, "cluster map: serverList[%zu] has an empty or invalid host", index);
    return KV_OK;
}

static kv_status parse_servers(parser *ps, const cJSON *server_map)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(server_map, "serverList");
    if (!cJSON_IsArray(list))
        return FAIL(ps, "cluster map: vBucketServerMap.serverList is missing or not an array");
    int count = cJSON_GetArraySize(list);
    if (count < 1 || count > KV__CB_MAX_NODES)
        return FAIL(ps, "cluster map: serverList has %d entries (1..%d allowed)", count,
                    KV__CB_MAX_NODES);
    kv__cb_config *c = ps->config;
    c->nodes = kv__xcalloc((size_t)count, sizeof *c->nodes);
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        kv_status rc = parse_server(ps, item, c->nnodes, &c->nodes[c->nnodes]);
        c->nnodes++; /* counted even on failure, so free() sees a half-filled node */
        if (rc != KV_OK)
            return rc;
    }
    return KV_OK;
}

static kv_status parse_counts(parser *ps, const cJSON *server_map, const cJSON *rows)
{
    int64_t replicas;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(server_map, "numReplicas");
    if (!json_int(item, 0, KV__CB_MAX_REPLICAS, &replicas))
        return FAIL(ps, "cluster map: numReplicas is missing or not in 0..%d", KV__CB_MAX_REPLICAS);
    if (!cJSON_IsArray(rows))
        return FAIL(ps, "cluster map: vBucketMap is missing or not an array");
    int count = cJSON_GetArraySize(rows);
    if (count < 1 || count > KV__CB_MAX_VBUCKETS)
        return FAIL(ps, "cluster map: vBucketMap has %d vbuckets (1..%d allowed)", count,
                    KV__CB_MAX_VBUCKETS);
    ps->config->num_replicas = (uint32_t)replicas;
    ps->config->num_vbuckets = (uint32_t)count;
    return KV_OK;
}

/* One vBucketMap row into OUT: exactly num_replicas + 1 server indexes, each -1 or < nnodes. */
static kv_status parse_row(parser *ps, const char *what, const cJSON *row, size_t v, int16_t *out)
{
    size_t width = ps->config->num_replicas + 1;
    if (!cJSON_IsArray(row) || (size_t)cJSON_GetArraySize(row) != width)
        return FAIL(ps, "cluster map: %s[%zu] is not an array of %zu server indexes", what, v,
                    width);
    size_t i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, row)
    {
        int64_t index;
        if (!json_int(item, -1, (double)ps->config->nnodes - 1, &index))
            return FAIL(ps, "cluster map: %s[%zu][%zu] is not -1 or a server index below %zu", what,
                        v, i, ps->config->nnodes);
        out[i++] = (int16_t)index;
    }
    return KV_OK;
}

static kv_status parse_rows(parser *ps, const char *what, const cJSON *rows, int16_t **out)
{
    kv__cb_config *c = ps->config;
    if (!cJSON_IsArray(rows) || (uint32_t)cJSON_GetArraySize(rows) != c->num_vbuckets)
        return FAIL(ps, "cluster map: %s is not an array of %u rows", what, c->num_vbuckets);
    size_t width = c->num_replicas + 1, v = 0;
    *out = kv__xcalloc((size_t)c->num_vbuckets * width, sizeof **out);
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        kv_status rc = parse_row(ps, what, row, v, *out + v * width);
        if (rc != KV_OK)
            return rc;
        v++;
    }
    return KV_OK;
}

static kv_status parse_server_map(parser *ps, const cJSON *root)
{
    const cJSON *server_map = cJSON_GetObjectItemCaseSensitive(root, "vBucketServerMap");
    if (!cJSON_IsObject(server_map))
        return FAIL(ps, "cluster map: vBucketServerMap is missing or not an object");
    const cJSON *hash = cJSON_GetObjectItemCaseSensitive(server_map, "hashAlgorithm");
    if (hash && (!cJSON_IsString(hash) || strcmp(hash->valuestring, "CRC") != 0))
        return FAIL(ps, "cluster map: hashAlgorithm is not \"CRC\"");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(server_map, "vBucketMap");
    kv_status rc = parse_servers(ps, server_map);
    if (rc == KV_OK)
        rc = parse_counts(ps, server_map, rows);
    if (rc == KV_OK)
        rc = parse_rows(ps, "vBucketMap", rows, &ps->config->map);
    const cJSON *forward = cJSON_GetObjectItemCaseSensitive(server_map, "vBucketMapForward");
    if (rc == KV_OK && forward)
        rc = parse_rows(ps, "vBucketMapForward", forward, &ps->config->forward);
    return rc;
}

/* A port from a nodesExt services object: 0 when absent or not a valid port. */
static uint16_t service_port(const cJSON *services, const char *name)
{
    int64_t port;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(services, name);
    return json_int(item, 1, 65535, &port) ? (uint16_t)port : 0;
}

/* The kvSSL port of one nodesExt entry, given to the serverList node with the same host and kv
 * port. An entry without a hostname describes the node that sent the map. */
static void apply_node_ext(parser *ps, const cJSON *entry)
{
    const cJSON *services = cJSON_GetObjectItemCaseSensitive(entry, "services");
    uint16_t kv = service_port(services, "kv"), tls = service_port(services, "kvSSL");
    if (!kv || !tls)
        return;
    const cJSON *hostname = cJSON_GetObjectItemCaseSensitive(entry, "hostname");
    const char *text = cJSON_IsString(hostname) ? hostname->valuestring : "$HOST";
    char *host = clean_host(ps, text, strlen(text));
    int index = host ? kv__cb_config_find_node(ps->config, host, kv) : -1;
    if (index >= 0)
        ps->config->nodes[index].kv_tls_port = tls;
    free(host);
}

/* nodesExt is optional and only adds TLS ports, so malformed entries are skipped, not fatal. */
static void parse_nodes_ext(parser *ps, const cJSON *root)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "nodesExt");
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > KV__CB_MAX_NODES)
        return;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, list)
    {
        if (cJSON_IsObject(entry))
            apply_node_ext(ps, entry);
    }
}

static const struct {
    const char *name;
    uint32_t bit;
} capability_names[] = {
    {"cccp", KV__CB_CAP_CCCP},
    {"xattr", KV__CB_CAP_XATTR},
    {"dcp", KV__CB_CAP_DCP},
    {"cbhello", KV__CB_CAP_CBHELLO},
    {"touch", KV__CB_CAP_TOUCH},
    {"collections", KV__CB_CAP_COLLECTIONS},
    {"durableWrite", KV__CB_CAP_DURABLE_WRITE},
    {"nodesExt", KV__CB_CAP_NODES_EXT},
    {"rangeScan", KV__CB_CAP_RANGE_SCAN},
};

static uint32_t capability_bit(const char *name)
{
    for (size_t i = 0; i < sizeof capability_names / sizeof capability_names[0]; i++)
        if (strcmp(capability_names[i].name, name) == 0)
            return capability_names[i].bit;
    return 0;
}

static void parse_capabilities(parser *ps, const cJSON *root)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "bucketCapabilities");
    if (!cJSON_IsArray(list))
        return;
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        if (cJSON_IsString(item))
            ps->config->capabilities |= capability_bit(item->valuestring);
    }
}

static kv_status parse_root(parser *ps, const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return FAIL(ps, "cluster map: not a JSON object");
    kv_status rc = parse_revision(ps, root);
    if (rc == KV_OK)
        rc = parse_name(ps, root);
    if (rc == KV_OK)
        rc = parse_server_map(ps, root);
    if (rc != KV_OK)
        return rc;
    parse_nodes_ext(ps, root);
    parse_capabilities(ps, root);
    return KV_OK;
}

kv_status kv__cb_config_parse(const char *json, size_t len, const char *source_host,
                              kv__cb_config *config, char *errbuf, size_t errbuf_len)
{
    memset(config, 0, sizeof *config);
    parser ps = {config, source_host ? source_host : "$HOST", errbuf, errbuf_len};
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return FAIL(&ps, "cluster map: not valid JSON (%zu bytes)", len);
    kv_status rc = parse_root(&ps, root);
    cJSON_Delete(root);
    if (rc != KV_OK)
        kv__cb_config_free(config);
    return rc;
}

void kv__cb_config_free(kv__cb_config *config)
{
    for (size_t i = 0; i < config->nnodes; i++)
        free(config->nodes[i].host);
    free(config->nodes);
    free(config->bucket);
    free(config->map);
    free(config->forward);
    memset(config, 0, sizeof *config);
}

int kv__cb_rev_compare(int64_t epoch_a, int64_t rev_a, int64_t epoch_b, int64_t rev_b)
{
    if (epoch_a != epoch_b)
        return epoch_a < epoch_b ? -1 : 1;
    if (rev_a != rev_b)
        return rev_a < rev_b ? -1 : 1;
    return 0;
}

bool kv__cb_config_newer(const kv__cb_config *candidate, const kv__cb_config *current)
{
    if (!current || !current->map)
        return true;
    return kv__cb_rev_compare(candidate->rev_epoch, candidate->rev, current->rev_epoch,
                              current->rev) > 0;
}

static int row_server(const kv__cb_config *config, const int16_t *rows, uint32_t vbucket,
                      uint32_t copy)
{
    if (!rows || vbucket >= config->num_vbuckets || copy > config->num_replicas)
        return -1;
    return rows[(size_t)vbucket * (config->num_replicas + 1) + copy];
}

int kv__cb_config_server(const kv__cb_config *config, uint32_t vbucket, uint32_t copy)
{
    return row_server(config, config->map, vbucket, copy);
}

int kv__cb_config_forward_server(const kv__cb_config *config, uint32_t vbucket, uint32_t copy)
{
    return row_server(config, config->forward, vbucket, copy);
}

int kv__cb_config_find_node(const kv__cb_config *config, const char *host, uint16_t port)
{
    for (size_t i = 0; i < config->nnodes; i++)
        if (config->nodes[i].kv_port == port && strcmp(config->nodes[i].host, host) == 0)
            return (int)i;
    return -1;
}

/* Bitwise CRC-32 (reflected polynomial 0xEDB88320): keys are at most 250 bytes, so a table buys
 * nothing worth its 256 lines. */
uint32_t kv__cb_crc32(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

uint16_t kv__cb_vbucket_of(const void *key, size_t len, uint32_t num_vbuckets)
{
    uint32_t h = (kv__cb_crc32(key, len) >> 16) & 0x7fffu;
    return (uint16_t)(num_vbuckets ? h % num_vbuckets : 0);
}

/* Couchbase requests and replies on top of kv__mcbp, and Couchbase status codes (cb_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_internal.h"
#include "util_alloc.h"

#define AGENT_MAX 200
#define HELLO_KEY_MAX 250
#define HELLO_FEATURES_MAX 128
#define OBSERVE_KEYS_MAX 4096

const uint16_t kv__cb_hello_features[] = {KV__CB_FEATURE_TCPNODELAY, KV__CB_FEATURE_XERROR,
                                          KV__CB_FEATURE_SELECT_BUCKET, KV__CB_FEATURE_JSON};
const size_t kv__cb_hello_nfeatures =
    sizeof kv__cb_hello_features / sizeof kv__cb_hello_features[0];

#define BAD_REPLY(errbuf, len, ...) kv_error_printf(errbuf, len, KV_ERR_NETWORK, __VA_ARGS__)

kv__mcbp_request kv__cb_request_mcbp(const kv__cb_request *r, uint32_t opaque)
{
    return (kv__mcbp_request){.opcode = r->opcode,
                              .datatype = r->datatype,
                              .vbucket = r->vbucket,
                              .opaque = opaque,
                              .cas = r->cas,
                              .extras = r->extras_len ? r->extras : NULL,
                              .extras_len = r->extras_len,
                              .key = r->key,
                              .key_len = r->key_len,
                              .value = r->value,
                              .value_len = r->value_len};
}

void kv__cb_request_free(kv__cb_request *r)
{
    free(r->owned);
    memset(r, 0, sizeof *r);
}

static void start(kv__cb_request *r, uint8_t opcode, uint16_t vbucket)
{
    memset(r, 0, sizeof *r);
    r->opcode = opcode;
    r->vbucket = vbucket;
}

/* A request addressed by a document key (1..250 bytes, protocol.md 2.16). */
static kv_status start_keyed(kv__cb_request *r, uint8_t opcode, const void *key, size_t key_len,
                             uint16_t vbucket, char *errbuf, size_t errbuf_len)
{
    start(r, opcode, vbucket);
    if (key_len == 0 || key_len > KV_KEY_MAX)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                               "a key must be 1..%d bytes, not %zu", KV_KEY_MAX, key_len);
    r->key = key;
    r->key_len = (uint16_t)key_len;
    return KV_OK;
}

void kv__cb_connection_id(char out[KV__CB_CONNECTION_ID_LEN + 1], uint64_t client_id,
                          uint64_t connection_id)
{
    snprintf(out, KV__CB_CONNECTION_ID_LEN + 1, "%016llx/%016llx", (unsigned long long)client_id,
             (unsigned long long)connection_id);
}

/* Append TEXT to OUT as a JSON string (quotes included); OUT has room for 6 bytes per byte + 2. */
static size_t put_json_string(char *out, const char *text)
{
    size_t n = 0;
    out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            out[n++] = '\\', out[n++] = (char)*p;
        else if (*p < 0x20)
            n += (size_t)sprintf(out + n, "\\u%04x", *p);
        else
            out[n++] = (char)*p;
    }
    out[n++] = '"';
    return n;
}

/* The HELLO key {"a":AGENT,"i":ID} (protocol.md 2.2); its length, 0 when it is too long. */
static size_t hello_key(char *out, const char *agent, const char *id)
{
    size_t n = 0;
    n += (size_t)sprintf(out + n, "{\"a\":");
    n += put_json_string(out + n, agent);
    if (id) {
        n += (size_t)sprintf(out + n, ",\"i\":");
        n += put_json_string(out + n, id);
    }
    out[n++] = '}';
    return n <= HELLO_KEY_MAX ? n : 0;
}

kv_status kv__cb_hello(kv__cb_request *r, const char *agent, const char *connection_id,
                       const uint16_t *features, size_t nfeatures, char *errbuf, size_t errbuf_len)
{
    start(r, KV__MCBP_OP_HELLO, 0);
    if (strlen(agent) > AGENT_MAX ||
        (connection_id && strlen(connection_id) > KV__CB_CONNECTION_ID_LEN) ||
        nfeatures > HELLO_FEATURES_MAX)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                               "HELLO: agent, connection id or feature list too long");
    size_t key_room = 16 + 6 * (AGENT_MAX + KV__CB_CONNECTION_ID_LEN) + 4;
    r->owned = kv__xcalloc(1, key_room + 2 * nfeatures);
    size_t key_len = hello_key((char *)r->owned, agent, connection_id);
    if (key_len == 0) {
        kv__cb_request_free(r);
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                               "HELLO: the agent key is over %d bytes", HELLO_KEY_MAX);
    }
    uint8_t *value = r->owned + key_len;
    for (size_t i = 0; i < nfeatures; i++)
        kv__mcbp_put16(value + 2 * i, features[i]);
    r->key = r->owned;
    r->key_len = (uint16_t)key_len;
    r->value = value;
    r->value_len = 2 * nfeatures;
    return KV_OK;
}

void kv__cb_get_error_map(kv__cb_request *r, uint16_t version)
{
    start(r, KV__CB_OP_GET_ERROR_MAP, 0);
    r->owned = kv__xcalloc(1, 2);
    kv__mcbp_put16(r->owned, version);
    r->value = r->owned;
    r->value_len = 2;
}

kv_status kv__cb_select_bucket(kv__cb_request *r, const char *bucket, char *errbuf,
                               size_t errbuf_len)
{
    return start_keyed(r, KV__CB_OP_SELECT_BUCKET, bucket, strlen(bucket), 0, errbuf, errbuf_len);
}

void kv__cb_get_cluster_config(kv__cb_request *r)
{
    start(r, KV__CB_OP_GET_CLUSTER_CONFIG, 0);
}

kv_status kv__cb_get_meta(kv__cb_request *r, const void *key, size_t key_len, uint16_t vbucket,
                          char *errbuf, size_t errbuf_len)
{
    kv_status rc = start_keyed(r, KV__CB_OP_GET_META, key, key_len, vbucket, errbuf, errbuf_len);
    r->extras[0] = 0x02; /* version 2: the reply also carries the datatype */
    r->extras_len = 1;
    return rc;
}

kv_status kv__cb_get_replica(kv__cb_request *r, const void *key, size_t key_len, uint16_t vbucket,
                             char *errbuf, size_t errbuf_len)
{
    return start_keyed(r, KV__CB_OP_GET_REPLICA, key, key_len, vbucket, errbuf, errbuf_len);
}

kv_status kv__cb_get_locked(kv__cb_request *r, const void *key, size_t key_len, uint16_t vbucket,
                            uint32_t lock_seconds, char *errbuf, size_t errbuf_len)
{
    kv_status rc = start_keyed(r, KV__CB_OP_GET_LOCKED, key, key_len, vbucket, errbuf, errbuf_len);
    kv__mcbp_put32(r->extras, lock_seconds);
    r->extras_len = 4;
    return rc;
}

kv_status kv__cb_unlock(kv__cb_request *r, const void *key, size_t key_len, uint16_t vbucket,
                        uint64_t cas, char *errbuf, size_t errbuf_len)
{
    kv_status rc = start_keyed(r, KV__CB_OP_UNLOCK_KEY, key, key_len, vbucket, errbuf, errbuf_len);
    if (rc == KV_OK && cas == 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                               "unlock needs the CAS the lock returned");
    r->cas = cas;
    return rc;
}

kv_status kv__cb_observe(kv__cb_request *r, const kv__cb_observe_key *keys, size_t nkeys,
                         char *errbuf, size_t errbuf_len)
{
    start(r, KV__CB_OP_OBSERVE, 0);
    if (nkeys == 0 || nkeys > OBSERVE_KEYS_MAX)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                               "OBSERVE takes 1..%d keys, not %zu", OBSERVE_KEYS_MAX, nkeys);
    size_t len = 0;
    for (size_t i = 0; i < nkeys; i++) {
        if (keys[i].key_len == 0 || keys[i].key_len > KV_KEY_MAX)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                                   "a key must be 1..%d bytes, not %zu", KV_KEY_MAX,
                                   keys[i].key_len);
        len += 4 + keys[i].key_len;
    }
    uint8_t *w = r->owned = kv__xcalloc(1, len);
    for (size_t i = 0; i < nkeys; i++) {
        kv__mcbp_put16(w, keys[i].vbucket);
        kv__mcbp_put16(w + 2, (uint16_t)keys[i].key_len);
        memcpy(w + 4, keys[i].key, keys[i].key_len);
        w += 4 + keys[i].key_len;
    }
    r->value = r->owned;
    r->value_len = len;
    return KV_OK;
}

/* "NAME":"<base64 of DATA>" into OUT; returns the length. */
static size_t put_b64_field(char *out, const char *name, const uint8_t *data, size_t len)
{
    size_t b64_len;
    char *b64 = kv_base64_encode(data, len, &b64_len);
    if (!b64)
        kv__out_of_memory();
    size_t n = (size_t)sprintf(out, "\"%s\":\"%s\"", name, b64);
    free(b64);
    return n;
}

kv_status kv__cb_range_scan_create(kv__cb_request *r, uint16_t vbucket, const void *start_key,
                                   size_t start_len, const void *end_key, size_t end_len,
                                   char *errbuf, size_t errbuf_len)
{
    static const uint8_t lowest[1] = {0x00};
    uint8_t highest[KV_KEY_MAX];
    memset(highest, 0xff, sizeof highest);
    if (!start_key)
        start_key = lowest, start_len = sizeof lowest;
    if (!end_key)
        end_key = highest, end_len = sizeof highest;
    start(r, KV__CB_OP_RANGE_SCAN_CREATE, vbucket);
    if (start_len == 0 || start_len > KV_KEY_MAX || end_len == 0 || end_len > KV_KEY_MAX)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                               "RangeScan bounds must be 1..%d bytes", KV_KEY_MAX);
    char *json = kv__xcalloc(1, 64 + 2 * (4 * (KV_KEY_MAX + 2) / 3 + 16));
    size_t n = (size_t)sprintf(json, "{\"key_only\":true,\"range\":{");
    n += put_b64_field(json + n, "start", start_key, start_len);
    json[n++] = ',';
    n += put_b64_field(json + n, "end", end_key, end_len);
    n += (size_t)sprintf(json + n, "}}");
    r->datatype = KV__CB_DATATYPE_JSON;
    r->owned = (uint8_t *)json;
    r->value = r->owned;
    r->value_len = n;
    return KV_OK;
}

void kv__cb_range_scan_continue(kv__cb_request *r, uint16_t vbucket,
                                const uint8_t uuid[KV__CB_SCAN_UUID_LEN], uint32_t item_limit,
                                uint32_t time_limit_ms, uint32_t byte_limit)
{
    start(r, KV__CB_OP_RANGE_SCAN_CONTINUE, vbucket);
    memcpy(r->extras, uuid, KV__CB_SCAN_UUID_LEN);
    kv__mcbp_put32(r->extras + 16, item_limit);
    kv__mcbp_put32(r->extras + 20, time_limit_ms);
    kv__mcbp_put32(r->extras + 24, byte_limit);
    r->extras_len = 28;
}

void kv__cb_range_scan_cancel(kv__cb_request *r, uint16_t vbucket,
                              const uint8_t uuid[KV__CB_SCAN_UUID_LEN])
{
    start(r, KV__CB_OP_RANGE_SCAN_CANCEL, vbucket);
    memcpy(r->extras, uuid, KV__CB_SCAN_UUID_LEN);
    r->extras_len = KV__CB_SCAN_UUID_LEN;
}

kv_status kv__cb_hello_parse(const kv__mcbp_packet *p, uint64_t *features, char *errbuf,
                             size_t errbuf_len)
{
    *features = 0;
    if (p->status != KV__MCBP_STATUS_SUCCESS)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_NOT_SUPPORTED,
                               "HELLO answered %s: not a Couchbase server",
                               kv__cb_status_name(p->status));
    if (p->value_len % 2)
        return BAD_REPLY(errbuf, errbuf_len, "HELLO reply has an odd length (%u)", p->value_len);
    for (uint32_t i = 0; i < p->value_len; i += 2) {
        uint16_t code = kv__mcbp_get16(p->value + i);
        if (code < 64)
            *features |= (uint64_t)1 << code;
    }
    return KV_OK;
}

kv_status kv__cb_meta_parse(const kv__mcbp_packet *p, kv__cb_meta *meta, char *errbuf,
                            size_t errbuf_len)
{
    memset(meta, 0, sizeof *meta);
    if (p->extras_len != 20 && p->extras_len != 21)
        return BAD_REPLY(errbuf, errbuf_len, "GET_META reply has %u bytes of extras, not 20 or 21",
                         p->extras_len);
    meta->deleted = kv__mcbp_get32(p->extras) != 0;
    meta->flags = kv__mcbp_get32(p->extras + 4);
    meta->expiry = kv__mcbp_get32(p->extras + 8);
    meta->seqno = kv__mcbp_get64(p->extras + 12);
    meta->cas = p->cas;
    meta->has_datatype = p->extras_len == 21;
    meta->datatype = meta->has_datatype ? p->extras[20] : 0;
    return KV_OK;
}

kv_status kv__cb_value_parse(const kv__mcbp_packet *p, uint32_t *flags, char *errbuf,
                             size_t errbuf_len)
{
    *flags = 0;
    if (p->extras_len != 4)
        return BAD_REPLY(errbuf, errbuf_len, "%s reply has %u bytes of extras, not 4 (flags)",
                         p->opcode == KV__CB_OP_GET_REPLICA  ? "GET_REPLICA"
                         : p->opcode == KV__CB_OP_GET_LOCKED ? "GET_LOCKED"
                                                             : "GET",
                         p->extras_len);
    *flags = kv__mcbp_get32(p->extras);
    return KV_OK;
}

void kv__cb_observe_iter_init(kv__cb_observe_iter *it, const kv__mcbp_packet *p)
{
    it->at = p->value;
    it->left = p->value_len;
}

int kv__cb_observe_next(kv__cb_observe_iter *it, kv__cb_observe_entry *entry, char *errbuf,
                        size_t errbuf_len)
{
    if (it->left == 0)
        return 0;
    uint16_t key_len = it->left >= 4 ? kv__mcbp_get16(it->at + 2) : 0;
    size_t need = 4 + (size_t)key_len + 1 + 8;
    if (it->left < need) {
        kv_error_printf(errbuf, errbuf_len, KV_ERR_NETWORK,
                        "OBSERVE reply: an entry needs %zu bytes, %zu are left", need, it->left);
        return -1;
    }
    entry->vbucket = kv__mcbp_get16(it->at);
    entry->key_len = key_len;
    entry->key = it->at + 4;
    entry->state = it->at[4 + key_len];
    entry->cas = kv__mcbp_get64(it->at + 5 + key_len);
    it->at += need;
    it->left -= need;
    return 1;
}

kv_status kv__cb_range_scan_uuid(const kv__mcbp_packet *p, uint8_t uuid[KV__CB_SCAN_UUID_LEN],
                                 char *errbuf, size_t errbuf_len)
{
    if (p->value_len != KV__CB_SCAN_UUID_LEN)
        return BAD_REPLY(errbuf, errbuf_len,
                         "RANGE_SCAN_CREATE reply has %u bytes, not a %d-byte "
                         "scan id",
                         p->value_len, KV__CB_SCAN_UUID_LEN);
    memcpy(uuid, p->value, KV__CB_SCAN_UUID_LEN);
    return KV_OK;
}

static kv__cb_scan_state scan_state_of(uint16_t status)
{
    switch (status) {
    case KV__MCBP_STATUS_SUCCESS:
        return KV__CB_SCAN_PART;
    case KV__CB_STATUS_RANGE_SCAN_MORE:
        return KV__CB_SCAN_MORE;
    case KV__CB_STATUS_RANGE_SCAN_COMPLETE:
        return KV__CB_SCAN_COMPLETE;
    default:
        return KV__CB_SCAN_FAILED;
    }
}

kv_status kv__cb_range_scan_reply(const kv__mcbp_packet *p, kv__cb_scan_state *state,
                                  kv__cb_scan_keys *keys, char *errbuf, size_t errbuf_len)
{
    *state = scan_state_of(p->status);
    keys->at = NULL;
    keys->left = 0;
    if (*state == KV__CB_SCAN_FAILED || (p->extras_len == 0 && p->value_len == 0))
        return KV_OK;
    if (p->extras_len != 4)
        return BAD_REPLY(errbuf, errbuf_len,
                         "RANGE_SCAN_CONTINUE reply has %u bytes of extras, not 4", p->extras_len);
    uint32_t format = kv__mcbp_get32(p->extras);
    if (format != 0)
        return BAD_REPLY(errbuf, errbuf_len,
                         "RANGE_SCAN_CONTINUE reply carries documents (format %u), not keys",
                         format);
    keys->at = p->value;
    keys->left = p->value_len;
    return KV_OK;
}

/* An unsigned LEB128 of at most 5 bytes (a u32) from IN; the bytes used, or 0 when truncated or
 * longer. */
static size_t leb128_u32(const uint8_t *in, size_t len, uint32_t *value)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len && i < 5; i++) {
        v |= (uint64_t)(in[i] & 0x7f) << (7 * i);
        if (!(in[i] & 0x80)) {
            if (v > UINT32_MAX)
                return 0;
            *value = (uint32_t)v;
            return i + 1;
        }
    }
    return 0;
}

int kv__cb_scan_keys_next(kv__cb_scan_keys *keys, const uint8_t **key, size_t *key_len,
                          char *errbuf, size_t errbuf_len)
{
    if (keys->left == 0)
        return 0;
    uint32_t len = 0;
    size_t used = leb128_u32(keys->at, keys->left, &len);
    if (used == 0 || len == 0 || len > KV_KEY_MAX || len > keys->left - used) {
        kv_error_printf(errbuf, errbuf_len, KV_ERR_NETWORK,
                        "RangeScan reply: a key length (%u) is bad or runs past the reply", len);
        return -1;
    }
    *key = keys->at + used;
    *key_len = len;
    keys->at += used + len;
    keys->left -= used + len;
    return 1;
}

static const struct {
    const char *name;
    uint32_t bit;
} error_attr_names[] = {
    {"temp", KV__CB_ERRATTR_TEMP},
    {"auth", KV__CB_ERRATTR_AUTH},
    {"item-locked", KV__CB_ERRATTR_ITEM_LOCKED},
    {"item-deleted", KV__CB_ERRATTR_ITEM_DELETED},
    {"invalid-input", KV__CB_ERRATTR_INVALID_INPUT},
    {"fetch-config", KV__CB_ERRATTR_FETCH_CONFIG},
    {"conn-state-invalidated", KV__CB_ERRATTR_CONN_STATE_INVALIDATED},
    {"support", KV__CB_ERRATTR_SUPPORT},
    {"retry-now", KV__CB_ERRATTR_RETRY_NOW},
    {"retry-later", KV__CB_ERRATTR_RETRY_LATER},
    {"internal", KV__CB_ERRATTR_INTERNAL},
    {"success", KV__CB_ERRATTR_SUCCESS},
};

static uint32_t error_attr_bit(const char *name)
{
    for (size_t i = 0; i < sizeof error_attr_names / sizeof error_attr_names[0]; i++)
        if (strcmp(name, error_attr_names[i].name) == 0)
            return error_attr_names[i].bit;
    return 0;
}

static uint32_t error_attrs(const cJSON *list)
{
    uint32_t attrs = 0;
    const cJSON *item;
    if (!cJSON_IsArray(list))
        return 0;
    cJSON_ArrayForEach(item, list)
    {
        if (cJSON_IsString(item))
            attrs |= error_attr_bit(item->valuestring);
    }
    return attrs;
}

/* An error-map code: 1..4 hex digits. */
static bool error_code(const char *text, uint16_t *code)
{
    size_t len = strlen(text);
    unsigned value = 0;
    if (len == 0 || len > 4)
        return false;
    for (size_t i = 0; i < len; i++) {
        int digit = kv_hex_digit((unsigned char)text[i]);
        if (digit < 0)
            return false;
        value = value << 4 | (unsigned)digit;
    }
    *code = (uint16_t)value;
    return true;
}

static void copy_printable(char *out, size_t cap, const char *text)
{
    size_t n = 0;
    for (; text[n] && n + 1 < cap; n++)
        out[n] = text[n] >= 0x20 && text[n] < 0x7f ? text[n] : '?';
    out[n] = '\0';
}

static int by_code(const void *a, const void *b)
{
    const kv__cb_error_entry *x = a, *y = b;
    return (int)x->code - (int)y->code;
}

/* One entry per code: a map with duplicates is odd, and any one of them will do. */
static void drop_duplicate_codes(kv__cb_error_map *map)
{
    size_t kept = 0;
    for (size_t i = 0; i < map->count; i++)
        if (kept == 0 || map->entries[kept - 1].code != map->entries[i].code)
            map->entries[kept++] = map->entries[i];
    map->count = kept;
}

static void error_map_entries(kv__cb_error_map *map, const cJSON *errors)
{
    size_t cap = (size_t)cJSON_GetArraySize(errors);
    map->entries = kv__xcalloc(cap ? cap : 1, sizeof *map->entries);
    const cJSON *item;
    cJSON_ArrayForEach(item, errors)
    {
        kv__cb_error_entry *e = &map->entries[map->count];
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "name");
        if (!item->string || !error_code(item->string, &e->code) || !cJSON_IsObject(item))
            continue;
        copy_printable(e->name, sizeof e->name, cJSON_IsString(name) ? name->valuestring : "");
        e->attrs = error_attrs(cJSON_GetObjectItemCaseSensitive(item, "attrs"));
        map->count++;
    }
    qsort(map->entries, map->count, sizeof *map->entries, by_code);
    drop_duplicate_codes(map);
}

kv_status kv__cb_error_map_parse(const uint8_t *json, size_t len, kv__cb_error_map *map,
                                 char *errbuf, size_t errbuf_len)
{
    memset(map, 0, sizeof *map);
    cJSON *root = cJSON_ParseWithLength((const char *)json, len);
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *revision = cJSON_GetObjectItemCaseSensitive(root, "revision");
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
    kv_status rc = KV_OK;
    if (!cJSON_IsObject(root) || !cJSON_IsNumber(version) || !cJSON_IsNumber(revision) ||
        !cJSON_IsObject(errors) || cJSON_GetArraySize(errors) > 65536)
        rc = BAD_REPLY(errbuf, errbuf_len,
                       "error map: not JSON with version, revision and "
                       "errors (%zu bytes)",
                       len);
    else {
        map->version = version->valueint;
        map->revision = revision->valueint;
        error_map_entries(map, errors);
    }
    cJSON_Delete(root);
    return rc;
}

void kv__cb_error_map_free(kv__cb_error_map *map)
{
    free(map->entries);
    memset(map, 0, sizeof *map);
}

const kv__cb_error_entry *kv__cb_error_map_find(const kv__cb_error_map *map, uint16_t code)
{
    kv__cb_error_entry key = {.code = code};
    if (!map || map->count == 0)
        return NULL;
    return bsearch(&key, map->entries, map->count, sizeof *map->entries, by_code);
}

typedef struct cb_status_row {
    uint16_t code;
    kv_status status;
    const char *name;
} cb_status_row;

/* The codes Couchbase adds to the shared table of mcbp_codec.c (protocol.md 1.3). */
static const cb_status_row cb_status_rows[] = {
    {KV__CB_STATUS_CAS_VALUE_INVALID, KV_ERR_KEY_EXISTS, "CAS_VALUE_INVALID"},
    {0x0080, KV_ERR_NOT_SUPPORTED, "UNKNOWN_FRAME_INFO"},
    {0x0087, KV_ERR_ARGUMENT, "XATTR_EINVAL"},
    {KV__CB_STATUS_UNKNOWN_COLLECTION, KV_ERR_ARGUMENT, "UNKNOWN_COLLECTION"},
    {KV__CB_STATUS_UNKNOWN_SCOPE, KV_ERR_ARGUMENT, "UNKNOWN_SCOPE"},
    {KV__CB_STATUS_SYNC_WRITE_RECOMMIT, KV_ERR_TEMPORARY_FAIL, "SYNC_WRITE_RECOMMIT_IN_PROGRESS"},
    {KV__CB_STATUS_RANGE_SCAN_CANCELLED, KV_ERR_CANCELLED, "RANGE_SCAN_CANCELLED"},
    {KV__CB_STATUS_RANGE_SCAN_MORE, KV_OK, "RANGE_SCAN_MORE"},
    {KV__CB_STATUS_RANGE_SCAN_COMPLETE, KV_OK, "RANGE_SCAN_COMPLETE"},
    {KV__CB_STATUS_VB_UUID_NOT_EQUAL, KV_ERR_TEMPORARY_FAIL, "VB_UUID_NOT_EQUAL"},
    {0x0050, KV_ERR_TEMPORARY_FAIL, "BUCKET_PAUSED"},
    {0x0051, KV_ERR_TEMPORARY_FAIL, "CANCELLED"},
};

static const cb_status_row *cb_status_row_of(uint16_t code)
{
    for (size_t i = 0; i < sizeof cb_status_rows / sizeof cb_status_rows[0]; i++)
        if (cb_status_rows[i].code == code)
            return &cb_status_rows[i];
    return NULL;
}

const char *kv__cb_status_name(uint16_t status)
{
    const cb_status_row *row = cb_status_row_of(status);
    if (row)
        return row->name;
    if (status >= 0x30 && status <= 0x38)
        return "RATE_LIMITED";
    if (status >= 0xc0 && status <= 0xd8)
        return "SUBDOC_ERROR";
    return kv__mcbp_status_name(status);
}

static bool is_overwrite(uint8_t opcode)
{
    switch (opcode) {
    case KV__MCBP_OP_SET:
    case KV__MCBP_OP_SETQ:
    case KV__MCBP_OP_REPLACE:
    case KV__MCBP_OP_REPLACEQ:
    case KV__MCBP_OP_DELETE:
    case KV__MCBP_OP_DELETEQ:
        return true;
    default:
        return false;
    }
}

/* An unknown code, judged by the attributes the server's error map gives it. */
static kv_status status_from_attrs(uint32_t attrs)
{
    if (attrs & KV__CB_ERRATTR_SUCCESS)
        return KV_OK;
    if (attrs & KV__CB_ERRATTR_AUTH)
        return KV_ERR_AUTH;
    if (attrs & (KV__CB_ERRATTR_TEMP | KV__CB_ERRATTR_ITEM_LOCKED | KV__CB_ERRATTR_RETRY_NOW |
                 KV__CB_ERRATTR_RETRY_LATER))
        return KV_ERR_TEMPORARY_FAIL;
    if (attrs & KV__CB_ERRATTR_ITEM_DELETED)
        return KV_ERR_NOT_FOUND;
    if (attrs & KV__CB_ERRATTR_INVALID_INPUT)
        return KV_ERR_ARGUMENT;
    if (attrs & KV__CB_ERRATTR_SUPPORT)
        return KV_ERR_NOT_SUPPORTED;
    return KV_ERR_INTERNAL;
}

kv_status kv__cb_status_to_kv(uint16_t status, uint8_t opcode, const kv__cb_error_map *map)
{
    if (status == KV__MCBP_STATUS_LOCKED)
        return is_overwrite(opcode) ? KV_ERR_KEY_EXISTS : KV_ERR_TEMPORARY_FAIL;
    const cb_status_row *row = cb_status_row_of(status);
    if (row)
        return row->status;
    if (status >= 0x30 && status <= 0x38)
        return KV_ERR_TEMPORARY_FAIL;
    if (strcmp(kv__mcbp_status_name(status), "UNKNOWN") != 0)
        return kv__mcbp_status_to_kv(status);
    const kv__cb_error_entry *entry = kv__cb_error_map_find(map, status);
    return entry ? status_from_attrs(entry->attrs) : KV_ERR_INTERNAL;
}

static bool closes_without_xerror(uint16_t status)
{
    switch (status) {
    case KV__MCBP_STATUS_EACCESS:
    case KV__MCBP_STATUS_NO_BUCKET:
    case KV__MCBP_STATUS_AUTH_STALE:
    case KV__MCBP_STATUS_DURABILITY_INVALID_LEVEL:
    case KV__MCBP_STATUS_DURABILITY_IMPOSSIBLE:
    case KV__MCBP_STATUS_SYNC_WRITE_AMBIGUOUS:
    case KV__CB_STATUS_RANGE_SCAN_CANCELLED:
    case KV__CB_STATUS_RANGE_SCAN_MORE:
    case KV__CB_STATUS_RANGE_SCAN_COMPLETE:
    case KV__CB_STATUS_VB_UUID_NOT_EQUAL:
        return true;
    default:
        return false;
    }
}

uint16_t kv__cb_status_without_xerror(uint16_t status, uint8_t opcode, bool *disconnect)
{
    *disconnect = closes_without_xerror(status);
    switch (status) {
    case KV__MCBP_STATUS_LOCKED:
        return opcode == KV__CB_OP_GET_LOCKED || opcode == KV__CB_OP_UNLOCK_KEY
                   ? KV__MCBP_STATUS_ETMPFAIL
                   : KV__MCBP_STATUS_KEY_EEXISTS;
    case KV__MCBP_STATUS_NOT_LOCKED:
    case KV__MCBP_STATUS_SYNC_WRITE_IN_PROGRESS:
    case KV__CB_STATUS_SYNC_WRITE_RECOMMIT:
        return KV__MCBP_STATUS_ETMPFAIL;
    case KV__CB_STATUS_CAS_VALUE_INVALID:
        return KV__MCBP_STATUS_KEY_EEXISTS;
    case KV__CB_STATUS_UNKNOWN_COLLECTION:
    case KV__CB_STATUS_UNKNOWN_SCOPE:
        return KV__MCBP_STATUS_EINVAL;
    default:
        return status;
    }
}

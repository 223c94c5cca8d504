/* Couchbase requests on top of kv__mcbp: the builders of cb_internal.h (protocol.md section 2). */
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

/* Couchbase replies: the parsers of cb_internal.h. Every length is checked against the frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_internal.h"
#include "util_alloc.h"

#define BAD_REPLY(errbuf, len, ...) kv_error_printf(errbuf, len, KV_ERR_NETWORK, __VA_ARGS__)

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

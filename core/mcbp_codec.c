/* The memcached binary protocol: request encoding, frame decoding and status codes (mcbp.h). */
#include <string.h>

#include "mcbp.h"

uint16_t kv__mcbp_get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

uint32_t kv__mcbp_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t kv__mcbp_get64(const uint8_t *p)
{
    return (uint64_t)kv__mcbp_get32(p) << 32 | kv__mcbp_get32(p + 4);
}

void kv__mcbp_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void kv__mcbp_put32(uint8_t *p, uint32_t v)
{
    kv__mcbp_put16(p, (uint16_t)(v >> 16));
    kv__mcbp_put16(p + 2, (uint16_t)v);
}

void kv__mcbp_put64(uint8_t *p, uint64_t v)
{
    kv__mcbp_put32(p, (uint32_t)(v >> 32));
    kv__mcbp_put32(p + 4, (uint32_t)v);
}

size_t kv__mcbp_request_size(const kv__mcbp_request *r)
{
    uint64_t body = (uint64_t)r->extras_len + r->key_len + (uint64_t)r->value_len;
    return body > UINT32_MAX ? 0 : KV__MCBP_HEADER_LEN + (size_t)body;
}

static uint8_t *put_bytes(uint8_t *out, const uint8_t *data, size_t len)
{
    if (len)
        memcpy(out, data, len);
    return out + len;
}

size_t kv__mcbp_encode(const kv__mcbp_request *r, uint8_t *out, size_t cap)
{
    size_t size = kv__mcbp_request_size(r);
    if (size == 0 || size > cap)
        return 0;
    out[0] = KV__MCBP_MAGIC_REQUEST;
    out[1] = r->opcode;
    kv__mcbp_put16(out + 2, r->key_len);
    out[4] = r->extras_len;
    out[5] = r->datatype;
    kv__mcbp_put16(out + 6, r->vbucket);
    kv__mcbp_put32(out + 8, (uint32_t)(size - KV__MCBP_HEADER_LEN));
    kv__mcbp_put32(out + 12, r->opaque);
    kv__mcbp_put64(out + 16, r->cas);
    uint8_t *p = out + KV__MCBP_HEADER_LEN;
    p = put_bytes(p, r->extras, r->extras_len);
    p = put_bytes(p, r->key, r->key_len);
    put_bytes(p, r->value, r->value_len);
    return size;
}

void kv__mcbp_store_extras(uint8_t out[8], uint32_t flags, uint32_t expiry)
{
    kv__mcbp_put32(out, flags);
    kv__mcbp_put32(out + 4, expiry);
}

void kv__mcbp_arith_extras(uint8_t out[20], uint64_t delta, uint64_t initial, uint32_t expiry)
{
    kv__mcbp_put64(out, delta);
    kv__mcbp_put64(out + 8, initial);
    kv__mcbp_put32(out + 16, expiry);
}

void kv__mcbp_expiry_extras(uint8_t out[4], uint32_t expiry)
{
    kv__mcbp_put32(out, expiry);
}

static bool server_magic(uint8_t magic)
{
    return magic == KV__MCBP_MAGIC_RESPONSE || magic == KV__MCBP_MAGIC_ALT_RESPONSE ||
           magic == KV__MCBP_MAGIC_SERVER_REQUEST;
}

/* Fill the header fields of PACKET; the alternative magic has a 1-byte key length after the
 * framing-extras length. */
static void decode_header(const uint8_t *buf, kv__mcbp_packet *p)
{
    memset(p, 0, sizeof *p);
    p->magic = buf[0];
    p->opcode = buf[1];
    if (p->magic == KV__MCBP_MAGIC_ALT_RESPONSE) {
        p->framing_len = buf[2];
        p->key_len = buf[3];
    } else {
        p->key_len = kv__mcbp_get16(buf + 2);
    }
    p->extras_len = buf[4];
    p->datatype = buf[5];
    p->status = kv__mcbp_get16(buf + 6);
    p->body_len = kv__mcbp_get32(buf + 8);
    p->opaque = kv__mcbp_get32(buf + 12);
    p->cas = kv__mcbp_get64(buf + 16);
}

static kv__mcbp_decoded bad(const char **why, const char *text)
{
    *why = text;
    return KV__MCBP_BAD;
}

kv__mcbp_decoded kv__mcbp_decode(const uint8_t *buf, size_t len, kv__mcbp_packet *p, size_t *used,
                                 const char **why)
{
    *why = NULL;
    *used = KV__MCBP_HEADER_LEN;
    if (len >= 1 && !server_magic(buf[0]))
        return bad(why, "bad magic byte (not a memcached binary protocol response)");
    if (len < KV__MCBP_HEADER_LEN)
        return KV__MCBP_NEED_MORE;
    decode_header(buf, p);
    if (p->body_len > KV__MCBP_BODY_MAX)
        return bad(why, "response body larger than 20 MiB");
    uint32_t fixed = (uint32_t)p->framing_len + p->extras_len + p->key_len;
    if (fixed > p->body_len)
        return bad(why, "response lengths do not add up");
    *used = KV__MCBP_HEADER_LEN + (size_t)p->body_len;
    if (len < *used)
        return KV__MCBP_NEED_MORE;
    const uint8_t *body = buf + KV__MCBP_HEADER_LEN;
    p->framing = body;
    p->extras = body + p->framing_len;
    p->key = p->extras + p->extras_len;
    p->value = p->key + p->key_len;
    p->value_len = p->body_len - fixed;
    return KV__MCBP_FRAME;
}

typedef struct status_row {
    uint16_t code;
    kv_status status;
    const char *name;
} status_row;

static const status_row status_rows[] = {
    {KV__MCBP_STATUS_SUCCESS, KV_OK, "SUCCESS"},
    {KV__MCBP_STATUS_KEY_ENOENT, KV_ERR_NOT_FOUND, "KEY_ENOENT"},
    {KV__MCBP_STATUS_KEY_EEXISTS, KV_ERR_KEY_EXISTS, "KEY_EEXISTS"},
    {KV__MCBP_STATUS_E2BIG, KV_ERR_TOO_BIG, "E2BIG"},
    {KV__MCBP_STATUS_EINVAL, KV_ERR_ARGUMENT, "EINVAL"},
    {KV__MCBP_STATUS_NOT_STORED, KV_ERR_NOT_STORED, "NOT_STORED"},
    {KV__MCBP_STATUS_DELTA_BADVAL, KV_ERR_DELTA_BADVAL, "DELTA_BADVAL"},
    {KV__MCBP_STATUS_NOT_MY_VBUCKET, KV_ERR_TEMPORARY_FAIL, "NOT_MY_VBUCKET"},
    {KV__MCBP_STATUS_NO_BUCKET, KV_ERR_NOT_SUPPORTED, "NO_BUCKET"},
    {KV__MCBP_STATUS_LOCKED, KV_ERR_TEMPORARY_FAIL, "LOCKED"},
    {KV__MCBP_STATUS_NOT_LOCKED, KV_ERR_TEMPORARY_FAIL, "NOT_LOCKED"},
    {KV__MCBP_STATUS_AUTH_STALE, KV_ERR_AUTH, "AUTH_STALE"},
    {KV__MCBP_STATUS_AUTH_ERROR, KV_ERR_AUTH, "AUTH_ERROR"},
    {KV__MCBP_STATUS_AUTH_CONTINUE, KV_ERR_AUTH, "AUTH_CONTINUE"},
    {KV__MCBP_STATUS_ERANGE, KV_ERR_ARGUMENT, "ERANGE"},
    {KV__MCBP_STATUS_EACCESS, KV_ERR_AUTH, "EACCESS"},
    {KV__MCBP_STATUS_NOT_INITIALIZED, KV_ERR_TEMPORARY_FAIL, "NOT_INITIALIZED"},
    {KV__MCBP_STATUS_UNKNOWN_COMMAND, KV_ERR_NOT_SUPPORTED, "UNKNOWN_COMMAND"},
    {KV__MCBP_STATUS_ENOMEM, KV_ERR_TEMPORARY_FAIL, "ENOMEM"},
    {KV__MCBP_STATUS_NOT_SUPPORTED, KV_ERR_NOT_SUPPORTED, "NOT_SUPPORTED"},
    {KV__MCBP_STATUS_EINTERNAL, KV_ERR_INTERNAL, "EINTERNAL"},
    {KV__MCBP_STATUS_EBUSY, KV_ERR_TEMPORARY_FAIL, "EBUSY"},
    {KV__MCBP_STATUS_ETMPFAIL, KV_ERR_TEMPORARY_FAIL, "ETMPFAIL"},
    {KV__MCBP_STATUS_DURABILITY_INVALID_LEVEL, KV_ERR_ARGUMENT, "DURABILITY_INVALID_LEVEL"},
    {KV__MCBP_STATUS_DURABILITY_IMPOSSIBLE, KV_ERR_DURABILITY_IMPOSSIBLE, "DURABILITY_IMPOSSIBLE"},
    {KV__MCBP_STATUS_SYNC_WRITE_IN_PROGRESS, KV_ERR_TEMPORARY_FAIL, "SYNC_WRITE_IN_PROGRESS"},
    {KV__MCBP_STATUS_SYNC_WRITE_AMBIGUOUS, KV_ERR_TIMEOUT, "SYNC_WRITE_AMBIGUOUS"},
};

static const status_row *status_row_of(uint16_t code)
{
    for (size_t i = 0; i < sizeof status_rows / sizeof status_rows[0]; i++)
        if (status_rows[i].code == code)
            return &status_rows[i];
    return NULL;
}

const char *kv__mcbp_status_name(uint16_t code)
{
    const status_row *row = status_row_of(code);
    return row ? row->name : "UNKNOWN";
}

kv_status kv__mcbp_status_to_kv(uint16_t code)
{
    const status_row *row = status_row_of(code);
    return row ? row->status : KV_ERR_INTERNAL;
}

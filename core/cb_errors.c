/* Couchbase errors: the error map (protocol.md 2.15) and what each status means to a user. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_internal.h"
#include "util_alloc.h"
#include "util_text.h"

#define BAD_REPLY(errbuf, len, ...) kv_error_printf(errbuf, len, KV_ERR_NETWORK, __VA_ARGS__)

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
        const char *text = cJSON_IsString(name) ? name->valuestring : "";
        kv__printable(e->name, sizeof e->name, text, strlen(text), sizeof e->name);
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

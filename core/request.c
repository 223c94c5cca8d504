/* Requests and results: construction, ownership, and the argument rules every backend shares. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kv.h"

static const char *const op_names[KV_OP_COUNT] = {
    [KV_OP_GET] = "get",         [KV_OP_INSERT] = "insert", [KV_OP_UPSERT] = "upsert",
    [KV_OP_REPLACE] = "replace", [KV_OP_REMOVE] = "remove", [KV_OP_TOUCH] = "touch",
    [KV_OP_COUNTER] = "counter", [KV_OP_APPEND] = "append", [KV_OP_PREPEND] = "prepend",
    [KV_OP_LOCK] = "lock",       [KV_OP_UNLOCK] = "unlock",
};

const char *kv_op_name(kv_op op)
{
    return (unsigned)op < KV_OP_COUNT ? op_names[op] : "unknown";
}

/* Lock and unlock change what others may do, so they count as mutations (read-only refuses them). */
bool kv_op_is_mutation(kv_op op)
{
    return op != KV_OP_GET;
}

int64_t kv_now(void)
{
    return (int64_t)time(NULL);
}

kv_status kv_key_check(const char *key, size_t key_len)
{
    return key && key_len >= 1 && key_len <= KV_KEY_MAX ? KV_OK : KV_ERR_ARGUMENT;
}

kv_status kv_ttl_to_expiry(int64_t ttl, int64_t now, int64_t *expiry)
{
    if (ttl < 0 || ttl > (int64_t)UINT32_MAX)
        return KV_ERR_ARGUMENT;
    *expiry = ttl == 0 ? 0 : ttl <= KV_TTL_RELATIVE_MAX ? now + ttl : ttl;
    return KV_OK;
}

kv_request *kv_request_new(kv_op op, const char *key, size_t key_len)
{
    kv_request *request = calloc(1, sizeof *request);
    if (!request)
        return NULL;
    request->op = op;
    request->format = KV_FORMAT_UTF8;
    /* An over-long key keeps its true length so kv_request_check can refuse it. */
    request->key_len = key_len;
    memcpy(request->key, key, key_len <= KV_KEY_MAX ? key_len : KV_KEY_MAX);
    return request;
}

void kv_request_set_value(kv_request *request, const void *value, size_t len)
{
    free(request->value);
    request->value = malloc(len ? len : 1);
    if (len)
        memcpy(request->value, value, len);
    request->value_len = len;
}

void kv_request_free(kv_request *request)
{
    if (!request)
        return;
    free(request->value);
    free(request);
}

void kv_result_clear(kv_result *result)
{
    free(result->value);
    result->value = NULL;
    result->value_len = 0;
}

static kv_status check_ttl_and_durability(const kv_request *r, char *errbuf, size_t errbuf_len)
{
    int64_t expiry;
    if (r->has_ttl && kv_ttl_to_expiry(r->ttl, kv_now(), &expiry) != KV_OK)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                      "TTL %lld is out of range (0 to 4294967295 seconds)", (long long)r->ttl);
    if (r->persist_to < -1 || r->replicate_to < -1)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                      "persist_to and replicate_to must be -1 or more");
    return KV_OK;
}

/* The per-operation rules of DESIGN.md section 4 that need no store to check. */
static kv_status check_op_rules(const kv_request *r, char *errbuf, size_t errbuf_len)
{
    if (r->op == KV_OP_LOCK && (!r->has_ttl || r->ttl == 0))
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "lock must have an expiry (--ttl N)");
    if (r->op == KV_OP_UNLOCK && r->cas == 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "unlock needs the lock CAS (--cas C)");
    if (r->op == KV_OP_TOUCH && !r->has_ttl)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "touch needs --ttl N");
    if (r->op == KV_OP_COUNTER && r->has_ttl && !r->has_initial)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                      "counter --ttl only applies to a new counter: give --initial too");
    if (r->op == KV_OP_INSERT && r->cas != 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "insert takes no CAS");
    if ((r->op == KV_OP_APPEND || r->op == KV_OP_PREPEND) && r->format != KV_FORMAT_UTF8 &&
        r->format != KV_FORMAT_BYTES)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                      "%s takes utf8 or bytes fragments, not %s", kv_op_name(r->op),
                      kv_format_name(r->format));
    if (r->value_len > KV_VALUE_MAX)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_TOO_BIG, "value is %zu bytes; the limit is %u",
                      r->value_len, KV_VALUE_MAX);
    return KV_OK;
}

kv_status kv_request_check(const kv_request *r, char *errbuf, size_t errbuf_len)
{
    if (errbuf_len)
        errbuf[0] = '\0';
    if ((unsigned)r->op >= KV_OP_COUNT)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "unknown operation");
    if (kv_key_check(r->key, r->key_len) != KV_OK)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                      r->key_len ? "key is %zu bytes; keys are 1 to 250 bytes"
                                 : "key is empty%.0zu; keys are 1 to 250 bytes",
                      r->key_len);
    kv_status status = check_ttl_and_durability(r, errbuf, errbuf_len);
    return status != KV_OK ? status : check_op_rules(r, errbuf, errbuf_len);
}

/* The operations of DESIGN.md section 4 on the embedded store, each inside a given transaction. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded_internal.h"

/* Messages quote at most this much of a key, so they fit the result's message buffer. */
#define KEY_SHOWN 120
#define KEY_ARGS(r) (int)((r)->key_len < KEY_SHOWN ? (r)->key_len : KEY_SHOWN), (r)->key

typedef kv_status (*op_handler)(kv__txn *t, kv__op *op);

static kv_status store_failed(kv__txn *t, kv__op *op, int rc)
{
    if (!t->rc)
        t->rc = rc;
    return kv__op_fail(op, KV_ERR_INTERNAL, "store error: %s", kv__lmdb_error(rc));
}

static kv_status not_found(kv__op *op)
{
    return kv__op_fail(op, KV_ERR_NOT_FOUND, "key '%.*s' does not exist", KEY_ARGS(op->request));
}

/* Load KEY as readers see it: an expired document is missing (and deleted when T writes). */
static int load_live(kv__txn *t, const kv_request *r, kv__doc *doc)
{
    int rc = kv__doc_get(t, r->key, r->key_len, doc);
    if (rc || !kv__doc_expired(doc, t->now))
        return rc;
    if (t->write && (rc = kv__doc_delete(t, r->key, r->key_len, doc)) != 0)
        return rc;
    return MDB_NOTFOUND;
}

/* Load for an operation that needs the document: 0 when found, else the status is set. */
static kv_status load_existing(kv__txn *t, kv__op *op, kv__doc *doc)
{
    int rc = load_live(t, op->request, doc);
    if (rc == MDB_NOTFOUND)
        return not_found(op);
    return rc ? store_failed(t, op, rc) : KV_OK;
}

/* A locked document takes only mutations carrying the lock CAS; others take a matching CAS. */
static kv_status check_cas(kv__txn *t, kv__op *op, const kv__doc *doc)
{
    const kv_request *r = op->request;
    if (kv__doc_locked(doc, t->now)) {
        if (r->cas == doc->lock_cas)
            return KV_OK;
        return kv__op_fail(op, KV_ERR_KEY_EXISTS, "key '%.*s' is locked", KEY_ARGS(r));
    }
    if (r->cas && r->cas != doc->cas)
        return kv__op_fail(op, KV_ERR_KEY_EXISTS,
                           "key '%.*s' changed: CAS 0x%" PRIx64 " is not the stored 0x%" PRIx64,
                           KEY_ARGS(r), r->cas, doc->cas);
    return KV_OK;
}

static kv_status succeed(kv__op *op, const kv__doc *doc, uint64_t cas)
{
    op->result.status = KV_OK;
    op->result.flags = doc->flags;
    op->result.cas = cas;
    op->result.expiry = doc->expiry;
    return KV_OK;
}

static void copy_value(kv__op *op, const uint8_t *value, size_t len)
{
    op->result.value = malloc(len ? len : 1);
    if (!op->result.value)
        abort();
    if (len)
        memcpy(op->result.value, value, len);
    op->result.value_len = len;
}

/* Write DOC (fresh CAS, lock released) over OLD and report it. */
static kv_status write_doc(kv__txn *t, kv__op *op, const kv__doc *old, kv__doc *doc)
{
    int rc = kv__txn_new_cas(t, &doc->cas);
    doc->lock_cas = 0;
    doc->lock_expiry = 0;
    rc = rc ? rc : kv__doc_write(t, op->request->key, op->request->key_len, old, doc);
    return rc ? store_failed(t, op, rc) : succeed(op, doc, doc->cas);
}

static int64_t expiry_of(const kv__txn *t, int64_t ttl)
{
    int64_t expiry = 0;
    kv_ttl_to_expiry(ttl, t->now, &expiry); /* the range was checked by kv_request_check */
    return expiry;
}

/* insert, upsert and replace. */
static kv_status op_store(kv__txn *t, kv__op *op)
{
    const kv_request *r = op->request;
    kv__doc old;
    int rc = load_live(t, r, &old);
    if (rc && rc != MDB_NOTFOUND)
        return store_failed(t, op, rc);
    bool exists = rc == 0;
    if (r->op == KV_OP_INSERT && exists)
        return kv__op_fail(op, KV_ERR_KEY_EXISTS, "key '%.*s' already exists", KEY_ARGS(r));
    if (!exists && (r->op == KV_OP_REPLACE || r->cas))
        return not_found(op);
    if (exists && check_cas(t, op, &old) != KV_OK)
        return op->result.status;
    kv__doc doc = {.flags = r->flags, .expiry = expiry_of(t, r->ttl), .value = r->value,
                   .value_len = r->value_len};
    return write_doc(t, op, exists ? &old : NULL, &doc);
}

static kv_status op_remove(kv__txn *t, kv__op *op)
{
    kv__doc old;
    if (load_existing(t, op, &old) != KV_OK || check_cas(t, op, &old) != KV_OK)
        return op->result.status;
    uint64_t cas;
    int rc = kv__txn_new_cas(t, &cas);
    rc = rc ? rc : kv__doc_delete(t, op->request->key, op->request->key_len, &old);
    if (rc)
        return store_failed(t, op, rc);
    kv__doc gone = {.flags = old.flags};
    return succeed(op, &gone, cas);
}

/* touch, and get with a TTL (get-and-touch): a new expiry and a new CAS. */
static kv_status op_touch(kv__txn *t, kv__op *op)
{
    kv__doc old;
    if (load_existing(t, op, &old) != KV_OK || check_cas(t, op, &old) != KV_OK)
        return op->result.status;
    /* Copy the value first: the write below may move the record it points into. */
    if (op->request->op == KV_OP_GET)
        copy_value(op, old.value, old.value_len);
    kv__doc doc = old;
    doc.expiry = expiry_of(t, op->request->ttl);
    return write_doc(t, op, &old, &doc);
}

static kv_status op_get(kv__txn *t, kv__op *op)
{
    if (op->request->replica)
        return kv__op_fail(op, KV_ERR_NOT_SUPPORTED, "the embedded store has no replicas");
    if (op->request->has_ttl)
        return op_touch(t, op);
    kv__doc doc;
    if (load_existing(t, op, &doc) != KV_OK)
        return op->result.status;
    copy_value(op, doc.value, doc.value_len);
    return succeed(op, &doc, kv__doc_visible_cas(&doc, t->now));
}

/* ASCII decimal, optionally padded with spaces (memcached pads counters it shrank in place). */
static bool parse_counter(const uint8_t *text, size_t len, uint64_t *out)
{
    while (len && text[len - 1] == ' ')
        len--;
    while (len && *text == ' ')
        text++, len--;
    if (len == 0 || len > 20)
        return false;
    uint64_t value = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned digit = (unsigned)text[i] - '0';
        if (digit > 9 || value > (UINT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

/* Increments wrap at 2^64 (memcached); decrements stop at 0. */
static uint64_t apply_delta(uint64_t value, int64_t delta)
{
    if (delta >= 0)
        return value + (uint64_t)delta;
    uint64_t down = (uint64_t)(-(delta + 1)) + 1;
    return value > down ? value - down : 0;
}

static kv_status counter_write(kv__txn *t, kv__op *op, const kv__doc *old, kv__doc *doc,
                               uint64_t value)
{
    char text[24];
    int len = snprintf(text, sizeof text, "%" PRIu64, value);
    doc->value = (const uint8_t *)text;
    doc->value_len = (size_t)len;
    if (write_doc(t, op, old, doc) != KV_OK)
        return op->result.status;
    op->result.counter = value;
    copy_value(op, (const uint8_t *)text, (size_t)len);
    return KV_OK;
}

static kv_status op_counter(kv__txn *t, kv__op *op)
{
    const kv_request *r = op->request;
    kv__doc old;
    int rc = load_live(t, r, &old);
    if (rc == MDB_NOTFOUND && !r->has_initial)
        return not_found(op);
    if (rc == MDB_NOTFOUND) {
        kv__doc doc = {.flags = 0, .expiry = r->has_ttl ? expiry_of(t, r->ttl) : 0};
        return counter_write(t, op, NULL, &doc, r->initial);
    }
    if (rc)
        return store_failed(t, op, rc);
    if (check_cas(t, op, &old) != KV_OK)
        return op->result.status;
    uint64_t value;
    if (!parse_counter(old.value, old.value_len, &value))
        return kv__op_fail(op, KV_ERR_DELTA_BADVAL, "the value of key '%.*s' is not a number",
                           KEY_ARGS(r));
    kv__doc doc = old;
    return counter_write(t, op, &old, &doc, apply_delta(value, r->delta));
}

static kv_status op_append(kv__txn *t, kv__op *op)
{
    const kv_request *r = op->request;
    kv__doc old;
    int rc = load_live(t, r, &old);
    if (rc == MDB_NOTFOUND)
        return kv__op_fail(op, KV_ERR_NOT_STORED, "key '%.*s' does not exist", KEY_ARGS(r));
    if (rc)
        return store_failed(t, op, rc);
    if (check_cas(t, op, &old) != KV_OK)
        return op->result.status;
    size_t len = old.value_len + r->value_len;
    if (len > KV_VALUE_MAX)
        return kv__op_fail(op, KV_ERR_TOO_BIG, "the result would be %zu bytes; the limit is %u",
                           len, KV_VALUE_MAX);
    uint8_t *joined = malloc(len ? len : 1);
    if (!joined)
        return store_failed(t, op, ENOMEM);
    bool front = r->op == KV_OP_PREPEND;
    memcpy(joined + (front ? r->value_len : 0), old.value, old.value_len);
    memcpy(joined + (front ? 0 : old.value_len), r->value, r->value_len);
    kv__doc doc = old;
    doc.value = joined;
    doc.value_len = len;
    write_doc(t, op, &old, &doc);
    free(joined);
    return op->result.status;
}

/* The lock CAS becomes the document's CAS (as in Couchbase); readers see KV__LOCKED_CAS. */
static kv_status op_lock(kv__txn *t, kv__op *op)
{
    const kv_request *r = op->request;
    kv__doc old;
    if (load_existing(t, op, &old) != KV_OK)
        return op->result.status;
    if (kv__doc_locked(&old, t->now))
        return kv__op_fail(op, KV_ERR_TEMPORARY_FAIL, "key '%.*s' is already locked",
                           KEY_ARGS(r));
    int64_t ttl = r->ttl > 0 ? r->ttl : KV__LOCK_TTL_DEFAULT;
    copy_value(op, old.value, old.value_len); /* before the write moves the record */
    kv__doc doc = old;
    int rc = kv__txn_new_cas(t, &doc.cas);
    doc.lock_cas = doc.cas;
    doc.lock_expiry = t->now + (ttl < KV__LOCK_TTL_MAX ? ttl : KV__LOCK_TTL_MAX);
    rc = rc ? rc : kv__doc_write(t, r->key, r->key_len, &old, &doc);
    return rc ? store_failed(t, op, rc) : succeed(op, &doc, doc.cas);
}

/* Unlocking keeps the CAS (the lock already changed it). */
static kv_status op_unlock(kv__txn *t, kv__op *op)
{
    const kv_request *r = op->request;
    kv__doc old;
    if (load_existing(t, op, &old) != KV_OK)
        return op->result.status;
    if (!kv__doc_locked(&old, t->now))
        return kv__op_fail(op, KV_ERR_TEMPORARY_FAIL, "key '%.*s' is not locked", KEY_ARGS(r));
    if (r->cas != old.lock_cas)
        return kv__op_fail(op, KV_ERR_TEMPORARY_FAIL, "0x%" PRIx64 " is not the lock CAS of '%.*s'",
                           r->cas, KEY_ARGS(r));
    kv__doc doc = old;
    doc.lock_cas = 0;
    doc.lock_expiry = 0;
    int rc = kv__doc_write(t, r->key, r->key_len, &old, &doc);
    return rc ? store_failed(t, op, rc) : succeed(op, &doc, doc.cas);
}

static const op_handler handlers[KV_OP_COUNT] = {
    [KV_OP_GET] = op_get,         [KV_OP_INSERT] = op_store,   [KV_OP_UPSERT] = op_store,
    [KV_OP_REPLACE] = op_store,   [KV_OP_REMOVE] = op_remove,  [KV_OP_TOUCH] = op_touch,
    [KV_OP_COUNTER] = op_counter, [KV_OP_APPEND] = op_append,  [KV_OP_PREPEND] = op_append,
    [KV_OP_LOCK] = op_lock,       [KV_OP_UNLOCK] = op_unlock,
};

bool kv__embedded_op_writes(const kv_request *request)
{
    return request->op != KV_OP_GET || (request->has_ttl && !request->replica);
}

kv_status kv__embedded_apply(kv__txn *t, kv__op *op)
{
    op->result.status = KV_OK;
    return handlers[op->request->op](t, op);
}

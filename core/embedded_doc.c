/* Stored documents and what moves with them: CAS and sequence counters, change log, expiry index. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embedded_internal.h"

#define CHANGE_SET 'S'
#define CHANGE_REMOVED 'R'

void kv__be64_put(uint8_t *out, uint64_t value)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(value >> (56 - 8 * i));
}

uint64_t kv__be64_get(const uint8_t *in)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = value << 8 | in[i];
    return value;
}

static void header_encode(uint8_t *out, const kv__doc *doc)
{
    memset(out, 0, KV__DOC_HEADER_SIZE);
    memcpy(out, &doc->flags, 4);
    memcpy(out + 8, &doc->expiry, 8);
    memcpy(out + 16, &doc->cas, 8);
    memcpy(out + 24, &doc->lock_cas, 8);
    memcpy(out + 32, &doc->lock_expiry, 8);
}

bool kv__doc_decode(const MDB_val *data, kv__doc *doc)
{
    if (data->mv_size < KV__DOC_HEADER_SIZE)
        return false;
    const uint8_t *p = data->mv_data;
    memcpy(&doc->flags, p, 4);
    memcpy(&doc->expiry, p + 8, 8);
    memcpy(&doc->cas, p + 16, 8);
    memcpy(&doc->lock_cas, p + 24, 8);
    memcpy(&doc->lock_expiry, p + 32, 8);
    doc->value = p + KV__DOC_HEADER_SIZE;
    doc->value_len = data->mv_size - KV__DOC_HEADER_SIZE;
    return true;
}

static int docs_cursor(kv__txn *t)
{
    return t->docs_cursor ? 0 : mdb_cursor_open(t->txn, t->env->docs, &t->docs_cursor);
}

int kv__doc_get(kv__txn *t, const char *key, size_t key_len, kv__doc *doc)
{
    MDB_val k = {key_len, (void *)key}, v;
    int rc = docs_cursor(t);
    rc = rc ? rc : mdb_cursor_get(t->docs_cursor, &k, &v, MDB_SET);
    if (rc == 0 && !kv__doc_decode(&v, doc))
        rc = MDB_CORRUPTED;
    return rc;
}

bool kv__doc_expired(const kv__doc *doc, int64_t now)
{
    return doc->expiry != 0 && doc->expiry <= now;
}

bool kv__doc_locked(const kv__doc *doc, int64_t now)
{
    return doc->lock_cas != 0 && doc->lock_expiry > now;
}

uint64_t kv__doc_visible_cas(const kv__doc *doc, int64_t now)
{
    return kv__doc_locked(doc, now) ? KV__LOCKED_CAS : doc->cas;
}

int kv__meta_get_u64(kv__txn *t, const char *name, uint64_t *value)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    int rc = mdb_get(t->txn, t->env->meta, &k, &v);
    if (rc == 0 && v.mv_size != sizeof *value)
        rc = MDB_CORRUPTED;
    if (rc == 0)
        memcpy(value, v.mv_data, sizeof *value);
    return rc;
}

int kv__meta_put_u64(kv__txn *t, const char *name, uint64_t value)
{
    MDB_val k = {strlen(name), (void *)name}, v = {sizeof value, &value};
    return mdb_put(t->txn, t->env->meta, &k, &v, 0);
}

static uint64_t wall_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CAS values are a hybrid logical clock like Couchbase's: max(stored counter, wall clock in ns),
 * then +1 per mutation. They are unique and increasing across processes (writers are serialized
 * by LMDB), never 0, and a re-created store does not hand out the CAS values of the old one. */
int kv__txn_new_cas(kv__txn *t, uint64_t *cas)
{
    if (!t->cas_loaded) {
        uint64_t stored = 0;
        int rc = kv__meta_get_u64(t, "cas", &stored);
        if (rc && rc != MDB_NOTFOUND)
            return rc;
        uint64_t clock = wall_clock_ns();
        t->next_cas = stored > clock ? stored : clock;
        t->cas_loaded = true;
    }
    if (t->next_cas == 0 || t->next_cas >= KV__LOCKED_CAS)
        t->next_cas = 1;
    *cas = t->next_cas++;
    t->cas_dirty = true;
    return 0;
}

static int next_seq(kv__txn *t, uint64_t *seq)
{
    if (!t->seq_loaded) {
        uint64_t stored = 1;
        int rc = kv__meta_get_u64(t, "seq", &stored);
        if (rc && rc != MDB_NOTFOUND)
            return rc;
        t->next_seq = stored ? stored : 1;
        t->seq_loaded = true;
    }
    *seq = t->next_seq++;
    t->seq_dirty = true;
    return 0;
}

int kv__txn_meta_flush(kv__txn *t)
{
    int rc = 0;
    if (t->cas_dirty)
        rc = kv__meta_put_u64(t, "cas", t->next_cas);
    if (rc == 0 && t->seq_dirty)
        rc = kv__meta_put_u64(t, "seq", t->next_seq);
    t->cas_dirty = t->seq_dirty = false;
    return rc;
}

static int log_change(kv__txn *t, char kind, const char *key, size_t key_len)
{
    uint64_t seq;
    int rc = next_seq(t, &seq);
    if (rc == 0 && !t->changes_cursor)
        rc = mdb_cursor_open(t->txn, t->env->changes, &t->changes_cursor);
    if (rc)
        return rc;
    uint8_t seq_key[8], record[1 + KV_KEY_MAX];
    kv__be64_put(seq_key, seq);
    record[0] = (uint8_t)kind;
    memcpy(record + 1, key, key_len);
    MDB_val k = {sizeof seq_key, seq_key}, v = {1 + key_len, record};
    return mdb_cursor_put(t->changes_cursor, &k, &v, MDB_APPEND);
}

static int expiry_index(kv__txn *t, int64_t expiry, const char *key, size_t key_len, bool add)
{
    uint8_t buf[8 + KV_KEY_MAX];
    kv__be64_put(buf, (uint64_t)expiry);
    memcpy(buf + 8, key, key_len);
    MDB_val k = {8 + key_len, buf}, v = {0, NULL};
    int rc = add ? mdb_put(t->txn, t->env->expiry, &k, &v, 0)
                 : mdb_del(t->txn, t->env->expiry, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int update_expiry_index(kv__txn *t, const char *key, size_t key_len, const kv__doc *old,
                               int64_t expiry)
{
    int64_t old_expiry = old ? old->expiry : 0;
    if (old_expiry == expiry)
        return 0;
    int rc = old_expiry ? expiry_index(t, old_expiry, key, key_len, false) : 0;
    return rc == 0 && expiry ? expiry_index(t, expiry, key, key_len, true) : rc;
}

static int put_record(kv__txn *t, const char *key, size_t key_len, const kv__doc *doc)
{
    MDB_val k = {key_len, (void *)key}, v = {KV__DOC_HEADER_SIZE + doc->value_len, NULL};
    int rc = docs_cursor(t);
    rc = rc ? rc : mdb_cursor_put(t->docs_cursor, &k, &v, MDB_RESERVE);
    if (rc == 0) {
        header_encode(v.mv_data, doc);
        if (doc->value_len)
            memcpy((uint8_t *)v.mv_data + KV__DOC_HEADER_SIZE, doc->value, doc->value_len);
    }
    return rc;
}

int kv__doc_write(kv__txn *t, const char *key, size_t key_len, const kv__doc *old,
                  const kv__doc *doc)
{
    /* A value still inside the old record would move under the put: copy it out first. */
    kv__doc copy = *doc;
    uint8_t *held = NULL;
    if (old && doc->value_len && doc->value == old->value) {
        held = malloc(doc->value_len);
        if (!held)
            return ENOMEM;
        memcpy(held, doc->value, doc->value_len);
        copy.value = held;
    }
    int rc = put_record(t, key, key_len, &copy);
    free(held);
    rc = rc ? rc : update_expiry_index(t, key, key_len, old, doc->expiry);
    return rc ? rc : log_change(t, CHANGE_SET, key, key_len);
}

int kv__doc_delete(kv__txn *t, const char *key, size_t key_len, const kv__doc *old)
{
    MDB_val k = {key_len, (void *)key};
    int rc = mdb_del(t->txn, t->env->docs, &k, NULL);
    rc = rc ? rc : update_expiry_index(t, key, key_len, old, 0);
    return rc ? rc : log_change(t, CHANGE_REMOVED, key, key_len);
}

/* Transactions around operations: validation, one transaction per call, map growth and retry. */
#include <stdlib.h>
#include <string.h>

#include "embedded_internal.h"

/* Doubling from 1 MiB reaches 64 GiB in 16 steps; more attempts mean something else is wrong. */
#define GROW_RETRIES 24

static void reset_result(kv__op *op)
{
    kv_result *res = &op->result;
    free(res->value);
    res->value = NULL;
    res->value_len = 0;
    res->op = op->request->op;
    res->status = KV_OK;
    res->message[0] = '\0';
    res->flags = 0;
    res->cas = 0;
    res->expiry = 0;
    res->counter = 0;
    memcpy(res->key, op->request->key, sizeof res->key);
    res->key_len = op->request->key_len;
}

static kv_status check_durability(kv__op *op)
{
    const kv_request *r = op->request;
    if (r->replicate_to > 0)
        return kv__op_fail(op, KV_ERR_DURABILITY_IMPOSSIBLE,
                           "replicate_to %d: the embedded store has no replicas", r->replicate_to);
    if (r->persist_to > 1)
        return kv__op_fail(op, KV_ERR_DURABILITY_IMPOSSIBLE,
                           "persist_to %d: the embedded store keeps a single copy", r->persist_to);
    return KV_OK;
}

/* Everything that can be refused before touching the store. */
static kv_status precheck(const kv__embedded *state, kv__op *op)
{
    const kv_request *r = op->request;
    char message[sizeof op->result.message];
    kv_status status = kv_request_check(r, message, sizeof message);
    if (status != KV_OK)
        return kv__op_fail(op, status, "%s", message);
    if (r->op == KV_OP_GET && r->replica)
        return kv__op_fail(op, KV_ERR_NOT_SUPPORTED, "the embedded store has no replicas");
    if (!kv__embedded_op_writes(r))
        return KV_OK;
    if (state->read_only)
        return kv__op_fail(op, KV_ERR_NOT_SUPPORTED, "the store is opened read-only");
    return check_durability(op);
}

static void fail_succeeded(kv__op **ops, size_t count, int rc, const char *what)
{
    for (size_t i = 0; i < count; i++)
        if (ops[i]->result.status == KV_OK) {
            kv_result_clear(&ops[i]->result);
            kv__op_fail(ops[i], KV_ERR_INTERNAL, "%s: %s", what, kv__lmdb_error(rc));
        }
}

/* Reset every result and precheck it; says whether a write transaction and a sync are needed. */
static size_t prepare(const kv__embedded *state, kv__op **ops, size_t count, bool *write,
                      bool *sync)
{
    size_t runnable = 0;
    *write = *sync = false;
    for (size_t i = 0; i < count; i++) {
        reset_result(ops[i]);
        if (precheck(state, ops[i]) != KV_OK)
            continue;
        runnable++;
        bool writes = kv__embedded_op_writes(ops[i]->request);
        *write |= writes;
        *sync |= writes && ops[i]->request->persist_to != 0;
    }
    return runnable;
}

/* One attempt: returns an LMDB code (MDB_MAP_FULL asks for growth and another attempt). */
static int attempt(kv__embedded *state, kv__op **ops, size_t count, bool write)
{
    kv__txn t;
    int rc = kv__txn_begin(state->env, write, &t);
    if (rc) {
        fail_succeeded(ops, count, rc, "cannot begin a transaction");
        return rc;
    }
    for (size_t i = 0; i < count && !t.rc; i++)
        if (ops[i]->result.status == KV_OK)
            kv__embedded_apply(&t, ops[i]);
    if (!write) {
        kv__txn_abort(&t);
        return 0;
    }
    if (t.rc == MDB_MAP_FULL) {
        kv__txn_abort(&t);
        return MDB_MAP_FULL;
    }
    rc = kv__txn_commit(&t);
    if (rc && rc != MDB_MAP_FULL)
        fail_succeeded(ops, count, rc, "the write was not saved");
    return rc;
}

static void drop_failed_values(kv__op **ops, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (ops[i]->result.status != KV_OK)
            kv_result_clear(&ops[i]->result);
}

void kv__embedded_run(kv__embedded *state, kv__op **ops, size_t count)
{
    for (int tries = 0;; tries++) {
        bool write, sync;
        if (prepare(state, ops, count, &write, &sync) == 0)
            return;
        int rc = attempt(state, ops, count, write);
        if (rc == MDB_MAP_FULL) {
            if (tries < GROW_RETRIES && (rc = kv__env_grow(state->env)) == 0)
                continue;
            fail_succeeded(ops, count, rc,
                           rc == MDB_MAP_FULL ? "the store is full" : "the store could not grow");
        } else if (rc == 0 && sync && (rc = mdb_env_sync(state->env->env, 1)) != 0) {
            fail_succeeded(ops, count, rc, "written but not synced to disk");
        }
        drop_failed_values(ops, count);
        return;
    }
}

/*
 * Reading back what the binary protocol does not say: after a get, counter, append or prepend,
 * `mg <key> b t c f` gives the remaining TTL, the CAS and the flags, and `stats` (pipelined
 * behind it, so the server answers both in the same second) gives the server's clock, so the
 * absolute expiry is the server's own: exactly the Unix time an application set. If the CAS no
 * longer matches, someone wrote in between and the expiry is reported as unknown (-1). Failing
 * to read it back never fails the operation.
 */
#include <stdlib.h>

#include "mc_internal.h"
#include "util_alloc.h"

typedef struct readout {
    kv__op *op;
    int pending;
    bool have_meta;
    kv__mc_meta meta;
    int64_t server_time;
} readout;

static bool keeps_unknown_flags(kv_op op)
{
    return op == KV_OP_COUNTER || op == KV_OP_APPEND || op == KV_OP_PREPEND;
}

static void readout_finish(readout *r)
{
    kv__op *op = r->op;
    kv_result *res = &op->result;
    const kv__mc_meta *m = &r->meta;
    res->expiry = -1;
    if (r->have_meta && m->has_cas && m->cas == res->cas && m->has_ttl) {
        int64_t now = r->server_time > 0 ? r->server_time : kv_now();
        res->expiry = m->ttl < 0 ? 0 : now + m->ttl;
        if (m->has_flags && keeps_unknown_flags(op->request->op))
            res->flags = m->flags;
    }
    free(r);
    kv__op_complete(op);
}

static void meta_answered(void *arg, const kv__mc_text_reply *reply)
{
    readout *r = arg;
    if (reply->status == KV_OK && reply->meta.kind == KV__MC_META_HD) {
        r->have_meta = true;
        r->meta = reply->meta;
    }
    if (--r->pending == 0)
        readout_finish(r);
}

static void stats_answered(void *arg, const kv__mc_text_reply *reply)
{
    readout *r = arg;
    r->server_time = reply->status == KV_OK ? reply->server_time : -1;
    if (--r->pending == 0)
        readout_finish(r);
}

void kv__mc_expiry_readout(kv__mc_node *node, kv__op *op)
{
    char line[512];
    size_t len =
        kv__mc_encode_mg(line, sizeof line, op->request->key, op->request->key_len, "t c f u");
    if (len == 0) { /* a key the text protocol cannot name: the expiry stays unknown */
        kv__op_complete(op);
        return;
    }
    readout *r = kv__xcalloc(1, sizeof *r);
    r->op = op;
    r->pending = 2;
    r->server_time = -1;
    kv__mc_text_submit(node, KV__MC_TREQ_MG, line, len, meta_answered, r);
    kv__mc_text_submit(node, KV__MC_TREQ_STATS, "stats\r\n", 7, stats_answered, r);
}

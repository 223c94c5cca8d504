/*
 * Reading listed keys back, once their node's dump is over: `mg <key> s f c t u` (u: leave the
 * LRU alone) gives flags, value length, CAS and TTL; export adds v for the value. Keys the text
 * protocol cannot name (not printable and over 186 bytes) go through a binary GET instead. A key
 * gone since the dump is skipped; the dump's absolute expiry is used while the CAS still matches.
 */
#include <stdlib.h>
#include <string.h>

#include "mc_scan.h"
#include "util_alloc.h"

#define READBACK_WINDOW 512

typedef struct readback {
    kv__mc_scan_node *sn;
    kv__mc_dump_entry entry;
    kv__op op; /* the binary read-back */
} readback;

static int64_t listed_expiry(const kv__mc_dump_entry *e, const kv__mc_meta *m)
{
    if (!m->has_cas || m->cas == e->cas || !m->has_ttl)
        return e->exp < 0 ? 0 : e->exp; /* the dump's exact absolute time */
    return m->ttl < 0 ? 0 : kv_now() + m->ttl;
}

static void add_key(kv__mc_scan *scan, const kv__mc_dump_entry *e, const kv__mc_meta *m,
                    const uint8_t *value)
{
    uint32_t flags = m->has_flags ? m->flags : e->flags;
    uint64_t cas = m->has_cas ? m->cas : e->cas;
    int64_t expiry = listed_expiry(e, m);
    if (scan->stream->want_values) {
        size_t len = value ? m->value_len : 0;
        kv__key_batch_add_value(&scan->batch, e->key, e->key_len, flags, cas, expiry,
                                value ? value : (const uint8_t *)"", len);
    } else {
        uint64_t size = m->has_size ? m->size : 0;
        kv__key_batch_add(&scan->batch, e->key, e->key_len, flags,
                          (uint32_t)(size < UINT32_MAX ? size : UINT32_MAX), cas, expiry);
    }
    kv__stream_emit_full(scan->stream, &scan->batch);
}

/* One read-back ended: list the key (HIT), skip it (gone meanwhile), or stop the node. */
static void readback_done(readback *rb, bool hit, kv_status status, const char *message,
                          const kv__mc_meta *meta, const uint8_t *value)
{
    kv__mc_scan_node *sn = rb->sn;
    kv__mc_scan *scan = sn->scan;
    sn->in_flight--;
    if (scan->stream && hit && !scan->stream->cancelled)
        add_key(scan, &rb->entry, meta, value);
    else if (scan->stream && !hit && status == KV_OK && !scan->stream->cancelled &&
             !scan->stream->want_values) /* listed early, vanished since: off the list again */
        kv__stream_list_detail(scan->stream, &scan->batch, rb->entry.key, rb->entry.key_len,
                               rb->entry.cas, 0, KV_KEY_GONE);
    else if (scan->stream && status != KV_OK)
        kv__mc_scan_node_fail(sn, status, message);
    if (!hit)
        scan->accepted--;
    kv_request_free(rb->op.request);
    kv_result_clear(&rb->op.result);
    free(rb);
    if (scan->stream && sn->state == KV__SN_READING)
        kv__mc_readback_pump(sn);
    kv__mc_scan_check_done(scan);
    kv__mc_scan_release(scan);
}

static void text_answered(void *arg, const kv__mc_text_reply *reply)
{
    kv__mc_meta_kind kind = reply->meta.kind;
    bool hit = reply->status == KV_OK && (kind == KV__MC_META_HD || kind == KV__MC_META_VA);
    readback_done(arg, hit, reply->status, reply->message, &reply->meta, reply->value);
}

static void binary_answered(kv__op *op)
{
    const kv_result *res = &op->result;
    kv__mc_meta meta = {.kind = KV__MC_META_VA,
                        .has_flags = true,
                        .flags = res->flags,
                        .has_cas = true,
                        .cas = res->cas,
                        .has_size = true,
                        .size = res->value_len,
                        .value_len = res->value_len};
    bool gone = res->status == KV_ERR_NOT_FOUND;
    readback_done(op->owner, res->status == KV_OK, gone ? KV_OK : res->status, res->message, &meta,
                  res->value);
}

static void binary_readback(readback *rb)
{
    rb->op.request = kv_request_new(KV_OP_GET, rb->entry.key, rb->entry.key_len);
    if (!rb->op.request)
        kv__out_of_memory();
    rb->op.on_complete = binary_answered;
    rb->op.owner = rb;
    kv__mc_node_submit(rb->sn->node, &rb->op, 0);
}

static void readback_start(kv__mc_scan_node *sn, const kv__mc_candidate *c)
{
    kv__mc_scan *scan = sn->scan;
    readback *rb = kv__xcalloc(1, sizeof *rb);
    rb->sn = sn;
    rb->entry.key_len = c->key_len;
    memcpy(rb->entry.key, sn->keys + c->key_at, c->key_len);
    rb->entry.exp = c->exp;
    rb->entry.cas = c->cas;
    rb->entry.flags = c->flags;
    rb->entry.has_flags = c->has_flags;
    char line[512];
    size_t len = kv__mc_encode_mg(line, sizeof line, rb->entry.key, rb->entry.key_len,
                                  scan->stream->want_values ? "s f c t u v" : "s f c t u");
    kv__mc_scan_hold(scan);
    sn->in_flight++;
    scan->accepted++;
    if (len == 0)
        binary_readback(rb);
    else
        kv__mc_text_submit(sn->node, KV__MC_TREQ_MG, line, len, text_answered, rb);
}

void kv__mc_readback_pump(kv__mc_scan_node *sn)
{
    kv__mc_scan *scan = sn->scan;
    if (sn->parsing)
        return; /* a read-back answered at once: the loop below goes on */
    sn->parsing = true;
    kv__mc_scan_hold(scan);
    while (scan->stream && !scan->stream->cancelled && sn->state == KV__SN_READING &&
           sn->next < sn->ncands && sn->in_flight < READBACK_WINDOW &&
           !kv__mc_scan_limit_reached(scan))
        readback_start(sn, &sn->cands[sn->next++]);
    sn->parsing = false;
    bool round_over = sn->next == sn->ncands || kv__mc_scan_limit_reached(scan);
    if (scan->stream && sn->state == KV__SN_READING && sn->in_flight == 0 && round_over)
        kv__mc_scan_round_done(sn);
    kv__mc_scan_check_done(scan);
    kv__mc_scan_release(scan);
}

/*
 * Key listing on Couchbase by RangeScan (protocol.md 2.18): every vbucket of the map is scanned
 * on its active node, VBUCKETS_AT_ONCE at a time, key-only (CREATE over the whole range of the
 * default collection, then CONTINUE until RANGE_SCAN_COMPLETE). Each key that matches the glob
 * is then read with an ordinary get (routed like any operation, so NOT_MY_VBUCKET and timeouts
 * are handled there): its flags, value size, CAS and the GET_META expiry make a COMPLETE record,
 * and export takes the value from the same read. A key removed between the two is skipped.
 *
 * Why key-only plus a read: the document mode of RangeScan would save the reads (a GET and a
 * GET_META per key, pipelined), not bytes (the size a listing shows needs the value, so values
 * travel either way); but the key-only mode is what cb_internal.h's codec and the fake cluster of
 * tests/couchbase speak, so it is the mode that is tested. Keys wait in a queue; at most
 * LOOKUP_WINDOW reads are in flight. A listing (not an export) lists each key the moment the
 * scan gives it (KV_KEY_PARTIAL), lets the scan run up to QUEUE_AHEAD keys ahead of the reads, and
 * lists each key again COMPLETE once read (or GONE when it vanished meanwhile), so a long list
 * fills at the scan's pace; an export keeps the queue short. Memory stays bounded either way.
 *
 * A vbucket that moved (NOT_MY_VBUCKET), a dropped connection or a scan the server forgot is
 * scanned again on its current active node from just after the last key it gave, so no key is
 * listed twice; that is retried until the timeout. A bucket or server without RangeScan (or a
 * connection without the XERROR and JSON features it needs) ends the listing with
 * NotSupportedError; other failures of one vbucket end it with that error once the other
 * vbuckets are listed. Answers may come after the stream finished (cancel, limit, close): the
 * scan lives until the last of them (refs) and cancels server-side scans it no longer wants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_backend.h"
#include "util_alloc.h"

#define VBUCKETS_AT_ONCE 8
/* Keys per CONTINUE (answered in one or more frames): enough to keep the reads busy. */
#define CONTINUE_ITEMS 256
#define LOOKUP_WINDOW 256
/* Keys a listing may hold between the scan and the reads (a few MB of keys at most). */
#define QUEUE_AHEAD (128u * 1024u)
#define RETRY_NS (20u * 1000000u)
#define DEFAULT_BATCH 1000
#define STALL_GRACE_NS (1000u * 1000000u)

typedef enum slot_state {
    SLOT_IDLE,       /* no vbucket, or its scan is over */
    SLOT_CREATING,   /* RANGE_SCAN_CREATE is out */
    SLOT_OPEN,       /* the server holds the scan (uuid): CONTINUE when keys are wanted */
    SLOT_CONTINUING, /* RANGE_SCAN_CONTINUE is out */
    SLOT_RETRY       /* create again at retry_at_ns (after the last key listed) */
} slot_state;

/* One vbucket being scanned. */
typedef struct scan_slot {
    slot_state state;
    uint16_t vbucket;
    uint32_t gen; /* bumped by every request: answers to older ones are stale */
    kv__mc_node *node;
    uint8_t uuid[KV__CB_SCAN_UUID_LEN];
    uint8_t last[KV_KEY_MAX]; /* the last key the vbucket gave: a new scan starts after it */
    size_t last_len;
    bool has_last;
    uint64_t retry_at_ns;
    uint64_t trouble_since_ns; /* when retrying began, 0 = not retrying */
    uint64_t activity_ns;      /* the last request sent or frame received */
} scan_slot;

/* Keys waiting to be read, in arrival order. */
typedef struct key_queue {
    uint8_t *bytes;
    size_t bytes_len, bytes_cap;
    struct key_ref {
        uint32_t at;
        uint8_t len;
    } * refs;
    size_t head, count, refs_cap; /* refs[head..count) wait */
} key_queue;

typedef struct kv__cb_scan {
    struct kv__cb_scan *next;
    kv__cb *cb;
    kv__stream *stream; /* NULL once finished */
    uint64_t started_ns;
    bool mapped; /* the map was there: vbuckets are being scanned */
    uint32_t nvbuckets, next_vbucket;
    scan_slot slots[VBUCKETS_AT_ONCE];
    key_queue queue;
    size_t lookups; /* reads in flight */
    size_t listed;  /* keys put into batches COMPLETE */
    size_t early;   /* keys listed PARTIAL as the scan gave them (queue order) */
    size_t popped;  /* keys taken off the queue for reading */
    kv__key_batch batch;
    int refs; /* answers still to come, plus active entry points */
    bool pumping, again;
    kv_status error;
    char message[KV__MC_MESSAGE_MAX];
} kv__cb_scan;

/* The argument of a RangeScan request's answer (SLOT -1: a CANCEL nobody waits for). */
typedef struct scan_call {
    kv__cb_scan *scan;
    int slot;
    uint32_t gen;
    uint8_t opcode;
    uint16_t vbucket;
    uint8_t uuid[KV__CB_SCAN_UUID_LEN]; /* CONTINUE: the scan it continues */
} scan_call;

typedef struct scan_lookup {
    kv__cb_scan *scan;
    bool listed_early; /* a GONE record takes it off the list if it vanished */
    kv__op op;
} scan_lookup;

static void pump(kv__cb_scan *scan);

static void scan_free(kv__cb_scan *scan)
{
    for (kv__cb_scan **p = &scan->cb->scans; *p; p = &(*p)->next)
        if (*p == scan) {
            *p = scan->next;
            break;
        }
    free(scan->queue.bytes);
    free(scan->queue.refs);
    kv__key_batch_free(&scan->batch);
    free(scan);
}

static void release(kv__cb_scan *scan)
{
    if (--scan->refs == 0 && !scan->stream)
        scan_free(scan);
}

/* Drop the keys already taken once they are at least half of the queue, so a queue that never
 * quite empties does not grow without end. */
static void queue_compact(key_queue *q)
{
    if (q->head == 0 || q->head * 2 < q->count)
        return;
    size_t from = q->refs[q->head].at;
    memmove(q->bytes, q->bytes + from, q->bytes_len - from);
    q->bytes_len -= from;
    for (size_t i = q->head; i < q->count; i++) {
        q->refs[i - q->head] = q->refs[i];
        q->refs[i - q->head].at -= (uint32_t)from;
    }
    q->count -= q->head;
    q->head = 0;
}

static void queue_push(key_queue *q, const uint8_t *key, size_t len)
{
    queue_compact(q);
    if (q->count == q->refs_cap) {
        q->refs_cap = q->refs_cap ? q->refs_cap * 2 : 256;
        q->refs = kv__xrealloc(q->refs, q->refs_cap * sizeof *q->refs);
    }
    if (q->bytes_cap - q->bytes_len < len) {
        q->bytes_cap =
            q->bytes_cap * 2 > q->bytes_len + len ? q->bytes_cap * 2 : q->bytes_len + len;
        q->bytes = kv__xrealloc(q->bytes, q->bytes_cap);
    }
    memcpy(q->bytes + q->bytes_len, key, len);
    q->refs[q->count++] = (struct key_ref){.at = (uint32_t)q->bytes_len, .len = (uint8_t)len};
    q->bytes_len += len;
}

static size_t queue_waiting(const key_queue *q)
{
    return q->count - q->head;
}

/* The next key; its bytes stay valid until the next push. */
static const uint8_t *queue_pop(key_queue *q, size_t *len)
{
    const struct key_ref *ref = &q->refs[q->head++];
    *len = ref->len;
    const uint8_t *key = q->bytes + ref->at;
    if (q->head == q->count)
        q->head = q->count = q->bytes_len = 0; /* empty: start over (the key stays readable) */
    return key;
}

static void note_error(kv__cb_scan *scan, kv_status status, const char *message)
{
    if (scan->error != KV_OK)
        return;
    scan->error = status;
    snprintf(scan->message, sizeof scan->message, "%s", message ? message : kv_status_name(status));
}

static void cancel_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p,
                            kv_status status, const char *message);

/* Send R for SLOT (or, SLOT -1, a CANCEL whose answer nobody needs) to NODE. */
static void send_call(kv__cb_scan *scan, int slot, kv__mc_node *node, kv__cb_request *r,
                      kv__mc_call_cb answered)
{
    scan_call *call = kv__xcalloc(1, sizeof *call);
    call->scan = scan;
    call->slot = slot;
    call->opcode = r->opcode;
    call->vbucket = r->vbucket;
    if (slot >= 0) {
        scan->slots[slot].activity_ns = kv__mc_now_ns();
        call->gen = ++scan->slots[slot].gen;
        memcpy(call->uuid, scan->slots[slot].uuid, KV__CB_SCAN_UUID_LEN);
    }
    kv__mcbp_request m = kv__cb_request_mcbp(r, 0);
    kv__mc_call_cb cb = answered ? answered : cancel_answered;
    scan->refs++;
    if (r->opcode == KV__CB_OP_RANGE_SCAN_CONTINUE)
        kv__mc_node_call_multi(node, &m, cb, call); /* answered in one or more frames */
    else
        kv__mc_node_call(node, &m, cb, call);
    kv__cb_request_free(r);
}

static void cancel_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p,
                            kv_status status, const char *message)
{
    (void)node, (void)p, (void)status, (void)message; /* the scan is forgotten either way */
    scan_call *call = arg;
    kv__cb_scan *scan = call->scan;
    free(call);
    release(scan);
}

/* Tell NODE to drop scan UUID of VBUCKET (a disconnect would too; this frees it sooner). */
static void send_cancel(kv__cb_scan *scan, kv__mc_node *node, uint16_t vbucket,
                        const uint8_t uuid[KV__CB_SCAN_UUID_LEN])
{
    if (scan->cb->mc->closing)
        return;
    kv__cb_request r;
    kv__cb_range_scan_cancel(&r, vbucket, uuid);
    send_call(scan, -1, node, &r, NULL);
}

static void finish(kv__cb_scan *scan, kv_status status, const char *message)
{
    kv__stream *stream = scan->stream;
    if (!stream)
        return;
    if (status != KV_ERR_CANCELLED)
        kv__stream_emit(stream, &scan->batch);
    scan->stream = NULL;
    stream->backend_state = NULL;
    for (size_t i = 0; i < VBUCKETS_AT_ONCE; i++) {
        scan_slot *slot = &scan->slots[i];
        if (slot->state == SLOT_OPEN)
            send_cancel(scan, slot->node, slot->vbucket, slot->uuid);
        if (slot->state != SLOT_CREATING && slot->state != SLOT_CONTINUING)
            slot->state = SLOT_IDLE; /* those in flight cancel their scan when answered */
    }
    kv__stream_finish(stream, status, message);
}

static void unsupported(kv__cb_scan *scan, const char *why)
{
    char message[KV__MC_MESSAGE_MAX];
    snprintf(message, sizeof message, "key listing needs RangeScan (Couchbase Server 7.6+); %.560s",
             why);
    finish(scan, KV_ERR_NOT_SUPPORTED, message);
}

/* Give up on SLOT's vbucket: the listing goes on and ends with this error. */
static void vbucket_failed(kv__cb_scan *scan, scan_slot *slot, kv_status status,
                           const char *message)
{
    note_error(scan, status, message);
    slot->state = SLOT_IDLE;
}

/* Scan SLOT's vbucket again soon (after the last key it gave) until the timeout has passed since
 * the trouble began. */
static void slot_retry(kv__cb_scan *scan, scan_slot *slot, const char *why)
{
    uint64_t now = kv__mc_now_ns();
    uint64_t timeout = scan->cb->mc->timeout_ns;
    if (!slot->trouble_since_ns)
        slot->trouble_since_ns = now;
    if (kv__mc_elapsed(now, slot->trouble_since_ns) >= timeout) {
        char message[KV__MC_MESSAGE_MAX];
        snprintf(message, sizeof message, "RangeScan of vbucket %u kept failing for %.1f s: %s",
                 (unsigned)slot->vbucket, (double)timeout / 1e9, why);
        vbucket_failed(scan, slot, KV_ERR_TIMEOUT, message);
        return;
    }
    slot->state = SLOT_RETRY;
    slot->retry_at_ns = now + RETRY_NS;
    kv__mc_arm_tick(scan->cb->mc);
}

/* The smallest key after KEY (keys are at most KV_KEY_MAX bytes, ordered bytewise); false when
 * there is none. */
static bool key_successor(uint8_t *key, size_t *len)
{
    if (*len < KV_KEY_MAX) {
        key[(*len)++] = 0x00;
        return true;
    }
    while (*len > 0 && key[*len - 1] == 0xff)
        (*len)--;
    if (*len == 0)
        return false;
    key[*len - 1]++;
    return true;
}

/* The HELLO feature NODE lacks for RangeScan, or NULL (also while unknown): CREATE needs the JSON
 * datatype, and without XERROR the server closes the connection on RangeScan statuses (2.4).
 * What a connection that just dropped had negotiated still counts. */
static const char *missing_feature(const kv__mc_node *node)
{
    const kv__cb_node_state *state = kv__cb_node_of(node);
    if (!state || !(node->ready || (state->bootstrap_done && state->features != 0)))
        return NULL;
    if (!kv__cb_feature_on(state->features, KV__CB_FEATURE_XERROR))
        return "XERROR";
    return kv__cb_feature_on(state->features, KV__CB_FEATURE_JSON) ? NULL : "JSON";
}

/* End the listing when NODE lacks a feature RangeScan needs; true when it did. */
static bool refused_for_features(kv__cb_scan *scan, const kv__mc_node *node)
{
    char message[KV__MC_MESSAGE_MAX];
    const char *missing = missing_feature(node);
    if (!missing)
        return false;
    snprintf(message, sizeof message, "%s did not enable the HELLO feature %s, which it needs",
             node->name, missing);
    unsupported(scan, message);
    return true;
}

static void scan_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p, kv_status status,
                          const char *message);

static void create(kv__cb_scan *scan, int index)
{
    scan_slot *slot = &scan->slots[index];
    char message[KV__MC_MESSAGE_MAX];
    kv__mc_node *node = kv__cb_node_for(scan->cb, slot->vbucket, 0);
    if (!node) {
        kv__cb_fetch_map(scan->cb);
        slot_retry(scan, slot, "the cluster map names no active node for it");
        return;
    }
    if (refused_for_features(scan, node))
        return;
    uint8_t start[KV_KEY_MAX];
    size_t start_len = slot->last_len;
    memcpy(start, slot->last, start_len);
    if (slot->has_last && !key_successor(start, &start_len)) {
        slot->state = SLOT_IDLE; /* the last key was the greatest possible one */
        return;
    }
    kv__cb_request r;
    if (kv__cb_range_scan_create(&r, slot->vbucket, slot->has_last ? start : NULL, start_len, NULL,
                                 0, message, sizeof message) != KV_OK) {
        kv__cb_request_free(&r);
        vbucket_failed(scan, slot, KV_ERR_INTERNAL, message);
        return;
    }
    slot->node = node;
    slot->state = SLOT_CREATING;
    send_call(scan, index, node, &r, scan_answered);
}

static void send_continue(kv__cb_scan *scan, int index)
{
    scan_slot *slot = &scan->slots[index];
    kv__cb_request r;
    kv__cb_range_scan_continue(&r, slot->vbucket, slot->uuid, CONTINUE_ITEMS, 0, 0);
    slot->state = SLOT_CONTINUING;
    send_call(scan, index, slot->node, &r, scan_answered);
}

/* A status other than success, answering SLOT's CREATE or CONTINUE. */
static void status_failed(kv__cb_scan *scan, scan_slot *slot, kv__mc_node *node,
                          const kv__mcbp_packet *p)
{
    char message[KV__MC_MESSAGE_MAX];
    const char *name = kv__cb_status_name(p->status);
    switch (p->status) {
    case KV__MCBP_STATUS_NOT_MY_VBUCKET:
        if (p->value_len == 0 || !kv__cb_apply_map(scan->cb, node, p->value, p->value_len))
            kv__cb_fetch_map(scan->cb);
        slot_retry(scan, slot, "NOT_MY_VBUCKET");
        return;
    case KV__MCBP_STATUS_UNKNOWN_COMMAND:
    case KV__MCBP_STATUS_NOT_SUPPORTED:
        snprintf(message, sizeof message, "%s answered %s", node->name, name);
        unsupported(scan, message);
        return;
    case KV__MCBP_STATUS_EBUSY:
    case KV__MCBP_STATUS_ETMPFAIL:
    case KV__MCBP_STATUS_KEY_ENOENT:         /* CONTINUE: the server no longer knows the scan */
    case KV__CB_STATUS_RANGE_SCAN_CANCELLED: /* ... or dropped it */
        slot_retry(scan, slot, name);
        return;
    default:
        snprintf(message, sizeof message, "RangeScan of vbucket %u on %s: %s",
                 (unsigned)slot->vbucket, node->name, name);
        vbucket_failed(scan, slot,
                       kv__cb_status_to_kv(p->status, p->opcode, &kv__cb_node_of(node)->error_map),
                       message);
    }
}

/* No answer at all (P NULL): a dropped connection loses the scan, so start it again. */
static void call_failed(kv__cb_scan *scan, scan_slot *slot, kv__mc_node *node, kv_status status,
                        const char *message)
{
    if (status == KV_ERR_NETWORK && refused_for_features(scan, node))
        return;
    if (status == KV_ERR_NETWORK)
        slot_retry(scan, slot, message);
    else
        vbucket_failed(scan, slot, status, message);
}

static void create_answered(kv__cb_scan *scan, scan_slot *slot, kv__mc_node *node,
                            const kv__mcbp_packet *p)
{
    char message[KV__MC_MESSAGE_MAX];
    if (p->status == KV__MCBP_STATUS_KEY_ENOENT) {
        slot->state = SLOT_IDLE; /* nothing in this vbucket's range */
    } else if (p->status != KV__MCBP_STATUS_SUCCESS) {
        status_failed(scan, slot, node, p);
    } else if (kv__cb_range_scan_uuid(p, slot->uuid, message, sizeof message) != KV_OK) {
        vbucket_failed(scan, slot, KV_ERR_NETWORK, message);
    } else {
        slot->state = SLOT_OPEN;
        slot->trouble_since_ns = 0;
    }
}

/* A listing names KEY at once (PARTIAL), up to the stream's limit; its read completes it. */
static void list_early(kv__cb_scan *scan, const uint8_t *key, size_t len)
{
    if (scan->stream->want_values || (scan->stream->limit && scan->early >= scan->stream->limit))
        return;
    kv__stream_list_detail(scan->stream, &scan->batch, (const char *)key, len, 0, 0,
                           KV_KEY_PARTIAL);
    scan->early++;
}

/* Queue the keys of one CONTINUE frame that match the glob; remember the last one. */
static bool take_keys(kv__cb_scan *scan, scan_slot *slot, kv__cb_scan_keys *keys)
{
    char message[KV__MC_MESSAGE_MAX];
    const uint8_t *key, *last = NULL;
    size_t len, last_len = 0;
    int rc;
    while ((rc = kv__cb_scan_keys_next(keys, &key, &len, message, sizeof message)) == 1) {
        if (kv__stream_matches(scan->stream, (const char *)key, len)) {
            queue_push(&scan->queue, key, len);
            list_early(scan, key, len);
        }
        last = key;
        last_len = len;
    }
    if (last) {
        memcpy(slot->last, last, last_len);
        slot->last_len = last_len;
        slot->has_last = true;
    }
    if (rc < 0)
        vbucket_failed(scan, slot, KV_ERR_NETWORK, message);
    return rc == 0;
}

static void continue_answered(kv__cb_scan *scan, scan_slot *slot, kv__mc_node *node,
                              const kv__mcbp_packet *p)
{
    char message[KV__MC_MESSAGE_MAX];
    kv__cb_scan_state state;
    kv__cb_scan_keys keys;
    if (kv__cb_range_scan_reply(p, &state, &keys, message, sizeof message) != KV_OK) {
        vbucket_failed(scan, slot, KV_ERR_NETWORK, message);
    } else if (state == KV__CB_SCAN_FAILED) {
        status_failed(scan, slot, node, p);
    } else if (take_keys(scan, slot, &keys) && state != KV__CB_SCAN_PART) {
        slot->trouble_since_ns = 0;
        slot->state = state == KV__CB_SCAN_MORE ? SLOT_OPEN : SLOT_IDLE;
    }
}

/* An answer nobody waits for any more: drop the server's scan if it still holds one. */
static void stale_answer(kv__cb_scan *scan, const scan_call *call, kv__mc_node *node,
                         const kv__mcbp_packet *p)
{
    uint8_t uuid[KV__CB_SCAN_UUID_LEN];
    if (!p)
        return;
    if (call->opcode == KV__CB_OP_RANGE_SCAN_CREATE && p->status == KV__MCBP_STATUS_SUCCESS &&
        kv__cb_range_scan_uuid(p, uuid, NULL, 0) == KV_OK)
        send_cancel(scan, node, call->vbucket, uuid);
    if (call->opcode == KV__CB_OP_RANGE_SCAN_CONTINUE && p->status == KV__CB_STATUS_RANGE_SCAN_MORE)
        send_cancel(scan, node, call->vbucket, call->uuid);
}

static void scan_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p, kv_status status,
                          const char *message)
{
    scan_call *call = arg;
    kv__cb_scan *scan = call->scan;
    scan_slot *slot = &scan->slots[call->slot];
    bool create_call = call->opcode == KV__CB_OP_RANGE_SCAN_CREATE;
    bool final = !p || create_call || p->status != KV__MCBP_STATUS_SUCCESS;
    bool current = scan->stream && slot->gen == call->gen &&
                   slot->state == (create_call ? SLOT_CREATING : SLOT_CONTINUING);
    if (current)
        slot->activity_ns = kv__mc_now_ns();
    if (!current)
        stale_answer(scan, call, node, p);
    else if (!p)
        call_failed(scan, slot, node, status, message);
    else if (create_call)
        create_answered(scan, slot, node, p);
    else
        continue_answered(scan, slot, node, p);
    if (final)
        free(call);
    pump(scan);
    if (final)
        release(scan);
}

static bool limit_reached(const kv__cb_scan *scan)
{
    return scan->stream->limit && scan->listed >= scan->stream->limit;
}

/* Whether more keys should be fetched: not too many wait to be read (a listing runs ahead,
 * an export does not), and the limit is not covered. */
static bool wants_keys(const kv__cb_scan *scan)
{
    size_t pending = scan->listed + scan->lookups + queue_waiting(&scan->queue);
    size_t ahead = scan->stream->want_values ? LOOKUP_WINDOW : QUEUE_AHEAD;
    return queue_waiting(&scan->queue) < ahead &&
           (!scan->stream->limit || pending < scan->stream->limit);
}

static void list_key(kv__cb_scan *scan, const kv_request *request, const kv_result *res)
{
    int64_t expiry = res->expiry < 0 ? 0 : res->expiry; /* -1: GET_META failed, rare */
    if (scan->stream->want_values)
        kv__key_batch_add_value(&scan->batch, request->key, request->key_len, res->flags, res->cas,
                                expiry, res->value ? res->value : (const uint8_t *)"",
                                res->value_len);
    else
        kv__key_batch_add(&scan->batch, request->key, request->key_len, res->flags,
                          res->value_len < UINT32_MAX ? (uint32_t)res->value_len : UINT32_MAX,
                          res->cas, expiry);
    scan->listed++;
    kv__stream_emit_full(scan->stream, &scan->batch);
}

static void lookup_done(kv__op *op)
{
    scan_lookup *lookup = op->owner;
    kv__cb_scan *scan = lookup->scan;
    const kv_result *res = &op->result;
    scan->lookups--;
    if (scan->stream && !scan->stream->cancelled && !limit_reached(scan)) {
        if (res->status == KV_OK)
            list_key(scan, op->request, res);
        else if (res->status != KV_ERR_NOT_FOUND) /* not found: removed since it was listed */
            note_error(scan, res->status, res->message);
        else if (lookup->listed_early) /* it vanished before its read: off the list again */
            kv__stream_list_detail(scan->stream, &scan->batch, op->request->key,
                                   op->request->key_len, 0, 0, KV_KEY_GONE);
    }
    kv_request_free(op->request);
    kv_result_clear(&op->result);
    free(lookup);
    pump(scan);
    release(scan);
}

/* Read the key like a get: flags, value (size), CAS and expiry. */
static void lookup_start(kv__cb_scan *scan, const uint8_t *key, size_t len)
{
    scan_lookup *lookup = kv__xcalloc(1, sizeof *lookup);
    lookup->scan = scan;
    lookup->listed_early = scan->popped++ < scan->early; /* both count in queue order */
    lookup->op.request = kv_request_new(KV_OP_GET, (const char *)key, len);
    if (!lookup->op.request)
        kv__out_of_memory();
    lookup->op.on_complete = lookup_done;
    lookup->op.owner = lookup;
    lookup->op.started_ns = kv__mc_now_ns();
    scan->lookups++;
    scan->refs++;
    kv__mc_execute(scan->cb->mc, &lookup->op);
}

static void start_lookups(kv__cb_scan *scan)
{
    while (scan->stream && queue_waiting(&scan->queue) > 0 && scan->lookups < LOOKUP_WINDOW &&
           (!scan->stream->limit || scan->listed + scan->lookups < scan->stream->limit)) {
        size_t len;
        const uint8_t *key = queue_pop(&scan->queue, &len);
        lookup_start(scan, key, len);
    }
}

static void drive_slot(kv__cb_scan *scan, int index, uint64_t now)
{
    scan_slot *slot = &scan->slots[index];
    if (slot->state == SLOT_IDLE && scan->next_vbucket < scan->nvbuckets && wants_keys(scan)) {
        slot->vbucket = (uint16_t)scan->next_vbucket++;
        slot->has_last = false;
        slot->last_len = 0;
        slot->trouble_since_ns = 0;
        create(scan, index);
    } else if (slot->state == SLOT_OPEN && wants_keys(scan)) {
        send_continue(scan, index);
    } else if (slot->state == SLOT_RETRY && now >= slot->retry_at_ns) {
        create(scan, index);
    }
}

static bool all_done(const kv__cb_scan *scan)
{
    if (scan->next_vbucket < scan->nvbuckets || scan->lookups || queue_waiting(&scan->queue))
        return false;
    for (size_t i = 0; i < VBUCKETS_AT_ONCE; i++)
        if (scan->slots[i].state != SLOT_IDLE)
            return false;
    return true;
}

static void pump_once(kv__cb_scan *scan)
{
    if (scan->stream->cancelled) {
        finish(scan, KV_ERR_CANCELLED, "scan cancelled");
        return;
    }
    if (limit_reached(scan)) {
        finish(scan, KV_OK, NULL);
        return;
    }
    if (!scan->mapped || scan->cb->mc->closing)
        return;
    start_lookups(scan);
    uint64_t now = kv__mc_now_ns();
    for (int i = 0; i < VBUCKETS_AT_ONCE && scan->stream; i++)
        drive_slot(scan, i, now);
    if (!scan->stream)
        return;
    if (all_done(scan))
        finish(scan, scan->error, scan->error ? scan->message : NULL);
    else if (scan->lookups == 0)
        kv__stream_emit(scan->stream, &scan->batch); /* waiting on the server: show what we have */
}

/* Move the scan on as far as it can go now. Answers that arrive while it runs (a node that is
 * down answers at once) only ask for another round. */
static void pump(kv__cb_scan *scan)
{
    if (scan->pumping) {
        scan->again = true;
        return;
    }
    scan->pumping = true;
    scan->refs++;
    do {
        scan->again = false;
        if (scan->stream)
            pump_once(scan);
    } while (scan->again && scan->stream);
    scan->pumping = false;
    release(scan);
}

/* The map is there: check that the bucket can be range-scanned, then start. */
static void begin(kv__cb_scan *scan)
{
    const kv__cb *cb = scan->cb;
    char message[KV__MC_MESSAGE_MAX];
    if (!(cb->config.capabilities & KV__CB_CAP_RANGE_SCAN)) {
        snprintf(message, sizeof message,
                 "bucket '%s' does not offer it (no \"rangeScan\" in its bucketCapabilities)",
                 cb->bucket);
        unsupported(scan, message);
        return;
    }
    scan->mapped = true;
    scan->nvbuckets = cb->config.num_vbuckets;
    pump(scan);
}

/* Before the first map: wait for it, up to the timeout. */
static void wait_for_map(kv__cb_scan *scan, uint64_t now)
{
    kv__cb *cb = scan->cb;
    char message[KV__MC_MESSAGE_MAX + 64];
    if (cb->config.nnodes > 0) {
        begin(scan);
    } else if (kv__mc_elapsed(now, scan->started_ns) >= cb->mc->timeout_ns) {
        snprintf(message, sizeof message, "%s within %.1f s",
                 cb->map_error[0] ? cb->map_error : "no usable cluster map from any node",
                 (double)cb->mc->timeout_ns / 1e9);
        finish(scan, KV_ERR_TIMEOUT, message);
    } else {
        kv__cb_fetch_map(cb);
    }
}

void kv__cb_scan_start(void *state, kv__stream *stream)
{
    kv__mc *mc = state;
    kv__cb *cb = kv__cb_of(mc);
    if (mc->closing) {
        kv__stream_finish(stream, KV_ERR_CANCELLED, "the store is closing");
        return;
    }
    kv__cb_scan *scan = kv__xcalloc(1, sizeof *scan);
    scan->cb = cb;
    scan->stream = stream;
    scan->started_ns = kv__mc_now_ns();
    scan->next = cb->scans;
    cb->scans = scan;
    stream->backend_state = scan;
    if (stream->batch_size == 0)
        stream->batch_size = DEFAULT_BATCH;
    scan->refs++;
    wait_for_map(scan, scan->started_ns);
    kv__mc_arm_tick(mc);
    release(scan);
}

void kv__cb_scan_cancel(void *state, kv__stream *stream)
{
    (void)state;
    kv__cb_scan *scan = stream->backend_state;
    if (!scan)
        return;
    scan->refs++;
    finish(scan, KV_ERR_CANCELLED, "scan cancelled");
    release(scan);
}

void kv__cb_scans_close(kv__cb *cb)
{
    for (kv__cb_scan *scan = cb->scans, *next; scan; scan = next) {
        scan->refs++;
        finish(scan, KV_ERR_CANCELLED, "the store is closing");
        next = scan->next;
        release(scan);
    }
}

/* Every request is answered or fails at its deadline, frame by frame; a slot that still hears
 * nothing long after that is stuck (a server answering in more frames than the node machinery
 * follows): end the listing rather than hang. */
static void check_stalled(kv__cb_scan *scan, uint64_t now)
{
    char message[KV__MC_MESSAGE_MAX];
    uint64_t limit = scan->cb->mc->timeout_ns + STALL_GRACE_NS;
    for (size_t i = 0; i < VBUCKETS_AT_ONCE && scan->stream; i++) {
        const scan_slot *slot = &scan->slots[i];
        bool waiting = slot->state == SLOT_CREATING || slot->state == SLOT_CONTINUING;
        if (!waiting || kv__mc_elapsed(now, slot->activity_ns) < limit)
            continue;
        snprintf(message, sizeof message, "RangeScan of vbucket %u on %s stopped answering",
                 (unsigned)slot->vbucket, slot->node->name);
        finish(scan, KV_ERR_TIMEOUT, message);
    }
}

bool kv__cb_scans_tick(kv__cb *cb, uint64_t now_ns)
{
    bool busy = false;
    for (kv__cb_scan *scan = cb->scans; scan; scan = scan->next) {
        if (!scan->stream)
            continue;
        busy = true;
        scan->refs++;
        if (!scan->mapped)
            wait_for_map(scan, now_ns);
        else
            pump(scan);
        check_stalled(scan, now_ns);
        scan->refs--; /* freed below if this was the last use: not while walking the list */
    }
    for (kv__cb_scan *scan = cb->scans, *next; scan; scan = next) {
        next = scan->next;
        if (scan->refs == 0 && !scan->stream)
            scan_free(scan);
    }
    return busy;
}

/*
 * persist_to / replicate_to the way the Python SDK 2.x (libcouchbase 2) does it: after the write
 * succeeded, poll OBSERVE (protocol.md 2.13) on the vbucket's active node and its replicas until
 * enough copies hold the mutation, then complete the operation with its result untouched.
 *   - a copy holds the mutation when it reports the document (FOUND or PERSISTED) with the
 *     mutation's CAS or a later one (the document changed again since); for a remove, when it
 *     reports NOT_FOUND or DELETED (or a later re-created document);
 *   - persist_to counts copies that hold it on disk (PERSISTED; NOT_FOUND for a remove), the
 *     active included; replicate_to counts replicas that hold it at all;
 *   - -1 means every copy the map has for the vbucket when the observe starts.
 * The first poll goes at once; later ones fall due 10 ms apart at first, backing off to 100 ms,
 * and go out on the backend's tick (every 10-100 ms: no timers of our own, so closing is simple;
 * a copy already being asked is not asked again). At the operation's deadline it fails with
 * TimeoutError saying how far durability got; the write itself stays done (the result keeps its
 * CAS). OBSERVE replies may come after the observe ended: it lives until the last of them (refs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_backend.h"
#include "util_alloc.h"

#define POLL_FIRST_NS (10u * 1000000u)
#define POLL_MAX_NS (100u * 1000000u)
#define COPIES_MAX (KV__CB_MAX_REPLICAS + 1)

typedef struct kv__cb_observe observer;

/* What one copy (0 = active, i = replica i) of the vbucket said so far. */
typedef struct observe_copy {
    observer *obs;
    uint32_t index;
    kv__mc_node *node; /* the node last asked; a different one starts over */
    bool holds;        /* has the mutation (or a later one) */
    bool persisted;    /* ... on disk */
    bool asking;       /* an OBSERVE to this copy is out */
} observe_copy;

struct kv__cb_observe {
    observer *next;
    kv__cb *cb;
    kv__op *op; /* NULL once completed */
    uint16_t vbucket;
    uint64_t cas;
    bool removal;
    int persist_need, replicate_need;
    uint32_t ncopies; /* the active plus the replicas the map has */
    observe_copy copies[COPIES_MAX];
    uint64_t next_poll_ns;
    uint64_t interval_ns;
    int refs; /* OBSERVE calls still to answer, plus active entry points */
};

static void observe_free(observer *obs)
{
    for (observer **p = &obs->cb->observes; *p; p = &(*p)->next)
        if (*p == obs) {
            *p = obs->next;
            break;
        }
    free(obs);
}

static void release(observer *obs)
{
    if (--obs->refs == 0 && !obs->op)
        observe_free(obs);
}

static int count_persisted(const observer *obs)
{
    int n = 0;
    for (uint32_t i = 0; i < obs->ncopies; i++)
        n += obs->copies[i].persisted;
    return n;
}

static int count_replicated(const observer *obs)
{
    int n = 0;
    for (uint32_t i = 1; i < obs->ncopies; i++)
        n += obs->copies[i].holds;
    return n;
}

static bool satisfied(const observer *obs)
{
    return count_persisted(obs) >= obs->persist_need &&
           count_replicated(obs) >= obs->replicate_need;
}

static void finish(observer *obs)
{
    kv__op *op = obs->op;
    obs->op = NULL;
    kv__op_complete(op);
}

/* TimeoutError saying how far each asked-for part got ("persisted on 1 of 2, replicated to 0 of
 * 1"); the result keeps the write's CAS. */
static void time_out(observer *obs)
{
    char persisted[64] = "", replicated[64] = "";
    if (obs->persist_need > 0)
        snprintf(persisted, sizeof persisted, "persisted on %d of %d", count_persisted(obs),
                 obs->persist_need);
    if (obs->replicate_need > 0)
        snprintf(replicated, sizeof replicated, "replicated to %d of %d", count_replicated(obs),
                 obs->replicate_need);
    kv__op_fail(obs->op, KV_ERR_TIMEOUT,
                "the write succeeded, but durability was not reached in time: %s%s%s", persisted,
                persisted[0] && replicated[0] ? ", " : "", replicated);
    finish(obs);
}

/* Whether a copy's entry shows this mutation (or a later one), and whether it is on disk. */
static void judge_entry(const observer *obs, const kv__cb_observe_entry *e, bool *holds,
                        bool *persisted)
{
    bool present = e->state == KV__CB_OBSERVE_FOUND || e->state == KV__CB_OBSERVE_PERSISTED;
    *holds = *persisted = false;
    if (present && (obs->removal ? e->cas > obs->cas : e->cas >= obs->cas)) {
        *holds = true;
        *persisted = e->state == KV__CB_OBSERVE_PERSISTED;
    } else if (obs->removal && e->state == KV__CB_OBSERVE_NOT_FOUND) {
        *holds = *persisted = true; /* the tombstone is persisted and purged from memory */
    } else if (e->state == KV__CB_OBSERVE_DELETED) {
        *holds = obs->removal ? e->cas >= obs->cas : e->cas > obs->cas;
    }
}

static bool entry_is_ours(const observer *obs, const kv__cb_observe_entry *e)
{
    const kv_request *r = obs->op->request;
    return e->vbucket == obs->vbucket && e->key_len == r->key_len &&
           memcmp(e->key, r->key, r->key_len) == 0;
}

static void take_reply(observe_copy *copy, kv__mc_node *node, const kv__mcbp_packet *p)
{
    observer *obs = copy->obs;
    if (p->status == KV__MCBP_STATUS_NOT_MY_VBUCKET) {
        /* The map moved: the next round asks whoever the newer map names. */
        if (p->value_len == 0 || !kv__cb_apply_map(obs->cb, node, p->value, p->value_len))
            kv__cb_fetch_map(obs->cb);
        return;
    }
    if (p->status != KV__MCBP_STATUS_SUCCESS || copy->node != node)
        return; /* asked again next round */
    kv__cb_observe_iter it;
    kv__cb_observe_entry e;
    kv__cb_observe_iter_init(&it, p);
    while (kv__cb_observe_next(&it, &e, NULL, 0) == 1) {
        if (!entry_is_ours(obs, &e))
            continue;
        bool holds, persisted;
        judge_entry(obs, &e, &holds, &persisted);
        copy->holds |= holds;
        copy->persisted |= persisted;
    }
}

static void observe_answered(kv__mc_node *node, void *arg, const kv__mcbp_packet *p,
                             kv_status status, const char *message)
{
    (void)status, (void)message; /* a failed poll is simply polled again */
    observe_copy *copy = arg;
    observer *obs = copy->obs;
    copy->asking = false;
    if (obs->op && p)
        take_reply(copy, node, p);
    if (obs->op && satisfied(obs))
        finish(obs);
    release(obs);
}

/* Whether asking COPY can still change the outcome. */
static bool copy_matters(const observer *obs, const observe_copy *copy)
{
    if (copy->index == 0)
        return obs->persist_need > 0 && !copy->persisted;
    return !copy->holds || (obs->persist_need > 0 && !copy->persisted);
}

static void ask_copy(observer *obs, observe_copy *copy)
{
    kv__mc_node *node = kv__cb_node_for(obs->cb, obs->vbucket, copy->index);
    if (node != copy->node) { /* a different node now holds this copy: what it says counts */
        copy->node = node;
        copy->holds = copy->persisted = false;
    }
    const kv_request *r = obs->op->request;
    kv__cb_observe_key key = {.vbucket = obs->vbucket, .key = r->key, .key_len = r->key_len};
    kv__cb_request req;
    if (!node || !copy_matters(obs, copy) || kv__cb_observe(&req, &key, 1, NULL, 0) != KV_OK)
        return;
    kv__mcbp_request m = kv__cb_request_mcbp(&req, 0);
    copy->asking = true;
    obs->refs++;
    kv__mc_node_call(node, &m, observe_answered, copy);
    kv__cb_request_free(&req);
}

/* One round: every copy that can still matter and is not being asked already. */
static void poll(observer *obs, uint64_t now)
{
    obs->refs++;
    for (uint32_t i = 0; i < obs->ncopies && obs->op; i++)
        if (!obs->copies[i].asking)
            ask_copy(obs, &obs->copies[i]);
    obs->next_poll_ns = now + obs->interval_ns;
    obs->interval_ns = obs->interval_ns * 2 < POLL_MAX_NS ? obs->interval_ns * 2 : POLL_MAX_NS;
    release(obs);
}

static uint32_t copies_in_map(kv__cb *cb, uint16_t vbucket)
{
    uint32_t n = 1;
    for (uint32_t i = 1; i <= cb->config.num_replicas && i < COPIES_MAX; i++)
        n += kv__cb_config_server(&cb->config, vbucket, i) >= 0;
    return n;
}

void kv__cb_observe_start(kv__cb *cb, kv__op *op, uint16_t vbucket, uint64_t cas)
{
    const kv_request *r = op->request;
    observer *obs = kv__xcalloc(1, sizeof *obs);
    obs->cb = cb;
    obs->op = op;
    obs->vbucket = vbucket;
    obs->cas = cas;
    obs->removal = r->op == KV_OP_REMOVE;
    /* Copies beyond the map's replicas were refused before the write (cb_ops.c). */
    obs->ncopies =
        cb->config.num_replicas + 1 < COPIES_MAX ? cb->config.num_replicas + 1 : COPIES_MAX;
    uint32_t present = copies_in_map(cb, vbucket);
    obs->persist_need = r->persist_to < 0 ? (int)present : r->persist_to;
    obs->replicate_need = r->replicate_to < 0 ? (int)present - 1 : r->replicate_to;
    for (uint32_t i = 0; i < COPIES_MAX; i++)
        obs->copies[i] = (observe_copy){.obs = obs, .index = i};
    obs->interval_ns = POLL_FIRST_NS;
    obs->next = cb->observes;
    cb->observes = obs;
    obs->refs++;
    if (cb->mc->closing)
        kv__op_fail(op, KV_ERR_CANCELLED, "the store is closing");
    if (cb->mc->closing || satisfied(obs))
        finish(obs);
    else
        poll(obs, kv__mc_now_ns());
    kv__mc_arm_tick(cb->mc);
    release(obs);
}

bool kv__cb_observes_tick(kv__cb *cb, uint64_t now_ns)
{
    bool busy = false;
    for (observer *obs = cb->observes, *next; obs; obs = next) {
        obs->refs++;
        if (obs->op && kv__mc_elapsed(now_ns, obs->op->started_ns) >= cb->mc->timeout_ns)
            time_out(obs);
        else if (obs->op && now_ns >= obs->next_poll_ns)
            poll(obs, now_ns);
        busy |= obs->op != NULL;
        next = obs->next;
        release(obs); /* may free OBS; NEXT was read first */
    }
    return busy;
}

void kv__cb_observes_close(kv__cb *cb)
{
    for (observer *obs = cb->observes, *next; obs; obs = next) {
        obs->refs++;
        if (obs->op) {
            kv__op_fail(obs->op, KV_ERR_CANCELLED, "the store is closing");
            finish(obs);
        }
        next = obs->next;
        release(obs);
    }
}

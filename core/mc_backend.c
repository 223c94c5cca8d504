/*
 * The memcached backend's vtable: open (nodes, placement, eager connects), route each operation
 * to the node holding its key, the timeout tick, and close. Close is deferred to the next loop
 * turn, because the worker may ask for it from inside one of our own callbacks (the last
 * operation completing) and tearing down there would pull lists from under their walkers.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_internal.h"
#include "tls.h"
#include "util_alloc.h"

uint64_t kv__mc_now_ns(void)
{
    return uv_hrtime();
}

static uint64_t tick_period_ms(const kv__mc *mc)
{
    uint64_t ms = mc->timeout_ns / 1000000u / 20;
    return ms < 10 ? 10 : ms > 100 ? 100 : ms;
}

static void on_tick(uv_timer_t *timer)
{
    kv__mc *mc = timer->data;
    uint64_t now = kv__mc_now_ns();
    bool busy = false;
    for (size_t i = 0; i < mc->nnodes; i++)
        busy |= kv__mc_node_tick(&mc->nodes[i], now);
    busy |= kv__mc_scans_tick(mc, now);
    if (mc->flavor)
        busy |= mc->flavor->tick(mc, now);
    if (!busy && !mc->closing) {
        uv_timer_stop(&mc->tick);
        mc->tick_running = false;
    }
}

void kv__mc_arm_tick(kv__mc *mc)
{
    if (mc->tick_running || mc->closing)
        return;
    uint64_t period = tick_period_ms(mc);
    uv_timer_start(&mc->tick, on_tick, period, period);
    mc->tick_running = true;
}

static void mc_free(kv__mc *mc)
{
    if (mc->flavor)
        mc->flavor->free(mc);
    for (size_t i = 0; i < mc->nnodes; i++)
        kv__mc_node_free(&mc->nodes[i]);
    free(mc->nodes);
    kv__mc_ring_free(&mc->ring);
    free(mc->username);
    free(mc->sasl_mech);
    free(mc->cacert);
    kv__tls_ctx_free(mc->tls_ctx);
    if (mc->password) {
        explicit_bzero(mc->password, strlen(mc->password));
        free(mc->password);
    }
    free(mc);
}

void kv__mc_handle_closed(kv__mc *mc)
{
    if (--mc->handles > 0 || !mc->close_done)
        return;
    void (*done)(void *) = mc->close_done;
    void *arg = mc->close_arg;
    mc_free(mc);
    done(arg);
}

static void tick_closed(uv_handle_t *handle)
{
    kv__mc_handle_closed(handle->data);
}

static void teardown(uv_timer_t *timer)
{
    kv__mc *mc = timer->data;
    kv__mc_scans_close(mc);
    if (mc->flavor)
        mc->flavor->shutdown(mc);
    for (size_t i = 0; i < mc->nnodes; i++)
        kv__mc_node_shutdown(&mc->nodes[i]);
    mc->handles++; /* the tick timer itself */
    mc->close_done = mc->pending_done;
    uv_close((uv_handle_t *)&mc->tick, tick_closed);
}

void kv__mc_close(void *state, void (*done)(void *arg), void *arg)
{
    kv__mc *mc = state;
    mc->closing = true;
    mc->pending_done = done;
    mc->close_arg = arg;
    uv_timer_stop(&mc->tick);
    uv_timer_start(&mc->tick, teardown, 0, 0);
}

/* libuv writes with plain write(): a peer that closed its end would raise SIGPIPE and kill the
 * process. Blocking it on this (the worker) thread turns that into an EPIPE write error, without
 * touching how the rest of the program handles signals. */
static void block_sigpipe_on_this_thread(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

kv_status kv__mc_create(const kv_connspec *spec, const kv_open_options *options, uv_loop_t *loop,
                        size_t nodes_cap, kv__mc **out, char *errbuf, size_t errbuf_len)
{
    *out = NULL;
    /* One TLS context for every connection of the store; a bad CA file fails the open. */
    char tls_error[KV__MC_MESSAGE_MAX];
    kv__tls_ctx *tls_ctx = NULL;
    if (spec->tls &&
        !(tls_ctx = kv__tls_ctx_new(spec->cacert, spec->verify, tls_error, sizeof tls_error)))
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "%s", tls_error);
    block_sigpipe_on_this_thread();
    kv__mc *mc = kv__xcalloc(1, sizeof *mc);
    mc->tls_ctx = tls_ctx;
    mc->loop = loop;
    mc->timeout_ns = (uint64_t)(spec->timeout_s * 1e9);
    mc->username = spec->username ? strdup(spec->username) : NULL;
    mc->password = options && options->password ? strdup(options->password) : NULL;
    mc->sasl_mech = spec->sasl_mech ? strdup(spec->sasl_mech) : NULL;
    mc->tls = spec->tls;
    mc->cacert = spec->cacert ? strdup(spec->cacert) : NULL;
    mc->verify = spec->verify;
    mc->nodes_cap = nodes_cap;
    mc->nodes = kv__xcalloc(nodes_cap, sizeof *mc->nodes);
    uv_timer_init(loop, &mc->tick);
    mc->tick.data = mc;
    *out = mc;
    return KV_OK;
}

kv__mc_node *kv__mc_add_node(kv__mc *mc, const kv_host *host)
{
    if (mc->nnodes == mc->nodes_cap)
        return NULL;
    kv__mc_node *node = &mc->nodes[mc->nnodes];
    kv__mc_node_init(node, mc, mc->nnodes, host);
    mc->nnodes++;
    return node;
}

static kv_status mc_open(const kv_connspec *spec, const kv_open_options *options, uv_loop_t *loop,
                         void **state, char *errbuf, size_t errbuf_len)
{
    *state = NULL;
    if (spec->nhosts == 0)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "no memcached host given");
    kv__mc *mc;
    kv_status status = kv__mc_create(spec, options, loop, spec->nhosts, &mc, errbuf, errbuf_len);
    if (status != KV_OK)
        return status;
    for (size_t i = 0; i < spec->nhosts; i++)
        kv__mc_add_node(mc, &spec->hosts[i]);
    kv__mc_ring_build(&mc->ring, spec->hosts, spec->nhosts, spec->ketama);
    for (size_t i = 0; i < mc->nnodes; i++)
        kv__mc_node_ensure(&mc->nodes[i]);
    *state = mc;
    return KV_OK;
}

void kv__mc_execute(void *state, kv__op *op)
{
    kv__mc *mc = state;
    if (mc->flavor) {
        mc->flavor->route(mc, op); /* refuses what the store cannot do, first */
        return;
    }
    if (kv__mc_op_refused(op))
        return;
    const kv_request *r = op->request;
    kv__mc_node_submit(&mc->nodes[kv__mc_ring_node(&mc->ring, r->key, r->key_len)], op, 0);
}

void kv__mc_execute_batch(void *state, kv__op **ops, size_t count)
{
    for (size_t i = 0; i < count; i++)
        kv__mc_execute(state, ops[i]);
}

const kv__backend_ops kv__memcached_backend = {
    .name = "memcached",
    .open = mc_open,
    .close = kv__mc_close,
    .execute = kv__mc_execute,
    .execute_batch = kv__mc_execute_batch,
    .scan = kv__mc_scan_start,
    .scan_cancel = kv__mc_scan_cancel,
    .changes = NULL,
};

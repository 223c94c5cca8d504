/*
 * mc_scan.h - key listing on memcached, shared by mc_scan.c (the scan and its metadump) and
 * mc_scan_readback.c (reading each listed key back) (internal to core).
 *
 * Per node: probe that it speaks text (`mn`), stream `lru_crawler metadump all` on a connection
 * of its own, list each entry that matches the glob at once (KV_KEY_PARTIAL: key, CAS, expiry),
 * and only once the dump has ended read each one back (`mg <key> s f c t u`, plus v for export)
 * for the flags and value length a 1.6.18 dump lacks, listing it again COMPLETE (or GONE). Reading back while the crawler runs would make it skip keys: it passes over any
 * item whose lock is busy. A node keeps at most CANDIDATES_MAX entries; a bigger dump is read in
 * rounds (dump paused while a round is read back), where that skipping can happen again.
 */
#ifndef KV_MC_SCAN_H
#define KV_MC_SCAN_H

#include "mc_internal.h"

#define KV__MC_CANDIDATES_MAX (1u << 20)

/* A dumped key waiting to be read back; its bytes are in the node's key arena. */
typedef struct kv__mc_candidate {
    uint64_t cas;
    int64_t exp; /* absolute Unix time, -1 = never */
    uint32_t flags;
    uint32_t key_at;
    uint8_t key_len;
    bool has_flags;
} kv__mc_candidate;

typedef enum kv__mc_scan_state {
    KV__SN_PROBING,    /* asking the node whether it speaks text */
    KV__SN_DUMPING,    /* reading the metadump into candidates */
    KV__SN_RETRY_WAIT, /* the crawler was busy: dump again at retry_at_ns */
    KV__SN_READING,    /* reading candidates back (the dump is paused or over) */
    KV__SN_FINISHED,   /* every key of this node is listed */
    KV__SN_FAILED      /* stopped; the scan ends with the first such error */
} kv__mc_scan_state;

typedef struct kv__mc_scan_node {
    struct kv__mc_scan *scan;
    kv__mc_node *node;
    kv__mc_scan_state state;
    kv__mc_conn conn; /* the metadump connection */
    kv__rbuf in;
    bool dump_ended;
    bool parsing;
    kv__mc_candidate *cands;
    size_t ncands, cands_cap, next; /* next: the first candidate not yet read back */
    char *keys;
    size_t keys_len, keys_cap;
    size_t in_flight;
    int busy_retries;
    uint64_t retry_at_ns;
} kv__mc_scan_node;

typedef struct kv__mc_scan {
    struct kv__mc_scan *next;
    kv__mc *mc;
    kv__stream *stream; /* NULL once finished */
    kv__mc_scan_node *nodes;
    size_t nnodes;
    kv__key_batch batch;
    size_t accepted; /* keys emitted, batched or being read back */
    int refs;        /* callbacks still to come, plus active entry points */
    kv_status error;
    char message[KV__MC_MESSAGE_MAX];
} kv__mc_scan;

/* mc_scan.c */
void kv__mc_scan_hold(kv__mc_scan *scan);
void kv__mc_scan_release(kv__mc_scan *scan);
/* Finish the stream when every node is done (or the limit is met and nothing is in flight). */
void kv__mc_scan_check_done(kv__mc_scan *scan);
/* Record the first failure and stop this node; the other nodes carry on. */
void kv__mc_scan_node_fail(kv__mc_scan_node *sn, kv_status status, const char *message);
bool kv__mc_scan_limit_reached(const kv__mc_scan *scan);
/* Every candidate of a round was read back: dump on, or finish the node. */
void kv__mc_scan_round_done(kv__mc_scan_node *sn);

/* mc_scan_readback.c */
/* Read back candidates (from sn->next) while fewer than a window are in flight. */
void kv__mc_readback_pump(kv__mc_scan_node *sn);

#endif /* KV_MC_SCAN_H */

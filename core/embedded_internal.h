/*
 * embedded_internal.h - the embedded store on LMDB (internal to core).
 *
 * One store is one LMDB file (MDB_NOSUBDIR) with four named databases:
 *   docs     key -> 40-byte header (flags, expiry, cas, lock_cas, lock_expiry) + value bytes
 *   meta     "cas" -> next CAS, "seq" -> next change sequence number, "version" -> format
 *   changes  seq (u64 big-endian) -> kind byte ('S' set, 'R' removed) + key
 *   expiry   expiry (i64 big-endian) + key -> empty, so the sweeper finds expired documents fast
 *
 * A process holds exactly one MDB_env per real path (LMDB forbids opening a file twice): envs
 * live in a registry with a reference count, shared by every client on that path. Several worker
 * threads may therefore use one env; a read-write lock keeps map resizing away from open
 * transactions (transactions take it shared, resizing takes it exclusive).
 *
 * Files: embedded_env.c (registry, open, map growth), embedded_doc.c (documents, CAS, change
 * log, expiry index), embedded_ops.c (the operations), embedded_exec.c (transactions around
 * operations and batches), embedded_scan.c, embedded_changes.c, embedded_sweep.c,
 * embedded_backend.c (the vtable and the direct API).
 */
#ifndef KV_EMBEDDED_INTERNAL_H
#define KV_EMBEDDED_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <sys/types.h>

#include "backend.h"

#define KV__DOC_HEADER_SIZE 40
#define KV__STORE_VERSION 1u
#define KV__CHANGES_KEPT 100000u
#define KV__LOCK_TTL_MAX 30
#define KV__LOCK_TTL_DEFAULT 15
/* The CAS a read reports for a locked document, as Couchbase does: it cannot be used to write. */
#define KV__LOCKED_CAS UINT64_MAX

typedef struct kv__embedded_env {
    struct kv__embedded_env *next;
    char *path; /* the real path of the store file */
    pid_t pid;  /* the process that opened it: a forked child must never reuse it */
    int refcount;
    MDB_env *env;
    MDB_dbi docs, meta, changes, expiry;
    pthread_rwlock_t resize_lock;
    uint64_t grow_count; /* how often the map grew (tests, status line) */
} kv__embedded_env;

/* A document as stored. value points into LMDB memory: valid until the next write. */
typedef struct kv__doc {
    uint32_t flags;
    int64_t expiry;
    uint64_t cas;
    uint64_t lock_cas;
    int64_t lock_expiry;
    const uint8_t *value;
    size_t value_len;
} kv__doc;

/* One transaction plus what it allocated (CAS values, sequence numbers) that is written back to
 * meta just before commit. rc keeps the first LMDB error so callers can retry on MDB_MAP_FULL. */
typedef struct kv__txn {
    kv__embedded_env *env;
    MDB_txn *txn;
    bool write;
    int64_t now;
    uint64_t next_cas, next_seq;
    bool cas_loaded, seq_loaded, cas_dirty, seq_dirty;
    MDB_cursor *docs_cursor; /* kept across operations: sequential keys skip the descent */
    MDB_cursor *changes_cursor;
    int rc;
} kv__txn;

/* The per-client backend state. */
typedef struct kv__embedded {
    kv__embedded_env *env;
    uv_loop_t *loop; /* NULL for the direct API */
    bool read_only;
    uv_timer_t sweep_timer;
    bool sweeping; /* the timer was initialised */
    struct kv__scan *scans; /* running scans, so close can end them */
    int pending_closes;
    void (*close_done)(void *arg);
    void *close_arg;
} kv__embedded;

/* ---- embedded_env.c ---- */
kv_status kv__env_acquire(const char *path, kv__embedded_env **out, char *errbuf,
                          size_t errbuf_len);
void kv__env_release(kv__embedded_env *env);
/* Begin a transaction (shared resize lock held until commit/abort); adopts a map grown by
 * another process. Returns an LMDB code. */
int kv__txn_begin(kv__embedded_env *env, bool write, kv__txn *t);
/* Write back the meta counters and commit; the resize lock is released either way. */
int kv__txn_commit(kv__txn *t);
void kv__txn_abort(kv__txn *t);
/* Double the map after MDB_MAP_FULL (no transaction of this process may be open). */
int kv__env_grow(kv__embedded_env *env);
/* Clear reader slots left by dead processes; returns how many were cleared. */
int kv__env_reader_check(kv__embedded_env *env);
const char *kv__lmdb_error(int rc);

/* ---- embedded_doc.c ---- */
/* 0, MDB_NOTFOUND, or an error (a short record is MDB_CORRUPTED). */
int kv__doc_get(kv__txn *t, const char *key, size_t key_len, kv__doc *doc);
bool kv__doc_decode(const MDB_val *data, kv__doc *doc);
bool kv__doc_expired(const kv__doc *doc, int64_t now);
bool kv__doc_locked(const kv__doc *doc, int64_t now);
/* The CAS a reader sees: the real one, or KV__LOCKED_CAS while locked. */
uint64_t kv__doc_visible_cas(const kv__doc *doc, int64_t now);
/* Store DOC (metadata and value) under KEY, keeping the expiry index and the change log in step
 * with OLD (NULL when the key was absent). */
int kv__doc_write(kv__txn *t, const char *key, size_t key_len, const kv__doc *old,
                  const kv__doc *doc);
/* Delete KEY (whose stored record is OLD) and log it as removed. */
int kv__doc_delete(kv__txn *t, const char *key, size_t key_len, const kv__doc *old);
int kv__txn_new_cas(kv__txn *t, uint64_t *cas);
int kv__txn_meta_flush(kv__txn *t);
int kv__meta_get_u64(kv__txn *t, const char *name, uint64_t *value);
int kv__meta_put_u64(kv__txn *t, const char *name, uint64_t value);
void kv__be64_put(uint8_t *out, uint64_t value);
uint64_t kv__be64_get(const uint8_t *in);

/* ---- embedded_ops.c ---- */
/* Run OP's operation inside T (already validated). Returns the result status; an LMDB failure
 * is KV_ERR_INTERNAL with t->rc set. */
kv_status kv__embedded_apply(kv__txn *t, kv__op *op);
/* Whether OP's operation writes (get-and-touch and lock do). */
bool kv__embedded_op_writes(const kv_request *request);

/* ---- embedded_exec.c ---- */
/* Validate and run COUNT ops in one transaction (retrying after map growth), filling results. */
void kv__embedded_run(kv__embedded *state, kv__op **ops, size_t count);

/* ---- embedded_scan.c ---- */
void kv__embedded_scan(void *state, kv__stream *stream);
void kv__embedded_scan_cancel(void *state, kv__stream *stream);
/* End every running scan with KV_ERR_CANCELLED (close); counts handle closes in state. */
void kv__embedded_scans_close(kv__embedded *state);

/* ---- embedded_changes.c ---- */
kv_status kv__embedded_changes(void *state, uint64_t since, size_t limit, kv_event *event);
/* The sequence number of the newest change (0 = none yet). */
kv_status kv__embedded_current_seq(kv__embedded *state, uint64_t *seq);
/* Drop all but the newest KV__CHANGES_KEPT changes, at most MAX_DELETE per call. */
int kv__changes_trim(kv__txn *t, size_t max_delete, size_t *deleted);

/* ---- embedded_sweep.c ---- */
void kv__sweep_start(kv__embedded *state);
void kv__sweep_close(kv__embedded *state, uv_close_cb on_closed);
/* Delete documents expired at NOW (at most MAX docs) and trim the change log; returns how many
 * documents were removed, or -1 on error. Runs on its own write transactions. */
long kv__embedded_sweep(kv__embedded *state, int64_t now, size_t max);

/* ---- embedded_backend.c ---- */
/* A handle of STATE finished closing (scan idles, the sweep timer); ends a pending close. */
void kv__embedded_handle_closed(kv__embedded *state);

/* ---- embedded_backend.c: a synchronous door for benchmarks and white-box tests ---- */
kv_status kv__embedded_open_direct(const char *path, kv__embedded **state, char *errbuf,
                                   size_t errbuf_len);
/* Runs OP through the same path as execute (without kv__op_complete). */
void kv__embedded_execute_direct(kv__embedded *state, kv__op *op);
void kv__embedded_execute_batch_direct(kv__embedded *state, kv__op **ops, size_t count);
void kv__embedded_close_direct(kv__embedded *state);

#endif /* KV_EMBEDDED_INTERNAL_H */

/*
 * conformance.h - shared helpers of the backend conformance suite (tests/conformance/).
 *
 * The suite is written once against core/kv.h from DESIGN.md sections 3 and 4 and runs against
 * every backend: KV_CONFORMANCE_STORE is the connection string of a fresh store and
 * KV_CONFORMANCE_BACKEND names the backend, which selects a row of the capability table in
 * harness.c. Tests share one store, so every key starts with the run prefix and the test name.
 */
#ifndef KV_CONFORMANCE_H
#define KV_CONFORMANCE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kv.h"

/* What a backend can do; differences between backends live here and nowhere else. */
typedef struct conf_caps {
    const char *row;        /* the capability row: KV_CONFORMANCE_BACKEND, or "memcached-sasl" */
    const char *backend;    /* what kv_client_backend_name() must say */
    bool locks;             /* lock/unlock work; else NotSupportedError */
    bool replicas;          /* replica reads work; else NotSupportedError */
    bool change_sequence;   /* kv_client_changes works; else NotSupportedError */
    bool touch_changes_cas; /* else touch reports the unchanged CAS the server keeps (memcached) */
    bool cas_increasing;    /* CAS grows with every mutation across the store */
    bool scan;              /* key listing works; else the scan ends with NotSupportedError */
    bool sorted_scan;       /* scan yields keys in byte order */
    bool early_listing;     /* scan lists each key PARTIAL first, then COMPLETE (memcached) */
    bool expiry_readable;   /* results carry the expiry; else expiry is -1 ("unknown") */
    bool expiry_exact;      /* the expiry read back is exactly the one set (else within 2 s) */
    int max_persist_to;     /* highest persist_to honoured */
    int max_replicate_to;   /* highest replicate_to honoured */
    size_t value_max;       /* largest value the backend accepts */
    bool value_max_exact;   /* a value of exactly value_max bytes is stored */
} conf_caps;

/* Arguments of one operation; zero means "not given" except where a has_ flag exists. */
typedef struct conf_args {
    const void *value; /* NUL-terminated text unless value_len is set */
    size_t value_len;
    uint32_t flags;
    kv_format format;
    uint64_t cas;
    bool has_ttl;
    int64_t ttl;
    bool quiet;
    bool replica;
    int persist_to;
    int replicate_to;
    int64_t delta;
    bool has_initial;
    uint64_t initial;
} conf_args;

#define ARGS(...) (&(conf_args){__VA_ARGS__})

/* One scanned key, copied out of its event. */
typedef struct conf_key_info {
    char key[KV_KEY_MAX + 1];
    size_t key_len;
    uint32_t flags;
    uint32_t size;
    uint64_t cas;
    int64_t expiry;
} conf_key_info;

typedef struct conf_scan {
    conf_key_info *keys; /* the COMPLETE records */
    size_t count;
    size_t early; /* KV_KEY_PARTIAL records: each must be followed by its COMPLETE or GONE one */
    size_t gone;
    size_t batches;
    kv_status status; /* of the KV_EVENT_DONE */
} conf_scan;

extern kv_client *conf_client;
extern const conf_caps *conf_caps_now;
extern const char *conf_connstr;

/* "<run prefix><test>_<suffix>" into BUF; the prefix keeps reruns on one store apart. */
const char *conf_key(char *buf, size_t size, const char *test, const char *suffix);
#define TEST_KEY(buf, suffix) conf_key((buf), sizeof(buf), __func__, (suffix))

kv_request *conf_request(kv_op op, const char *key, const conf_args *args);
/* Run OP on CLIENT and leave the result in RESULT (kv_result_clear it). */
kv_status conf_call_on(kv_client *client, kv_op op, const char *key, const conf_args *args,
                       kv_result *result);
kv_status conf_call(kv_op op, const char *key, const conf_args *args, kv_result *result);
/* Run OP and return only its status. */
kv_status conf_status(kv_op op, const char *key, const conf_args *args);
/* Upsert JSON text with json flags (and TTL when non-zero); asserts success, returns the CAS. */
uint64_t conf_store(const char *key, const char *json, int64_t ttl);
/* Get KEY, assert success and that the value is TEXT. Returns the CAS. */
uint64_t conf_assert_value(const char *key, const char *text);
void conf_assert_missing(const char *key);
void conf_assert_result_value(const kv_result *result, const void *value, size_t len);
/* |ACTUAL - WANT| <= 2 s and ACTUAL is known; -1 where the backend cannot read expiries. */
void conf_assert_expiry_near(int64_t actual, int64_t want);
/* ACTUAL == WANT (within 2 s where expiry_exact is false); -1 where expiries are unreadable. */
void conf_assert_expiry_at(int64_t actual, int64_t want);
/* No expiry (0); -1 where the backend cannot read expiries. */
void conf_assert_no_expiry(int64_t actual);
/* Skip the calling test unless the backend can list keys. */
void conf_require_scan(void);
/* The SASL password for the store: KV_CONFORMANCE_PASSWORD, else KVTUI_PASSWORD, else NULL. */
const char *conf_password(void);

/* Wait for the next event of request ID, keeping other requests' events for later. */
kv_event *conf_wait_event(kv_client *client, uint64_t id);
/* Run a scan to its end and copy every key out. */
void conf_scan_run(kv_client *client, const char *glob, size_t batch, size_t limit,
                   conf_scan *scan);
void conf_scan_free(conf_scan *scan);
const conf_key_info *conf_scan_find(const conf_scan *scan, const char *key);

/* Open another client on the same store (READ_ONLY as asked); asserts success. */
kv_client *conf_open_client(bool read_only);
/* Upsert KEY=JSON from a separate process on the same store; returns the CAS it got. */
uint64_t conf_child_upsert(const char *key, const char *json);
void conf_sleep_ms(int ms);

/* Test groups, one per file. */
typedef struct conf_group {
    const char *name;
    const struct CMUnitTest *tests;
    size_t count;
} conf_group;

#define CONF_GROUP(name, tests)                                                                    \
    const conf_group name = {#name, tests, sizeof(tests) / sizeof((tests)[0])}

extern const conf_group conf_crud_tests;
extern const conf_group conf_counter_tests;
extern const conf_group conf_append_tests;
extern const conf_group conf_lock_tests;
extern const conf_group conf_rules_tests;
extern const conf_group conf_scan_tests;
extern const conf_group conf_clients_tests;

#endif /* KV_CONFORMANCE_H */

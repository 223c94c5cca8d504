/* Internal to the pickle files of core/: the decoded object graph, its arena, and the bounded
 * text buffer the renderers and the encoder write into. Nothing here is thread-shared. */
#ifndef KV_PICKLE_INTERNAL_H
#define KV_PICKLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps from reliability.md 4.3: every one of them turns hostile input into an error or a
 * truncated render instead of unbounded memory or time. */
#define KV__PICKLE_MAX_MEMO 1000000u      /* memo entries */
#define KV__PICKLE_MAX_OPS 10000000u      /* opcodes executed per document */
#define KV__PICKLE_MAX_NODES 4000000u     /* objects built per document */
#define KV__PICKLE_MAX_MARKS 1000000u     /* open MARKs at once */
#define KV__PICKLE_MAX_DEPTH 512u         /* rendering depth; deeper shows "..." */
#define KV__PICKLE_MAX_DIGITS 4300u       /* decimal digits of an int (CPython's own limit) */
#define KV__PICKLE_MAX_OUTPUT (64u << 20) /* bytes of display or JSON text */

typedef enum kv__pkind {
    KV__PK_NONE,
    KV__PK_BOOL,
    KV__PK_INT,       /* u.integer */
    KV__PK_BIGINT,    /* u.bytes: two's complement, little endian (LONG1/LONG4) */
    KV__PK_INTTEXT,   /* u.bytes: validated decimal text with optional '-' (INT/LONG) */
    KV__PK_FLOAT,     /* u.real */
    KV__PK_STR,       /* u.bytes: UTF-8 (surrogates may appear, CESU-style) */
    KV__PK_BYTES,     /* u.bytes */
    KV__PK_BYTEARRAY, /* u.bytes */
    KV__PK_LIST,      /* u.seq */
    KV__PK_TUPLE,     /* u.seq */
    KV__PK_DICT,      /* u.seq: key, value, key, value ... */
    KV__PK_SET,       /* u.seq */
    KV__PK_FROZENSET, /* u.seq */
    KV__PK_GLOBAL,    /* u.seq: module, name */
    KV__PK_CALL,      /* u.seq: callable, args [, kwargs] */
    KV__PK_BUILD,     /* u.seq: object, state */
    KV__PK_EXTEND,    /* u.seq: object, list of items APPENDed to a non-list */
    KV__PK_UPDATE,    /* u.seq: object, dict of items SETITEMed into a non-dict */
    KV__PK_ADDITEMS,  /* u.seq: object, set of items ADDITEMSed to a non-set */
    KV__PK_PERSID,    /* u.seq: the persistent id */
    KV__PK_EXT,       /* u.integer: copyreg extension code */
    KV__PK_BUFFER     /* u.integer: out-of-band buffer number */
} kv__pkind;

enum {
    KV__PN_STATIC = 1,  /* a shared constant: never mutate it in place */
    KV__PN_OWNED = 2,   /* u.bytes.data is malloc'd by the decoder */
    KV__PN_VISITING = 4 /* on the current render path (cycle detection) */
};

typedef struct kv__pnode kv__pnode;
struct kv__pnode {
    uint8_t kind;
    uint8_t flags;
    union {
        bool boolean;
        int64_t integer;
        double real;
        struct {
            const uint8_t *data;
            size_t len;
        } bytes;
        struct {
            kv__pnode **items;
            size_t len;
            size_t cap;
        } seq;
    } u;
};

/* Every node of one decode lives in slabs owned by the arena, so a graph with shared
 * references or cycles is freed in one flat pass. */
typedef struct kv__parena {
    kv__pnode **slabs;
    size_t nslabs;
    size_t used; /* nodes used in the last slab */
    size_t count;
} kv__parena;

kv__pnode *kv__parena_node(kv__parena *arena, kv__pkind kind); /* NULL: cap or no memory */
void kv__parena_free(kv__parena *arena);

/* The memo as a sparse map (open addressing), so LONG_BINPUT 0x7fffffff costs one entry. */
typedef struct kv__pmemo_slot {
    uint32_t key;
    kv__pnode *value; /* NULL = empty slot */
} kv__pmemo_slot;

typedef struct kv__pmemo {
    kv__pmemo_slot *slots;
    size_t cap; /* a power of two */
    size_t count;
} kv__pmemo;

/* 0 ok, -1 the memo is full (KV__PICKLE_MAX_MEMO) or no memory. */
int kv__pmemo_put(kv__pmemo *memo, uint32_t key, kv__pnode *value);
kv__pnode *kv__pmemo_get(const kv__pmemo *memo, uint32_t key);
void kv__pmemo_free(kv__pmemo *memo);

/* Growable text with a hard cap: past LIMIT, appends are dropped and OVERFLOW is set. */
typedef struct kv__pbuf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;
    bool overflow;
    bool oom;
} kv__pbuf;

void kv__pbuf_init(kv__pbuf *buf, size_t limit);
void kv__pbuf_free(kv__pbuf *buf);
void kv__pbuf_add(kv__pbuf *buf, const void *data, size_t len);
void kv__pbuf_str(kv__pbuf *buf, const char *text);
void kv__pbuf_byte(kv__pbuf *buf, uint8_t byte);
void kv__pbuf_printf(kv__pbuf *buf, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* NUL-terminates and hands the text over (NULL when memory ran out). */
char *kv__pbuf_take(kv__pbuf *buf);

/* Shortest of %.15g/%.16g/%.17g that reads back as VALUE, locale-independent. */
void kv__pickle_format_double(double value, char *out, size_t out_len);
/* Decimal text of a two's complement little-endian integer, or false when it would have more
 * than KV__PICKLE_MAX_DIGITS digits. */
bool kv__pickle_bigint_decimal(const uint8_t *le, size_t len, kv__pbuf *out);
/* One code point of CESU-tolerant UTF-8 at S (LEFT bytes): returns its length (0 = invalid
 * byte) and stores the code point; lone surrogates are accepted, as Python's surrogatepass. */
size_t kv__pickle_utf8_next(const uint8_t *s, size_t left, uint32_t *code_point);
/* True for code points that must never reach a terminal raw: C0, DEL, C1, bidi and
 * zero-width controls, line/paragraph separators, surrogates. */
bool kv__pickle_codepoint_unsafe(uint32_t code_point);

/* The readable, inert rendering of ROOT (view->display). TRAILING > 0 notes bytes after STOP. */
char *kv__pickle_render_display(kv__pnode *root, size_t trailing);
/* JSON of ROOT when it is plain data, else NULL (*plain false). NULL + *plain true = no memory. */
char *kv__pickle_render_json(kv__pnode *root, bool *plain);

#endif /* KV_PICKLE_INTERNAL_H */

/* The display-only pickle machine: runs all 68 opcodes of protocols 0-5 over inert nodes. It
 * never imports or calls anything; code-like opcodes build symbolic Global/Call/Build nodes. */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "pickle_internal.h"

typedef struct decoder {
    const uint8_t *data;
    size_t len;
    size_t pos;
    size_t op_pos; /* where the running opcode starts */
    uint8_t op;
    kv__pnode **stack;
    size_t nstack;
    size_t cap_stack;
    size_t *marks; /* stack heights at each open MARK */
    size_t nmarks;
    size_t cap_marks;
    kv__pmemo memo;
    kv__parena arena;
    uint64_t ops;
    int64_t next_buffer;
    bool unsafe;
    kv__pnode *result; /* set by STOP */
    char error[200];
} decoder;

typedef int (*op_fn)(decoder *d);

typedef struct opcode {
    const char *name;
    op_fn run;
} opcode;

static const opcode *opcode_of(uint8_t code);

#define SMALL_INT(n) {.kind = KV__PK_INT, .flags = KV__PN_STATIC, .u = {.integer = (n)}}
#define SMALL_INT4(n) SMALL_INT(n), SMALL_INT(n + 1), SMALL_INT(n + 2), SMALL_INT(n + 3)
#define SMALL_INT16(n) SMALL_INT4(n), SMALL_INT4(n + 4), SMALL_INT4(n + 8), SMALL_INT4(n + 12)
#define SMALL_INT64(n) SMALL_INT16(n), SMALL_INT16(n + 16), SMALL_INT16(n + 32), SMALL_INT16(n + 48)

/* Shared constants: a list of a million small ints or Nones costs no nodes. Never written. */
static kv__pnode small_ints[256] = {SMALL_INT64(0), SMALL_INT64(64), SMALL_INT64(128),
                                    SMALL_INT64(192)};
static kv__pnode none_node = {.kind = KV__PK_NONE, .flags = KV__PN_STATIC};
static kv__pnode true_node = {.kind = KV__PK_BOOL, .flags = KV__PN_STATIC, .u = {.boolean = true}};
static kv__pnode false_node = {.kind = KV__PK_BOOL, .flags = KV__PN_STATIC};

static int fail(decoder *d, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int fail(decoder *d, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(d->error, sizeof d->error, format, args);
    va_end(args);
    return -1;
}

/* ---- Reading arguments, every length checked against what is left. ---- */

static int read_bytes(decoder *d, uint64_t n, const uint8_t **out)
{
    size_t left = d->len - d->pos;
    *out = NULL;
    if (n > left)
        return fail(d, "argument needs %llu bytes but only %zu remain", (unsigned long long)n,
                    left);
    *out = d->data + d->pos;
    d->pos += (size_t)n;
    return 0;
}

static int read_uint(decoder *d, unsigned width, uint64_t *value)
{
    const uint8_t *p;
    *value = 0;
    if (read_bytes(d, width, &p) != 0)
        return -1;
    for (unsigned i = width; i-- > 0;)
        *value = (*value << 8) | p[i];
    return 0;
}

static int read_int32(decoder *d, int64_t *value)
{
    uint64_t raw;
    *value = 0;
    if (read_uint(d, 4, &raw) != 0)
        return -1;
    *value = (int64_t)(int32_t)(uint32_t)raw;
    return 0;
}

static int read_line(decoder *d, const uint8_t **line, size_t *len)
{
    const uint8_t *start = d->data + d->pos;
    const uint8_t *nl = memchr(start, '\n', d->len - d->pos);
    *line = NULL;
    *len = 0;
    if (!nl)
        return fail(d, "argument line has no newline");
    *line = start;
    *len = (size_t)(nl - start);
    d->pos += *len + 1;
    return 0;
}

/* ---- Nodes and the stack. ---- */

static kv__pnode *new_node(decoder *d, kv__pkind kind)
{
    kv__pnode *node = kv__parena_node(&d->arena, kind);
    if (!node)
        fail(d, "too many objects (limit %u) or out of memory", KV__PICKLE_MAX_NODES);
    return node;
}

static kv__pnode *int_node(decoder *d, int64_t value)
{
    if (value >= 0 && value < 256)
        return &small_ints[value];
    kv__pnode *node = new_node(d, KV__PK_INT);
    if (node)
        node->u.integer = value;
    return node;
}

static kv__pnode *bytes_node(decoder *d, kv__pkind kind, const uint8_t *data, size_t len)
{
    kv__pnode *node = new_node(d, kind);
    if (node) {
        node->u.bytes.data = data;
        node->u.bytes.len = len;
    }
    return node;
}

/* A bytes-like node over malloc'd DATA, which it owns (freed here on failure). */
static kv__pnode *owned_node(decoder *d, kv__pkind kind, uint8_t *data, size_t len)
{
    kv__pnode *node = bytes_node(d, kind, data, len);
    if (!node) {
        free(data);
        return NULL;
    }
    node->flags |= KV__PN_OWNED;
    return node;
}

static int seq_append(decoder *d, kv__pnode *seq, kv__pnode *item)
{
    if (seq->u.seq.len == seq->u.seq.cap) {
        size_t cap = seq->u.seq.cap ? seq->u.seq.cap * 2 : 4;
        kv__pnode **items = realloc(seq->u.seq.items, cap * sizeof *items);
        if (!items)
            return fail(d, "out of memory");
        seq->u.seq.items = items;
        seq->u.seq.cap = cap;
    }
    seq->u.seq.items[seq->u.seq.len++] = item;
    return 0;
}

static kv__pnode *seq_node(decoder *d, kv__pkind kind, kv__pnode *const *items, size_t n)
{
    kv__pnode *node = new_node(d, kind);
    if (!node)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (seq_append(d, node, items[i]) != 0)
            return NULL;
    return node;
}

static kv__pnode *pair_node(decoder *d, kv__pkind kind, kv__pnode *first, kv__pnode *second)
{
    kv__pnode *items[2] = {first, second};
    return seq_node(d, kind, items, 2);
}

static int push(decoder *d, kv__pnode *node)
{
    if (!node)
        return -1;
    if (d->nstack == d->cap_stack) {
        size_t cap = d->cap_stack ? d->cap_stack * 2 : 64;
        kv__pnode **stack = realloc(d->stack, cap * sizeof *stack);
        if (!stack)
            return fail(d, "out of memory");
        d->stack = stack;
        d->cap_stack = cap;
    }
    d->stack[d->nstack++] = node;
    return 0;
}

static size_t stack_base(const decoder *d)
{
    return d->nmarks ? d->marks[d->nmarks - 1] : 0;
}

/* Items below the innermost MARK are out of reach, as in CPython's metastack. */
static int need_items(decoder *d, size_t n)
{
    if (d->nstack - stack_base(d) < n)
        return fail(d, "stack underflow: needs %zu item(s), has %zu", n,
                    d->nstack - stack_base(d));
    return 0;
}

static int pop(decoder *d, kv__pnode **out)
{
    if (need_items(d, 1) != 0)
        return -1;
    *out = d->stack[--d->nstack];
    return 0;
}

static int top(decoder *d, kv__pnode **out)
{
    if (need_items(d, 1) != 0)
        return -1;
    *out = d->stack[d->nstack - 1];
    return 0;
}

/* Pops everything above the innermost MARK; *items stays valid until the next push. */
static int pop_mark(decoder *d, kv__pnode ***items, size_t *n)
{
    *items = NULL;
    *n = 0;
    if (d->nmarks == 0)
        return fail(d, "no MARK to pop");
    size_t start = d->marks[--d->nmarks];
    *items = d->stack + start;
    *n = d->nstack - start;
    d->nstack = start;
    return 0;
}

static int replace_top(decoder *d, kv__pnode *node)
{
    if (!node)
        return -1;
    d->stack[d->nstack - 1] = node;
    return 0;
}

/* Turns *SLOT into a KIND node over (a copy of itself, EXTRA), in place, so that memo and
 * stack references see the change just as Python's in-place mutation would show. */
static kv__pnode *wrap_in_place(decoder *d, kv__pnode **slot, kv__pkind kind, kv__pnode *extra)
{
    kv__pnode *target = *slot;
    if (target->flags & KV__PN_STATIC) {
        *slot = pair_node(d, kind, target, extra);
        return *slot;
    }
    kv__pnode *copy = new_node(d, KV__PK_NONE);
    kv__pnode **items = malloc(2 * sizeof *items);
    if (!copy || !items) {
        free(items);
        if (copy)
            fail(d, "out of memory");
        return NULL;
    }
    *copy = *target;
    items[0] = copy;
    items[1] = extra;
    memset(target, 0, sizeof *target);
    target->kind = (uint8_t)kind;
    target->u.seq.items = items;
    target->u.seq.len = target->u.seq.cap = 2;
    return target;
}

/* The container that APPEND/SETITEM/ADDITEMS fill: the top itself when it has the right
 * kind, else the item list of an Extend/Update/AddItems wrapper around it. */
static kv__pnode *fill_target(decoder *d, kv__pkind want, kv__pkind wrapper)
{
    kv__pnode **slot = &d->stack[d->nstack - 1];
    kv__pnode *target = *slot;
    if (target->kind == want)
        return target;
    if (target->kind == wrapper)
        return target->u.seq.items[1];
    kv__pnode *items = new_node(d, want);
    if (!items || !wrap_in_place(d, slot, wrapper, items))
        return NULL;
    return items;
}

static int fill(decoder *d, kv__pkind want, kv__pkind wrapper, kv__pnode *const *items,
                size_t n)
{
    if (need_items(d, 1) != 0)
        return -1;
    kv__pnode *target = fill_target(d, want, wrapper);
    if (!target)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (seq_append(d, target, items[i]) != 0)
            return -1;
    return 0;
}

/* ---- Number and string arguments. ---- */

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static void trim(const uint8_t **text, size_t *len)
{
    while (*len && is_space(**text)) {
        (*text)++;
        (*len)--;
    }
    while (*len && is_space((*text)[*len - 1]))
        (*len)--;
}

/* A decimal integer literal (INT, LONG, GET, PUT): an int node, or decimal text when it does
 * not fit in 64 bits. More than 4300 digits is refused, as CPython does. */
static kv__pnode *parse_int_text(decoder *d, const uint8_t *text, size_t len)
{
    trim(&text, &len);
    bool negative = len && text[0] == '-';
    if (len && (text[0] == '-' || text[0] == '+')) {
        text++;
        len--;
    }
    if (len == 0) {
        fail(d, "invalid integer literal");
        return NULL;
    }
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9') {
            fail(d, "invalid integer literal");
            return NULL;
        }
    while (len > 1 && text[0] == '0') {
        text++;
        len--;
    }
    if (len > KV__PICKLE_MAX_DIGITS) {
        fail(d, "integer literal has %zu digits (limit %u)", len, KV__PICKLE_MAX_DIGITS);
        return NULL;
    }
    uint64_t value = 0;
    bool fits = len <= 19;
    for (size_t i = 0; fits && i < len; i++)
        value = value * 10 + (uint64_t)(text[i] - '0');
    uint64_t max = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (fits && value <= max)
        return int_node(d, negative ? (int64_t)(0 - value) : (int64_t)value);
    uint8_t *copy = malloc(len + 1);
    if (!copy) {
        fail(d, "out of memory");
        return NULL;
    }
    copy[0] = '-';
    memcpy(copy + negative, text, len);
    return owned_node(d, KV__PK_INTTEXT, copy, len + negative);
}

/* A memo index given as text (GET, PUT). */
static int parse_index_text(decoder *d, const uint8_t *text, size_t len, uint32_t *index)
{
    trim(&text, &len);
    uint64_t value = 0;
    *index = 0;
    if (len == 0 || len > 10)
        return fail(d, "invalid memo index");
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return fail(d, "invalid memo index");
        value = value * 10 + (uint64_t)(text[i] - '0');
    }
    if (value > UINT32_MAX)
        return fail(d, "memo index out of range");
    *index = (uint32_t)value;
    return 0;
}

static kv__pnode *bigint_node(decoder *d, const uint8_t *le, size_t len)
{
    if (len > 8)
        return bytes_node(d, KV__PK_BIGINT, le, len);
    uint64_t value = 0;
    for (size_t i = len; i-- > 0;)
        value = (value << 8) | le[i];
    if (len > 0 && len < 8 && (le[len - 1] & 0x80))
        value |= ~(uint64_t)0 << (8 * len); /* sign extension */
    return int_node(d, (int64_t)value);
}

static bool read_hex(const uint8_t *text, size_t digits, uint32_t *value)
{
    *value = 0;
    for (size_t i = 0; i < digits; i++) {
        int v = kv_hex_digit(text[i]);
        if (v < 0)
            return false;
        *value = *value * 16 + (uint32_t)v;
    }
    return true;
}

/* Encodes CP as UTF-8, surrogates included (CESU-style, like surrogatepass). */
static size_t put_utf8(uint8_t *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* Python's raw-unicode-escape (protocol 0 UNICODE): bytes are Latin-1, except \uXXXX and
 * \UXXXXXXXX. The UTF-8 result is at most twice the input. */
static kv__pnode *raw_unicode_node(decoder *d, const uint8_t *text, size_t len)
{
    uint8_t *out = malloc(2 * len + 1);
    size_t n = 0;
    for (size_t i = 0; out && i < len;) {
        size_t digits = 0;
        if (text[i] == '\\' && i + 1 < len)
            digits = text[i + 1] == 'u' ? 4 : text[i + 1] == 'U' ? 8 : 0;
        uint32_t cp = text[i];
        if (digits && (len - i - 2 < digits || !read_hex(text + i + 2, digits, &cp) ||
                       cp > 0x10ffff)) {
            free(out);
            fail(d, "invalid \\u escape in UNICODE argument");
            return NULL;
        }
        i += digits ? digits + 2 : 1;
        n += put_utf8(out + n, cp);
    }
    if (!out) {
        fail(d, "out of memory");
        return NULL;
    }
    return owned_node(d, KV__PK_STR, out, n);
}

/* One escape of Python's string_escape at TEXT[*i] (just past the backslash). */
static int escape_one(decoder *d, const uint8_t *text, size_t len, size_t *i, uint8_t *out,
                      size_t *n)
{
    static const char simple_from[] = "\\'\"abfnrtv";
    static const char simple_to[] = "\\'\"\a\b\f\n\r\t\v";
    uint8_t c = text[(*i)++];
    const char *hit = strchr(simple_from, c);
    if (c && hit) {
        out[(*n)++] = (uint8_t)simple_to[hit - simple_from];
    } else if (c == '\n') {
        /* a line continuation produces nothing */
    } else if (c >= '0' && c <= '7') {
        unsigned value = c - '0';
        for (int k = 0; k < 2 && *i < len && text[*i] >= '0' && text[*i] <= '7'; k++)
            value = value * 8 + (unsigned)(text[(*i)++] - '0');
        out[(*n)++] = (uint8_t)value;
    } else if (c == 'x') {
        uint32_t value;
        if (len - *i < 2 || !read_hex(text + *i, 2, &value))
            return fail(d, "invalid \\x escape in STRING argument");
        *i += 2;
        out[(*n)++] = (uint8_t)value;
    } else {
        out[(*n)++] = '\\';
        out[(*n)++] = c;
    }
    return 0;
}

/* A Python 2 str: text when it is valid UTF-8, else bytes (Python 3 would need an encoding). */
static kv__pnode *py2_str_node(decoder *d, const uint8_t *data, size_t len, bool owned)
{
    kv__pkind kind = kv_utf8_valid(data, len) ? KV__PK_STR : KV__PK_BYTES;
    if (owned)
        return owned_node(d, kind, (uint8_t *)data, len);
    return bytes_node(d, kind, data, len);
}

/* ---- Opcode handlers, protocol 0 first. ---- */

static int op_mark(decoder *d)
{
    if (d->nmarks >= KV__PICKLE_MAX_MARKS)
        return fail(d, "too many open MARKs (limit %u)", KV__PICKLE_MAX_MARKS);
    if (d->nmarks == d->cap_marks) {
        size_t cap = d->cap_marks ? d->cap_marks * 2 : 16;
        size_t *marks = realloc(d->marks, cap * sizeof *marks);
        if (!marks)
            return fail(d, "out of memory");
        d->marks = marks;
        d->cap_marks = cap;
    }
    d->marks[d->nmarks++] = d->nstack;
    return 0;
}

static int op_stop(decoder *d)
{
    return pop(d, &d->result);
}

/* POP with nothing above the innermost MARK pops the MARK itself, as CPython does. */
static int op_pop(decoder *d)
{
    if (d->nstack > stack_base(d)) {
        d->nstack--;
        return 0;
    }
    if (d->nmarks) {
        d->nmarks--;
        return 0;
    }
    return fail(d, "stack underflow: POP on an empty stack");
}

static int op_pop_mark(decoder *d)
{
    kv__pnode **items;
    size_t n;
    return pop_mark(d, &items, &n);
}

static int op_dup(decoder *d)
{
    kv__pnode *node;
    return top(d, &node) != 0 ? -1 : push(d, node);
}

static int op_float(decoder *d)
{
    const uint8_t *line;
    size_t len;
    if (read_line(d, &line, &len) != 0)
        return -1;
    trim(&line, &len);
    char *text = malloc(len + 1);
    if (!text)
        return fail(d, "out of memory");
    memcpy(text, line, len);
    text[len] = '\0';
    char *end;
    double value = strtod(text, &end);
    bool ok = len > 0 && end == text + len;
    free(text);
    if (!ok)
        return fail(d, "invalid FLOAT literal");
    kv__pnode *node = new_node(d, KV__PK_FLOAT);
    if (node)
        node->u.real = value;
    return push(d, node);
}

static int op_int(decoder *d)
{
    const uint8_t *line;
    size_t len;
    if (read_line(d, &line, &len) != 0)
        return -1;
    if (len == 2 && line[0] == '0' && (line[1] == '0' || line[1] == '1'))
        return push(d, line[1] == '1' ? &true_node : &false_node);
    return push(d, parse_int_text(d, line, len));
}

static int op_long(decoder *d)
{
    const uint8_t *line;
    size_t len;
    if (read_line(d, &line, &len) != 0)
        return -1;
    if (len && line[len - 1] == 'L')
        len--;
    return push(d, parse_int_text(d, line, len));
}

static int op_none(decoder *d)
{
    return push(d, &none_node);
}

static int op_persid(decoder *d)
{
    const uint8_t *line;
    size_t len;
    if (read_line(d, &line, &len) != 0)
        return -1;
    d->unsafe = true;
    kv__pnode *pid = py2_str_node(d, line, len, false);
    return push(d, pid ? seq_node(d, KV__PK_PERSID, &pid, 1) : NULL);
}

static int op_reduce(decoder *d)
{
    kv__pnode *args, *callable;
    if (pop(d, &args) != 0 || top(d, &callable) != 0)
        return -1;
    d->unsafe = true;
    return replace_top(d, pair_node(d, KV__PK_CALL, callable, args));
}

static int op_string(decoder *d)
{
    const uint8_t *line;
    size_t len;
    if (read_line(d, &line, &len) != 0)
        return -1;
    if (len < 2 || line[0] != line[len - 1] || (line[0] != '\'' && line[0] != '"'))
        return fail(d, "the STRING argument must be quoted");
    uint8_t *out = malloc(len);
    if (!out)
        return fail(d, "out of memory");
    size_t n = 0;
    for (size_t i = 1; i < len - 1;) {
        if (line[i] != '\\') {
            out[n++] = line[i++];
            continue;
        }
        i++;
        if (i == len - 1 || escape_one(d, line, len - 1, &i, out, &n) != 0) {
            free(out);
            return d->error[0] ? -1 : fail(d, "trailing \\ in STRING argument");
        }
    }
    return push(d, py2_str_node(d, out, n, true));
}

static int op_unicode(decoder *d)
{
    const uint8_t *line;
    size_t len;
    if (read_line(d, &line, &len) != 0)
        return -1;
    return push(d, raw_unicode_node(d, line, len));
}

static int op_append(decoder *d)
{
    kv__pnode *value;
    if (pop(d, &value) != 0)
        return -1;
    return fill(d, KV__PK_LIST, KV__PK_EXTEND, &value, 1);
}

static int op_build(decoder *d)
{
    kv__pnode *state, *object;
    if (pop(d, &state) != 0 || top(d, &object) != 0)
        return -1;
    d->unsafe = true;
    return wrap_in_place(d, &d->stack[d->nstack - 1], KV__PK_BUILD, state) ? 0 : -1;
}

static kv__pnode *global_from_lines(decoder *d)
{
    const uint8_t *module, *name;
    size_t module_len, name_len;
    if (read_line(d, &module, &module_len) != 0 || read_line(d, &name, &name_len) != 0)
        return NULL;
    d->unsafe = true;
    kv__pnode *m = bytes_node(d, KV__PK_STR, module, module_len);
    kv__pnode *n = m ? bytes_node(d, KV__PK_STR, name, name_len) : NULL;
    return n ? pair_node(d, KV__PK_GLOBAL, m, n) : NULL;
}

static int op_global(decoder *d)
{
    return push(d, global_from_lines(d));
}

static int dict_from_items(decoder *d, kv__pnode *const *items, size_t n)
{
    if (n % 2)
        return fail(d, "odd number of items for a dict");
    return push(d, seq_node(d, KV__PK_DICT, items, n));
}

static int op_dict(decoder *d)
{
    kv__pnode **items;
    size_t n;
    return pop_mark(d, &items, &n) != 0 ? -1 : dict_from_items(d, items, n);
}

static int op_empty_dict(decoder *d)
{
    return push(d, new_node(d, KV__PK_DICT));
}

static int op_appends(decoder *d)
{
    kv__pnode **items;
    size_t n;
    if (pop_mark(d, &items, &n) != 0)
        return -1;
    return fill(d, KV__PK_LIST, KV__PK_EXTEND, items, n);
}

static int memo_push(decoder *d, uint32_t index)
{
    kv__pnode *node = kv__pmemo_get(&d->memo, index);
    if (!node)
        return fail(d, "memo index %u is not defined", index);
    return push(d, node);
}

static int op_get(decoder *d)
{
    const uint8_t *line;
    size_t len;
    uint32_t index;
    if (read_line(d, &line, &len) != 0 || parse_index_text(d, line, len, &index) != 0)
        return -1;
    return memo_push(d, index);
}

static int op_inst(decoder *d)
{
    kv__pnode *global = global_from_lines(d);
    kv__pnode **items;
    size_t n;
    if (!global || pop_mark(d, &items, &n) != 0)
        return -1;
    kv__pnode *args = seq_node(d, KV__PK_TUPLE, items, n);
    return push(d, args ? pair_node(d, KV__PK_CALL, global, args) : NULL);
}

static int op_list(decoder *d)
{
    kv__pnode **items;
    size_t n;
    if (pop_mark(d, &items, &n) != 0)
        return -1;
    return push(d, seq_node(d, KV__PK_LIST, items, n));
}

static int op_empty_list(decoder *d)
{
    return push(d, new_node(d, KV__PK_LIST));
}

static int op_obj(decoder *d)
{
    kv__pnode **items;
    size_t n;
    if (pop_mark(d, &items, &n) != 0)
        return -1;
    if (n == 0)
        return fail(d, "OBJ needs a class after the MARK");
    d->unsafe = true;
    kv__pnode *cls = items[0];
    kv__pnode *args = seq_node(d, KV__PK_TUPLE, items + 1, n - 1);
    return push(d, args ? pair_node(d, KV__PK_CALL, cls, args) : NULL);
}

static int memo_put(decoder *d, uint32_t index)
{
    kv__pnode *node;
    if (top(d, &node) != 0)
        return -1;
    if (kv__pmemo_put(&d->memo, index, node) != 0)
        return fail(d, "memo is full (limit %u entries) or out of memory", KV__PICKLE_MAX_MEMO);
    return 0;
}

static int op_put(decoder *d)
{
    const uint8_t *line;
    size_t len;
    uint32_t index;
    if (read_line(d, &line, &len) != 0 || parse_index_text(d, line, len, &index) != 0)
        return -1;
    return memo_put(d, index);
}

static int op_setitem(decoder *d)
{
    kv__pnode *pair[2];
    if (pop(d, &pair[1]) != 0 || pop(d, &pair[0]) != 0)
        return -1;
    return fill(d, KV__PK_DICT, KV__PK_UPDATE, pair, 2);
}

static int op_tuple(decoder *d)
{
    kv__pnode **items;
    size_t n;
    if (pop_mark(d, &items, &n) != 0)
        return -1;
    return push(d, seq_node(d, KV__PK_TUPLE, items, n));
}

static int op_empty_tuple(decoder *d)
{
    return push(d, new_node(d, KV__PK_TUPLE));
}

static int op_setitems(decoder *d)
{
    kv__pnode **items;
    size_t n;
    if (pop_mark(d, &items, &n) != 0)
        return -1;
    if (n % 2)
        return fail(d, "odd number of items for SETITEMS");
    return fill(d, KV__PK_DICT, KV__PK_UPDATE, items, n);
}

/* ---- Protocol 1. ---- */

static int push_uint(decoder *d, unsigned width)
{
    uint64_t value;
    return read_uint(d, width, &value) != 0 ? -1 : push(d, int_node(d, (int64_t)value));
}

static int op_binint(decoder *d)
{
    int64_t value;
    return read_int32(d, &value) != 0 ? -1 : push(d, int_node(d, value));
}

static int op_binint1(decoder *d)
{
    return push_uint(d, 1);
}

static int op_binint2(decoder *d)
{
    return push_uint(d, 2);
}

static int op_binpersid(decoder *d)
{
    kv__pnode *pid;
    if (top(d, &pid) != 0)
        return -1;
    d->unsafe = true;
    return replace_top(d, seq_node(d, KV__PK_PERSID, &pid, 1));
}

/* Reads a WIDTH-byte length (signed when SIGNED_LEN) and then that many bytes. */
static int read_counted(decoder *d, unsigned width, bool signed_len, const uint8_t **data,
                        size_t *len)
{
    uint64_t n;
    *data = NULL;
    *len = 0;
    if (read_uint(d, width, &n) != 0)
        return -1;
    if (signed_len && (n & 0x80000000u))
        return fail(d, "negative length %d", (int)(int32_t)(uint32_t)n);
    if (read_bytes(d, n, data) != 0)
        return -1;
    *len = (size_t)n;
    return 0;
}

static int push_counted(decoder *d, unsigned width, bool signed_len, kv__pkind kind)
{
    const uint8_t *data;
    size_t len;
    if (read_counted(d, width, signed_len, &data, &len) != 0)
        return -1;
    if (kind == KV__PK_BIGINT)
        return push(d, bigint_node(d, data, len));
    if (kind == KV__PK_NONE) /* a Python 2 str */
        return push(d, py2_str_node(d, data, len, false));
    return push(d, bytes_node(d, kind, data, len));
}

static int op_binstring(decoder *d)
{
    return push_counted(d, 4, true, KV__PK_NONE);
}

static int op_short_binstring(decoder *d)
{
    return push_counted(d, 1, false, KV__PK_NONE);
}

static int op_binunicode(decoder *d)
{
    return push_counted(d, 4, false, KV__PK_STR);
}

static int op_binget(decoder *d)
{
    uint64_t index;
    return read_uint(d, 1, &index) != 0 ? -1 : memo_push(d, (uint32_t)index);
}

static int op_long_binget(decoder *d)
{
    uint64_t index;
    return read_uint(d, 4, &index) != 0 ? -1 : memo_push(d, (uint32_t)index);
}

static int op_binput(decoder *d)
{
    uint64_t index;
    return read_uint(d, 1, &index) != 0 ? -1 : memo_put(d, (uint32_t)index);
}

static int op_long_binput(decoder *d)
{
    uint64_t index;
    return read_uint(d, 4, &index) != 0 ? -1 : memo_put(d, (uint32_t)index);
}

static int op_binfloat(decoder *d)
{
    uint64_t bits = 0;
    const uint8_t *p;
    if (read_bytes(d, 8, &p) != 0)
        return -1;
    for (int i = 0; i < 8; i++)
        bits = (bits << 8) | p[i];
    kv__pnode *node = new_node(d, KV__PK_FLOAT);
    if (node)
        memcpy(&node->u.real, &bits, sizeof bits);
    return push(d, node);
}

/* ---- Protocol 2. ---- */

static int op_proto(decoder *d)
{
    uint64_t version;
    if (read_uint(d, 1, &version) != 0)
        return -1;
    if (version > 5)
        return fail(d, "unsupported protocol %u", (unsigned)version);
    return 0;
}

static int op_newobj(decoder *d)
{
    kv__pnode *args, *cls;
    if (pop(d, &args) != 0 || top(d, &cls) != 0)
        return -1;
    d->unsafe = true;
    return replace_top(d, pair_node(d, KV__PK_CALL, cls, args));
}

static int push_ext(decoder *d, int64_t code)
{
    d->unsafe = true;
    kv__pnode *node = new_node(d, KV__PK_EXT);
    if (node)
        node->u.integer = code;
    return push(d, node);
}

static int op_ext1(decoder *d)
{
    uint64_t code;
    return read_uint(d, 1, &code) != 0 ? -1 : push_ext(d, (int64_t)code);
}

static int op_ext2(decoder *d)
{
    uint64_t code;
    return read_uint(d, 2, &code) != 0 ? -1 : push_ext(d, (int64_t)code);
}

static int op_ext4(decoder *d)
{
    int64_t code;
    return read_int32(d, &code) != 0 ? -1 : push_ext(d, code);
}

static int tuple_of_top(decoder *d, size_t n)
{
    if (need_items(d, n) != 0)
        return -1;
    d->nstack -= n;
    return push(d, seq_node(d, KV__PK_TUPLE, d->stack + d->nstack, n));
}

static int op_tuple1(decoder *d)
{
    return tuple_of_top(d, 1);
}

static int op_tuple2(decoder *d)
{
    return tuple_of_top(d, 2);
}

static int op_tuple3(decoder *d)
{
    return tuple_of_top(d, 3);
}

static int op_newtrue(decoder *d)
{
    return push(d, &true_node);
}

static int op_newfalse(decoder *d)
{
    return push(d, &false_node);
}

static int op_long1(decoder *d)
{
    return push_counted(d, 1, false, KV__PK_BIGINT);
}

static int op_long4(decoder *d)
{
    return push_counted(d, 4, true, KV__PK_BIGINT);
}

/* ---- Protocols 3 to 5. ---- */

static int op_binbytes(decoder *d)
{
    return push_counted(d, 4, false, KV__PK_BYTES);
}

static int op_short_binbytes(decoder *d)
{
    return push_counted(d, 1, false, KV__PK_BYTES);
}

static int op_short_binunicode(decoder *d)
{
    return push_counted(d, 1, false, KV__PK_STR);
}

static int op_binunicode8(decoder *d)
{
    return push_counted(d, 8, false, KV__PK_STR);
}

static int op_binbytes8(decoder *d)
{
    return push_counted(d, 8, false, KV__PK_BYTES);
}

static int op_bytearray8(decoder *d)
{
    return push_counted(d, 8, false, KV__PK_BYTEARRAY);
}

static int op_empty_set(decoder *d)
{
    return push(d, new_node(d, KV__PK_SET));
}

static int op_additems(decoder *d)
{
    kv__pnode **items;
    size_t n;
    if (pop_mark(d, &items, &n) != 0)
        return -1;
    return fill(d, KV__PK_SET, KV__PK_ADDITEMS, items, n);
}

static int op_frozenset(decoder *d)
{
    kv__pnode **items;
    size_t n;
    if (pop_mark(d, &items, &n) != 0)
        return -1;
    return push(d, seq_node(d, KV__PK_FROZENSET, items, n));
}

static int op_newobj_ex(decoder *d)
{
    kv__pnode *kwargs, *args, *cls;
    if (pop(d, &kwargs) != 0 || pop(d, &args) != 0 || top(d, &cls) != 0)
        return -1;
    d->unsafe = true;
    kv__pnode *items[3] = {cls, args, kwargs};
    return replace_top(d, seq_node(d, KV__PK_CALL, items, 3));
}

static int op_stack_global(decoder *d)
{
    kv__pnode *name, *module;
    if (pop(d, &name) != 0 || top(d, &module) != 0)
        return -1;
    d->unsafe = true;
    return replace_top(d, pair_node(d, KV__PK_GLOBAL, module, name));
}

static int op_memoize(decoder *d)
{
    if (d->memo.count > UINT32_MAX)
        return fail(d, "memo is full");
    return memo_put(d, (uint32_t)d->memo.count);
}

/* FRAME's length is only a buffering hint: read it, trust nothing about it. */
static int op_frame(decoder *d)
{
    uint64_t length;
    return read_uint(d, 8, &length);
}

static int op_next_buffer(decoder *d)
{
    d->unsafe = true;
    kv__pnode *node = new_node(d, KV__PK_BUFFER);
    if (node)
        node->u.integer = d->next_buffer++;
    return push(d, node);
}

static int op_readonly_buffer(decoder *d)
{
    kv__pnode *node;
    return top(d, &node);
}

static const opcode opcodes[256] = {
    ['('] = {"MARK", op_mark},
    ['.'] = {"STOP", op_stop},
    ['0'] = {"POP", op_pop},
    ['1'] = {"POP_MARK", op_pop_mark},
    ['2'] = {"DUP", op_dup},
    ['F'] = {"FLOAT", op_float},
    ['I'] = {"INT", op_int},
    ['J'] = {"BININT", op_binint},
    ['K'] = {"BININT1", op_binint1},
    ['L'] = {"LONG", op_long},
    ['M'] = {"BININT2", op_binint2},
    ['N'] = {"NONE", op_none},
    ['P'] = {"PERSID", op_persid},
    ['Q'] = {"BINPERSID", op_binpersid},
    ['R'] = {"REDUCE", op_reduce},
    ['S'] = {"STRING", op_string},
    ['T'] = {"BINSTRING", op_binstring},
    ['U'] = {"SHORT_BINSTRING", op_short_binstring},
    ['V'] = {"UNICODE", op_unicode},
    ['X'] = {"BINUNICODE", op_binunicode},
    ['a'] = {"APPEND", op_append},
    ['b'] = {"BUILD", op_build},
    ['c'] = {"GLOBAL", op_global},
    ['d'] = {"DICT", op_dict},
    ['}'] = {"EMPTY_DICT", op_empty_dict},
    ['e'] = {"APPENDS", op_appends},
    ['g'] = {"GET", op_get},
    ['h'] = {"BINGET", op_binget},
    ['i'] = {"INST", op_inst},
    ['j'] = {"LONG_BINGET", op_long_binget},
    ['l'] = {"LIST", op_list},
    [']'] = {"EMPTY_LIST", op_empty_list},
    ['o'] = {"OBJ", op_obj},
    ['p'] = {"PUT", op_put},
    ['q'] = {"BINPUT", op_binput},
    ['r'] = {"LONG_BINPUT", op_long_binput},
    ['s'] = {"SETITEM", op_setitem},
    ['t'] = {"TUPLE", op_tuple},
    [')'] = {"EMPTY_TUPLE", op_empty_tuple},
    ['u'] = {"SETITEMS", op_setitems},
    ['G'] = {"BINFLOAT", op_binfloat},
    [0x80] = {"PROTO", op_proto},
    [0x81] = {"NEWOBJ", op_newobj},
    [0x82] = {"EXT1", op_ext1},
    [0x83] = {"EXT2", op_ext2},
    [0x84] = {"EXT4", op_ext4},
    [0x85] = {"TUPLE1", op_tuple1},
    [0x86] = {"TUPLE2", op_tuple2},
    [0x87] = {"TUPLE3", op_tuple3},
    [0x88] = {"NEWTRUE", op_newtrue},
    [0x89] = {"NEWFALSE", op_newfalse},
    [0x8a] = {"LONG1", op_long1},
    [0x8b] = {"LONG4", op_long4},
    ['B'] = {"BINBYTES", op_binbytes},
    ['C'] = {"SHORT_BINBYTES", op_short_binbytes},
    [0x8c] = {"SHORT_BINUNICODE", op_short_binunicode},
    [0x8d] = {"BINUNICODE8", op_binunicode8},
    [0x8e] = {"BINBYTES8", op_binbytes8},
    [0x8f] = {"EMPTY_SET", op_empty_set},
    [0x90] = {"ADDITEMS", op_additems},
    [0x91] = {"FROZENSET", op_frozenset},
    [0x92] = {"NEWOBJ_EX", op_newobj_ex},
    [0x93] = {"STACK_GLOBAL", op_stack_global},
    [0x94] = {"MEMOIZE", op_memoize},
    [0x95] = {"FRAME", op_frame},
    [0x96] = {"BYTEARRAY8", op_bytearray8},
    [0x97] = {"NEXT_BUFFER", op_next_buffer},
    [0x98] = {"READONLY_BUFFER", op_readonly_buffer},
};

static const opcode *opcode_of(uint8_t code)
{
    return opcodes[code].run ? &opcodes[code] : NULL;
}

/* Runs opcodes until STOP; the error names the offset and opcode. */
static int run(decoder *d, char *errbuf, size_t errbuf_len)
{
    while (!d->result) {
        d->op_pos = d->pos;
        if (d->pos >= d->len) {
            snprintf(errbuf, errbuf_len, "pickle: data ends at byte offset %zu without STOP",
                     d->pos);
            return -1;
        }
        d->op = d->data[d->pos++];
        const opcode *op = opcode_of(d->op);
        int rc = !op ? fail(d, "unknown opcode 0x%02x", d->op)
                 : ++d->ops > KV__PICKLE_MAX_OPS
                     ? fail(d, "opcode budget of %u exceeded", KV__PICKLE_MAX_OPS)
                     : op->run(d);
        if (rc != 0) {
            snprintf(errbuf, errbuf_len, "pickle: %s at byte offset %zu (opcode %s)", d->error,
                     d->op_pos, op ? op->name : "?");
            return -1;
        }
    }
    return 0;
}

static void decoder_free(decoder *d)
{
    free(d->stack);
    free(d->marks);
    kv__pmemo_free(&d->memo);
    kv__parena_free(&d->arena);
}

static kv_status build_view(decoder *d, kv_pickle_view *view, char *errbuf, size_t errbuf_len)
{
    size_t trailing = d->len - d->pos;
    bool plain = false;
    view->unsafe = d->unsafe;
    view->display = kv__pickle_render_display(d->result, trailing);
    if (!d->unsafe && trailing == 0)
        view->json = kv__pickle_render_json(d->result, &plain);
    view->plain = view->json != NULL;
    if (!view->display || (plain && !view->json)) {
        kv_pickle_view_free(view);
        snprintf(errbuf, errbuf_len, "pickle: out of memory while rendering");
        return KV_ERR_INTERNAL;
    }
    return KV_OK;
}

kv_status kv_pickle_decode(const uint8_t *data, size_t len, kv_pickle_view *view, char *errbuf,
                           size_t errbuf_len)
{
    char scratch[1];
    if (!errbuf || errbuf_len == 0) {
        errbuf = scratch;
        errbuf_len = sizeof scratch;
    }
    errbuf[0] = '\0';
    memset(view, 0, sizeof *view);
    decoder d = {.data = data, .len = data ? len : 0};
    locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    locale_t previous = c_locale ? uselocale(c_locale) : (locale_t)0;
    kv_status status = run(&d, errbuf, errbuf_len) == 0 ? build_view(&d, view, errbuf, errbuf_len)
                                                        : KV_ERR_VALUE_FORMAT;
    if (c_locale) {
        uselocale(previous);
        freelocale(c_locale);
    }
    decoder_free(&d);
    return status;
}

void kv_pickle_view_free(kv_pickle_view *view)
{
    if (!view)
        return;
    free(view->json);
    free(view->display);
    memset(view, 0, sizeof *view);
}

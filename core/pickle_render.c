/* The inert display of a decoded pickle: a Python-like repr, pretty-printed pprint-style, with
 * symbolic Global/Call/Build nodes, every string escaped, depth, cycles and size capped. */
#include <stdio.h>
#include <string.h>

#include "pickle_internal.h"

#define LINE_WIDTH 100u
#define INDENT_STEP 2u
#define INDENT_MAX 64u /* deeper levels stop moving right, so 512 levels stay readable */
#define BIGINT_WORK (300u * 1000u * 1000u) /* limb operations for big-int decimal per render */

typedef struct shape {
    const char *open;
    const char *close;
    const char *empty;
    bool pairs;     /* key: value items (dicts) */
    bool one_comma; /* a 1-tuple needs its comma */
} shape;

typedef struct renderer {
    kv__pbuf out;
    uint64_t bigint_work;
} renderer;

static void render_node(renderer *r, kv__pnode *node, unsigned depth, unsigned indent, bool flat);

static const shape *shape_of(uint8_t kind)
{
    static const shape shapes[] = {
        [KV__PK_LIST] = {"[", "]", "[]", false, false},
        [KV__PK_TUPLE] = {"(", ")", "()", false, true},
        [KV__PK_DICT] = {"{", "}", "{}", true, false},
        [KV__PK_SET] = {"{", "}", "set()", false, false},
        [KV__PK_FROZENSET] = {"frozenset({", "})", "frozenset()", false, false},
        [KV__PK_GLOBAL] = {"Global(", ")", "Global()", false, false},
        [KV__PK_CALL] = {"Call(", ")", "Call()", false, false},
        [KV__PK_BUILD] = {"Build(", ")", "Build()", false, false},
        [KV__PK_EXTEND] = {"Extend(", ")", "Extend()", false, false},
        [KV__PK_UPDATE] = {"Update(", ")", "Update()", false, false},
        [KV__PK_ADDITEMS] = {"AddItems(", ")", "AddItems()", false, false},
        [KV__PK_PERSID] = {"PersId(", ")", "PersId()", false, false},
    };
    return kind < sizeof shapes / sizeof shapes[0] && shapes[kind].open ? &shapes[kind] : NULL;
}

/* Python's quote choice: single quotes unless the text holds ' and no ". */
static char quote_for(const uint8_t *data, size_t len)
{
    return memchr(data, '\'', len) && !memchr(data, '"', len) ? '"' : '\'';
}

static void escape_code_point(kv__pbuf *out, uint32_t cp)
{
    if (cp == '\n')
        kv__pbuf_str(out, "\\n");
    else if (cp == '\r')
        kv__pbuf_str(out, "\\r");
    else if (cp == '\t')
        kv__pbuf_str(out, "\\t");
    else if (cp < 0x100)
        kv__pbuf_printf(out, "\\x%02x", cp);
    else if (cp < 0x10000)
        kv__pbuf_printf(out, "\\u%04x", cp);
    else
        kv__pbuf_printf(out, "\\U%08x", cp);
}

static void render_str(kv__pbuf *out, const uint8_t *data, size_t len)
{
    char quote = quote_for(data, len);
    kv__pbuf_byte(out, (uint8_t)quote);
    for (size_t i = 0; i < len && !out->overflow;) {
        uint32_t cp;
        size_t n = kv__pickle_utf8_next(data + i, len - i, &cp);
        if (n == 0) { /* not UTF-8 at all: show the byte */
            kv__pbuf_printf(out, "\\x%02x", data[i++]);
            continue;
        }
        if (cp == '\\' || cp == (uint32_t)quote) {
            kv__pbuf_byte(out, '\\');
            kv__pbuf_byte(out, (uint8_t)cp);
        } else if (kv__pickle_codepoint_unsafe(cp)) {
            escape_code_point(out, cp);
        } else {
            kv__pbuf_add(out, data + i, n);
        }
        i += n;
    }
    kv__pbuf_byte(out, (uint8_t)quote);
}

static void render_bytes(kv__pbuf *out, const uint8_t *data, size_t len)
{
    char quote = quote_for(data, len);
    kv__pbuf_byte(out, 'b');
    kv__pbuf_byte(out, (uint8_t)quote);
    for (size_t i = 0; i < len && !out->overflow; i++) {
        uint8_t c = data[i];
        if (c == '\\' || c == (uint8_t)quote) {
            kv__pbuf_byte(out, '\\');
            kv__pbuf_byte(out, c);
        } else if (c < 0x20 || c >= 0x7f) {
            escape_code_point(out, c);
        } else {
            kv__pbuf_byte(out, c);
        }
    }
    kv__pbuf_byte(out, (uint8_t)quote);
}

/* Decimal while it is cheap and at most 4300 digits; past that, only the size is shown. */
static void render_bigint(renderer *r, const uint8_t *le, size_t len)
{
    uint64_t cost = (uint64_t)len * len / 16 + 1;
    size_t mark = r->out.len;
    if (cost <= r->bigint_work) {
        r->bigint_work -= cost;
        if (kv__pickle_bigint_decimal(le, len, &r->out))
            return;
    }
    r->out.len = mark;
    bool negative = len && (le[len - 1] & 0x80);
    kv__pbuf_printf(&r->out, "<%sint of %zu bits, too large to show>", negative ? "negative " : "",
                    len * 8);
}

static void render_atom(renderer *r, const kv__pnode *node)
{
    kv__pbuf *out = &r->out;
    char number[40];
    switch (node->kind) {
    case KV__PK_NONE:
        kv__pbuf_str(out, "None");
        break;
    case KV__PK_BOOL:
        kv__pbuf_str(out, node->u.boolean ? "True" : "False");
        break;
    case KV__PK_INT:
        kv__pbuf_printf(out, "%lld", (long long)node->u.integer);
        break;
    case KV__PK_BIGINT:
        render_bigint(r, node->u.bytes.data, node->u.bytes.len);
        break;
    case KV__PK_INTTEXT:
        kv__pbuf_add(out, node->u.bytes.data, node->u.bytes.len);
        break;
    case KV__PK_FLOAT:
        kv__pickle_format_double(node->u.real, number, sizeof number);
        kv__pbuf_str(out, number);
        break;
    case KV__PK_STR:
        render_str(out, node->u.bytes.data, node->u.bytes.len);
        break;
    case KV__PK_BYTES:
        render_bytes(out, node->u.bytes.data, node->u.bytes.len);
        break;
    case KV__PK_BYTEARRAY:
        kv__pbuf_str(out, "bytearray(");
        render_bytes(out, node->u.bytes.data, node->u.bytes.len);
        kv__pbuf_str(out, ")");
        break;
    case KV__PK_EXT:
        kv__pbuf_printf(out, "Ext(%lld)", (long long)node->u.integer);
        break;
    default: /* KV__PK_BUFFER */
        kv__pbuf_printf(out, "<out-of-band buffer #%lld (absent)>", (long long)node->u.integer);
        break;
    }
}

static void render_indent(kv__pbuf *out, unsigned indent)
{
    static const char spaces[] = "                                ";
    while (indent > 0 && !out->overflow) {
        unsigned n = indent < sizeof spaces - 1 ? indent : (unsigned)sizeof spaces - 1;
        kv__pbuf_add(out, spaces, n);
        indent -= n;
    }
}

static void render_items(renderer *r, const kv__pnode *node, const shape *s, unsigned depth,
                         unsigned indent, bool flat)
{
    size_t len = node->u.seq.len;
    size_t step = s->pairs ? 2 : 1;
    unsigned inner = indent < INDENT_MAX ? indent + INDENT_STEP : indent;
    kv__pbuf_str(&r->out, s->open);
    if (!flat)
        kv__pbuf_byte(&r->out, '\n');
    for (size_t i = 0; i < len && !r->out.overflow; i += step) {
        if (!flat)
            render_indent(&r->out, inner);
        render_node(r, node->u.seq.items[i], depth + 1, inner, flat);
        if (s->pairs && i + 1 < len) {
            kv__pbuf_str(&r->out, ": ");
            render_node(r, node->u.seq.items[i + 1], depth + 1, inner, flat);
        }
        bool last = i + step >= len;
        if (!last || (s->one_comma && len == 1))
            kv__pbuf_str(&r->out, flat && !last ? ", " : ",");
        if (!flat)
            kv__pbuf_byte(&r->out, '\n');
    }
    if (!flat)
        render_indent(&r->out, indent);
    kv__pbuf_str(&r->out, s->close);
}

/* pprint's rule: one line when it fits in the width left, else one item per line. The flat
 * attempt stops at the width, so trying costs at most one line. */
static void render_seq(renderer *r, kv__pnode *node, const shape *s, unsigned depth,
                       unsigned indent, bool flat)
{
    if (node->u.seq.len == 0) {
        kv__pbuf_str(&r->out, s->empty);
        return;
    }
    if (flat) {
        render_items(r, node, s, depth, indent, true);
        return;
    }
    size_t start = r->out.len, limit = r->out.limit;
    size_t room = indent + 40 < LINE_WIDTH ? LINE_WIDTH - indent : 40;
    if (room < limit - start)
        r->out.limit = start + room;
    render_items(r, node, s, depth, indent, true);
    r->out.limit = limit;
    if (!r->out.overflow)
        return;
    r->out.len = start;
    r->out.overflow = false;
    render_items(r, node, s, depth, indent, false);
}

static void render_node(renderer *r, kv__pnode *node, unsigned depth, unsigned indent, bool flat)
{
    const shape *s = shape_of(node->kind);
    if (!s) {
        render_atom(r, node);
        return;
    }
    if (depth >= KV__PICKLE_MAX_DEPTH || (node->flags & KV__PN_VISITING)) {
        kv__pbuf_str(&r->out, s->open);
        kv__pbuf_str(&r->out, "...");
        kv__pbuf_str(&r->out, s->close);
        return;
    }
    node->flags |= KV__PN_VISITING;
    render_seq(r, node, s, depth, indent, flat);
    node->flags &= (uint8_t)~KV__PN_VISITING;
}

char *kv__pickle_render_display(kv__pnode *root, size_t trailing)
{
    renderer r = {.bigint_work = BIGINT_WORK};
    kv__pbuf_init(&r.out, KV__PICKLE_MAX_OUTPUT);
    render_node(&r, root, 0, 0, false);
    if (r.out.overflow) {
        r.out.overflow = false;
        r.out.limit += 100;
        kv__pbuf_str(&r.out, "\n... (display truncated)");
    }
    if (trailing) {
        r.out.limit += 100;
        kv__pbuf_printf(&r.out, "\n# %zu trailing byte(s) after STOP, ignored", trailing);
    }
    if (r.out.oom) {
        kv__pbuf_free(&r.out);
        return NULL;
    }
    return kv__pbuf_take(&r.out);
}

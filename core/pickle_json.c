/* JSON text of a plain-data pickle (dict with str keys, list, tuple, str, bytes, int, float,
 * bool, None), pretty with 2 spaces like json.dumps(indent=2). Anything else: not plain. */
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "pickle_internal.h"

#define BIGINT_WORK (300u * 1000u * 1000u)

typedef struct json_writer {
    kv__pbuf out;
    uint64_t bigint_work;
} json_writer;

static bool json_node(json_writer *w, kv__pnode *node, unsigned depth, unsigned indent);

static void newline_indent(kv__pbuf *out, unsigned indent)
{
    kv__pbuf_byte(out, '\n');
    for (unsigned i = 0; i < indent && !out->overflow; i++)
        kv__pbuf_byte(out, ' ');
}

/* A JSON string; false when the text is not valid UTF-8 or holds a lone surrogate or a NUL,
 * which the JSON tree of the save path could not carry back unchanged. */
static bool json_string(kv__pbuf *out, const uint8_t *data, size_t len)
{
    kv__pbuf_byte(out, '"');
    for (size_t i = 0; i < len && !out->overflow;) {
        uint32_t cp;
        size_t n = kv__pickle_utf8_next(data + i, len - i, &cp);
        if (n == 0 || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        if (cp == '"' || cp == '\\') {
            kv__pbuf_byte(out, '\\');
            kv__pbuf_byte(out, (uint8_t)cp);
        } else if (cp == '\n') {
            kv__pbuf_str(out, "\\n");
        } else if (cp == '\t') {
            kv__pbuf_str(out, "\\t");
        } else if (kv__pickle_codepoint_unsafe(cp)) {
            kv__pbuf_printf(out, "\\u%04x", cp);
        } else {
            kv__pbuf_add(out, data + i, n);
        }
        i += n;
    }
    kv__pbuf_byte(out, '"');
    return true;
}

static bool json_bytes(kv__pbuf *out, const uint8_t *data, size_t len, unsigned indent)
{
    size_t b64_len;
    char *b64 = kv_base64_encode(data, len, &b64_len);
    if (!b64) {
        out->oom = true;
        return false;
    }
    kv__pbuf_byte(out, '{');
    newline_indent(out, indent + 2);
    kv__pbuf_str(out, "\"$bytes\": \"");
    kv__pbuf_add(out, b64, b64_len);
    kv__pbuf_byte(out, '"');
    newline_indent(out, indent);
    kv__pbuf_byte(out, '}');
    free(b64);
    return true;
}

static bool json_float(kv__pbuf *out, double value)
{
    char text[40];
    if (value != value || value - value != 0) /* NaN and infinities have no JSON form */
        return false;
    kv__pickle_format_double(value, text, sizeof text);
    kv__pbuf_str(out, text);
    return true;
}

static bool json_bigint(json_writer *w, const uint8_t *le, size_t len)
{
    uint64_t cost = (uint64_t)len * len / 16 + 1;
    if (cost > w->bigint_work)
        return false;
    w->bigint_work -= cost;
    return kv__pickle_bigint_decimal(le, len, &w->out);
}

static bool json_atom(json_writer *w, const kv__pnode *node, unsigned indent)
{
    kv__pbuf *out = &w->out;
    switch (node->kind) {
    case KV__PK_NONE:
        kv__pbuf_str(out, "null");
        return true;
    case KV__PK_BOOL:
        kv__pbuf_str(out, node->u.boolean ? "true" : "false");
        return true;
    case KV__PK_INT:
        kv__pbuf_printf(out, "%lld", (long long)node->u.integer);
        return true;
    case KV__PK_BIGINT:
        return json_bigint(w, node->u.bytes.data, node->u.bytes.len);
    case KV__PK_INTTEXT:
        kv__pbuf_add(out, node->u.bytes.data, node->u.bytes.len);
        return true;
    case KV__PK_FLOAT:
        return json_float(out, node->u.real);
    case KV__PK_STR:
        return json_string(out, node->u.bytes.data, node->u.bytes.len);
    case KV__PK_BYTES:
        return json_bytes(out, node->u.bytes.data, node->u.bytes.len, indent);
    default:
        return false;
    }
}

/* A one-entry dict keyed "$bytes" would read back as bytes, so it cannot be shown as JSON. */
static bool dict_is_plain(const kv__pnode *node)
{
    for (size_t i = 0; i < node->u.seq.len; i += 2)
        if (node->u.seq.items[i]->kind != KV__PK_STR)
            return false;
    if (node->u.seq.len != 2)
        return true;
    const kv__pnode *key = node->u.seq.items[0];
    return !(key->u.bytes.len == 6 && memcmp(key->u.bytes.data, "$bytes", 6) == 0);
}

static bool json_container(json_writer *w, kv__pnode *node, unsigned depth, unsigned indent)
{
    bool dict = node->kind == KV__PK_DICT;
    size_t len = node->u.seq.len, step = dict ? 2 : 1;
    if (dict && !dict_is_plain(node))
        return false;
    kv__pbuf_byte(&w->out, dict ? '{' : '[');
    for (size_t i = 0; i < len; i += step) {
        newline_indent(&w->out, indent + 2);
        if (!json_node(w, node->u.seq.items[i], depth + 1, indent + 2))
            return false;
        if (dict) {
            kv__pbuf_str(&w->out, ": ");
            if (!json_node(w, node->u.seq.items[i + 1], depth + 1, indent + 2))
                return false;
        }
        if (i + step < len)
            kv__pbuf_byte(&w->out, ',');
        if (w->out.overflow || w->out.oom)
            return false;
    }
    if (len)
        newline_indent(&w->out, indent);
    kv__pbuf_byte(&w->out, dict ? '}' : ']');
    return true;
}

static bool json_node(json_writer *w, kv__pnode *node, unsigned depth, unsigned indent)
{
    bool container = node->kind == KV__PK_LIST || node->kind == KV__PK_TUPLE ||
                     node->kind == KV__PK_DICT;
    if (!container)
        return json_atom(w, node, indent);
    if (depth >= KV__PICKLE_MAX_DEPTH || (node->flags & KV__PN_VISITING))
        return false; /* too deep for an editor, or a cycle JSON cannot express */
    node->flags |= KV__PN_VISITING;
    bool ok = json_container(w, node, depth, indent);
    node->flags &= (uint8_t)~KV__PN_VISITING;
    return ok;
}

char *kv__pickle_render_json(kv__pnode *root, bool *plain)
{
    json_writer w = {.bigint_work = BIGINT_WORK};
    kv__pbuf_init(&w.out, KV__PICKLE_MAX_OUTPUT);
    bool ok = json_node(&w, root, 0, 0) && !w.out.overflow && !w.out.oom;
    *plain = ok || w.out.oom;
    if (!ok) {
        kv__pbuf_free(&w.out);
        return NULL;
    }
    return kv__pbuf_take(&w.out);
}

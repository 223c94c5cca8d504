/* Builds a cJSON tree from the lexer's tokens without recursion; numbers stay raw text. */
#include <stdlib.h>
#include <string.h>

#include "kv.h"

typedef struct tree_builder {
    cJSON *root;
    cJSON **parents; /* open containers, innermost last */
    size_t nparents;
    size_t cap_parents;
    char *scratch; /* a decoded string or a NUL-terminated number */
    size_t cap_scratch;
    char *key; /* the pending object key, decoded */
    size_t cap_key;
} tree_builder;

static bool grow_text(char **buffer, size_t *cap, size_t need)
{
    if (*cap >= need)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    char *grown = realloc(*buffer, n);
    if (!grown)
        return false;
    *buffer = grown;
    *cap = n;
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

static unsigned read_hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++)
        v = v * 16 + (unsigned)hex_value(p[i]);
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes a \uXXXX escape at P (at the 'u'), joining a surrogate pair; a lone surrogate becomes
 * U+FFFD so the tree only ever holds valid UTF-8. Returns the bytes consumed after the 'u'. */
static size_t decode_unicode(const char *p, const char *end, char *out, size_t *written)
{
    unsigned cp = read_hex4(p + 1);
    size_t used = 5;
    if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 11 && p[5] == '\\' && p[6] == 'u') {
        unsigned low = read_hex4(p + 7);
        if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            used = 11;
        }
    }
    if (cp >= 0xd800 && cp <= 0xdfff)
        cp = 0xfffd;
    *written = put_utf8(out, cp);
    return used;
}

static char simple_escape(char c)
{
    switch (c) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return c; /* " \ / */
    }
}

/* Decodes a string lexeme (quotes included, already validated) into *BUFFER, NUL-terminated.
 * The decoded text is never longer than the lexeme. A \u0000 ends the C string early. */
static bool decode_string(const char *lexeme, size_t length, char **buffer, size_t *cap)
{
    if (!grow_text(buffer, cap, length + 1))
        return false;
    const char *p = lexeme + 1;
    const char *end = lexeme + length - 1;
    char *out = *buffer;
    while (p < end) {
        if (*p != '\\') {
            *out++ = *p++;
        } else if (p[1] == 'u') {
            size_t written;
            p += 1 + decode_unicode(p + 1, end, out, &written);
            out += written;
        } else {
            *out++ = simple_escape(p[1]);
            p += 2;
        }
    }
    *out = '\0';
    return true;
}

static cJSON *make_number(tree_builder *builder, const char *lexeme, size_t length)
{
    if (!grow_text(&builder->scratch, &builder->cap_scratch, length + 1))
        return NULL;
    memcpy(builder->scratch, lexeme, length);
    builder->scratch[length] = '\0';
    return cJSON_CreateRaw(builder->scratch);
}

static cJSON *make_string(tree_builder *builder, const char *lexeme, size_t length)
{
    if (!decode_string(lexeme, length, &builder->scratch, &builder->cap_scratch))
        return NULL;
    return cJSON_CreateString(builder->scratch);
}

static cJSON *make_item(tree_builder *builder, const char *text, const kv_json_token *token)
{
    const char *lexeme = text + token->offset;
    switch (token->kind) {
    case KV_JSON_OBJECT_OPEN:
        return cJSON_CreateObject();
    case KV_JSON_ARRAY_OPEN:
        return cJSON_CreateArray();
    case KV_JSON_STRING:
        return make_string(builder, lexeme, token->length);
    case KV_JSON_NUMBER:
        return make_number(builder, lexeme, token->length);
    case KV_JSON_TRUE:
        return cJSON_CreateTrue();
    case KV_JSON_FALSE:
        return cJSON_CreateFalse();
    default:
        return cJSON_CreateNull();
    }
}

static bool push_parent(tree_builder *builder, cJSON *container)
{
    if (builder->nparents == builder->cap_parents) {
        size_t cap = builder->cap_parents ? builder->cap_parents * 2 : 32;
        cJSON **grown = realloc(builder->parents, cap * sizeof *grown);
        if (!grown)
            return false;
        builder->parents = grown;
        builder->cap_parents = cap;
    }
    builder->parents[builder->nparents++] = container;
    return true;
}

/* Hangs ITEM under the innermost open container (or makes it the root); on failure the item
 * is freed here. Duplicate keys are appended in order, as written. */
static bool attach(tree_builder *builder, cJSON *item)
{
    if (builder->nparents == 0) {
        builder->root = item;
        return true;
    }
    cJSON *parent = builder->parents[builder->nparents - 1];
    bool ok = cJSON_IsObject(parent) ? cJSON_AddItemToObject(parent, builder->key, item)
                                     : cJSON_AddItemToArray(parent, item);
    if (!ok)
        cJSON_Delete(item);
    return ok;
}

static bool add_value(tree_builder *builder, const char *text, const kv_json_token *token)
{
    cJSON *item = make_item(builder, text, token);
    if (!item || !attach(builder, item))
        return false;
    if (token->kind == KV_JSON_OBJECT_OPEN || token->kind == KV_JSON_ARRAY_OPEN)
        return push_parent(builder, item);
    return true;
}

static bool add_token(tree_builder *builder, const char *text, const kv_json_token *token)
{
    switch (token->kind) {
    case KV_JSON_KEY:
        return decode_string(text + token->offset, token->length, &builder->key,
                             &builder->cap_key);
    case KV_JSON_COLON:
    case KV_JSON_COMMA:
        return true;
    case KV_JSON_OBJECT_CLOSE:
    case KV_JSON_ARRAY_CLOSE:
        builder->nparents--;
        return true;
    default:
        return add_value(builder, text, token);
    }
}

cJSON *kv_json_parse_tree(const char *text, size_t len, kv_json_error *error)
{
    kv_json_lexer lexer;
    kv_json_token token;
    tree_builder builder = {0};
    bool ok = true;
    int rc = 0;

    kv_json_lexer_init(&lexer, text, len);
    while (ok && (rc = kv_json_lexer_next(&lexer, &token)) > 0)
        ok = add_token(&builder, text, &token);
    free(builder.parents);
    free(builder.scratch);
    free(builder.key);
    if (ok && rc == 0)
        return builder.root;
    cJSON_Delete(builder.root);
    /* Running out of memory has no line or column: 0 says so. */
    if (error && !ok)
        *error = (kv_json_error){.offset = token.offset, .line = 0, .column = 0,
                                 .message = "out of memory while building the JSON tree"};
    else if (error)
        *error = lexer.error;
    return NULL;
}

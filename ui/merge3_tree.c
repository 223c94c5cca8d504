/* The merge's JSON tree: built from the lexer's tokens, so scalars keep their exact text. */
#include <stdlib.h>
#include <string.h>

#include "merge3_internal.h"

char *ui__merge_copy(const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        abort();
    memcpy(copy, text, len);
    copy[len] = '\0';
    return copy;
}

/* A member name without its quotes and escapes (names are compared decoded). */
static char *decode_key(const char *lexeme, size_t len)
{
    if (!memchr(lexeme, '\\', len))
        return ui__merge_copy(lexeme + 1, len - 2);
    cJSON *string = cJSON_ParseWithLength(lexeme, len);
    const char *decoded = cJSON_IsString(string) ? string->valuestring : "";
    char *key = ui__merge_copy(decoded, strlen(decoded));
    cJSON_Delete(string);
    return key;
}

typedef struct tree_builder {
    cJSON *root;
    cJSON **stack;
    size_t depth;
    char *key; /* the member name waiting for its value */
} tree_builder;

static void attach(tree_builder *b, cJSON *item)
{
    if (b->depth == 0) {
        b->root = item;
    } else if (cJSON_IsObject(b->stack[b->depth - 1])) {
        cJSON_AddItemToObject(b->stack[b->depth - 1], b->key ? b->key : "", item);
        free(b->key);
        b->key = NULL;
    } else {
        cJSON_AddItemToArray(b->stack[b->depth - 1], item);
    }
}

static void take_token(tree_builder *b, const char *text, const kv_json_token *token)
{
    const char *lexeme = text + token->offset;
    switch (token->kind) {
    case KV_JSON_OBJECT_OPEN:
    case KV_JSON_ARRAY_OPEN: {
        cJSON *container =
            token->kind == KV_JSON_OBJECT_OPEN ? cJSON_CreateObject() : cJSON_CreateArray();
        attach(b, container);
        b->stack[b->depth++] = container;
        break;
    }
    case KV_JSON_OBJECT_CLOSE:
    case KV_JSON_ARRAY_CLOSE:
        b->depth--;
        break;
    case KV_JSON_KEY:
        free(b->key);
        b->key = decode_key(lexeme, token->length);
        break;
    case KV_JSON_COLON:
    case KV_JSON_COMMA:
        break;
    default: {
        char *raw = ui__merge_copy(lexeme, token->length);
        attach(b, cJSON_CreateRaw(raw));
        free(raw);
    }
    }
}

cJSON *ui__merge_tree(const char *text, size_t len, kv_json_error *error)
{
    kv_json_lexer lexer;
    kv_json_token token;
    tree_builder b = {0};
    b.stack = calloc(KV_JSON_MAX_DEPTH + 1, sizeof *b.stack);
    if (!b.stack)
        abort();
    kv_json_lexer_init(&lexer, text, len);
    int got;
    while ((got = kv_json_lexer_next(&lexer, &token)) == 1)
        take_token(&b, text, &token);
    free(b.stack);
    free(b.key);
    if (got < 0) {
        *error = lexer.error;
        cJSON_Delete(b.root);
        return NULL;
    }
    return b.root;
}

char *ui__merge_print(const cJSON *tree, unsigned indent, size_t *len)
{
    char *compact = cJSON_PrintUnformatted(tree);
    if (!compact)
        abort();
    *len = strlen(compact);
    if (indent == 0)
        return compact;
    char *pretty = NULL;
    size_t pretty_len = 0;
    kv_json_error error;
    if (kv_json_format(compact, *len, indent, &pretty, &pretty_len, &error) != KV_OK)
        return compact; /* cannot happen for a valid tree; compact is still right */
    free(compact);
    *len = pretty_len;
    return pretty;
}

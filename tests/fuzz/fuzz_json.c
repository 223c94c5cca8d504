/* Fuzzes the lossless JSON layer: lexer, formatter (pretty and minified) and tree builder must
 * never crash, and minifying must be idempotent on valid input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

static void run_lexer(const char *text, size_t len)
{
    kv_json_lexer lexer;
    kv_json_token token;
    kv_json_lexer_init(&lexer, text, len);
    while (kv_json_lexer_next(&lexer, &token) > 0) {
        if (token.offset + token.length > len)
            abort();
    }
}

static bool equal_text(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* Both layouts must agree with the validator; on valid input format(format(x, 0), 0) must equal
 * format(x, 0), and the pretty text must minify back to it. */
static void run_format(const char *text, size_t len, bool valid)
{
    char *once = NULL, *twice = NULL, *pretty = NULL, *back = NULL;
    size_t once_len, twice_len, pretty_len, back_len;
    bool pretty_ok = kv_json_format(text, len, 2, &pretty, &pretty_len, NULL) == KV_OK;
    bool once_ok = kv_json_format(text, len, 0, &once, &once_len, NULL) == KV_OK;
    if (pretty_ok != valid || once_ok != valid)
        abort();
    if (valid) {
        if (kv_json_format(once, once_len, 0, &twice, &twice_len, NULL) != KV_OK ||
            !equal_text(once, once_len, twice, twice_len))
            abort();
        if (kv_json_format(pretty, pretty_len, 0, &back, &back_len, NULL) != KV_OK ||
            !equal_text(once, once_len, back, back_len))
            abort();
    }
    free(once);
    free(twice);
    free(pretty);
    free(back);
}

static void run_tree(const char *text, size_t len, bool valid)
{
    kv_json_error error;
    cJSON *tree = kv_json_parse_tree(text, len, &error);
    if ((tree != NULL) != valid)
        abort();
    char *printed = tree ? cJSON_PrintUnformatted(tree) : NULL;
    free(printed);
    cJSON_Delete(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy without a NUL, so any read past the end is caught by ASan. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    run_lexer(text, size);
    bool valid = kv_json_valid(text, size, NULL);
    run_format(text, size, valid);
    run_tree(text, size, valid);
    free(text);
    return 0;
}

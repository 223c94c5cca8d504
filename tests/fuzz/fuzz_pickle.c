/* libFuzzer target for the pickle decoder and encoder. The input is decoded as a pickle and
 * also encoded as JSON text, each from an exact-size heap copy so ASan sees any over-read.
 * Property: a plain pickle's JSON encodes back to a pickle that decodes to the same JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

static void check_round_trip(const char *json)
{
    uint8_t *pickle;
    size_t len;
    char err[256];
    if (kv_pickle_encode_json(json, strlen(json), &pickle, &len, err, sizeof err) != KV_OK) {
        /* Only a > 4300-digit integer from a huge LONG may refuse; nothing else should. */
        if (!strstr(err, "digits"))
            abort();
        return;
    }
    kv_pickle_view again;
    if (kv_pickle_decode(pickle, len, &again, err, sizeof err) != KV_OK || !again.plain ||
        strcmp(again.json, json) != 0)
        abort();
    kv_pickle_view_free(&again);
    free(pickle);
}

static void fuzz_decode(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return;
    memcpy(copy, data, size);
    kv_pickle_view view;
    char err[256];
    if (kv_pickle_decode(copy, size, &view, err, sizeof err) == KV_OK) {
        if (!view.display || (view.plain && !view.json) || (view.plain && view.unsafe))
            abort();
        if (view.plain)
            check_round_trip(view.json);
        kv_pickle_view_free(&view);
    } else if (view.display || view.json || !strstr(err, "offset")) {
        abort();
    }
    free(copy);
}

/* Reasons the encoder may refuse valid JSON; any other refusal is a bug. */
static bool known_refusal(const char *err)
{
    static const char *reasons[] = {"digits", "does not fit in a float", "\\u0000",
                                    "nesting deeper", "invalid base64", "too large"};
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (strstr(err, reasons[i]))
            return true;
    return false;
}

static void fuzz_encode(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return;
    memcpy(copy, data, size);
    bool valid = kv_json_valid(copy, size, NULL);
    cJSON *tree = kv_json_parse_tree(copy, size, NULL);
    if (valid != (tree != NULL))
        abort(); /* the validator and the tree builder must agree */
    cJSON_Delete(tree);
    uint8_t *pickle;
    size_t len;
    char err[256];
    if (kv_pickle_encode_json(copy, size, &pickle, &len, err, sizeof err) == KV_OK) {
        kv_pickle_view view;
        if (!valid || kv_pickle_decode(pickle, len, &view, err, sizeof err) != KV_OK)
            abort(); /* everything the encoder writes must decode */
        kv_pickle_view_free(&view);
        free(pickle);
    } else if (valid && !known_refusal(err)) {
        abort();
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_decode(data, size);
    fuzz_encode(data, size);
    return 0;
}

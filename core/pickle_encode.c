/* JSON text -> protocol-2 pickle, byte for byte what CPython's pickle.dumps(obj, protocol=2)
 * writes for the same plain data (memo BINPUTs and 1000-item batches included). {"$bytes": b64}
 * becomes bytes, which needs protocol 3 opcodes: the header then says PROTO 3. */
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "pickle_internal.h"

#define BATCH 1000u       /* CPython's _BATCHSIZE */
#define MAX_NESTING 1000u /* CPython's default recursion limit refuses deeper data too */
#define MAX_PICKLE (256u << 20)

typedef struct encoder {
    kv__pbuf out;
    uint32_t memo; /* next memo index, as CPython's len(self.memo) */
    bool has_bytes;
    char error[200];
} encoder;

static int encode_item(encoder *e, const cJSON *item, unsigned depth);

static int fail(encoder *e, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int fail(encoder *e, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(e->error, sizeof e->error, format, args);
    va_end(args);
    return -1;
}

static void put_le(encoder *e, uint64_t value, unsigned width)
{
    for (unsigned i = 0; i < width; i++)
        kv__pbuf_byte(&e->out, (uint8_t)(value >> (8 * i)));
}

/* CPython memoizes every str, bytes, list and dict it writes: BINPUT i, or LONG_BINPUT. */
static void memoize(encoder *e)
{
    if (e->memo < 256) {
        kv__pbuf_byte(&e->out, 'q');
        put_le(e, e->memo, 1);
    } else {
        kv__pbuf_byte(&e->out, 'r');
        put_le(e, e->memo, 4);
    }
    e->memo++;
}

static void encode_string(encoder *e, const char *text)
{
    size_t len = strlen(text);
    kv__pbuf_byte(&e->out, 'X');
    put_le(e, len, 4);
    kv__pbuf_add(&e->out, text, len);
    memoize(e);
}

/* Trims a two's complement little-endian number to CPython's encode_long length. */
static size_t twos_minimal(const uint8_t *le, size_t len)
{
    while (len > 1) {
        uint8_t last = le[len - 1], next = le[len - 2];
        if (!((last == 0 && !(next & 0x80)) || (last == 0xff && (next & 0x80))))
            break;
        len--;
    }
    return len;
}

static void encode_long_bytes(encoder *e, const uint8_t *le, size_t len)
{
    len = twos_minimal(le, len);
    if (len < 256) {
        kv__pbuf_byte(&e->out, 0x8a); /* LONG1 */
        put_le(e, len, 1);
    } else {
        kv__pbuf_byte(&e->out, 0x8b); /* LONG4 */
        put_le(e, len, 4);
    }
    kv__pbuf_add(&e->out, le, len);
}

static void encode_int64(encoder *e, int64_t value)
{
    if (value >= 0 && value <= 0xff) {
        kv__pbuf_byte(&e->out, 'K');
        put_le(e, (uint64_t)value, 1);
    } else if (value >= 0 && value <= 0xffff) {
        kv__pbuf_byte(&e->out, 'M');
        put_le(e, (uint64_t)value, 2);
    } else if (value >= INT32_MIN && value <= INT32_MAX) {
        kv__pbuf_byte(&e->out, 'J');
        put_le(e, (uint64_t)value, 4);
    } else {
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
            le[i] = (uint8_t)((uint64_t)value >> (8 * i));
        encode_long_bytes(e, le, 8);
    }
}

/* DIGITS (no sign) to two's complement little-endian bytes, negated when NEGATIVE. Quadratic,
 * which is why the caller refuses more than 4300 digits, as CPython's int() does. */
static uint8_t *decimal_to_twos(const char *digits, size_t n, bool negative, size_t *len)
{
    size_t nlimbs = n / 9 + 2;
    uint32_t *limbs = calloc(nlimbs, sizeof *limbs);
    uint8_t *le = malloc(nlimbs * 4 + 1);
    if (!limbs || !le) {
        free(limbs);
        free(le);
        return NULL;
    }
    for (size_t i = 0; i < n;) {
        size_t take = (n - i) % 9 ? (n - i) % 9 : 9;
        uint64_t carry = 0, scale = 1;
        for (size_t k = 0; k < take; k++, i++) {
            carry = carry * 10 + (uint64_t)(digits[i] - '0');
            scale *= 10;
        }
        for (size_t k = 0; k < nlimbs; k++) {
            uint64_t cur = (uint64_t)limbs[k] * scale + carry;
            limbs[k] = (uint32_t)cur;
            carry = cur >> 32;
        }
    }
    *len = nlimbs * 4 + 1;
    unsigned borrow = 1;
    for (size_t i = 0; i < *len; i++) {
        unsigned byte = i < nlimbs * 4 ? (limbs[i / 4] >> (8 * (i % 4))) & 0xffu : 0;
        if (negative) {
            byte = (~byte & 0xffu) + borrow;
            borrow = byte >> 8;
            byte &= 0xffu;
        }
        le[i] = (uint8_t)byte;
    }
    free(limbs);
    return le;
}

static int encode_integer_text(encoder *e, const char *text)
{
    bool negative = text[0] == '-';
    const char *digits = text + negative;
    while (digits[0] == '0' && digits[1])
        digits++;
    size_t n = strlen(digits);
    if (n > KV__PICKLE_MAX_DIGITS)
        return fail(e, "integer %.20s... has more than %u digits", text, KV__PICKLE_MAX_DIGITS);
    if (n <= 18) {
        int64_t value = strtoll(digits, NULL, 10);
        encode_int64(e, negative ? -value : value);
        return 0;
    }
    size_t len;
    uint8_t *le = decimal_to_twos(digits, n, negative, &len);
    if (!le)
        return fail(e, "out of memory");
    encode_long_bytes(e, le, len);
    free(le);
    return 0;
}

static int encode_float(encoder *e, double value, const char *text)
{
    if (!isfinite(value))
        return fail(e, "number %.40s does not fit in a float", text);
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    kv__pbuf_byte(&e->out, 'G');
    for (int i = 7; i >= 0; i--)
        kv__pbuf_byte(&e->out, (uint8_t)(bits >> (8 * i)));
    return 0;
}

static int encode_number(encoder *e, const cJSON *item)
{
    if (cJSON_IsRaw(item)) {
        const char *text = item->valuestring;
        if (strpbrk(text, ".eE"))
            return encode_float(e, strtod(text, NULL), text);
        return encode_integer_text(e, text);
    }
    double value = item->valuedouble; /* a plain cJSON number: its text is gone */
    if (value == floor(value) && fabs(value) < 9.2e18) {
        encode_int64(e, (int64_t)value);
        return 0;
    }
    return encode_float(e, value, "(number)");
}

/* {"$bytes": "<base64>"} and nothing else in the object. */
static const cJSON *bytes_payload(const cJSON *object)
{
    const cJSON *child = object->child;
    if (!child || child->next || !child->string || strcmp(child->string, "$bytes") != 0)
        return NULL;
    return cJSON_IsString(child) ? child : NULL;
}

static int encode_bytes(encoder *e, const char *b64)
{
    uint8_t *data;
    size_t len;
    if (kv_base64_decode(b64, strlen(b64), &data, &len) != KV_OK)
        return fail(e, "\"$bytes\" holds invalid base64");
    if (len > UINT32_MAX) {
        free(data);
        return fail(e, "bytes value too large");
    }
    kv__pbuf_byte(&e->out, len < 256 ? 'C' : 'B');
    put_le(e, len, len < 256 ? 1 : 4);
    kv__pbuf_add(&e->out, data, len);
    free(data);
    memoize(e);
    e->has_bytes = true;
    return 0;
}

static int encode_child(encoder *e, const cJSON *child, unsigned depth, bool dict)
{
    if (dict)
        encode_string(e, child->string);
    return encode_item(e, child, depth + 1);
}

/* CPython's C pickler (batch_dict_exact / batch_list_exact): one item is KEY VALUE SETITEM
 * or ITEM APPEND; more go in MARK ... SETITEMS/APPENDS batches of 1000. A dict whose size is
 * a multiple of 1000 ends with an empty batch, exactly as CPython writes it. */
static int encode_children(encoder *e, const cJSON *container, unsigned depth, bool dict)
{
    const cJSON *child = container->child;
    if (!child)
        return 0;
    if (!child->next) {
        if (encode_child(e, child, depth, dict) != 0)
            return -1;
        kv__pbuf_byte(&e->out, dict ? 's' : 'a');
        return 0;
    }
    size_t in_batch;
    do {
        kv__pbuf_byte(&e->out, '(');
        for (in_batch = 0; child && in_batch < BATCH; in_batch++, child = child->next)
            if (encode_child(e, child, depth, dict) != 0)
                return -1;
        kv__pbuf_byte(&e->out, dict ? 'u' : 'e');
    } while (dict ? in_batch == BATCH : child != NULL);
    return 0;
}

static int encode_container(encoder *e, const cJSON *item, unsigned depth)
{
    if (depth >= MAX_NESTING)
        return fail(e, "nesting deeper than %u levels", MAX_NESTING);
    bool dict = cJSON_IsObject(item);
    if (dict) {
        const cJSON *payload = bytes_payload(item);
        if (payload)
            return encode_bytes(e, payload->valuestring);
    }
    kv__pbuf_byte(&e->out, dict ? '}' : ']');
    memoize(e);
    return encode_children(e, item, depth, dict);
}

static int encode_item(encoder *e, const cJSON *item, unsigned depth)
{
    if (e->out.overflow || e->out.oom)
        return fail(e, "pickle would exceed %u MiB or memory ran out", MAX_PICKLE >> 20);
    if (cJSON_IsObject(item) || cJSON_IsArray(item))
        return encode_container(e, item, depth);
    if (cJSON_IsString(item))
        encode_string(e, item->valuestring);
    else if (cJSON_IsRaw(item) || cJSON_IsNumber(item))
        return encode_number(e, item);
    else if (cJSON_IsTrue(item))
        kv__pbuf_byte(&e->out, 0x88);
    else if (cJSON_IsFalse(item))
        kv__pbuf_byte(&e->out, 0x89);
    else
        kv__pbuf_byte(&e->out, 'N');
    return 0;
}

static kv_status encode_tree(const cJSON *root, uint8_t **out, size_t *out_len, char *errbuf,
                             size_t errbuf_len)
{
    encoder e = {.memo = 0};
    kv__pbuf_init(&e.out, MAX_PICKLE);
    kv__pbuf_add(&e.out, "\x80\x02", 2);
    int rc = encode_item(&e, root, 0);
    kv__pbuf_byte(&e.out, '.');
    if (rc == 0 && (e.out.overflow || e.out.oom))
        rc = fail(&e, "pickle would exceed %u MiB or memory ran out", MAX_PICKLE >> 20);
    if (rc != 0) {
        snprintf(errbuf, errbuf_len, "pickle: %s", e.error);
        kv__pbuf_free(&e.out);
        return KV_ERR_VALUE_FORMAT;
    }
    if (e.has_bytes)
        e.out.data[1] = 3;
    *out_len = e.out.len;
    *out = (uint8_t *)kv__pbuf_take(&e.out);
    if (!*out) {
        snprintf(errbuf, errbuf_len, "pickle: out of memory");
        return KV_ERR_INTERNAL;
    }
    return KV_OK;
}

/* The JSON tree holds C strings, so a \u0000 escape would silently cut a string short:
 * refuse it instead. Backslashes only occur inside strings of valid JSON. */
static bool has_nul_escape(const char *json, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (json[i] != '\\')
            continue;
        if (json[i + 1] == 'u' && len - i >= 6 && memcmp(json + i + 2, "0000", 4) == 0)
            return true;
        i++;
    }
    return false;
}

kv_status kv_pickle_encode_json(const char *json, size_t len, uint8_t **out, size_t *out_len,
                                char *errbuf, size_t errbuf_len)
{
    char scratch[1];
    if (!errbuf || errbuf_len == 0) {
        errbuf = scratch;
        errbuf_len = sizeof scratch;
    }
    errbuf[0] = '\0';
    *out = NULL;
    *out_len = 0;
    kv_json_error error = {0};
    cJSON *root = kv_json_parse_tree(json, len, &error);
    if (!root) {
        snprintf(errbuf, errbuf_len, "invalid JSON at line %u, column %u: %s", error.line,
                 error.column, error.message[0] ? error.message : "parse error");
        return KV_ERR_VALUE_FORMAT;
    }
    if (has_nul_escape(json, len)) {
        cJSON_Delete(root);
        snprintf(errbuf, errbuf_len, "pickle: strings with \\u0000 cannot be stored");
        return KV_ERR_VALUE_FORMAT;
    }
    locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    locale_t previous = c_locale ? uselocale(c_locale) : (locale_t)0;
    kv_status status = encode_tree(root, out, out_len, errbuf, errbuf_len);
    if (c_locale) {
        uselocale(previous);
        freelocale(c_locale);
    }
    cJSON_Delete(root);
    return status;
}

/* Fuzz target: what a memcached server (or anything posing as one) sends back. The first byte
 * picks the parser: the binary response reader (fed in uneven chunks), the one-shot frame
 * decoder, or the text protocol (meta replies, metadump lines, stats, value blocks). None may
 * crash, read outside its input, or buffer more than one capped frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

/* Read every byte the packet claims to have, so the sanitizers see any lie. */
static void touch_packet(const kv__mcbp_packet *p)
{
    uint64_t sum = p->opaque + p->cas + p->status;
    for (size_t i = 0; i < p->framing_len; i++)
        sum += p->framing[i];
    for (size_t i = 0; i < p->extras_len; i++)
        sum += p->extras[i];
    for (size_t i = 0; i < p->key_len; i++)
        sum += p->key[i];
    for (size_t i = 0; i < p->value_len; i++)
        sum += p->value[i];
    sink += sum;
}

static void fuzz_reader(const uint8_t *data, size_t size)
{
    kv__mcbp_reader reader;
    kv__mcbp_reader_init(&reader);
    size_t at = 0, chunk = 1;
    while (at < size) {
        size_t n = size - at < chunk ? size - at : chunk;
        size_t taken = kv__mcbp_reader_feed(&reader, data + at, n);
        kv__mcbp_packet p;
        int rc;
        while ((rc = kv__mcbp_reader_next(&reader, &p)) == 1)
            touch_packet(&p);
        if (reader.in.cap > KV__MCBP_HEADER_LEN + KV__MCBP_BODY_MAX + (128u << 10))
            abort(); /* more memory than one capped frame */
        if (rc < 0 || taken == 0)
            break;
        at += taken;
        chunk = chunk * 3 % 97 + 1;
    }
    kv__mcbp_reader_free(&reader);
}

static void fuzz_decode(const uint8_t *data, size_t size)
{
    kv__mcbp_packet p;
    size_t used;
    const char *why;
    if (kv__mcbp_decode(data, size, &p, &used, &why) == KV__MCBP_FRAME) {
        if (used > size)
            abort();
        touch_packet(&p);
    }
}

static void parse_text_line(const char *line, size_t len)
{
    kv__mc_meta meta;
    kv__mc_dump_entry entry;
    int64_t value;
    if (kv__mc_parse_meta(line, len, &meta) == KV__MC_META_VA && meta.value_len > KV_VALUE_MAX)
        abort();
    if (kv__mc_parse_dump_line(line, len, &entry) == 1 &&
        (entry.key_len == 0 || entry.key_len > KV_KEY_MAX))
        abort();
    kv__mc_parse_stat(line, len, "time", &value);
    sink += kv__mc_is_end(line, len);
}

static void fuzz_text(const uint8_t *data, size_t size)
{
    kv__rbuf in = {0};
    size_t avail;
    uint8_t *space = kv__rbuf_space(&in, size, &avail);
    if (size)
        memcpy(space, data, size);
    kv__rbuf_commit(&in, size);
    for (;;) {
        const char *line;
        size_t len;
        int rc = kv__mc_next_line(&in, KV__MC_LINE_MAX, &line, &len);
        if (rc <= 0)
            break;
        parse_text_line(line, len);
        const uint8_t *block;
        if (len && line[0] == 'V' && kv__mc_next_block(&in, len % 16, &block) < 0)
            break;
    }
    kv__rbuf_free(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        fuzz_reader(data + 1, size - 1);
        break;
    case 1:
        fuzz_decode(data + 1, size - 1);
        break;
    default:
        fuzz_text(data + 1, size - 1);
        break;
    }
    return 0;
}

/* Whole MCBP frames out of a byte stream, with the memory a peer can make us hold capped. */
#include <string.h>

#include "mcbp.h"

/* Reads are at least this big, so small frames arrive many to a read. */
#define READ_CHUNK (64u * 1024u)

void kv__mcbp_reader_init(kv__mcbp_reader *reader)
{
    memset(reader, 0, sizeof *reader);
}

void kv__mcbp_reader_free(kv__mcbp_reader *reader)
{
    kv__rbuf_free(&reader->in);
    memset(reader, 0, sizeof *reader);
}

void kv__mcbp_reader_reset(kv__mcbp_reader *reader)
{
    kv__rbuf_reset(&reader->in);
    reader->failed = false;
    reader->why = NULL;
}

/* The bytes the frame at the front still lacks (0 when unknown or complete). */
static size_t frame_missing(const kv__mcbp_reader *reader)
{
    size_t held = kv__rbuf_len(&reader->in);
    if (held < KV__MCBP_HEADER_LEN)
        return 0;
    uint32_t body = kv__mcbp_get32(kv__rbuf_data(&reader->in) + 8);
    if (body > KV__MCBP_BODY_MAX)
        return 0; /* _next reports it */
    size_t frame = KV__MCBP_HEADER_LEN + (size_t)body;
    return frame > held ? frame - held : 0;
}

uint8_t *kv__mcbp_reader_space(kv__mcbp_reader *reader, size_t *avail)
{
    *avail = 0;
    if (reader->failed)
        return NULL;
    size_t want = frame_missing(reader);
    return kv__rbuf_space(&reader->in, want > READ_CHUNK ? want : READ_CHUNK, avail);
}

void kv__mcbp_reader_commit(kv__mcbp_reader *reader, size_t n)
{
    kv__rbuf_commit(&reader->in, n);
}

size_t kv__mcbp_reader_feed(kv__mcbp_reader *reader, const uint8_t *data, size_t len)
{
    size_t avail;
    uint8_t *space = kv__mcbp_reader_space(reader, &avail);
    if (!space)
        return 0;
    size_t n = len < avail ? len : avail;
    if (n)
        memcpy(space, data, n);
    kv__mcbp_reader_commit(reader, n);
    return n;
}

int kv__mcbp_reader_next(kv__mcbp_reader *reader, kv__mcbp_packet *packet)
{
    if (reader->failed)
        return -1;
    size_t used;
    const char *why;
    switch (kv__mcbp_decode(kv__rbuf_data(&reader->in), kv__rbuf_len(&reader->in), packet, &used,
                            &why)) {
    case KV__MCBP_FRAME:
        kv__rbuf_consume(&reader->in, used);
        return 1;
    case KV__MCBP_NEED_MORE:
        return 0;
    case KV__MCBP_BAD:
        break;
    }
    reader->failed = true;
    reader->why = why;
    return -1;
}

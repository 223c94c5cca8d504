/*
 * util_rbuf.h - a receive buffer for stream parsers (internal to core).
 *
 * Bytes arrive at the end (read straight into kv__rbuf_space, then kv__rbuf_commit) and are
 * consumed from the start. Memory only moves inside kv__rbuf_space, so pointers into the
 * unconsumed bytes stay valid until the next call to it. The caller decides how much room a
 * frame needs, which is how parsers cap what a hostile peer can make us allocate.
 */
#ifndef KV_UTIL_RBUF_H
#define KV_UTIL_RBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct kv__rbuf {
    uint8_t *data;
    size_t start; /* first unconsumed byte */
    size_t end;   /* one past the last received byte */
    size_t cap;
} kv__rbuf;

/* At least WANT bytes of room after the received bytes (moving them to the front or growing
 * the buffer as needed); *avail is the room actually there. */
uint8_t *kv__rbuf_space(kv__rbuf *buf, size_t want, size_t *avail);
void kv__rbuf_commit(kv__rbuf *buf, size_t n);
void kv__rbuf_consume(kv__rbuf *buf, size_t n);
/* Drop every byte, keeping the memory. */
void kv__rbuf_reset(kv__rbuf *buf);
void kv__rbuf_free(kv__rbuf *buf);

static inline size_t kv__rbuf_len(const kv__rbuf *buf)
{
    return buf->end - buf->start;
}

static inline const uint8_t *kv__rbuf_data(const kv__rbuf *buf)
{
    return buf->data ? buf->data + buf->start : NULL;
}

#endif /* KV_UTIL_RBUF_H */

/* A receive buffer for stream parsers: see util_rbuf.h. */
#include <stdlib.h>
#include <string.h>

#include "util_alloc.h"
#include "util_rbuf.h"

/* An empty buffer larger than this is given back, so one huge frame does not pin its memory. */
#define RBUF_KEEP (256u * 1024u)

uint8_t *kv__rbuf_space(kv__rbuf *buf, size_t want, size_t *avail)
{
    if (buf->start == buf->end) {
        buf->start = buf->end = 0;
        if (buf->cap > RBUF_KEEP && want <= RBUF_KEEP) {
            free(buf->data);
            buf->data = NULL;
            buf->cap = 0;
        }
    }
    if (buf->cap - buf->end < want && buf->start > 0) {
        memmove(buf->data, buf->data + buf->start, buf->end - buf->start);
        buf->end -= buf->start;
        buf->start = 0;
    }
    if (buf->cap - buf->end < want) {
        buf->cap = buf->end + want;
        buf->data = kv__xrealloc(buf->data, buf->cap);
    }
    *avail = buf->cap - buf->end;
    return buf->data + buf->end;
}

void kv__rbuf_commit(kv__rbuf *buf, size_t n)
{
    buf->end += n <= buf->cap - buf->end ? n : buf->cap - buf->end;
}

void kv__rbuf_consume(kv__rbuf *buf, size_t n)
{
    buf->start += n <= buf->end - buf->start ? n : buf->end - buf->start;
    if (buf->start == buf->end)
        buf->start = buf->end = 0;
}

void kv__rbuf_reset(kv__rbuf *buf)
{
    buf->start = buf->end = 0;
}

void kv__rbuf_free(kv__rbuf *buf)
{
    free(buf->data);
    memset(buf, 0, sizeof *buf);
}

/*
 * Key placement compatible with libmemcached (1.0.18 and 1.1.x, src/libmemcached/hosts.cc and
 * hash.cc), so kvtui finds the keys applications wrote through it:
 *   - ketama = MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED: the key hash is the first 4 bytes of its MD5
 *     (little-endian); each server gets floor(weight share * 40 * servers) MD5 digests of
 *     "host-i" (port 11211) or "host:port-i", 4 points from each; a key goes to the first point
 *     at or above its hash, wrapping around;
 *   - modula = MEMCACHED_DISTRIBUTION_MODULA: one-at-a-time hash of the key modulo the count.
 * With a single server libmemcached skips hashing; both rules then give server 0 anyway.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "mc_internal.h"
#include "util_alloc.h"
#include "util_md5.h"

#define KETAMA_POINTS_PER_SERVER 160
#define KETAMA_POINTS_PER_HASH 4
#define MEMCACHED_DEFAULT_PORT 11211

static uint32_t digest_point(const uint8_t digest[16], unsigned alignment)
{
    const uint8_t *d = digest + 4 * alignment;
    return (uint32_t)d[3] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[1] << 8 | d[0];
}

uint32_t kv__mc_hash_md5(const void *key, size_t len)
{
    uint8_t digest[16];
    kv__md5(key, len, digest);
    return digest_point(digest, 0);
}

/* libhashkit reads the key through a (signed) char, so bytes above 0x7f are sign-extended. */
uint32_t kv__mc_hash_one_at_a_time(const void *key, size_t len)
{
    const signed char *p = key;
    uint32_t value = 0;
    while (len--) {
        value += (uint32_t)(int32_t)*p++;
        value += value << 10;
        value ^= value >> 6;
    }
    value += value << 3;
    value ^= value >> 11;
    value += value << 15;
    return value;
}

int kv__mc_server_name(char *out, size_t cap, const kv_host *host)
{
    if (host->port == MEMCACHED_DEFAULT_PORT)
        return snprintf(out, cap, "%s", host->host);
    return snprintf(out, cap, "%s:%u", host->host, (unsigned)host->port);
}

/* libmemcached computes the share in float arithmetic; doing the same keeps the point count
 * identical for every server count. */
static uint32_t points_per_server(size_t nhosts)
{
    float share = 1.0F / (float)nhosts;
    float hashes = share * KETAMA_POINTS_PER_SERVER / 4 * (float)nhosts + 0.0000000001F;
    return (uint32_t)floorf(hashes) * KETAMA_POINTS_PER_HASH;
}

static int point_compare(const void *a, const void *b)
{
    const kv__mc_point *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

static void add_server_points(kv__mc_ring *ring, const kv_host *host, uint32_t node, uint32_t count)
{
    char base[320], name[340];
    kv__mc_server_name(base, sizeof base, host);
    for (uint32_t i = 0; i < count / KETAMA_POINTS_PER_HASH; i++) {
        int len = snprintf(name, sizeof name, "%s-%u", base, i);
        uint8_t digest[16];
        kv__md5(name, (size_t)len, digest);
        for (unsigned a = 0; a < KETAMA_POINTS_PER_HASH; a++)
            ring->points[ring->npoints++] = (kv__mc_point){digest_point(digest, a), node};
    }
}

void kv__mc_ring_build(kv__mc_ring *ring, const kv_host *hosts, size_t nhosts, bool ketama)
{
    ring->ketama = ketama;
    ring->nnodes = nhosts;
    ring->points = NULL;
    ring->npoints = 0;
    if (!ketama || nhosts == 0)
        return;
    uint32_t per = points_per_server(nhosts);
    ring->points = kv__xcalloc(nhosts * per, sizeof *ring->points);
    for (size_t i = 0; i < nhosts; i++)
        add_server_points(ring, &hosts[i], (uint32_t)i, per);
    qsort(ring->points, ring->npoints, sizeof *ring->points, point_compare);
}

void kv__mc_ring_free(kv__mc_ring *ring)
{
    free(ring->points);
    ring->points = NULL;
    ring->npoints = 0;
}

/* The first point at or above HASH, wrapping to the first point. */
static size_t ring_lookup(const kv__mc_ring *ring, uint32_t hash)
{
    size_t left = 0, right = ring->npoints;
    while (left < right) {
        size_t middle = left + (right - left) / 2;
        if (ring->points[middle].value < hash)
            left = middle + 1;
        else
            right = middle;
    }
    return ring->points[right == ring->npoints ? 0 : right].node;
}

size_t kv__mc_ring_node(const kv__mc_ring *ring, const void *key, size_t key_len)
{
    if (ring->nnodes <= 1)
        return 0;
    if (!ring->ketama)
        return kv__mc_hash_one_at_a_time(key, key_len) % ring->nnodes;
    if (ring->npoints == 0)
        return 0;
    return ring_lookup(ring, kv__mc_hash_md5(key, key_len));
}

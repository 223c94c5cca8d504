/*
 * util_md5.h - MD5 (RFC 1321), for libmemcached-compatible ketama placement only (internal to
 * core). Not for anything that needs a secure hash.
 */
#ifndef KV_UTIL_MD5_H
#define KV_UTIL_MD5_H

#include <stddef.h>
#include <stdint.h>

void kv__md5(const void *data, size_t len, uint8_t digest[16]);

#endif /* KV_UTIL_MD5_H */

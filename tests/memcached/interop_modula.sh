#!/usr/bin/env bash
# The same placement checks as interop_ketama.sh for distribution=modula, against libmemcached's
# default distribution (MEMCACHED_DISTRIBUTION_MODULA with its default one-at-a-time key hash).
DIST=--modula KV_DIST=modula exec bash "$(dirname "$0")/interop_ketama.sh"

#!/usr/bin/env bash
# Key listing (RangeScan, core/cb_scan.c) and persist_to / replicate_to (OBSERVE polling,
# core/cb_observe.c) of the Couchbase backend, through the kvtui CLI against the fake cluster
# cb_fake.py (2 nodes, 64 vbuckets, 1 replica, SCRAM; plus its no-rangescan and rebalance
# scenarios), started and stopped one after the other by lib.sh on free 127.0.0.1 ports.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cli/lib.sh
source "$HERE/../cli/lib.sh"
# shellcheck source=lib.sh
source "$HERE/lib.sh" # skips without python3; cb_start / cb_stop, chained to lib.sh's cleanup

# use_fake [cb_fake.py options]: a new cluster (the previous one stops); the CLI runs against it.
use_fake() {
    cb_start "$@"
    STORE=$CB_URL
    export KVTUI_PASSWORD=$CB_PASSWORD
}

# The raw JSON of field NAME in the last (single-line, compact) --json output: a string with its
# quotes, or a number. Bash only: python's start-up would dominate this test's run time.
field() {
    local re="\"$1\":(\"[^\"]*\"|-?[0-9]+)"
    [[ "$OUT" =~ $re ]] && printf '%s' "${BASH_REMATCH[1]}"
}

expect_field() {
    local got
    got=$(field "$1") || true
    if [ "$got" = "$2" ]; then _pass; else _fail "JSON field $1: expected $2, got '$got'"; fi
}

# ---- A normal cluster: 500 documents of three formats, one with a TTL. ----

use_fake

# Every 5th a utf8 string, every 7th (else) bytes, the rest JSON; expected listing alongside.
awk 'BEGIN {
    for (i = 0; i < 500; i++) {
        key = sprintf("doc:%03d", i)
        if (i % 5 == 0) {
            v = sprintf("text number %d", i)
            printf "{\"key\":\"%s\",\"format\":\"utf8\",\"value\":\"%s\"}\n", key, v
            printf "%s\tutf8\t%d\t0\n", key, length(v) >"/dev/stderr"
        } else if (i % 7 == 0) {
            printf "{\"key\":\"%s\",\"format\":\"bytes\",\"encoding\":\"base64\",\"value\":\"AAEC\"}\n", key
            printf "%s\tbytes\t3\t0\n", key >"/dev/stderr"
        } else {
            v = sprintf("{\"n\":%d}", i)
            printf "{\"key\":\"%s\",\"value\":%s}\n", key, v
            printf "%s\tjson\t%d\t0\n", key, length(v) >"/dev/stderr"
        }
    }
}' >"$T/docs.jsonl" 2>"$T/expected.unsorted"
LC_ALL=C sort "$T/expected.unsorted" >"$T/expected"

run import "$T/docs.jsonl"
expect_rc 0
expect_out_has "imported 500 documents"

run keys
expect_rc 0
LC_ALL=C sort "$T/out" >"$T/listed"
expect_same_bytes "$T/expected" "$T/listed"
check "every key is listed once" [ "$(cut -f1 "$T/out" | sort -u | wc -l)" -eq 500 ]

# The record of a key: flags and CAS as get sees them.
run --json get doc:010
GET_FLAGS=$(field flags)
GET_CAS=$(field cas)
check "get shows flags and CAS" [ -n "$GET_FLAGS" -a -n "$GET_CAS" ]
run --json keys 'doc:010'
expect_rc 0
expect_field key '"doc:010"'
expect_field flags "$GET_FLAGS"
expect_field cas "$GET_CAS"
expect_field format '"utf8"'
expect_field size 14

# A TTL: the listing shows the absolute expiry get reports (about now + 1000).
NOW=$(date +%s)
run upsert ttl:key '"soon"' --ttl 1000
expect_rc 0
run --json get ttl:key
GET_EXPIRY=$(field expiry)
check "get shows an expiry" bash -c '[ -n "$1" ] && [ "$1" != 0 ]' _ "$GET_EXPIRY"
run --json keys 'ttl:*'
expect_rc 0
expect_field expiry "$GET_EXPIRY"
LISTED_EXPIRY=$(field expiry || echo 0)
check "the listed expiry is about now + 1000 s" \
    [ "$LISTED_EXPIRY" -ge $((NOW + 995)) -a "$LISTED_EXPIRY" -le $((NOW + 1010)) ]

# A glob: doc:1?3 is doc:103 .. doc:193.
run keys 'doc:1?3'
expect_rc 0
check "the glob lists doc:1?3 exactly" \
    [ "$(cut -f1 "$T/out" | LC_ALL=C sort | paste -sd' ')" = \
    "doc:103 doc:113 doc:123 doc:133 doc:143 doc:153 doc:163 doc:173 doc:183 doc:193" ]

# --limit: exactly that many distinct keys, all of them real.
run keys --limit 7
expect_rc 0
check "--limit 7 lists 7 keys" [ "$(wc -l <"$T/out")" -eq 7 ]
check "--limit lists distinct keys" [ "$(cut -f1 "$T/out" | sort -u | wc -l)" -eq 7 ]
check "--limit lists written keys" bash -c "! cut -f1 '$T/out' | grep -qvxE 'ttl:key|doc:[0-9]{3}'"
run keys 'doc:*' --limit 450
expect_rc 0
check "--limit 450 lists 450 keys" [ "$(cut -f1 "$T/out" | sort -u | wc -l)" -eq 450 ]

# A removed key is no longer listed.
run remove doc:499
expect_rc 0
run keys 'doc:49?'
expect_rc 0
check "a removed key is not listed" [ "$(cut -f1 "$T/out" | LC_ALL=C sort | paste -sd' ')" = \
    "doc:490 doc:491 doc:492 doc:493 doc:494 doc:495 doc:496 doc:497 doc:498" ]

# export round-trips every document: same keys, formats, values and expiry.
run export "$T/export.jsonl"
expect_rc 0
expect_out_has "exported 500 documents"
check "export holds what import wrote" python3 - "$T/docs.jsonl" "$T/export.jsonl" <<'EOF'
import json, sys
src = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    src[d["key"]] = (d.get("format", "json"), d["value"])
del src["doc:499"]
out = {}
for line in open(sys.argv[2]):
    d = json.loads(line)
    out[d["key"]] = d
ttl = out.pop("ttl:key")
assert ttl["value"] == "soon" and ttl["expiry"] > 0, ttl
assert set(out) == set(src), sorted(set(out) ^ set(src))[:5]
for key, (fmt, value) in src.items():
    assert out[key]["format"] == fmt and out[key]["value"] == value, (key, out[key])
    assert out[key]["expiry"] == 0, out[key]
EOF

# ---- persist_to / replicate_to (OBSERVE polling). ----

run upsert dur:1 v1 --persist-to 1 --replicate-to 1
expect_rc 0
DUR_CAS=$OUT
run --json get dur:1
expect_field cas "\"$DUR_CAS\""
expect_field value '"v1"'

run upsert dur:all v --persist-to -1 --replicate-to -1
expect_rc 0
run upsert dur:2 v --persist-to 2
expect_rc 0

# More replicas than the bucket has: refused before anything is written.
run upsert dur:impossible v --replicate-to 2
expect_error DurabilityImpossibleError 10
run get dur:impossible
expect_error NotFoundError 3

# ---- A bucket without RangeScan. ----

use_fake --scenario no-rangescan
run upsert k v
expect_rc 0
run keys
expect_error NotSupportedError 10
expect_err_has "key listing needs RangeScan (Couchbase Server 7.6+)"
run export "$T/none.jsonl"
expect_error NotSupportedError 10

# Without XERROR a server closes the connection on RangeScan's statuses: refused up front.
use_fake --scenario no-xerror
run keys
expect_error NotSupportedError 10
expect_err_has "did not enable the HELLO feature XERROR"

# ---- One node, a bucket configured for one replica that has none: -1 means the copies the map
# places, and durability the map cannot give is refused before anything is written. ----

use_fake --nodes 1
run upsert solo v --persist-to -1 --replicate-to -1
expect_rc 0
run upsert solo v2 --persist-to 2
expect_error DurabilityImpossibleError 10
expect_err_has "keeps 1 copy"
run upsert solo v2 --replicate-to 1
expect_error DurabilityImpossibleError 10
run get solo
expect_out v

# ---- A rebalance in the middle of a listing: vbuckets move while their scans run (4 vbuckets of
# 500 keys, so each needs several CONTINUEs and the moved ones start again after the last key they
# gave); every key is listed exactly once. ----

awk 'BEGIN { for (i = 0; i < 2000; i++) printf "{\"key\":\"mv:%04d\",\"value\":%d}\n", i, i }' \
    >"$T/moving.jsonl"
# The fake counts data operations: 2000 stores, then the rebalance lands among the first requests
# of the listing, so scans already running (CONTINUE) meet NOT_MY_VBUCKET.
use_fake --vbuckets 4 --scenario rebalance --rebalance-after 2006
run import "$T/moving.jsonl"
expect_out_has "imported 2000 documents"
run keys
expect_rc 0
check "a rebalance during the listing loses no key" [ "$(cut -f1 "$T/out" | sort -u | wc -l)" -eq 2000 ]
check "a rebalance during the listing repeats no key" [ "$(wc -l <"$T/out")" -eq 2000 ]
check "the rebalance met a running scan" grep -q "NOT_MY_VBUCKET for opcode 0xdb" "$CB_LOG"
run upsert mv:0000 again --persist-to 1 --replicate-to 1
expect_rc 0

finish

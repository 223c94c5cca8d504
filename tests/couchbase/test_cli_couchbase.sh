#!/usr/bin/env bash
# The CLI on Couchbase (the fake cluster of cb_fake.py: 2 nodes, 64 vbuckets, 1 replica):
#   1. the handshake: SCRAM is chosen over PLAIN without TLS, sasl_mech_force=PLAIN is honoured,
#      a wrong password and an unknown bucket are AuthError with a clear message;
#   2. what Couchbase adds: expiry from GET_META, replica reads, locks, durability limits from the
#      map (DurabilityImpossibleError before anything is written);
#   3. a rebalance: every even vbucket moves, the old node answers NOT_MY_VBUCKET with the new
#      map, and every key stays readable and writable;
#   4. a bucket without replicas refuses replica reads.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/lib.sh"
bound_kvtui

cb_start
STORE=$CB_URL
export KVTUI_PASSWORD=$CB_PASSWORD

# ---- 1. handshake ----
run upsert doc '{"a": 1}'
expect_rc 0
check "SCRAM-SHA512 was chosen (PLAIN is offered but not used without TLS)" \
    grep -q 'SASL_AUTH SCRAM-SHA512' "$CB_LOG"
check "PLAIN was not used" bash -c "! grep -q 'SASL_AUTH PLAIN' '$CB_LOG'"
STORE="$CB_URL&sasl_mech_force=PLAIN"
run get doc
expect_out '{"a": 1}'
check "sasl_mech_force=PLAIN is honoured" grep -q 'SASL_AUTH PLAIN' "$CB_LOG"
STORE=$CB_URL
KVTUI_PASSWORD=wrong run get doc
expect_error AuthError 12
expect_err_has "wrong username or password"
STORE=${CB_URL/\/default?/\/nosuchbucket?}
run get doc
expect_error AuthError 12
expect_err_has "bucket 'nosuchbucket'"
STORE=$CB_URL

# ---- 2. Couchbase operations ----
run upsert t '"ttl"' --ttl 500
NOW=$(date +%s)
run --json get t
EXP=$(json_field expiry)
check "get reports the expiry from GET_META (got $EXP, now $NOW)" \
    [ "$EXP" -ge $((NOW + 495)) ] && [ "$EXP" -le $((NOW + 505)) ]
run --json get doc
expect_json_field expiry 0
run get doc --replica
expect_out '{"a": 1}'
run --json lock doc --ttl 10
expect_rc 0
LOCK_CAS=$(json_field cas | tr -d '"')
run upsert doc '{"a": 2}'
expect_error KeyExistsError 4
expect_err_has "locked"
run lock doc --ttl 10
expect_error TemporaryFailError 9
run lock doc --ttl 31
expect_error ArgumentError 2
expect_err_has "30 s"
run unlock doc --cas "$LOCK_CAS"
expect_rc 0
run unlock doc --cas "$LOCK_CAS"
expect_error TemporaryFailError 9
expect_err_has "not locked"
run upsert doc '{"a": 3}' --persist-to 2 --replicate-to 1
expect_rc 0
run upsert doc '{"a": 4}' --replicate-to 2
expect_error DurabilityImpossibleError 10
expect_err_has "1 replica"
run upsert doc '{"a": 5}' --persist-to 3
expect_error DurabilityImpossibleError 10
run get doc
expect_out '{"a": 3}'
run upsert gone 1
run remove gone --persist-to 2 --replicate-to 1
expect_rc 0
run get gone
expect_error NotFoundError 3
run upsert gone 1
run remove gone --replicate-to 2
expect_error DurabilityImpossibleError 10
run get gone
expect_out 1
run upsert typed '{"json": true}'
run upsert typed-text 'plain text' --format utf8
check "a JSON document is sent with the JSON datatype (HELLO JSON)" \
    grep -q "store b'typed' with datatype 0x01" "$CB_LOG"
check "a text document is not" grep -q "store b'typed-text' with datatype 0x00" "$CB_LOG"
run counter hits --initial 5 --delta 2
expect_out 5
run counter hits --delta 2
expect_out 7

# ---- 3. rebalance ----
cb_start --scenario rebalance --rebalance-after 20
STORE=$CB_URL
export KVTUI_PASSWORD=$CB_PASSWORD
awk 'BEGIN { for (i = 0; i < 200; i++) printf "{\"key\":\"r:%03d\",\"value\":%d}\n", i, i }' >"$T/r.jsonl"
run import "$T/r.jsonl"
expect_out_has "imported 200 documents"
check "the fake rebalanced" grep -q 'rebalance: even vbuckets moved' "$CB_LOG"
check "kvtui was told NOT_MY_VBUCKET" grep -q 'NOT_MY_VBUCKET' "$CB_LOG"
bad=0
for i in 000 001 057 118 199; do
    run get "r:$i"
    [ "$OUT" = "$((10#$i))" ] || bad=$((bad + 1))
done
check "every key reads back after the rebalance" [ "$bad" -eq 0 ]
run upsert r:001 '"moved"'
expect_rc 0
run get r:001
expect_out '"moved"'

# ---- 4. no replicas ----
cb_start --replicas 0
STORE=$CB_URL
export KVTUI_PASSWORD=$CB_PASSWORD
run upsert x 1
run get x --replica
expect_error NotSupportedError 10
expect_err_has "no replicas"
run upsert x 2 --replicate-to 1
expect_error DurabilityImpossibleError 10

finish

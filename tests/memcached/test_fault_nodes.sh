#!/usr/bin/env bash
# Three memcached nodes, one of them killed, paused, then restarted on the same port: the keys
# on that node fail with NetworkError/TimeoutError (exit 11), the keys on the others keep
# working, and a restarted node is usable again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KVTUI=${KVTUI:?KVTUI must point at the kvtui binary}
mc_start -n 3
mc_require_backend

PASSED=0
FAILED=0
fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL: %s\n  kvtui %s -> exit %s after %s ms\n  stdout: %s\n  stderr: %s\n' "$1" \
        "$LAST" "$RC" "$MS" "$(head -c 400 "$MC_DIR/out")" "$(head -c 400 "$MC_DIR/err")" >&2
}
pass() { PASSED=$((PASSED + 1)); }

# kv URL ARGS...: one kvtui command with a 1 s operation timeout, bounded by `timeout`.
kv() {
    local url=$1 start
    shift
    case $url in *\?*) url+="&timeout=1" ;; *) url+="?timeout=1" ;; esac
    LAST="-s $url $*"
    start=$(date +%s%N)
    RC=0
    timeout -k 2 20 "$KVTUI" -s "$url" "$@" </dev/null >"$MC_DIR/out" 2>"$MC_DIR/err" || RC=$?
    MS=$((($(date +%s%N) - start) / 1000000))
    OUT=$(cat "$MC_DIR/out")
    ERR=$(cat "$MC_DIR/err")
}

expect_rc() {
    if [ "$RC" -eq "$2" ]; then pass; else fail "$1: want exit $2"; fi
}

expect_error() { # DESC NAME_REGEX MAX_MS
    if [ "$RC" -ne 11 ]; then fail "$1: want exit 11"; return; fi
    if ! grep -Eq "^kvtui: ($2): " "$MC_DIR/err"; then fail "$1: want 'kvtui: $2: ...'"; return; fi
    if [ "$MS" -gt "$3" ]; then fail "$1: took $MS ms (limit $3)"; return; fi
    pass
}

# 60 keys through the cluster, then where each landed, read from each node alone.
for i in $(seq 1 60); do printf '{"key":"key%02d","value":{"n":%d}}\n' "$i" "$i"; done >"$MC_DIR/docs.jsonl"
kv "$MC_URL" import "$MC_DIR/docs.jsonl"
expect_rc "import 60 documents into 3 nodes" 0
declare -A NODE_OF
for node in 0 1 2; do
    kv "$(mc_url_of "$node")" keys
    expect_rc "keys on node $node alone" 0
    for key in $(cut -f1 "$MC_DIR/out"); do NODE_OF[$key]=$node; done
done
if [ "${#NODE_OF[@]}" -eq 60 ]; then pass; else fail "60 keys should be spread over the nodes, found ${#NODE_OF[@]}"; fi
first_key_on() {
    local key
    for key in $(printf '%s\n' "${!NODE_OF[@]}" | sort); do
        if [ "${NODE_OF[$key]}" = "$1" ]; then echo "$key"; return; fi
    done
}
K0=$(first_key_on 0)
K1=$(first_key_on 1)
K2=$(first_key_on 2)
if [ -n "$K0" ] && [ -n "$K1" ] && [ -n "$K2" ]; then pass; else
    fail "every node should hold some of 60 keys (ketama): '$K0' '$K1' '$K2'"
    echo "$PASSED passed, $FAILED failed"
    exit 1
fi

# Node 1 killed: its keys fail with NetworkError (exit 11) within the timeout, the rest work.
mc_kill_node 1
kv "$MC_URL" get "$K1"
expect_error "get $K1 on the killed node" NetworkError 3000
kv "$MC_URL" upsert "$K1" '"x"'
expect_error "upsert $K1 on the killed node" NetworkError 3000
kv "$MC_URL" get "$K0"
expect_rc "get $K0 while node 1 is down" 0
kv "$MC_URL" upsert "$K2" '"still here"'
expect_rc "upsert $K2 while node 1 is down" 0
kv "$MC_URL" --json get "$K0" "$K1" "$K2"
expect_error "get of keys on all three nodes, one down" NetworkError 3000
if [ "$(grep -c '"success":true' "$MC_DIR/out")" -eq 2 ] &&
    grep -q "\"key\":\"$K1\",\"success\":false,\"error\":\"NetworkError\"" "$MC_DIR/out"; then
    pass
else
    fail "--json get: two successes and NetworkError for $K1"
fi
kv "$MC_URL" keys
if [ "$RC" -eq 11 ] && grep -q "127.0.0.1:${MC_PORTS[1]}" "$MC_DIR/err"; then pass; else
    fail "keys with a node down: want exit 11 and the dead node named on stderr"
fi

# Node 2 paused (accepts, never answers): TimeoutError for its keys, the others unaffected.
mc_pause_node 2
kv "$MC_URL" get "$K2"
expect_error "get $K2 on a paused node" 'TimeoutError' 4000
kv "$MC_URL" get "$K0"
expect_rc "get $K0 while node 2 is paused" 0
mc_resume_node 2
kv "$MC_URL" get "$K2"
expect_rc "get $K2 after node 2 resumed" 0
if [ "$OUT" = '"still here"' ]; then pass; else fail "node 2 should still hold the upsert"; fi

# Node 1 restarted on the same port (empty): its keys are missing, writes work again.
mc_restart_node 1
kv "$MC_URL" get "$K1"
expect_rc "get $K1 on the restarted (empty) node is NotFoundError" 3
kv "$MC_URL" upsert "$K1" '"back"'
expect_rc "upsert $K1 on the restarted node" 0
kv "$(mc_url_of 1)" get "$K1"
if [ "$RC" -eq 0 ] && [ "$OUT" = '"back"' ]; then pass; else fail "the write should land on node 1"; fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

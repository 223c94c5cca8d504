#!/usr/bin/env bash
# kvtui against a misbehaving server (fake_server.py): garbage, truncated replies, a 4 GiB body
# length, bad lengths, a stray opaque, a closed or silent connection. Every case must end with a
# NetworkError/TimeoutError (exit 11) and a message, within the timeout, never a crash or a hang;
# a reply sent one byte at a time must still work.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KVTUI=${KVTUI:?KVTUI must point at the kvtui binary}
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 0; }

PASSED=0
FAILED=0
fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL: %s\n  exit %s after %s ms\n  stdout: %s\n  stderr: %s\n' "$1" "$RC" "$MS" \
        "$(head -c 400 "$MC_DIR/out")" "$(head -c 400 "$MC_DIR/err")" >&2
}
pass() { PASSED=$((PASSED + 1)); }

# kv MODE ARGS...: run kvtui against a fresh fake server in MODE (1 s operation timeout).
kv() {
    local mode=$1 start
    shift
    mc_start_fake "$mode"
    start=$(date +%s%N)
    RC=0
    timeout -k 2 15 "$KVTUI" -s "memcached://127.0.0.1:$FAKE_PORT?timeout=1" "$@" \
        </dev/null >"$MC_DIR/out" 2>"$MC_DIR/err" || RC=$?
    MS=$((($(date +%s%N) - start) / 1000000))
    OUT=$(tr -d '\000' <"$MC_DIR/out")
    ERR=$(tr -d '\000' <"$MC_DIR/err")
}

# expect_fault DESC NAME_REGEX MAX_MS: exit 11, "kvtui: <Name>: message" on stderr, in time.
expect_fault() {
    local desc=$1 names=$2 max_ms=$3
    if [ "$RC" -ge 124 ]; then fail "$desc: killed or crashed (exit $RC)"; return; fi
    if [ "$RC" -ne 11 ]; then fail "$desc: want exit 11"; return; fi
    if ! printf '%s\n' "$ERR" | grep -Eq "^kvtui: ($names): .{5,}"; then
        fail "$desc: want 'kvtui: $names: message' on stderr"
        return
    fi
    if [ "$MS" -gt "$max_ms" ]; then fail "$desc: took $MS ms (limit $max_ms)"; return; fi
    pass
}

# Protocol violations are seen in the reply itself: NetworkError at once, no waiting out the timeout.
for mode in garbage truncated hugebody badlengths wrong_opaque close; do
    kv "$mode" get k
    expect_fault "get, server sends $mode" NetworkError 900
    kv "$mode" upsert k '"v"'
    expect_fault "upsert, server sends $mode" NetworkError 900
done

# A 4 GiB body length must not be waited for (or allocated): the message says what was wrong.
kv hugebody --json get k
expect_fault "get --json, 4 GiB body" NetworkError 900
if [[ "$OUT" == *'"success":false'*'"error":"NetworkError"'* ]]; then pass; else
    fail "--json get of a 4 GiB body should print success:false with NetworkError"
fi

# A server that never answers: TimeoutError after the 1 s timeout, not a hang.
kv silent get k
expect_fault "get, silent server" TimeoutError 4000
kv silent keys
expect_fault "keys, silent server" 'TimeoutError|NetworkError' 4000

# Garbage before any request (a wrong service on the port).
kv greeting get k
expect_fault "get, garbage greeting" NetworkError 900

# A proper reply split into 1-byte writes is reassembled.
kv hickup --json get k
if [ "$RC" -eq 0 ] && [[ "$OUT" == *'"value":"hello"'* ]] && [[ "$OUT" == *'"cas":"0x2a"'* ]]; then
    pass
else
    fail "get with a reply sent byte by byte should succeed with value hello and CAS 0x2a"
fi

# The binary reply is fine but the text connection (TTL readout) is garbage: the get still
# succeeds, with the expiry unknown (-1); a listing on that connection is a NetworkError.
kv text_garbage --json get k
if [ "$RC" -eq 0 ] && [[ "$OUT" == *'"value":"hello"'* ]] && [[ "$OUT" == *'"expiry":-1'* ]]; then
    pass
else
    fail "get with a garbage text connection should succeed with expiry -1"
fi
kv text_garbage keys
expect_fault "keys, text connection answers garbage" NetworkError 4000

# A key listing cut off in the middle of a line is an error, not a partial silent success.
kv dump_cut keys
expect_fault "keys, metadump cut mid-line" 'NetworkError|TimeoutError' 4000

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

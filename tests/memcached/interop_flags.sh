#!/usr/bin/env bash
# Values and flags cross between libmemcached and kvtui both ways: what an application writes
# with libmemcached (interop_lm, memccp) shows in `kvtui get --json` with its flags and format,
# what kvtui writes reads back in libmemcached byte for byte with the Python SDK 2.x flags, and
# CAS values from one side work (and conflict) on the other.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
KVTUI=${KVTUI:?KVTUI must point at the kvtui binary}
LM=${INTEROP_LM:?INTEROP_LM must point at the interop_lm helper}
mc_start
mc_require_backend
S="127.0.0.1:${MC_PORTS[0]}"

PASSED=0
FAILED=0
fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL: %s\n  last: %s -> exit %s\n  stdout: %s\n  stderr: %s\n' "$1" "$LAST" "$RC" \
        "$(head -c 300 "$MC_DIR/out")" "$(head -c 300 "$MC_DIR/err")" >&2
}
pass() { PASSED=$((PASSED + 1)); }
# Run a command, keeping its output in $OUT and files; never stops the script.
x() {
    LAST="$*"
    RC=0
    timeout -k 2 20 "$@" </dev/null >"$MC_DIR/out" 2>"$MC_DIR/err" || RC=$?
    OUT=$(tr -d '\000' <"$MC_DIR/out")
}
kv() { x "$KVTUI" -s "$MC_URL" "$@"; }
lm() { x "$LM" "$S" "$@"; }
expect() { # DESC WANT
    if [ "$RC" -eq 0 ] && [ "$OUT" = "$2" ]; then pass; else fail "$1: want '$2'"; fi
}
expect_json() { # DESC FIELD=JSON...
    local desc=$1 pair field want got
    shift
    if [ "$RC" -ne 0 ]; then fail "$desc: exit $RC"; return; fi
    for pair in "$@"; do
        field=${pair%%=*}
        want=${pair#*=}
        got=$("$(_mc_python)" -c 'import json,sys; o=json.loads(open(sys.argv[1]).read().splitlines()[0]); print(json.dumps(o.get(sys.argv[2],"<missing>"),separators=(",",":"),ensure_ascii=False))' "$MC_DIR/out" "$field")
        if [ "$got" != "$want" ]; then fail "$desc: $field is $got, want $want"; return; fi
    done
    pass
}

# ---- libmemcached writes, kvtui reads ----
lm set lm_json '{"a":[1,2]}' 0x02000000
kv --json get lm_json
expect_json "json flags from libmemcached" flags='"0x02000000"' format='"json"' value='{"a":[1,2]}'
kv get lm_json
expect "plain get prints the exact bytes" '{"a":[1,2]}'

lm set lm_utf8 'héllo wörld' 0x04000004
kv --json get lm_utf8
expect_json "utf8 flags from libmemcached" flags='"0x04000004"' format='"utf8"' value='"héllo wörld"'

lm set lm_legacy_json '{"x":1}' 0
kv --json get lm_legacy_json
expect_json "legacy flags 0 decode as json" flags='"0x00000000"' format='"json"' value='{"x":1}'

lm set lm_legacy_utf8 'text' 4
kv --json get lm_legacy_utf8
expect_json "legacy flags 4 decode as utf8" flags='"0x00000004"' format='"utf8"' value='"text"'

lm set lm_odd 'raw' 0xdeadbeef
kv --json get lm_odd
expect_json "unknown flags are kept and shown as bytes" flags='"0xdeadbeef"' format='"bytes"' \
    value='"cmF3"' encoding='"base64"'

# memccp copies a file byte for byte: a protocol-2 pickle written by an application.
"$(_mc_python)" -c 'import pickle,sys; sys.stdout.buffer.write(pickle.dumps({"a": [1, "two"]}, protocol=2))' >"$MC_DIR/app.pkl"
x memccp --servers="$S" --flags=16777217 "$MC_DIR/app.pkl"
kv --json get app.pkl
expect_json "a pickle from memccp (flags 0x01000001)" flags='"0x01000001"' format='"pickle"' value='{"a":[1,"two"]}'
printf '\000\001\002\377binary' >"$MC_DIR/app.bin"
x memccp --servers="$S" --flags=50331650 "$MC_DIR/app.bin"
kv get app.bin
if [ "$RC" -eq 0 ] && cmp -s "$MC_DIR/out" "$MC_DIR/app.bin"; then pass; else fail "bytes from memccp print byte for byte"; fi

# ---- kvtui writes, libmemcached reads ----
kv upsert kv_json '{"b": 2}'
lm get kv_json
expect "kvtui json (auto) is flags 0x02000000 in libmemcached" "$(printf '0x02000000\t{"b": 2}')"

kv upsert kv_utf8 'plain text' --format utf8
lm get kv_utf8
expect "kvtui utf8 is flags 0x04000004" "$(printf '0x04000004\tplain text')"

kv upsert kv_bin "@$MC_DIR/app.bin" --format bytes
x memccat --servers="$S" --file="$MC_DIR/kv_bin.out" kv_bin
if [ "$RC" -eq 0 ] && cmp -s "$MC_DIR/kv_bin.out" "$MC_DIR/app.bin"; then pass; else fail "kvtui bytes read back by memccat byte for byte"; fi
x memccat --flags --servers="$S" kv_bin
if head -n 1 "$MC_DIR/out" | grep -qx 50331650; then pass; else fail "kvtui bytes carry flags 0x03000002 (50331650)"; fi

kv upsert kv_pickle '{"x": [1, 2], "s": "é"}' --format pickle
x memccat --servers="$S" --file="$MC_DIR/kv_pickle.out" kv_pickle
got=$("$(_mc_python)" -c 'import pickle,sys; print(sorted(pickle.loads(open(sys.argv[1],"rb").read()).items()))' "$MC_DIR/kv_pickle.out" 2>&1) || true
if [ "$got" = "[('s', 'é'), ('x', [1, 2])]" ]; then pass; else fail "kvtui pickle loads in Python: $got"; fi

kv counter kv_counter --initial 10
lm get kv_counter
if [[ "$OUT" == *$'\t'10* ]]; then pass; else fail "a counter created by kvtui reads 10 in libmemcached"; fi

# ---- CAS crosses over ----
lm set shared '"app v1"' 0x02000000
kv --json get shared
cas=$("$(_mc_python)" -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())["cas"])' "$MC_DIR/out")
kv replace shared '"kvtui v2"' --cas "$cas"
if [ "$RC" -eq 0 ]; then pass; else fail "replace with the CAS of the application's write"; fi
lm set shared '"app v3"' 0x02000000
kv replace shared '"kvtui stale"' --cas "$cas"
if [ "$RC" -eq 4 ] && grep -q '^kvtui: KeyExistsError: ' "$MC_DIR/err"; then pass; else
    fail "a CAS older than the application's write is KeyExistsError (exit 4)"
fi
lm get shared
expect "the application's write survives" "$(printf '0x02000000\t"app v3"')"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

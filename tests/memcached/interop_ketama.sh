#!/usr/bin/env bash
# Ketama placement on three nodes is libmemcached's (MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED: MD5 key
# hash, 160 points per server named "HOST:PORT-i"; libmemcached's own default is modula, see
# interop_modula.sh). 200 keys written by libmemcached are found where libmemcached says they
# are (read from each node alone) and all of them through kvtui on the three nodes; 200 keys
# written by kvtui land on the node libmemcached would use.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
KVTUI=${KVTUI:?KVTUI must point at the kvtui binary}
LM=${INTEROP_LM:?INTEROP_LM must point at the interop_lm helper}
DIST=${DIST:---ketama}       # interop_lm option
KV_DIST=${KV_DIST:-ketama}   # ?distribution= for kvtui
mc_start -n 3
mc_require_backend
KV_URL="$MC_URL?distribution=$KV_DIST"

PASSED=0
FAILED=0
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $1" >&2; }
pass() { PASSED=$((PASSED + 1)); }
kv() { timeout -k 2 30 "$KVTUI" "$@" </dev/null; }

# KEY<TAB>127.0.0.1:PORT for every key on every node, each node asked alone (metadump listing).
placement_by_kvtui() {
    local node pattern=$1
    for node in 0 1 2; do
        kv -s "$(mc_url_of "$node")" keys "$pattern" | cut -f1 |
            sed "s/\$/\t127.0.0.1:${MC_PORTS[$node]}/"
    done | sort
}

keys_of() { # PREFIX COUNT
    local i
    for ((i = 0; i < $2; i++)); do printf '%s%03d\n' "$1" "$i"; done
}

# Keys with bytes above 0x7f hash differently when a hash reads them as signed chars.
PREFIXES=("lm-key-" "clé/ü-")

# ---- libmemcached writes 200 keys ----
for prefix in "${PREFIXES[@]}"; do
    "$LM" $DIST "$MC_SERVERS" fill "$prefix" 100
done
mapfile -t lm_keys < <(for p in "${PREFIXES[@]}"; do keys_of "$p" 100; done)
"$LM" $DIST "$MC_SERVERS" where "${lm_keys[@]}" | sort >"$MC_DIR/lm_where"
placement_by_kvtui '*' >"$MC_DIR/lm_found"
if cmp -s "$MC_DIR/lm_where" "$MC_DIR/lm_found"; then pass; else
    fail "each node alone should hold exactly what libmemcached says it wrote there"
    diff "$MC_DIR/lm_where" "$MC_DIR/lm_found" | head -5 >&2
fi
for port in "${MC_PORTS[@]}"; do
    n=$(grep -c "127.0.0.1:$port\$" "$MC_DIR/lm_where" || true)
    if [ "$n" -ge 20 ]; then pass; else fail "node $port got only $n of 200 keys: not spread"; fi
done

# kvtui on the three nodes finds every one of them (one command, exit 0 only if all were found).
rc=0
kv -s "$KV_URL" get "${lm_keys[@]}" >"$MC_DIR/kv_got" 2>"$MC_DIR/kv_err" || rc=$?
found=$(grep -c . "$MC_DIR/kv_got" || true)
if [ "$rc" -eq 0 ] && [ "$found" -eq 200 ]; then pass; else
    fail "kvtui ($KV_DIST) should find all 200 keys libmemcached wrote: exit $rc, $found lines"
    grep -m 3 . "$MC_DIR/kv_err" >&2 || true
fi
if grep -q $'^lm-key-042\tv42$' "$MC_DIR/kv_got"; then pass; else fail "lm-key-042 should read v42"; fi

# ---- kvtui writes 200 keys: they land where libmemcached would put them ----
for prefix in "${PREFIXES[@]}"; do
    keys_of "kv-$prefix" 100 | while read -r key; do
        printf '{"key":"%s","value":"x"}\n' "$key" # a JSON string: stored as utf8 text
    done
done >"$MC_DIR/kv.jsonl"
if kv -s "$KV_URL" import "$MC_DIR/kv.jsonl" >/dev/null; then pass; else fail "kvtui import of 200 keys"; fi
mapfile -t kv_keys < <(for p in "${PREFIXES[@]}"; do keys_of "kv-$p" 100; done)
"$LM" $DIST "$MC_SERVERS" where "${kv_keys[@]}" | sort >"$MC_DIR/kv_where"
placement_by_kvtui 'kv-*' >"$MC_DIR/kv_found"
if cmp -s "$MC_DIR/kv_where" "$MC_DIR/kv_found"; then pass; else
    fail "keys written by kvtui should be on the node libmemcached picks"
    diff "$MC_DIR/kv_where" "$MC_DIR/kv_found" | head -5 >&2
fi
# And libmemcached reads one of them back through its own routing.
got=$("$LM" $DIST "$MC_SERVERS" get kv-clé/ü-007 2>&1) || true
if [ "$got" = "$(printf '0x04000004\tx')" ]; then pass; else
    fail "libmemcached reads kv-clé/ü-007 written by kvtui: $got"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

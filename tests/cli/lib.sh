# Helpers for the CLI end-to-end tests. Source it from a test_*.sh that runs `set -euo pipefail`.
#
#   run ARGS...          run kvtui on the test's fresh store; sets RC, and OUT / ERR (files
#                        $T/out and $T/err keep the exact bytes)
#   expect_rc N          the last run's exit code
#   expect_out TEXT      stdout equals TEXT (trailing newlines ignored, as $(...) does)
#   expect_out_has TEXT  stdout contains TEXT;   expect_err_has TEXT   stderr contains TEXT
#   expect_out_matches REGEX  stdout matches the bash regex
#   expect_out_empty / expect_err_empty
#   expect_same_bytes A B  two files are byte-identical
#   json_field NAME [LINE]  a field of the JSON object on stdout line LINE (1-based, default 1),
#                        printed as JSON (strings keep their quotes)
#   check DESC CMD...    a free-form assertion
#   bound_kvtui          from now on every kvtui run is killed after 30 s, so a hang fails the
#                        test instead of stalling ctest (REAL_KVTUI keeps the binary itself)
#   finish               prints "N passed, M failed" and fails when M > 0

KVTUI=${KVTUI:?KVTUI must point at the kvtui binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/kvtui-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
STORE="file:$T/store.kvdb"
export XDG_DATA_HOME="$T/xdg" XDG_STATE_HOME="$T/state"
unset KVTUI_PASSWORD || true
PASSED=0
FAILED=0
LAST_CMD=""
RC=0
OUT=""
ERR=""

_fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL (line %s): %s\n' "${BASH_LINENO[1]}" "$1" >&2
    printf '  command: %s\n  exit code: %s\n' "$LAST_CMD" "$RC" >&2
    printf '  stdout: %s\n' "$(head -c 600 "$T/out" 2>/dev/null)" >&2
    printf '  stderr: %s\n' "$(head -c 600 "$T/err" 2>/dev/null)" >&2
}

_pass() { PASSED=$((PASSED + 1)); }

# run [--stdin FILE] ARGS...: kvtui -s $STORE ARGS...
run() {
    local input=/dev/null
    if [ "${1:-}" = "--stdin" ]; then
        input=$2
        shift 2
    fi
    LAST_CMD="kvtui -s $STORE $*"
    set +e
    "$KVTUI" -s "$STORE" "$@" <"$input" >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    OUT=$(tr -d '\000' <"$T/out")
    ERR=$(tr -d '\000' <"$T/err")
}

# run_raw ARGS...: kvtui ARGS... without -s (for global option tests)
run_raw() {
    LAST_CMD="kvtui $*"
    set +e
    "$KVTUI" "$@" </dev/null >"$T/out" 2>"$T/err"
    RC=$?
    set -e
    OUT=$(tr -d '\000' <"$T/out")
    ERR=$(tr -d '\000' <"$T/err")
}

expect_rc() {
    if [ "$RC" -eq "$1" ]; then _pass; else _fail "expected exit code $1, got $RC"; fi
}

expect_out() {
    if [ "$OUT" = "$1" ]; then _pass; else _fail "expected stdout '$1'"; fi
}

expect_err() {
    if [ "$ERR" = "$1" ]; then _pass; else _fail "expected stderr '$1'"; fi
}

expect_out_has() {
    if [[ "$OUT" == *"$1"* ]]; then _pass; else _fail "stdout should contain '$1'"; fi
}

expect_out_lacks() {
    if [[ "$OUT" != *"$1"* ]]; then _pass; else _fail "stdout should not contain '$1'"; fi
}

expect_out_matches() {
    if [[ "$OUT" =~ $1 ]]; then _pass; else _fail "stdout should match the regex $1"; fi
}

expect_err_has() {
    if [[ "$ERR" == *"$1"* ]]; then _pass; else _fail "stderr should contain '$1'"; fi
}

expect_out_empty() {
    if [ ! -s "$T/out" ]; then _pass; else _fail "stdout should be empty"; fi
}

expect_err_empty() {
    if [ ! -s "$T/err" ]; then _pass; else _fail "stderr should be empty"; fi
}

expect_same_bytes() {
    if cmp -s "$1" "$2"; then _pass; else _fail "files differ: $1 $2 ($(cmp "$1" "$2" 2>&1))"; fi
}

# The error line format of DESIGN.md section 6: "kvtui: ErrorName: message".
expect_error() {
    local name=$1 code=$2
    expect_rc "$code"
    if printf '%s\n' "$ERR" | grep -q "^kvtui: $name: ."; then _pass; else
        _fail "stderr should have a line 'kvtui: $name: ...'"
    fi
}

json_field() {
    local name=$1 line=${2:-1}
    python3 - "$T/out" "$name" "$line" <<'EOF'
import json, sys
path, name, line = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(path, encoding="utf-8").read().splitlines()
obj = json.loads(lines[line - 1])
print(json.dumps(obj.get(name, "<missing>"), sort_keys=True, separators=(",", ":")))
EOF
}

expect_json_field() {
    local got
    got=$(json_field "$1" "${3:-1}" 2>&1) || true
    if [ "$got" = "$2" ]; then _pass; else _fail "JSON field $1: expected $2, got $got"; fi
}

check() {
    local desc=$1
    shift
    if "$@"; then _pass; else _fail "$desc"; fi
}

bound_kvtui() {
    REAL_KVTUI=$KVTUI
    printf '#!/bin/sh\nexec timeout -k 2 30 "%s" "$@"\n' "$REAL_KVTUI" >"$T/kvtui"
    chmod +x "$T/kvtui"
    KVTUI=$T/kvtui
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

#!/usr/bin/env bash
# import / export: summaries, --id-field, and a round trip identical in bytes, flags and expiry.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NOW=$(date +%s)
run upsert j '{"n": 1.50, "big": 123456789012345678901234567890}'
run upsert u 'text with "quotes" and ünïcode' --format utf8
head -c 200 /dev/urandom >"$T/bin"
run upsert b "@$T/bin" --format bytes
run upsert ttl '{"t": true}' --ttl 5000
run counter n --initial 7
# A pickle, imported from an export-format line (protocol 2 bytes made by Python).
PICKLE_B64=$(python3 -c 'import pickle, base64; print(base64.b64encode(pickle.dumps({"a": [1, "x"]}, protocol=2)).decode())')
printf '{"key":"pk","flags":"0x01000001","format":"pickle","expiry":0,"value":"%s","encoding":"base64"}\n' \
    "$PICKLE_B64" >"$T/pickle.jsonl"
run import "$T/pickle.jsonl"
expect_rc 0
expect_out 'imported 1 documents'
expect_err_empty
run --json get pk
expect_json_field format '"pickle"'

# export: every document, one line each, and a summary on stdout.
run export "$T/a.jsonl"
expect_rc 0
expect_out 'exported 6 documents'
check "export wrote six lines" [ "$(wc -l <"$T/a.jsonl")" -eq 6 ]

# import into a fresh store, export again: identical documents (CAS aside).
STORE_A=$STORE
STORE="file:$T/other.kvdb"
run import "$T/a.jsonl"
expect_rc 0
expect_out 'imported 6 documents'
run export "$T/b.jsonl"
strip_cas() { python3 -c '
import json, sys
for line in sorted(open(sys.argv[1])):
    d = json.loads(line); d.pop("cas", None); print(json.dumps(d, sort_keys=True))
' "$1"; }
check "round trip keeps keys, bytes, flags and expiry" cmp -s <(strip_cas "$T/a.jsonl") <(strip_cas "$T/b.jsonl")
for k in j u b ttl n pk; do
    STORE=$STORE_A run --json get "$k"
    cp "$T/out" "$T/from-a"
    run --json get "$k"
    check "document $k is the same after the round trip" python3 -c '
import json, sys
a, b = (json.loads(open(p).read()) for p in sys.argv[1:3])
for d in (a, b): d.pop("cas")
assert a == b, (a, b)
' "$T/from-a" "$T/out"
done
run get b
expect_same_bytes "$T/out" "$T/bin"
run --json get ttl
EXP=$(json_field expiry)
check "expiry survives (got $EXP)" [ "$EXP" -ge $((NOW + 4990)) ]
STORE=$STORE_A

# --id-field: plain JSON documents keyed by one of their fields.
printf '{"id": "p1", "name": "one"}\n{"id": "p2", "name": "two"}\n' >"$T/docs.jsonl"
run import "$T/docs.jsonl" --id-field id
expect_rc 0
expect_out 'imported 2 documents'
run get p2
expect_out_has '"name": "two"'

# --json summary; errors: a missing file, bad lines.
run --json export "$T/c.jsonl"
expect_json_field success 'true'
expect_json_field items '8'
run import "$T/nope.jsonl"
check "a missing file fails" [ "$RC" -ne 0 ]
expect_err_has 'kvtui: '
printf '{"id": "q1"}\nnot json\n' >"$T/bad.jsonl"
run import "$T/bad.jsonl" --id-field id
check "a bad line fails the import" [ "$RC" -ne 0 ]
expect_err_has 'line 2'

# no progress line when stderr is not a terminal (the runs above captured stderr to a file).
run export "$T/d.jsonl"
expect_err_empty

finish

#!/usr/bin/env bash
# --json output: the fields of DESIGN.md section 6 for every format, and bytes/pickle round trips.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# json document: value is the JSON value itself; every field is present.
run upsert j '{"n": 12345678901234567890, "s": "x"}'
CAS=$OUT
run --json get j
expect_rc 0
expect_json_field key '"j"'
expect_json_field success 'true'
expect_json_field error 'null'
expect_json_field cas "\"$CAS\""
expect_json_field flags '"0x02000000"'
expect_json_field format '"json"'
expect_json_field expiry '0'
expect_json_field value '{"n":12345678901234567890,"s":"x"}'
check "one JSON object per line" [ "$(wc -l <"$T/out")" -eq 1 ]

# utf8: a string value.
run upsert u 'héllo wörld' --format utf8
run --json get u
expect_json_field format '"utf8"'
expect_json_field flags '"0x04000004"'
expect_json_field value '"h\u00e9llo w\u00f6rld"'

# bytes: base64 with "encoding":"base64"; plain get gives the exact bytes back.
head -c 300 /dev/urandom >"$T/bin"
printf '\000\001\377' >>"$T/bin"
run upsert b "@$T/bin" --format bytes
expect_rc 0
run get b
expect_same_bytes "$T/out" "$T/bin"
run --json get b
expect_json_field format '"bytes"'
expect_json_field flags '"0x03000002"'
expect_json_field encoding '"base64"'
expect_json_field value "\"$(base64 -w0 "$T/bin")\""

# auto: invalid UTF-8 is stored as bytes, text as utf8, JSON as json.
run upsert autobin "@$T/bin"
run --json get autobin
expect_json_field format '"bytes"'
run upsert autotext 'plain words'
run --json get autotext
expect_json_field format '"utf8"'
run upsert autojson '[1,2]'
run --json get autojson
expect_json_field format '"json"'

# --format json with invalid JSON: ValueFormatError (exit 6), nothing written.
run upsert badjson '{"a":' --format json
expect_error ValueFormatError 6
run get badjson
expect_rc 3

# pickle: VALUE is JSON text, stored as a pickle; get prints its decoded JSON; --json gives the value.
run upsert p '{"name": "x", "list": [1, 2.5, true, null], "n": -7}' --format pickle
expect_rc 0
run get p
expect_rc 0
check "pickle get prints the same data as JSON" python3 -c '
import json, sys
got = json.load(open(sys.argv[1]))
assert got == {"name": "x", "list": [1, 2.5, True, None], "n": -7}, got
' "$T/out"
run --json get p
expect_json_field format '"pickle"'
expect_json_field flags '"0x01000001"'
expect_json_field value '{"list":[1,2.5,true,null],"n":-7,"name":"x"}'
run upsert badpickle '{not json' --format pickle
expect_error ValueFormatError 6

# mutations in --json: one object with the new CAS; counter has the number as value.
run --json upsert m '"x"'
expect_json_field key '"m"'
expect_json_field success 'true'
CAS=$(json_field cas | tr -d '"')
run --json get m
expect_json_field cas "\"$CAS\""
run --json counter cnt --initial 41
expect_json_field value '41'
run --json counter cnt
expect_json_field value '42'

# failures: success false with the error name on stdout, the message on stderr, the exit code.
run --json get missing
expect_rc 3
expect_json_field success 'false'
expect_json_field error '"NotFoundError"'
expect_err_has 'kvtui: NotFoundError: '
# --quiet: the miss is still reported as success:false, but it is not an error (exit 0, no stderr).
run --json get missing m --quiet
expect_rc 0
expect_err_empty
expect_json_field success 'false' 1
expect_json_field error '"NotFoundError"' 1
expect_json_field success 'true' 2
expect_json_field key '"m"' 2

# several keys: one line per key, in argument order.
run --json get m j u
check "three lines" [ "$(wc -l <"$T/out")" -eq 3 ]
expect_json_field key '"j"' 2
expect_json_field key '"u"' 3

finish

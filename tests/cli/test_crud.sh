#!/usr/bin/env bash
# get / insert / upsert / replace / remove: plain output, CAS round trip, VALUE forms, exit codes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# insert prints the new CAS as 0x hex; get prints the value exactly (no newline added on a pipe).
run insert doc '{"a": 1,  "b": [1, 2]}'
expect_rc 0
expect_err_empty
expect_out_matches '^0x[0-9a-f]+$'
CAS1=$OUT
run get doc
expect_rc 0
printf '{"a": 1,  "b": [1, 2]}' >"$T/want"
expect_same_bytes "$T/out" "$T/want"

# insert on an existing key: KeyExistsError, exit 4, nothing changed.
run insert doc '{"other": true}'
expect_error KeyExistsError 4
expect_out_empty
run get doc
expect_out '{"a": 1,  "b": [1, 2]}'

# upsert with the right CAS (hex) succeeds and changes the CAS; a stale CAS is KeyExistsError.
run upsert doc '"v2"' --cas "$CAS1"
expect_rc 0
CAS2=$OUT
check "CAS changes on a write" [ "$CAS2" != "$CAS1" ]
run upsert doc '"v3"' --cas "$CAS1"
expect_error KeyExistsError 4
run get doc
expect_out '"v2"'

# The printed CAS is the one --json reports, and decimal CAS input is accepted.
run --json get doc
expect_json_field cas "\"$CAS2\""
CAS2_DEC=$(printf '%u' "$CAS2")
run replace doc '"v3"' --cas="$CAS2_DEC"
expect_rc 0
run get doc
expect_out '"v3"'

# replace on a missing key: NotFoundError, exit 3, and the key is not created.
run replace nothere 1
expect_error NotFoundError 3
run get nothere
expect_error NotFoundError 3
expect_out_empty

# a CAS for a missing key is NotFoundError.
run upsert nothere 1 --cas 0x1234
expect_error NotFoundError 3

# VALUE from stdin (-) and from @FILE are stored byte for byte.
printf 'line one\nline two\n' >"$T/text"
run --stdin "$T/text" upsert fromstdin -
expect_rc 0
run get fromstdin
expect_same_bytes "$T/out" "$T/text"
run upsert fromfile "@$T/text"
expect_rc 0
run get fromfile
expect_same_bytes "$T/out" "$T/text"
run --json get fromfile
expect_json_field format '"utf8"'
run upsert missingfile "@$T/does-not-exist"
expect_error ArgumentError 2

# JSON text is stored exactly as given (not re-formatted), with json flags.
run upsert spaced '{ "z" :1e400 , "a":0.1 }'
run get spaced
expect_out '{ "z" :1e400 , "a":0.1 }'
run --json get spaced
expect_json_field format '"json"'
expect_json_field flags '"0x02000000"'

# remove prints nothing and deletes; a second remove is NotFoundError; --quiet hides only that.
run remove doc
expect_rc 0
expect_out_empty
run get doc
expect_error NotFoundError 3
run remove doc
expect_error NotFoundError 3
run remove doc --quiet
expect_rc 0
expect_err_empty
expect_out_empty

# remove with a wrong CAS is KeyExistsError and keeps the document; the right one removes it.
run upsert r1 x
R1CAS=$OUT
run remove r1 --cas 0xdeadbeef
expect_error KeyExistsError 4
run remove r1 --cas "$R1CAS"
expect_rc 0
run get r1
expect_rc 3

# several keys: one "KEY<TAB>VALUE" line each, in argument order; exit code of the first failure.
run upsert k1 'one'
run upsert k2 $'two\nlines'
run get k2 k1
expect_rc 0
printf 'k2\ttwo\\nlines\nk1\tone\n' >"$T/want"
expect_same_bytes "$T/out" "$T/want"
run get k1 missing1 k2 missing2
expect_error NotFoundError 3
printf 'k1\tone\nk2\ttwo\\nlines\n' >"$T/want"
expect_same_bytes "$T/out" "$T/want"
run get k1 missing1 k2 --quiet
expect_rc 0
expect_err_empty
printf 'k1\tone\nk2\ttwo\\nlines\n' >"$T/want"
expect_same_bytes "$T/out" "$T/want"

# several keys to remove; the missing one fails but the others are removed.
run remove k1 missing1 k2
expect_error NotFoundError 3
run get k1 k2 --quiet
expect_out_empty

# an empty key and a 251-byte key are ArgumentErrors; 250 bytes is fine.
run get ''
expect_error ArgumentError 2
run upsert "$(printf 'k%.0s' $(seq 251))" v
expect_error ArgumentError 2
run upsert "$(printf 'k%.0s' $(seq 250))" v
expect_rc 0

# a key that starts with '-' needs '--'.
run upsert -- -dash v
expect_rc 0
run get -- -dash
expect_out v

finish

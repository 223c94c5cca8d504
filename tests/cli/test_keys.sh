#!/usr/bin/env bash
# keys: glob patterns, --limit, the plain and --json forms, and escaping of hostile keys.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for k in user:1 user:2 user:10 order:1 other; do
    run upsert "$k" "{\"k\": \"$k\"}"
done
run upsert blob 'xyz' --format bytes
run upsert dies v --ttl 1000

# no pattern: every key, one "KEY<TAB>FORMAT<TAB>SIZE<TAB>EXPIRY" line each, sorted.
run keys
expect_rc 0
check "seven keys listed" [ "$(wc -l <"$T/out")" -eq 7 ]
expect_out_has $'user:1\tjson\t15\t0'
expect_out_has $'blob\tbytes\t3\t0'
check "keys are sorted on the embedded store" cmp -s <(cut -f1 "$T/out") <(cut -f1 "$T/out" | LC_ALL=C sort)
EXP=$(grep '^dies' "$T/out" | cut -f4)
check "expiry column is an absolute time (got $EXP)" [ "$EXP" -gt "$(date +%s)" ]

# glob: * and ?; a pattern without wildcards matches the whole key only.
run keys 'user:*'
expect_out "$(printf 'user:1\tjson\t15\t0\nuser:10\tjson\t16\t0\nuser:2\tjson\t15\t0')"
run keys 'user:?'
check "user:? matches two keys" [ "$(wc -l <"$T/out")" -eq 2 ]
expect_out_lacks 'user:10'
run keys '*:1'
check "*:1 matches user:1 and order:1" [ "$(cut -f1 "$T/out" | tr '\n' ' ')" = "order:1 user:1 " ]
run keys 'nomatch*'
expect_rc 0
expect_out_empty

# --limit N stops after N keys; 0 or junk is an ArgumentError.
run keys --limit 2
check "--limit 2 gives two lines" [ "$(wc -l <"$T/out")" -eq 2 ]
run keys 'user:*' --limit 1
check "--limit with a pattern" [ "$(wc -l <"$T/out")" -eq 1 ]
run keys --limit 0
expect_error ArgumentError 2
run keys --limit many
expect_error ArgumentError 2
run keys a b
expect_error ArgumentError 2

# --json: {"key","flags","format","size","cas","expiry"} per line.
run upsert single 1
SCAS=$OUT
run --json keys single
expect_json_field key '"single"'
expect_json_field flags '"0x02000000"'
expect_json_field format '"json"'
expect_json_field size '1'
expect_json_field cas "\"$SCAS\""
expect_json_field expiry '0'

# hostile keys: control characters never come out raw, in plain or in error messages.
EVIL=$'evil\e]0;pwned\a\r\nkey\t\xe2\x80\xae'
run upsert "$EVIL" v
expect_rc 0
run keys 'evil*'
check "one line for a key with a newline" [ "$(wc -l <"$T/out")" -eq 1 ]
check "no ESC, BEL or CR in the listing" bash -c "! grep -q \$'[\\e\\a\\r]' '$T/out'"
expect_out_has 'evil\x1b]0;pwned\x07\r\nkey\t\u202e'
run --json keys 'evil*'
expect_json_field key '"evil\u001b]0;pwned\u0007\r\nkey\t\u202e"'
run get "$EVIL" nothere
expect_rc 3
check "no ESC in the key=value line" bash -c "! grep -q \$'\\e' '$T/out'"
run remove "${EVIL}x"
expect_rc 3
check "no ESC or CR in the error message" bash -c "! grep -q \$'[\\e\\r]' '$T/err'"
expect_err_has 'evil\x1b'

finish

#!/usr/bin/env bash
# touch, counter, append/prepend, lock/unlock and TTLs from the shell.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

expiry_of() {
    run --json get "$1"
    json_field expiry
}

# TTL on a write sets an absolute expiry about now + ttl.
NOW=$(date +%s)
run upsert t1 v --ttl 100
expect_rc 0
EXP=$(expiry_of t1)
check "expiry is now+100 (got $EXP, now $NOW)" [ "$EXP" -ge $((NOW + 99)) -a "$EXP" -le $((NOW + 102)) ]

# touch prints the new CAS and sets the expiry; --ttl 0 clears it; touch needs --ttl.
run touch t1 --ttl 500
expect_rc 0
expect_out_matches '^0x[0-9a-f]+$'
EXP=$(expiry_of t1)
check "touch moved the expiry to now+500 (got $EXP)" [ "$EXP" -ge $((NOW + 499)) -a "$EXP" -le $((NOW + 503)) ]
run touch t1 --ttl 0
EXP=$(expiry_of t1)
check "touch --ttl 0 clears the expiry (got $EXP)" [ "$EXP" -eq 0 ]
run touch t1
expect_error ArgumentError 2
expect_err_has '--ttl'
run touch nothere --ttl 5
expect_error NotFoundError 3

# TTLs over 30 days are absolute Unix times; negative is an ArgumentError.
ABS=$((NOW + 86400 * 40))
run upsert t2 v --ttl "$ABS"
EXP=$(expiry_of t2)
check "a TTL over 30 days is an absolute time (got $EXP)" [ "$EXP" -eq "$ABS" ]
run upsert t3 v --ttl -5
expect_error ArgumentError 2

# a short TTL expires.
run upsert gone v --ttl 1
sleep 2.2
run get gone
expect_error NotFoundError 3

# get --ttl is get-and-touch.
run upsert gat v
run get gat --ttl 300
expect_out v
EXP=$(expiry_of gat)
check "get --ttl set the expiry (got $EXP)" [ "$EXP" -ge $((NOW + 299)) ]

# counter: missing without --initial is NotFoundError; --initial creates it (delta not applied).
run counter c
expect_error NotFoundError 3
run counter c --initial 10 --delta 5
expect_rc 0
expect_out 10
run counter c
expect_out 11
run counter c --delta 9
expect_out 20
run counter c --delta -25
expect_out 0
run get c
expect_out 0
run counter c --delta abc
expect_error ArgumentError 2
run counter c --ttl 5
expect_error ArgumentError 2
run upsert word '"THIS IS SPARTA"'
run counter word
expect_error DeltaBadvalError 7

# append / prepend: utf8 by default, bytes allowed, other formats ValueFormatError, missing NotStored.
run upsert text middle --format utf8
run append text ' end'
expect_rc 0
expect_out_matches '^0x[0-9a-f]+$'
run prepend text 'begin '
run get text
expect_out 'begin middle end'
run --json get text
expect_json_field format '"utf8"'
printf '\020' >"$T/frag"
run upsert raw "@$T/frag" --format bytes
printf '\040' >"$T/frag2"
run append raw "@$T/frag2" --format bytes
printf '\000' >"$T/frag0"
run prepend raw "@$T/frag0" --format bytes
printf '\000\020\040' >"$T/want"
run get raw
expect_same_bytes "$T/out" "$T/want"
run append text x --format json
expect_error ValueFormatError 6
run append text x --format xml
expect_error ArgumentError 2
run append nothere x
expect_error NotStoredError 5

# lock prints the value, the lock CAS goes to stderr; writes without it fail; unlock needs it.
run upsert L '{"locked": true}'
run lock L --ttl 10
expect_rc 0
expect_out '{"locked": true}'
expect_err_has 'cas 0x'
LOCKCAS=$(printf '%s\n' "$ERR" | sed -n 's/^cas //p')
run upsert L '"other"'
expect_error KeyExistsError 4
run lock L --ttl 10
expect_error TemporaryFailError 9
run unlock L --cas 0x1
expect_error TemporaryFailError 9
run unlock L --cas "$LOCKCAS"
expect_rc 0
expect_out_empty
run unlock L --cas "$LOCKCAS"
expect_error TemporaryFailError 9
run upsert L '"free"'
expect_rc 0
run lock L
expect_error ArgumentError 2
run unlock L
expect_error ArgumentError 2
run lock nothere --ttl 5
expect_error NotFoundError 3
# --json lock carries the lock CAS in "cas".
run --json lock L --ttl 10
LOCKCAS=$(json_field cas | tr -d '"')
run upsert L '"with lock cas"' --cas "$LOCKCAS"
expect_rc 0
run upsert L '"unlocked again"'
expect_rc 0

finish

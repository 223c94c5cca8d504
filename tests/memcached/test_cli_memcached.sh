#!/usr/bin/env bash
# The CLI on memcached, end to end:
#   1. the common commands give the same stdout, exit codes and error names as on the embedded
#      store (CAS values aside);
#   2. what memcached cannot do is a clear NotSupportedError / DurabilityImpossibleError (exit 10),
#      keys are listed through metadump (filters, --limit, odd keys), TTLs read back, big values
#      are TooBigError;
#   3. on a SASL-only server everything but listing works, listing says it cannot, a wrong
#      password is AuthError (exit 12) and the password never shows in ps, output or errors.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/lib.sh"
# json_field runs python3: the system one starts ten times faster than a pyenv shim.
PATH=/usr/bin:$PATH
bound_kvtui

mc_start
mc_require_backend
EMBEDDED="file:$T/compare.kvdb"

# ---- 1. same results as the embedded store ----

# One command per line, words as the shell splits them; @BIN is a file of binary bytes.
printf '\000\001\002\377 bytes' >"$T/bin"
COMMON=$(cat <<'EOF'
insert doc '{"a": 1,  "b": [1, 2]}'
get doc
--json get doc
insert doc '{"other": true}'
upsert doc '"v2"'
get doc
replace doc '"v3"'
replace nothere 1
get nothere
get nothere --quiet
remove nothere
remove nothere --quiet
upsert nothere 1 --cas 0x1234
remove doc --cas 0x1
upsert text middle --format utf8
append text ' end'
prepend text 'begin '
get text
--json get text
append text x --format json
append text x --format xml
append nothere x
prepend nothere x --format bytes
counter c
counter c --initial 10 --delta 5
counter c --delta 9
--json counter c --delta 1
counter c --delta abc
counter c --ttl 5
upsert word '"THIS IS SPARTA"'
counter word
--json get doc text
get doc text nothere
upsert bin @BIN --format bytes
get bin
--json get bin
upsert p '{"x": [1, 2], "s": "é"}' --format pickle
get p
--json get p
upsert j '{bad json' --format json
upsert t 'not json' --format auto
--json get t
upsert '' v
touch text --ttl 0
touch nothere --ttl 5
touch text
upsert k v --ttl -5
upsert k v --format yaml
bogus-command
remove doc
get doc
--json remove doc
EOF
)

# Run every COMMON line on STORE; write "exit, error names, normalized stdout" per command.
transcript() {
    local store=$1 out=$2 line rc
    : >"$out"
    while IFS= read -r line; do
        line=${line//@BIN/@$T/bin}
        eval "set -- $line"
        rc=0
        "$KVTUI" -s "$store" "$@" </dev/null >"$T/t.out" 2>"$T/t.err" || rc=$?
        {
            printf '== %s\nexit %s\n' "$line" "$rc"
            sed -n 's/^\(kvtui: [A-Za-z]*Error\): .*/\1/p' "$T/t.err"
            sed -E -e 's/^0x[0-9a-f]+$/<cas>/' -e 's/"cas":"0x[0-9a-f]+"/"cas":"<cas>"/g' "$T/t.out"
            echo
        } >>"$out"
    done <<<"$COMMON"
}
transcript "$EMBEDDED" "$T/embedded.txt"
transcript "$MC_URL" "$T/memcached.txt"
if cmp -s "$T/embedded.txt" "$T/memcached.txt"; then _pass; else
    FAILED=$((FAILED + 1))
    echo "FAIL: the common commands differ between the embedded store and memcached:" >&2
    diff -U2 "$T/embedded.txt" "$T/memcached.txt" | head -60 >&2
fi
check "the transcript covers every command" [ "$(grep -c '^== ' "$T/memcached.txt")" -ge 50 ]

# ---- 2. memcached's own answers ----
STORE=$MC_URL

run upsert L '{"locked": true}'
expect_rc 0
run lock L --ttl 10
expect_error NotSupportedError 10
expect_err_has memcached
run unlock L --cas 0x1
expect_error NotSupportedError 10
run get L --replica
expect_error NotSupportedError 10
run upsert L '"still writable"'
expect_rc 0

run upsert durable 1 --persist-to 1
expect_error DurabilityImpossibleError 10
run insert durable 1 --replicate-to 1
expect_error DurabilityImpossibleError 10
run get durable
expect_error NotFoundError 3
run upsert durable 1 --persist-to -1 --replicate-to -1
expect_rc 0

# TTL read back from the server (mg t), as an absolute time; a plain save clears it.
NOW=$(date +%s)
run upsert ttl '"soon"' --ttl 100
run --json get ttl
EXP=$(json_field expiry)
check "expiry of --ttl 100 is now+100 (got $EXP, now $NOW)" \
    bash -c "[ $EXP -ge $((NOW + 98)) ] && [ $EXP -le $((NOW + 102)) ]"
run touch ttl --ttl 500
run --json get ttl
EXP=$(json_field expiry)
check "touch moves the expiry to now+500 (got $EXP)" \
    bash -c "[ $EXP -ge $((NOW + 498)) ] && [ $EXP -le $((NOW + 503)) ]"
run upsert ttl '"kept"'
run --json get ttl
expect_json_field expiry 0
run upsert gone v --ttl 1
sleep 2.1
run get gone
expect_error NotFoundError 3

# Listing through lru_crawler metadump: same columns as the embedded store, unsorted.
for k in user:1 user:2 user:10 order:1; do run upsert "$k" "{\"k\": \"$k\"}"; done
run upsert 'odd key %2F/é?&=' '"odd"'
run upsert blob 'xyz' --format bytes
run upsert dies v --ttl 1000
run keys
expect_rc 0
expect_out_has $'user:1\tjson\t15\t0'
expect_out_has $'user:10\tjson\t16\t0'
expect_out_has $'blob\tbytes\t3\t0'
expect_out_has $'odd key %2F/é?&=\tjson\t5\t0'
check "gone (expired) is not listed" bash -c "! grep -q '^gone' '$T/out'"
EXP=$(grep '^dies' "$T/out" | cut -f4)
check "expiry column is an absolute time (got $EXP)" [ "${EXP:-0}" -gt "$NOW" ]
run keys 'user:*'
check "user:* lists three keys" [ "$(cut -f1 "$T/out" | LC_ALL=C sort | tr '\n' ' ')" = "user:1 user:10 user:2 " ]
run keys 'user:?'
check "user:? lists two keys" [ "$(wc -l <"$T/out")" -eq 2 ]
run keys 'nomatch*'
expect_rc 0
expect_out_empty
run keys --limit 2
check "--limit 2 gives two lines" [ "$(wc -l <"$T/out")" -eq 2 ]
run --json keys 'user:1'
expect_json_field key '"user:1"'
expect_json_field flags '"0x02000000"'
expect_json_field size 15
run --json get 'user:1'
UCAS=$(json_field cas)
run --json keys 'user:1'
expect_json_field cas "$UCAS"
EVIL=$'evil\e]0;pwned\a\r\nkey'
run upsert "$EVIL" v
run keys 'evil*'
check "one line for a key with a newline" [ "$(wc -l <"$T/out")" -eq 1 ]
check "no ESC, BEL or CR in the listing" bash -c "! grep -q \$'[\\e\\a\\r]' '$T/out'"

# A bulk import spans several batches, and the next batch goes out before the previous one is
# answered: every line is stored, and a key given twice keeps its later value.
awk 'BEGIN { print "{\"key\":\"imp:dup\",\"value\":\"first\"}"
    for (i = 0; i < 12000; i++) printf "{\"key\":\"imp:%05d\",\"value\":%d}\n", i, i
    print "{\"key\":\"imp:dup\",\"value\":\"last\"}" }' >"$T/imp.jsonl"
run import "$T/imp.jsonl"
expect_rc 0
expect_out_has "imported 12002 documents"
run get imp:dup
expect_out last
run get imp:11999
expect_out 11999
run keys 'imp:*'
check "the import stored 12001 distinct keys" [ "$(cut -f1 "$T/out" | sort -u | wc -l)" -eq 12001 ]

# Values over memcached's item size (1 MiB by default) are TooBigError; nothing is stored.
head -c 2097152 /dev/zero | tr '\0' 'a' >"$T/big"
run upsert big "@$T/big" --format utf8
expect_error TooBigError 8
run get big
expect_error NotFoundError 3

# memcached pads a decremented number with spaces; the value read back is still that number.
run upsert dec 15
run counter dec --delta -15
expect_out 0
run get dec
check "a counter decremented to 0 reads as 0 (memcached may pad it: '$OUT')" \
    bash -c "[[ '$OUT' =~ ^0\ *$ ]]"

# ---- 3. SASL-only server (its own shell, so it gets its own server) ----
# The password is never passed as an argument here, so no process of ours shows it in ps.
not_in() { ! grep -qF -- "$MC_SASL_PASSWORD" "$@"; }

sasl_part() {
    PASSED=0
    FAILED=0
    mc_start --sasl
    STORE=$MC_URL
    export KVTUI_PASSWORD=$MC_SASL_PASSWORD
    run upsert s '{"sasl": true}'
    expect_rc 0
    run --json get s
    expect_rc 0
    expect_json_field value '{"sasl":true}'
    expect_json_field expiry -1
    run counter sc --initial 5
    expect_out 5
    run append s x
    expect_rc 0
    run remove s
    expect_rc 0
    run keys
    expect_error NotSupportedError 10
    check "the listing error says why (SASL, text protocol)" bash -c "grep -qi 'sasl' '$T/err' && grep -qi 'text protocol' '$T/err'"
    if [ -n "${INTEROP_LM:-}" ]; then
        "$INTEROP_LM" --user "$MC_SASL_USER" "127.0.0.1:${MC_PORTS[0]}" set fromapp hi 0x04000004
        run get fromapp
        expect_out hi
    fi

    KVTUI_PASSWORD=wrong-$MC_SASL_PASSWORD run get sc
    expect_error AuthError 12
    check "a wrong password never appears in the output" not_in "$T/out" "$T/err"
    STORE="memcached://127.0.0.1:${MC_PORTS[0]}" run get sc
    expect_error AuthError 12
    expect_err_has username
    (unset KVTUI_PASSWORD; run get sc; expect_error AuthError 12; finish >/dev/null) || FAILED=$((FAILED + 1))

    # --password-file: 0600 is used; 0644 is refused before connecting.
    printf '%s\n' "$MC_SASL_PASSWORD" >"$T/pw"
    chmod 600 "$T/pw"
    (unset KVTUI_PASSWORD; run --password-file "$T/pw" get sc; expect_out 5; finish >/dev/null) || FAILED=$((FAILED + 1))
    chmod 644 "$T/pw"
    (unset KVTUI_PASSWORD; run --password-file "$T/pw" get sc; expect_error ArgumentError 2; finish >/dev/null) || FAILED=$((FAILED + 1))
    check "a refused password file is not echoed" not_in "$T/err"
    chmod 600 "$T/pw"

    # A kvtui waiting on a silent server (SASL user given): the password is not in ps, nor in
    # /proc/PID/cmdline, whether it came from the environment or from a file.
    mc_start_fake silent
    local url="memcached://127.0.0.1:$FAKE_PORT?username=$MC_SASL_USER&timeout=5" pid how
    for how in env file; do
        if [ "$how" = env ]; then
            KVTUI_PASSWORD=$MC_SASL_PASSWORD "$REAL_KVTUI" -s "$url" get s </dev/null >/dev/null 2>&1 &
        else
            env -u KVTUI_PASSWORD "$REAL_KVTUI" --password-file "$T/pw" -s "$url" get s </dev/null >/dev/null 2>&1 &
        fi
        pid=$!
        sleep 0.5
        check "kvtui ($how) is running while we look" kill -0 "$pid"
        ps -eo pid,args >"$T/ps"
        tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/cmdline"
        check "ps shows kvtui ($how)" grep -q "^ *$pid " "$T/ps"
        check "ps does not show the password ($how)" not_in "$T/ps"
        check "/proc/PID/cmdline lacks the password ($how)" not_in "$T/cmdline"
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    finish
}
echo "-- SASL part"
(sasl_part) && sasl_rc=0 || sasl_rc=$?
check "the SASL part passed" [ "$sasl_rc" -eq 0 ]

finish

#!/usr/bin/env bash
# memcached+tls:// against real memcached -Z servers, with certificates made here (lib.sh
# mc_tls_certs): a test CA, an unrelated CA, and server certificates that are good, expired, or
# for another name.
#   1. with the right CA everything works over TLS: the binary connection (upsert, get, a 1 MB
#      value, a burst of 3000 pipelined writes), the text connection (TTL and flags read back by
#      get --json) and key listing (metadump); by IP literal and by name (localhost: SNI and a
#      DNS name check); with SASL;
#   2. what must be refused is refused with NetworkError (exit 11) and a message naming the node
#      and the reason: a CA that did not sign the certificate, the system CAs, an expired
#      certificate, a certificate for another name, a server that does not speak TLS (and
#      plaintext sent to a TLS port);
#      a failed handshake is not retried in a loop (one connection for 50 requests);
#   3. verify=false connects anyway and warns; a CA file that cannot be read is an ArgumentError.
#
#   test_tls.sh --with-server COMMAND...   runs COMMAND against one memcached -Z instead, with
#   MC_URL, MC_PORTS, MC_TLS_CA and KV_CONFORMANCE_STORE exported (the conformance suite over
#   TLS, test_tls_conn)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/lib.sh"
PATH=/usr/bin:$PATH # json_field runs python3: the system one starts faster than a pyenv shim
bound_kvtui

mc_tls_require
mc_tls_certs

# --with-server COMMAND...: run COMMAND against one memcached -Z with the good certificate.
if [ "${1:-}" = "--with-server" ]; then
    shift
    mc_start_tls good
    port=${MC_PORTS[0]}
    unset MC_PORTS
    export MC_URL MC_PORTS=$port MC_TLS_CA=$MC_TLS/ca.pem KV_CONFORMANCE_STORE=$MC_URL
    rc=0
    "$@" || rc=$?
    exit "$rc"
fi

# The server's own count of connections it accepted, asked over TLS with the openssl tool.
total_connections() {
    printf 'stats\r\nquit\r\n' |
        timeout 5 openssl s_client -connect "127.0.0.1:$1" -CAfile "$MC_TLS/ca.pem" -quiet \
            2>/dev/null | sed -n 's/^STAT total_connections \([0-9]*\).*/\1/p'
}

# ---- 1. the right CA: everything works ----
mc_start_tls good
GOOD_PORT=${MC_PORTS[0]}
GOOD=$MC_URL
STORE=$GOOD

run upsert doc '{"over": "tls"}'
expect_rc 0
run get doc
expect_out '{"over": "tls"}'
run upsert timed '"soon"' --ttl 100
expect_rc 0
NOW=$(date +%s)
run --json get timed
expect_rc 0
expect_json_field value '"soon"'
check "get --json reads the TTL back over the TLS text connection (expiry near now+100)" \
    python3 -c "import sys; e = int(sys.argv[1]); sys.exit(0 if $NOW + 95 <= e <= $NOW + 105 else 1)" \
    "$(json_field expiry)"
run keys
expect_rc 0
expect_out_has doc
expect_out_has timed

# A 1 MB value crosses many TLS records and socket reads each way.
head -c 1000000 /dev/urandom >"$T/big"
run upsert big "@$T/big" --format bytes
expect_rc 0
run get big
expect_same_bytes "$T/out" "$T/big"

# A burst of pipelined writes, some bigger than a TLS record: memcached 1.6 -Z leaves the end of
# a record it has not parsed yet unread until more bytes come, so the last requests of a burst
# are only answered when records end where requests end.
python3 - "$T/burst.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(3000):
        size = 40000 if i % 500 == 7 else 150
        out.write(json.dumps({"id": "burst%05d" % i, "pad": "x" * size}) + "\n")
PY
run import "$T/burst.jsonl" --id-field id
expect_rc 0
expect_out_has "imported 3000 documents"
run keys 'burst*'
check "every document of the burst is listed" [ "$(grep -c '^burst' "$T/out")" = 3000 ]

# By name: SNI carries "localhost" and the certificate's DNS name matches it.
STORE="memcached+tls://localhost:$GOOD_PORT?cacert=$MC_TLS/ca.pem"
run get doc
expect_out '{"over": "tls"}'

# ---- 2. refusals ----
# A CA that did not sign the server's certificate (the server sends its chain up to its own CA).
STORE="memcached+tls://127.0.0.1:$GOOD_PORT?cacert=$MC_TLS/other-ca.pem"
run get doc
expect_error NetworkError 11
expect_err_has "TLS handshake with 127.0.0.1:$GOOD_PORT failed"
expect_err_has "certificate verify failed: self-signed certificate in certificate chain"
run upsert doc '"must not land"'
expect_error NetworkError 11
STORE=$GOOD
run get doc
expect_out '{"over": "tls"}'

# The system's CAs do not know the test CA either.
STORE="memcached+tls://127.0.0.1:$GOOD_PORT"
run get doc
expect_error NetworkError 11
expect_err_has "certificate verify failed"

# Every waiting request gets the reason; the node backs off instead of reconnecting per request.
BEFORE=$(total_connections "$GOOD_PORT")
STORE="memcached+tls://127.0.0.1:$GOOD_PORT?cacert=$MC_TLS/other-ca.pem"
run get $(seq -f 'k%g' 1 50)
expect_error NetworkError 11
check "all 50 requests fail with the verification message" \
    [ "$(grep -c 'certificate verify failed' "$T/err")" = 50 ]
AFTER=$(total_connections "$GOOD_PORT")
check "a failed handshake is not retried per request (connections $BEFORE -> $AFTER)" \
    [ $((AFTER - BEFORE)) -le 3 ]

# verify=false connects through the wrong CA, and says that nothing was checked.
STORE="memcached+tls://127.0.0.1:$GOOD_PORT?cacert=$MC_TLS/other-ca.pem&verify=false"
run get doc
expect_rc 0
expect_out '{"over": "tls"}'
expect_err_has "warning: TLS certificate verification is off"

# An expired certificate from the right CA.
mc_start_tls expired
STORE=$MC_URL
run get doc
expect_error NetworkError 11
expect_err_has "TLS handshake with 127.0.0.1:${MC_PORTS[0]} failed"
expect_err_has "certificate has expired"

# A certificate for other.example only: neither localhost nor 127.0.0.1 may use it.
mc_start_tls other
OTHER_PORT=${MC_PORTS[0]}
STORE="memcached+tls://localhost:$OTHER_PORT?cacert=$MC_TLS/ca.pem"
run get doc
expect_error NetworkError 11
expect_err_has "TLS handshake with localhost:$OTHER_PORT failed"
expect_err_has "host name mismatch"
STORE="memcached+tls://127.0.0.1:$OTHER_PORT?cacert=$MC_TLS/ca.pem"
run get doc
expect_error NetworkError 11
expect_err_has "host name mismatch"

# A server that does not speak TLS.
mc_start --
STORE="memcached+tls://127.0.0.1:${MC_PORTS[0]}?cacert=$MC_TLS/ca.pem&timeout=3"
run get doc
expect_error NetworkError 11
expect_err_has "is the server speaking TLS on this port?"
# And the other way round: plaintext to a TLS port is dropped, and the message says why.
STORE="memcached://127.0.0.1:$GOOD_PORT?timeout=3"
run get doc
expect_error NetworkError 11
expect_err_has "does it expect TLS?"

# ---- 3. the CA file itself ----
STORE="memcached+tls://127.0.0.1:$GOOD_PORT?cacert=$T/missing.pem"
run get doc
expect_error ArgumentError 2
expect_err_has "cannot read CA file $T/missing.pem: No such file or directory"
STORE="memcached+tls://127.0.0.1:$GOOD_PORT?cacert=$MC_TLS/openssl.cnf"
run get doc
expect_error ArgumentError 2
expect_err_has "cannot read CA file"

# ---- SASL over TLS: the password travels encrypted ----
mc_start_tls good --sasl
STORE=$MC_URL
export KVTUI_PASSWORD=$MC_SASL_PASSWORD
run upsert secret '"kept"'
expect_rc 0
run get secret
expect_out '"kept"'
export KVTUI_PASSWORD=wrong-password
run get secret
expect_error AuthError 12
unset KVTUI_PASSWORD

finish

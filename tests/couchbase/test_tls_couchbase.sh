#!/usr/bin/env bash
# couchbases:// against the fake cluster serving TLS only (certificates made by the memcached
# TLS fixture): the map's kvSSL ports are used, the certificate is verified against ?cacert=, a
# wrong CA is refused, and over TLS a forced PLAIN is allowed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/../memcached/lib.sh"
. "$HERE/lib.sh"
if ! command -v openssl >/dev/null 2>&1; then echo "SKIP: the openssl tool is not installed"; exit 0; fi
bound_kvtui

mc_tls_certs
cb_start --tls-cert "$MC_TLS/good-chain.pem" --tls-key "$MC_TLS/good.key"
export KVTUI_PASSWORD=$CB_PASSWORD
TLS_URL="couchbases://${CB_URL#couchbase://}"
STORE="$TLS_URL&cacert=$MC_TLS/ca.pem"
run upsert tls:doc '{"over": "tls"}'
expect_rc 0
run --json get tls:doc
expect_json_field value '{"over":"tls"}'
run keys 'tls:*'
expect_out_has tls:doc
STORE="$TLS_URL&cacert=$MC_TLS/ca.pem&sasl_mech_force=PLAIN"
run get tls:doc
expect_rc 0
check "PLAIN went over TLS" grep -q 'SASL_AUTH PLAIN' "$CB_LOG"
STORE="$TLS_URL&cacert=$MC_TLS/other-ca.pem"
run get tls:doc
expect_error NetworkError 11
expect_err_has "certificate"
STORE="$TLS_URL&verify=false"
run get tls:doc
expect_rc 0
expect_err_has "warning: TLS certificate verification is off (verify=false)"
STORE=$CB_URL
run get tls:doc
check "plain couchbase:// to a TLS port fails" [ "$RC" -ne 0 ]
finish

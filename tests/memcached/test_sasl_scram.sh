#!/usr/bin/env bash
# SCRAM authentication through the CLI:
#   1. a real memcached -S with Cyrus SASL's scram plugin (mech_list scram-sha-256, then
#      scram-sha-1, then several): upsert and get work, the best offered mechanism is used (the
#      server's -vv log names it), a wrong password is AuthError (exit 12) with a clear message,
#      sasl_mech_force= picks or refuses a mechanism naming what the server offers;
#   2. a fake Couchbase-style server (names without the hyphen, the signature answered with
#      status 0): SCRAM-SHA-512 is chosen and works, a wrong server signature and an absurd
#      iteration count are AuthErrors saying so, and the password itself never crosses the wire
#      nor shows in ps while kvtui waits mid-handshake.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/lib.sh"
PATH=/usr/bin:$PATH
bound_kvtui

if ! ls /usr/lib/*/sasl2/libscram.so* >/dev/null 2>&1; then
    echo "SKIP: Cyrus SASL's scram plugin is not installed (apt-get install libsasl2-modules)"
    exit 0
fi

# The password must appear nowhere in FILES.
not_in() { ! grep -qF -- "$MC_SASL_PASSWORD" "$@"; }

# ---- 1. real memcached with Cyrus SASL ----

mc_start --sasl -- -vv
STORE=$MC_URL
NODE="127.0.0.1:${MC_PORTS[0]}"
LOG="$MC_DIR/mc-${MC_PORTS[0]}.log"
export KVTUI_PASSWORD=$MC_SASL_PASSWORD

# The mechanism of the last authentication memcached saw (its -vv log: mech:  ``NAME'').
last_mech() { grep -o "mech:  \`\`[A-Z0-9-]*''" "$LOG" | tail -n 1 | sed "s/mech:  \`\`//; s/''//"; }

# upsert then get over MECH (Cyrus spelling), checking memcached saw that mechanism.
works_with() {
    local mech=$1 value="over $1"
    run upsert doc "$value" --format utf8
    expect_rc 0
    run get doc
    expect_out "$value"
    check "memcached authenticated kvtui with $mech (log says '$(last_mech)')" \
        [ "$(last_mech)" = "$mech" ]
}

echo "-- scram-sha-256"
mc_set_sasl_mechs scram-sha-256
works_with SCRAM-SHA-256
check "the password is not in the output" not_in "$T/out" "$T/err"

KVTUI_PASSWORD=wrong-$MC_SASL_PASSWORD run get doc
expect_error AuthError 12
expect_err_has "authentication as '$MC_SASL_USER' failed on $NODE: wrong username or password"
check "neither password is in the output" not_in "$T/out" "$T/err"

STORE="$MC_URL&sasl_mech_force=PLAIN" run get doc
expect_error AuthError 12
expect_err_has "offers the SASL mechanisms 'SCRAM-SHA-256', not PLAIN"
STORE="$MC_URL&sasl_mech_force=SCRAM-SHA1" run get doc
expect_error AuthError 12
expect_err_has "'SCRAM-SHA-256', not SCRAM-SHA-1"
STORE="$MC_URL&sasl_mech_force=scram-sha256" run get doc
expect_out "over SCRAM-SHA-256"

echo "-- scram-sha-1"
mc_set_sasl_mechs scram-sha-1
works_with SCRAM-SHA-1
KVTUI_PASSWORD=wrong-$MC_SASL_PASSWORD run get doc
expect_error AuthError 12
expect_err_has "wrong username or password"

echo "-- several offered: the best is used, a forced one is honoured"
mc_set_sasl_mechs "plain scram-sha-1 scram-sha-256"
works_with SCRAM-SHA-256
STORE="$MC_URL&sasl_mech_force=SCRAM-SHA1" run get doc
expect_out "over SCRAM-SHA-256"
check "sasl_mech_force=SCRAM-SHA1 used SCRAM-SHA-1 (log says '$(last_mech)')" \
    [ "$(last_mech)" = SCRAM-SHA-1 ]
STORE="$MC_URL&sasl_mech_force=PLAIN" run get doc
expect_out "over SCRAM-SHA-256"
check "sasl_mech_force=PLAIN used PLAIN (log says '$(last_mech)')" [ "$(last_mech)" = PLAIN ]

# ---- 2. a fake Couchbase-style SCRAM server ----

cat >"$T/fake_scram.py" <<'EOF'
"""fake_scram.py MODE WIRE_LOG: a SASL-only binary server with Couchbase's mechanism names.

Prints its port, then serves: SASL_LIST_MECHS, SCRAM (checking the client's proof against the
password in $FAKE_PASSWORD and answering the proof with status 0 and v=, as Couchbase does), GET
(always a miss) and SET. Every byte received goes to WIRE_LOG; each mechanism used to stderr.
MODE: good | badsig (a wrong v=) | hugeiter (i=50000000) | stall (never answers SASL_AUTH)."""
import base64, hashlib, hmac, os, socketserver, struct, sys

MODE, WIRE_LOG = sys.argv[1], sys.argv[2]
PASSWORD = os.environ["FAKE_PASSWORD"].encode()
HASHES = {"SCRAM-SHA512": hashlib.sha512, "SCRAM-SHA256": hashlib.sha256,
          "SCRAM-SHA1": hashlib.sha1}
SALT = b"kvtui fake salt!"
ITERATIONS = 50000000 if MODE == "hugeiter" else 4096


def reply(sock, opcode, opaque, status=0, value=b"", cas=0):
    sock.sendall(struct.pack(">BBHBBHIIQ", 0x81, opcode, 0, 0, 0, status, len(value), opaque,
                             cas) + value)


def proof_ok(state, client_final):
    without_proof, proof = client_final.rsplit(",p=", 1)
    h = HASHES[state["mech"]]
    auth = ",".join([state["bare"], state["first"], without_proof]).encode()
    salted = hashlib.pbkdf2_hmac(h().name, PASSWORD, SALT, ITERATIONS)
    stored_key = h(hmac.new(salted, b"Client Key", h).digest()).digest()
    client_signature = hmac.new(stored_key, auth, h).digest()
    client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), client_signature))
    ok = hmac.compare_digest(h(client_key).digest(), stored_key)
    signature = hmac.new(hmac.new(salted, b"Server Key", h).digest(), auth, h).digest()
    if MODE == "badsig":
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    return ok, b"v=" + base64.b64encode(signature)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        buf, state = b"", {}
        while True:
            while len(buf) < 24 or len(buf) < 24 + struct.unpack(">I", buf[8:12])[0]:
                data = self.request.recv(65536)
                if not data:
                    return
                with open(WIRE_LOG, "ab") as f:
                    f.write(data)
                buf += data
            _, op, keylen, extlen, _, _, bodylen, opaque, _ = struct.unpack(">BBHBBHIIQ",
                                                                            buf[:24])
            body, buf = buf[24:24 + bodylen], buf[24 + bodylen:]
            self.dispatch(op, opaque, body[extlen:extlen + keylen], body[extlen + keylen:], state)

    def dispatch(self, op, opaque, key, value, state):
        s = self.request
        if op == 0x20:
            reply(s, op, opaque, value=b"SCRAM-SHA512 SCRAM-SHA256 SCRAM-SHA1 PLAIN")
        elif op == 0x21:
            print(key.decode(), file=sys.stderr, flush=True)
            if MODE == "stall" or key.decode() not in HASHES:
                return
            bare = value.decode()[3:]
            nonce = bare.split(",r=", 1)[1] + "FakeServerNonce"
            first = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(SALT).decode(), ITERATIONS)
            state.update(mech=key.decode(), bare=bare, first=first)
            reply(s, op, opaque, 0x21, first.encode())
        elif op == 0x22:
            ok, final = proof_ok(state, value.decode())
            state["authenticated"] = ok
            reply(s, op, opaque, 0 if ok else 0x20, final if ok else b"Auth failure.")
        elif not state.get("authenticated"):
            reply(s, op, opaque, 0x20, b"Auth failure.")
        elif op == 0x01:
            reply(s, op, opaque, cas=7)
        else:
            reply(s, op, opaque, 0x01, b"Not found")


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF

# Start the fake in MODE: sets FAKE_PORT, FAKE_PID (stopped at exit by lib.sh's cleanup).
start_fake_scram() {
    local portfile=$T/fake-$1.port
    : >"$portfile"
    FAKE_PASSWORD=$MC_SASL_PASSWORD /usr/bin/python3 "$T/fake_scram.py" "$1" "$T/wire-$1" \
        >"$portfile" 2>"$T/fake-$1.err" </dev/null &
    FAKE_PID=$!
    echo "$FAKE_PID" >>"$MC_DIR/pids"
    for _ in $(seq 100); do
        FAKE_PORT=$(head -n 1 "$portfile")
        if [ -n "$FAKE_PORT" ]; then return 0; fi
        sleep 0.05
    done
    echo "the fake SCRAM server ($1) did not start" >&2
    cat "$T/fake-$1.err" >&2
    return 1
}

fake_url() { echo "memcached://127.0.0.1:$FAKE_PORT?username=$MC_SASL_USER&timeout=${1:-5}"; }

echo "-- fake Couchbase-style server"
start_fake_scram good
STORE=$(fake_url) run upsert doc x --format utf8
expect_rc 0
STORE=$(fake_url) run get doc
expect_error NotFoundError 3
check "SCRAM-SHA512 (Couchbase spelling) was chosen" \
    bash -c "[ \"\$(sort -u '$T/fake-good.err')\" = SCRAM-SHA512 ]"
KVTUI_PASSWORD=wrong-$MC_SASL_PASSWORD STORE=$(fake_url) run get doc
expect_error AuthError 12
expect_err_has "wrong username or password"
check "the password never crossed the wire" not_in "$T/wire-good"
STORE="$(fake_url)&sasl_mech_force=SCRAM-SHA1" run get doc
expect_error NotFoundError 3
check "sasl_mech_force=SCRAM-SHA1 was sent as SCRAM-SHA1" \
    bash -c "[ \"\$(tail -n 1 '$T/fake-good.err')\" = SCRAM-SHA1 ]"

start_fake_scram badsig
STORE=$(fake_url) run get doc
expect_error AuthError 12
expect_err_has "could not prove it knows the password"

start_fake_scram hugeiter
SECONDS=0
STORE=$(fake_url) run get doc
expect_error AuthError 12
expect_err_has "'50000000' iterations"
check "an absurd iteration count is refused at once (${SECONDS}s)" [ "$SECONDS" -lt 5 ]

# kvtui waiting for the server's challenge: the password is in neither ps nor its argv.
start_fake_scram stall
KVTUI_PASSWORD=$MC_SASL_PASSWORD "$REAL_KVTUI" -s "$(fake_url 2)" get doc </dev/null \
    >/dev/null 2>"$T/stall.err" &
pid=$!
for _ in $(seq 100); do
    if [ -s "$T/fake-stall.err" ]; then break; fi
    sleep 0.05
done
check "kvtui is mid-handshake while we look" kill -0 "$pid"
ps -eo pid,args >"$T/ps"
tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/cmdline"
check "ps does not show the password" not_in "$T/ps"
check "/proc/PID/cmdline lacks the password" not_in "$T/cmdline"
wait "$pid" || true
check "the handshake timeout is reported without the password" not_in "$T/stall.err"
check "the stalled handshake ends in a TimeoutError" grep -q "^kvtui: TimeoutError: " "$T/stall.err"

finish

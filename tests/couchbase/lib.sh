# Sourced by the Couchbase tests: start and stop the fake cluster (cb_fake.py).
#   cb_start [cb_fake.py options]  start a cluster (by default 2 nodes, 64 vbuckets, 1 replica,
#                                  user kvtest with a generated password); sets CB_URL
#                                  (couchbase://127.0.0.1:P1,.../default?username=kvtest),
#                                  CB_PORTS (comma-separated), CB_PASSWORD and CB_LOG (its log,
#                                  verbose: HELLO, SASL mechanisms, NOT_MY_VBUCKET)
#   cb_stop                        stop it (also done on exit)
# Tests skip (exit 0 with "SKIP:") without python3.
CB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CB_PYTHON=$(command -v python3 || true)
if [ -z "$CB_PYTHON" ]; then echo "SKIP: python3 is not installed"; exit 0; fi
CB_DIR=$(mktemp -d)
CB_PID=

cb_stop() {
    if [ -n "$CB_PID" ]; then
        kill "$CB_PID" 2>/dev/null || true
        wait "$CB_PID" 2>/dev/null || true
    fi
    CB_PID=
}
# Keep any EXIT trap set before us (tests/cli/lib.sh and tests/tui/lib.sh clean up that way).
_cb_prev_trap=$(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT$/\1/p")
trap 'cb_stop; rm -rf "$CB_DIR"; eval "$_cb_prev_trap"' EXIT

cb_start() {
    cb_stop
    rm -f "$CB_DIR/ports"
    (umask 077 && head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$CB_DIR/password")
    CB_LOG=$CB_DIR/fake.log
    # --watch-stdin: the fake exits when its stdin closes, which the loop feeding it does within
    # a second of this shell's end, even when the shell is killed.
    CB_FAKE_VERBOSE=1 "$CB_PYTHON" "$CB_HERE/cb_fake.py" --nodes 2 --vbuckets 64 --replicas 1 \
        --user kvtest --password-file "$CB_DIR/password" --port-file "$CB_DIR/ports" \
        --watch-stdin "$@" >"$CB_LOG" 2>&1 < <(while kill -0 $$ 2>/dev/null; do sleep 1; done) &
    CB_PID=$!
    for _ in $(seq 100); do
        [ -s "$CB_DIR/ports" ] && break
        sleep 0.05
    done
    if [ ! -s "$CB_DIR/ports" ]; then
        echo "FAIL: the fake Couchbase cluster did not start:" >&2
        cat "$CB_LOG" >&2
        exit 1
    fi
    CB_PORTS=$(paste -sd, "$CB_DIR/ports")
    CB_URL="couchbase://$(sed 's/^/127.0.0.1:/' "$CB_DIR/ports" | paste -sd, -)/default?username=kvtest"
    CB_PASSWORD=$(cat "$CB_DIR/password")
}

# Throwaway memcached servers for one test. Source it from bash (set -euo pipefail is fine).
#
#   mc_require                   print "SKIP: ..." and exit 0 when memcached is not installed
#   mc_start [--sasl] [-n N] [-- ARGS...]
#                                start N nodes (default 1) on free 127.0.0.1 ports; ARGS go to
#                                every memcached (a second call starts a new set; the old one
#                                still stops at exit). Sets MC_PORTS, MC_PIDS (arrays), MC_SERVERS
#                                ("127.0.0.1:p1,127.0.0.1:p2"), MC_URL (memcached://MC_SERVERS,
#                                with ?username=U for --sasl) and, for --sasl, MC_SASL_USER and
#                                MC_SASL_PASSWORD (a fresh random one)
#   mc_url_of I                  memcached://127.0.0.1:PORT of node I (0-based), a single node
#   mc_kill_node I [SIGNAL]      kill node I (default SIGKILL) and reap it
#   mc_restart_node I            start node I again on the same port (and the same SASL db)
#   mc_pause_node I / mc_resume_node I   SIGSTOP / SIGCONT (a node that accepts but never answers)
#   mc_start_fake MODE           tests/memcached/fake_server.py MODE on a free port: sets FAKE_PORT
#                                (and stops the previous fake server); mc_stop_fake stops it
#   mc_require_backend           fail clearly when kvtui cannot talk to MC_URL at all yet
#   mc_free_port                 print a port nobody listens on (outside the ephemeral range)
#
# Every process started here is killed on EXIT, and by a watchdog if the test itself is killed
# (ctest timeout), so tests can run in parallel (ctest -j2) and never leak servers. Only processes
# started here are ever signalled, each by its own pid.

MC_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kvtui-mc.XXXXXX")
MC_PORTS=()
MC_PIDS=()
MC_SERVERS=""
MC_URL=""
MC_SASL=0
MC_SASL_USER=""
MC_SASL_PASSWORD=""
MC_EXTRA_ARGS=()
FAKE_PORT=""
FAKE_PID=""
: >"$MC_DIR/pids"

# Runs once when the test shell exits: stop what we started, by pid, then remove the scratch dir.
mc_cleanup() {
    local pid
    if [ -n "${_MC_WATCHDOG:-}" ]; then
        kill "$_MC_WATCHDOG" 2>/dev/null || true
    fi
    while read -r pid; do
        kill -CONT "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done <"$MC_DIR/pids"
    rm -rf "$MC_DIR"
}

# Keep any EXIT trap set before us (tests/cli/lib.sh removes its temp dir that way).
_mc_prev_trap=$(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT$/\1/p")
trap 'mc_cleanup; eval "$_mc_prev_trap"' EXIT

# A ctest timeout kills the test shell with SIGKILL, which skips traps: this watcher then kills
# the recorded servers. Its output goes nowhere so it never holds ctest's pipe open.
_mc_start_watchdog() {
    local parent=$$ list=$MC_DIR/pids dir=$MC_DIR
    (
        trap - EXIT
        while kill -0 "$parent" 2>/dev/null; do sleep 1; done
        [ -f "$list" ] && while read -r pid; do kill -KILL "$pid" 2>/dev/null; done <"$list"
        rm -rf "$dir"
    ) </dev/null >/dev/null 2>&1 &
    _MC_WATCHDOG=$!
}
_mc_start_watchdog

mc_require() {
    if ! command -v memcached >/dev/null 2>&1; then
        echo "SKIP: memcached is not installed (apt-get install memcached)"
        exit 0
    fi
}

_mc_listening() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

mc_free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 12000))
        if ! _mc_listening "$port"; then
            echo "$port"
            return 0
        fi
    done
    echo "mc_free_port: no free port found" >&2
    return 1
}

# Wait until PORT accepts connections; fail when PID died first (port taken) or after 5 s.
_mc_wait_ready() {
    local port=$1 pid=$2
    for _ in $(seq 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            return 1
        fi
        if _mc_listening "$port"; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

_mc_sasl_setup() {
    if ! command -v saslpasswd2 >/dev/null 2>&1; then
        echo "SKIP: saslpasswd2 is not installed (apt-get install sasl2-bin libsasl2-modules)"
        exit 0
    fi
    MC_SASL_USER=kvtest
    MC_SASL_PASSWORD="pw-$RANDOM-$RANDOM-$$"
    mkdir -p "$MC_DIR/sasl"
    printf '%s' "$MC_SASL_PASSWORD" |
        saslpasswd2 -p -a memcached -c -f "$MC_DIR/sasl/sasldb" "$MC_SASL_USER"
    printf 'mech_list: plain\nsasldb_path: %s\n' "$MC_DIR/sasl/sasldb" >"$MC_DIR/sasl/memcached.conf"
}

# Start one memcached on PORT in the background; prints its pid. Fails when it does not come up.
_mc_spawn() {
    local port=$1 pid
    local args=(-l 127.0.0.1 -p "$port" -U 0 -m 64 -t 2 -c 512)
    if [ "$(id -u)" = 0 ]; then args+=(-u root); fi
    if [ "$MC_SASL" = 1 ]; then args+=(-S); fi
    args+=(${MC_EXTRA_ARGS[@]+"${MC_EXTRA_ARGS[@]}"})
    SASL_CONF_PATH="$MC_DIR/sasl" memcached "${args[@]}" </dev/null >>"$MC_DIR/mc-$port.log" 2>&1 &
    pid=$!
    echo "$pid" >>"$MC_DIR/pids"
    if ! _mc_wait_ready "$port" "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        return 1
    fi
    _MC_SPAWNED=$pid
}

# One node on a fresh free port, retrying when another test grabbed the port first.
_mc_start_node() {
    local port
    for _ in 1 2 3 4 5 6 7 8; do
        port=$(mc_free_port)
        if _mc_spawn "$port"; then
            MC_PORTS+=("$port")
            MC_PIDS+=("$_MC_SPAWNED")
            return 0
        fi
    done
    echo "mc_start: memcached did not start; log:" >&2
    cat "$MC_DIR"/mc-*.log >&2 || true
    return 1
}

mc_start() {
    local nodes=1 i
    while [ $# -gt 0 ]; do
        case $1 in
        --sasl) MC_SASL=1 ;;
        -n) nodes=$2; shift ;;
        --) shift; MC_EXTRA_ARGS=("$@"); break ;;
        *) echo "mc_start: unknown option $1" >&2; return 2 ;;
        esac
        shift
    done
    mc_require
    MC_PORTS=()
    MC_PIDS=()
    if [ "$MC_SASL" = 1 ]; then _mc_sasl_setup; fi
    for ((i = 0; i < nodes; i++)); do _mc_start_node; done
    MC_SERVERS=""
    for i in "${!MC_PORTS[@]}"; do
        MC_SERVERS+="${MC_SERVERS:+,}127.0.0.1:${MC_PORTS[$i]}"
    done
    MC_URL="memcached://$MC_SERVERS"
    if [ "$MC_SASL" = 1 ]; then MC_URL+="?username=$MC_SASL_USER"; fi
}

mc_url_of() {
    local url="memcached://127.0.0.1:${MC_PORTS[$1]}"
    if [ "$MC_SASL" = 1 ]; then url+="?username=$MC_SASL_USER"; fi
    echo "$url"
}

mc_kill_node() {
    local pid=${MC_PIDS[$1]}
    kill "-${2:-KILL}" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

mc_restart_node() {
    local port=${MC_PORTS[$1]}
    for _ in $(seq 40); do
        if _mc_spawn "$port"; then
            MC_PIDS[$1]=$_MC_SPAWNED
            return 0
        fi
        sleep 0.1
    done
    echo "mc_restart_node: port $port did not come back" >&2
    return 1
}

# kill returns before a SIGSTOP takes effect: wait until /proc shows every thread stopped.
mc_pause_node() {
    local pid=${MC_PIDS[$1]} running
    kill -STOP "$pid"
    for _ in $(seq 200); do
        running=$(sed 's/.*) //' /proc/"$pid"/task/*/stat 2>/dev/null | cut -d' ' -f1 | grep -vc T || true)
        if [ "$running" = 0 ]; then return 0; fi
        sleep 0.005
    done
    echo "mc_pause_node: node $1 did not stop" >&2
    return 1
}

mc_resume_node() { kill -CONT "${MC_PIDS[$1]}"; }

# The system python starts in 50 ms; a pyenv shim in PATH takes ten times that.
_mc_python() {
    if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi
}

mc_stop_fake() {
    if [ -n "${FAKE_PID:-}" ]; then
        kill -KILL "$FAKE_PID" 2>/dev/null || true
        wait "$FAKE_PID" 2>/dev/null || true
        FAKE_PID=""
    fi
}

mc_start_fake() {
    local mode=$1 portfile=$MC_DIR/fake-$RANDOM.port
    mc_stop_fake
    : >"$portfile"
    "$(_mc_python)" "$MC_LIB_DIR/fake_server.py" "$mode" >"$portfile" 2>>"$MC_DIR/fake.log" </dev/null &
    FAKE_PID=$!
    echo "$FAKE_PID" >>"$MC_DIR/pids"
    for _ in $(seq 100); do
        FAKE_PORT=$(head -n 1 "$portfile" 2>/dev/null || true)
        if [ -n "$FAKE_PORT" ]; then return 0; fi
        if ! kill -0 "$FAKE_PID" 2>/dev/null; then break; fi
        sleep 0.05
    done
    echo "mc_start_fake: fake server '$mode' did not start" >&2
    cat "$MC_DIR/fake.log" >&2
    return 1
}

# The tests are written before the backend: say so plainly instead of failing somewhere deep.
mc_require_backend() {
    local out rc=0
    out=$(KVTUI_PASSWORD="$MC_SASL_PASSWORD" timeout -k 2 20 "${KVTUI:?KVTUI must be set}" \
        -s "$MC_URL" get kvtui-backend-probe 2>&1 </dev/null) || rc=$?
    if [ "$rc" -ne 3 ]; then
        echo "FAIL: kvtui cannot use $MC_URL yet (get of a missing key gave exit $rc, want 3):" >&2
        echo "  $out" >&2
        exit 1
    fi
}

# ---- Appended for the SCRAM tests (test_sasl_scram.sh) ----
#   mc_set_sasl_mechs MECHS      after mc_start --sasl: set Cyrus SASL's mech_list (e.g.
#                                "scram-sha-256", "scram-sha-1 plain") and restart every node on
#                                its port, since memcached reads the SASL config only at start.
#                                The sasldb keeps only userPassword, from which Cyrus's SCRAM
#                                plugin derives its secrets.
mc_set_sasl_mechs() {
    local i
    if [ "$MC_SASL" != 1 ]; then
        echo "mc_set_sasl_mechs: call mc_start --sasl first" >&2
        return 2
    fi
    printf 'mech_list: %s\nsasldb_path: %s\n' "$1" "$MC_DIR/sasl/sasldb" >"$MC_DIR/sasl/memcached.conf"
    for i in "${!MC_PORTS[@]}"; do
        mc_kill_node "$i"
        mc_restart_node "$i"
    done
}

# ---- Appended for the TLS tests (test_tls.sh) ----
#   mc_tls_require               print "SKIP: ..." and exit 0 unless memcached was built with TLS
#                                (-Z) and the openssl tool is installed
#   mc_tls_certs                 make, in MC_TLS ($MC_DIR/tls): ca.pem (the test CA), other-ca.pem
#                                (an unrelated CA) and server certificates signed by the test CA,
#                                each as NAME.key plus NAME-chain.pem (certificate, then the CA):
#                                  good     SAN IP:127.0.0.1 and DNS:localhost, valid now
#                                  expired  the same names, valid only in January 2020
#                                  other    SAN DNS:other.example only
#   mc_start_tls NAME [--sasl] [-n N]
#                                mc_start with memcached -Z serving certificate NAME; MC_URL is
#                                then memcached+tls://MC_SERVERS?cacert=$MC_TLS/ca.pem
MC_TLS=$MC_DIR/tls

mc_tls_require() {
    mc_require
    if ! command -v openssl >/dev/null 2>&1; then
        echo "SKIP: the openssl tool is not installed (apt-get install openssl)"
        exit 0
    fi
    local help
    help=$(memcached -h 2>/dev/null || true) # not grep -q in a pipe: pipefail would see SIGPIPE
    if [[ "$help" != *--enable-ssl* ]]; then
        echo "SKIP: this memcached was built without TLS (no -Z, --enable-ssl)"
        exit 0
    fi
}

# The openssl configuration: an `openssl ca` database per CA (it can back-date certificates,
# which `openssl x509` in OpenSSL 3.0 cannot) and the extensions of each kind of certificate.
_mc_tls_config() {
    cat <<CONF
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = kvtui test
[ test_ca ]
dir = $MC_TLS/db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any_name
unique_subject = no
email_in_dn = no
[ any_name ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ server_local ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[ server_other ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.example
CONF
}

# _mc_tls_ca NAME: a self-signed CA certificate NAME.pem with its key NAME.key.
_mc_tls_ca() {
    openssl req -x509 -config "$MC_TLS/openssl.cnf" -extensions v3_ca -newkey ec \
        -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$MC_TLS/$1.key" -out "$MC_TLS/$1.pem" \
        -days 30 -subj "/CN=kvtui $1" 2>>"$MC_TLS/openssl.log"
}

# _mc_tls_server NAME EXTENSIONS CN DATES...: a server key and certificate signed by the test CA.
_mc_tls_server() {
    local name=$1 ext=$2 cn=$3
    shift 3
    openssl req -new -config "$MC_TLS/openssl.cnf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -nodes -keyout "$MC_TLS/$name.key" -out "$MC_TLS/$name.csr" -subj "/CN=$cn" \
        2>>"$MC_TLS/openssl.log"
    openssl ca -batch -config "$MC_TLS/openssl.cnf" -name test_ca -cert "$MC_TLS/ca.pem" \
        -keyfile "$MC_TLS/ca.key" -extensions "$ext" -notext "$@" -in "$MC_TLS/$name.csr" \
        -out "$MC_TLS/$name.pem" >>"$MC_TLS/openssl.log" 2>&1
    cat "$MC_TLS/$name.pem" "$MC_TLS/ca.pem" >"$MC_TLS/$name-chain.pem"
}

mc_tls_certs() {
    mkdir -p "$MC_TLS/db"
    : >"$MC_TLS/db/index.txt"
    echo 1000 >"$MC_TLS/db/serial"
    _mc_tls_config >"$MC_TLS/openssl.cnf"
    if ! { _mc_tls_ca ca && _mc_tls_ca other-ca &&
        _mc_tls_server good server_local localhost -days 30 &&
        _mc_tls_server expired server_local localhost -startdate 200101000000Z \
            -enddate 200201000000Z &&
        _mc_tls_server other server_other other.example -days 30; }; then
        echo "mc_tls_certs: openssl failed:" >&2
        cat "$MC_TLS/openssl.log" >&2
        return 1
    fi
}

mc_start_tls() {
    local name=$1
    shift
    mc_start "$@" -- -Z -o "ssl_chain_cert=$MC_TLS/$name-chain.pem,ssl_key=$MC_TLS/$name.key"
    MC_URL="memcached+tls://$MC_SERVERS?cacert=$MC_TLS/ca.pem"
    if [ "$MC_SASL" = 1 ]; then MC_URL+="&username=$MC_SASL_USER"; fi
}

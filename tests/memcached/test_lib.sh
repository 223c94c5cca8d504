#!/usr/bin/env bash
# Checks the server helper every memcached test relies on (lib.sh): nodes start on free ports,
# can be killed and restarted on the same port, SASL PLAIN works with libmemcached's own tools
# (and refuses a wrong password), and no server outlives its test, even one killed by SIGKILL.
# Needs no kvtui at all, so it is meaningful before the backend exists.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
mc_require
for tool in memccp memccat; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool missing (apt-get install libmemcached-tools)"; exit 0; }
done

PASSED=0
FAILED=0
check() {
    local desc=$1
    shift
    if "$@"; then PASSED=$((PASSED + 1)); else
        FAILED=$((FAILED + 1))
        echo "FAIL: $desc" >&2
    fi
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { kill -0 "$1" 2>/dev/null; }
gone_within() { # PID SECONDS
    for _ in $(seq $(($2 * 10))); do alive "$1" || return 0; sleep 0.1; done
    return 1
}

mc_start -n 2
check "two nodes on two different ports" [ "${MC_PORTS[0]}" != "${MC_PORTS[1]}" ]
check "node 0 listens" listening "${MC_PORTS[0]}"
check "node 1 listens" listening "${MC_PORTS[1]}"
check "MC_URL names both nodes" [ "$MC_URL" = "memcached://127.0.0.1:${MC_PORTS[0]},127.0.0.1:${MC_PORTS[1]}" ]

printf 'hello lib' >"$MC_DIR/greeting.txt"
check "memccp stores a file with flags" memccp --servers="127.0.0.1:${MC_PORTS[0]}" --flags=123 "$MC_DIR/greeting.txt"
check "memccat reads it back with its flags" \
    [ "$(memccat --flags --servers="127.0.0.1:${MC_PORTS[0]}" greeting.txt 2>&1)" = "$(printf '123\nhello lib')" ]

port0=${MC_PORTS[0]}
pid0=${MC_PIDS[0]}
mc_kill_node 0
check "a killed node is gone" bash -c "! kill -0 $pid0 2>/dev/null"
check "a killed node no longer listens" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port0) 2>/dev/null"
mc_restart_node 0
check "a restarted node listens on the same port" listening "$port0"
check "a restarted node is a new process" [ "${MC_PIDS[0]}" != "$pid0" ]

# SASL, in a child shell (its own lib.sh state), which also shows cleanup on a normal exit.
sasl_out=$MC_DIR/sasl.out
bash -c '
    set -euo pipefail
    . "$1/lib.sh"
    mc_start --sasl
    echo "${MC_PORTS[0]} ${MC_PIDS[0]}" >"$2"
    s="127.0.0.1:${MC_PORTS[0]}"
    printf "secret data" >"$MC_DIR/sasl.txt"
    memccp --binary --username="$MC_SASL_USER" --password="$MC_SASL_PASSWORD" --servers="$s" "$MC_DIR/sasl.txt"
    got=$(memccat --binary --username="$MC_SASL_USER" --password="$MC_SASL_PASSWORD" --servers="$s" sasl.txt)
    [ "$got" = "secret data" ] || { echo "SASL read gave: $got" >&2; exit 1; }
    if memccat --binary --username="$MC_SASL_USER" --password=wrong --servers="$s" sasl.txt >/dev/null 2>&1; then
        echo "a wrong SASL password was accepted" >&2; exit 1
    fi
    if memccat --binary --servers="$s" sasl.txt >/dev/null 2>&1; then
        echo "a read without SASL was accepted" >&2; exit 1
    fi
    case $MC_URL in *"?username=$MC_SASL_USER") ;; *) echo "MC_URL lacks the user: $MC_URL" >&2; exit 1 ;; esac
' _ "$HERE" "$sasl_out" && sasl_rc=0 || sasl_rc=$?
check "SASL PLAIN: right password works, wrong or none is refused" [ "$sasl_rc" -eq 0 ]
read -r sasl_port sasl_pid <"$sasl_out" || true
check "the SASL node stopped with its shell" gone_within "${sasl_pid:-1}" 3
check "the SASL port is free again" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/${sasl_port:-1}) 2>/dev/null"

# A test killed with SIGKILL (ctest timeout) skips its traps: the watchdog still stops its node.
killed_out=$MC_DIR/killed.out
bash -c '. "$1/lib.sh"; mc_start; echo "${MC_PIDS[0]}" >"$2"; exec sleep 60' _ "$HERE" "$killed_out" </dev/null >/dev/null 2>&1 &
child=$!
for _ in $(seq 100); do [ -s "$killed_out" ] && break; sleep 0.05; done
orphan=$(cat "$killed_out")
check "the child's node is running" alive "$orphan"
kill -KILL "$child"
wait "$child" 2>/dev/null || true
check "the watchdog stops a SIGKILLed test's node" gone_within "$orphan" 4

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

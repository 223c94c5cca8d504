# Shared helpers for the TUI end-to-end tests: kvtui runs inside a real terminal (a detached tmux
# session of fixed size, on a private tmux server), driven with send-keys and read with
# capture-pane. Every test gets its own store and XDG directories.
set -uo pipefail

KVTUI=${KVTUI:?KVTUI must name the kvtui binary}
T=$(mktemp -d)
STORE="$T/store.kvdb"
SOCKET="kvtui-test-$$"
export XDG_DATA_HOME="$T/data" XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"
export TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8
FAILURES=0
CHECKS=0

# Every tmux server a test started (tests may switch SOCKET to start another one).
cleanup() {
    local socket
    for socket in "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/kvtui-test-$$"*; do
        [[ -e "$socket" ]] && tmux -L "$(basename "$socket")" kill-server 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

kv() { "$KVTUI" -s "file:$STORE" "$@"; }

# start_tui [kvtui options...]: opens kvtui on $STORE (or $TUI_STORE, a connection string) in a
# 120x35 terminal.
start_tui() {
    tmux -L "$SOCKET" -f /dev/null new-session -d -s tui -x 120 -y 35 \
        "$KVTUI -s '${TUI_STORE:-file:$STORE}' $*; echo KVTUI-EXITED-\$?; sleep 60"
    tmux -L "$SOCKET" set-option -g remain-on-exit on >/dev/null
}

screen() { tmux -L "$SOCKET" capture-pane -p -t tui; }
screen_with_escapes() { tmux -L "$SOCKET" capture-pane -p -e -t tui; }
keys() { tmux -L "$SOCKET" send-keys -t tui "$@"; }
literal() { tmux -L "$SOCKET" send-keys -t tui -l -- "$1"; }

# wait_for TEXT [SECONDS]: true once TEXT is on the screen.
wait_for() {
    local text=$1 deadline=$((SECONDS + ${2:-10}))
    while ((SECONDS < deadline)); do
        screen | grep -qF -- "$text" && return 0
        sleep 0.1
    done
    return 1
}

# wait_gone TEXT [SECONDS]: true once TEXT has left the screen.
wait_gone() {
    local text=$1 deadline=$((SECONDS + ${2:-10}))
    while ((SECONDS < deadline)); do
        screen | grep -qF -- "$text" || return 0
        sleep 0.1
    done
    return 1
}

check() {
    local what=$1; shift
    CHECKS=$((CHECKS + 1))
    if "$@"; then
        echo "ok - $what"
    else
        echo "FAIL - $what"
        echo "---- screen ----"
        screen
        echo "----------------"
        FAILURES=$((FAILURES + 1))
    fi
}

finish() {
    echo "$((CHECKS - FAILURES)) of $CHECKS checks passed"
    ((FAILURES == 0))
}

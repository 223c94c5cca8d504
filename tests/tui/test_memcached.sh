# The TUI on a real memcached: keys are listed from the server, and the connection state shows
# when the server goes away and comes back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../memcached/lib.sh"
mc_require
mc_start
TUI_STORE="$MC_URL?timeout=1"
"$KVTUI" -s "$TUI_STORE" upsert mc::one '{"on": "memcached"}' >/dev/null

start_tui
check "keys are listed from memcached" wait_for "mc::one"
# Listed as soon as the dump names them, then completed once read back: the format and size of
# the row replace the "..." shown meanwhile.
check "the listed key gets its format and size" bash -c "for i in \$(seq 50); do \
    tmux -L '$SOCKET' capture-pane -p -t tui | grep 'mc::one' | cut -c1-48 | grep -qE 'json +19 ' && exit 0; sleep 0.1; done; exit 1"
keys Enter
check "a memcached document opens" wait_for '"on": "memcached"'
mc_kill_node 0
check "a dead server shows as disconnected" wait_for "DISCONNECTED" 20
check "the loss is logged with its error name" wait_for "lost: NetworkError"
mc_restart_node 0
check "the connection comes back by itself" wait_for "restored" 25
check "the badge goes" wait_gone "DISCONNECTED" 5
keys q
check "quit" wait_for "KVTUI-EXITED-0"
finish

# The `?` help: generated from the loaded key map, one line per action with all of its keys,
# a user's rebinding replaces the default there, and it scrolls when longer than the pane.
. "$(dirname "$0")/lib.sh"

kv upsert alpha '{"a": 1}' >/dev/null
mkdir -p "$XDG_CONFIG_HOME/kvtui"
printf 'bind q none\nbind Q quit\n' >"$XDG_CONFIG_HOME/kvtui/keys"

start_tui
check "kvtui starts" wait_for "scanned 1 key" 30
keys ?
check "the help shows the keys of one action on one line" wait_for "Down, j"
check "a user's rebinding replaces the default in the help" \
    bash -c "tmux -L '$SOCKET' capture-pane -p -t tui | grep -E '^.{0,60}│? *Q +quit ' >/dev/null"
check "the last lines are below the pane at first" bash -c "! tmux -L '$SOCKET' capture-pane -p -t tui | grep -q 'editor: leave'"
keys Tab G
check "the help scrolls to its end" wait_for "editor: leave"
keys g
check "and back to its top" wait_for "quit kvtui"
keys Q
check "the rebound key quits" wait_for "KVTUI-EXITED-0"
finish

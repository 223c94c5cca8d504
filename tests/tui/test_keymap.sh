# Key maps: the help is generated from the loaded map, a user's own bindings (actions and
# commands with %k) apply, and a bad key map is reported with its file and line.
. "$(dirname "$0")/lib.sh"

kv upsert alpha '{"a": 1}' >/dev/null
kv upsert beta '{"b": 2}' >/dev/null
kv upsert gamma 'hello' --format utf8 >/dev/null
mkdir -p "$XDG_CONFIG_HOME/kvtui"
cat >"$XDG_CONFIG_HOME/kvtui/keys" <<'KEYS'
# my bindings
bind keys J move-down
bind keys T touch %k --ttl 500
bind editor C-w save
bind editor C-s none
KEYS

start_tui
wait_for "scanned 3 keys"
keys ?
check "the help lists bindings from the key map" wait_for "move-down"
check "the help shows a user's command binding" wait_for "touch %k --ttl 500"
keys ?
keys J Enter
check "a user's key moves the selection" wait_for '"b": 2'
keys T
check "a user's command binding runs with the selected key" wait_for "touch beta: OK"
check "the store has the new TTL" bash -c "'$KVTUI' -s 'file:$STORE' --json get beta | grep -qv '\"expiry\":0,'"

# The editor's keys are in the key map too: C-w saves, C-s is unbound (so it is not typed).
keys J Enter
wait_for "hello"
keys e; literal "X"; keys C-s C-w
check "a remapped editor key saves" wait_for "saved gamma"
check "the store has the edit" bash -c "'$KVTUI' -s 'file:$STORE' get gamma | grep -qx 'Xhello'"
keys Escape
keys q
wait_for "KVTUI-EXITED-0"

# A bad user key map: reported with file and line; the defaults stay.
printf 'bind j move-down\nbind q quitt\n' >"$XDG_CONFIG_HOME/kvtui/keys"
SOCKET="$SOCKET-bad"
start_tui
check "a bad key map line is reported with its file and line" \
    wait_for "kvtui/keys:2: unknown action or command 'quitt'"
keys q
check "the defaults still work after a bad key map" wait_for "KVTUI-EXITED-0"

printf 'bind keys j move-down\nbind keys j move-up\n' >"$T/dup.keys"
check "a duplicate binding is refused naming both lines" \
    bash -c "'$KVTUI' -s 'file:$STORE' --keymap '$T/dup.keys' 2>&1 | grep -q \"dup.keys:2: 'j' is already bound in keys at line 1\""
check "a bad --keymap stops the start with exit code 2" \
    bash -c "'$KVTUI' -s 'file:$STORE' --keymap '$T/dup.keys' 2>/dev/null; test \$? = 2"
check "a missing --keymap file is an error" \
    bash -c "'$KVTUI' -s 'file:$STORE' --keymap '$T/none.keys' 2>&1 | grep -q 'cannot open'"
tmux -L "$SOCKET" kill-server 2>/dev/null
finish

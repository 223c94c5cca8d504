# Themes and colours: a built-in theme, a bad theme file refused with its line, and NO_COLOR.
. "$(dirname "$0")/lib.sh"

kv upsert doc '{"n": 12345}' >/dev/null
printf 'ok = green\ntitle = purple\n' >"$T/bad.theme"
check "a bad theme file stops the start with its file and line" \
    bash -c "'$KVTUI' -s 'file:$STORE' --theme '$T/bad.theme' 2>&1 | grep -q 'bad.theme:2: bad colour .purple.'"

start_tui --theme light
check "the light theme starts" wait_for "scanned 1 keys"
keys Enter
wait_for '"n": 12345'
check "JSON is coloured (256-colour escapes reach the terminal)" \
    bash -c "tmux -L $SOCKET capture-pane -p -e -t tui | grep -q $'\\e\\[38;5;'"
keys q
wait_for "KVTUI-EXITED-0"

SOCKET="$SOCKET-bad"
export NO_COLOR=1
start_tui
wait_for "scanned 1 keys"
keys Enter
wait_for '"n": 12345'
check "NO_COLOR: no colour escapes at all" \
    bash -c "! tmux -L $SOCKET capture-pane -p -e -t tui | grep -qE $'\\e\\[(3[0-7]|38;5;|9[0-7])'"
keys q
finish

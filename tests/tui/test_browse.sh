# The TUI on a real store in a real terminal: browse, filter, open, live TTLs, other writers,
# the : line, hostile bytes, resize, read-only, quitting.
. "$(dirname "$0")/lib.sh"

for i in 1 2 3 4 5; do kv upsert "user::$i" "{\"id\": $i, \"big\": 12345678901234567890123}" >/dev/null; done
for i in 1 2 3; do kv upsert "Order::100$i" "{\"n\": $i}" >/dev/null; done
kv upsert note::text 'plain words' >/dev/null
kv upsert blob::bin @/bin/true --format bytes >/dev/null
kv upsert session::short '{"s": 1}' --ttl 6 >/dev/null
printf 'title\033]0;PWNED\007 clear\033[2J bidi\342\200\256txt\302\233' >"$T/evil"
kv upsert "evil::$(printf 'key\033[31m')" @"$T/evil" --format utf8 >/dev/null

start_tui
check "the key list streams in" wait_for "scanned 12 keys"
check "keys are sorted" bash -c "$(declare -f screen); SOCKET=$SOCKET; screen | grep -n 'Order::1001\|blob::bin' | head -1 | grep -q Order"

# Filter: substring, case-insensitive; a glob with * or ?.
keys /; literal "ORDER"
check "substring filter ignores case" wait_for "3 of 12 keys"
keys C-u; literal "user::?"
check "a pattern with ? is a glob" wait_for "5 of 12 keys"
keys Enter

# Open a JSON document: pretty, numbers exactly as stored.
keys Enter
check "a JSON document opens pretty-printed" wait_for '"big": 12345678901234567890123'
check "the header shows format, flags and CAS" wait_for "json (flags 0x02000000)  cas 0x"

# Bytes and text.
keys / C-u; literal "blob"; keys Enter Enter
check "bytes show as hex and ASCII" wait_for "00000000  7f 45 4c 46"
keys / C-u; literal "note"; keys Enter Enter
check "text shows as text" wait_for "plain words"

# Live TTL: counts down, then the key drops out once expired.
keys / C-u; literal "session"; keys Enter
wait_for "session::short"
ttl_shown() { screen | grep 'session::short' | cut -c1-48 | grep -oE '[0-9]+s *$' | tr -dc 0-9; }
first=$(ttl_shown)
sleep 2.2
second=$(ttl_shown)
check "the TTL counts down ($first -> $second)" test "${second:-99}" -lt "${first:-0}"
check "an expired key drops out of the list" wait_gone "session::short" 12

# Another process writes and removes keys: the list follows.
keys / C-u Enter
kv upsert other::new '{"by": "cli"}' >/dev/null
check "a key written by another process appears" wait_for "other::new"
kv remove user::5 >/dev/null
check "a key removed by another process goes" wait_gone "user::5"

# The : command line runs the CLI's commands.
keys :; literal 'upsert typed::key "{\"t\": 1}" --ttl 500'; keys Enter
check "a : command is logged with its CAS" wait_for "upsert typed::key: OK, cas 0x"
check "a : upsert reached the store" bash -c "'$KVTUI' -s 'file:$STORE' get typed::key | grep -q '\"t\"'"
keys :; literal 'get nope::missing'; keys Enter
check "a failing : command shows its error name" wait_for "NotFoundError"
keys :; literal 'bogus'; keys Enter
check "an unknown : command is an ArgumentError" wait_for "ArgumentError"
check "the : history file exists and is private (0600)" \
    test "$(stat -c %a "$XDG_STATE_HOME/kvtui/history" 2>/dev/null)" = 600
check "the history file holds the commands" grep -q "upsert typed::key" "$XDG_STATE_HOME/kvtui/history"
keys :; literal 'ups'; keys Tab
check "Tab completes a command name" wait_for ":upsert"
keys C-u; literal 'get typ'; keys Tab
check "Tab completes a key from the list" wait_for ":get typed::key"
literal '--qu'; keys Tab
check "Tab completes an option" wait_for ":get typed::key --quiet"
keys Escape
keys :; keys Up Up
check "Up recalls earlier commands" wait_for ":get nope::missing"
keys Escape

# Hostile bytes in a key and a value never reach the terminal raw.
keys / C-u; literal "evil"; keys Enter Enter
check "escape sequences in a value are shown escaped" wait_for 'title\e]0;PWNED\x07'
check "C1 and bidi characters are shown escaped" wait_for '\u202etxt\x9b'
check "no OSC title sequence reached the terminal" bash -c "! (tmux -L $SOCKET capture-pane -p -e -t tui | grep -q \$'\\e]0;')"
check "the window title was not changed" bash -c "! tmux -L $SOCKET display -p -t tui '#{pane_title}' | grep -q PWNED"

# Resize keeps a sane layout.
tmux -L "$SOCKET" resize-window -t tui -x 70 -y 20
check "after a resize the title bar and the list are there" wait_for "kvtui"
tmux -L "$SOCKET" resize-window -t tui -x 120 -y 35

# Delete asks first.
keys / C-u; literal "user::4"; keys Enter d
check "delete asks y/n" wait_for "delete 'user::4'? (y/n)"
keys n
check "answering n closes the question" wait_gone "(y/n)"
check "answering n keeps the key" bash -c "'$KVTUI' -s 'file:$STORE' get user::4 >/dev/null"
check "user::4 is still the one row shown" wait_for "1 of "
keys d
wait_for "delete 'user::4'? (y/n)"
keys y
check "answering y deletes it" wait_for "remove user::4: OK"

# New document: key, format, value.
keys n; literal "made::new"; keys Enter C-u; literal "pickle"; keys Enter; literal '{"a": [1, 2]}'; keys Enter
check "a new document is inserted with the format asked for" wait_for "insert made::new: OK"
check "the new document is a pickle of the value" \
    bash -c "'$KVTUI' -s 'file:$STORE' --json get made::new | grep -q '\"format\":\"pickle\",.*\"value\":{\"a\":\[1,2\]}'"

keys q
check "q quits cleanly with status 0" wait_for "KVTUI-EXITED-0"
check "the terminal is restored (no alternate screen left)" bash -c "tmux -L $SOCKET display -p -t tui '#{alternate_on}' | grep -q 0"

# Read-only: a badge, and writes are refused.
tmux -L "$SOCKET" kill-server
SOCKET="$SOCKET-read-only"
start_tui --read-only
check "read-only shows a badge" wait_for "READ-ONLY"
keys d
check "read-only refuses a delete" wait_for "delete: NotSupportedError: the store is open read-only"
keys :; literal 'upsert x 1'; keys Enter
check "read-only refuses a : write" wait_for "upsert: NotSupportedError"
keys q

finish

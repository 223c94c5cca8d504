# The document pane on every format, on hostile bytes and on a 20 MB document: what a user reads
# must be the document, and nothing in a document may act on the terminal.
. "$(dirname "$0")/lib.sh"

open_key() { keys / C-u; literal "$1"; keys Enter Enter; }

kv upsert json::doc '{"name": "Ada", "n": 12345678901234567890, "list": [1, 2.50, 1e400]}' >/dev/null
kv upsert text::doc 'line one
line two' --format utf8 >/dev/null
printf 'AB\000\001\233\377' >"$T/bytes"
kv upsert bytes::doc @"$T/bytes" --format bytes >/dev/null
kv upsert pickle::plain '{"theme": "dark", "sizes": [1, 2]}' --format pickle >/dev/null
grep '"key":"pickle::job"' "$KV_SOURCE_DIR/assets/demo/demo.jsonl" >"$T/job.jsonl"
kv import "$T/job.jsonl" >/dev/null
# Everything a hostile writer could put in a value to act on the terminal.
printf 'A\033]0;PWNED\007B\033[2J\033[HC\342\200\256D\302\233E\302\2352;x\007F\033P+q\033\\G\r\bH\n' \
    >"$T/evil"
kv upsert evil::text @"$T/evil" --format utf8 >/dev/null
kv upsert evil::bytes @"$T/evil" --format bytes >/dev/null
python3 - "$T/big.json" <<'PY'
import json, sys
rows = [{"id": i, "name": "row %d" % i, "tags": ["a", "b", "c"], "pad": "x" * 120}
        for i in range(95000)]
rows.append({"id": "LAST-ROW"})
open(sys.argv[1], "w").write(json.dumps(rows, indent=1))
PY
kv upsert big::doc @"$T/big.json" --format json >/dev/null

start_tui
check "the key list is there" wait_for "scanned 8 keys"
title_before=$(tmux -L "$SOCKET" display -p -t tui '#{pane_title}')

open_key json::doc
check "json: pretty, big numbers exact" wait_for '"n": 12345678901234567890'
check "json: 2.50 and 1e400 kept as written" wait_for '2.50'
check "json: header names the format and flags" wait_for "json (flags 0x02000000)"

open_key text::doc
check "utf8: shown as text" wait_for "line two"
check "utf8: header says utf8" wait_for "utf8 (flags 0x04000004)"

open_key bytes::doc
check "bytes: hex and ASCII" wait_for "41 42 00 01 9b ff"
check "bytes: header says bytes" wait_for "bytes (flags 0x03000002)"

open_key pickle::plain
check "pickle: decoded data shown" wait_for '"theme"'
check "pickle: header says pickle" wait_for "pickle (flags 0x01000001)"
open_key pickle::job
check "pickle with code: said to be read-only and never run" wait_for "read-only, never executed"
check "pickle with code: the code reference is shown as a symbol" wait_for "Global('datetime', 'datetime')"

open_key evil::text
check "hostile text: OSC shown escaped" wait_for 'A\e]0;PWNED\x07B'
check "hostile text: CSI, bidi and C1 shown escaped" wait_for '\e[2J\e[HC\u202eD\x9bE\x9d2;x'
check "hostile text: the screen was not cleared or moved (title, list row and header intact)" \
    bash -c "$(declare -f screen); SOCKET=$SOCKET; screen | head -3 | tr '\n' '|' |
             grep -q '^ kvtui .*| evil::text  *utf8 .*utf8 (flags 0x04000004)'"
only_sgr() { screen_with_escapes | tr -d '\n' | sed 's/\x1b\[[0-9;]*m//g' | grep -q $'\x1b' && return 1 || return 0; }
check "hostile text: nothing but colour sequences reached the screen" only_sgr
check "hostile text: the window title is unchanged" \
    test "$(tmux -L "$SOCKET" display -p -t tui '#{pane_title}')" = "$title_before"
open_key evil::bytes
check "hostile bytes: the ASCII column is dots" wait_for "1b 5d 30 3b"
check "hostile bytes: nothing but colour sequences reached the screen" only_sgr

open_key big::doc
check "a 20 MB JSON document opens" wait_for '"name": "row 0"' 30
keys Tab G k k k
check "and scrolls to its end" wait_for '"LAST-ROW"' 30
keys g
check "and back to its start" wait_for '"name": "row 0"' 30
keys Tab
keys e
check "a 20 MB JSON document opens in the editor" wait_for '2  {' 30
keys C-End
check "the editor goes to its end" wait_for '"LAST-ROW"' 30
keys PPage PPage C-Home
check "and back to its start" wait_for '3   "id": 0,' 30
keys Escape
check "leaving without a change asks nothing" wait_gone "EDITING big::doc" 30

keys q
check "quit" wait_for "KVTUI-EXITED-0"
finish

# Editing in place (`e`): what is edited for each format, saving with the CAS (twice in a row),
# a save without a change, invalid JSON refused with its position and the edit kept, leaving
# with and without a change, and hostile bytes in the editor.
. "$(dirname "$0")/lib.sh"

value_of() { "$KVTUI" -s "file:$STORE" get "$1"; }
json_of() { "$KVTUI" -s "file:$STORE" --json get "$1"; }
cas_of() { json_of "$1" | grep -o '"cas":"[^"]*"'; }
open_key() { keys / C-u; literal "$1"; keys Enter Enter; wait_for "cas 0x"; }
edit_key() { open_key "$1"; keys e; wait_for "EDITING $1"; }
recovery_files() { ls "$XDG_STATE_HOME/kvtui/recovery" 2>/dev/null | grep -c '\.edit$'; }

printf '{\n  "v": 1,\n  "name": "x",\n  "big": 12345678901234567890\n}' >"$T/doc.json"
kv upsert doc @"$T/doc.json" --ttl 3000 >/dev/null
kv upsert text 'hello world' --format utf8 >/dev/null
printf 'AB\000\377' >"$T/bin"
kv upsert bin @"$T/bin" --format bytes >/dev/null
kv upsert pick '{"theme": "dark", "n": [1, 2]}' --format pickle >/dev/null
grep '"key":"pickle::job"' "$KV_SOURCE_DIR/assets/demo/demo.jsonl" >"$T/job.jsonl"
kv import "$T/job.jsonl" >/dev/null
printf 'A\033]0;PWNED\007B\033[2JC\342\200\256D\302\233E\n' >"$T/evil"
kv upsert evil @"$T/evil" --format utf8 >/dev/null
expiry_before=$(json_of doc | grep -o '"expiry":[0-9]*')

start_tui
wait_for "scanned 6 keys"
title_before=$(tmux -L "$SOCKET" display -p -t tui '#{pane_title}')

# JSON: edited as stored; the save replaces it with the CAS it was loaded with.
edit_key doc
check "the editor shows the JSON as stored" wait_for '2   "v": 1,'
check "the header names format, flags, CAS and expiry" \
    wait_for "json (flags 0x02000000)  based on cas 0x"
keys Down End Left BSpace; literal 2
check "the change is marked" wait_for "[modified]"
cas1=$(cas_of doc)
keys C-s
check "Ctrl-S saves" wait_for "saved doc, new cas"
check "the store has the edit, everything else byte for byte" \
    test "$(value_of doc)" = "$(sed 's/"v": 1/"v": 2/' "$T/doc.json")"
check "the TTL is kept" test "$(json_of doc | grep -o '"expiry":[0-9]*')" = "$expiry_before"
check "the editor stays open on the new CAS" wait_for "based on cas $(cas_of doc | cut -d'"' -f4)"
keys BSpace; literal 3; keys C-s
check "a second save works (the new CAS was kept)" \
    bash -c "sleep 0.5; '$KVTUI' -s 'file:$STORE' get doc | grep -q '\"v\": 3'"
check "no recovery file is left after a save" test "$(recovery_files)" = 0

# A save without a change writes nothing; nor does a change typed and undone.
cas2=$(cas_of doc)
keys C-s
check "a save with no change says so" wait_for "no change: nothing written"
literal 9; keys C-z C-s
check "a change undone is no change either" test "$(cas_of doc)" = "$cas2"

# Invalid JSON: refused with its line and column, the cursor put there, the edit kept.
keys Down End; literal ','
keys C-s
check "invalid JSON is refused with line and column" \
    wait_for "ValueFormatError: invalid JSON at line 3, column 15"
check "nothing was written" test "$(cas_of doc)" = "$cas2"
check "the edit is kept on screen" wait_for '3   "name": "x",,'
check "the cursor is put on the error" wait_for "line 3, col 15"
# mirrored TEXT: true once the recovery file holds TEXT (the mirror is debounced: <= 2 s).
mirrored() {
    for _ in $(seq 30); do
        grep -qF -- "$1" "$XDG_STATE_HOME"/kvtui/recovery/*.edit 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
check "the unsaved edit is mirrored to a recovery file" mirrored '"x",,'
check "the recovery file is private" \
    test "$(stat -c %a "$XDG_STATE_HOME"/kvtui/recovery/*.edit)" = 600
check "the recovery folder is private" test "$(stat -c %a "$XDG_STATE_HOME"/kvtui/recovery)" = 700
keys BSpace Up End Left BSpace; literal 4; keys C-s
check "fixed, it saves" \
    bash -c "sleep 0.5; '$KVTUI' -s 'file:$STORE' get doc | grep -q '\"v\": 4,'"

# Esc: leaves at once without a change, asks first with one.
literal ' '
keys Escape
check "Esc with a change asks first" wait_for "drop your unsaved changes? (y/n)"
keys n
check "answering n keeps editing" wait_for "EDITING doc"
keys Escape y
check "answering y leaves and drops the change" wait_gone "EDITING doc"
check "the dropped edit's recovery copy is gone" test "$(recovery_files)" = 0
check "and the store is unchanged" bash -c "'$KVTUI' -s 'file:$STORE' get doc | grep -q '\"v\": 4,'"

# utf8: the text itself.
edit_key text
keys End; literal '!'; keys C-s
check "utf8: edited as text, stored exactly" \
    bash -c "sleep 0.5; test \"\$('$KVTUI' -s 'file:$STORE' get text)\" = 'hello world!'"
keys Escape
check "Esc after a save leaves at once" wait_gone "EDITING text"

# bytes: hex; spaces are free, anything else is refused.
edit_key bin
check "bytes: edited as hex" wait_for "1 41 42 00 ff"
keys End; literal ' 43 0a'; keys C-s
check "bytes: the hex is stored as bytes" \
    bash -c "sleep 0.5; '$KVTUI' -s 'file:$STORE' get bin | od -An -tx1 | grep -q '41 42 00 ff 43 0a'"
check "bytes: the flags stay bytes" bash -c "'$KVTUI' -s 'file:$STORE' --json get bin | grep -q '\"flags\":\"0x03000002\"'"
literal ' zz'; keys C-s
check "bytes: invalid hex is refused" wait_for "invalid hex at line 1"
keys Escape y

# A pickle of plain data: edited as JSON, saved back as a pickle.
edit_key pick
check "pickle: edited as its JSON" wait_for '"theme": "dark"'
keys C-f; literal dark; keys Enter
keys Delete Delete Delete Delete; literal light; keys C-s
check "pickle: saved" wait_for "saved pick, new cas"
check "pickle: still a pickle, with the change" \
    bash -c "'$KVTUI' -s 'file:$STORE' --json get pick | grep -q '\"flags\":\"0x01000001\".*\"theme\":\"light\"'"
keys Escape

# A pickle that refers to code is read-only.
open_key pickle::job
keys e
check "pickle with code: read-only, and said so" wait_for "refers to code, so it is read-only"

# Hostile bytes in the editor are shown escaped, never sent to the terminal.
edit_key evil
check "editor: escapes are shown, not obeyed" wait_for 'A\e]0;PWNED\x07B\e[2JC\u202eD\x9bE'
only_sgr() { screen_with_escapes | tr -d '\n' | sed 's/\x1b\[[0-9;]*m//g' | grep -q $'\x1b' && return 1 || return 0; }
check "editor: nothing but colour sequences reached the screen" only_sgr
check "editor: the window title is unchanged" \
    test "$(tmux -L "$SOCKET" display -p -t tui '#{pane_title}')" = "$title_before"
keys Escape

keys q
check "quit" wait_for "KVTUI-EXITED-0"
finish

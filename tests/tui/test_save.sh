# Editing in $EDITOR and the CAS-aware save path: save, no-change save, invalid JSON kept, a
# conflict made by another process with each choice, and a re-create after a delete.
. "$(dirname "$0")/lib.sh"

# The "editor": a script that does what $T/mode says to the file it is given, and can play the
# other process by writing to the store while the user is "editing".
cat >"$T/editor.sh" <<EDITOR
#!/bin/bash
file=\$1
mode=\$(cat "$T/mode")
case \$mode in
  change)   sed -i 's/"v": 1/"v": 2/' "\$file" ;;
  none)     ;;
  invalid)  printf '{"v": 2,\n  "broken": }\n' >"\$file" ;;
  race)     "$KVTUI" -s "file:$STORE" upsert doc '{"v": 1, "theirs": true}' >/dev/null
            sed -i 's/"v": 1/"v": 3/' "\$file" ;;
  delete)   "$KVTUI" -s "file:$STORE" remove doc >/dev/null
            sed -i 's/"v": 1/"v": 4/' "\$file" ;;
esac
echo none >"$T/mode"
EDITOR
chmod +x "$T/editor.sh"
export EDITOR="$T/editor.sh" VISUAL=
cas_of() { "$KVTUI" -s "file:$STORE" --json get doc | grep -o '"cas":"[^"]*"'; }
value_of() { "$KVTUI" -s "file:$STORE" get doc; }
open_doc() { keys / C-u; literal doc; keys Enter Enter; wait_for '"v":'; }

kv upsert doc '{"v": 1}' --ttl 3000 >/dev/null
start_tui
wait_for "scanned 1 keys"
open_doc

echo change >"$T/mode"; keys E
check "an edit in \$EDITOR is saved" wait_for "saved doc, new cas"
check "the store has the edit" bash -c "'$KVTUI' -s 'file:$STORE' get doc | grep -q '\"v\": 2'"
check "the TTL was kept" bash -c "'$KVTUI' -s 'file:$STORE' --json get doc | grep -qv '\"expiry\":0'"

before=$(cas_of)
echo none >"$T/mode"; keys E
check "saving without a change writes nothing" wait_for "no change: nothing written"
check "the CAS did not change" test "$(cas_of)" = "$before"

echo invalid >"$T/mode"; keys E
check "invalid JSON is refused with its line and column" wait_for "invalid JSON at line 2, column"
check "the user is asked to edit again" wait_for "edit again? (y/n)"
keys n
check "the refused edit is kept in a file" wait_for "your edit is kept in"
kept=$(ls "$XDG_STATE_HOME"/kvtui/edits/doc.* 2>/dev/null | head -1)
check "the kept file holds the edit" grep -q broken "$kept"
check "the kept file is private (0600)" test "$(stat -c %a "$kept")" = 600
check "nothing was written" bash -c "'$KVTUI' -s 'file:$STORE' get doc | grep -q '\"v\": 2'"

# A conflict: another process writes while the user edits.
kv upsert doc '{"v": 1}' --ttl 3000 >/dev/null
keys r; wait_for '"v": 1'
echo race >"$T/mode"; keys E
check "a concurrent write is a conflict, not a lost update" wait_for "CONFLICT: changed on the store"
check "the conflict view shows theirs" wait_for '"theirs": true'
keys o
check "overwrite saves mine over theirs" wait_for "saved doc, new cas"
check "the store has mine after overwrite" bash -c "'$KVTUI' -s 'file:$STORE' get doc | grep -q '\"v\": 3'"

kv upsert doc '{"v": 1}' >/dev/null
keys r; wait_for '"v": 1'
echo race >"$T/mode"; keys E
wait_for "CONFLICT: changed on the store"
keys t
check "take theirs discards mine" wait_for "took theirs"
check "the store keeps theirs" bash -c "'$KVTUI' -s 'file:$STORE' get doc | grep -q theirs"

kv upsert doc '{"v": 1}' >/dev/null
keys r; wait_for '"v": 1'
echo race >"$T/mode"; keys E
wait_for "CONFLICT: changed on the store"
echo change >"$T/mode"; keys e
check "keep editing, then saving, meets the conflict again" wait_for "CONFLICT: changed on the store"
keys o
check "after keep editing, overwrite saves the new edit" wait_for "saved doc, new cas"

# Deleted meanwhile: offered a re-create.
kv upsert doc '{"v": 1}' >/dev/null
keys r; wait_for '"v": 1'
echo delete >"$T/mode"; keys E
check "a delete meanwhile offers a re-create" wait_for "deleted on the store meanwhile: re-create it?"
keys y
check "re-create inserts the edit" wait_for "saved doc, new cas"
check "the store has the re-created edit" bash -c "'$KVTUI' -s 'file:$STORE' get doc | grep -q '\"v\": 4'"

keys q
check "quit" wait_for "KVTUI-EXITED-0"
finish

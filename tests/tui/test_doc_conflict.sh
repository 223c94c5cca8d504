# Another process writes the document while it is being edited in place: the editor says so,
# the save meets a conflict instead of overwriting, and each choice of the conflict view does
# what it says: overwrite, take theirs, keep editing, merge (with and without a clash, a merge that
# conflicts again, and an edit made in $EDITOR). A document deleted meanwhile is offered for
# re-creation.
. "$(dirname "$0")/lib.sh"

value_of() { "$KVTUI" -s "file:$STORE" get doc; }
recovery_files() { ls "$XDG_STATE_HOME/kvtui/recovery" 2>/dev/null | grep -c '\.edit$'; }
printf '{\n  "v": 1,\n  "name": "x"\n}' >"$T/base.json"
reset() { kv upsert doc @"$T/base.json" >/dev/null; }
theirs() { kv upsert doc "$1" >/dev/null; }
# Open doc afresh, edit in place and change "v": 1 to "v": 2 (mine).
edit_v2() {
    keys / C-u; literal doc; keys Enter Enter
    wait_for '"v": 1'
    keys e
    wait_for "EDITING doc"
    keys Down End Left BSpace; literal 2
}
stored_is() { sleep 0.3; test "$(value_of)" = "$(printf "$1")"; }

cat >"$T/editor.sh" <<EDITOR
#!/bin/bash
"$KVTUI" -s "file:$STORE" upsert doc '{"v": 1, "name": "theirs"}' >/dev/null
sed -i 's/"v": 1/"v": 7/' "\$1"
EDITOR
chmod +x "$T/editor.sh"
export EDITOR="$T/editor.sh" VISUAL=

reset
start_tui
wait_for "scanned 1 keys"

# Overwrite.
edit_v2
theirs '{"v": 1, "name": "theirs"}'
check "the editor notices the write by another process" \
    wait_for "changed on the store: saving will conflict"
keys C-s
check "saving meets a conflict, not a lost update" wait_for "CONFLICT: changed on the store"
check "the conflict view shows theirs" wait_for '"name": "theirs"'
keys o
check "o overwrites theirs with mine" wait_for "saved doc, new cas"
check "the store has mine exactly" stored_is '{\n  "v": 2,\n  "name": "x"\n}'
check "the editor is back, with no notice" \
    bash -c "$(declare -f screen wait_gone); SOCKET=$SOCKET; wait_gone 'saving will conflict'"
keys BSpace; literal 3; keys C-s
check "a save after the overwrite works" stored_is '{\n  "v": 3,\n  "name": "x"\n}'
keys Escape

# Take theirs.
reset
edit_v2
theirs '{"v": 1, "name": "theirs"}'
keys C-s
wait_for "CONFLICT: changed on the store"
keys t
check "t takes theirs" wait_for "took theirs"
check "the editor is closed" wait_gone "EDITING doc"
check "the store keeps theirs" stored_is '{"v": 1, "name": "theirs"}'
check "the dropped edit leaves no recovery file" test "$(recovery_files)" = 0

# Keep editing.
reset
edit_v2
theirs '{"v": 1, "name": "theirs"}'
keys C-s
wait_for "CONFLICT: changed on the store"
keys e
check "e goes back to the edit" wait_for "EDITING doc"
check "the edit is still mine" wait_for '2   "v": 2,'
check "the editor still says saving will conflict" wait_for "saving will conflict"
keys C-s
check "saving again meets the conflict again" wait_for "CONFLICT: changed on the store"
keys o
wait_for "saved doc, new cas"
keys Escape

# Merge, disjoint: their change and mine both come in by themselves.
reset
edit_v2
theirs '{"v": 1, "name": "theirs"}'
keys C-s
wait_for "CONFLICT: changed on the store"
keys m
check "m merges" wait_for "MERGE doc"
check "nothing clashes" wait_for "1 change(s) of theirs came in by themselves; 0 clash(es)"
check "the result is shown" wait_for '"name": "theirs"'
keys y
check "y saves the merge" wait_for "saved doc, new cas"
check "the store has both changes, laid out like mine" \
    stored_is '{\n  "v": 2,\n  "name": "theirs"\n}'
check "the editor shows the merged text" wait_for '3   "name": "theirs"'
keys Escape

# Merge with a clash: listed, picked, saved.
reset
edit_v2
theirs '{"v": 5, "name": "theirs"}'
keys C-s
wait_for "CONFLICT: changed on the store"
keys m
check "the clashing path is listed" wait_for "> /v [pick m/t]"
check "with both versions" bash -c "$(declare -f screen); SOCKET=$SOCKET; screen | grep -q 'mine:   2' && screen | grep -q 'theirs: 5'"
keys y
check "saving with a clash unpicked is refused" wait_for "pick mine (m) or theirs (t) for every clash first"
keys m
check "picking mine resolves it" wait_for "/v [mine]"
keys C-s
check "Ctrl-S saves the merge" wait_for "saved doc, new cas"
check "mine won the clash, theirs' other change came in" \
    stored_is '{\n  "v": 2,\n  "name": "theirs"\n}'
keys Escape

# A merge that conflicts again: the view comes back, and merging again works.
reset
edit_v2
theirs '{"v": 1, "name": "theirs"}'
keys C-s
wait_for "CONFLICT: changed on the store"
keys m
wait_for "MERGE doc"
theirs '{"v": 1, "name": "again"}'
keys y
check "a merge saved over a newer write conflicts again" wait_for "CONFLICT: changed on the store"
keys m
wait_for "MERGE doc"
keys y
check "merging again saves" wait_for "saved doc, new cas"
check "the store has mine and the newest of theirs" \
    stored_is '{\n  "v": 2,\n  "name": "again"\n}'
keys Escape

# Deleted meanwhile: re-create.
reset
edit_v2
kv remove doc >/dev/null
check "the editor notices the delete" wait_for "deleted on the store: saving will offer to re-create it"
keys C-s
check "saving offers a re-create" wait_for "deleted on the store meanwhile: re-create it? (y/n)"
keys y
check "y re-creates it with mine" wait_for "saved doc, new cas"
check "the store has mine" stored_is '{\n  "v": 2,\n  "name": "x"\n}'
keys Escape

# The merge works for an edit made in $EDITOR too (the editor script plays the other writer).
reset
keys / C-u; literal doc; keys Enter Enter
wait_for '"v": 1'
keys E
check "\$EDITOR edit: a conflict" wait_for "CONFLICT: changed on the store"
keys m
check "\$EDITOR edit: merged without clashes" wait_for "0 clash(es)"
keys y
check "\$EDITOR edit: the merge is saved" stored_is '{\n  "v": 7,\n  "name": "theirs"\n}'

keys q
check "quit" wait_for "KVTUI-EXITED-0"
finish

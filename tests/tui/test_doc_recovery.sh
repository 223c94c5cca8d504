# An unsaved edit survives kill -9: it is mirrored to a private recovery file, offered at the
# next start, and restored exactly; declining can keep it or delete it; a restored edit based on
# an old version meets the conflict view when saved; a clean quit (SIGTERM) keeps it too.
. "$(dirname "$0")/lib.sh"

value_of() { "$KVTUI" -s "file:$STORE" get doc; }
recovery_dir="$XDG_STATE_HOME/kvtui/recovery"
recovery_files() { ls "$recovery_dir" 2>/dev/null | grep -c '\.edit$'; }
printf '{\n  "v": 1,\n  "name": "x"\n}' >"$T/base.json"
stored_is() { sleep 0.3; test "$(value_of)" = "$(printf "$1")"; }
kvtui_pid() { ps -o pid= --ppid "$(tmux -L "$SOCKET" display -p -t tui '#{pane_pid}')" | tr -d ' '; }
restart() { tmux -L "$SOCKET" kill-server 2>/dev/null; sleep 0.2; start_tui; }
mirrored() {
    for _ in $(seq 40); do
        grep -qF -- "$1" "$recovery_dir"/*.edit 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
# Open doc, edit "v": 1 into "v": N, and wait until the recovery copy has it.
edit_to() {
    keys / C-u; literal doc; keys Enter Enter
    wait_for '"v":'
    keys e
    wait_for "EDITING doc"
    keys Down End Left BSpace; literal "$1"
    mirrored "\"v\": $1"
}

kv upsert doc @"$T/base.json" >/dev/null
start_tui
wait_for "scanned 1 keys"
check "an edit is mirrored to a recovery file within seconds" edit_to 2
check "the recovery file is private" test "$(stat -c %a "$recovery_dir"/*.edit)" = 600
kill -9 "$(kvtui_pid)"
check "kvtui was killed" wait_for "KVTUI-EXITED-137"
check "the recovery file survives the kill" test "$(recovery_files)" = 1

restart
check "the next start offers the edit" wait_for "restore your unsaved edit of 'doc'"
keys y
check "y restores it into the editor" wait_for '2   "v": 2,'
check "restored as unsaved" wait_for "[modified]"
keys C-s
check "it saves" wait_for "saved doc, new cas"
check "the store has the restored edit" stored_is '{\n  "v": 2,\n  "name": "x"\n}'
check "the recovery file is gone after the save" test "$(recovery_files)" = 0
keys Escape

# Declined: kept for next time, then deleted for good.
edit_to 3
kill -9 "$(kvtui_pid)"
wait_for "KVTUI-EXITED-137"
restart
wait_for "restore your unsaved edit of 'doc'"
keys n
check "n asks whether to delete it" wait_for "then delete it for good? (y/n)"
keys n
check "n again keeps it" wait_for "for the next start"
check "the kept file is still there" test "$(recovery_files)" = 1
check "the store is unchanged" stored_is '{\n  "v": 2,\n  "name": "x"\n}'
keys q
wait_for "KVTUI-EXITED-0"
restart
check "a kept edit is offered again" wait_for "restore your unsaved edit of 'doc'"
keys n y
check "deleted for good" wait_for "deleted the unsaved edit"
check "no recovery file is left" test "$(recovery_files)" = 0
keys q
wait_for "KVTUI-EXITED-0"
restart
wait_for "scanned 1 keys"
check "nothing is offered once deleted" bash -c "! tmux -L $SOCKET capture-pane -p -t tui | grep -q 'restore your unsaved'"

# Restored over a newer version: saving meets the conflict view.
edit_to 4
kill -9 "$(kvtui_pid)"
wait_for "KVTUI-EXITED-137"
kv upsert doc '{"v": 1, "name": "theirs"}' >/dev/null
restart
wait_for "restore your unsaved edit of 'doc'"
keys y
check "a restored edit knows the store moved on" wait_for "changed on the store: saving will conflict"
keys C-s
check "saving it is a conflict, not an overwrite" wait_for "CONFLICT: changed on the store"
keys o
check "overwrite saves the restored edit" stored_is '{\n  "v": 4,\n  "name": "x"\n}'
keys Escape

# A clean quit by signal keeps the edit and says where.
edit_to 5
kill -TERM "$(kvtui_pid)"
check "SIGTERM quits cleanly" wait_for "KVTUI-EXITED-0"
check "and says where the unsaved edit is kept" wait_for "your unsaved edit of 'doc' is kept in"
restart
check "which the next start offers" wait_for "restore your unsaved edit of 'doc'"
keys y
check "restored after SIGTERM" wait_for '2   "v": 5,'
keys Escape y

# Two windows on one store: the edit one window is making is its own, not offered to the other.
edit_to 6
tmux -L "$SOCKET" new-session -d -s second -x 120 -y 35 \
    "$KVTUI -s file:$STORE; echo SECOND-EXITED-\$?; sleep 60"
second_screen() { tmux -L "$SOCKET" capture-pane -p -t second; }
for _ in $(seq 50); do second_screen | grep -q "scanned 1 keys" && break; sleep 0.1; done
check "a second window is not offered the first window's live edit" \
    bash -c "! tmux -L $SOCKET capture-pane -p -t second | grep -q 'restore your unsaved'"
kill -9 "$(kvtui_pid)"
wait_for "KVTUI-EXITED-137"
tmux -L "$SOCKET" send-keys -t second q
for _ in $(seq 50); do second_screen | grep -q "SECOND-EXITED-0" && break; sleep 0.1; done
tmux -L "$SOCKET" kill-session -t second
restart
check "once that window is gone, its edit is offered" wait_for "restore your unsaved edit of 'doc'"
keys y
check "and restored" wait_for '2   "v": 6,'
keys Escape y
keys q
check "quit" wait_for "KVTUI-EXITED-0"
finish

# The TUI on Couchbase (the fake cluster of tests/couchbase/cb_fake.py): keys are listed by
# RangeScan with a live TTL, a document opens with its expiry from GET_META, and an edit goes
# through the CAS-aware save path, conflict included.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../couchbase/lib.sh"
cb_start
export KVTUI_PASSWORD=$CB_PASSWORD
TUI_STORE=$CB_URL
cb() { "$KVTUI" -s "$CB_URL" "$@"; }

cat >"$T/editor.sh" <<EDITOR
#!/bin/bash
file=\$1
mode=\$(cat "$T/mode")
case \$mode in
  change) sed -i 's/"v": 1/"v": 2/' "\$file" ;;
  race)   "$KVTUI" -s "$CB_URL" upsert cb::doc '{"v": 1, "theirs": true}' >/dev/null
          sed -i 's/"v": 1/"v": 3/' "\$file" ;;
esac
echo none >"$T/mode"
EDITOR
chmod +x "$T/editor.sh"
export EDITOR="$T/editor.sh" VISUAL=

cb upsert cb::doc '{"v": 1}' --ttl 3000 >/dev/null
cb upsert cb::short '"soon"' --ttl 8 >/dev/null
start_tui
check "keys are listed from Couchbase" wait_for "cb::short"
ttl_shown() { screen | grep 'cb::short' | cut -c1-48 | grep -oE '[0-9]+s *$' | tr -dc 0-9; }
first=$(ttl_shown)
sleep 2.2
second=$(ttl_shown)
check "the TTL counts down ($first -> $second)" test "${second:-99}" -lt "${first:-0}"
keys / C-u; literal cb::doc; keys Enter Enter
check "a Couchbase document opens" wait_for '"v": 1'
check "its expiry is shown (read with GET_META)" bash -c "tmux -L '$SOCKET' capture-pane -p -t tui | grep -Eq 'expiry 20[0-9-]+ [0-9:]+ \(in 49m'"
echo change >"$T/mode"; keys E
check "an edit is saved" wait_for "saved cb::doc, new cas"
check "the store has the edit" bash -c "'$KVTUI' -s '$CB_URL' get cb::doc | grep -q '\"v\": 2'"
cb upsert cb::doc '{"v": 1}' --ttl 3000 >/dev/null
keys r; wait_for '"v": 1'
echo race >"$T/mode"; keys E
check "a concurrent write is a conflict" wait_for "CONFLICT: changed on the store"
keys o
check "overwrite saves mine" wait_for "saved cb::doc, new cas"
check "the store has mine" bash -c "'$KVTUI' -s '$CB_URL' get cb::doc | grep -q '\"v\": 3'"
keys q
check "quit" wait_for "KVTUI-EXITED-0"

# couchbases:// with verify=false: the TUI says so in its status pane (stderr is gone under curses).
if command -v openssl >/dev/null 2>&1; then
    . "$(dirname "$0")/../memcached/lib.sh"
    mc_tls_certs
    cb_start --tls-cert "$MC_TLS/good-chain.pem" --tls-key "$MC_TLS/good.key"
    tmux -L "$SOCKET" kill-session -t tui
    TUI_STORE="couchbases://${CB_URL#couchbase://}&verify=false"
    start_tui --password-file "$CB_DIR/password"
    check "the TUI warns that TLS verification is off" wait_for "verification is off"
    keys q
    check "quit (TLS)" wait_for "KVTUI-EXITED-0"
fi
finish

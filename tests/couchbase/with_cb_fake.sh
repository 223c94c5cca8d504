#!/usr/bin/env bash
# with_cb_fake.sh [cb_fake.py options...] -- COMMAND ARGS...
# Start the fake Couchbase cluster (lib.sh), run COMMAND with CB_URL, CB_PORTS, KVTUI_PASSWORD,
# KV_CONFORMANCE_STORE and KV_CONFORMANCE_PASSWORD exported, stop the cluster and exit with
# COMMAND's exit code.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    opts+=("$1")
    shift
done
if [ $# -eq 0 ]; then
    echo "usage: with_cb_fake.sh [cb_fake.py options] -- COMMAND ARGS..." >&2
    exit 2
fi
shift
cb_start ${opts[@]+"${opts[@]}"}
export CB_URL CB_PORTS KVTUI_PASSWORD=$CB_PASSWORD
export KV_CONFORMANCE_STORE="$CB_URL" KV_CONFORMANCE_PASSWORD="$CB_PASSWORD"
rc=0
"$@" || rc=$?
exit "$rc"

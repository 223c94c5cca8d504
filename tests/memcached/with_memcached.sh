#!/usr/bin/env bash
# with_memcached.sh [--sasl] [-n N] -- COMMAND ARGS...
# Start N fresh memcached nodes (see lib.sh), export where they are, run COMMAND, stop the nodes
# and exit with COMMAND's exit code. Exported for COMMAND:
#   MC_URL, MC_SERVERS, MC_PORTS (comma-separated), KV_CONFORMANCE_STORE=MC_URL and, with --sasl,
#   KVTUI_PASSWORD and KV_CONFORMANCE_PASSWORD.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    opts+=("$1")
    shift
done
if [ $# -eq 0 ]; then
    echo "usage: with_memcached.sh [--sasl] [-n N] -- COMMAND ARGS..." >&2
    exit 2
fi
shift

mc_start ${opts[@]+"${opts[@]}"}
if [ -n "${KVTUI:-}" ]; then mc_require_backend; fi
export MC_URL MC_SERVERS KV_CONFORMANCE_STORE="$MC_URL"
ports=$(IFS=,; echo "${MC_PORTS[*]}")
unset MC_PORTS
export MC_PORTS="$ports"
if [ "$MC_SASL" = 1 ]; then
    export KVTUI_PASSWORD="$MC_SASL_PASSWORD" KV_CONFORMANCE_PASSWORD="$MC_SASL_PASSWORD"
fi
rc=0
"$@" || rc=$?
exit "$rc"

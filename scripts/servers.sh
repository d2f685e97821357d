#!/usr/bin/env bash
#
# Developer convenience: keep the test servers running between `dotnet test` runs.
#
#   scripts/servers.sh start DIR   # start PostgreSQL, RabbitMQ, Redis, Azurite under DIR
#   source DIR/env                 # exports GC_TEST_POSTGRES / _RABBITMQ (+ _RABBITMQ_CTL) / _REDIS / _AZURITE
#   dotnet test GlobalCommerce.sln
#   scripts/servers.sh stop DIR    # from any shell
#
# All state (data, logs, ports, pids) lives in DIR, which is why `stop` works
# from another shell. DIR must be reachable by the `postgres` OS user when run
# as root, so prefer something under /tmp.

set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
(($# == 2)) || usage
cmd=$1
dir=$2

# shellcheck source-path=SCRIPTDIR source=lib/servers.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/servers.sh"

stop_dir() {
    local rc=0 sub
    for sub in azurite rabbitmq redis postgres; do
        gc_stop_dir "$dir/$sub" || rc=1
    done
    rm -f "$dir/env"
    return $rc
}

case $cmd in
start)
    if [[ -e $dir/env ]]; then
        echo "[servers] $dir/env exists: servers already running? Run '$0 stop $dir' first." >&2
        exit 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # Data from a previous session is disposable, but make sure nothing from it
    # is still running (e.g. after a crashed start) before wiping it.
    stop_dir >/dev/null 2>&1 || true
    rm -rf "$dir/postgres" "$dir/rabbitmq" "$dir/redis" "$dir/azurite"
    if ! gc_start_all "$dir"; then
        gc_stop_all || true
        exit 1
    fi
    # Single-quoted so the file reads naturally (the values contain ';').
    for var in GC_TEST_POSTGRES GC_TEST_RABBITMQ GC_TEST_RABBITMQ_STREAM_PORT GC_TEST_RABBITMQ_CTL GC_TEST_REDIS GC_TEST_AZURITE; do
        printf "export %s='%s'\n" "$var" "${!var}"
    done >"$dir/env"
    echo "[servers] ready; run: source $dir/env"
    ;;
stop)
    [[ -d $dir ]] || { echo "[servers] no such directory: $dir" >&2; exit 1; }
    dir=$(cd "$dir" && pwd)
    stop_dir
    ;;
*) usage ;;
esac

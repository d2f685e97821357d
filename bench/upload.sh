#!/usr/bin/env bash
#
# The vendor upload benchmark (issue #12). Builds the API host and bench/UploadRun (Release), then runs the tool: it
# starts the API (the embedded default) on a free loopback port with a fresh data folder under a temp folder, uploads
# a --rows CSV (default 100,000) as the demo vendor through the public HTTP API, and measures rows/s accepted, the time
# until every fan-out consumer group has applied it, the API's memory and CPU and the status requests' latency.
#
#   bench/upload.sh [--rows 100000] [--poll 500ms] [--timeout 300s] [--host-env KEY=VALUE] [--keep] [...]
#   bench/upload.sh --help        every option (answers at once: no build)
#
# Not a test: scripts/test.sh builds bench/ with the solution but never runs it.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
KEEP=0
for arg in "$@"; do
    if [[ $arg == -h || $arg == --help ]]; then
        awk '/public const string Usage = """/ { on = 1; next } on && /^ *""";/ { exit } on { sub(/^        /, ""); print }' \
            "$ROOT/bench/UploadRun/RunOptions.cs"
        exit 0
    fi
    if [[ $arg == --keep ]]; then KEEP=1; fi
done

say() { echo "[upload] $*"; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

TMP=
# shellcheck disable=SC2317  # invoked from the EXIT trap
cleanup() {
    # The API host, should the tool have died without stopping it: only the pid it wrote, only if it is still our host.
    if [[ -n $TMP && -f $TMP/api.pid ]]; then
        local pid
        pid=$(cat "$TMP/api.pid")
        if grep -q 'GlobalCommerce.Api' "/proc/$pid/cmdline" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in {1..50}; do
                [[ -d /proc/$pid ]] || break
                sleep 0.2
            done
            if grep -q 'GlobalCommerce.Api' "/proc/$pid/cmdline" 2>/dev/null; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
    fi
    if [[ -n $TMP && -d $TMP ]]; then
        if ((KEEP)); then
            say "kept $TMP"
        else
            rm -rf "$TMP"
        fi
    fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gc-bench-upload.XXXXXX")
chmod 755 "$TMP"
for project in src/Api bench/UploadRun; do
    say "dotnet build $project -c Release -m:1 (log: $TMP/build.log)"
    dotnet build "$project" -c Release -nologo -m:1 >>"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log"; exit 1; }
done
dotnet bench/UploadRun/bin/Release/net10.0/GlobalCommerce.Bench.UploadRun.dll --dir "$TMP" "$@"

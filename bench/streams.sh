#!/usr/bin/env bash
#
# The stream benchmark. Builds bench/StreamRates (Release), starts a private RabbitMQ on a free loopback port under a
# temp folder (scripts/lib/servers.sh, as the test suite does), and measures per backend the raw transport and the
# stream layer in the same run: produce and consume events/s and their ratio (see --help for the options). The
# 100,000-row vendor CSV upload end to end is bench/upload.sh.
#
#   bench/streams.sh [--events 100000] [--backends embedded,rabbitmq] [...]
#   bench/streams.sh --help
#
# Not a test: scripts/test.sh builds bench/ with the solution but never runs it.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
for arg in "$@"; do
    if [[ $arg == -h || $arg == --help ]]; then
        awk '/public const string Usage = """/ { on = 1; next } on && /^ *""";/ { exit } on { sub(/^        /, ""); print }' \
            "$ROOT/bench/StreamRates/BenchArgs.cs"
        exit 0
    fi
done

# shellcheck source-path=SCRIPTDIR source=../scripts/lib/servers.sh
. "$ROOT/scripts/lib/servers.sh"
say() { echo "[streams] $*"; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

TMP=
# shellcheck disable=SC2317  # invoked from the EXIT trap
cleanup() {
    gc_stop_all || true
    [[ -n $TMP && -d $TMP ]] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gc-bench-streams.XXXXXX")
chmod 755 "$TMP"
say "dotnet build bench/StreamRates -c Release -m:1 (log: $TMP/build.log)"
dotnet build bench/StreamRates -c Release -nologo -m:1 >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log"; exit 1; }
gc_start_rabbitmq "$TMP/rabbitmq" || { say "ERROR: RabbitMQ did not start"; exit 1; }
dotnet bench/StreamRates/bin/Release/net10.0/GlobalCommerce.Bench.StreamRates.dll --rabbit "$GC_TEST_RABBITMQ" --dir "$TMP/data" "$@"

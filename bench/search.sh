#!/usr/bin/env bash
#
# The search benchmark (issue #13). Builds the API host and bench/SearchRun (Release), then runs the tool: it generates
# a catalog (default 100,000 products) into a fresh embedded data folder under a temp folder, times the full reindex,
# starts the API on a free loopback port and measures search latency and throughput (exact and misspelt, cached and
# uncached) beside a trivial endpoint of the same server as the baseline.
#
#   bench/search.sh [--products 100000] [--clients 8] [--seconds 10] [--keep]
#   bench/search.sh --help        (answers at once: no build)
#
# Not a test: scripts/test.sh builds bench/ with the solution but never runs it.

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
for arg in "$@"; do
    if [[ $arg == -h || $arg == --help ]]; then
        echo "bench/search.sh [--products 100000] [--clients 8] [--seconds 10] [--keep]   (each phase: --clients closed-loop clients for --seconds)"
        exit 0
    fi
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
echo "[search] dotnet build (Release) ..." >&2
dotnet build src/Api -c Release -m:1 -v q -nologo >/dev/null
dotnet build bench/SearchRun -c Release -m:1 -v q -nologo >/dev/null
exec dotnet bench/SearchRun/bin/Release/net10.0/GlobalCommerce.Bench.SearchRun.dll "$@"

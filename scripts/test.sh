#!/usr/bin/env bash
#
# The test command: starts private PostgreSQL, RabbitMQ, Redis and Azurite instances,
# runs the whole solution's tests against them, and ends with exactly one
# summary line:  "N passed, N failed, N skipped".
#
#   scripts/test.sh [extra dotnet test args, e.g. --filter FullyQualifiedName~Orders]
#
# Environment knobs:
#   GC_TEST_SOLUTION   solution to test (default: GlobalCommerce.sln, or .slnx, at the repo root)
#   GC_TEST_KEEP_TMP=1 keep the temp folder (server logs, .trx files) for post-mortems
#
# Exit status is non-zero if dotnet test failed, any test failed, no .trx
# file was produced, or not a single test passed.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# shellcheck source-path=SCRIPTDIR source=lib/servers.sh
. "$ROOT/scripts/lib/servers.sh"

SUITE_START=$SECONDS
PHASE_START=$SECONDS
say() { echo "[test] $*"; }
phase_done() {
    say "$1 ($((SECONDS - PHASE_START))s, total $((SECONDS - SUITE_START))s)"
    PHASE_START=$SECONDS
}

# --------------------------------------------------------------------------
# System packages. Only touched when a binary we need is missing, so a dev box
# or a warm CI image does not pay for apt.
# --------------------------------------------------------------------------
POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0

ensure_packages() {
    local missing=() bindir
    bindir=$(_gc_pg_bindir 2>/dev/null) || bindir=
    if [[ -z $bindir || ! -x $bindir/pg_ctl || ! -x $bindir/pg_isready ]] || ! id postgres >/dev/null 2>&1; then
        missing+=(postgresql)
    fi
    if ! _gc_rabbit_bin >/dev/null 2>&1 || ! command -v epmd >/dev/null; then
        missing+=(rabbitmq-server)
    fi
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        missing+=(redis-server)
    fi
    # Azurite (the blob store's emulator) comes from npm and runs on Node.js.
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        missing+=(nodejs npm)
    fi
    # The support console's end-to-end tests drive Debian's Chromium (never a downloaded browser).
    if [[ ! -x /usr/bin/chromium ]]; then
        missing+=(chromium)
    fi
    if ((${#missing[@]} == 0)); then
        phase_done "system packages present"
        return 0
    fi

    local sudo=()
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || { say "ERROR: missing packages (${missing[*]}) and not root"; return 1; }
        sudo=(sudo)
    fi
    say "installing ${missing[*]} ..."
    # The packages' postinst scripts would start the distro services (and
    # create a default PG cluster on 5432). We never use those, so tell
    # invoke-rc.d not to start anything while we install, unless the image
    # already has its own policy (Docker images usually do).
    if [[ ! -e $POLICY_RC ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$POLICY_RC" >/dev/null
        "${sudo[@]}" chmod +x "$POLICY_RC"
        POLICY_RC_OURS=1
    fi
    local rc=0
    {
        "${sudo[@]}" apt-get update -q &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    } >"$TMP/apt.log" 2>&1 || rc=$?
    remove_policy_rc
    if ((rc != 0)); then
        tail -n 30 "$TMP/apt.log" >&2
        say "ERROR: apt-get failed (exit $rc)"
        return 1
    fi
    phase_done "installed ${missing[*]}"
}

remove_policy_rc() {
    if ((POLICY_RC_OURS)); then
        if [[ $(id -u) == 0 ]]; then rm -f "$POLICY_RC"; else sudo rm -f "$POLICY_RC"; fi
        POLICY_RC_OURS=0
    fi
}

# --------------------------------------------------------------------------
# Cleanup. Runs explicitly before the summary line (so nothing is printed
# after it) and from the EXIT trap on any early exit; the second call is a no-op.
# --------------------------------------------------------------------------
TMP=
CLEANED=0
PASSED=0 FAILED=0 SKIPPED=0
SUMMARY_PRINTED=0
print_summary() {
    say "total suite duration $((SECONDS - SUITE_START))s"
    echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
    SUMMARY_PRINTED=1
}
# shellcheck disable=SC2317  # invoked from the EXIT trap
on_exit() {
    cleanup
    # Early exits (no packages, servers down, Ctrl-C) still end with the
    # summary line, so whatever parses the last line always finds one.
    ((SUMMARY_PRINTED)) || print_summary
}
cleanup() {
    ((CLEANED)) && return 0
    CLEANED=1
    remove_policy_rc || true
    gc_stop_all || true
    if [[ -n $TMP && -d $TMP ]]; then
        if [[ ${GC_TEST_KEEP_TMP:-0} == 1 ]]; then
            say "kept $TMP"
        else
            rm -rf "$TMP"
        fi
    fi
}
trap on_exit EXIT
# Plain `exit` so that the EXIT trap does the work exactly once.
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gc-test.XXXXXX")
# The postgres OS user runs the cluster and must be able to traverse into it.
chmod 755 "$TMP"

command -v dotnet >/dev/null || { say "ERROR: dotnet SDK not found on PATH"; exit 1; }

SOLUTION=${GC_TEST_SOLUTION:-}
if [[ -z $SOLUTION ]]; then
    SOLUTION=GlobalCommerce.sln
    [[ ! -e $SOLUTION && -e GlobalCommerce.slnx ]] && SOLUTION=GlobalCommerce.slnx
fi

ensure_packages

if ! gc_start_all "$TMP/servers"; then
    say "ERROR: could not start the test servers"
    exit 1
fi
phase_done "servers ready"

# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------
RESULTS=$TMP/results
mkdir -p "$RESULTS"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# No lingering MSBuild worker nodes after the run.
export MSBUILDDISABLENODEREUSE=1

DOTNET_LOG=$TMP/dotnet-test.log
: >"$DOTNET_LOG"
DOTNET_RC=0
# run_tests LABEL ARGS...: one `dotnet test` invocation; its .trx files land in
# RESULTS and its output is appended to DOTNET_LOG (the "Results File:" lines
# are checked against the .trx count below).
run_tests() {
    local label=$1 rc
    shift
    say "$label: dotnet test $*"
    set +e
    dotnet test "$@" -c Release \
        --results-directory "$RESULTS" \
        --logger "trx;LogFilePrefix=gc" \
        --logger "console;verbosity=normal" 2>&1 | tee -a "$DOTNET_LOG"
    rc=${PIPESTATUS[0]}
    set -e
    ((rc != 0)) && DOTNET_RC=$rc
    phase_done "$label finished (exit $rc)"
}

if (($# > 0)); then
    run_tests "selected tests" "$SOLUTION" "$@"
else
    # Phase 1: every test project side by side, except the fault-survival
    # scenarios. Phase 2: those alone (serially, see
    # tests/EndToEnd.Tests/Faults/SerialExecution.cs): they kill processes,
    # restart the broker and drive the cores flat out, so they must not share
    # the machine with other test projects.
    run_tests "suite" "$SOLUTION" --filter "Category!=Faults"
    run_tests "fault survival" tests/EndToEnd.Tests/EndToEnd.Tests.csproj --no-build --filter "Category=Faults"
fi

# --------------------------------------------------------------------------
# Summary, summed over every .trx (one per test project / target framework).
# --------------------------------------------------------------------------
counter() {  # attribute name, <Counters .../> element text
    local v
    v=$(sed -n "s/.*[[:space:]]$1=\"\([0-9]*\)\".*/\1/p" <<<"$2")
    echo "${v:-0}"
}

TRX_COUNT=0
while IFS= read -r -d '' trx; do
    TRX_COUNT=$((TRX_COUNT + 1))
    # Flatten first: nothing guarantees the element sits on one line.
    counters=$(tr '\r\n' '  ' <"$trx" | grep -o '<Counters[^>]*>' | head -n 1 || true)
    if [[ -z $counters ]]; then
        say "WARNING: no <Counters> in $(basename "$trx"), counting it as a failure"
        FAILED=$((FAILED + 1))
        continue
    fi
    total=$(counter total "$counters")
    passed=$(counter passed "$counters")
    # error/timeout/aborted are failures too, just reported by another name.
    failed=$(($(counter failed "$counters") + $(counter error "$counters") \
        + $(counter timeout "$counters") + $(counter aborted "$counters")))
    skipped=$((total - passed - failed))
    ((skipped < 0)) && skipped=0
    say "$(basename "$trx"): $passed passed, $failed failed, $skipped skipped"
    PASSED=$((PASSED + passed)) FAILED=$((FAILED + failed)) SKIPPED=$((SKIPPED + skipped))
done < <(find "$RESULTS" -name '*.trx' -print0 2>/dev/null)

# Trx names only carry a second-resolution timestamp; VSTest picks a free name
# when the file is written, but two projects finishing in the same instant could
# still overwrite each other's file. Then the sum above would be short: refuse.
REPORTED=$(grep -c 'Results File: .*\.trx' "$DOTNET_LOG" || true)

EXIT=0
if ((REPORTED > TRX_COUNT)); then
    say "FAIL: dotnet test reported $REPORTED .trx files but only $TRX_COUNT exist (overwritten?)"
    EXIT=1
fi
# Name every failed test with the first lines of its message, here at the end
# where a truncated CI log still shows them.
if ((FAILED > 0)) && command -v python3 >/dev/null; then
    python3 - "$RESULTS" <<'PY' || true
import pathlib, sys, xml.etree.ElementTree as ET
for path in sorted(pathlib.Path(sys.argv[1]).rglob('*.trx')):
    for r in ET.parse(path).getroot().iter():
        if r.tag.endswith('UnitTestResult') and r.get('outcome') not in ('Passed', 'NotExecuted'):
            print(f"[test] FAILED {r.get('testName')} ({r.get('duration')})")
            for m in r.iter():
                if m.tag.endswith('Message') and m.text:
                    for line in m.text.strip().splitlines()[:6]:
                        print(f"[test]     {line[:300]}")
                    break
PY
fi
if ((DOTNET_RC != 0)); then say "FAIL: dotnet test exited with $DOTNET_RC"; EXIT=1; fi
if ((FAILED > 0)); then say "FAIL: $FAILED test(s) failed"; EXIT=1; fi
if ((TRX_COUNT == 0)); then say "FAIL: no .trx result files were produced"; EXIT=1; fi
if ((PASSED == 0)); then say "FAIL: no test passed"; EXIT=1; fi

cleanup
print_summary
exit $EXIT

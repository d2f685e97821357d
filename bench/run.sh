#!/usr/bin/env bash
#
# The order benchmark. Builds the solution (Release), starts private PostgreSQL and RabbitMQ instances on free
# loopback ports under a temp folder (scripts/lib/servers.sh, the same functions the test suite uses), then runs
# bench/OrderLoad against the platform twice: in real mode (API + --workers worker processes, RabbitMQ + PostgreSQL) and in
# the embedded default (one API process, in-memory bus + SQLite). Prints a table per mode and writes it as markdown
# and JSON to $TMPDIR/gc-bench-results (outside the repository: results belong to a machine and a day, not to git).
#
#   bench/run.sh [--duration 20s] [--rate 100] [--clients 32] [--modes real,embedded] [...]
#   bench/run.sh --help        every option
#
# Environment knobs:
#   GC_BENCH_KEEP_TMP=1   keep the temp folder (host and server logs, SQLite files) for post-mortems
#   GC_BENCH_NO_BUILD=1   use the existing Release build output as it is
#
# Not a test: scripts/test.sh builds bench/ with the solution but never runs it.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# --help answers at once, on a clean clone too (nothing built, no servers): the usage text is the one the load
# generator prints, read straight from its source (BenchOptions.Usage, a raw string literal), so the two never differ.
for arg in "$@"; do
    if [[ $arg == -h || $arg == --help ]]; then
        awk '/public const string Usage = """/ { on = 1; next } on && /^ *""";/ { exit } on { sub(/^        /, ""); print }' \
            "$ROOT/bench/OrderLoad/BenchOptions.cs"
        exit 0
    fi
done

# shellcheck source-path=SCRIPTDIR source=../scripts/lib/servers.sh
. "$ROOT/scripts/lib/servers.sh"

BENCH_DLL=$ROOT/bench/OrderLoad/bin/Release/net10.0/GlobalCommerce.Bench.OrderLoad.dll
START=$SECONDS
say() { echo "[bench] $*"; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1

# Servers only when real mode is asked for (it is by default).
NEED_SERVERS=1
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    if [[ ${args[i]} == --modes && $((i + 1)) -lt ${#args[@]} && ${args[i + 1]} != *real* ]]; then
        NEED_SERVERS=0
    fi
done

TMP=
CLEANED=0
# shellcheck disable=SC2317  # invoked from the EXIT trap
cleanup() {
    ((CLEANED)) && return 0
    CLEANED=1
    [[ -n ${BUILD_PID:-} ]] && kill "$BUILD_PID" 2>/dev/null || true
    # Hosts the load generator started and could not stop itself (it died): only those pids, only our hosts.
    if [[ -n $TMP && -f $TMP/host.pids ]]; then
        local pid
        while read -r pid; do
            if _gc_pid_alive "$pid" && grep -q 'GlobalCommerce' "/proc/$pid/cmdline" 2>/dev/null; then
                kill -TERM "$pid" 2>/dev/null || true
                _gc_wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
            fi
        done <"$TMP/host.pids"
    fi
    gc_stop_all || true
    if [[ -n $TMP && -d $TMP ]]; then
        if [[ ${GC_BENCH_KEEP_TMP:-0} == 1 ]]; then
            say "kept $TMP"
        else
            rm -rf "$TMP"
        fi
    fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gc-bench.XXXXXX")
# The postgres OS user runs the cluster and must be able to traverse into it.
chmod 755 "$TMP"

command -v dotnet >/dev/null || { say "ERROR: dotnet SDK not found on PATH"; exit 1; }

# The build and the servers' start-up overlap: both take a while.
BUILD_PID=
if [[ ${GC_BENCH_NO_BUILD:-0} != 1 ]]; then
    say "dotnet build GlobalCommerce.sln -c Release -m:1 (log: $TMP/build.log)"
    # One MSBuild node: the machine this runs on may have two cores, and the servers start meanwhile.
    dotnet build GlobalCommerce.sln -c Release -nologo -m:1 >"$TMP/build.log" 2>&1 &
    BUILD_PID=$!
fi

if ((NEED_SERVERS)); then
    # Durable, as production runs (fsync, synchronous_commit, full_page_writes on), with pg_stat_statements preloaded
    # when the package has it: the test suite's instance has durability off, which would flatter every commit.
    gc_start_postgres "$TMP/postgres" durable || { say "ERROR: PostgreSQL did not start"; exit 1; }
    gc_start_rabbitmq "$TMP/rabbitmq" || { say "ERROR: RabbitMQ did not start"; exit 1; }

    # What the load generator needs beyond the connection strings: the data directory (pg_waldump counts commits
    # in the WAL), the binaries, and a way to ask the broker for its own message counters.
    (
        # shellcheck disable=SC1091
        . "$TMP/postgres/gc-server.state"
        printf 'export GC_BENCH_PG_DATA=%q GC_BENCH_PG_BINDIR=%q\n' "$GC_PG_DATA" "$GC_PG_BINDIR"
    ) >"$TMP/pg.env"
    # shellcheck disable=SC1091
    . "$TMP/pg.env"
    (
        printf '#!/usr/bin/env bash\n# rabbitmqctl eval against the benchmark'"'"'s own node (its cookie, ports and name).\n'
        if [[ -n ${GC_TEST_RABBITMQ_CTL:-} && -x $GC_TEST_RABBITMQ_CTL ]]; then
            printf 'exec %q eval "$1"\n' "$GC_TEST_RABBITMQ_CTL"
        else
            # shellcheck disable=SC1091
            . "$TMP/rabbitmq/gc-server.state"
            printf 'set -a; . %q; set +a\n' "$TMP/rabbitmq/rabbitmq.env"
            printf 'exec %q -q -n %q eval "$1"\n' "$GC_RABBIT_BIN/rabbitmqctl" "$GC_NODE"
        fi
    ) >"$TMP/rabbitmq-eval"
    chmod +x "$TMP/rabbitmq-eval"
    export GC_BENCH_RABBITMQ_EVAL=$TMP/rabbitmq-eval
fi

if [[ -n $BUILD_PID ]]; then
    if ! wait "$BUILD_PID"; then
        BUILD_PID=
        tail -n 30 "$TMP/build.log" >&2
        say "ERROR: the build failed (see above)"
        exit 1
    fi
    BUILD_PID=
    say "build done ($((SECONDS - START))s)"
fi
[[ -f $BENCH_DLL ]] || { say "ERROR: $BENCH_DLL missing; build the solution in Release"; exit 1; }

DIRTY=$( (git status --porcelain 2>/dev/null || true) | wc -l)
export GC_BENCH_COMMIT=${GC_BENCH_COMMIT:-"commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$( ((DIRTY > 0)) && echo " + $DIRTY uncommitted changes")"}
export GC_BENCH_PIDFILE=$TMP/host.pids

say "running the load generator ($GC_BENCH_COMMIT)"
set +e
dotnet "$BENCH_DLL" --work "$TMP/work" "$@"
RC=$?
set -e
say "finished in $((SECONDS - START))s (exit $RC)"
exit $RC

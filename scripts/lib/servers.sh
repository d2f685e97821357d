# shellcheck shell=bash
#
# Throw-away PostgreSQL / RabbitMQ / Redis / Azurite instances for the test suite.
#
# Source this file, then:
#   gc_start_postgres DIR [durable]
#                           -> exports GC_TEST_POSTGRES. The test suite's instance runs without
#                              durability (fsync, synchronous_commit, full_page_writes off). With
#                              `durable` (opt-in, used by the benchmark) it runs as production does
#                              (all three on) and preloads pg_stat_statements when the package has it.
#   gc_start_rabbitmq DIR   -> exports GC_TEST_RABBITMQ (+ GC_TEST_RABBITMQ_STREAM_PORT, GC_TEST_RABBITMQ_CTL)
#   gc_start_redis DIR      -> exports GC_TEST_REDIS
#   gc_start_azurite DIR    -> exports GC_TEST_AZURITE (a blob connection string); installs the npm
#                              package azurite once into a cache folder outside the repository
#   gc_start_all DIR        -> the four above under DIR/{postgres,rabbitmq,redis,azurite},
#                              booting RabbitMQ in parallel with the others
#   gc_stop_all             -> stops whatever this shell started (also partial starts)
#   gc_stop_dir DIR         -> stops the server whose state lives in DIR (works from
#                              any shell, used by scripts/servers.sh stop)
#
# Design notes:
# * Everything (data, logs, sockets, cookies, config) lives under the given DIR and
#   every server listens on 127.0.0.1 on a port picked at random, so several runs
#   and the distro's own services (5432/5672/4369/6379) can coexist.
# * Each DIR gets a `gc-server.state` file written *before* the process is
#   launched, so a half-started server can still be found and stopped.
# * The functions never `exit`; they return non-zero and print the tail of the
#   server's log. Call them as `gc_start_x DIR || handle` so that a caller's
#   `set -e` does not abort half-way through a start or stop.

_GC_STARTED_DIRS=()  # stop order is reverse of this
_GC_PORTS_HANDED_OUT=" "  # ports chosen but maybe not yet bound by their server

_gc_log() { echo "[servers] $*" >&2; }

# Microseconds since epoch. EPOCHREALTIME's decimal separator follows the locale,
# so strip everything that is not a digit instead of assuming a dot.
_gc_now_us() { printf -v "$1" '%s' "${EPOCHREALTIME//[!0-9]/}"; }

# "2.1s" since a _gc_now_us timestamp.
_gc_since() {
    local now
    _gc_now_us now
    local d=$(( (now - $1) / 100000 ))
    printf '%d.%ds' $((d / 10)) $((d % 10))
}

_gc_fail() {  # message, log file...
    local msg=$1
    shift
    _gc_log "ERROR: $msg"
    local f
    for f in "$@"; do
        [[ -s $f ]] || continue
        _gc_log "---- last lines of $f ----"
        tail -n 40 "$f" | sed 's/^/[servers]   /' >&2
    done
    return 1
}

# True when something accepts TCP connections on 127.0.0.1:$1.
_gc_port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# gc_free_port VAR: stores an unused port in VAR. The range sits below Linux's
# ephemeral range (32768-60999) so outgoing connections cannot grab it before
# the server binds, and randomness keeps concurrent runs apart. Assigning to a
# variable (rather than echoing into $(...)) keeps the list of ports already
# handed out in this shell, so one server never gets two identical ports.
gc_free_port() {
    local i p
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        [[ $_GC_PORTS_HANDED_OUT == *" $p "* ]] && continue
        _gc_port_open "$p" && continue
        _GC_PORTS_HANDED_OUT+="$p "
        printf -v "$1" '%s' "$p"
        return 0
    done
    _gc_log "ERROR: could not find a free TCP port"
    return 1
}

# Runs "$@" in a new session (so Ctrl-C in the terminal and the caller's exit do
# not hit it, and its whole process group can be signalled) with stdio on a log
# file; records the pid of the exec'd command in $pidfile.
_gc_spawn() {  # pidfile logfile cmd...
    local pidfile=$1 logfile=$2
    shift 2
    rm -f "$pidfile"
    # shellcheck disable=SC2016  # $$ and $@ belong to the inner bash
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 &
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -s $pidfile ]] && return 0
        sleep 0.1
    done
    return 1
}

# A zombie counts as gone: our servers are reparented to init (or a container's
# reaper), which may take a while to reap them.
_gc_pid_alive() {
    [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    st=${st##*) }
    [[ ${st%% *} != Z ]]
}

# Waits up to $2 seconds for pid $1 to disappear.
_gc_wait_gone() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        _gc_pid_alive "$1" || return 0
        sleep 0.1
    done
    return 1
}

# TERM, then KILL, the process group led by pid $1 (groups come from _gc_spawn).
_gc_kill_group() {
    local pid=${1:-}
    _gc_pid_alive "$pid" || return 0
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    _gc_wait_gone "$pid" "${2:-10}" && return 0
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    _gc_wait_gone "$pid" 5
}

_gc_remember() {
    local d
    for d in "${_GC_STARTED_DIRS[@]}"; do [[ $d == "$1" ]] && return 0; done
    _GC_STARTED_DIRS+=("$1")
}

_gc_abs() { mkdir -p "$1" && (cd "$1" && pwd); }

# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------

# Newest /usr/lib/postgresql/N/bin first: on a fresh Debian box nothing puts
# initdb/pg_ctl on PATH.
_gc_pg_bindir() {
    if [[ -n ${GC_PG_BINDIR:-} ]]; then echo "$GC_PG_BINDIR"; return; fi
    local d
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [[ -n $d && -x $d/initdb ]]; then echo "$d"; return; fi
    d=$(command -v initdb 2>/dev/null) || return 1
    dirname "$(readlink -f "$d")"
}

# initdb/postgres refuse to run as root.
_gc_as_pg() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

gc_start_postgres() {
    local dir t0 bindir port profile=${2:-test} note=
    _gc_now_us t0
    case $profile in
        test) ;;
        durable) note=" (durable)" ;;
        *) _gc_fail "gc_start_postgres: unknown profile '$profile' (only 'durable')"; return 1 ;;
    esac
    dir=$(_gc_abs "${1:?usage: gc_start_postgres DIR}") || return 1
    bindir=$(_gc_pg_bindir) || { _gc_fail "PostgreSQL binaries (initdb) not found"; return 1; }
    gc_free_port port || return 1

    if [[ $(id -u) == 0 ]]; then
        id postgres >/dev/null 2>&1 || { _gc_fail "OS user 'postgres' missing (install the postgresql package)"; return 1; }
        chown postgres: "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            _gc_fail "user postgres cannot reach $dir: a parent directory is not traversable (chmod o+x it, or use a dir under /tmp)"
            return 1
        fi
    fi

    local data=$dir/data sock=$dir/sock log=$dir/postgres.log
    printf 'GC_KIND=postgres\nGC_PORT=%s\nGC_PG_BINDIR=%q\nGC_PG_DATA=%q\n' \
        "$port" "$bindir" "$data" >"$dir/gc-server.state"
    _gc_remember "$dir"

    _gc_as_pg mkdir -p "$sock"
    # A unix socket path is limited to 107 bytes; with a deep DIR fall back to TCP only.
    local sockdirs="'$sock'"
    if (( ${#sock} > 90 )); then sockdirs="''"; fi

    local pwfile=$dir/.pw
    (umask 077 && echo postgres >"$pwfile")
    [[ $(id -u) == 0 ]] && chown postgres: "$pwfile"
    # C locale: deterministic collation and no dependency on generated locales.
    # --no-sync / fsync=off etc.: the cluster is disposable, durability is irrelevant.
    if ! _gc_as_pg "$bindir/initdb" -D "$data" -U postgres --pwfile="$pwfile" \
            -E UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 \
            --no-sync >"$dir/initdb.log" 2>&1; then
        rm -f "$pwfile"
        _gc_fail "initdb failed" "$dir/initdb.log"
        return 1
    fi
    rm -f "$pwfile"

    cat >>"$data/postgresql.conf" <<EOF

# --- test instance (scripts/lib/servers.sh) ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = $sockdirs
max_connections = 300
shared_buffers = 256MB
logging_collector = off
EOF
    if [[ $profile == durable ]]; then
        # As in production: every commit waits for its WAL flush.
        printf '%s\n' '# durable (opt-in): as production runs' 'fsync = on' 'synchronous_commit = on' 'full_page_writes = on' \
            >>"$data/postgresql.conf"
        # Debian ships pg_stat_statements in the server package itself (contrib), under the binaries' ../lib.
        if [[ -f $bindir/../lib/pg_stat_statements.so ]]; then
            printf '%s\n' "shared_preload_libraries = 'pg_stat_statements'" 'pg_stat_statements.max = 10000' \
                'pg_stat_statements.track_utility = on' >>"$data/postgresql.conf"
        fi
    else
        printf '%s\n' 'fsync = off' 'synchronous_commit = off' 'full_page_writes = off' >>"$data/postgresql.conf"
    fi

    if ! _gc_as_pg "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 start >"$dir/pg_ctl.log" 2>&1 \
        || ! "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30; then
        _gc_fail "postgres did not start" "$dir/pg_ctl.log" "$log"
        return 1
    fi

    export GC_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Password=postgres"
    _gc_log "postgres up on 127.0.0.1:$port$note ($(_gc_since "$t0"))"
}

_gc_stop_postgres() {  # dir (state already sourced)
    local dir=$1
    [[ -f $GC_PG_DATA/postmaster.pid ]] || return 0
    local pid
    pid=$(head -n 1 "$GC_PG_DATA/postmaster.pid" 2>/dev/null)
    _gc_as_pg "$GC_PG_BINDIR/pg_ctl" -D "$GC_PG_DATA" -m fast -w -t 30 stop >>"$dir/pg_ctl.log" 2>&1 && return 0
    # pg_ctl gave up (or the data dir is broken): the postmaster's children
    # exit on their own once the postmaster is gone.
    _gc_pid_alive "$pid" && { kill -QUIT "$pid" 2>/dev/null || true; }
    _gc_wait_gone "$pid" 5 || { kill -KILL "$pid" 2>/dev/null || true; _gc_wait_gone "$pid" 5; }
}

# --------------------------------------------------------------------------
# RabbitMQ
# --------------------------------------------------------------------------

# Call the scripts in /usr/lib/rabbitmq/bin directly: Debian's /usr/sbin wrappers
# cd to /var/lib/rabbitmq, switch to the rabbitmq user and redirect logs to
# /var/log/rabbitmq, i.e. they would mix us up with the system instance.
_gc_rabbit_bin() {
    local d
    for d in /usr/lib/rabbitmq/bin /usr/lib/rabbitmq/sbin; do
        [[ -x $d/rabbitmq-server ]] && { echo "$d"; return 0; }
    done
    d=$(command -v rabbitmq-server 2>/dev/null) || return 1
    dirname "$(readlink -f "$d")"
}

# Runs a command with the instance's environment (all paths, ports, node name,
# cookie HOME). The env file is also what lets `servers.sh stop` work later.
_gc_rabbit_env() {  # dir cmd...
    local dir=$1
    shift
    # shellcheck disable=SC1091
    (set -a && . "$dir/rabbitmq.env" && set +a && "$@")
}

# Starts the node in the background and returns at once; _gc_rabbit_wait finishes the job.
_gc_rabbit_launch() {
    local dir bin port sport dport eport node
    dir=$(_gc_abs "${1:?usage: gc_start_rabbitmq DIR}") || return 1
    _gc_now_us _GC_RABBIT_T0
    bin=$(_gc_rabbit_bin) || { _gc_fail "rabbitmq-server not found"; return 1; }
    command -v epmd >/dev/null || { _gc_fail "epmd (erlang) not found"; return 1; }
    gc_free_port port && gc_free_port sport && gc_free_port dport && gc_free_port eport || return 1
    node="rabbit-gc-$$-$RANDOM@localhost"

    mkdir -p "$dir/mnesia" "$dir/log" "$dir/home"
    # Pre-create the cookie so server and CLI never race to create it.
    (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/home/.erlang.cookie")
    chmod 400 "$dir/home/.erlang.cookie"

    cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$port
# guest/guest may log in however the client reaches us (we only listen on
# 127.0.0.1 anyway, so this opens nothing)
loopback_users = none
# a dev box / CI runner may be low on disk or RAM: don't block publishers
disk_free_limit.absolute = 50MB
vm_memory_high_watermark.relative = 0.8
stream.listeners.tcp.default = 127.0.0.1:$sport
stream.advertised_host = 127.0.0.1
stream.advertised_port = $sport
log.console = false
log.file.level = info
EOF
    # rabbitmq_stream pulls in rabbitmq_stream_common itself; the consistent-hash exchange routes a stream's partition keys
    # to its partition queues (RabbitMqStreamBackend).
    echo '[rabbitmq_stream,rabbitmq_consistent_hash_exchange].' >"$dir/enabled_plugins"
    : >"$dir/rabbitmq-env.conf"  # shadows /etc/rabbitmq/rabbitmq-env.conf

    # inet_dist_use_interface: the Erlang distribution port listens on loopback only. +sbwt none (and its dirty-scheduler
    # twins): the Erlang schedulers go to sleep when they run out of work instead of spinning for it first, RabbitMQ's
    # advice for a broker that shares its CPUs (here with PostgreSQL, the API, the worker and the tests).
    cat >"$dir/rabbitmq.env" <<EOF
HOME=$(printf %q "$dir/home")
RABBITMQ_NODENAME=$node
RABBITMQ_USE_LONGNAME=false
RABBITMQ_CONF_ENV_FILE=$(printf %q "$dir/rabbitmq-env.conf")
RABBITMQ_CONFIG_FILE=$(printf %q "$dir/rabbitmq.conf")
RABBITMQ_ADVANCED_CONFIG_FILE=$(printf %q "$dir/advanced.config")
RABBITMQ_ENABLED_PLUGINS_FILE=$(printf %q "$dir/enabled_plugins")
RABBITMQ_MNESIA_BASE=$(printf %q "$dir/mnesia")
RABBITMQ_LOG_BASE=$(printf %q "$dir/log")
RABBITMQ_PLUGINS_EXPAND_DIR=$(printf %q "$dir/mnesia/plugins-expand")
RABBITMQ_PID_FILE=$(printf %q "$dir/rabbit.pid")
RABBITMQ_DIST_PORT=$dport
ERL_EPMD_PORT=$eport
ERL_EPMD_ADDRESS=127.0.0.1
ERL_CRASH_DUMP=$(printf %q "$dir/log/erl_crash.dump")
RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none'
EOF
    printf 'GC_KIND=rabbitmq\nGC_PORT=%s\nGC_STREAM_PORT=%s\nGC_NODE=%s\nGC_RABBIT_BIN=%q\n' \
        "$port" "$sport" "$node" "$bin" >"$dir/gc-server.state"

    # rabbitmqctl bound to this node and its environment, for tests that administer the broker (a virtual host
    # per test, stop_app/start_app to restart it under load). Usage: DIR/rabbitmqctl <command> [args...]
    cat >"$dir/rabbitmqctl" <<EOF
#!/usr/bin/env bash
set -a
. $(printf %q "$dir/rabbitmq.env")
set +a
exec $(printf %q "$bin/rabbitmqctl") -q -n $node "\$@"
EOF
    chmod +x "$dir/rabbitmqctl"
    _gc_remember "$dir"

    # Our own epmd, started explicitly: if the node started it, it would daemonize
    # and outlive us with no pid to kill.
    if ! _gc_rabbit_env "$dir" _gc_spawn "$dir/epmd.pid" "$dir/log/epmd.log" epmd -port "$eport"; then
        _gc_fail "epmd did not start" "$dir/log/epmd.log"
        return 1
    fi
    local i
    for ((i = 0; i < 50; i++)); do _gc_port_open "$eport" && break; sleep 0.1; done
    if ! _gc_pid_alive "$(cat "$dir/epmd.pid")" || ! _gc_port_open "$eport"; then
        _gc_fail "epmd did not come up on port $eport" "$dir/log/epmd.log"
        return 1
    fi

    if ! _gc_rabbit_env "$dir" _gc_spawn "$dir/server.pid" "$dir/log/startup.log" "$bin/rabbitmq-server"; then
        _gc_fail "rabbitmq-server did not launch" "$dir/log/startup.log"
        return 1
    fi
}

_gc_rabbit_wait() {
    local dir timeout=${2:-90}
    dir=$(_gc_abs "$1") || return 1
    local GC_KIND GC_PORT GC_STREAM_PORT GC_NODE GC_RABBIT_BIN
    # shellcheck disable=SC1091
    . "$dir/gc-server.state"
    local pid deadline now logs=("$dir/log/startup.log" "$dir/log/$GC_NODE.log")
    pid=$(cat "$dir/server.pid" 2>/dev/null)
    deadline=$((SECONDS + timeout))
    # Cheap polling first (a CLI call costs a second or more of VM start-up),
    # then one authoritative await_startup.
    until _gc_port_open "$GC_PORT" && _gc_port_open "$GC_STREAM_PORT"; do
        if ! _gc_pid_alive "$pid"; then
            _gc_fail "rabbitmq node exited during boot" "${logs[@]}"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            _gc_fail "rabbitmq not listening after ${timeout}s" "${logs[@]}"
            return 1
        fi
        sleep 0.2
    done
    now=$((deadline - SECONDS))
    if ! _gc_rabbit_env "$dir" "$GC_RABBIT_BIN/rabbitmqctl" -q -n "$GC_NODE" await_startup \
            --timeout $((now > 5 ? now : 5)) >"$dir/log/await.log" 2>&1; then
        _gc_fail "rabbitmqctl await_startup failed" "$dir/log/await.log" "${logs[@]}"
        return 1
    fi
    export GC_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$GC_PORT/"
    export GC_TEST_RABBITMQ_STREAM_PORT=$GC_STREAM_PORT
    export GC_TEST_RABBITMQ_CTL=$dir/rabbitmqctl
    _gc_log "rabbitmq up on 127.0.0.1:$GC_PORT, stream on :$GC_STREAM_PORT, node $GC_NODE ($(_gc_since "$_GC_RABBIT_T0"))"
}

gc_start_rabbitmq() {
    _gc_rabbit_launch "$1" && _gc_rabbit_wait "$1" "${2:-90}"
}

_gc_stop_rabbitmq() {  # dir (state already sourced)
    local dir=$1 pid epid
    pid=$(cat "$dir/server.pid" 2>/dev/null)
    epid=$(cat "$dir/epmd.pid" 2>/dev/null)
    # SIGTERM rather than `rabbitmqctl stop`: RabbitMQ traps it and shuts down
    # just as gracefully and as fast, it needs no CLI VM, and it also works on a
    # node that is still booting (where the CLI cannot reach it yet). Signalling
    # the group takes the wrapper script and erl_child_setup along; KILL after 15s.
    _gc_kill_group "$pid" 15
    _gc_kill_group "$epid" 5
}

# --------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------

gc_start_redis() {
    local dir t0 port
    _gc_now_us t0
    dir=$(_gc_abs "${1:?usage: gc_start_redis DIR}") || return 1
    command -v redis-server >/dev/null || { _gc_fail "redis-server not found"; return 1; }
    gc_free_port port || return 1
    printf 'GC_KIND=redis\nGC_PORT=%s\n' "$port" >"$dir/gc-server.state"
    _gc_remember "$dir"

    # No persistence: nothing to clean up or fsync, and no surprise BGSAVEs.
    if ! redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
            --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
            --save '' --appendonly no >"$dir/redis-start.log" 2>&1; then
        _gc_fail "redis-server failed" "$dir/redis-start.log" "$dir/redis.log"
        return 1
    fi
    local i
    for ((i = 0; i < 150; i++)); do
        if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then
            export GC_TEST_REDIS="127.0.0.1:$port"
            _gc_log "redis up on 127.0.0.1:$port ($(_gc_since "$t0"))"
            return 0
        fi
        sleep 0.1
    done
    _gc_fail "redis did not answer PING" "$dir/redis-start.log" "$dir/redis.log"
}

_gc_stop_redis() {  # dir (state already sourced)
    local dir=$1 pid
    pid=$(cat "$dir/redis.pid" 2>/dev/null)
    _gc_pid_alive "$pid" || return 0
    redis-cli -h 127.0.0.1 -p "$GC_PORT" shutdown nosave >/dev/null 2>&1 || true
    _gc_wait_gone "$pid" 10 && return 0
    kill -KILL "$pid" 2>/dev/null || true
    _gc_wait_gone "$pid" 5
}

# --------------------------------------------------------------------------
# Azurite (Azure Blob Storage emulator, from npm)
# --------------------------------------------------------------------------

GC_AZURITE_VERSION=${GC_AZURITE_VERSION:-3.37}

# Outside the source tree, kept between runs: the install takes ~40 s, a start ~2 s.
_gc_azurite_home() { echo "${GC_AZURITE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/globalcommerce/azurite}"; }

# gc_ensure_azurite VAR: installs azurite $GC_AZURITE_VERSION.x into the cache folder unless it is there, and
# stores the path of its blob service's entry point in VAR (its own locals are _-prefixed so that VAR, set by
# printf -v, is the caller's). A lock keeps two runs from installing at once.
gc_ensure_azurite() {
    local _home _entry _installed _rc=0
    _home=$(_gc_azurite_home)
    _entry=$_home/node_modules/azurite/dist/src/blob/main.js
    command -v node >/dev/null && command -v npm >/dev/null || { _gc_fail "node and npm are needed for Azurite"; return 1; }
    mkdir -p "$_home" || return 1
    (
        flock -w 300 9 || exit 1
        _installed=$(node -p "require(process.argv[1]).version" "$_home/node_modules/azurite/package.json" 2>/dev/null) || _installed=
        [[ -f $_entry && $_installed == "$GC_AZURITE_VERSION".* ]] && exit 0
        _gc_log "installing azurite@$GC_AZURITE_VERSION into $_home ..."
        npm install --prefix "$_home" --no-audit --no-fund --loglevel=error "azurite@$GC_AZURITE_VERSION" >"$_home/npm-install.log" 2>&1
    ) 9>"$_home.lock" || _rc=$?
    if ((_rc != 0)) || [[ ! -f $_entry ]]; then
        _gc_fail "npm could not install azurite@$GC_AZURITE_VERSION" "$_home/npm-install.log"
        return 1
    fi
    printf -v "$1" '%s' "$_entry"
}

gc_start_azurite() {
    local dir t0 port main pid i
    _gc_now_us t0
    dir=$(_gc_abs "${1:?usage: gc_start_azurite DIR}") || return 1
    gc_ensure_azurite main || return 1
    gc_free_port port || return 1
    printf 'GC_KIND=azurite\nGC_PORT=%s\n' "$port" >"$dir/gc-server.state"
    _gc_remember "$dir"
    mkdir -p "$dir/data"
    if ! _gc_spawn "$dir/azurite.pid" "$dir/azurite.log" node "$main" --silent --location "$dir/data" \
            --blobHost 127.0.0.1 --blobPort "$port" --skipApiVersionCheck --loose; then
        _gc_fail "azurite did not launch" "$dir/azurite.log"
        return 1
    fi
    # Stopped with SIGKILL: without this the shell would report the kill as a job of its own ("Killed").
    disown "$!" 2>/dev/null || true
    pid=$(cat "$dir/azurite.pid")
    for ((i = 0; i < 300; i++)); do
        if _gc_port_open "$port"; then
            # The development storage account every Azurite has (its well-known name and key), on our port.
            export GC_TEST_AZURITE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
            _gc_log "azurite up on 127.0.0.1:$port ($(_gc_since "$t0"))"
            return 0
        fi
        _gc_pid_alive "$pid" || break
        sleep 0.1
    done
    _gc_fail "azurite did not listen on port $port" "$dir/azurite.log"
}

# Azurite ignores SIGTERM: KILL its process group at once.
_gc_stop_azurite() {  # dir (state already sourced)
    local dir=$1 pid
    pid=$(cat "$dir/azurite.pid" 2>/dev/null)
    _gc_pid_alive "$pid" || return 0
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    _gc_wait_gone "$pid" 5
}

# --------------------------------------------------------------------------
# All together
# --------------------------------------------------------------------------

# RabbitMQ is by far the slowest to boot, so it boots while the others start.
gc_start_all() {
    local dir
    dir=$(_gc_abs "${1:?usage: gc_start_all DIR}") || return 1
    _gc_rabbit_launch "$dir/rabbitmq" || return 1
    gc_start_postgres "$dir/postgres" || return 1
    gc_start_redis "$dir/redis" || return 1
    gc_start_azurite "$dir/azurite" || return 1
    _gc_rabbit_wait "$dir/rabbitmq" 90 || return 1
}

gc_stop_dir() {
    local dir=${1:?usage: gc_stop_dir DIR}
    [[ -f $dir/gc-server.state ]] || return 0
    local GC_KIND GC_PORT GC_STREAM_PORT GC_NODE GC_RABBIT_BIN GC_PG_BINDIR GC_PG_DATA t0
    # shellcheck disable=SC1091
    . "$dir/gc-server.state"
    _gc_now_us t0
    case $GC_KIND in
        postgres) _gc_stop_postgres "$dir" ;;
        rabbitmq) _gc_stop_rabbitmq "$dir" ;;
        redis) _gc_stop_redis "$dir" ;;
        azurite) _gc_stop_azurite "$dir" ;;
    esac
    local rc=$?
    if ((rc == 0)); then
        _gc_log "$GC_KIND stopped ($(_gc_since "$t0"))"
    else
        _gc_log "WARNING: $GC_KIND in $dir may still be running"
    fi
    return $rc
}

gc_stop_all() {
    local i rc=0
    for ((i = ${#_GC_STARTED_DIRS[@]} - 1; i >= 0; i--)); do
        gc_stop_dir "${_GC_STARTED_DIRS[i]}" || rc=1
    done
    _GC_STARTED_DIRS=()
    return $rc
}

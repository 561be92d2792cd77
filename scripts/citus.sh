#!/usr/bin/env bash
# A local Citus cluster for issue 12: one coordinator and two workers on local ports, built from
# a Citus source tree against Debian's PostgreSQL 15, everything under var/citus/ (never the
# system PostgreSQL that CI uses on 127.0.0.1:5432). Not part of CI: CI cannot fetch sources.
#
#   CITUS_SRC=/path/to/citus scripts/citus.sh build   # apt packages, copy + patch + compile Citus
#   scripts/citus.sh start       # initdb (first time) and start coordinator + 2 workers, register them
#   scripts/citus.sh setup       # manage.py setup_db against the coordinator (migrate as the owner)
#   scripts/citus.sh distribute  # setup, then manage.py citus_distribute: every table placed
#                                # (dms/tenancy/placement.py: distributed / reference / coordinator)
#   scripts/citus.sh demo        # distribute, then seed the demo network; rows per node
#   scripts/citus.sh test [args] # the tenancy and page smoke tests against a distributed test
#                                # database (CITUS_TEST_DB, default dms_test); args go to pytest
#   scripts/citus.sh status      # nodes, and the number of tables per Citus table type
#   scripts/citus.sh stop        # stop the three servers (data stays in var/citus/data)
#   CITUS_SRC=... scripts/citus.sh all   # build, start, demo, test
#   scripts/citus.sh destroy     # stop and delete the cluster's data (keeps the build)
#
# CITUS_SRC: the citusdata/citus repository at tag v13.2.2 (the version for PostgreSQL 15).
# Every sub-command is idempotent: it checks before it acts and says what it does.
#
# Environment (defaults): CITUS_PORT (9700: coordinator; workers on the next two ports),
# CITUS_DB (dms), CITUS_JOBS (2, make -j), CITUS_OS_USER (postgres: PostgreSQL refuses to run as
# root, so the servers run as this user when the script runs as root), PG_CONFIG
# (/usr/lib/postgresql/15/bin/pg_config), CITUS_REBUILD=1 to rebuild an existing build.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CITUS_HOME="$ROOT/var/citus"
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
PORT="${CITUS_PORT:-9700}"
DB="${CITUS_DB:-dms}"
JOBS="${CITUS_JOBS:-2}"
OS_USER="${CITUS_OS_USER:-postgres}"
SHARD_COUNT=32
NODES=(coordinator worker1 worker2)
APT_LIST="$ROOT/scripts/citus-apt-packages.txt"

# The private install tree: Debian's PostgreSQL 15 (bindir, pkglibdir, sharedir) copied under
# var/citus/root at the same relative paths, plus Citus installed there with DESTDIR. PostgreSQL
# finds its share and lib directories relative to its own binary, so the copied `postgres`
# loads citus.so and citus.control from var/citus/root and the system tree stays untouched.
TREE="$CITUS_HOME/root"
BUILD="$CITUS_HOME/build"
DATA="$CITUS_HOME/data"
LOGS="$CITUS_HOME/log"
SOCK="$CITUS_HOME/run"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() {
    printf 'citus.sh: %s\n' "$*" >&2
    exit 1
}

sys_dir() { "$PG_CONFIG" "--$1"; }
priv_bin() { echo "$TREE$(sys_dir bindir)"; }
node_port() {
    local i
    for i in "${!NODES[@]}"; do
        [[ "${NODES[$i]}" == "$1" ]] && echo $((PORT + i)) && return 0
    done
    die "unknown node $1"
}

# Run a command as the PostgreSQL OS user when we are root (initdb/postgres refuse root).
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u "$OS_USER" -- "$@"
    else
        "$@"
    fi
}

# psql against one node as the cluster's superuser (trust auth on 127.0.0.1 only).
psql_node() {
    local port="$1" dbname="$2"
    shift 2
    "$(priv_bin)/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$dbname" "$@"
}

# ---------------------------------------------------------------------------------------- build
install_apt() {
    local wanted missing=() pkg status
    mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$APT_LIST" | grep -v '^$')
    for pkg in "${wanted[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        log "apt: all ${#wanted[@]} build packages from scripts/citus-apt-packages.txt are installed"
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || die "missing Debian packages (run as root): ${missing[*]}"
    log "apt: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

check_server_matches_headers() {
    # Citus must be compiled against the headers of the exact server it is loaded into.
    local dev server
    dev=$(dpkg-query -W -f='${Version}' postgresql-server-dev-15 2>/dev/null || true)
    server=$(dpkg-query -W -f='${Version}' postgresql-15 2>/dev/null || true)
    [[ -n "$server" ]] || die "postgresql-15 is not installed: nothing to copy the server from"
    [[ "$dev" == "$server" ]] ||
        die "postgresql-server-dev-15 ($dev) and postgresql-15 ($server) differ: upgrade both"
    log "PostgreSQL: $("$PG_CONFIG" --version) (server and headers $server)"
}

citus_version() { sed -n 's/^AC_INIT(\[Citus\], \[\([^]]*\)\].*/\1/p' "$1/configure.ac"; }

# PostgreSQL 15.20 (a minor release) exports have_createdb_privilege() from dbcommands.h; Citus
# 13.2.2's pg_version_compat.h still defines its own static inline copy for PG < 16, which no
# longer compiles ("static declaration ... follows non-static declaration"). Rename Citus's copy
# (one line): its caller then uses the server's function, which does the same check.
patch_source() {
    local src="$1" header="$1/src/include/pg_version_compat.h"
    local pg_header
    pg_header="$("$PG_CONFIG" --includedir-server)/commands/dbcommands.h"
    if ! grep -q 'extern bool have_createdb_privilege(void);' "$pg_header"; then
        log "patch: $pg_header does not declare have_createdb_privilege: no rename needed"
        return 0
    fi
    if grep -q '^citus_compat_have_createdb_privilege(void)$' "$header"; then
        log "patch: already applied"
        return 0
    fi
    [[ $(grep -c '^have_createdb_privilege(void)$' "$header") -eq 1 ]] ||
        die "patch: expected one definition of have_createdb_privilege in $header"
    log "patch: rename Citus's static have_createdb_privilege() to citus_compat_have_createdb_privilege() (clashes with PostgreSQL 15.20's extern)"
    sed -i 's/^have_createdb_privilege(void)$/citus_compat_have_createdb_privilege(void)/' "$header"
}

copy_system_postgres() {
    local kind dir
    for kind in bindir pkglibdir sharedir; do
        dir="$(sys_dir "$kind")"
        log "copy system PostgreSQL $kind $dir -> $TREE$dir"
        mkdir -p "$TREE$dir"
        cp -a "$dir/." "$TREE$dir/"
    done
}

cmd_build() {
    [[ -n "${CITUS_SRC:-}" ]] || die "set CITUS_SRC to a citusdata/citus source tree (tag v13.2.2)"
    [[ -f "$CITUS_SRC/configure.ac" && -d "$CITUS_SRC/src/backend/distributed" ]] ||
        die "CITUS_SRC=$CITUS_SRC is not a Citus source tree"
    install_apt
    check_server_matches_headers
    local version stamp want
    version="$(citus_version "$CITUS_SRC")"
    want="citus $version from $(cd "$CITUS_SRC" && pwd) for $("$PG_CONFIG" --version)"
    stamp="$CITUS_HOME/built"
    if [[ -z "${CITUS_REBUILD:-}" && -f "$stamp" && "$(cat "$stamp")" == "$want" &&
        -f "$TREE$(sys_dir pkglibdir)/citus.so" ]]; then
        log "build: $want already installed in var/citus/root (CITUS_REBUILD=1 to redo)"
        return 0
    fi
    local node
    for node in "${NODES[@]}"; do
        # The servers run from var/citus/root: never replace it under them.
        if [[ -f "$DATA/$node/PG_VERSION" ]] && node_running "$node"; then
            die "the cluster is running from the tree a rebuild replaces: scripts/citus.sh stop first"
        fi
    done
    log "build: $want"
    rm -rf "$BUILD" "$TREE"
    mkdir -p "$BUILD"
    log "copy source $CITUS_SRC -> var/citus/build (the patch goes to the copy only)"
    cp -a "$CITUS_SRC/." "$BUILD/"
    rm -rf "$BUILD/.git"
    patch_source "$BUILD"
    copy_system_postgres
    (
        cd "$BUILD"
        log "configure (PG_CONFIG=$PG_CONFIG)"
        ./configure PG_CONFIG="$PG_CONFIG" >"$BUILD/configure.out" 2>&1 ||
            {
                tail -30 "$BUILD/configure.out"
                exit 1
            }
        log "make -j$JOBS (log: var/citus/build/make.out)"
        make -j"$JOBS" >"$BUILD/make.out" 2>&1 || {
            grep -E 'error|Error' "$BUILD/make.out" | head -30
            exit 1
        }
        log "make install DESTDIR=var/citus/root"
        make install DESTDIR="$TREE" >"$BUILD/install.out" 2>&1 || {
            tail -30 "$BUILD/install.out"
            exit 1
        }
    )
    [[ -f "$TREE$(sys_dir pkglibdir)/citus.so" ]] || die "build: citus.so was not installed"
    # The copied pg_config resolves its directories relative to itself, as the server does.
    [[ "$("$(priv_bin)/pg_config" --pkglibdir)" == "$TREE$(sys_dir pkglibdir)" ]] ||
        die "the copied PostgreSQL does not resolve its lib directory inside var/citus/root"
    echo "$want" >"$stamp"
    log "build: done; citus.so and citus.control are in var/citus/root only"
}

# ---------------------------------------------------------------------------------------- nodes
require_build() {
    [[ -f "$TREE$(sys_dir pkglibdir)/citus.so" ]] ||
        die "Citus is not built yet: CITUS_SRC=... scripts/citus.sh build"
}

node_running() { as_pg "$(priv_bin)/pg_ctl" -D "$DATA/$1" status >/dev/null 2>&1; }

init_node() {
    local node="$1" port
    port="$(node_port "$node")"
    if [[ -f "$DATA/$node/PG_VERSION" ]]; then
        return 0
    fi
    log "initdb $node (port $port) in var/citus/data/$node"
    mkdir -p "$DATA/$node"
    chown "$OS_USER" "$DATA/$node" 2>/dev/null || true
    as_pg "$(priv_bin)/initdb" -D "$DATA/$node" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$LOGS/initdb-$node.log" 2>&1 ||
        {
            cat "$LOGS/initdb-$node.log"
            exit 1
        }
    # Local only: loopback and a private socket directory; small memory (shared 2-core machine).
    as_pg tee -a "$DATA/$node/postgresql.conf" >/dev/null <<EOF

# --- scripts/citus.sh ---
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
shared_preload_libraries = 'citus'
citus.shard_count = $SHARD_COUNT
shared_buffers = 128MB
max_connections = 200
max_prepared_transactions = 200
wal_level = logical
logging_collector = off
EOF
}

# A database on every node with the citus extension, the nodes registered in it (Citus keeps its
# node list per database) and the shard count. Idempotent.
prepare_database() {
    local db="$1" node port
    for node in "${NODES[@]}"; do
        port="$(node_port "$node")"
        if [[ -z "$(psql_node "$port" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
            log "$node: CREATE DATABASE $db"
            psql_node "$port" postgres -c "CREATE DATABASE \"$db\""
        fi
        if [[ -z "$(psql_node "$port" "$db" -tAc "SELECT 1 FROM pg_extension WHERE extname = 'citus'")" ]]; then
            log "$node: CREATE EXTENSION citus"
            psql_node "$port" "$db" -c "CREATE EXTENSION citus"
        fi
    done
    log "coordinator: citus_set_coordinator_host('127.0.0.1', $PORT)"
    psql_node "$PORT" "$db" -tAc "SELECT citus_set_coordinator_host('127.0.0.1', $PORT)" >/dev/null
    for node in "${NODES[@]:1}"; do
        port="$(node_port "$node")"
        if [[ -n "$(psql_node "$PORT" "$db" -tAc "SELECT 1 FROM pg_dist_node WHERE nodename = '127.0.0.1' AND nodeport = $port")" ]]; then
            log "coordinator: $node (127.0.0.1:$port) already registered"
        else
            log "coordinator: citus_add_node('127.0.0.1', $port)"
            psql_node "$PORT" "$db" -tAc "SELECT citus_add_node('127.0.0.1', $port)" >/dev/null
        fi
    done
    # New distributed tables get this many shards; set on the database too so every session
    # (manage.py's included) sees it, not only the servers' config files.
    psql_node "$PORT" "$db" -c "ALTER DATABASE \"$db\" SET citus.shard_count = $SHARD_COUNT"
}

cmd_start() {
    require_build
    mkdir -p "$DATA" "$LOGS" "$SOCK"
    if [[ $(id -u) -eq 0 ]]; then
        chown "$OS_USER" "$DATA" "$LOGS" "$SOCK"
    fi
    local node port
    for node in "${NODES[@]}"; do
        init_node "$node"
        port="$(node_port "$node")"
        if node_running "$node"; then
            log "$node already running on 127.0.0.1:$port"
        else
            log "start $node on 127.0.0.1:$port (log: var/citus/log/$node.log)"
            as_pg "$(priv_bin)/pg_ctl" -D "$DATA/$node" -l "$LOGS/$node.log" -w -t 60 start \
                >/dev/null || {
                tail -20 "$LOGS/$node.log"
                exit 1
            }
        fi
    done
    prepare_database "$DB"
    cmd_status_nodes
}

cmd_stop() {
    local node
    for node in "${NODES[@]}"; do
        if [[ -f "$DATA/$node/PG_VERSION" ]] && node_running "$node"; then
            log "stop $node"
            as_pg "$(priv_bin)/pg_ctl" -D "$DATA/$node" -m fast -w stop >/dev/null
        else
            log "$node is not running"
        fi
    done
}

cmd_destroy() {
    cmd_stop
    log "delete var/citus/data and var/citus/log (the build stays)"
    rm -rf "$DATA" "$LOGS" "$SOCK"
}

cmd_status_nodes() {
    local node port
    for node in "${NODES[@]}"; do
        port="$(node_port "$node")"
        if [[ -f "$DATA/$node/PG_VERSION" ]] && node_running "$node"; then
            echo "$node: running on 127.0.0.1:$port"
        else
            echo "$node: stopped (127.0.0.1:$port)"
            return 1
        fi
    done
    psql_node "$PORT" "$DB" -c "SELECT citus_version()" \
        -c "SELECT nodeid, nodename, nodeport, groupid, noderole, isactive, shouldhaveshards FROM pg_dist_node ORDER BY nodeid" \
        -c "SHOW citus.shard_count"
}

cmd_status() {
    require_build
    cmd_status_nodes || return 0
    psql_node "$PORT" "$DB" -c "SELECT citus_table_type, count(*) AS tables FROM citus_tables GROUP BY 1 ORDER BY 1"
}

# ------------------------------------------------------------------------------ setup + distribute
# The project's Python: .venv of this checkout, else the python on PATH (an activated venv).
python_bin() {
    local py
    if [[ -x "$ROOT/.venv/bin/python" ]]; then
        py="$ROOT/.venv/bin/python"
    else
        py="$(command -v python || true)"
    fi
    [[ -n "$py" ]] && "$py" -c 'import django, psycopg' 2>/dev/null ||
        die "no Python with the project's dependencies: create .venv (bash scripts/test.sh does) or activate one"
    echo "$py"
}

cmd_setup() {
    local db="${1:-$DB}"
    require_build
    cmd_status_nodes >/dev/null || die "the cluster is not running: scripts/citus.sh start"
    log "manage.py setup_db against the coordinator (owner postgres@127.0.0.1:$PORT/$db)"
    manage_on "$db" setup_db
}

# manage.py with DATABASE_URL on the coordinator (owner postgres) and database $1.
manage_on() {
    local db="$1"
    shift
    (
        cd "$ROOT"
        export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/$db"
        unset DATABASE_APP_URL DMS_TEST_DB_NAME DMS_TESTING
        export DMS_TENANT_JOINS=1 # joins carry dealer_id: Citus pushes them down (dms/settings.py)
        # These commands serve nothing; a fixed key keeps the settings from refusing to load.
        export SECRET_KEY="${SECRET_KEY:-citus-local-cluster-only}"
        "$(python_bin)" manage.py "$@"
    )
}

# setup_db, then manage.py citus_distribute (dms/tenancy/placement.py): tenant tables distributed
# on dealer_id, HQ tables as reference tables, the rest on the coordinator; prints every table's
# placement and fails when one is not where it belongs.
cmd_distribute() {
    local db="${1:-$DB}"
    cmd_setup "$db"
    log "distribute ($db): manage.py citus_distribute"
    manage_on "$db" citus_distribute
}

# The demo network on the cluster, then where its rows ended up (rows per node).
cmd_demo() {
    cmd_distribute
    log "seed the demo network on the cluster (manage.py seed_demo)"
    manage_on "$DB" seed_demo
    psql_node "$PORT" "$DB" -c "SELECT citus_table_type, count(*) AS tables FROM citus_tables GROUP BY 1 ORDER BY 1" \
        -c "SELECT s.nodeport, count(DISTINCT s.shardid) AS shards, sum(s.shard_size) / 1024 AS kib
              FROM citus_shards s WHERE s.citus_table_type = 'distributed' GROUP BY 1 ORDER BY 1" \
        -c "SELECT (SELECT count(*) FROM leads_lead) AS leads, (SELECT count(*) FROM leads_stagechange) AS stage_changes,
                   (SELECT count(*) FROM reports_kpiday) AS kpi_days, (SELECT count(*) FROM reports_kpimonth) AS kpi_months" \
        -c "SELECT s.nodeport, sum(r.result::bigint) AS leads
              FROM run_command_on_shards('leads_lead', 'SELECT count(*) FROM %s') r
              JOIN citus_shards s USING (shardid) GROUP BY 1 ORDER BY 1"
}

# The tenancy tests (walls, access matrix, page smoke tests of every route and role, catalogue
# rules) and the tenant-key tests against a distributed test database (CITUS_TEST_DB): it is
# prepared once (every node, setup_db, citus_distribute) and kept between runs; pytest uses it as
# it is (DMS_TEST_KEEPDB). Extra arguments go to pytest instead of the default selection.
cmd_test() {
    local db="${CITUS_TEST_DB:-${DB}_test}"
    prepare_database "$db"
    cmd_distribute "$db"
    log "pytest against the cluster (database $db)"
    local args=("$@")
    if ((${#args[@]} == 0)); then
        args=(tests/tenancy tests/test_demo_network.py -p no:randomly -q)
    fi
    (
        cd "$ROOT"
        export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/$db"
        export DMS_TEST_DB_NAME="$db" DMS_TEST_KEEPDB=1 DMS_TESTING=1 DMS_TENANT_JOINS=1
        unset DATABASE_APP_URL
        "$(dirname "$(python_bin)")/pytest" "${args[@]}"
    )
}

usage() { sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
build) cmd_build ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
setup) cmd_setup ;;
distribute) cmd_distribute ;;
demo) cmd_demo ;;
test)
    shift
    cmd_test "$@"
    ;;
all)
    cmd_build
    cmd_start
    cmd_demo
    cmd_test
    ;;
destroy) cmd_destroy ;;
-h | --help | help | "") usage ;;
*)
    usage >&2
    exit 2
    ;;
esac

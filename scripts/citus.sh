#!/usr/bin/env bash
# A local Citus cluster for issue 12: one coordinator and two workers on local ports, built from
# a Citus source tree against Debian's PostgreSQL 15, everything under var/citus/ (never the
# system PostgreSQL that CI uses on 127.0.0.1:5432). Not part of CI: CI cannot fetch sources.
#
#   CITUS_SRC=/path/to/citus scripts/citus.sh build   # apt packages, copy + patch + compile Citus
#   scripts/citus.sh start       # initdb (first time) and start coordinator + 2 workers, register them
#   scripts/citus.sh setup       # manage.py setup_db against the coordinator (migrate as the owner)
#   scripts/citus.sh distribute  # setup, then distribute every tenant table / reference every other
#   scripts/citus.sh status      # nodes, and the number of tables per Citus table type
#   scripts/citus.sh stop        # stop the three servers (data stays in var/citus/data)
#   CITUS_SRC=... scripts/citus.sh all   # build, start, distribute
#   scripts/citus.sh destroy     # stop and delete the cluster's data (keeps the build)
#
# CITUS_SRC: the citusdata/citus repository at tag v13.2.2 (the version for PostgreSQL 15).
# Every sub-command is idempotent: it checks before it acts and says what it does.
#
# Environment (defaults): CITUS_ORDER (reference-first; tenant-first to see each tenant table's
# own blockers), CITUS_PORT (9700: coordinator; workers on the next two ports),
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
    for node in "${NODES[@]}"; do
        port="$(node_port "$node")"
        if [[ -z "$(psql_node "$port" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]]; then
            log "$node: CREATE DATABASE $DB"
            psql_node "$port" postgres -c "CREATE DATABASE \"$DB\""
        fi
        if [[ -z "$(psql_node "$port" "$DB" -tAc "SELECT 1 FROM pg_extension WHERE extname = 'citus'")" ]]; then
            log "$node: CREATE EXTENSION citus"
            psql_node "$port" "$DB" -c "CREATE EXTENSION citus"
        fi
    done
    log "coordinator: citus_set_coordinator_host('127.0.0.1', $PORT)"
    psql_node "$PORT" "$DB" -tAc "SELECT citus_set_coordinator_host('127.0.0.1', $PORT)" >/dev/null
    for node in "${NODES[@]:1}"; do
        port="$(node_port "$node")"
        if [[ -n "$(psql_node "$PORT" "$DB" -tAc "SELECT 1 FROM pg_dist_node WHERE nodename = '127.0.0.1' AND nodeport = $port")" ]]; then
            log "coordinator: $node (127.0.0.1:$port) already registered"
        else
            log "coordinator: citus_add_node('127.0.0.1', $port)"
            psql_node "$PORT" "$DB" -tAc "SELECT citus_add_node('127.0.0.1', $port)" >/dev/null
        fi
    done
    # New distributed tables get this many shards; set on the database too so every session
    # (manage.py's included) sees it, not only the servers' config files.
    psql_node "$PORT" "$DB" -c "ALTER DATABASE \"$DB\" SET citus.shard_count = $SHARD_COUNT"
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
    require_build
    cmd_status_nodes >/dev/null || die "the cluster is not running: scripts/citus.sh start"
    log "manage.py setup_db against the coordinator (owner postgres@127.0.0.1:$PORT/$DB)"
    (
        cd "$ROOT"
        export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/$DB"
        unset DATABASE_APP_URL DMS_TEST_DB_NAME
        # setup_db serves nothing; a fixed key keeps the settings from refusing to load.
        export SECRET_KEY="${SECRET_KEY:-citus-local-cluster-setup-only}"
        "$(python_bin)" manage.py setup_db
    )
}

# Tenant tables (a dealer_id column) → create_distributed_table(t, 'dealer_id'); every other
# table → create_reference_table(t). Tables are tried in foreign-key order (referenced first),
# each in its own transaction; prints OK or Citus's exact error per table, then the placement
# of every table. This list is the to-do list of issue 12's schema work.
cmd_distribute() {
    cmd_setup
    log "distribute: tenant tables on dealer_id, every other table as a reference table"
    PGPORT="$PORT" CITUS_DB="$DB" "$(python_bin)" - <<'PY'
import os
import re
from graphlib import CycleError, TopologicalSorter

import psycopg

conn = psycopg.connect(
    host="127.0.0.1", port=os.environ["PGPORT"], user="postgres",
    dbname=os.environ["CITUS_DB"], autocommit=True,
)
tables = [r[0] for r in conn.execute(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
    "ORDER BY 1"
)]
tenant = {r[0] for r in conn.execute(
    "SELECT table_name FROM information_schema.columns "
    "WHERE table_schema = 'public' AND column_name = 'dealer_id'"
)}
deps: dict[str, set[str]] = {t: set() for t in tables}
for src, dst in conn.execute(
    "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c "
    "JOIN pg_namespace n ON n.oid = c.connamespace "
    "WHERE c.contype = 'f' AND n.nspname = 'public'"
):
    if src in deps and dst in deps and src != dst:
        deps[src].add(dst)
try:
    order = list(TopologicalSorter(deps).static_order())
except CycleError as exc:  # a cycle: fall back to name order, still one attempt per table
    print(f"note: foreign-key cycle {exc.args[1]}: trying in name order")
    order = tables
# Reference tables first (the order the finished schema needs: distributed tables may reference
# them, not the other way round). CITUS_ORDER=tenant-first tries the tenant tables first, which
# shows what blocks each of them on its own before the reference tables cascade into them.
first_tenant = os.environ.get("CITUS_ORDER", "reference-first") == "tenant-first"
hq = [t for t in order if t not in tenant]
tn = [t for t in order if t in tenant]
order = tn + hq if first_tenant else hq + tn
print(f"order: {'tenant tables first' if first_tenant else 'reference tables first'}")


def placement(table: str) -> str:
    row = conn.execute(
        "SELECT citus_table_type FROM citus_tables WHERE table_name = %s::regclass", [table]
    ).fetchone()
    if not row:
        return "plain PostgreSQL (not in Citus metadata)"
    if row[0] == "local":  # a table tied by foreign keys to a reference table
        return "local (Citus local table: coordinator only)"
    return row[0]


ok = failed = skipped = 0
errors: dict[str, list[str]] = {}
width = max(len(t) for t in tables) if tables else 10
for table in order:
    want = "distributed" if table in tenant else "reference"
    now = placement(table)
    label = f"{table:<{width}}  {'tenant' if table in tenant else 'other':<6} -> {want:<11}"
    if now == want:
        print(f"{label}  already {now}")
        skipped += 1
        continue
    call = (
        "SELECT create_distributed_table(%s, 'dealer_id')"
        if table in tenant
        else "SELECT create_reference_table(%s)"
    )
    try:
        conn.execute(call, [table])
    except psycopg.Error as exc:
        message = (exc.diag.message_primary or str(exc)).strip()
        detail = exc.diag.message_detail
        print(f"{label}  ERROR: {message}" + (f" DETAIL: {detail}" if detail else ""))
        # Group by the message without the table's name, plus the detail (the actual reason).
        kind = re.sub(r'"[^"]*"', '"…"', message) + (f" — {detail}" if detail else "")
        errors.setdefault(kind, []).append(table)
        failed += 1
    else:
        print(f"{label}  OK")
        ok += 1

print()
print(f"distribute: {len(order)} tables ({len(tenant & set(tables))} with dealer_id): "
      f"{ok} OK now, {skipped} already placed, {failed} failed")
final: dict[str, list[str]] = {}
for table in tables:
    final.setdefault(placement(table), []).append(table)
print("placement now:")
for kind, names in sorted(final.items()):
    print(f"  {kind}: {len(names)}")
    if kind not in ("distributed", "reference"):  # the to-do list
        print("    " + ", ".join(names))
if errors:
    print("distinct errors (tables: message):")
    for message, names in sorted(errors.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(names):>3}: {message}")

# Citus stops at a table's first problem. The catalogue shows all the known ones at once (read
# from pg_catalog by this script, not said by Citus): the schema work's checklist per table.
CHECKS = """
SELECT
  (SELECT coalesce(string_agg(a.attname, ',' ORDER BY k.ord), '')
     FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY k(att, ord)
     JOIN pg_attribute a ON a.attrelid = %(t)s::regclass AND a.attnum = k.att
    WHERE c.conrelid = %(t)s::regclass AND c.contype = 'p') AS pk,
  (SELECT count(*) FROM pg_index i
    WHERE i.indrelid = %(t)s::regclass AND i.indisunique AND NOT i.indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid
                      AND a.attname = 'dealer_id' AND a.attnum = ANY(i.indkey))) AS uniq,
  (SELECT count(*) FROM pg_constraint c
    WHERE c.conrelid = %(t)s::regclass AND c.contype = 'f'
      AND c.confrelid::regclass::text = ANY(%(tenant)s)
      AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid
                      AND a.attname = 'dealer_id' AND a.attnum = ANY(c.conkey))) AS fk,
  (SELECT count(*) FROM pg_trigger g
    WHERE g.tgrelid = %(t)s::regclass AND NOT g.tgisinternal AND g.tgtype & 1 = 0) AS stmt_trg,
  (SELECT count(*) FROM pg_trigger g
    WHERE g.tgrelid = %(t)s::regclass AND NOT g.tgisinternal AND g.tgtype & 1 = 1) AS row_trg,
  (SELECT count(*) FROM pg_attribute a
    WHERE a.attrelid = %(t)s::regclass AND a.attidentity <> '' AND NOT a.attisdropped) AS ident,
  (SELECT NOT a.attnotnull FROM pg_attribute a
    WHERE a.attrelid = %(t)s::regclass AND a.attname = 'dealer_id') AS nullable
"""
todo = [t for t in tables if t in tenant and placement(t) != "distributed"]
if todo:
    print()
    print("catalogue check of the tenant tables not distributed (pg_catalog, not Citus's word):")
    counts: dict[str, int] = {}
    for table in todo:
        pk, uniq, fk, stmt_trg, row_trg, ident, nullable = conn.execute(
            CHECKS, {"t": table, "tenant": sorted(tenant)}
        ).fetchone()
        found = []  # (finding, as printed for this table)
        if "dealer_id" not in pk.split(","):
            found.append(("primary key without dealer_id", f"primary key ({pk or 'none'})"))
        if uniq:
            found.append(("unique index without dealer_id", f"{uniq} unique w/o dealer_id"))
        if fk:
            found.append(("foreign key to a tenant table without dealer_id", f"{fk} single FK"))
        if stmt_trg:
            found.append(("statement-level trigger", f"{stmt_trg} statement trigger"))
        if row_trg:
            found.append(("row-level trigger", f"{row_trg} row trigger"))
        if ident:
            # Only blocks converting an existing Citus table (a Citus local one, say).
            found.append(("identity column", "identity"))
        if nullable:
            found.append(("nullable dealer_id", "nullable dealer_id"))
        for key, _ in found:
            counts[key] = counts.get(key, 0) + 1
        print(f"  {table:<{width}}  " + ("; ".join(text for _, text in found) or "nothing found"))
    print("  tables per finding (any trigger is refused unless citus.enable_unsafe_triggers;")
    print("  an identity column only blocks converting a table Citus already holds):")
    for key, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"    {n:>3}: {key}")
PY
}

usage() { sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
build) cmd_build ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
setup) cmd_setup ;;
distribute) cmd_distribute ;;
all)
    cmd_build
    cmd_start
    cmd_distribute
    ;;
destroy) cmd_destroy ;;
-h | --help | help | "") usage ;;
*)
    usage >&2
    exit 2
    ;;
esac

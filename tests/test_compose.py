"""docker-compose.yml and the Dockerfile against the code: Docker cannot run on the CI machines,
so this checks that every service exists, runs one of the project's real entry points, has a
health check, and that all app services share one image."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands
from django.urls import resolve

ROOT = Path(settings.BASE_DIR)
APP_SERVICES = ("web", "worker", "beat")
LONG_RUNNING = ("postgres", "redis", *APP_SERVICES)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def argv(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_the_production_services_exist(services: dict[str, Any]) -> None:
    assert set(LONG_RUNNING) <= set(services)
    assert re.match(r"postgres:(\d+)", services["postgres"]["image"])
    assert int(services["postgres"]["image"].split(":")[1].split("-")[0]) >= 16
    assert services["redis"]["image"].startswith("redis:")


def test_every_long_running_service_has_a_health_check(services: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
    # The only service without one is the one-shot migration, which others wait for.
    for name, service in services.items():
        if name not in LONG_RUNNING:
            assert service.get("restart") == "no", name


def test_app_services_share_one_image(services: dict[str, Any]) -> None:
    app = [services[name] for name in (*APP_SERVICES, "migrate")]
    assert len({s["image"] for s in app}) == 1
    assert len({yaml.safe_dump(s["build"]) for s in app}) == 1
    assert all(s["build"]["dockerfile"] == "Dockerfile" for s in app)
    assert (ROOT / app[0]["build"]["context"] / "Dockerfile").is_file()


def test_web_runs_gunicorn_with_the_projects_wsgi_application(services: dict[str, Any]) -> None:
    args = argv(services["web"])
    assert args[0] == "gunicorn"
    target = next(a for a in args[1:] if ":" in a and not a.startswith("-"))
    assert target == "dms.wsgi:application"
    module, attribute = target.split(":")
    application = getattr(importlib.import_module(module), attribute)
    assert callable(application)
    assert "8000" in option(args, "--bind")


def test_web_health_check_hits_the_health_endpoint(services: dict[str, Any]) -> None:
    test = " ".join(services["web"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/[^'\"]*)", test)
    assert path, test
    assert resolve(path.group(1)).url_name == "health"


@pytest.mark.django_db
def test_health_endpoint_answers(client: Any) -> None:
    """What the web container's health check asks: database and cache both answer."""
    response = client.get("/health/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    checks = response.json()
    assert any(name.startswith("Database") for name in checks)
    assert any(name.startswith("Cache") for name in checks)
    assert set(checks.values()) == {"OK"}


@pytest.mark.parametrize("name,kind", [("worker", "worker"), ("beat", "beat")])
def test_celery_services_run_the_projects_app(
    services: dict[str, Any], name: str, kind: str
) -> None:
    from celery.app.utils import find_app

    import dms.celery

    args = argv(services[name])
    assert args[0] == "celery"
    assert option(args, "-A") == "dms"
    assert kind in args
    assert find_app(option(args, "-A")) is dms.celery.app
    assert " -A dms " in " ".join(services[name]["healthcheck"]["test"]) or kind == "beat"


def test_migrations_run_once_as_the_owner_before_the_app(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    args = argv(migrate)
    assert args[:2] == ["python", "manage.py"]
    assert args[2] in get_commands()
    owner_commands = re.search(r"OWNER_COMMANDS = \{([^}]*)\}", (ROOT / "manage.py").read_text())
    assert owner_commands and f'"{args[2]}"' in owner_commands.group(1)
    assert ":${POSTGRES_PASSWORD" in migrate["environment"]["DATABASE_URL"]
    for name in APP_SERVICES:
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        env = service["environment"]
        # Runtime services connect as dms_app and never hold the owner's password.
        assert env["DATABASE_APP_URL"].startswith(f"postgres://{settings.APP_DB_USER}:")
        assert "POSTGRES_PASSWORD" not in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")


def test_dockerfile_builds_the_locked_environment_and_its_entry_point_exists() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.M):
        *sources, _dest = line.split()
        for source in sources:
            if source != ".":
                assert (ROOT / source).exists(), source
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert cmd
    args = yaml.safe_load(cmd.group(1))
    assert args[:2] == ["gunicorn", "dms.wsgi:application"]
    module, attribute = args[1].split(":")
    assert callable(getattr(importlib.import_module(module), attribute))
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", ".git"} <= set(ignored)

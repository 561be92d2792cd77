"""Test database: created and migrated as the owner, then every test connects as the runtime
role (NOSUPERUSER, NOBYPASSRLS, not owner) exactly as the web app and workers do."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from psycopg import sql

os.environ.setdefault("DMS_TESTING", "1")


def pytest_configure(config: pytest.Config) -> None:
    """Opt-in: DMS_TEST_CLOCK=2027-12-31T23:50 (UTC) runs the whole session with the clock moved
    there (ticking), to prove no test depends on today's date. Off unless set."""
    when = os.environ.get("DMS_TEST_CLOCK")
    if not when:
        return
    import datetime as dt

    import time_machine

    moment = dt.datetime.fromisoformat(when)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


def pytest_report_header(config: pytest.Config) -> str | None:
    when = os.environ.get("DMS_TEST_CLOCK")
    return f"clock moved to {when} (DMS_TEST_CLOCK)" if when else None


def _switch_user(user: str, password: str) -> None:
    for alias in connections:
        conn = connections[alias]
        conn.close()
        conn.settings_dict["USER"] = user
        conn.settings_dict["PASSWORD"] = password


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: Any,
    django_db_blocker: Any,
    django_db_modify_db_settings: Any,  # pytest-xdist: one test database per worker (_gw0, ...)
) -> Iterator[None]:
    from django.test.utils import setup_databases, teardown_databases

    from dms.tenancy.signals import ensure_runtime_role

    owner = settings.OWNER_DATABASE
    _switch_user(owner["USER"], owner.get("PASSWORD", ""))
    # DMS_TEST_KEEPDB=1: use the test database as it is (scripts/citus.sh test prepares one on
    # every node of a Citus cluster, which CREATE DATABASE on the coordinator alone cannot).
    keepdb = os.environ.get("DMS_TEST_KEEPDB") == "1"
    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=0, interactive=False, keepdb=keepdb, serialized_aliases=[]
        )
        ensure_runtime_role("default")
        # Tests that need real commits (two connections) are reset with TRUNCATE: a test-only
        # grant. Production never grants TRUNCATE to the runtime role.
        with connections["default"].cursor() as cursor:
            raw = connections["default"].connection
            cursor.execute(
                sql.SQL("GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {}")
                .format(sql.Identifier(settings.APP_DB_USER))
                .as_string(raw)
            )
    _switch_user(settings.APP_DB_USER, settings.APP_DB_PASSWORD)
    yield
    _switch_user(owner["USER"], owner.get("PASSWORD", ""))
    with django_db_blocker.unblock():
        teardown_databases(db_cfg, verbosity=0, keepdb=keepdb)


def owner_connect() -> psycopg.Connection[Any]:
    """A raw autocommit psycopg connection to the test database as the owner (RLS hides nothing
    from it), for checks the runtime role must not be able to do."""
    db = connections["default"].settings_dict
    owner = settings.OWNER_DATABASE
    kwargs = {
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "dbname": db["NAME"],
        "user": owner["USER"],
        "password": owner.get("PASSWORD") or None,
        "autocommit": True,
    }
    return psycopg.connect(**{k: v for k, v in kwargs.items() if v is not None})


@pytest.fixture
def owner_connection(django_db_blocker: Any) -> Iterator[Any]:
    """A raw psycopg connection as the owner, for checks the runtime role must not be able to do."""
    with owner_connect() as conn:
        yield conn


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request: pytest.FixtureRequest) -> None:
    """Transactional tests (live server, real Celery worker) end with a flush that also empties
    the HQ reference tables the data migrations filled (models, sources, grades...). Reload them
    (create-or-update, idempotent) so such a test never depends on which ran before it."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if not transactional and "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from leads.services.reference import load_reference_data

    load_reference_data(apps)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Every test starts with an empty cache (the tests' private in-memory one, dms/settings.py):
    what one test leaves there — the menu badge's counts (bulletins/badge_cache.py, kept 60 s
    under a network-wide generation number), login throttles, cached menus — must not decide
    what the next test on the same worker sees."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language. Django's LocaleMiddleware activates a request's
    language for the thread and leaves it active after the response (the next request activates
    its own): a test that switched a client to Japanese must not leave Japanese to the next test
    on the same worker."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _joins_carry_the_tenant() -> Iterator[None]:
    """Every statement a test sends is checked: a join between two tenant tables without
    `dealer_id` equality (refused by Citus, issue 12) fails the test that sent it."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    from tests.tenancy.tenant_joins import JOIN_AUDIT

    connection_created.connect(JOIN_AUDIT.install, dispatch_uid="join-audit")
    for alias in connections:
        JOIN_AUDIT.install(connection=connections[alias])
    JOIN_AUDIT.take()
    yield
    found = JOIN_AUDIT.take()
    if found:
        pytest.fail(
            "joins between tenant tables without dealer_id equality (Citus refuses them):\n"
            + "\n".join(dict.fromkeys(found)),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _browser_console_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser test fails on any console error or uncaught exception in a page it opened
    (tests/e2e/console.py), whichever fixture launched the browser."""
    from tests.e2e.console import ConsoleErrors, watching

    marker = request.node.get_closest_marker("console_errors_allowed")
    errors = ConsoleErrors(tuple(marker.args) if marker else ())
    with watching(errors):
        yield
    if errors.found:
        pytest.fail(
            "console errors in the browser:\n" + "\n".join(dict.fromkeys(errors.found)),
            pytrace=False,
        )

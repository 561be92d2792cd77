"""Two (or more) real database connections doing the same thing at the same moment, made
deterministic.

Each racer runs in its own thread with its own connection (the runtime role, RLS applies).
A service under test calls `race.point()` (patched in by the test) right after it has read
what it decides on. The first racer there waits until every other racer has

- arrived at the point as well: nothing serialised them, both decide on the same state (this
  is what happens when the lock under test is removed), or
- is waiting for a lock another connection holds (the lock works: the first goes on, commits,
  and the second then reads the committed state), or
- finished (e.g. it skipped locked rows).

So a test passes only because the lock serialises the racers, never because one thread
happened to be faster. `lock_timeout` / `statement_timeout` on every racer's connection and
timeouts on every wait keep a broken lock from hanging CI.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models.query import QuerySet

from tests.conftest import owner_connect

WAIT_SECONDS = 15.0
# Per racer connection: a lost lock wait or a runaway statement fails the test, never hangs it.
RACER_SETTINGS = "SET lock_timeout = '15s'; SET statement_timeout = '30s'"


@dataclass
class Outcome:
    kind: str  # "ok" | "refused" | "error"
    value: Any = None
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    def __repr__(self) -> str:
        return f"Outcome({self.kind}, {self.value!r}, {self.messages})"


class Race:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pids: dict[str, int] = {}
        self._arrived: set[str] = set()
        self._finished: set[str] = set()
        self._names: set[str] = set()
        self._monitor = owner_connect()  # sees every backend's lock waits
        self._monitor_lock = threading.Lock()
        self.arrivals: list[str] = []  # in order, for the tests' own checks

    def close(self) -> None:
        self._monitor.close()

    def _blocked(self, name: str) -> bool:
        pid = self._pids.get(name)
        if pid is None:
            return False
        with self._monitor_lock:
            row = self._monitor.execute(
                "SELECT cardinality(pg_blocking_pids(%s)) > 0", [pid]
            ).fetchone()
        return bool(row and row[0])

    def point(self) -> None:
        """Called inside the service (first call per racer counts; others and non-racers pass)."""
        me = threading.current_thread().name
        with self._cond:
            if me not in self._names or me in self._arrived:
                return
            self._arrived.add(me)
            self.arrivals.append(me)
            self._cond.notify_all()
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            with self._cond:
                pending = self._names - self._arrived - self._finished - {me}
            if not pending or all(self._blocked(name) for name in pending):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{me}: {sorted(pending)} neither arrived nor waited on a lock")
            with self._cond:
                self._cond.wait(0.02)

    def run(self, calls: dict[str, Callable[[], Any]]) -> dict[str, Outcome]:
        """Run each call in its own thread and connection; a ValidationError is a refusal
        (the user's message is kept), any other exception an error."""
        self._names = set(calls)
        outcomes: dict[str, Outcome] = {}

        def worker(name: str, call: Callable[[], Any]) -> None:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(RACER_SETTINGS)
                    cursor.execute("SELECT pg_backend_pid()")
                    self._pids[name] = cursor.fetchone()[0]
                outcomes[name] = Outcome("ok", call())
            except ValidationError as exc:
                outcomes[name] = Outcome("refused", messages=list(exc.messages))
            except BaseException as exc:  # noqa: BLE001 - reported to the test thread
                outcomes[name] = Outcome("error", repr(exc))
            finally:
                with self._cond:
                    self._finished.add(name)
                    self._cond.notify_all()
                connections.close_all()

        threads = [
            threading.Thread(target=worker, args=(name, call), name=name)
            for name, call in calls.items()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a racer hangs"
        return outcomes


@contextmanager
def racing() -> Iterator[Race]:
    race = Race()
    try:
        yield race
    finally:
        race.close()


def point_after(monkeypatch: Any, target: Any, name: str, race: Race) -> None:
    """Patch `target.name` (a service's helper that reads the state the decision rests on) to
    run, then meet the race's rendezvous."""
    original = inspect.unwrap(getattr(target, name))

    @functools.wraps(original)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        race.point()
        return result

    monkeypatch.setattr(target, name, wrapped)


def point_before(monkeypatch: Any, target: Any, name: str, race: Race) -> None:
    """Patch `target.name` (the first write after the decisive read) to meet the race's
    rendezvous first."""
    original = inspect.unwrap(getattr(target, name))

    @functools.wraps(original)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        race.point()
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapped)


def without_row_locks(monkeypatch: Any) -> None:
    """The mutation check: every `select_for_update()` becomes a plain read, as if the lock
    had been deleted from the service."""
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *a, **k: self._chain())


def kinds(outcomes: dict[str, Outcome]) -> list[str]:
    return sorted(o.kind for o in outcomes.values())


def with_and_without_locks(monkeypatch: Any, scenario: Callable[[Race], Any]) -> tuple[Any, Any]:
    """Run `scenario` (it builds its own data, patches its rendezvous and races) twice: with the
    service's locks, then with every row lock removed. The test asserts the business rule on the
    first result and that it breaks on the second: the proof that the test rests on the lock."""
    with racing() as race:
        held = scenario(race)
    without_row_locks(monkeypatch)
    with racing() as race:
        removed = scenario(race)
    return held, removed

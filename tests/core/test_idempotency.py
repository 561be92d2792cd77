"""Creates are idempotent against double submits (dms/idempotency): two concurrent POSTs with
one key, each on its own connection, create once; the second gets the first one's answer."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dms.idempotency.models import IdempotentRequest
from dms.idempotency.services import forget_old_answers
from dms.tenancy.context import as_dealer
from leads.models import Visit
from leads.views import visits as visit_views
from tests.api.support import session_client
from tests.conftest import owner_connect
from tests.leads._funnel import Shop, make_shop
from tests.leads.test_visits_register import form_data

pytestmark = pytest.mark.django_db(transaction=True)


def _client(user: Any) -> Client:
    return session_client(user)


def _walk_in(key: str | None = None, **extra: str) -> dict[str, str]:
    data = form_data(**extra)
    if key:
        data["_idempotency_key"] = key
    return data


def _visits(shop: Shop) -> int:
    with as_dealer(shop.dealer):
        return Visit.objects.count()


def _waiting_on_a_lock() -> bool:
    with owner_connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ).fetchone()
    return bool(row and row[0])


def test_two_concurrent_submits_with_one_key_create_one_visit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = make_shop()
    first_inside = threading.Event()
    release_first = threading.Event()
    original = visit_views.register_contact
    calls: list[int] = []

    def slow_register(**kwargs: Any) -> Any:
        calls.append(threading.get_ident())
        result = original(**kwargs)
        if len(calls) == 1:  # the first submit holds its transaction open until released
            first_inside.set()
            assert release_first.wait(30)
        return result

    monkeypatch.setattr(visit_views, "register_contact", slow_register)
    clients = [_client(shop.alice), _client(shop.alice)]
    responses: list[Any] = [None, None]
    errors: list[BaseException] = []

    def submit(index: int) -> None:
        try:
            responses[index] = clients[index].post(
                reverse("leads:visit-register"), _walk_in("tablet-retry-0001")
            )
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=submit, args=(0,))
    first.start()
    assert first_inside.wait(30)
    second = threading.Thread(target=submit, args=(1,))
    second.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_a_lock():  # the retry waits on the key the first one holds
        assert time.monotonic() < deadline, "the second submit never waited for the first"
        time.sleep(0.02)
    release_first.set()
    for thread in (first, second):
        thread.join(60)
    assert not errors, errors
    assert len(calls) == 1, "the view ran twice"
    assert _visits(shop) == 1
    assert responses[0].status_code == responses[1].status_code == 302
    assert responses[1]["Location"] == responses[0]["Location"]
    assert responses[1]["Idempotent-Replayed"] == "true"


def test_without_a_key_two_submits_still_create_two() -> None:
    """The key is what makes a repeat a repeat: two separate walk-ins stay two visits."""
    shop = make_shop()
    client = _client(shop.alice)
    client.post(reverse("leads:visit-register"), _walk_in(None))
    client.post(
        reverse("leads:visit-register"), _walk_in(None, name="Bernd Berg", phone="030 7654321")
    )
    assert _visits(shop) == 2


def test_a_key_reused_on_another_page_is_refused_and_changes_nothing() -> None:
    shop = make_shop()
    client = _client(shop.alice)
    assert (
        client.post(reverse("leads:visit-register"), _walk_in("key-on-two-pages")).status_code
        == 302
    )
    before = _visits(shop)
    response = client.post(
        reverse("leads:customer-add"),
        {"first_name": "X", "last_name": "Y", "_idempotency_key": "key-on-two-pages"},
    )
    assert response.status_code == 422
    assert "already used" in response.json()["detail"]
    assert _visits(shop) == before


def test_a_malformed_key_is_refused() -> None:
    shop = make_shop()
    client = _client(shop.alice)
    response = client.post(reverse("leads:visit-register"), _walk_in("bad key\x00"))
    assert response.status_code == 400
    assert _visits(shop) == 0


def test_api_create_replays_the_first_answer() -> None:
    shop = make_shop()
    client = _client(shop.alice)
    body = {"first_name": "Clara", "last_name": "Api", "phone": "+49 30 5550001"}
    headers = {"HTTP_IDEMPOTENCY_KEY": "api-create-0001"}
    one = client.post("/api/customers/", body, content_type="application/json", **headers)
    two = client.post("/api/customers/", body, content_type="application/json", **headers)
    assert one.status_code == 201, one.content
    assert two.status_code == 201
    assert two.json() == one.json()
    assert two["Idempotent-Replayed"] == "true"
    with as_dealer(shop.dealer):
        from leads.models import Customer

        assert Customer.objects.filter(last_name="Api").count() == 1


def test_a_server_error_forgets_the_key_so_a_retry_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    shop = make_shop()
    client = session_client(shop.alice)
    client.raise_request_exception = False
    original = visit_views.register_contact

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(visit_views, "register_contact", broken)
    assert (
        client.post(reverse("leads:visit-register"), _walk_in("retry-after-500")).status_code == 500
    )
    assert not IdempotentRequest.objects.filter(key="retry-after-500").exists()
    monkeypatch.setattr(visit_views, "register_contact", original)
    assert (
        client.post(reverse("leads:visit-register"), _walk_in("retry-after-500")).status_code == 302
    )
    assert _visits(shop) == 1


def test_old_answers_are_forgotten() -> None:
    shop = make_shop()
    record = IdempotentRequest.objects.create(
        user=shop.alice, key="old-key-0001", method="POST", path="/x/", status=302
    )
    IdempotentRequest.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )
    fresh = IdempotentRequest.objects.create(
        user=shop.alice, key="new-key-0001", method="POST", path="/x/", status=302
    )
    assert forget_old_answers() == 1
    assert list(IdempotentRequest.objects.values_list("pk", flat=True)) == [fresh.pk]

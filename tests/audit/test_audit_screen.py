"""/audit/: HQ admins see the whole log, dealer admins only their own dealer's entries; filters,
paginated table, CSV export of the filtered rows (itself audited), and the same rules in the
read-only API."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.db import connection

from dms.audit.models import AuditAction, AuditEntry
from dms.audit.services import record
from tests.api.support import results, session_client, table_html, token_client
from tests.factories import DealerFactory, hq_user, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def log() -> dict[str, Any]:
    a, b = DealerFactory(code="DA001"), DealerFactory(code="DB002")
    a_admin = staff(a, "dealer_admin", username="admin.a")
    b_admin = staff(b, "dealer_admin", username="admin.b")
    a_worker = staff(a, "consultant", username="worker.a")
    b_worker = staff(b, "consultant", username="worker.b")
    hq = hq_user("hq_admin", username="hq.root")
    entries = {
        "a_login": record(
            action=AuditAction.LOGIN, actor=a_worker, dealer=a, detail={"note": "alpha-login"}
        ),
        "a_export": record(
            action=AuditAction.EXPORT,
            actor=a_admin,
            dealer=a,
            count=12,
            object_type="leads.Customer",
            detail={"note": "alpha-export"},
        ),
        "b_login": record(
            action=AuditAction.LOGIN, actor=b_worker, dealer=b, detail={"note": "bravo-login"}
        ),
        "b_role": record(
            action=AuditAction.ROLE_CHANGE, actor=b_admin, dealer=b, detail={"note": "bravo-role"}
        ),
        "hq_dealer": record(
            action=AuditAction.DEALER_CHANGE, actor=hq, dealer=None, detail={"note": "hq-network"}
        ),
    }
    return {
        "a": a,
        "b": b,
        "a_admin": a_admin,
        "b_admin": b_admin,
        "a_worker": a_worker,
        "b_worker": b_worker,
        "hq": hq,
        **entries,
    }


NOTES = ["alpha-login", "alpha-export", "bravo-login", "bravo-role", "hq-network"]


def notes_in(html: str) -> set[str]:
    return {n for n in NOTES if n in html}


def test_hq_admin_sees_everything(log: dict[str, Any]) -> None:
    client = session_client(log["hq"])
    table = table_html(client.get("/audit/"))
    assert notes_in(table) == set(NOTES)
    assert "DA001" in table and "DB002" in table
    assert notes_in(table_html(client.get(f"/audit/?dealer={log['b'].pk}"))) == {
        "bravo-login",
        "bravo-role",
    }


def test_dealer_admin_sees_only_their_dealer(log: dict[str, Any]) -> None:
    client = session_client(log["a_admin"])
    response = client.get("/audit/")
    assert notes_in(table_html(response)) == {"alpha-login", "alpha-export"}
    page = response.content.decode()
    assert "DB002" not in page and "admin.b" not in page and "worker.b" not in page
    assert 'name="dealer"' not in page  # no dealer filter for one dealer
    # Asking for the other dealer changes nothing; asking for its staff is not even valid.
    assert notes_in(table_html(client.get(f"/audit/?dealer={log['b'].pk}"))) == {
        "alpha-login",
        "alpha-export",
    }
    foreign_actor = client.get(f"/audit/?actor={log['b_worker'].pk}")
    assert notes_in(table_html(foreign_actor)) == set()
    assert "Select a valid choice" in foreign_actor.content.decode()


def test_filters_by_actor_action_and_period(log: dict[str, Any]) -> None:
    client = session_client(log["hq"])
    by_actor = table_html(client.get(f"/audit/?actor={log['a_admin'].pk}"))
    assert notes_in(by_actor) == {"alpha-export"}
    by_action = table_html(client.get("/audit/?action=login"))
    assert notes_in(by_action) == {"alpha-login", "bravo-login"}
    today = datetime.datetime.now(datetime.UTC).date()
    tomorrow = today + datetime.timedelta(days=1)
    assert notes_in(table_html(client.get(f"/audit/?date_from={today}&date_to={today}"))) == set(
        NOTES
    )
    assert notes_in(table_html(client.get(f"/audit/?date_from={tomorrow}"))) == set()
    yesterday = today - datetime.timedelta(days=1)
    assert notes_in(table_html(client.get(f"/audit/?date_to={yesterday}"))) == set()
    bad = client.get("/audit/?date_from=not-a-date")
    assert "Enter a valid date" in bad.content.decode()


def test_table_is_paginated_with_bounded_queries(
    log: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for i in range(70):
        record(action=AuditAction.LOGIN_FAILED, dealer=log["a"], detail={"i": i})
    client = session_client(log["a_admin"])
    client.get("/audit/")
    with django_assert_max_num_queries(25):
        first = client.get("/audit/")
    assert table_html(first).count("<tr") == 51  # header + 50 rows
    total = AuditEntry.objects.filter(dealer=log["a"]).count()  # incl. any login entry
    assert total > 70
    second = client.get("/audit/?page=2")
    assert table_html(second).count("<tr") == 1 + (total - 50)


@pytest.mark.parametrize("role", ["consultant", "dealer_manager", "sales_manager"])
def test_other_dealer_roles_get_403(log: dict[str, Any], role: str) -> None:
    client = session_client(staff(log["a"], role))
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert client.get("/api/audit-entries/").status_code == 403


def test_regional_manager_gets_403(log: dict[str, Any]) -> None:
    client = session_client(hq_user("hq_regional_manager", regions=[log["a"].region]))
    assert client.get("/audit/").status_code == 403
    assert client.get("/api/audit-entries/").status_code == 403


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_csv_export_of_the_filtered_rows_is_audited(log: dict[str, Any]) -> None:
    client = session_client(log["a_admin"])
    before = AuditEntry.objects.count()
    rows = read_csv(client.get("/audit/export.csv?action=login"))
    assert [r["dealer"] for r in rows] == ["DA001"] * len(rows)
    expected = AuditEntry.objects.filter(dealer=log["a"], action=AuditAction.LOGIN)
    assert sorted(r["actor"] for r in rows) == sorted(e.actor_label for e in expected)
    assert "worker.a" in {r["actor"] for r in rows}
    assert all(r["action"] == "login" for r in rows)
    entry = AuditEntry.objects.latest("id")
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.actor, entry.dealer, entry.count) == (
        AuditAction.EXPORT,
        log["a_admin"],
        log["a"],
        len(rows),
    )
    assert entry.detail == {"format": "csv", "filters": {"action": "login"}}


def test_dealer_admin_export_never_contains_another_dealer(log: dict[str, Any]) -> None:
    rows = read_csv(session_client(log["b_admin"]).get("/audit/export.csv"))
    assert rows and {r["dealer"] for r in rows} == {"DB002"}
    text = repr(rows)
    assert "alpha" not in text and "hq-network" not in text


def test_hq_export_and_formula_injection_is_neutralised(log: dict[str, Any]) -> None:
    record(action=AuditAction.USER_CHANGE, actor=log["hq"], object_type="=HYPERLINK(1)")
    rows = read_csv(session_client(log["hq"]).get("/audit/export.csv?action=user_change"))
    assert rows[0]["object_type"] == "'=HYPERLINK(1)"
    assert AuditEntry.objects.latest("id").dealer is None  # an HQ export belongs to no dealer


def test_invalid_export_filter_exports_nothing(log: dict[str, Any]) -> None:
    client = session_client(log["hq"])
    before = AuditEntry.objects.count()
    response = client.get("/audit/export.csv?date_from=yesterday")
    assert response.status_code == 302
    assert AuditEntry.objects.count() == before


def test_api_scoping(log: dict[str, Any]) -> None:
    hq_rows = results(token_client(log["hq"]).get("/api/audit-entries/?page_size=500"))
    assert {r["detail"].get("note") for r in hq_rows} >= set(NOTES)

    client = token_client(log["a_admin"])
    rows = results(client.get("/api/audit-entries/?page_size=500"))
    assert {r["dealer_code"] for r in rows} == {"DA001"}
    assert client.get(f"/api/audit-entries/{log['b_login'].pk}/").status_code == 404
    assert client.get(f"/api/audit-entries/{log['hq_dealer'].pk}/").status_code == 404
    assert client.get(f"/api/audit-entries/{log['a_login'].pk}/").json()["detail"] == {
        "note": "alpha-login"
    }
    # Read only: no writes whatever the id.
    assert client.post("/api/audit-entries/", {"action": "login"}).status_code == 405
    assert client.delete(f"/api/audit-entries/{log['a_login'].pk}/").status_code == 405
    assert client.delete(f"/api/audit-entries/{log['b_login'].pk}/").status_code in (404, 405)
    assert AuditEntry.objects.filter(pk=log["b_login"].pk).exists()
    filtered = results(client.get("/api/audit-entries/?action=export"))
    assert [r["id"] for r in filtered] == [log["a_export"].pk]


def test_app_role_cannot_see_more_by_raw_sql_either(log: dict[str, Any]) -> None:
    # The audit table is not an RLS table: scoping is the selector's job (tested above), and
    # the runtime role may read it; this pins that assumption.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditentry")
        assert cursor.fetchone()[0] == AuditEntry.objects.count()

"""The bulletin pages: a staff member's inbox, reading page and one-click acknowledgement, the
menu badge; HQ's list, editor, publish / revise / withdraw with bad input refused and nothing
changed; the compliance dashboard, a dealer manager's team status, and the audited export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from bulletins import services
from bulletins.models import Bulletin, BulletinRecipient
from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from tests.factories import signed_in_client

from .conftest import NOW, Network, make_bulletin, recipients

pytestmark = pytest.mark.django_db

DEADLINE = NOW + dt.timedelta(days=5)


def client_of(user: Any) -> Client:
    return signed_in_client(user)


def local(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def row_of(net: Network, code: str, role: str, bulletin: Bulletin) -> BulletinRecipient:
    with as_dealer(net.dealers[code]):
        return BulletinRecipient.objects.get(bulletin=bulletin, user=net.who(code, role))


# --- dealer staff ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["consultant", "service_advisor", "parts_clerk", "dealer_manager"])
def test_every_dealer_role_reads_its_inbox(network: Network, role: str) -> None:
    make_bulletin(network, title="Tyre campaign", requires_ack=True, ack_deadline=DEADLINE)
    page = client_of(network.who("A", role)).get(reverse("bulletins:inbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tyre campaign" in html
    assert 'data-testid="marker-unread"' in html
    assert 'data-testid="marker-ack"' in html
    assert 'data-testid="nav-bulletins-badge"' in html


def test_inbox_filters_and_markers(network: Network) -> None:
    read = make_bulletin(network, title="Already read")
    make_bulletin(network, title="Sign this", requires_ack=True, ack_deadline=DEADLINE)
    consultant = network.who("A", "consultant")
    with as_dealer(network.dealers["A"]):
        services.open_bulletin(user=consultant, bulletin=read)
    client = client_of(consultant)
    unread = client.get(reverse("bulletins:inbox"), {"show": "unread"}).content.decode()
    assert "Sign this" in unread and "Already read" not in unread
    to_ack = client.get(reverse("bulletins:inbox"), {"show": "ack"}).content.decode()
    assert "Sign this" in to_ack and "Already read" not in to_ack
    everything = client.get(reverse("bulletins:inbox"), {"show": "nonsense"}).content.decode()
    assert "Sign this" in everything and "Already read" in everything


def test_inbox_rows_escape_titles_and_show_category_priority_and_revision(
    network: Network,
) -> None:
    """The rows are built in Python (bulletins/inbox_html.py): the title is escaped, the
    category and priority badges, the revision and the link are there."""
    first = make_bulletin(
        network, title="<script>x()</script> & Co", category="recall", priority="urgent"
    )
    services.revise(bulletin=first, actor=network.admin, title=first.title, body="<p>v2</p>")
    html = client_of(network.who("A", "consultant")).get(reverse("bulletins:inbox")).content
    assert b"<script>x()" not in html
    assert b"&lt;script&gt;x()&lt;/script&gt; &amp; Co" in html
    assert f'href="/bulletins/{first.pk}/"'.encode() in html
    assert b'text-bg-danger" data-testid="bulletin-category">Recall notice<' in html
    assert b'data-testid="bulletin-priority"' in html and b"Urgent" in html
    assert "Revised · v2".encode() in html


def test_overdue_marker_after_the_deadline(network: Network, frozen: Any) -> None:
    make_bulletin(network, title="Recall 7", requires_ack=True, ack_deadline=DEADLINE)
    frozen.move_to(DEADLINE + dt.timedelta(hours=1))
    html = client_of(network.who("A", "consultant")).get(reverse("bulletins:inbox")).content
    assert b'data-testid="marker-overdue"' in html


def test_inbox_query_count_does_not_grow_with_rows(network: Network) -> None:
    client = client_of(network.who("A", "consultant"))
    make_bulletin(network, title="one")
    client.get(reverse("bulletins:inbox"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("bulletins:inbox")).status_code == 200
    for n in range(6):
        make_bulletin(network, title=f"more {n}", requires_ack=True, ack_deadline=DEADLINE)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("bulletins:inbox")).status_code == 200
    assert len(many) == len(few)


def test_detail_marks_opened_and_shows_the_sanitised_body(network: Network) -> None:
    bulletin = make_bulletin(
        network, title="Body", body='<p>Safe <b>bold</b></p><script>alert("x")</script>'
    )
    consultant = network.who("A", "consultant")
    page = client_of(consultant).get(reverse("bulletins:detail", args=[bulletin.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<b>bold</b>" in html
    assert 'alert("x")' not in html
    assert row_of(network, "A", "consultant", bulletin).opened_at == NOW


def test_detail_shows_what_changed_in_a_revision(network: Network) -> None:
    bulletin = make_bulletin(network, title="Prices", requires_ack=True, ack_deadline=DEADLINE)
    services.revise(
        bulletin=bulletin,
        actor=network.admin,
        title="Prices",
        body="<p>new</p>",
        note="Table 2 corrected",
        requires_reack=True,
        ack_deadline=DEADLINE + dt.timedelta(days=1),
    )
    html = (
        client_of(network.who("A", "consultant"))
        .get(reverse("bulletins:detail", args=[bulletin.pk]))
        .content.decode()
    )
    assert "Table 2 corrected" in html
    assert "asks everyone to confirm again" in html


def test_acknowledge_by_htmx_is_one_click_and_idempotent(network: Network, frozen: Any) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    client = client_of(network.who("A", "consultant"))
    url = reverse("bulletins:acknowledge", args=[bulletin.pk])
    first = client.post(url, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    assert b'data-testid="ack-done"' in first.content
    # The menu badge comes along out of band, now empty (nothing else to read).
    assert b'id="nav-badge-bulletins" class="ms-auto" hx-swap-oob="true"></span>' in first.content
    frozen.shift(dt.timedelta(minutes=10))
    again = client.post(url, HTTP_HX_REQUEST="true")
    assert b'data-testid="ack-done"' in again.content
    row = row_of(network, "A", "consultant", bulletin)
    assert row.acknowledged_at == NOW  # the first time stays
    assert row.acknowledged_version == 1


def test_acknowledge_without_htmx_redirects_to_the_bulletin(network: Network) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    response = client_of(network.who("A", "consultant")).post(
        reverse("bulletins:acknowledge", args=[bulletin.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("bulletins:detail", args=[bulletin.pk])


def test_a_bulletin_not_targeted_at_the_user_is_not_found(network: Network) -> None:
    only_north = make_bulletin(network, regions=[network.north], title="North only")
    for_service = make_bulletin(network, roles=["service_advisor"], title="Service only")
    withdrawn = make_bulletin(network, title="Gone")
    services.withdraw(bulletin=withdrawn, actor=network.admin)
    south = client_of(network.who("C", "consultant"))
    assert south.get(reverse("bulletins:detail", args=[only_north.pk])).status_code == 404
    assert south.post(reverse("bulletins:acknowledge", args=[only_north.pk])).status_code == 404
    north = client_of(network.who("A", "consultant"))
    assert north.get(reverse("bulletins:detail", args=[for_service.pk])).status_code == 404
    assert north.get(reverse("bulletins:detail", args=[withdrawn.pk])).status_code == 404
    assert north.get(reverse("bulletins:detail", args=[987654])).status_code == 404
    assert "Gone" not in north.get(reverse("bulletins:inbox")).content.decode()


def test_hq_has_no_inbox_and_anonymous_goes_to_login(network: Network) -> None:
    assert client_of(network.admin).get(reverse("bulletins:inbox")).status_code == 403
    response = Client().get(reverse("bulletins:inbox"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_menu_badge_costs_one_query_then_none_while_cached(
    network: Network, django_capture_on_commit_callbacks: Any
) -> None:
    """The badge is one aggregate query on a page with the menu, none while its counts are
    cached; it goes once all is read (acknowledging drops the cached counts)."""
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    consultant = network.who("A", "consultant")
    client = client_of(consultant)

    def badge_queries() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("dashboard")).content.decode()
        return html, len([q for q in queries if "bulletins_bulletinrecipient" in q["sql"]])

    html, first = badge_queries()
    assert 'data-testid="nav-bulletins-badge"' in html and first == 1
    html, again = badge_queries()
    assert 'data-testid="nav-bulletins-badge"' in html and again == 0
    with django_capture_on_commit_callbacks(execute=True), as_dealer(network.dealers["A"]):
        services.acknowledge(user=consultant, bulletin=bulletin)
    html, after = badge_queries()
    assert 'data-testid="nav-bulletins-badge"' not in html and after == 1


def test_a_new_bulletin_shows_in_a_cached_badge(
    network: Network, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_of(network.who("A", "consultant"))
    assert "nav-bulletins-badge" not in client.get(reverse("dashboard")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        make_bulletin(network, title="Fresh")
    assert "nav-bulletins-badge" in client.get(reverse("dashboard")).content.decode()


def test_the_inbox_page_counts_once(network: Network) -> None:
    """The inbox computes the counts for its tabs; the menu badge reuses them. The page's
    statements stay few whatever the number of bulletins (bench/bulletins.py: 5,000)."""
    for title in ("One", "Two", "Three"):
        make_bulletin(network, title=title)
    client = client_of(network.who("A", "consultant"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("bulletins:inbox"))
    assert response.status_code == 200
    aggregates = [q for q in queries if "count(*) FILTER" in q["sql"]]
    assert len(aggregates) == 1
    assert len(queries) <= 8, [q["sql"][:80] for q in queries]


# --- HQ ---------------------------------------------------------------------------------------------


def draft_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Service campaign",
        "body": "<p>Check the <b>brakes</b></p><script>x()</script>",
        "category": "technical",
        "priority": "high",
        "requires_ack": "on",
        "ack_deadline": local(DEADLINE),
        "live_until": "",
        "all_dealers": "",
        "regions": [],
        "groups": [],
        "dealers": [],
        "roles": ["service_advisor"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_hq_creates_edits_publishes_revises_and_withdraws(network: Network) -> None:
    client = client_of(network.admin)
    response = client.post(reverse("bulletins:hq_create"), draft_data(regions=[network.north.pk]))
    assert response.status_code == 302
    bulletin = Bulletin.objects.get(title="Service campaign")
    assert bulletin.status == "draft"
    assert bulletin.body == "<p>Check the <b>brakes</b></p>"
    assert bulletin.target_roles == ["service_advisor"]

    detail = client.get(reverse("bulletins:hq_detail", args=[bulletin.pk])).content.decode()
    assert "Publish this bulletin?" in detail

    response = client.post(
        reverse("bulletins:hq_edit", args=[bulletin.pk]),
        draft_data(title="Service campaign 2", regions=[network.north.pk]),
    )
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.title == "Service campaign 2"

    response = client.post(reverse("bulletins:hq_publish", args=[bulletin.pk]))
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.status == "published"
    # North's active dealers A and B, service advisors only.
    assert recipients(network, bulletin) == {("A", "service_advisor"), ("B", "service_advisor")}
    page = client.get(reverse("bulletins:list")).content.decode()
    assert "Service campaign 2" in page and "0 of 2 acknowledged" in page

    response = client.post(
        reverse("bulletins:hq_revise", args=[bulletin.pk]),
        {
            "title": "Service campaign 2",
            "body": "<p>v2</p>",
            "note": "Torque corrected",
            "requires_reack": "on",
            "ack_deadline": local(DEADLINE + dt.timedelta(days=2)),
        },
    )
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert (bulletin.version, bulletin.ack_version) == (2, 2)

    response = client.post(
        reverse("bulletins:hq_withdraw", args=[bulletin.pk]), {"reason": "superseded"}
    )
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.status == "withdrawn"


def test_hq_bad_input_is_a_form_error_and_nothing_changes(network: Network) -> None:
    client = client_of(network.admin)
    response = client.post(
        reverse("bulletins:hq_create"), draft_data(title="", ack_deadline="", category="x")
    )
    assert response.status_code == 200
    assert b'data-testid="form-errors"' in response.content
    assert not Bulletin.objects.exists()
    response = client.post(reverse("bulletins:hq_create"), draft_data(ack_deadline=""))
    assert response.status_code == 200
    assert "A bulletin to acknowledge needs a deadline." in response.content.decode()
    assert not Bulletin.objects.exists()


def test_publishing_without_an_audience_is_refused(network: Network) -> None:
    client = client_of(network.admin)
    client.post(reverse("bulletins:hq_create"), draft_data())
    bulletin = Bulletin.objects.get()
    response = client.post(reverse("bulletins:hq_publish", args=[bulletin.pk]), follow=True)
    assert "Choose the whole network or at least one region" in response.content.decode()
    bulletin.refresh_from_db()
    assert bulletin.status == "draft"


def test_revision_asking_again_without_a_deadline_is_refused(network: Network) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    response = client_of(network.admin).post(
        reverse("bulletins:hq_revise", args=[bulletin.pk]),
        {"title": "T", "body": "b", "note": "n", "requires_reack": "on"},
    )
    assert response.status_code == 200
    assert "Give the new deadline" in response.content.decode()
    bulletin.refresh_from_db()
    assert bulletin.version == 1


def test_preview_is_sanitised(network: Network) -> None:
    response = client_of(network.admin).post(
        reverse("bulletins:hq_preview"), {"body": "<p onclick='x'>hi</p><script>y</script>"}
    )
    assert response.content.decode().strip() == "<p>hi</p>"


def test_regional_manager_reads_but_does_not_write(network: Network) -> None:
    make_bulletin(network, title="Readable")
    client = client_of(network.north_manager)
    assert "Readable" in client.get(reverse("bulletins:list")).content.decode()
    assert client.get(reverse("bulletins:hq_create")).status_code == 403
    dealer = client_of(network.who("A", "dealer_manager"))
    assert dealer.get(reverse("bulletins:list")).status_code == 403


def test_hq_list_query_count_does_not_grow(network: Network) -> None:
    client = client_of(network.admin)
    make_bulletin(network, title="b0", regions=[network.north])
    client.get(reverse("bulletins:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("bulletins:list"))
    for n in range(5):
        make_bulletin(network, title=f"b{n + 1}", dealers=[network.dealers["C"]])
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("bulletins:list"))
    assert len(many) == len(few)


# --- compliance ---------------------------------------------------------------------------------


def test_compliance_dashboard_for_hq(network: Network, frozen: Any) -> None:
    bulletin = make_bulletin(network, title="Recall", requires_ack=True, ack_deadline=DEADLINE)
    with as_dealer(network.dealers["A"]):
        services.acknowledge(user=network.who("A", "consultant"), bulletin=bulletin)
        services.open_bulletin(user=network.who("A", "parts_clerk"), bulletin=bulletin)
    frozen.move_to(DEADLINE + dt.timedelta(hours=1))
    html = (
        client_of(network.admin)
        .get(reverse("bulletins:compliance", args=[bulletin.pk]), {"sort": "worst"})
        .content.decode()
    )
    assert 'data-testid="compliance-dealers"' in html
    assert "A Parts Clerk" in html  # opened but not acknowledged (and overdue)
    assert 'data-testid="total-overdue">15<' in html  # 16 staff, one acknowledged


def test_regional_manager_sees_only_their_regions(network: Network) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    html = (
        client_of(network.north_manager)
        .get(reverse("bulletins:compliance", args=[bulletin.pk]))
        .content.decode()
    )
    assert 'data-dealer="A"' in html and 'data-dealer="B"' in html
    assert 'data-dealer="C"' not in html


def test_dealer_manager_sees_their_own_staff_only(network: Network) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    client = client_of(network.who("A", "dealer_manager"))
    assert "team-bulletins" in client.get(reverse("bulletins:team")).content.decode()
    html = client.get(reverse("bulletins:compliance", args=[bulletin.pk])).content.decode()
    assert "A Consultant" in html
    assert "C Consultant" not in html
    only_c = make_bulletin(network, dealers=[network.dealers["C"]])
    assert client.get(reverse("bulletins:compliance", args=[only_c.pk])).status_code == 404
    consultant = client_of(network.who("A", "consultant"))
    assert consultant.get(reverse("bulletins:compliance", args=[bulletin.pk])).status_code == 403


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_is_audited(network: Network, file_format: str) -> None:
    bulletin = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    with as_dealer(network.dealers["B"]):
        services.acknowledge(user=network.who("B", "consultant"), bulletin=bulletin)
    response = client_of(network.admin).get(
        reverse("bulletins:compliance_export", args=[bulletin.pk, file_format])
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    if file_format == "csv":
        text = response.content.decode()
        assert "B Consultant" in text and "acknowledged" in text
        assert len(text.strip().splitlines()) == 1 + 16
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row == 1 + 16
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.count == 16
    assert entry.detail["export"] == "bulletin_compliance"


def test_export_unknown_format_is_not_found(network: Network) -> None:
    bulletin = make_bulletin(network)
    response = client_of(network.admin).get(
        reverse("bulletins:compliance_export", args=[bulletin.pk, "pdf"])
    )
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_inbox_pages_by_25(network: Network) -> None:
    for n in range(27):
        make_bulletin(network, title=f"Note {n:02d}", dealers=[network.dealers["A"]])
    client = client_of(network.who("A", "consultant"))
    first = client.get(reverse("bulletins:inbox")).content.decode()
    assert first.count('data-testid="inbox-row"') == 25
    assert "Page 1 of 2" in first
    second = client.get(reverse("bulletins:inbox"), {"page": 2}).content.decode()
    assert second.count('data-testid="inbox-row"') == 2
    assert "Note 00" in second and "Note 26" in first


def test_compliance_page_queries_do_not_grow_with_dealers(network: Network, frozen: Any) -> None:
    small = make_bulletin(
        network, requires_ack=True, ack_deadline=DEADLINE, regions=[network.south]
    )
    large = make_bulletin(network, requires_ack=True, ack_deadline=DEADLINE)
    with as_dealer(network.dealers["A"]):
        services.open_bulletin(user=network.who("A", "consultant"), bulletin=large)
    frozen.move_to(DEADLINE + dt.timedelta(minutes=5))
    client = client_of(network.admin)
    client.get(reverse("bulletins:compliance", args=[small.pk]))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("bulletins:compliance", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("bulletins:compliance", args=[large.pk]))
    assert len(many) <= len(few) + 1  # + the opened-not-acknowledged list (nobody opened small)

"""The grade-progression report credits each row to the consultant who held the lead when it was
graded, not to whoever holds it now: after Dora's book is handed to Eve, Dora's gradings stay
Dora's (column and filter), Eve's own grading is Eve's, and a manager's grading of Dora's lead
is Dora's row "by" the manager. Rows written before the snapshot existed get the best knowledge
there is (the migration's backfill). Another dealer's rows never show."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from dealers.clock import dealer_today
from dealers.handover import services as handover
from dms.tenancy.context import as_dealer
from leads.models import GradeChange, Lead
from leads.services import leads as svc
from tests.factories import LeadFactory, signed_in_client
from tests.handover._world import Book, make_book

pytestmark = pytest.mark.django_db


def _lead(book: Book, index: int) -> Lead:
    with as_dealer(book.dealer):
        return Lead.objects.get(customer=book.customers[index], is_open=True)


def _rows(html: str) -> list[tuple[str, ...]]:
    """(customer, consultant, from, to, by) of each row of the report, newest first."""
    body = html.split('data-testid="grade-table"')[1].split("</tbody>")[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)[1:]:  # [0]: the header
        cells = [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        ]
        if len(cells) == 6:  # not the "No grade changes yet." row
            rows.append((cells[1].split(" ")[-1], *cells[2:]))
    return rows


@pytest.fixture
def book() -> Book:
    """Dora graded two of her leads and the manager one; then her book went to Eve, who graded
    one of them herself."""
    book = make_book(extras=False)
    with as_dealer(book.dealer):
        svc.set_grade(lead=_lead(book, 0), grade="A", actor=book.dora)  # Kunde0: H → A
        svc.set_grade(lead=_lead(book, 2), grade="H", actor=book.dora)  # Kunde2: B → H
        svc.set_grade(lead=_lead(book, 1), grade="B", actor=book.manager)  # Kunde1: A → B
        batch = handover.plan_batch(
            dealer=book.dealer, from_user=book.dora, actor=book.manager, targets=[book.eve]
        )
        handover.apply_batch(batch=batch, actor=book.manager)
        svc.set_grade(lead=_lead(book, 3), grade="A", actor=book.eve)  # Kunde3: C → A
    return book


def test_rows_stay_credited_to_who_held_the_lead_after_a_handover(book: Book) -> None:
    client = signed_in_client(book.manager)
    url = reverse("leads:grade_table")
    rows = _rows(client.get(url).content.decode())
    assert rows == [
        ("Kunde3", "Eve Early", "C", "A", "Eve Early"),
        ("Kunde1", "Dora Departing", "A", "B", "Mona Manager"),
        ("Kunde2", "Dora Departing", "B", "H", "Dora Departing"),
        ("Kunde0", "Dora Departing", "H", "A", "Dora Departing"),
    ]
    # Filtered: Eve's own work only; Dora's three rows under Dora, although Eve holds the leads.
    eve = _rows(client.get(url, {"consultant": book.eve.pk}).content.decode())
    assert [r[0] for r in eve] == ["Kunde3"]
    dora = _rows(client.get(url, {"consultant": book.dora.pk}).content.decode())
    assert [r[0] for r in dora] == ["Kunde1", "Kunde2", "Kunde0"]


def test_a_consultant_who_left_can_still_be_chosen(book: Book) -> None:
    with as_dealer(book.dealer):
        handover.mark_leaving(
            membership=book.dora_membership,
            leaving_on=dealer_today(book.dealer),
            actor=book.manager,
        )
    book.dora.refresh_from_db()
    assert not book.dora.is_active
    html = signed_in_client(book.manager).get(reverse("leads:grade_table")).content.decode()
    choices = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', html)
    assert (str(book.dora.pk), "Dora Departing") in choices
    assert (str(book.eve.pk), "Eve Early") in choices


def test_the_new_owner_sees_the_history_of_her_leads_credited_to_dora(book: Book) -> None:
    rows = _rows(signed_in_client(book.eve).get(reverse("leads:grade_table")).content.decode())
    assert [(r[0], r[1]) for r in rows] == [
        ("Kunde3", "Eve Early"),
        ("Kunde1", "Dora Departing"),
        ("Kunde2", "Dora Departing"),
        ("Kunde0", "Dora Departing"),
    ]


def test_another_dealers_rows_never_show(book: Book) -> None:
    other = make_book(extras=False)
    with as_dealer(other.dealer):
        svc.set_grade(lead=_lead(other, 0), grade="C", actor=other.dora)
    client = signed_in_client(book.manager)
    url = reverse("leads:grade_table")
    html = client.get(url).content.decode()
    assert len(_rows(html)) == 4  # the other dealer's Kunde0 (graded C) is not among them
    assert ("Kunde0", "Dora Departing", "H", "C", "Dora Departing") not in _rows(html)
    assert f'value="{other.dora.pk}"' not in html
    foreign = client.get(url, {"consultant": other.dora.pk})
    assert foreign.status_code == 200 and _rows(foreign.content.decode()) == []


def test_backfill_credits_old_rows_to_the_holder_then_or_whoever_graded(book: Book) -> None:
    """The migration's UPDATE on rows without a snapshot: the lead moved (handover) after
    Dora's and the manager's gradings, so those go to whoever graded (Dora, and the manager: the
    best there is); Eve's came after the move, so the lead's consultant (Eve)."""
    migration: Any = importlib.import_module("leads.migrations.0010_grade_change_consultant")
    with as_dealer(book.dealer):
        expected = dict(GradeChange.objects.values_list("pk", "consultant_id"))
        GradeChange.objects.update(consultant=None)
        untouched = LeadFactory(customer=book.other_customer, consultant=book.eve)
        GradeChange.objects.create(
            dealer=book.dealer, lead=untouched, to_grade="B", changed_by=None
        )  # no grader known, never moved: the lead's consultant
        GradeChange.objects.filter(lead=untouched).update(consultant=None)
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)
    with as_dealer(book.dealer):
        got = dict(GradeChange.objects.values_list("pk", "consultant_id"))
        manager_row = GradeChange.objects.get(changed_by=book.manager).pk
        untouched_row = GradeChange.objects.get(lead=untouched).pk
    expected[manager_row] = book.manager.pk  # made before the move, by the manager
    expected[untouched_row] = book.eve.pk
    assert got == expected

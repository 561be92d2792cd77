"""Reassignment services: bad input, preview, apply, idempotency, cross-dealer refusal."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dealers.handover import selectors, services
from dealers.models import Membership, ReassignmentBatch, ReassignmentItem
from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from leads.models import Customer, FollowUp, Lead, Notification, TimelineEvent
from tests.factories import DealerFactory, DealerGroupFactory, staff

from ._world import Book, held_by, make_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def book() -> Book:
    return make_book()


def _plan(book: Book, **kwargs: Any) -> ReassignmentBatch:
    kwargs.setdefault("targets", [book.eve, book.finn])
    with as_dealer(book.dealer):
        return services.plan_batch(
            dealer=book.dealer, from_user=book.dora, actor=book.manager, **kwargs
        )


def _apply(book: Book, batch: ReassignmentBatch) -> ReassignmentBatch:
    with as_dealer(book.dealer):
        return services.apply_batch(batch=batch, actor=book.manager)


def test_book_lists_everything_the_person_holds(book: Book) -> None:
    with as_dealer(book.dealer):
        summary = selectors.book_of(dealer=book.dealer, user_id=book.dora.pk)
    assert summary.customers == 4
    assert summary.open_leads == 5  # 4 + the order's lead
    assert dict(summary.leads_by_grade)["H"] == 1
    assert summary.open_follow_ups == 4
    assert summary.future_test_drives == 1
    assert summary.open_orders == 1


def test_preview_changes_nothing(book: Book) -> None:
    before = held_by(book.dealer, book.dora)
    batch = _plan(book)
    assert held_by(book.dealer, book.dora) == before
    with as_dealer(book.dealer):
        items = list(ReassignmentItem.objects.filter(batch=batch))
        assert batch.status == "draft"
        # round robin: every customer of Dora's, split evenly
        assert {i.customer_id for i in items} >= {c.pk for c in book.customers}
        per = {u: sum(1 for i in items if i.to_user_id == u) for u in (book.eve.pk, book.finn.pk)}
        assert abs(per[book.eve.pk] - per[book.finn.pk]) <= 1
        assert not Notification.objects.filter(kind="handover").exists()
        assert not TimelineEvent.objects.filter(kind="handover").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"targets": []}, "at least one consultant"),
        ({"strategy": "coin_toss"}, "Unknown distribution"),
        ({"grade_rules": {"Z": None, "X": 1}}, "Unknown grade"),
    ],
)
def test_plan_bad_input_is_refused_and_changes_nothing(
    book: Book, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as err:
        _plan(book, **kwargs)
    assert message in str(err.value)
    with as_dealer(book.dealer):
        assert not ReassignmentBatch.objects.exists()


def test_cannot_hand_to_the_departing_person_or_a_non_sales_role(book: Book) -> None:
    clerk = staff(book.dealer, "parts_clerk", first_name="Paul", last_name="Parts")
    with pytest.raises(ValidationError, match="person they are taken from"):
        _plan(book, targets=[book.dora])
    with pytest.raises(ValidationError, match="Paul Parts cannot receive"):
        _plan(book, targets=[clerk])


def test_target_of_another_dealer_in_the_same_group_is_refused(book: Book) -> None:
    group = DealerGroupFactory()
    book.dealer.group = group
    book.dealer.save()
    sister = DealerFactory(group=group)
    stranger = staff(sister, "consultant", first_name="Sam", last_name="Sister")
    with pytest.raises(ValidationError, match="never crosses dealers"):
        _plan(book, targets=[book.eve, stranger])
    # also when a draft is edited by hand, and when applying a tampered draft
    batch = _plan(book)
    with as_dealer(book.dealer), pytest.raises(ValidationError, match="never crosses dealers"):
        services.reassign_items(batch=batch, to_user=stranger, actor=book.manager, grade="H")
    with as_dealer(book.dealer):
        ReassignmentItem.objects.filter(batch=batch).update(to_user=stranger)
    before = held_by(book.dealer, book.dora)
    with pytest.raises(ValidationError, match="never crosses dealers"):
        _apply(book, batch)
    assert held_by(book.dealer, book.dora) == before
    assert held_by(book.dealer, stranger)["customers"] == 0


def test_apply_moves_exactly_the_right_rows(book: Book) -> None:
    eve_before = held_by(book.dealer, book.eve)
    batch = _plan(book)
    with CaptureQueriesContext(connection) as queries:
        applied = _apply(book, batch)
    assert applied.status == "applied"
    dora = held_by(book.dealer, book.dora)
    assert dora == {"customers": 0, "open_leads": 0, "follow_ups": 0, "test_drives": 0, "orders": 0}
    eve, finn = held_by(book.dealer, book.eve), held_by(book.dealer, book.finn)
    assert eve["customers"] - eve_before["customers"] + finn["customers"] == 4
    assert eve["follow_ups"] + finn["follow_ups"] == 4
    assert eve["test_drives"] + finn["test_drives"] == 1
    assert eve["orders"] + finn["orders"] == 1
    with as_dealer(book.dealer):
        # each customer's open leads and follow-ups went with the card, to the same person
        for customer in Customer.objects.filter(pk__in=[c.pk for c in book.customers]):
            assert set(
                Lead.objects.filter(customer=customer, is_open=True).values_list(
                    "consultant_id", flat=True
                )
            ) == {customer.owner_id}
            assert set(
                FollowUp.objects.filter(customer=customer, done_at__isnull=True).values_list(
                    "owner_id", flat=True
                )
            ) <= {customer.owner_id}
        # the won deal keeps Dora, consultant and credit; done follow-ups stay with her
        assert book.won is not None
        book.won.refresh_from_db()
        assert book.won.consultant_id == book.dora.pk and book.won.credited_to_id == book.dora.pk
        assert FollowUp.objects.filter(owner=book.dora, done_at__isnull=False).count() == 1
        # eve's own customer untouched
        assert book.other_customer is not None
        book.other_customer.refresh_from_db()
        assert book.other_customer.owner_id == book.eve.pk
        # one notification per new owner, with the count
        notes = Notification.objects.filter(kind="handover")
        assert sorted(n.user_id for n in notes) == sorted([book.eve.pk, book.finn.pk])
        assert all("Dora Departing" in n.text for n in notes)
        # one timeline line per customer
        assert TimelineEvent.objects.filter(kind="handover", ref_id=batch.pk).count() == 4
    audits = AuditEntry.objects.filter(action=AuditAction.BULK_CHANGE, object_id=str(batch.pk))
    assert audits.count() == 1
    entry = audits.get()
    assert entry.count == 4 and entry.actor_id == book.manager.pk
    assert entry.detail["batch"] == batch.pk and entry.detail["follow_ups"] == 4
    # set-based: per receiver one UPDATE per table, never per-row
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    per_table: dict[str, int] = {}
    for sql in updates:
        table = sql.split('"')[1]
        per_table[table] = per_table.get(table, 0) + 1
    for table in ("leads_customer", "leads_lead", "leads_followup"):
        assert per_table[table] == 2, (table, per_table)  # one per receiver
    for table in ("sales_testdrive", "sales_order", "leads_ownershipclaim"):
        assert per_table[table] == 1, (table, per_table)  # one for all receivers


def test_apply_twice_is_a_no_op(book: Book) -> None:
    batch = _plan(book)
    _apply(book, batch)
    with as_dealer(book.dealer):
        snapshot = list(Customer.objects.order_by("pk").values_list("pk", "owner_id"))
        timeline = TimelineEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        again = _apply(book, batch)
    assert again.status == "applied"
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    with as_dealer(book.dealer):
        assert list(Customer.objects.order_by("pk").values_list("pk", "owner_id")) == snapshot
        assert TimelineEvent.objects.count() == timeline
    assert AuditEntry.objects.filter(action=AuditAction.BULK_CHANGE).count() == 1


def test_second_conflicting_batch_is_refused_whole(book: Book) -> None:
    first = _plan(book, targets=[book.eve])
    second = _plan(book, targets=[book.finn])
    _apply(book, first)
    with pytest.raises(ValidationError, match="no longer held by Dora Departing"):
        _apply(book, second)
    assert held_by(book.dealer, book.finn)["customers"] == 0
    with as_dealer(book.dealer):
        second.refresh_from_db()
        assert second.status == "draft"


def test_balance_strategy_feeds_the_least_loaded_first(book: Book) -> None:
    # eve already holds 1 open lead (her own customer); finn none
    batch = _plan(book, strategy="balance")
    with as_dealer(book.dealer):
        summary = {s.user_id: s for s in selectors.batch_summary(batch=batch)}
    loads = {
        book.eve.pk: summary[book.eve.pk].open_leads + 1,
        book.finn.pk: summary[book.finn.pk].open_leads,
    }
    assert abs(loads[book.eve.pk] - loads[book.finn.pk]) <= 1


def test_grade_rule_and_manual_item_choice(book: Book) -> None:
    batch = _plan(book, grade_rules={"H": book.finn}, targets=[book.eve])
    with as_dealer(book.dealer):
        items = {i.grade: i for i in ReassignmentItem.objects.filter(batch=batch)}
        assert items["H"].to_user_id == book.finn.pk
        assert all(i.to_user_id == book.eve.pk for g, i in items.items() if g != "H")
        moved = services.reassign_items(
            batch=batch, to_user=book.finn, actor=book.manager, item_ids=[items["C"].pk]
        )
        assert moved == 1
        batch.refresh_from_db()
        assert batch.strategy == "manual"
    _apply(book, batch)
    with as_dealer(book.dealer):
        h_customer = items["H"].customer_id
        assert Customer.objects.get(pk=h_customer).owner_id == book.finn.pk


def test_applied_batch_cannot_be_edited(book: Book) -> None:
    batch = _plan(book)
    _apply(book, batch)
    with as_dealer(book.dealer), pytest.raises(ValidationError, match="can no longer be changed"):
        services.reassign_items(batch=batch, to_user=book.eve, actor=book.manager, grade="H")


def test_nothing_to_hand_over(book: Book) -> None:
    with as_dealer(book.dealer), pytest.raises(ValidationError, match="holds no customers"):
        services.plan_batch(
            dealer=book.dealer, from_user=book.finn, actor=book.manager, targets=[book.eve]
        )


def test_membership_unchanged_by_planning(book: Book) -> None:
    _plan(book)
    assert Membership.objects.get(user=book.dora, dealer=book.dealer).is_active

"""Normalised identifiers: every spelling of one number is one E.164 string; bad input is a
clear error and registers nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from dms.tenancy.context import as_dealer
from leads.models import Customer, Lead, TimelineEvent, Visit
from leads.services.customers import register_contact
from leads.services.normalize import (
    format_phone,
    normalize_email,
    normalize_national_id,
    normalize_phone,
)
from tests.leads._funnel import Shop, make_shop


@pytest.mark.parametrize(
    "raw",
    [
        "030 1234567",
        "030/1234567",
        "(030) 123-4567",
        "+49 30 1234567",
        "+49 (0)30 1234567",
        "0049 30 1234567",
        "  +4930 12 34 567 ",
    ],
)
def test_german_formats_become_the_same_e164(raw: str) -> None:
    assert normalize_phone(raw, "DE") == "+49301234567"


def test_region_decides_national_numbers() -> None:
    assert normalize_phone("020 7946 0958", "GB") == "+442079460958"
    assert normalize_phone("03-1234-5678", "JP") == "+81312345678"
    # An international number is the same whatever the dealer's country.
    assert normalize_phone("+44 20 7946 0958", "DE") == "+442079460958"


@pytest.mark.parametrize("raw", ["12", "abc", "030", "+49 1", "0000000000000000000"])
def test_bad_phone_is_a_clear_error(raw: str) -> None:
    with pytest.raises(ValidationError) as exc:
        normalize_phone(raw, "DE")
    assert "phone number" in " ".join(exc.value.messages)


def test_empty_phone_is_empty() -> None:
    assert normalize_phone("", "DE") == ""
    assert normalize_phone("   ", "DE") == ""
    assert normalize_phone(None, "DE") == ""


def test_format_phone_is_readable() -> None:
    assert format_phone("+49301234567") == "+49 30 1234567"
    assert format_phone("") == ""


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Anna.Schmidt@Example.COM ") == "anna.schmidt@example.com"
    assert normalize_email("") == ""
    with pytest.raises(ValidationError) as exc:
        normalize_email("anna@")
    assert "not a valid e-mail address" in exc.value.messages[0]


def test_national_id_drops_separators() -> None:
    assert normalize_national_id("l01x 00t-47.1") == "L01X00T471"
    assert normalize_national_id("") == ""
    with pytest.raises(ValidationError):
        normalize_national_id(" - . ")


@pytest.fixture
def shop(db: Any) -> Shop:
    return make_shop()


def _counts(shop: Shop) -> tuple[int, int, int, int]:
    with as_dealer(shop.dealer):
        return (
            Customer.objects.count(),
            Lead.objects.count(),
            Visit.objects.count(),
            TimelineEvent.objects.count(),
        )


def test_registration_with_a_bad_phone_creates_nothing(shop: Shop) -> None:
    before = _counts(shop)
    with as_dealer(shop.dealer), pytest.raises(ValidationError) as exc:
        register_contact(
            dealer=shop.dealer,
            actor=shop.alice,
            kind="walk_in",
            source_code="walk_in",
            name="Anna Schmidt",
            phone="12345",
        )
    assert "phone" in exc.value.message_dict
    assert _counts(shop) == before


def test_registration_needs_name_and_a_way_to_reach_them(shop: Shop) -> None:
    with as_dealer(shop.dealer), pytest.raises(ValidationError) as exc:
        register_contact(dealer=shop.dealer, actor=shop.alice, kind="walk_in", source_code="nope")
    errors = exc.value.message_dict
    assert {"name", "phone", "source"} <= set(errors)
    assert _counts(shop) == (0, 0, 0, 0)


def test_slightly_different_phone_format_finds_the_same_customer(shop: Shop) -> None:
    with as_dealer(shop.dealer):
        first = register_contact(
            dealer=shop.dealer,
            actor=shop.alice,
            kind="walk_in",
            source_code="walk_in",
            name="Anna Schmidt",
            phone="030 1234567",
        )
        second = register_contact(
            dealer=shop.dealer,
            actor=shop.alice,
            kind="phone",
            source_code="phone",
            name="A. Schmidt",
            phone="+49 (0)30 123 45 67",
        )
        assert first.customer is not None and second.customer is not None
        assert second.customer.pk == first.customer.pk
        assert not second.created_customer
        assert Customer.objects.count() == 1
        assert Customer.objects.get().phone == "+49301234567"

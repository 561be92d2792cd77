"""Forms a person can trust (issue 13, item 8), in the showroom: a closed lead is refused when
its quote or test-drive form is opened, the quote summary prices what the form shows (a
preselected trim, the car after a refused figure), one message for a discount beyond the price,
every problem at once, the page's own address after a refusal, licence numbers checked by
country, the feedback note bounded."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealers.clock import dealer_today
from dms.tenancy.context import as_dealer
from inventory.models import VehicleModel
from leads.models import Customer, Lead, Stage
from sales import services
from sales.licences import clean_licence_number
from sales.models import Quote
from sales.models import TestDrive as Drive
from tests.sales.conftest import Showroom
from tests.ui.helpers import text_of

pytestmark = pytest.mark.django_db


def close(lead: Lead) -> None:
    Lead.objects.filter(pk=lead.pk).update(is_open=False, stage=Stage.LOST)


# --- a closed lead: refused when the form is opened ------------------------------------------------


def test_quote_and_test_drive_forms_refuse_a_closed_lead_when_opened(
    room: Showroom, signed_in: Any
) -> None:
    lead = room.lead()
    quote = room.quote(lead)
    with as_dealer(room.dealer):
        close(lead)
    client = signed_in(room.alice)
    lead_page = reverse("leads:lead_detail", args=[lead.pk])
    for url, message in (
        (reverse("sales:quote_create", args=[lead.pk]), "This lead is closed: no new quote."),
        (
            reverse("sales:testdrive_create", args=[lead.pk]),
            "This lead is closed: reopen it before booking a test drive.",
        ),
    ):
        opened = client.get(url)
        assert (opened.status_code, opened["Location"]) == (303, lead_page), url
        page = client.get(lead_page).content.decode()
        assert text_of(page).count(message) == 1
        assert client.post(url, {"trim": "A3-CORE"}).status_code == 303
    edit = client.get(reverse("sales:quote_edit", args=[quote.pk]))
    assert edit["Location"] == reverse("sales:quote_detail", args=[quote.pk])
    assert "the quote cannot change" in client.get(edit["Location"]).content.decode()
    with as_dealer(room.dealer):
        assert Quote.objects.filter(lead=lead).count() == 1
        assert not Drive.objects.filter(lead=lead).exists()


# --- the summary prices what the form shows ------------------------------------------------------


def test_the_summary_prices_a_preselected_trim_when_the_page_opens(
    room: Showroom, signed_in: Any
) -> None:
    lead = room.lead(vehicle_model=VehicleModel.objects.get(code="A3"))
    page = signed_in(room.alice).get(reverse("sales:quote_create", args=[lead.pk]))
    html = page.content.decode()
    assert '<option value="A3-CORE" selected>' in html  # the lead's model, its first trim
    assert 'data-testid="quote-total"' in html
    assert "Choose a model and trim" not in html


def test_a_discount_beyond_the_price_gives_one_message_and_the_car_stays_priced(
    room: Showroom, signed_in: Any
) -> None:
    lead = room.lead()
    client = signed_in(room.alice)
    url = reverse("sales:quote_create", args=[lead.pk])
    body = {"trim": "A3-CORE", "discount": "999999", "trade_in_value": "0", "payment": "cash"}
    response = client.post(url, body, follow=True)
    assert response.redirect_chain[-1] == (f"{url}#quote-form", 303)  # the page, not the POST
    text = text_of(response.content.decode())
    assert text.count("The discount cannot exceed the price") == 1
    assert "trade-in value cannot exceed" not in text and "EUR -" not in text
    assert 'data-testid="quote-subtotal"' in response.content.decode()  # the car's price
    assert "Correct the fields marked in red" in text
    with as_dealer(room.dealer):
        assert not Quote.objects.filter(lead=lead).exists()
    again = client.get(url).content.decode()  # a reload: a fresh form, nothing sent again
    assert "The discount cannot exceed the price" not in again


def test_every_problem_of_the_quote_at_once(room: Showroom, signed_in: Any) -> None:
    """The form's own checks (a term beyond 120 months) and the pricing's (a past validity
    date, a discount beyond the price, the rate missing) in one answer."""
    lead = room.lead()
    client = signed_in(room.alice)
    url = reverse("sales:quote_create", args=[lead.pk])
    yesterday = dealer_today(room.dealer) - dt.timedelta(days=1)
    body = {
        "trim": "A3-CORE",
        "discount": "999999",
        "trade_in_value": "0",
        "payment": "finance",
        "term_months": "999",
        "valid_until": yesterday.isoformat(),
    }
    text = text_of(client.post(url, body, follow=True).content.decode())
    for problem in (
        "Ensure this value is less than or equal to 120.",
        "The validity date cannot be in the past.",
        "The discount cannot exceed the price",
        "Give the annual interest rate (0 for none).",
    ):
        assert text.count(problem) == 1, problem


def test_the_live_summary_puts_each_error_under_its_field_not_in_the_summary(
    room: Showroom, signed_in: Any
) -> None:
    lead = room.lead()
    preview = signed_in(room.alice).post(
        reverse("sales:quote_preview", args=[lead.pk]),
        {"trim": "A3-CORE", "discount": "999999", "trade_in_value": "0", "payment": "cash"},
        HTTP_HX_REQUEST="true",
    )
    html = preview.content.decode()
    summary = html.split('<div id="errors-')[0]
    assert "cannot exceed" not in text_of(summary)
    assert re.search(
        r'<div id="errors-discount" hx-swap-oob="true">.*The discount cannot exceed the price',
        html,
        re.S,
    )
    assert html.count("The discount cannot exceed the price") == 1
    assert 'data-testid="quote-subtotal"' in summary


def test_a_quote_within_the_price_is_priced_in_full(room: Showroom, signed_in: Any) -> None:
    lead = room.lead()
    preview = signed_in(room.alice).post(
        reverse("sales:quote_preview", args=[lead.pk]),
        {"trim": "A3-CORE", "discount": "500", "trade_in_value": "0", "payment": "cash"},
        HTTP_HX_REQUEST="true",
    )
    html = preview.content.decode()
    assert 'data-testid="quote-total"' in html and "Correct the fields" not in html


# --- licence numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "typed", "kept"),
    [
        ("DE", "b072rre2i55", "B072RRE2I55"),
        ("DE", "B072 RRE2I 55", "B072RRE2I55"),
        ("NL", "5012345678", "5012345678"),
        ("GB", "MORGA753116SM9IJ", "MORGA753116SM9IJ"),
        ("ES", "12345678-Z", "12345678Z"),
        ("ES", "X1234567L", "X1234567L"),
        ("PL", "12345/08/1234", "12345081234"),  # no known form: letters and digits
    ],
)
def test_licence_numbers_of_known_forms(country: str, typed: str, kept: str) -> None:
    assert clean_licence_number(typed, country) == kept


@pytest.mark.parametrize(
    ("country", "typed"),
    [("DE", "B1"), ("NL", "501234567"), ("GB", "MORGAN"), ("ES", "12345678A"), ("PL", "1234")],
)
def test_licence_numbers_that_are_not(country: str, typed: str) -> None:
    with pytest.raises(ValidationError):
        clean_licence_number(typed, country)


def test_check_out_checks_the_licence_for_the_customers_country(room: Showroom) -> None:
    lead = room.lead()
    drive = room.drive(lead, room.at(room.tomorrow, 10))
    kwargs = {"licence_checked": True, "consent": True, "km_out": 1200, "actor": room.alice}
    with as_dealer(room.dealer), pytest.raises(ValidationError) as refused:
        services.check_out_test_drive(test_drive=drive, licence_number="12345", **kwargs)
    assert refused.value.message_dict["licence_number"] == [
        "This is not the number of a driving licence from Germany (for example B072RRE2I55)."
    ]
    with as_dealer(room.dealer):
        Customer.objects.filter(pk=lead.customer_id).update(country="NL")
        services.check_out_test_drive(test_drive=drive, licence_number="50 1234 5678", **kwargs)
        drive.refresh_from_db()
    assert drive.licence_number == "5012345678"


def test_the_check_out_form_names_the_licences_country(room: Showroom, signed_in: Any) -> None:
    drive = room.drive(room.lead(), room.at(room.tomorrow, 10))
    page = signed_in(room.alice).get(reverse("sales:testdrive_detail", args=[drive.pk]))
    assert "A licence from Germany, e.g. B072RRE2I55." in text_of(page.content.decode())


# --- the feedback note is bounded -----------------------------------------------------------------


def test_the_feedback_textarea_is_bounded_in_the_page_and_the_service(
    room: Showroom, signed_in: Any
) -> None:
    drive = room.drive(room.lead(), room.at(room.tomorrow, 10))
    with as_dealer(room.dealer):
        services.check_out_test_drive(
            test_drive=drive,
            actor=room.alice,
            licence_number="B072RRE2I55",
            licence_checked=True,
            consent=True,
            km_out=1200,
        )
    page = signed_in(room.alice).get(reverse("sales:testdrive_detail", args=[drive.pk]))
    assert re.search(r'<textarea name="feedback"[^>]*maxlength="2000"', page.content.decode())
    with as_dealer(room.dealer), pytest.raises(ValidationError) as refused:
        services.check_in_test_drive(
            test_drive=drive, actor=room.alice, km_in=1300, outcome="ok", feedback="x" * 2001
        )
    assert refused.value.message_dict["feedback"] == ["At most 2000 characters."]
    with as_dealer(room.dealer):
        assert Drive.objects.get(pk=drive.pk).status == Drive.Status.OUT


def test_saving_a_sent_quote_through_the_page_makes_a_new_version(
    room: Showroom, signed_in: Any
) -> None:
    lead = room.lead()
    quote = room.quote(lead)
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
    client = signed_in(room.alice)
    body = {"trim": "A3-CORE", "discount": "100", "trade_in_value": "0", "payment": "cash"}
    saved = client.post(reverse("sales:quote_edit", args=[quote.pk]), body, follow=True)
    number = services.quote_number(quote)
    assert f"Quote {number} had been sent: your changes are version" in text_of(
        saved.content.decode()
    )

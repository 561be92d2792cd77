"""Forms a person can trust (issue 13, item 8), on the funnel's pages: every problem at once,
each said once and where it belongs, the page's own address after a refusal (a reload shows the
page, it sends nothing), countries and postal codes checked, notes bounded."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from django import forms
from django.urls import reverse

from dms import addresses
from dms.tenancy.context import as_dealer
from leads.models import Customer, Lead, Stage
from leads.services import customers as customer_services
from tests.api.support import session_client
from tests.leads._funnel import Shop, make_shop
from tests.leads.test_customers_card import card_form, registered, snapshot
from tests.ui.helpers import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def errors_in(html: str) -> list[str]:
    """Every error the page shows: field errors, form alerts and message banners."""
    found = re.findall(
        r'class="(?:invalid-feedback|alert alert-danger)[^"]*"[^>]*>(.*?)</div>', html, re.S
    )
    return [" ".join(text_of(f).split()) for f in found]


# --- the page's own address, a reload that sends nothing ------------------------------------------


def test_a_refused_lead_action_comes_back_on_the_leads_page_once(shop: Shop) -> None:
    lead = shop.lead(shop.alice)
    client = session_client(shop.alice)
    page = reverse("leads:lead_detail", args=[lead.pk])
    response = client.post(reverse("leads:lead_action", args=[lead.pk, "activity"]), {"kind": "x"})
    assert response.status_code == 303
    assert response["Location"] == f"{page}#action-activity"

    html = client.get(response["Location"]).content.decode()
    problem = "Select a valid choice. x is not one of the available choices."
    assert text_of(html).count(problem) == 1  # at the form only: no banner repeating it
    assert 'data-testid="action-errors-activity"' in html
    assert 'class="messages"' not in html

    reload = client.get(page).content.decode()  # a reload: the page as it is, nothing again
    assert problem not in text_of(reload)


def test_a_stage_refused_by_the_playbook_says_so_once(shop: Shop) -> None:
    lead = shop.lead(shop.alice)
    client = session_client(shop.alice)
    response = client.post(
        reverse("leads:lead_action", args=[lead.pk, "stage"]), {"stage": "visited"}
    )
    html = client.get(response["Location"]).content.decode()
    gate = [e for e in errors_in(html) if "playbook requires" in e]
    assert len(gate) == 1, errors_in(html)
    with as_dealer(shop.dealer):
        assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW


def test_a_refused_action_whose_form_is_gone_is_said_in_a_message(shop: Shop) -> None:
    lead = shop.lead(shop.alice)
    client = session_client(shop.alice)
    with as_dealer(shop.dealer):
        Lead.objects.filter(pk=lead.pk).update(is_open=False, stage=Stage.LOST)
    response = client.post(reverse("leads:lead_action", args=[lead.pk, "grade"]), {"grade": "A"})
    html = client.get(response["Location"]).content.decode()
    assert text_of(html).count("This lead is closed.") == 1


# --- the customer card: every problem at once ---------------------------------------------------


def test_the_card_shows_every_problem_at_once(shop: Shop) -> None:
    """A wrong budget (the form's check) no longer hides a wrong phone, country or postal code
    (the card's own checks): one save, every message, each under its field."""
    customer = registered(shop, shop.alice)
    before = snapshot(shop)
    client = session_client(shop.alice)
    url = reverse("leads:customer-edit", args=[customer.pk])
    response = client.post(
        url,
        card_form(customer, budget="lots", phone="12", postal_code="1011", email="a@b"),
        follow=True,
    )
    assert response.redirect_chain[-1] == (f"{url}#customer-form", 303)
    errors = errors_in(response.content.decode())
    assert any("Enter a number" in e for e in errors), errors
    assert any("not a valid phone number" in e for e in errors), errors
    assert any("not a postal code of Germany" in e for e in errors), errors
    assert any("e-mail" in e.lower() for e in errors), errors
    assert len(errors) == len(set(errors)) == 4, errors  # each once
    assert snapshot(shop) == before


def test_a_new_card_without_name_or_contact_says_both(shop: Shop) -> None:
    client = session_client(shop.alice)
    url = reverse("leads:customer-add")
    response = client.post(url, {"kind": "person", "budget": "-5", "country": "DE"}, follow=True)
    text = text_of(response.content.decode())
    assert "Enter the customer's name." in text
    assert "Enter a phone number or an e-mail address to reach the customer." in text
    assert "Ensure this value is greater than or equal to 0." in text
    with as_dealer(shop.dealer):
        assert not Customer.objects.exists()


def test_country_and_postal_code_are_checked_and_written_the_countrys_way(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    client = session_client(shop.alice)
    url = reverse("leads:customer-edit", args=[customer.pk])
    bad = client.post(url, card_form(customer, country="XX"), follow=True)
    assert "Select a valid choice. XX is not one of the available choices." in text_of(
        bad.content.decode()
    )
    ok = client.post(url, card_form(customer, country="NL", postal_code="1012ab", city="Amsterdam"))
    assert ok.status_code == 302
    with as_dealer(shop.dealer):
        customer.refresh_from_db()
    assert (customer.country, customer.postal_code) == ("NL", "1012 AB")
    page = client.get(url).content.decode()
    assert '<option value="NL" selected>Netherlands</option>' in page  # names, not codes
    # The API writes through the same checks.
    with as_dealer(shop.dealer), pytest.raises(customer_services.ValidationError) as refused:
        customer_services.update_customer(
            customer=customer, actor=shop.alice, data={"country": "DE", "postal_code": "1012 AB"}
        )
    assert "postal_code" in refused.value.message_dict


@pytest.mark.parametrize(
    ("country", "typed", "written"),
    [
        ("DE", "10115", "10115"),
        ("NL", "1012ab", "1012 AB"),
        ("PL", "00950", "00-950"),
        ("FR", "75 001", "75001"),
        ("IT", "00118", "00118"),
        ("GB", "sw1a1aa", "SW1A 1AA"),
        ("US", "10001 1234", "10001-1234"),
        ("BR", "01310-100", "01310-100"),  # not in the table: a plain check
    ],
)
def test_postal_codes(country: str, typed: str, written: str) -> None:
    assert addresses.clean_postal_code(typed, country) == written


@pytest.mark.parametrize(
    ("country", "typed"),
    [("DE", "1011"), ("NL", "12345"), ("PL", "00-95"), ("IT", "ABCDE"), ("BR", "!?"), ("BR", "X")],
)
def test_wrong_postal_codes(country: str, typed: str) -> None:
    with pytest.raises(addresses.ValidationError):
        addresses.clean_postal_code(typed, country)


def test_the_country_list_is_iso_and_named_in_the_readers_language() -> None:
    from django.utils.translation import override

    assert {"DE", "NL", "FR", "IT", "PL", "GB", "JP", "CN", "US", "XK"} <= addresses.COUNTRIES
    assert "AC" not in addresses.COUNTRIES and "ZZ" not in addresses.COUNTRIES
    with override("ja"):
        assert addresses.country_name("DE") == "ドイツ"
    with override("zh-hans"):
        assert addresses.country_name("DE") == "德国"
    assert all(name != code for code, name in addresses.country_choices())


# --- the visitor log's registration: every problem at once ---------------------------------------


def test_registration_shows_the_forms_and_the_registrations_problems_together(shop: Shop) -> None:
    from tests.leads.test_visits_register import form_data

    client = session_client(shop.alice)
    response = client.post(
        reverse("leads:visit-register"),
        form_data(phone="12", party_size="0", left_at="25:00"),
        HTTP_HX_REQUEST="true",
    )
    text = text_of(response.content.decode())
    assert "not a valid phone number" in text  # the registration's check
    assert "Ensure this value is greater than or equal to 1." in text  # the form's
    assert "Enter a valid time." in text
    with as_dealer(shop.dealer):
        assert not Customer.objects.exists()


# --- notes are bounded ----------------------------------------------------------------------------


def project_forms() -> list[type[forms.BaseForm]]:
    """Every form class of the project's apps (imported from their forms modules)."""
    found: list[type[forms.BaseForm]] = []
    for package in ("leads.forms", "sales", "dealers", "reports", "dms"):
        module = importlib.import_module(package)
        names = [package]
        if hasattr(module, "__path__"):
            names += [
                m.name
                for m in pkgutil.walk_packages(module.__path__, f"{package}.")
                if m.name.rsplit(".", 1)[-1] == "forms" or ".forms." in m.name
            ]
        for name in names:
            if name.endswith("forms") or ".forms." in name:
                found += [
                    obj
                    for obj in vars(importlib.import_module(name)).values()
                    if isinstance(obj, type) and issubclass(obj, forms.BaseForm)
                ]
    return list(dict.fromkeys(found))


def test_every_textarea_of_every_form_has_a_length_limit() -> None:
    """A textarea's field has max_length: Django puts it on the textarea as maxlength, and the
    form refuses more (100,000 characters used to be accepted)."""
    areas = {
        (form.__name__, name): getattr(field, "max_length", None)
        for form in project_forms()
        for name, field in form.base_fields.items()
        if isinstance(field.widget, forms.Textarea)
    }
    assert {("CheckInForm", "feedback"), ("CustomerForm", "driving_preferences")} <= set(areas)
    assert [area for area, limit in areas.items() if limit is None] == []


def test_the_cards_note_is_bounded_in_the_page_and_the_service(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    client = session_client(shop.alice)
    page = client.get(reverse("leads:customer-edit", args=[customer.pk])).content.decode()
    assert re.search(r'<textarea name="driving_preferences"[^>]*maxlength="2000"', page)
    with as_dealer(shop.dealer), pytest.raises(customer_services.ValidationError) as refused:
        customer_services.update_customer(
            customer=customer, actor=shop.alice, data={"driving_preferences": "x" * 2001}
        )
    assert refused.value.message_dict["driving_preferences"] == ["At most 2000 characters."]


def test_the_claim_reason_textarea_is_bounded(shop: Shop) -> None:
    from leads.forms.customers import ClaimForm

    html = str(ClaimForm()["reason"])
    assert 'maxlength="300"' in html


def test_any_textarea_on_the_card_pages_has_a_maxlength(shop: Shop) -> None:
    customer = registered(shop, shop.alice)
    client = session_client(shop.alice)
    for url in (
        reverse("leads:customer-add"),
        reverse("leads:customer-edit", args=[customer.pk]),
    ):
        html = client.get(url).content.decode()
        areas = re.findall(r"<textarea\b[^>]*>", html)
        assert areas and all("maxlength=" in area for area in areas), (url, areas)


def test_the_dealers_own_address_is_checked_too() -> None:
    from dealers.forms import DealerForm
    from tests.factories import DealerFactory

    dealer = DealerFactory(country="DE")
    base = {
        "code": dealer.code,
        "name": dealer.name,
        "legal_name": dealer.legal_name,
        "region": dealer.region_id,
        "timezone": "Europe/Berlin",
        "is_active": "on",
    }
    refused = DealerForm({**base, "country": "QQ", "postal_code": "10115"}, instance=dealer)
    assert not refused.is_valid() and "country" in refused.errors
    wrong = DealerForm({**base, "country": "PL", "postal_code": "0095"}, instance=dealer)
    assert not wrong.is_valid() and "postal_code" in wrong.errors
    written = DealerForm({**base, "country": "PL", "postal_code": "00950"}, instance=dealer)
    assert written.is_valid(), written.errors
    assert written.cleaned_data["postal_code"] == "00-950"

"""Quotes: priced from the HQ price list valid on the quote date, discount approval above the
threshold, finance summary, versioning, the branded PDF and the quote builder page."""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse

from bulletins.models import PriceList, PriceListVersion, VehiclePrice
from dealers.clock import dealer_today
from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from leads.models import Notification, Stage
from sales import services
from sales.models import Quote, QuoteLine
from sales.pdf import render_quote_pdf
from tests.sales.conftest import Showroom, quote_spec

pytestmark = pytest.mark.django_db


def price_list(
    name: str, valid_from: dt.date, valid_until: dt.date | None, a3_core: str
) -> PriceListVersion:
    """A published version of the vehicle list from `valid_from` up to and including
    `valid_until`; the version it starts inside of ends where it starts (as publishing does)."""
    plist = PriceList.objects.get(kind="vehicle")
    PriceListVersion.objects.filter(
        price_list=plist, status="published", valid_from__lt=valid_from
    ).exclude(valid_until__lte=valid_from).update(valid_until=valid_from)
    version = PriceListVersion.objects.create(
        price_list=plist,
        number=plist.versions.count() + 1,
        note=name,
        status="published",
        valid_from=valid_from,
        valid_until=valid_until + dt.timedelta(days=1) if valid_until else None,
        published_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    VehiclePrice.objects.create(
        version=version, kind="trim", code="A3-CORE", price=Decimal(a3_core)
    )
    VehiclePrice.objects.create(version=version, kind="colour", code="BLK", price=Decimal("700.00"))
    return version


# --- pricing -------------------------------------------------------------------------------------


def test_quote_is_priced_from_the_reference_list(room: Showroom) -> None:
    lead = room.lead()
    quote = room.quote(
        lead, colour="BLK", option_codes=("PKG-WINTER", "TOW"), accessory_codes=("MATS",)
    )
    with as_dealer(room.dealer):
        lines = {line.code: line.price for line in QuoteLine.objects.filter(quote=quote)}
    assert quote.list_price == Decimal("21490.00")
    assert lines == {
        "BLK": Decimal("690.00"),
        "PKG-WINTER": Decimal("790.00"),
        "TOW": Decimal("890.00"),
        "MATS": Decimal("129.00"),
    }
    assert quote.extras_total == Decimal("2499.00")
    assert quote.total == Decimal("23989.00")
    assert quote.version == 1 and quote.status == Quote.Status.DRAFT
    assert quote.discount_status == Quote.DiscountStatus.NONE


def test_price_list_effective_dates_choose_the_list_valid_on_the_quote_date(room: Showroom) -> None:
    today = dealer_today(room.dealer)
    old = price_list("2025 list", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "19990.00")
    autumn = price_list("Autumn list", today - dt.timedelta(days=10), None, "22990.00")
    price_list("Next year's list", today + dt.timedelta(days=5), None, "25990.00")
    lead = room.lead()
    with as_dealer(room.dealer):
        current = services.create_quote(lead=lead, actor=room.alice, spec=quote_spec(colour="BLK"))
        back_then = services.create_quote(
            lead=lead, actor=room.alice, spec=quote_spec(), on=dt.date(2025, 6, 1)
        )
    assert current.price_version == autumn  # the newest list already valid; the future one is not
    assert current.list_price == Decimal("22990.00") and current.total == Decimal("23690.00")
    assert back_then.price_version == old and back_then.list_price == Decimal("19990.00")
    assert back_then.version == 2


def test_no_price_for_an_option_is_a_clear_error_and_nothing_is_saved(room: Showroom) -> None:
    today = dealer_today(room.dealer)
    lean = price_list("Lean list", today - dt.timedelta(days=1), None, "20000.00")  # no options
    lead = room.lead()
    with as_dealer(room.dealer), pytest.raises(ValidationError) as exc:
        services.create_quote(lead=lead, actor=room.alice, spec=quote_spec(option_codes=("TOW",)))
    assert exc.value.message_dict["options"] == [
        f"Tow bar, detachable has no price in “Vehicles” (version {lean.number})."
    ]
    with as_dealer(room.dealer):
        assert not Quote.objects.filter(lead=lead).exists()


@pytest.mark.parametrize(
    ("spec", "field", "text"),
    [
        ({"discount": "99999"}, "discount", "cannot exceed the price"),
        ({"trade_in_value": "1000"}, "trade_in_description", "Describe the trade-in vehicle"),
        ({"payment": "finance", "annual_rate_percent": "3.9"}, "term_months", "between 1 and 120"),
        ({"payment": "lease", "term_months": 36}, "annual_rate_percent", "annual interest rate"),
        (
            {
                "payment": "finance",
                "term_months": 36,
                "annual_rate_percent": "4",
                "down_payment": "30000",
            },
            "down_payment",
            "cannot exceed the amount due",
        ),
    ],
)
def test_bad_quote_input_is_refused_by_field(
    room: Showroom, spec: dict[str, Any], field: str, text: str
) -> None:
    lead = room.lead()
    with as_dealer(room.dealer), pytest.raises(ValidationError) as exc:
        services.create_quote(lead=lead, actor=room.alice, spec=quote_spec(**spec))
    assert text in " ".join(exc.value.message_dict[field])
    with as_dealer(room.dealer):
        assert not Quote.objects.filter(lead=lead).exists()


# --- finance -------------------------------------------------------------------------------------


def test_monthly_payment_is_the_annuity_in_cents() -> None:
    assert services.monthly_payment(
        principal=Decimal("17000"), annual_rate_percent=Decimal("3.9"), term_months=48
    ) == Decimal("383.08")
    assert services.monthly_payment(
        principal=Decimal("12000"), annual_rate_percent=Decimal("0"), term_months=48
    ) == Decimal("250.00")


def test_finance_summary_of_a_quote(room: Showroom) -> None:
    quote = room.quote(
        room.lead(),
        colour="BLK",
        option_codes=("PKG-WINTER",),
        discount="500",
        trade_in_description="VW Golf 2016, 98,000 km",
        trade_in_value="3000",
        payment="finance",
        down_payment="2000",
        term_months=36,
        annual_rate_percent="4.9",
    )
    assert quote.total == Decimal("22470.00")  # 21490 + 690 + 790 − 500
    # financed: 22470 − 3000 trade-in − 2000 down = 17470 at 4.9 % for 36 months
    assert quote.monthly_payment == Decimal("522.81")


def test_cash_quotes_carry_no_finance_figures(room: Showroom) -> None:
    quote = room.quote(
        room.lead(), payment="cash", down_payment="5000", term_months=36, annual_rate_percent="4"
    )
    assert quote.monthly_payment is None and quote.term_months is None and quote.down_payment == 0


# --- discount approval ---------------------------------------------------------------------------


def test_discount_up_to_the_threshold_needs_no_approval(room: Showroom) -> None:
    quote = room.quote(room.lead(), discount="1074.50")  # 5 % of 21,490.00
    assert quote.discount_status == Quote.DiscountStatus.NONE
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
    assert quote.status == Quote.Status.SENT


def test_discount_above_the_threshold_waits_for_a_manager_and_blocks_sending(
    room: Showroom,
) -> None:
    quote = room.quote(room.lead(), discount="1074.51")
    assert quote.discount_status == Quote.DiscountStatus.PENDING
    with as_dealer(room.dealer):
        assert Notification.objects.filter(user=room.manager, kind="approval").exists()
        with pytest.raises(ValidationError, match="awaits a sales manager's approval"):
            services.send_quote(quote=quote, actor=room.alice)
        quote.refresh_from_db()
        assert quote.status == Quote.Status.DRAFT
        assert list(services_pending(room)) == [quote]


def services_pending(room: Showroom) -> Any:
    from sales.selectors import pending_discounts

    with as_dealer(room.dealer):
        return list(pending_discounts(dealer=room.dealer))


@override_settings(DMS_DISCOUNT_APPROVAL_PERCENT=10)
def test_the_threshold_is_a_setting(room: Showroom) -> None:
    assert room.quote(room.lead(), discount="2000").discount_status == Quote.DiscountStatus.NONE
    assert room.quote(room.lead(), discount="2200").discount_status == Quote.DiscountStatus.PENDING


def test_manager_approves_the_discount_audited_then_the_quote_goes_out(room: Showroom) -> None:
    quote = room.quote(room.lead(), discount="2000")
    with as_dealer(room.dealer):
        services.decide_discount(
            quote=quote, actor=room.manager, approve=True, note="Loyal customer"
        )
        quote.refresh_from_db()
        assert quote.discount_status == Quote.DiscountStatus.APPROVED
        assert quote.discount_decided_by == room.manager
        entry = AuditEntry.objects.get(action="discount_approved", object_id=str(quote.pk))
        assert entry.actor == room.manager and entry.dealer_id == room.dealer.pk
        assert entry.detail["discount"] == "2000.00" and entry.detail["note"] == "Loyal customer"
        assert Notification.objects.filter(user=room.alice, kind="decision").exists()
        services.send_quote(quote=quote, actor=room.alice)
    assert services_pending(room) == []


def test_rejected_discount_needs_a_reason_and_blocks_the_quote(room: Showroom) -> None:
    quote = room.quote(room.lead(), discount="3000")
    with as_dealer(room.dealer):
        with pytest.raises(ValidationError) as exc:
            services.decide_discount(quote=quote, actor=room.manager, approve=False, note="")
        assert exc.value.message_dict["note"] == ["Say why the discount is rejected."]
        quote.refresh_from_db()
        assert quote.discount_status == Quote.DiscountStatus.PENDING
        services.decide_discount(quote=quote, actor=room.manager, approve=False, note="Too much")
        with pytest.raises(ValidationError, match="was rejected"):
            services.send_quote(quote=quote, actor=room.alice)
        assert AuditEntry.objects.filter(
            action="discount_rejected", object_id=str(quote.pk)
        ).exists()
        # Lowering the discount under the threshold clears the block.
        services.update_quote(quote=quote, actor=room.alice, spec=quote_spec(discount="1000"))
        quote.refresh_from_db()
        assert quote.discount_status == Quote.DiscountStatus.NONE
        services.send_quote(quote=quote, actor=room.alice)


def test_consultants_and_the_quotes_author_cannot_decide(room: Showroom) -> None:
    quote = room.quote(room.lead(), discount="3000")
    own = room.quote(room.lead(consultant=room.manager), discount="3000", actor=room.manager)
    with as_dealer(room.dealer):
        with pytest.raises(PermissionDenied):
            services.decide_discount(quote=quote, actor=room.bob, approve=True)
        with pytest.raises(ValidationError, match="prepared yourself"):
            services.decide_discount(quote=own, actor=room.manager, approve=True)
        assert not AuditEntry.objects.filter(action__startswith="discount_").exists()


# --- versioning ----------------------------------------------------------------------------------


def test_editing_a_draft_changes_it_in_place(room: Showroom) -> None:
    quote = room.quote(room.lead())
    with as_dealer(room.dealer):
        edited = services.update_quote(quote=quote, actor=room.alice, spec=quote_spec(colour="RED"))
        assert edited.pk == quote.pk and edited.version == 1
        assert edited.total == Decimal("22680.00")
        assert QuoteLine.objects.filter(quote=quote).count() == 1


def test_editing_a_sent_quote_makes_version_two_and_supersedes_the_first(room: Showroom) -> None:
    lead = room.lead()
    quote = room.quote(lead)
    with as_dealer(room.dealer):
        services.send_quote(quote=quote, actor=room.alice)
        new = services.update_quote(
            quote=quote, actor=room.alice, spec=quote_spec(option_codes=("ROOF",))
        )
        quote.refresh_from_db()
        assert new.pk != quote.pk and new.version == 2 and new.supersedes == quote
        assert new.status == Quote.Status.DRAFT and new.total == Decimal("22780.00")
        assert quote.status == Quote.Status.SUPERSEDED
        assert quote.total == Decimal("21490.00")  # the sent one is never rewritten
        assert QuoteLine.objects.filter(quote=quote).count() == 0
        with pytest.raises(ValidationError, match="cannot be edited"):
            services.update_quote(quote=quote, actor=room.alice, spec=quote_spec())
        with pytest.raises(ValidationError, match="Only a sent quote can be accepted"):
            services.accept_quote(quote=quote, actor=room.alice)


def test_an_approved_discount_carries_over_to_the_next_version_unless_it_grows(
    room: Showroom,
) -> None:
    quote = room.quote(room.lead(), discount="2000")
    with as_dealer(room.dealer):
        services.decide_discount(quote=quote, actor=room.manager, approve=True)
        quote.refresh_from_db()
        services.send_quote(quote=quote, actor=room.alice)
        same = services.update_quote(
            quote=quote, actor=room.alice, spec=quote_spec(discount="2000", colour="BLK")
        )
        assert same.discount_status == Quote.DiscountStatus.APPROVED
        services.send_quote(quote=same, actor=room.alice)
        more = services.update_quote(quote=same, actor=room.alice, spec=quote_spec(discount="2500"))
        assert more.version == 3 and more.discount_status == Quote.DiscountStatus.PENDING


def test_sending_moves_the_lead_to_the_quote_stage(room: Showroom) -> None:
    lead = room.lead(stage=Stage.TEST_DRIVE)
    room.steps(lead, "test_drive_offered")
    quote = room.quote(lead, payment="finance", term_months=48, annual_rate_percent="3.9")
    with as_dealer(room.dealer):
        outcome = services.send_quote(quote=quote, actor=room.alice)
        lead.refresh_from_db()
    assert outcome.notes == []
    assert lead.stage == Stage.QUOTE


def test_sending_without_the_playbook_steps_keeps_the_stage_and_says_why(room: Showroom) -> None:
    lead = room.lead(stage=Stage.VISITED)
    quote = room.quote(lead)
    with as_dealer(room.dealer):
        outcome = services.send_quote(quote=quote, actor=room.alice)
        lead.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    assert lead.stage == Stage.VISITED
    assert "Test drive offered" in outcome.notes[0]


# --- the PDF -------------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "quote.pdf"
        path.write_bytes(content)
        result = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
        )
    return result.stdout


def test_the_quote_pdf_opens_and_shows_the_figures(room: Showroom) -> None:
    quote = room.quote(
        room.lead(),
        colour="BLK",
        option_codes=("PKG-WINTER",),
        discount="500",
        trade_in_description="VW Golf 2016",
        trade_in_value="3000",
        payment="finance",
        down_payment="2000",
        term_months=36,
        annual_rate_percent="4.9",
    )
    with as_dealer(room.dealer):
        content = render_quote_pdf(quote)
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "Aurora Motors" in text and "Autohaus Nord" in text
    assert f"Quote Q{quote.lead_id}-1" in text
    assert str(quote.customer) in text
    assert "EUR 22,470.00" in text  # total price
    assert "EUR 19,470.00" in text  # amount due after the trade-in
    assert "EUR 522.81" in text  # monthly payment
    assert "Winter package" in text and "Obsidian Black" in text
    assert "Seestraße 5" in text  # the dealer's address in the footer


def test_pdf_download_is_audited_as_an_export(room: Showroom, signed_in: Any) -> None:
    quote = room.quote(room.lead())
    response = signed_in(room.alice).get(reverse("sales:quote_pdf", args=[quote.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "EUR 21,490.00" in pdf_text(response.content)
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_id=str(quote.pk))
    assert entry.actor == room.alice and entry.detail["format"] == "pdf"


# --- pages ---------------------------------------------------------------------------------------


def test_quote_builder_page_live_total_and_save(room: Showroom, signed_in: Any) -> None:
    lead = room.lead()
    client = signed_in(room.alice)
    page = client.get(reverse("sales:quote_create", args=[lead.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'hx-post="' + reverse("sales:quote_preview", args=[lead.pk]) + '"' in html
    assert "Winter package" in html
    form = {
        "trim": "A3-CORE",
        "colour": "BLK",
        "options": ["PKG-WINTER"],
        "discount": "2000",
        "trade_in_value": "0",
        "payment": "cash",
    }
    preview = client.post(
        reverse("sales:quote_preview", args=[lead.pk]), form, HTTP_HX_REQUEST="true"
    )
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "EUR 20,970.00" in text and "must approve this discount" in text
    with as_dealer(room.dealer):
        assert not Quote.objects.filter(lead=lead).exists()  # the preview saves nothing
    saved = client.post(reverse("sales:quote_create", args=[lead.pk]), form)
    assert saved.status_code == 302
    with as_dealer(room.dealer):
        quote = Quote.objects.get(lead=lead)
    assert (
        quote.total == Decimal("20970.00") and quote.discount_status == Quote.DiscountStatus.PENDING
    )
    detail = client.get(saved["Location"])
    assert "awaits a sales manager's approval" in detail.content.decode()
    send = client.post(reverse("sales:quote_send", args=[quote.pk]), follow=True)
    assert "cannot be sent yet" in send.content.decode()


def test_bad_quote_form_shows_errors_and_saves_nothing(room: Showroom, signed_in: Any) -> None:
    lead = room.lead()
    url = reverse("sales:quote_create", args=[lead.pk])
    response = signed_in(room.alice).post(
        url,
        {"trim": "A3-CORE", "discount": "0", "trade_in_value": "1500", "payment": "cash"},
        follow=True,
    )
    assert response.redirect_chain[-1] == (f"{url}#quote-form", 303)
    assert response.content.decode().count("Describe the trade-in vehicle") == 1
    with as_dealer(room.dealer):
        assert not Quote.objects.filter(lead=lead).exists()


def test_manager_decides_on_the_quote_page(room: Showroom, signed_in: Any) -> None:
    quote = room.quote(room.lead(), discount="3000")
    consultant = signed_in(room.alice)
    assert (
        consultant.post(
            reverse("sales:quote_discount", args=[quote.pk]), {"decision": "approve"}
        ).status_code
        == 403
    )
    manager = signed_in(room.manager)
    page = manager.get(reverse("sales:quote_detail", args=[quote.pk]))
    assert 'data-testid="discount-decision"' in page.content.decode()
    rejected = manager.post(
        reverse("sales:quote_discount", args=[quote.pk]),
        {"decision": "reject", "note": ""},
        follow=True,
    )
    assert rejected.redirect_chain[-1][1] == 303
    assert rejected.content.decode().count("Say why the discount is rejected.") == 1
    ok = manager.post(
        reverse("sales:quote_discount", args=[quote.pk]), {"decision": "approve", "note": "ok"}
    )
    assert ok.status_code == 302
    with as_dealer(room.dealer):
        quote.refresh_from_db()
    assert quote.discount_status == Quote.DiscountStatus.APPROVED


def test_api_quote_create_send_blocked_then_approved(room: Showroom, signed_in: Any) -> None:
    lead = room.lead()
    alice = signed_in(room.alice)
    created = alice.post(
        "/api/quotes/",
        {
            "lead": lead.pk,
            "trim": "A3-CORE",
            "colour": "BLK",
            "options": ["TOW"],
            "discount": "1500.00",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["total"] == "21570.00" and body["discount_status"] == "pending"
    blocked = alice.post(f"/api/quotes/{body['id']}/send/", content_type="application/json")
    assert blocked.status_code == 400 and "awaits a sales manager's approval" in str(blocked.json())
    assert (
        alice.post(
            f"/api/quotes/{body['id']}/decide-discount/",
            {"approve": True},
            content_type="application/json",
        ).status_code
        == 403
    )
    manager = signed_in(room.manager)
    decided = manager.post(
        f"/api/quotes/{body['id']}/decide-discount/",
        {"approve": True, "note": "ok"},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["discount_status"] == "approved"
    sent = alice.post(f"/api/quotes/{body['id']}/send/", content_type="application/json")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    revised = alice.post(
        f"/api/quotes/{body['id']}/revise/", {"trim": "A3-STYLE"}, content_type="application/json"
    )
    assert revised.status_code == 200 and revised.json()["version"] == 2
    pdf = alice.get(f"/api/quotes/{revised.json()['id']}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

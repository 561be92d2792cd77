"""A quote that is not a valid offer cannot reach the customer as if it were (issue 13, item 5):
its PDF says "not valid" across the page and under the heading, and has no signature lines;
the manager's approvals list shows the discount as a share of the list price; the PDF shows the
customer's phone number formatted."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import time_machine
from django.urls import reverse

from dms.audit.models import AuditAction, AuditEntry
from dms.tenancy.context import as_dealer
from leads.models import Customer
from sales import services
from sales.models import Quote
from sales.pdf import render_quote_pdf
from tests.sales.conftest import Showroom, quote_spec
from tests.sales.test_quotes import pdf_text
from tests.ui.helpers import text_of

SIGNATURE = "customer's signature"


def squeezed(text: str) -> str:
    """The PDF's text without any whitespace, upper case: the mark across the page is rotated,
    and pdftotext breaks rotated text into pieces."""
    return re.sub(r"\s+", "", text).upper()


def raw_text(content: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "quote.pdf"
        path.write_bytes(content)
        result = subprocess.run(
            ["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, text=True
        )
    return result.stdout


def pdf_of(room: Showroom, quote: Quote) -> str:
    with as_dealer(room.dealer):
        quote.refresh_from_db()
        return pdf_text(render_quote_pdf(quote))


def test_a_quote_awaiting_discount_approval_is_marked_not_valid_and_has_no_signature(
    room: Showroom, signed_in: Any
) -> None:
    quote = room.quote(room.lead(), discount="2500")  # above 5 % of EUR 21,490.00
    assert quote.discount_status == Quote.DiscountStatus.PENDING
    response = signed_in(room.alice).get(reverse("sales:quote_pdf", args=[quote.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    # twice: the box under the heading and the mark across the page (read in raw order: the mark
    # is rotated)
    assert squeezed(raw_text(response.content)).count("NOTVALID—AWAITINGAPPROVAL") == 2
    assert "The discount awaits a sales manager's approval: this quote is not an offer yet." in text
    assert SIGNATURE not in text and "For Autohaus Nord" not in text
    assert "EUR 18,990.00" in text  # the figures are still there to discuss
    # the file and the audit trail say so too
    assert 'filename="quote-Q' in response["Content-Disposition"]
    assert "-not-valid.pdf" in response["Content-Disposition"]
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_id=str(quote.pk))
    assert entry.detail["not_valid"] == "discount_pending"


def test_once_approved_and_sent_the_pdf_is_a_plain_offer_to_sign(room: Showroom) -> None:
    quote = room.quote(room.lead(), discount="2500")
    with as_dealer(room.dealer):
        services.decide_discount(quote=quote, actor=room.manager, approve=True, note="Fleet")
        services.send_quote(quote=quote, actor=room.alice)
    text = pdf_of(room, quote)
    assert "NOTVALID" not in squeezed(text)
    assert SIGNATURE in text and "For Autohaus Nord" in text


def test_a_rejected_discount_and_a_replaced_version_are_not_valid_either(room: Showroom) -> None:
    rejected = room.quote(room.lead(), discount="3000")
    with as_dealer(room.dealer):
        services.decide_discount(quote=rejected, actor=room.manager, approve=False, note="No")
    text = pdf_of(room, rejected)
    assert "NOTVALID—DISCOUNTREJECTED" in squeezed(text) and SIGNATURE not in text

    first = room.quote(room.lead())
    with as_dealer(room.dealer):
        services.send_quote(quote=first, actor=room.alice)
        second = services.update_quote(
            quote=first, actor=room.alice, spec=quote_spec(discount="500")
        )
    text = pdf_of(room, first)
    assert "NOTVALID—REPLACED" in squeezed(text) and SIGNATURE not in text
    assert "A newer version replaces this quote" in text
    assert SIGNATURE in pdf_of(room, second)  # the new draft (no approval needed) is an offer


def test_an_expired_quote_is_marked_not_valid(room: Showroom) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        quote = room.quote(room.lead(), valid_until=dt.date(2026, 3, 31))
        assert SIGNATURE in pdf_of(room, quote)
    with time_machine.travel(dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        text = pdf_of(room, quote)
    assert "NOTVALID—EXPIRED" in squeezed(text) and SIGNATURE not in text
    assert "This quote expired on 31 Mar 2026." in text


def test_the_pdf_formats_the_customers_phone_number(room: Showroom) -> None:
    lead = room.lead()
    with as_dealer(room.dealer):
        Customer.objects.filter(pk=lead.customer_id).update(phone="+4915123456789")
    text = pdf_of(room, room.quote(lead))
    assert "+49 1512 3456789" in text
    assert "+4915123456789" not in text


def test_the_approvals_list_shows_the_discount_as_a_share_of_the_list_price(
    room: Showroom, signed_in: Any
) -> None:
    quote = room.quote(room.lead(), discount="2500")  # 2,500 / 21,490 = 11.63 %
    assert quote.discount_percent is not None and str(quote.discount_percent) == "11.6"
    page = signed_in(room.manager).get(reverse("leads:approvals"))
    assert page.status_code == 200
    text = text_of(page.content.decode())
    assert "discount 2,500.00 EUR 11.6 % of the list price" in text
    detail = signed_in(room.manager).get(reverse("sales:quote_detail", args=[quote.pk]))
    assert "Discount (11.6 % of the list price)" in text_of(detail.content.decode())
    assert "Meanwhile its PDF is marked “not valid”" in text_of(detail.content.decode())

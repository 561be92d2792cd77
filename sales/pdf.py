"""The printable, branded quote: HTML (templates/sales/quote_pdf.html) rendered by WeasyPrint.

WeasyPrint needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0 in scripts/apt-packages.txt)
and uses the fonts installed on the machine (DejaVu / Liberation, Noto CJK for zh-hans and ja).
A quote that is not a valid offer (a discount awaiting approval or rejected, replaced, declined,
expired) is marked so across every page and has no signature lines.
Nothing is fetched from files or the network: the brand mark from static/img is embedded as a
data: URL and the fetcher allows nothing else.
"""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dealers.clock import dealer_zone
from dms.audit.models import AuditAction
from dms.audit.services import record
from leads.services.normalize import format_phone

from .models import Quote
from .services import quote_not_valid, quote_number

BRAND = "Aurora Motors"


def not_valid_texts(reason: str, quote: Quote) -> tuple[str, str]:
    """The mark across every page of a quote that is not a valid offer (short) and the line
    under the heading that says why (sales.services.quote_not_valid gives the reason)."""
    if reason == "discount_pending":
        return _("Not valid — awaiting approval"), _(
            "The discount awaits a sales manager's approval: this quote is not an offer yet."
        )
    if reason == "discount_rejected":
        return _("Not valid — discount rejected"), _(
            "The discount was rejected: this quote is not an offer."
        )
    if reason == "superseded":
        return _("Not valid — replaced"), _(
            "A newer version replaces this quote: it is no longer an offer."
        )
    if reason == "declined":
        return _("Not valid — declined"), _("The customer declined this quote.")
    return _("Not valid — expired"), _("This quote expired on %(day)s.") % {
        "day": formats.date_format(quote.valid_until) if quote.valid_until else "—"
    }


def quote_context(quote: Quote) -> dict[str, Any]:
    dealer = quote.dealer
    logo = finders.find("img/favicon.svg")
    logo_url = ""
    if isinstance(logo, str):
        with open(logo, "rb") as fh:
            logo_url = "data:image/svg+xml;base64," + base64.b64encode(fh.read()).decode()
    lines = list(quote.lines.all())
    subtotal = quote.list_price + quote.extras_total
    reason = quote_not_valid(quote)
    mark, why = not_valid_texts(reason, quote) if reason else ("", "")
    return {
        "quote": quote,
        "number": quote_number(quote),
        "dealer": dealer,
        "customer": quote.customer,
        "customer_phone": format_phone(quote.customer.phone),
        "not_valid": reason,
        "not_valid_mark": mark,
        "not_valid_why": why,
        "consultant": quote.lead.consultant or quote.created_by,
        "brand": BRAND,
        "logo_url": logo_url,
        "lines": lines,
        "subtotal": subtotal,
        "amount_due": quote.total - quote.trade_in_value,
        "financed": quote.total - quote.trade_in_value - quote.down_payment,
        "printed_at": timezone.localtime(timezone.now(), dealer_zone(dealer)),
        "created_local": timezone.localtime(quote.created_at, dealer_zone(dealer)),
    }


def render_quote_html(quote: Quote) -> str:
    return render_to_string("sales/quote_pdf.html", quote_context(quote))


def render_quote_pdf(quote: Quote) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_quote_html(quote)
    # data: URLs only (the embedded brand mark): rendering a quote never reads files or the
    # network, whatever ends up in the customer's data.
    fetcher = URLFetcher(allowed_protocols={"data"})
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher)
    return document.write_pdf()  # type: ignore[no-any-return]


def quote_pdf_response(
    quote: Quote, *, actor: Any, request: Any, inline: bool = False, **detail: str
) -> HttpResponse:
    """The quote's PDF as a response, recorded in the audit trail as an export: the quote page
    (inline or as a download) and the API serve it the same way. ``detail`` adds to the audit
    entry (the API says ``via="api"``)."""
    content = render_quote_pdf(quote)
    number = quote_number(quote)
    not_valid = quote_not_valid(quote)
    if not_valid:  # the audit trail says which copies were marked "not valid"
        detail = {"not_valid": not_valid, **detail}
    record(
        action=AuditAction.EXPORT,
        actor=actor,
        dealer=quote.dealer_id,
        obj=quote,
        request=request,
        detail={"format": "pdf", "document": "quote", "quote": number, **detail},
    )
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    name = f"quote-{number}-not-valid" if not_valid else f"quote-{number}"
    response["Content-Disposition"] = f'{disposition}; filename="{name}.pdf"'
    return response

"""The counter sale's invoice: HTML (templates/inventory/stock/counter_invoice_pdf.html) rendered
by WeasyPrint, like the quote (sales/pdf.py): nothing is fetched from files or the network."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from dealers.clock import dealer_zone
from dms.audit.models import AuditAction
from dms.audit.services import record
from sales.pdf import BRAND

from .models import CounterSale


def render_invoice_pdf(sale: CounterSale) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    zone = dealer_zone(sale.dealer)
    html = render_to_string(
        "inventory/stock/counter_invoice_pdf.html",
        {
            "sale": sale,
            "dealer": sale.dealer,
            "brand": BRAND,
            "lines": sale.line_rows,  # type: ignore[attr-defined]
            "sold_local": timezone.localtime(sale.sold_at, zone),
            "printed_at": timezone.localtime(timezone.now(), zone),
        },
    )
    fetcher = URLFetcher(allowed_protocols={"data"})
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher)
    return document.write_pdf()  # type: ignore[no-any-return]


def invoice_response(sale: CounterSale, *, actor: Any, request: Any) -> HttpResponse:
    content = render_invoice_pdf(sale)
    record(
        action=AuditAction.EXPORT,
        actor=actor,
        dealer=sale.dealer_id,
        obj=sale,
        request=request,
        detail={"format": "pdf", "document": "counter_invoice", "number": sale.number},
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="parts-invoice-CS{sale.number}.pdf"'
    return response

"""Every table export comes as XLSX as well as CSV (issue 13, item 11): the same header and
figures in both files, numbers stored as numbers, text never a formula, the same scope and the
same audit entry (format "xlsx"), and a link to each next to its CSV link."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from dms import tabular
from dms.audit.models import AuditAction, AuditEntry
from reports.exports.services import DEALER_TABLES

from .conftest import MONTH, YEAR

pytestmark = pytest.mark.django_db

QUERY = f"year={YEAR}&month={MONTH}"


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def xlsx_sheet(response: Any) -> Any:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == tabular.CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"].endswith('.xlsx"')
    return load_workbook(io.BytesIO(response.content)).worksheets[0]


def as_text(value: Any) -> str:
    """A workbook cell as the CSV writes it (numbers compared as numbers below)."""
    return "" if value is None else str(value)


def same_table(csv_table: list[list[str]], sheet: Any) -> None:
    xlsx_table = [[as_text(c.value) for c in row] for row in sheet.iter_rows()]
    assert len(xlsx_table) == len(csv_table)
    for csv_row, xlsx_row in zip(csv_table, xlsx_table, strict=True):
        assert len(csv_row) == len(xlsx_row)
        for a, b in zip(csv_row, xlsx_row, strict=True):
            try:
                assert Decimal(a) == Decimal(b), (a, b)
            except InvalidOperation:
                assert a == b


@pytest.mark.parametrize("table", list(DEALER_TABLES))
def test_every_dealer_table_as_xlsx_holds_the_csvs_figures(facts, login, table):
    client = login(facts.manager)
    url = f"?table={table}&{QUERY}"
    csv_table = csv_rows(client.get(reverse("reports:export_dealer_csv", args=[facts.a.pk]) + url))
    response = client.get(reverse("reports:export_dealer_xlsx", args=[facts.a.pk]) + url)
    sheet = xlsx_sheet(response)
    assert f'filename="kpi-{table}-DA01-2026-03.xlsx"' in response["Content-Disposition"]
    same_table(csv_table, sheet)
    header = next(sheet.iter_rows(max_row=1))
    assert all(cell.font.bold for cell in header)

    entries = AuditEntry.objects.filter(action=AuditAction.EXPORT).order_by("pk")
    assert [e.detail["format"] for e in entries] == ["csv", "xlsx"]
    assert entries[1].object_id == f"DA01/2026-03/{table}"


def test_numbers_are_numbers_and_names_never_formulas(facts, login):
    facts.bob.first_name, facts.bob.last_name = '=HYPERLINK("x")', "Brown"
    facts.bob.save()
    url = reverse("reports:export_dealer_xlsx", args=[facts.a.pk])
    sheet = xlsx_sheet(login(facts.manager).get(f"{url}?table=leaderboard&{QUERY}"))
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    bob = rows[1]
    assert bob["consultant"].value == '\'=HYPERLINK("x") Brown'
    assert bob["consultant"].data_type == "s"
    assert (bob["orders"].value, bob["orders"].data_type) == (7, "n")


def test_network_table_as_xlsx_keeps_the_scope(facts, login):
    client = login(facts.regional)
    csv_table = csv_rows(client.get(f"{reverse('reports:export_network_csv')}?{QUERY}"))
    sheet = xlsx_sheet(client.get(f"{reverse('reports:export_network_xlsx')}?{QUERY}"))
    same_table(csv_table, sheet)
    assert "DC03" not in {str(c.value) for row in sheet.iter_rows() for c in row}
    # Another region's table is not found, as for the CSV; a dealer manager is refused.
    outside = f"{reverse('reports:export_network_xlsx')}?region={facts.south.pk}&{QUERY}"
    assert client.get(outside).status_code == 404
    assert login(facts.manager).get(reverse("reports:export_network_xlsx")).status_code == 403
    assert (
        login(facts.manager)
        .get(reverse("reports:export_dealer_xlsx", args=[facts.b.pk]) + f"?table=summary&{QUERY}")
        .status_code
        == 404
    )
    formats = AuditEntry.objects.filter(action=AuditAction.EXPORT).values_list(
        "detail__format", flat=True
    )
    assert sorted(formats) == ["csv", "xlsx"]


def test_the_audit_log_export_as_xlsx(facts, login):
    client = login(facts.hq_admin)
    client.get(reverse("reports:export_dealer_csv", args=[facts.a.pk]) + f"?table=summary&{QUERY}")
    sheet = xlsx_sheet(client.get(reverse("audit:export_xlsx")))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("time_utc", "actor", "dealer", "action")
    assert "export" in [r[3] for r in rows[1:]]  # the KPI table's export, before this one
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).order_by("-pk").first()
    assert entry is not None and entry.detail["format"] == "xlsx"
    assert entry.count == len(rows) - 1  # the rows handed out, counted in the log


def test_each_export_page_offers_xlsx_next_to_csv(facts, login):
    page = login(facts.hq_admin).get(
        reverse("reports:export_list") + f"?dealer={facts.a.pk}&{QUERY}"
    )
    html = page.content.decode()
    for table in DEALER_TABLES:
        assert f'data-testid="export-csv-{table}"' in html
        assert f'data-testid="export-xlsx-{table}"' in html
    assert 'data-testid="export-network-xlsx"' in html
    network = login(facts.hq_admin).get(reverse("reports:kpi_network")).content.decode()
    assert 'data-testid="network-csv"' in network and 'data-testid="network-xlsx"' in network
    audit = login(facts.hq_admin).get(reverse("audit:log")).content.decode()
    assert 'data-testid="audit-export"' in audit and 'data-testid="audit-export-xlsx"' in audit


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            found += _routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append(prefix + str(pattern.pattern))
    return found


def test_every_csv_route_has_an_xlsx_twin():
    """A new CSV export without its workbook fails here: every route serving a .csv (or csv/)
    has the same route with xlsx."""
    routes = set(_routes(get_resolver()))
    csv_routes = sorted(r for r in routes if "csv" in r and not r.startswith("api/"))
    assert csv_routes, "no CSV route found: the test looks in the wrong place"
    missing = [r for r in csv_routes if r.replace("csv", "xlsx") not in routes]
    assert missing == []

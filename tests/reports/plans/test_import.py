"""HQ plan upload: strict row checks (every error by row and column, nothing imported), dry-run
preview, confirmation as the next version, versions staying readable, audit."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from dms.audit.models import AuditEntry
from reports.models import PlanTarget, PlanVersion
from reports.plans import services
from tests.api.support import session_client
from tests.factories import DealerFactory, RegionFactory, hq_user, staff

from .support import counts, csv_bytes, plan_rows, upload, write_plan, xlsx_bytes

pytestmark = pytest.mark.django_db
YEAR = 2026


@pytest.fixture
def net() -> dict[str, Any]:
    north, south = RegionFactory(name="North"), RegionFactory(name="South")
    a = DealerFactory(code="AA01", region=north)
    b = DealerFactory(code="BB01", region=south)
    admin = hq_user("hq_admin")
    return {"a": a, "b": b, "admin": admin, "client": session_client(admin)}


def post_upload(client: Any, content: bytes, name: str = "plan.csv", year: int = YEAR) -> Any:
    return client.post(
        reverse("reports:plan_upload"),
        {"year": year, "note": "budget", "file": upload(content, name)},
    )


def token_of(response: Any) -> str:
    assert response.status_code == 302, response.content[:500]
    match = re.search(r"/upload/([^/]+)/$", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def confirm_fields(page: str) -> dict[str, str]:
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', page)
    number = re.search(r'name="number" value="(\d+)"', page)
    assert sha and number, "no confirm form on the page"
    return {"sha256": sha.group(1), "number": number.group(1)}


def errors_of(content: bytes, name: str = "plan.csv", year: int = YEAR) -> list[tuple[Any, ...]]:
    parsed = services.parse_plan_file(content=content, filename=name, year=year)
    assert not parsed.rows
    return [(e.row, e.column, e.value, e.message) for e in parsed.errors]


# --- the happy paths ---------------------------------------------------------------------------


def test_csv_upload_preview_then_confirm_imports_version_1(net: dict[str, Any]) -> None:
    client = net["client"]
    rows = plan_rows([net["a"], net["b"]], YEAR)  # 2 dealers x 12 x 2 models x 4 metrics
    before = counts()

    token = token_of(post_upload(client, csv_bytes(rows)))
    preview = client.get(reverse("reports:plan_preview", args=[token]))
    page = preview.content.decode()
    assert preview.status_code == 200
    assert counts() == before, "the preview must not import anything"
    assert "Import as version 1 of 2026" in page
    assert 'data-testid="preview-rows">192<' in page
    assert 'data-testid="preview-dealers">2<' in page
    # Orders in January: 2 dealers x 2 models x (10 + 1) = 44; year: 4 x sum(11..22) = 792.
    orders = re.search(r'<tr data-metric="orders">(.*?)</tr>', page, re.S)
    assert orders is not None
    cells = re.findall(r"<td[^>]*>(\d+)</td>", orders.group(1))
    assert cells[0] == "44" and cells[-1] == "792"
    assert "North" in page and "South" in page  # per-region totals

    response = client.post(reverse("reports:plan_confirm", args=[token]), confirm_fields(page))
    version = PlanVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:plan_version", args=[version.pk])
    assert (version.year, version.number, version.row_count) == (YEAR, 1, 192)
    assert counts() == (before[0] + 1, before[1] + 192, before[2])
    entry = AuditEntry.objects.get(object_type="reports.PlanVersion", object_id=str(version.pk))
    assert entry.actor == net["admin"] and entry.count == 192
    assert entry.detail["kind"] == "plan_import" and entry.detail["totals"]["orders"] == 792
    # The token is used up: confirming again finds nothing.
    again = client.post(reverse("reports:plan_confirm", args=[token]), confirm_fields(page))
    assert again.status_code == 404
    assert counts()[1] == before[1] + 192


def test_xlsx_upload_imports_with_numeric_and_text_cells(net: dict[str, Any]) -> None:
    client = net["client"]
    rows: list[list[Any]] = [
        ["AA01", 1, "A3", "orders", 5],  # numbers as numbers
        ["aa01", "2026-02", "Aurora 3", "Test drives", "7"],  # code case, model name, label
        ["BB01", 12, "X7", "deliveries", 0],
    ]
    token = token_of(post_upload(client, xlsx_bytes(rows), "plan.xlsx"))
    page = client.get(reverse("reports:plan_preview", args=[token])).content.decode()
    client.post(reverse("reports:plan_confirm", args=[token]), confirm_fields(page))
    version = PlanVersion.objects.get()
    from dms.tenancy.context import as_dealers

    with as_dealers([net["a"].pk, net["b"].pk]):
        got = sorted(
            PlanTarget.objects.filter(version=version).values_list(
                "dealer__code", "month", "vehicle_model__code", "metric", "target"
            )
        )
    assert got == [
        ("AA01", 1, "A3", "orders", 5),
        ("AA01", 2, "A3", "test_drives", 7),
        ("BB01", 12, "X7", "deliveries", 0),
    ]


def test_semicolon_csv_with_bom_is_read(net: dict[str, Any]) -> None:
    content = "\ufeffDealer code;Month;Model;Metric;Target\r\nAA01;3;A5;leads;40\r\n".encode()
    parsed = services.parse_plan_file(content=content, filename="p.CSV", year=YEAR)
    assert parsed.ok and parsed.rows[0].target == 40 and parsed.rows[0].month == 3


# --- every rejection: row, column, value, nothing imported ----------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        (["AA01", 1, "A3", "orders", "256.76"], "target", "256.76", "no decimals"),
        (["AA01", 1, "A3", "orders", "12.0"], "target", "12.0", "no decimals"),
        (["AA01", 1, "A3", "orders", "12,5"], "target", "12,5", "no decimals"),
        (["AA01", 1, "A3", "orders", "-3"], "target", "-3", "must not be negative"),
        (["AA01", 1, "A3", "orders", ""], "target", "", "is required"),
        (["AA01", 1, "A3", "orders", "ten"], "target", "ten", "must be a whole number"),
        (["AA01", 1, "A3", "orders", "5000000"], "target", "5000000", "too large"),
        (["ZZ99", 1, "A3", "orders", "5"], "dealer_code", "ZZ99", "unknown dealer code"),
        (["", 1, "A3", "orders", "5"], "dealer_code", "", "is required"),
        (["AA01", 1, "Model T", "orders", "5"], "model", "Model T", "unknown model"),
        (["AA01", 13, "A3", "orders", "5"], "month", "13", "between 1 and 12"),
        (["AA01", 0, "A3", "orders", "5"], "month", "0", "between 1 and 12"),
        (["AA01", "2025-03", "A3", "orders", "5"], "month", "2025-03", "plan year 2026"),
        (["AA01", "March", "A3", "orders", "5"], "month", "March", "1-12 or YYYY-MM"),
        (["AA01", "", "A3", "orders", "5"], "month", "", "is required"),
        (["AA01", 1, "A3", "revenue", "5"], "metric", "revenue", "unknown metric"),
    ],
)
def test_each_bad_cell_is_reported_and_nothing_imported(
    net: dict[str, Any], row: list[Any], column: str, value: str, message: str
) -> None:
    good = ["BB01", 2, "A3", "orders", "4"]
    content = csv_bytes([good, good[:3] + ["leads", "9"], row])
    assert errors_of(content) and all(e[0] == 4 for e in errors_of(content))
    [(err_row, err_column, err_value, err_message)] = errors_of(content)
    assert (err_row, err_column, err_value) == (4, column, value)
    assert message in err_message

    before = counts()
    response = post_upload(net["client"], content)
    page = net["client"].get(response["Location"]).content.decode()
    assert "1 error found. Nothing was imported" in page
    assert message in page and f">{column}<" in page
    assert 'name="sha256"' not in page  # no confirm button
    assert counts() == before


def test_xlsx_decimal_number_cell_is_an_error_not_rounded(net: dict[str, Any]) -> None:
    content = xlsx_bytes([["AA01", 1, "A3", "orders", 256.76], ["AA01", 2, "A3", "orders", 12.0]])
    assert errors_of(content, "p.xlsx") == [
        (2, "target", "256.76", "must be a whole number (no decimals)")
    ]


def test_duplicate_keys_are_errors_naming_the_first_row(net: dict[str, Any]) -> None:
    content = csv_bytes(
        [
            ["AA01", 1, "A3", "orders", 5],
            ["AA01", "2026-01", "a3", "Orders", 6],  # same key, other spellings
            ["AA01", 1, "A3", "leads", 5],  # another metric: fine
        ]
    )
    [(row, column, value, message)] = errors_of(content)
    assert row == 3 and column == "dealer_code+month+model+metric"
    assert value == "AA01 / 1 / A3 / orders" and "duplicate of row 2" in message


def test_all_errors_of_a_file_are_listed_by_row(net: dict[str, Any]) -> None:
    content = csv_bytes(
        [
            ["AA01", 1, "A3", "orders", 5],
            ["AA01", 14, "A3", "orders", "1.5"],
            ["XX", 2, "Q9", "sales", -1],
        ]
    )
    assert errors_of(content) == [
        (3, "month", "14", "must be between 1 and 12"),
        (3, "target", "1.5", "must be a whole number (no decimals)"),
        (4, "dealer_code", "XX", "unknown dealer code"),
        (4, "model", "Q9", "unknown model"),
        (
            4,
            "metric",
            "sales",
            "unknown metric (use one of: leads, test_drives, orders, deliveries)",
        ),
        (4, "target", "-1", "must not be negative"),
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["dealer_code", "month", "model", "metric"], [(1, "target", "", "missing")]),
        (
            ["dealer", "month", "model", "metric", "target", "price"],
            [(1, "price", "price", "unknown column")],
        ),
        (
            ["dealer_code", "month", "model", "metric", "target", "month"],
            [(1, "month", "month", "twice")],
        ),
        (["a", "b", "c", "d", "e"], None),
    ],
)
def test_wrong_or_missing_headers(
    net: dict[str, Any], header: list[str], expected: list[tuple[Any, ...]] | None
) -> None:
    content = csv_bytes([["AA01", 1, "A3", "orders", 5]], header=header)
    got = errors_of(content)
    if expected is None:  # nothing recognised: every column reported
        assert {(r, c) for r, c, _v, _m in got} >= {(1, "dealer_code"), (1, "target"), (1, "a")}
        return
    assert [(r, c, v) for r, c, v, _m in got] == [(r, c, v) for r, c, v, _m in expected]
    assert expected[0][3] in got[0][3]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "plan.csv", "The file is empty."),
        (b"\n\n", "plan.csv", "The file is empty."),
        (b"dealer_code,month,model,metric,target\n", "plan.csv", "no plan rows"),
        (b"%PDF-1.4 binary", "plan.pdf", "Upload a .csv or .xlsx file."),
        (b"dealer_code,month\n", "plan.xlsx", "not a valid XLSX"),
        (b"PK\x03\x04garbage", "plan.xlsx", "not a valid XLSX"),
        (
            "dealer_code,month,model,metric,target\nAÄ,1,A3,orders,5\n".encode("latin-1"),
            "plan.csv",
            "not UTF-8",
        ),
    ],
)
def test_unreadable_files_are_rejected(
    net: dict[str, Any], content: bytes, name: str, message: str
) -> None:
    [(row, column, _value, got)] = errors_of(content, name)
    assert row == 0 and column == "file" and message in got


def test_too_large_file_is_rejected_by_the_form_and_the_service(net: dict[str, Any]) -> None:
    big = b"x" * (services.MAX_UPLOAD_BYTES + 1)
    [(_r, _c, _v, message)] = errors_of(big)
    assert "too large" in message
    before = counts()
    response = post_upload(net["client"], big)
    assert response.status_code == 200
    assert "too large" in response.content.decode()
    assert counts() == before


def test_wrong_file_type_in_the_form(net: dict[str, Any]) -> None:
    response = post_upload(net["client"], b"hello", "plan.txt")
    assert (
        response.status_code == 200 and "Upload a .csv or .xlsx file." in response.content.decode()
    )


def test_errors_download_as_csv(net: dict[str, Any]) -> None:
    client = net["client"]
    content = csv_bytes([["AA01", 1, "A3", "orders", "256.76"], ["ZZ", 1, "A3", "orders", 1]])
    token = token_of(post_upload(client, content))
    response = client.get(reverse("reports:plan_errors", args=[token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["row", "column", "value", "error"],
        ["2", "target", "256.76", "must be a whole number (no decimals)"],
        ["3", "dealer_code", "ZZ", "unknown dealer code"],
    ]
    # A rejected upload cannot be confirmed, whatever is posted.
    before = counts()
    fake = {"sha256": "0" * 64, "number": "1"}
    client.post(reverse("reports:plan_confirm", args=[token]), fake)
    assert counts() == before


# --- confirmation safety ------------------------------------------------------------------------


def test_confirm_refuses_another_file_or_user_or_a_stale_version(net: dict[str, Any]) -> None:
    client = net["client"]
    token = token_of(post_upload(client, csv_bytes(plan_rows([net["a"]], YEAR))))
    page = client.get(reverse("reports:plan_preview", args=[token])).content.decode()
    fields = confirm_fields(page)
    before = counts()

    # Another HQ admin cannot see or confirm this upload.
    other = session_client(hq_user("hq_admin"))
    assert other.get(reverse("reports:plan_preview", args=[token])).status_code == 404
    assert other.post(reverse("reports:plan_confirm", args=[token]), fields).status_code == 404

    # A different file's checksum is refused.
    response = client.post(
        reverse("reports:plan_confirm", args=[token]), {**fields, "sha256": "a" * 64}, follow=True
    )
    assert "does not match the preview" in response.content.decode()
    assert counts() == before

    # Someone imported version 1 meanwhile: "Import as version 1" is stale.
    write_plan([net["b"]], YEAR)
    response = client.post(reverse("reports:plan_confirm", args=[token]), fields, follow=True)
    assert "Version 1 of 2026 was imported meanwhile" in response.content.decode()
    assert counts()[1] == before[1] + len(plan_rows([net["b"]], YEAR))
    assert PlanVersion.objects.count() == 1


def test_version_2_keeps_version_1_readable_with_a_diff(net: dict[str, Any]) -> None:
    v1 = write_plan([net["a"], net["b"]], YEAR, base=10)
    client = net["client"]
    rows = plan_rows([net["a"]], YEAR, base=20)  # B dropped, A raised
    token = token_of(post_upload(client, csv_bytes(rows)))
    page = client.get(reverse("reports:plan_preview", args=[token])).content.decode()
    assert "Import as version 2 of 2026" in page
    comparison = re.search(r'data-testid="preview-comparison">(.*?)</table>', page, re.S)
    assert comparison is not None  # orders: v1 792 (A + B), this file 636 (A only)
    assert re.search(
        r"Orders</th>\s*<td>792</td>\s*<td>636</td>\s*<td[^>]*>-156<", comparison.group(1)
    )
    client.post(reverse("reports:plan_confirm", args=[token]), confirm_fields(page))
    v2 = PlanVersion.objects.get(number=2)

    listing = client.get(reverse("reports:plan_list")).content.decode()
    assert reverse("reports:plan_version", args=[v1.pk]) in listing
    assert reverse("reports:plan_version", args=[v2.pk]) in listing
    assert "superseded" in listing and "current" in listing

    old = client.get(reverse("reports:plan_version", args=[v1.pk]) + "?metric=orders")
    assert old.status_code == 200
    old_page = old.content.decode()
    assert 'data-dealer="AA01"' in old_page and 'data-dealer="BB01"' in old_page
    new_page = client.get(
        reverse("reports:plan_version", args=[v2.pk]) + "?metric=orders"
    ).content.decode()
    assert 'data-dealer="BB01"' not in new_page
    # A's orders: v1 2 models x sum(11..22)=396, v2 2 x sum(21..32)=636 -> +240 for A;
    # the whole: 636 vs 792 (A + B in v1) -> -156.
    assert "+240" in new_page
    assert "792 → 636" in new_page


def test_only_network_admins_may_upload(net: dict[str, Any]) -> None:
    region = net["a"].region
    rm = session_client(hq_user("hq_regional_manager", regions=[region]))
    manager = session_client(staff(net["a"], "dealer_manager"))
    for client in (rm, manager):
        assert client.get(reverse("reports:plan_upload")).status_code == 403
        before = counts()
        response = post_upload(client, csv_bytes(plan_rows([net["a"]], YEAR)))
        assert response.status_code == 403
        assert counts() == before
        assert client.get(reverse("reports:plan_template_csv")).status_code == 403


def test_templates_have_the_headers_and_pass_the_checks(net: dict[str, Any]) -> None:
    client = net["client"]
    text = client.get(reverse("reports:plan_template_csv")).content
    assert text.decode().splitlines()[0] == "dealer_code,month,model,metric,target"
    year = timezone.localdate().year
    parsed = services.parse_plan_file(content=text, filename="t.csv", year=year)
    assert parsed.ok and len(parsed.rows) == 4  # the example rows are valid
    xlsx = client.get(reverse("reports:plan_template_xlsx")).content
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx)).worksheets[0]
    assert [c.value for c in sheet[1]] == ["dealer_code", "month", "model", "metric", "target"]

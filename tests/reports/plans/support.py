"""Shared helpers of the plan tests: a small network, plan files, counting rows."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from dealers.models import Dealer
from dms.tenancy.context import as_dealers
from inventory.models import VehicleModel
from reports.models import ConsultantTarget, PlanTarget, PlanVersion
from reports.plans import services

HEADER = ["dealer_code", "month", "model", "metric", "target"]


def csv_bytes(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(content: bytes, name: str = "plan.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def counts() -> tuple[int, int, int]:
    """(versions, plan targets, consultant targets) across every dealer."""
    with as_dealers(Dealer.objects.values_list("pk", flat=True)):
        return (
            PlanVersion.objects.count(),
            PlanTarget.objects.count(),
            ConsultantTarget.objects.count(),
        )


def plan_rows(
    dealers: list[Dealer], year: int, *, base: int = 10, models: int = 2
) -> list[list[Any]]:
    """Every month x `models` models x every metric for each dealer; target = base + month."""
    vms = list(VehicleModel.objects.filter(is_active=True).order_by("code")[:models])
    rows = []
    for dealer in dealers:
        for month in range(1, 13):
            for vm in vms:
                for metric in ("leads", "test_drives", "orders", "deliveries"):
                    rows.append([dealer.code, f"{year}-{month:02d}", vm.code, metric, base + month])
    return rows


def write_plan(dealers: list[Dealer], year: int, *, base: int = 10, models: int = 2) -> PlanVersion:
    """A plan version written through the import path (checked like an upload)."""
    content = csv_bytes(plan_rows(dealers, year, base=base, models=models))
    parsed = services.parse_plan_file(content=content, filename="p.csv", year=year)
    assert parsed.ok, parsed.errors[:3]
    return services.write_version(
        year=year, rows=parsed.rows, note="", filename="p.csv", actor=None
    )

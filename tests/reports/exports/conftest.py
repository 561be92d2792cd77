"""KPI exports: the dashboards' hand-made network (tests/reports/dashboards/facts.py) with a
month of facts and plans whose figures are computed by hand below."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from reports.models import ExportJob
from tests.factories import signed_in_client
from tests.reports.dashboards.facts import (
    Network,
    add_facts,
    build_network,
    plan,
    plan_version,
    rolled_through,
    split,
)

# March 2026, figures as of 10 March (the last fact day).
YEAR, MONTH = 2026, 3
AS_OF = dt.date(2026, 3, 10)


@pytest.fixture
def net(db: Any) -> Network:
    return build_network()


@pytest.fixture
def facts(net: Network) -> Network:
    """Dealer A: orders plan 50 in March (v2; v1 said 999), 37 orders (Alice 30, Bob 7) ->
    attainment 74.0 %; January: 11 orders against a plan of 20. 96 leads opened in March (Alice
    80, Bob 16), 60 of them contacted (62.5 %), Alice's 24 ordered (30.0 % of hers); 96 / 60 /
    37 leads entered New / Contacted / Order in March. Dealer B: 5 orders in March. Dealer C
    (South): 9 orders."""
    old = plan_version(YEAR, 1)
    current = plan_version(YEAR, 2)
    plan(net.a, old, "orders", {3: 999})
    plan(net.a, current, "orders", {1: 20, 3: 50})
    plan(net.a, current, "leads", {3: 120})
    plan(net.b, current, "orders", {3: 10})
    add_facts(net.a, dt.date(2026, 1, 12), consultant=net.alice, orders=11)
    add_facts(
        net.a,
        dt.date(2026, 3, 3),
        consultant=net.alice,
        orders=30,
        leads_new=80,
        # of her 80 leads opened in March: 60 contacted, 40 visited, 30 test drives, 28
        # quotes, 24 orders so far
        cohort_contacted=60,
        cohort_visited=40,
        cohort_test_drive=30,
        cohort_quote=28,
        cohort_order=24,
        test_drives=12,
        followups_due=40,
        followups_on_time=36,
    )
    add_facts(net.a, AS_OF, consultant=net.bob, orders=7, leads_new=16, deliveries=4)
    add_facts(net.a, dt.date(2026, 3, 4), stage_new=96, stage_contacted=60, stage_order=37)
    add_facts(net.b, dt.date(2026, 3, 5), consultant=net.carol, orders=5)
    add_facts(net.c, dt.date(2026, 3, 6), orders=9)
    split(net.a, current, 3, "orders", {net.alice: 35, net.bob: 15})
    rolled_through(AS_OF)  # the nightly rollup has completed through the last fact day
    return net


@pytest.fixture
def login() -> Callable[[Any], Client]:
    """A client signed in as `user`, second factor verified (HQ roles must have one)."""
    return lambda user: signed_in_client(user)


@pytest.fixture
def export_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "exports"
    settings.DMS_EXPORT_ROOT = root
    return root


def pdf_text(content: bytes) -> str:
    """The PDF's text, read back by poppler's pdftotext (scripts/apt-packages.txt)."""
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext (poppler-utils) is needed to read the PDF back"
    done = subprocess.run(
        [tool, "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return done.stdout.decode()


def pdf_pages(content: bytes) -> int:
    tool = shutil.which("pdfinfo")
    assert tool, "pdfinfo (poppler-utils) is needed to count the pages"
    done = subprocess.run([tool, "-"], input=content, capture_output=True, check=True)
    for line in done.stdout.decode().splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo printed no page count")


def make_job(
    net: Any, *, status: str = "failed", user: Any = None, created_at: Any = None, **fields: Any
) -> ExportJob:
    """A pack job of region North (dealers A and B) for the regional manager (or `user`);
    created_at is auto_now_add, so a given one is set afterwards."""
    values: dict[str, Any] = {
        "requested_by": user or net.regional,
        "kind": ExportJob.Kind.PACK_ZIP,
        "year": YEAR,
        "month": MONTH,
        "dealer_ids": [net.a.pk, net.b.pk],
        "label": "North",
        "total": 2,
        "filename": "kpi-packs-north-2026-03.zip",
        "status": status,
    }
    job = ExportJob.objects.create(**{**values, **fields})
    if created_at is not None:
        ExportJob.objects.filter(pk=job.pk).update(created_at=created_at)
        job.refresh_from_db()
    return job

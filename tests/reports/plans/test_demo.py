"""reports/plans/demo.py: a current-year plan (v1 + revision v2) and one dealer's split."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from dms.tenancy.context import as_dealer, as_dealers
from reports.models import ConsultantTarget, PlanTarget, PlanVersion
from reports.plans.demo import seed_plans
from tests.factories import DealerFactory, staff

pytestmark = pytest.mark.django_db


def test_demo_plan_has_two_versions_and_a_split_that_sums() -> None:
    de001 = DealerFactory(code="DE001")
    others = DealerFactory.create_batch(5)
    staff(de001, "dealer_manager")
    people = [staff(de001, "consultant") for _ in range(3)]

    result = seed_plans(seed=7, year=2026)
    assert (result.versions, result.skipped) == (2, False)
    v1, v2 = PlanVersion.objects.filter(year=2026).order_by("number")
    ids = [de001.pk, *(d.pk for d in others)]
    with as_dealers(ids):
        per_version = {
            v.number: dict(
                PlanTarget.objects.filter(version=v)
                .values("dealer_id")
                .annotate(t=Sum("target"))
                .values_list("dealer_id", "t")
            )
            for v in (v1, v2)
        }
    assert set(per_version[1]) == set(ids) and set(per_version[2]) == set(ids)
    assert per_version[1] != per_version[2]  # the revision changed some dealers

    with as_dealer(de001):
        split = list(
            ConsultantTarget.objects.filter(version=v2).values_list(
                "metric", "month", "consultant_id", "target"
            )
        )
        plan = {
            (m, mo): t
            for m, mo, t in PlanTarget.objects.filter(version=v2)
            .values("metric", "month")
            .annotate(t=Sum("target"))
            .values_list("metric", "month", "t")
        }
    assert len(split) == 4 * 12 * 3 and result.split_rows == len(split)
    assert {c for _m, _mo, c, _t in split} == {p.pk for p in people}
    for key, total in plan.items():
        assert sum(t for m, mo, _c, t in split if (m, mo) == key) == total

    again = seed_plans(seed=7, year=2026)
    assert again.skipped and PlanVersion.objects.filter(year=2026).count() == 2

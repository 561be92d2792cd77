"""Who sees which plan (regional manager: own regions' dealers; dealer manager: own dealer) and
the consultant split (must sum to the dealer's plan per month, replaces on edit, audited)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dms.audit.models import AuditEntry
from dms.tenancy.context import as_dealer
from reports.models import ConsultantTarget
from reports.plans import selectors, services
from tests.api.support import session_client
from tests.factories import DealerFactory, RegionFactory, hq_user, staff

from .support import counts, write_plan

pytestmark = pytest.mark.django_db
YEAR = 2026


@pytest.fixture(autouse=True)
def start_of_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests edit every month: the dealers' local date is 1 January of the plan year (the
    kept months that are over are tested in test_split_departures.py)."""
    monkeypatch.setattr(selectors, "dealer_today", lambda dealer: datetime.date(YEAR, 1, 1))


@pytest.fixture
def net() -> dict[str, Any]:
    north, south = RegionFactory(name="North"), RegionFactory(name="South")
    a = DealerFactory(code="AA01", region=north)
    a2 = DealerFactory(code="AA02", region=north)
    b = DealerFactory(code="BB01", region=south)
    return {
        "a": a,
        "a2": a2,
        "b": b,
        "manager": staff(a, "dealer_manager"),
        "b_manager": staff(b, "dealer_manager"),
        "anna": staff(a, "consultant", first_name="Anna", last_name="Berg"),
        "carl": staff(a, "consultant", first_name="Carl", last_name="Dahl"),
        "bob": staff(b, "consultant", first_name="Bob", last_name="Other"),
        "rm": hq_user("hq_regional_manager", regions=[north]),
    }


def dealers_on(page: str) -> set[str]:
    return set(re.findall(r'data-dealer="([^"]+)"', page))


# --- reading ----------------------------------------------------------------------------------


def test_regional_manager_reads_only_own_regions_dealers(net: dict[str, Any]) -> None:
    version = write_plan([net["a"], net["a2"], net["b"]], YEAR)
    only_b = write_plan([net["b"]], YEAR + 1)
    client = session_client(net["rm"])
    page = client.get(reverse("reports:plan_version", args=[version.pk])).content.decode()
    assert dealers_on(page) == {"AA01", "AA02"}
    # Orders, year total of 2 dealers x 2 models x sum(11..22) = 792 (B's 396 not counted).
    assert re.search(r'<tr data-metric="orders">.*?>792</td>', page, re.S)
    # Asking for B by filter does not show it (B is not a choice).
    filtered = client.get(
        reverse("reports:plan_version", args=[version.pk]), {"dealer": net["b"].pk}
    ).content.decode()
    assert "BB01" not in filtered
    # A version holding only B's targets is not there at all.
    assert client.get(reverse("reports:plan_version", args=[only_b.pk])).status_code == 404
    listing = client.get(reverse("reports:plan_list")).content.decode()
    assert reverse("reports:plan_version", args=[version.pk]) in listing
    assert reverse("reports:plan_version", args=[only_b.pk]) not in listing
    # Read only: no upload, no split.
    assert client.get(reverse("reports:plan_upload")).status_code == 403
    assert client.get(reverse("reports:plan_split")).status_code == 403


def test_regional_manager_region_filter(net: dict[str, Any]) -> None:
    version = write_plan([net["a"], net["a2"]], YEAR)
    client = session_client(net["rm"])
    url = reverse("reports:plan_version", args=[version.pk])
    page = client.get(url, {"dealer": net["a2"].pk, "metric": "leads"}).content.decode()
    assert dealers_on(page) == {"AA02"}
    both = write_plan([net["a"], net["b"]], YEAR + 1)
    admin = session_client(hq_user("hq_admin"))
    url = reverse("reports:plan_version", args=[both.pk])
    assert dealers_on(admin.get(url).content.decode()) == {"AA01", "BB01"}
    south = admin.get(url, {"region": net["b"].region_id}).content.decode()
    assert dealers_on(south) == {"BB01"}


def test_dealer_manager_sees_own_dealer_only(net: dict[str, Any]) -> None:
    version = write_plan([net["a"], net["b"]], YEAR)
    only_b = write_plan([net["b"]], YEAR + 1)
    client = session_client(net["manager"])
    page = client.get(reverse("reports:plan_version", args=[version.pk])).content.decode()
    assert dealers_on(page) == {"AA01"}
    assert "BB01" not in page
    assert client.get(reverse("reports:plan_version", args=[only_b.pk])).status_code == 404
    listing = client.get(reverse("reports:plan_list")).content.decode()
    assert reverse("reports:plan_version", args=[only_b.pk]) not in listing


def test_consultants_do_not_see_plans(net: dict[str, Any]) -> None:
    version = write_plan([net["a"]], YEAR)
    client = session_client(net["anna"])
    assert client.get(reverse("reports:plan_list")).status_code == 403
    assert client.get(reverse("reports:plan_version", args=[version.pk])).status_code == 403


# --- split --------------------------------------------------------------------------------------


def grid(client: Any, metric: str = "orders") -> str:
    response = client.get(reverse("reports:plan_split"), {"year": YEAR, "metric": metric})
    assert response.status_code == 200
    return response.content.decode()


def post_split(client: Any, cells: dict[str, Any], metric: str = "orders", **extra: Any) -> Any:
    url = f"{reverse('reports:plan_split')}?year={YEAR}&metric={metric}"
    return client.post(url, {**cells, **extra})


def fill(people: list[Any], plan: list[int], share_first: int) -> dict[str, Any]:
    """First person gets `share_first` of each month, the second the rest."""
    first, second = people
    cells = {}
    for month, total in enumerate(plan, start=1):
        cells[f"t-{first.pk}-{month}"] = min(share_first, total)
        cells[f"t-{second.pk}-{month}"] = total - min(share_first, total)
    return cells


def saved(dealer: Any, metric: str = "orders") -> dict[tuple[int, int], int]:
    with as_dealer(dealer):
        return {
            (c, m): t
            for c, m, t in ConsultantTarget.objects.filter(metric=metric).values_list(
                "consultant_id", "month", "target"
            )
        }


def test_split_must_sum_to_the_plan_per_month(net: dict[str, Any]) -> None:
    write_plan([net["a"]], YEAR)  # orders per month: 2 models x (10 + month)
    plan = [2 * (10 + m) for m in range(1, 13)]
    client = session_client(net["manager"])
    page = grid(client)
    assert "Anna Berg" in page and "Carl Dahl" in page and "Bob" not in page

    cells = fill([net["anna"], net["carl"]], plan, 5)
    cells[f"t-{net['anna'].pk}-3"] = 1  # March: 4 missing
    cells[f"t-{net['carl'].pk}-7"] = plan[6] + 2  # July: 5 + 36 = 7 too many
    before = counts()
    response = post_split(client, cells, action="save")
    text = response.content.decode()
    assert response.status_code == 200
    assert (
        "March, Orders: the consultants&#x27; targets sum to 22 but the dealer&#x27;s plan is 26 (4 missing)."
        in text
    )
    assert (
        "July, Orders: the consultants&#x27; targets sum to 41 but the dealer&#x27;s plan is 34 (7 too many)."
        in text
    )
    assert "Nothing was saved." in text
    assert counts() == before

    cells = fill([net["anna"], net["carl"]], plan, 5)
    response = post_split(client, cells, action="save")
    assert response.status_code == 302
    got = saved(net["a"])
    assert len(got) == 24
    assert got[(net["anna"].pk, 1)] == 5 and got[(net["carl"].pk, 1)] == 22 - 5
    for month in range(1, 13):
        assert got[(net["anna"].pk, month)] + got[(net["carl"].pk, month)] == plan[month - 1]
    entry = AuditEntry.objects.filter(dealer=net["a"], detail__kind="plan_split").get()
    assert entry.actor == net["manager"] and entry.count == 24 and entry.detail["replaced"] == 0


def test_editing_a_split_replaces_it_and_is_audited(net: dict[str, Any]) -> None:
    write_plan([net["a"]], YEAR)
    plan = [2 * (10 + m) for m in range(1, 13)]
    client = session_client(net["manager"])
    post_split(client, fill([net["anna"], net["carl"]], plan, 5), action="save")
    post_split(client, fill([net["anna"], net["carl"]], plan, 9), action="save")
    got = saved(net["a"])
    assert len(got) == 24 and got[(net["anna"].pk, 1)] == 9
    entries = AuditEntry.objects.filter(dealer=net["a"], detail__kind="plan_split").order_by("at")
    assert [e.detail["replaced"] for e in entries] == [0, 24]
    assert saved(net["a"], "leads") == {}  # other metrics untouched


def test_split_rejects_non_numbers_and_decimals(net: dict[str, Any]) -> None:
    write_plan([net["a"]], YEAR)
    plan = [2 * (10 + m) for m in range(1, 13)]
    client = session_client(net["manager"])
    cells = fill([net["anna"], net["carl"]], plan, 5)
    cells[f"t-{net['anna'].pk}-2"] = "2.5"
    response = post_split(client, cells, action="save")
    assert "Enter a whole number" in response.content.decode()
    assert saved(net["a"]) == {}


def test_even_split_fills_the_grid_without_saving(net: dict[str, Any]) -> None:
    write_plan([net["a"]], YEAR)
    client = session_client(net["manager"])
    response = post_split(client, {}, action="even")
    page = response.content.decode()
    # January orders 22 -> 11 + 11; February 24 -> 12 + 12.
    assert f'name="t-{net["anna"].pk}-1" value="11"' in page
    assert f'name="t-{net["carl"].pk}-2" value="12"' in page
    assert saved(net["a"]) == {}
    assert services.even_split(23, 3) == [8, 8, 7]


def test_split_cannot_touch_another_dealer(net: dict[str, Any]) -> None:
    version = write_plan([net["a"], net["b"]], YEAR)
    plan_b = [2 * (10 + m) for m in range(1, 13)]
    # B's manager posting A's consultants: they are not B's, so not parsed; the sums fail.
    client = session_client(net["b_manager"])
    cells = fill([net["anna"], net["carl"]], plan_b, 5)
    response = post_split(client, cells, action="save")
    assert "Nothing was saved." in response.content.decode()
    assert saved(net["a"]) == {} and saved(net["b"]) == {}
    assert "Anna" not in grid(client)
    # The service refuses consultants of another dealer outright.
    cells_map = {(net["anna"].pk, m): plan_b[m - 1] for m in range(1, 13)}
    with pytest.raises(ValidationError) as exc, as_dealer(net["b"]):
        services.save_split(
            dealer=net["b"],
            version=version,
            metric="orders",
            cells=cells_map,
            plan=plan_b_dict(plan_b),
            actor=net["b_manager"],
        )
    assert "active consultants" in str(exc.value)
    assert saved(net["b"]) == {}
    # A's split page as B's manager shows B's plan only.
    assert "AA01" not in grid(client)


def plan_b_dict(plan: list[int]) -> dict[int, int]:
    return {m: plan[m - 1] for m in range(1, 13)}


def test_split_of_a_dealer_outside_the_current_version(net: dict[str, Any]) -> None:
    write_plan([net["a"], net["b"]], YEAR)
    write_plan([net["a"]], YEAR)  # v2 drops B: B has no current plan to split
    client = session_client(net["b_manager"])
    assert 'data-testid="split-no-plan"' in grid(client)
    response = post_split(client, {f"t-{net['bob'].pk}-1": 1}, action="save")
    assert response.status_code == 302
    assert saved(net["b"]) == {}


def test_split_uses_the_current_version(net: dict[str, Any]) -> None:
    write_plan([net["a"]], YEAR, base=10)
    v2 = write_plan([net["a"]], YEAR, base=20)
    with as_dealer(net["a"]):
        plan = selectors.dealer_plan_by_month(dealer=net["a"], version=v2, metric="orders")
    assert plan[1] == 2 * 21
    page = grid(session_client(net["manager"]))
    assert 'data-plan-month="1">42<' in page


def test_version_page_queries_do_not_grow_with_dealers(net: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = session_client(hq_user("hq_admin"))
    small = write_plan([net["a"]], YEAR)
    big = write_plan([net["a"], net["a2"], net["b"], *DealerFactory.create_batch(4)], YEAR + 1)
    counts_seen = []
    for version in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            response = admin.get(reverse("reports:plan_version", args=[version.pk]))
        assert response.status_code == 200
        counts_seen.append(len(ctx.captured_queries))
    assert counts_seen[0] == counts_seen[1]

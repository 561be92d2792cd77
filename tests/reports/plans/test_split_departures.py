"""The consultant split over time: months that are over keep their split as saved (a departed
consultant's rows too, shown read only with "left on"), a departed consultant's future targets
are offered for re-assignment, and a new plan version can start from an earlier version's split
(scaled to the new plan with largest-remainder rounding). Nothing leaks across dealers."""

from __future__ import annotations

import datetime
import re
from fractions import Fraction
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealers.models import Membership
from dms.audit.models import AuditEntry
from dms.tenancy.context import as_dealer
from reports.models import ConsultantTarget
from reports.plans import selectors, services
from tests.api.support import session_client
from tests.factories import DealerFactory, staff

from .support import counts, write_plan

pytestmark = pytest.mark.django_db
YEAR = 2026
TODAY = datetime.date(YEAR, 6, 15)  # January-May are over, June is the current month
LEFT_ON = datetime.date(YEAR, 6, 10)  # Dave worked part of June


def plan_v1(month: int) -> int:
    return 2 * (10 + month)  # write_plan(base=10): 2 models x (10 + month)


def plan_v2(month: int) -> int:
    return 2 * (20 + month)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> dict[str, datetime.date]:
    """The dealers' local date (mutable: a test may move it)."""
    state = {"today": TODAY}
    monkeypatch.setattr(selectors, "dealer_today", lambda dealer: state["today"])
    return state


@pytest.fixture
def net(today: dict[str, datetime.date]) -> dict[str, Any]:
    a = DealerFactory(code="AA01", name="Alpha Motors")
    b = DealerFactory(code="BB01", name="Beta Cars")
    return {
        "a": a,
        "b": b,
        "manager": staff(a, "dealer_manager", first_name="Mona", last_name="Manager"),
        # fixed names: a random one ("Anna Thomas") collided with the absence checks below
        "b_manager": staff(b, "dealer_manager", first_name="Beate", last_name="Boss"),
        "anna": staff(a, "consultant", first_name="Anna", last_name="Berg"),
        "carl": staff(a, "consultant", first_name="Carl", last_name="Dahl"),
        "dave": staff(a, "consultant", first_name="Dave", last_name="Eck"),
        "bob": staff(b, "consultant", first_name="Bob", last_name="Other"),
        "today": today,
    }


def url(metric: str = "orders") -> str:
    return f"{reverse('reports:plan_split')}?year={YEAR}&metric={metric}"


def page(client: Any) -> str:
    response = client.get(url())
    assert response.status_code == 200
    return response.content.decode()


def saved(dealer: Any, metric: str = "orders", version: Any = None) -> dict[tuple[int, int], int]:
    with as_dealer(dealer):
        qs = ConsultantTarget.objects.filter(metric=metric)
        if version is not None:
            qs = qs.filter(version=version)
        return {(c, m): t for c, m, t in qs.values_list("consultant_id", "month", "target")}


def three_way(net: dict[str, Any], plan: Any) -> dict[tuple[int, int], int]:
    """Anna 4, Dave 6, Carl the rest of every month."""
    cells = {}
    for month in range(1, 13):
        cells[(net["anna"].pk, month)] = 4
        cells[(net["dave"].pk, month)] = 6
        cells[(net["carl"].pk, month)] = plan(month) - 10
    return cells


def save(net: dict[str, Any], version: Any, cells: dict[tuple[int, int], int]) -> int:
    return services.save_split(
        dealer=net["a"], version=version, metric="orders", cells=cells, actor=net["manager"]
    )


def dave_leaves(net: dict[str, Any], on: datetime.date = LEFT_ON) -> None:
    Membership.objects.filter(user=net["dave"], dealer=net["a"]).update(
        is_active=False, leaving_on=on
    )
    net["dave"].is_active = False
    net["dave"].save(update_fields=["is_active"])


def value_of(html: str, user: Any, month: int) -> int:
    match = re.search(rf'name="t-{user.pk}-{month}" value="(\d*)"', html)
    assert match, f"no input for {user} in month {month}"
    return int(match.group(1) or 0)


# --- a departed consultant ------------------------------------------------------------------------


def test_departed_consultants_worked_months_survive_a_save(net: dict[str, Any]) -> None:
    version = write_plan([net["a"], net["b"]], YEAR)
    first = three_way(net, plan_v1)
    with as_dealer(net["a"]):
        # Before today: every month is still open (first split of this version).
        assert save(net, version, first) == 36
    dave_leaves(net)
    client = session_client(net["manager"])

    html = page(client)
    # Dave's row: read only, with the date he left; no inputs for him at all.
    assert 'data-testid="split-departed-row"' in html
    assert "left on 10 Jun 2026" in html
    assert f'name="t-{net["dave"].pk}-' not in html
    assert 'data-testid="split-closed-note"' in html
    assert "Months that are over keep their split as saved: Jan, Feb, Mar, Apr, May." in html
    # The months that are over are read only for everyone.
    assert f'name="t-{net["anna"].pk}-5"' not in html
    assert f'name="t-{net["anna"].pk}-6"' in html
    # July-December: Dave's 6 a month must be re-assigned; the form spreads them (3 + 3).
    assert 'data-testid="split-reassign"' in html
    assert "Dave Eck left on 10 Jun 2026 but still holds 36 in targets for Jul, Aug" in html
    assert value_of(html, net["anna"], 7) == 4 + 3
    assert value_of(html, net["carl"], 7) == plan_v1(7) - 10 + 3
    # June: Dave's 6 is kept, the others share the rest.
    assert value_of(html, net["anna"], 6) == 4
    assert saved(net["a"]) == first  # showing the page changed nothing

    # Save what the form proposes (Anna 10 from July on).
    cells = {}
    for month in range(6, 13):
        dave_part = 6 if month == 6 else 0
        anna = 4 if month == 6 else 10
        cells[f"t-{net['anna'].pk}-{month}"] = anna
        cells[f"t-{net['carl'].pk}-{month}"] = plan_v1(month) - dave_part - anna
    response = client.post(url(), {**cells, "action": "save"})
    assert response.status_code == 302, response.content.decode()[:3000]

    got = saved(net["a"])
    for month in range(1, 7):  # worked months: Dave's targets survive unchanged
        assert got[(net["dave"].pk, month)] == 6
    for month in range(1, 6):  # months that are over: untouched
        assert got[(net["anna"].pk, month)] == 4
    for month in range(7, 13):
        assert (net["dave"].pk, month) not in got
        assert got[(net["anna"].pk, month)] == 10
        assert got[(net["anna"].pk, month)] + got[(net["carl"].pk, month)] == plan_v1(month)
    assert got[(net["anna"].pk, 6)] + got[(net["carl"].pk, 6)] + 6 == plan_v1(6)
    entry = AuditEntry.objects.filter(dealer=net["a"], detail__kind="plan_split").latest("at")
    assert entry.actor == net["manager"]
    assert entry.detail["months"] == list(range(6, 13))
    assert entry.detail["reassigned"] == {str(net["dave"].pk): 36}
    assert entry.detail["kept"] == 3 * 5 + 1  # Jan-May for three people, Dave's June

    # The next visit: nothing left to re-assign, Dave still shown read only.
    html = page(client)
    assert 'data-testid="split-reassign"' not in html
    assert "left on 10 Jun 2026" in html


def test_editing_a_month_that_is_over_is_refused_and_changes_nothing(
    net: dict[str, Any],
) -> None:
    version = write_plan([net["a"]], YEAR)
    with as_dealer(net["a"]):
        save(net, version, three_way(net, plan_v1))
    dave_leaves(net)
    splits = AuditEntry.objects.filter(detail__kind="plan_split")
    before, audits = saved(net["a"]), splits.count()
    client = session_client(net["manager"])

    # A crafted post that moves one of March's units from Carl to Anna (sums still fine).
    cells = {"action": "save"}
    for month in range(6, 13):
        cells[f"t-{net['anna'].pk}-{month}"] = 4 if month == 6 else 7
        cells[f"t-{net['carl'].pk}-{month}"] = plan_v1(month) - (10 if month == 6 else 7)
    cells[f"t-{net['anna'].pk}-3"] = 5
    cells[f"t-{net['carl'].pk}-3"] = plan_v1(3) - 10 - 1
    response = client.post(url(), cells)
    html = response.content.decode()
    assert response.status_code == 200
    assert "March 2026 is over and its split is kept as saved: it cannot be changed." in html
    assert "Nothing was saved." in html
    assert saved(net["a"]) == before
    assert splits.count() == audits

    # The service refuses the same, and a change to Dave's kept June target.
    with as_dealer(net["a"]), pytest.raises(ValidationError) as exc:
        save(net, version, {(net["anna"].pk, 3): 5})
    assert "March 2026 is over" in str(exc.value)
    with as_dealer(net["a"]), pytest.raises(ValidationError) as exc:
        save(net, version, {(net["dave"].pk, 6): 0})
    assert "Dave Eck's target for June is kept as saved" in str(exc.value)
    # ... and a departed consultant cannot get a new target.
    with as_dealer(net["a"]), pytest.raises(ValidationError) as exc:
        save(net, version, {(net["dave"].pk, 8): 6})
    assert "Only the dealer's active consultants can get a target." in str(exc.value)
    assert saved(net["a"]) == before

    # Resubmitting a kept value unchanged is fine (nothing to refuse).
    ok = {(net["anna"].pk, 3): 4}
    for month in range(6, 13):
        ok[(net["anna"].pk, month)] = 4 if month == 6 else 7
        ok[(net["carl"].pk, month)] = plan_v1(month) - (10 if month == 6 else 7)
    with as_dealer(net["a"]):
        assert save(net, version, ok) == 14
    assert saved(net["a"])[(net["anna"].pk, 3)] == 4


def test_a_leaving_consultant_gets_no_target_after_the_leaving_date(
    net: dict[str, Any],
) -> None:
    version = write_plan([net["a"]], YEAR)
    Membership.objects.filter(user=net["dave"]).update(leaving_on=datetime.date(YEAR, 8, 20))
    with as_dealer(net["a"]):
        frame = selectors.split_frame(dealer=net["a"], version=version, metric="orders")
        assert net["dave"].pk in frame.eligible(8)
        assert net["dave"].pk not in frame.eligible(9)
        cells = three_way(net, plan_v1)
        with pytest.raises(ValidationError) as exc:
            save(net, version, cells)
    assert "Dave Eck leaves on 20 Aug 2026 and cannot get a target for September." in str(exc.value)
    html = page(session_client(net["manager"]))
    assert "leaves on 20 Aug 2026" in html
    assert f'name="t-{net["dave"].pk}-8"' in html
    assert f'name="t-{net["dave"].pk}-9"' not in html


# --- carry-over from an earlier version ---------------------------------------------------------


def test_largest_remainder_sums_exactly_and_is_proportional() -> None:
    assert services.largest_remainder(7, [5, 3, 2]) == [4, 2, 1]  # 3.5, 2.1, 1.4
    assert services.largest_remainder(10, [1, 1, 1]) == [4, 3, 3]  # ties: the earlier
    assert services.largest_remainder(42, [11, 7, 4]) == [21, 13, 8]  # 21, 13.36, 7.64
    assert services.largest_remainder(5, [0, 0]) == [3, 2]  # nothing to scale: even
    assert services.largest_remainder(0, [3, 1]) == [0, 0]
    for total in range(0, 60):
        shares = services.largest_remainder(total, [Fraction(13, 3), 2, 0, 7])
        assert sum(shares) == total and shares[2] == 0
        for share, weight in zip(shares, [Fraction(13, 3), 2, 0, 7], strict=True):
            assert abs(share - Fraction(total) * weight / Fraction(40, 3)) < 1


def _v1_split(net: dict[str, Any]) -> dict[tuple[int, int], int]:
    """Anna 11, Carl 7, Dave 4 in January (plan 22); Anna 4, Dave 6, Carl the rest later."""
    cells = three_way(net, plan_v1)
    cells[(net["anna"].pk, 1)], cells[(net["carl"].pk, 1)], cells[(net["dave"].pk, 1)] = 11, 7, 4
    return cells


def test_carry_over_scales_the_earlier_split_to_the_new_plan(net: dict[str, Any]) -> None:
    net["today"]["today"] = datetime.date(YEAR - 1, 12, 20)  # the whole year is ahead
    v1 = write_plan([net["a"], net["b"]], YEAR)
    with as_dealer(net["a"]):
        save(net, v1, _v1_split(net))
    v2 = write_plan([net["a"], net["b"]], YEAR, base=20)
    client = session_client(net["manager"])

    html = page(client)
    assert 'data-testid="split-carry-over"' in html
    assert "Start from version 1" in html
    assert 'data-testid="split-departed-row"' not in html  # v2 has no rows yet

    before = counts()
    response = client.post(url(), {"action": "carry"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Filled in from version 1" in html
    assert counts() == before  # nothing saved
    people = [net["anna"], net["carl"], net["dave"]]
    # January: 42 x 11/22, 7/22, 4/22 = 21, 13.36, 7.64 -> 21, 13, 8.
    assert [value_of(html, p, 1) for p in people] == [21, 13, 8]
    for month in range(1, 13):
        values = [value_of(html, p, month) for p in people]
        assert sum(values) == plan_v2(month)
        if month > 1:  # 4 : 6 : rest of the v1 plan, scaled
            weights = [4, plan_v1(month) - 10, 6]
            assert values == services.largest_remainder(plan_v2(month), weights)

    # Saving the proposal goes through the usual checks.
    posted = {f"t-{p.pk}-{m}": value_of(html, p, m) for p in people for m in range(1, 13)} | {
        "action": "save"
    }
    assert client.post(url(), posted).status_code == 302
    got = saved(net["a"], version=v2)
    assert got[(net["anna"].pk, 1)] == 21 and len(got) == 36
    assert saved(net["a"], version=v1) == _v1_split(net)  # the earlier split is untouched
    assert 'data-testid="split-carry-over"' not in page(client)  # v2 has its own split now


def test_carry_over_spreads_a_departed_consultants_share(net: dict[str, Any]) -> None:
    net["today"]["today"] = datetime.date(YEAR - 1, 12, 20)
    v1 = write_plan([net["a"]], YEAR)
    with as_dealer(net["a"]):
        save(net, v1, _v1_split(net))
    v2 = write_plan([net["a"]], YEAR, base=20)
    dave_leaves(net, datetime.date(YEAR - 1, 12, 1))
    with as_dealer(net["a"]):
        frame = selectors.split_frame(dealer=net["a"], version=v2, metric="orders")
        source = selectors.carry_over_source(dealer=net["a"], version=v2, metric="orders")
        assert source == v1
        cells = services.carry_over_cells(
            frame=frame, source=selectors.split_cells(dealer=net["a"], version=v1, metric="orders")
        )
    assert {uid for uid, _m in cells} == {net["anna"].pk, net["carl"].pk}
    # January: Dave's 4 split 2 + 2 -> 13 : 9 of 42 = 24.82, 17.18 -> 25, 17.
    assert (cells[(net["anna"].pk, 1)], cells[(net["carl"].pk, 1)]) == (25, 17)
    for month in range(1, 13):
        assert cells[(net["anna"].pk, month)] + cells[(net["carl"].pk, month)] == plan_v2(month)
    html = page(session_client(net["manager"]))
    assert "Dave Eck" not in html  # no rows of his in v2: not listed


def test_carry_over_when_months_are_already_over(net: dict[str, Any]) -> None:
    """A revision in June: its months have no split yet, so all are filled and saved once;
    afterwards January-May are kept."""
    v1 = write_plan([net["a"]], YEAR)
    net["today"]["today"] = datetime.date(YEAR - 1, 12, 20)
    with as_dealer(net["a"]):
        save(net, v1, _v1_split(net))
    net["today"]["today"] = TODAY
    v2 = write_plan([net["a"]], YEAR, base=20)
    client = session_client(net["manager"])
    html = client.post(url(), {"action": "carry"}).content.decode()
    people = [net["anna"], net["carl"], net["dave"]]
    posted = {f"t-{p.pk}-{m}": value_of(html, p, m) for p in people for m in range(1, 13)}
    assert client.post(url(), {**posted, "action": "save"}).status_code == 302
    assert len(saved(net["a"], version=v2)) == 36
    html = page(client)
    assert f'name="t-{net["anna"].pk}-1"' not in html  # January is over and split now
    assert f'name="t-{net["anna"].pk}-6"' in html


# --- other dealers ---------------------------------------------------------------------------------


def test_other_dealers_splits_are_invisible_and_untouchable(net: dict[str, Any]) -> None:
    v1 = write_plan([net["a"], net["b"]], YEAR)
    with as_dealer(net["a"]):
        save(net, v1, three_way(net, plan_v1))
    dave_leaves(net)
    v2 = write_plan([net["a"], net["b"]], YEAR, base=20)
    a_v1 = saved(net["a"], version=v1)
    before = counts()
    client = session_client(net["b_manager"])

    html = page(client)
    assert "Bob Other" in html
    for name in ("Anna Berg", "Carl Dahl", "Dave Eck", "left on", "Alpha Motors"):
        assert name not in html
    assert 'data-testid="split-carry-over"' not in html  # B never split: nothing to carry over
    assert 'data-testid="split-reassign"' not in html
    with as_dealer(net["b"]):
        assert selectors.carry_over_source(dealer=net["b"], version=v2, metric="orders") is None
        assert selectors.split_cells(dealer=net["b"], version=v1, metric="orders") == {}

    # Carry-over asked anyway: refused, nothing saved.
    response = client.post(url(), {"action": "carry"})
    assert response.status_code == 302
    # A's consultant's cells (a month that is over, and the future) posted by B: ignored.
    response = client.post(
        url(),
        {f"t-{net['anna'].pk}-3": 99, f"t-{net['dave'].pk}-8": 6, "action": "save"},
    )
    assert "Nothing was saved." in response.content.decode()
    # The service refuses A's consultants for B outright.
    with as_dealer(net["b"]), pytest.raises(ValidationError) as exc:
        services.save_split(
            dealer=net["b"],
            version=v2,
            metric="orders",
            cells={(net["anna"].pk, m): plan_v2(m) for m in range(1, 13)},
            actor=net["b_manager"],
        )
    assert "active consultants" in str(exc.value)
    assert counts() == before
    assert saved(net["a"], version=v1) == a_v1 and saved(net["b"]) == {}


def test_month_labels_are_built_in_the_readers_language() -> None:
    from django.utils.translation import override

    from reports.plans.views import month_labels

    with override("en"):
        assert month_labels()[0] == "Jan"
    with override("ja"):
        assert month_labels()[0] == "1月"
    with override("en"):
        assert month_labels()[11] == "Dec"  # nothing kept from the Japanese call

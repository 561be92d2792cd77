"""Conversion figures never pass 100 %: one cohort definition on every output.

A small history counted by hand. Dealer "LA01" is in Los Angeles (UTC-8/-7); it is Friday
10 April 2026, noon there, and the nightly rollup has run.

The cohort of March — 10 leads opened in March (dealer dates):
    L1  Alice  new 2 Mar, contacted, visited, test drive, quote, order, delivered 27 Mar
    L2  Alice  new 4 Mar, contacted, visited, test drive, quote, order 20 Mar       (open)
    L3  Bob    new 5 Mar, contacted, visited, test drive, quote, lost 24 Mar
    L4  Bob    new 9 Mar, contacted, quote 17 Mar (skipped visit and test drive)     (open)
    L5  Alice  new 11 Mar, contacted, lost 19 Mar
    L6  Bob    new 12 Mar, contacted, visited, dormant 30 Mar
    L7  Alice  new 16 Mar, contacted, visited, back to contacted 23 Mar            (open)
    L8  Bob    new 18 Mar, contacted 19 Mar; visited 2 April (after March: "by now") (open)
    L9  Alice  new 25 Mar                                                           (open)
    L10 Bob    new 31 Mar 23:30 in Los Angeles (1 April in UTC)                     (open)
  reached: opened 10, contacted 8, visited 7, test drive 4, quote 4, order 2, delivered 1
  shares:  100, 80, 70, 40, 40, 20, 10 %; lost 2 (20 %), dormant 1 (10 %), still open 6 (60 %)
  by consultant: Alice opened 5 (L1 L2 L5 L7 L9), 2 reached Order: 40 %; Bob 5, none: 0 %.

Activity in March (leads moving into each stage, whenever opened), with three February leads:
    F1 Alice  opened 10 Feb, test drive in February; quote 3 Mar, order 10 Mar, delivered 25 Mar
    F2 Bob    opened 20 Feb, test drive in February; quote 5 Mar, order 13 Mar, delivered 26 Mar
    F3 Alice  opened 28 Feb 23:30 in Los Angeles (1 March in UTC); contacted 2 Mar, quote 4 Mar
  entered: new 10, contacted 10 (L1-L8, L7 again on 23 Mar, F3), visited 5, test drive 3,
  quote 7, order 4, delivered 3; lost 2, dormant 1.
The old stage-to-stage figures made of these counts: Quote 233 % of Test drive.

Not counted anywhere: a lead opened in April, and another dealer's March leads.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from dealers.models import Dealer
from dms.tenancy.context import as_dealer
from leads.models import FUNNEL_STAGES, Lead, Stage, StageChange
from reports.dashboards.selectors import dealer_kpis
from reports.funnel.selectors import Funnel, funnel
from reports.models import COHORT_MEASURES, KpiDay
from reports.rollup.services import nightly, rollup
from tests.factories import CustomerFactory, DealerFactory, LeadFactory, signed_in_client, staff
from tests.leads._funnel import ensure_reference_data
from tests.reports.exports.conftest import pdf_text
from tests.ui.helpers import text_of

pytestmark = pytest.mark.django_db

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
NOW = dt.datetime(2026, 4, 10, 12, 0, tzinfo=LA)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))

REACHED = [10, 8, 7, 4, 4, 2, 1]
SHARES = [100.0, 80.0, 70.0, 40.0, 40.0, 20.0, 10.0]
OUTCOMES = {"delivered": (1, 10.0), "lost": (2, 20.0), "dormant": (1, 10.0), "open": (6, 60.0)}
ENTERED = [10, 10, 5, 3, 7, 4, 3]
ENTERED_CLOSED = {"lost": 2, "dormant": 1}
STAGES = [s.value for s in FUNNEL_STAGES]


def la(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LA)


@dataclass
class Story:
    dealer: Dealer
    other: Dealer
    manager: Any
    alice: Any
    bob: Any


def walk(dealer: Dealer, consultant: Any, steps: list[tuple[str, dt.datetime]]) -> Lead:
    """A lead and its stage history at the given times (the funnel reads history, not rules)."""
    with as_dealer(dealer):
        customer = CustomerFactory(dealer=dealer, owner=consultant)
        lead: Lead = LeadFactory(customer=customer, consultant=consultant)
        before = ""
        for stage, at in steps:
            change = StageChange.objects.create(
                dealer=dealer, lead=lead, from_stage=before, to_stage=stage, consultant=consultant
            )
            StageChange.objects.filter(pk=change.pk).update(changed_at=at)
            before = stage
        closed = before in (Stage.DELIVERED, Stage.LOST, Stage.DORMANT)
        Lead.objects.filter(pk=lead.pk).update(stage=before, is_open=not closed)
    return lead


def path(stages: str, *days: tuple[int, int] | dt.datetime) -> list[tuple[str, dt.datetime]]:
    times = [d if isinstance(d, dt.datetime) else la(*d) for d in days]
    names = stages.split()
    assert len(names) == len(times)
    return list(zip(names, times, strict=True))


def build() -> Story:
    ensure_reference_data()
    dealer = DealerFactory(code="LA01", name="Pacific Motors", timezone="America/Los_Angeles")
    other = DealerFactory(code="OT01", name="Other Motors")
    manager = staff(dealer, "sales_manager", first_name="Mona", last_name="Manager")
    alice = staff(dealer, "consultant", first_name="Alice", last_name="Able")
    bob = staff(dealer, "consultant", first_name="Bob", last_name="Baker")
    full = "new contacted visited test_drive quote"
    walk(dealer, alice, path(f"{full} order delivered", *[(3, d) for d in (2, 3, 5, 6, 9, 16, 27)]))
    walk(dealer, alice, path(f"{full} order", *[(3, d) for d in (4, 4, 10, 11, 12, 20)]))
    walk(dealer, bob, path(f"{full} lost", *[(3, d) for d in (5, 6, 9, 10, 13, 24)]))
    walk(dealer, bob, path("new contacted quote", (3, 9), (3, 10), (3, 17)))
    walk(dealer, alice, path("new contacted lost", (3, 11), (3, 12), (3, 19)))
    walk(dealer, bob, path("new contacted visited dormant", (3, 12), (3, 13), (3, 16), (3, 30)))
    walk(dealer, alice, path("new contacted visited contacted", (3, 16), (3, 17), (3, 18), (3, 23)))
    walk(dealer, bob, path("new contacted visited", (3, 18), (3, 19), (4, 2)))
    walk(dealer, alice, path("new", (3, 25)))
    walk(dealer, bob, path("new", la(3, 31, 23, 30)))
    # February leads moving on in March
    walk(dealer, alice, path(f"{full} order delivered", *[(2, 10), (2, 11), (2, 13), (2, 17)],
                             *[(3, d) for d in (3, 10, 25)]))  # fmt: skip
    walk(dealer, bob, path(f"{full} order delivered", *[(2, 20), (2, 21), (2, 24), (2, 26)],
                           *[(3, d) for d in (5, 13, 26)]))  # fmt: skip
    walk(dealer, alice, path("new contacted quote", la(2, 28, 23, 30), (3, 2), (3, 4)))
    # not in March's cohort nor its activity: April, and another dealer
    walk(dealer, alice, path("new contacted", (4, 5), (4, 6)))
    other_rep = staff(other, "consultant")
    for day in (3, 4, 5):
        walk(other, other_rep, path(f"{full} order delivered", *[(3, day)] * 7))
    return Story(dealer, other, manager, alice, bob)


@pytest.fixture(name="story")
def story_fixture(db: Any) -> Iterator[Story]:
    with time_machine.travel(NOW, tick=False):
        yield build()


@pytest.fixture(name="rolled")
def rolled_fixture(story: Story) -> Iterator[Story]:
    """The facts: a complete rollup of February to yesterday, run at noon today."""
    with time_machine.travel(NOW, tick=False):
        run = rollup([story.dealer.pk, story.other.pk], dt.date(2026, 2, 1), dt.date(2026, 4, 9))
        assert run.through == dt.date(2026, 4, 9)
        yield story


def march(story: Story | Dealer, **kwargs: Any) -> Funnel:
    dealer = story.dealer if isinstance(story, Story) else story
    with as_dealer(dealer):
        return funnel(dealer=dealer, start=MARCH[0], end=MARCH[1], **kwargs)


def check_total(data: Funnel) -> None:
    total = data.total
    assert total.opened == 10
    assert total.reached == REACHED
    assert total.shares == SHARES
    assert {o["outcome"]: (o["count"], o["share"]) for o in total.outcomes} == OUTCOMES
    assert total.entered == ENTERED
    assert (total.entered_lost, total.entered_dormant) == (2, 1)


def test_the_cohort_counted_live_and_from_the_facts(story: Story) -> None:
    with time_machine.travel(NOW, tick=False):
        live = march(story)
        assert live.through is None  # no rollup yet: every day counted live
        check_total(live)
        rollup([story.dealer.pk, story.other.pk], dt.date(2026, 2, 1), dt.date(2026, 4, 9))
        facts = march(story)
        assert facts.through == dt.date(2026, 4, 9)
        check_total(facts)
        assert march(story, live=False).total == facts.total
        by_consultant = {r.label: r for r in facts.rows}
    assert [r.label for r in facts.rows] == ["Alice Able", "Bob Baker"]
    alice, bob = by_consultant["Alice Able"], by_consultant["Bob Baker"]
    assert (alice.opened, alice.reached, alice.lost, alice.dormant) == (
        5,
        [5, 4, 3, 2, 2, 2, 1],
        1,
        0,
    )
    assert (bob.opened, bob.reached, bob.lost, bob.dormant) == (5, [5, 4, 4, 2, 2, 0, 0], 1, 1)
    assert (alice.share_of("order"), bob.share_of("order")) == (40.0, 0.0)
    # quotes and deliveries of February's leads are activity, never part of March's cohort
    assert alice.entered[STAGES.index("quote")] == 4 and alice.reached_stage("quote") == 2
    with time_machine.travel(NOW, tick=False), as_dealer(story.dealer):
        by_source = funnel(dealer=story.dealer, start=MARCH[0], end=MARCH[1], dimension="source")
        by_model = funnel(dealer=story.dealer, start=MARCH[0], end=MARCH[1], dimension="model")
    assert by_source.total == by_model.total == facts.total


def _cells(section: str, attribute: str) -> dict[str, str]:
    return {
        m.group(1): re.sub(r"<[^>]+>|\s+", "", m.group(2))
        for m in re.finditer(rf'{attribute}="([a-z_]+)"[^>]*>(.*?)</(?:span|td|li)>', section, re.S)
    }


def _section(html: str, testid: str) -> str:
    match = re.search(
        rf'<(section|ol|ul|tbody|table)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', html, re.S
    )
    assert match, f"no {testid}"
    return match.group(2)


def test_the_funnel_page(rolled: Story) -> None:
    client = signed_in_client(rolled.manager)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("leads:funnel"), {"start": "2026-03-01", "end": "2026-03-31"})
    assert page.status_code == 200
    html = page.content.decode()
    bars = _section(html, "funnel-total")
    assert _cells(bars, "data-stage") == dict(zip(STAGES, map(str, REACHED), strict=True))
    shares = {k: v.replace("%", "") for k, v in _cells(bars, "data-share").items()}
    assert shares == {s: f"{p:.1f}" for s, p in zip(STAGES, SHARES, strict=True)}
    outcomes = text_of(_section(html, "funnel-outcomes"))
    assert outcomes.strip() == (
        "Delivered: 1 (10.0 %) Lost: 2 (20.0 %) Dormant: 1 (10.0 %) Still open: 6 (60.0 %)"
    )
    assert "10 leads opened" in text_of(_section(html, "funnel-cohort"))
    table = _section(html, "funnel-table")
    alice = re.search(r"<tr>\s*<th[^>]*>Alice Able</th>(.*?)</tr>", table, re.S)
    assert alice and "40.0 %" in text_of(alice.group(1))  # her order column: 2 of 5
    activity = _section(html, "funnel-activity")
    total_row = re.search(r"<tr[^>]*data-total>(.*?)</tr>", activity, re.S)
    assert total_row
    assert _cells(total_row.group(1), "data-stage") == {
        **dict(zip(STAGES, map(str, ENTERED), strict=True)),
        "lost": "2",
        "dormant": "1",
    }
    assert "Other Motors" not in html
    assert_no_share_above_100(text_of(html))


def test_the_dashboard(rolled: Story) -> None:
    client = signed_in_client(rolled.manager)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/reports/", {"year": 2026, "month": 3})
    assert page.status_code == 200
    html = page.content.decode()
    card = _section(html, "funnel")
    rows = dict(re.findall(r'<tr data-(?:stage|outcome)="([a-z_]+)"[^>]*>(.*?)</tr>', card, re.S))
    figures = {k: list(_cells(v, "data-col").values()) for k, v in rows.items()}
    for stage, reached, pct, entered in zip(STAGES, REACHED, SHARES, ENTERED, strict=True):
        assert figures[stage] == [str(reached), f"{pct:.1f}%", str(entered)], stage
    assert figures["lost"] == ["2", "20.0%", "2"]
    assert figures["dormant"] == ["1", "10.0%", "1"]
    assert figures["open"] == ["6", "60.0%", ""]
    assert text_of(_lead_to_delivery(html)) == "Lead to delivery: 10.0 %"
    assert "of the 10 leads opened this month" in text_of(card)
    conversions = _leaderboard_conversions(_section(html, "leaderboard"))
    assert conversions == {"Alice Able": "40.0 %", "Bob Baker": "0.0 %"}
    assert "Other Motors" not in html
    assert_no_share_above_100(text_of(html))


def _lead_to_delivery(html: str) -> str:
    match = re.search(r'data-testid="lead-to-delivery">(.*?)</span>', html, re.S)
    assert match
    return match.group(1)


def _leaderboard_conversions(board: str) -> dict[str, str]:
    """The leaderboard's conversion column (the seventh cell) per consultant."""
    out = {}
    for row in re.findall(r'<tr data-consultant="\d+">(.*?)</tr>', board, re.S):
        name = text_of(re.search(r"<th[^>]*>(.*?)</th>", row, re.S).group(1)).strip()  # type: ignore[union-attr]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        out[name] = text_of(cells[5]).strip()  # rank, leads, drives, orders, deliveries, conv.
    return out


def test_the_csv_export(rolled: Story) -> None:
    client = signed_in_client(rolled.manager)
    url = reverse("reports:export_dealer_csv", args=[rolled.dealer.pk])
    with time_machine.travel(NOW, tick=False):
        response = client.get(url, {"table": "funnel", "year": 2026, "month": 3})
        board = client.get(url, {"table": "leaderboard", "year": 2026, "month": 3})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["dealer"] for r in rows} == {"LA01"} and {r["month"] for r in rows} == {"2026-03"}
    cohort = [
        (r["stage"], r["leads"], r["share_of_opened_pct"]) for r in rows if r["part"] == "cohort"
    ]
    assert cohort == [(s, str(n), str(p)) for s, n, p in zip(STAGES, REACHED, SHARES, strict=True)]
    outcome = {
        r["stage"]: (int(r["leads"]), float(r["share_of_opened_pct"]))
        for r in rows
        if r["part"] == "outcome"
    }
    assert outcome == OUTCOMES
    activity = {
        r["stage"]: (r["leads"], r["share_of_opened_pct"]) for r in rows if r["part"] == "activity"
    }
    assert activity == {
        **{s: (str(n), "") for s, n in zip(STAGES, ENTERED, strict=True)},
        "lost": ("2", ""),
        "dormant": ("1", ""),
    }
    leaders = {
        r["consultant"]: r["reached_order_pct"]
        for r in csv.DictReader(io.StringIO(board.content.decode()))
    }
    assert leaders == {"Alice Able": "40.0", "Bob Baker": "0.0"}
    assert all(float(r["share_of_opened_pct"] or 0) <= 100 for r in rows)


def test_the_pdf_pack(rolled: Story) -> None:
    client = signed_in_client(rolled.manager)
    url = reverse("reports:export_kpi_pdf", args=[rolled.dealer.pk])
    with time_machine.travel(NOW, tick=False):
        response = client.get(url, {"year": 2026, "month": 3})
    assert response.status_code == 200
    text = pdf_text(response.content)
    section = text[text.index("Sales funnel") : text.index("Reached and share:")]
    lines = {
        line.split()[0]: line.split()[1:]
        for line in section.splitlines()
        if line.strip() and line.split()[0] in {"Opened", "Contacted", "Visited", "Test", "Quote",
                                                "Order", "Delivered", "Lost", "Dormant", "Still"}
    }  # fmt: skip
    expect = {
        "Opened": ["10", "100.0", "%", "10"],
        "Contacted": ["8", "80.0", "%", "10"],
        "Visited": ["7", "70.0", "%", "5"],
        "Test": ["drive", "4", "40.0", "%", "3"],
        "Quote": ["4", "40.0", "%", "7"],
        "Order": ["2", "20.0", "%", "4"],
        "Delivered": ["1", "10.0", "%", "3"],
        "Lost": ["2", "20.0", "%", "2"],
        "Dormant": ["1", "10.0", "%", "1"],
        "Still": ["open", "6", "60.0", "%"],
    }
    assert {k: lines[k] for k in expect} == expect
    assert "Other Motors" not in text
    assert_no_share_above_100(text)


def test_the_api(rolled: Story) -> None:
    client = signed_in_client(rolled.manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/api/funnel/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["dealer"], data["start"], data["end"], data["by"]) == (
        "LA01",
        "2026-03-01",
        "2026-03-31",
        "consultant",
    )
    assert data["through"] == "2026-04-09"
    total = data["total"]
    assert total["opened"] == 10
    assert [(s["stage"], s["reached"], s["share"], s["entered"]) for s in total["stages"]] == list(
        zip(STAGES, REACHED, SHARES, ENTERED, strict=True)
    )
    assert {o["outcome"]: (o["count"], o["share"]) for o in total["outcomes"]} == OUTCOMES
    assert (total["entered_lost"], total["entered_dormant"]) == (2, 1)
    rows = {r["label"]: r for r in data["rows"]}
    assert set(rows) == {"Alice Able", "Bob Baker"}
    order = STAGES.index("order")
    assert rows["Alice Able"]["stages"][order]["share"] == 40.0
    assert rows["Bob Baker"]["stages"][order]["share"] == 0.0


def test_every_output_agrees(rolled: Story) -> None:
    """The dashboard, its CSV and the API are the same numbers as the funnel selector."""
    with time_machine.travel(NOW, tick=False):
        data = march(rolled)
        with as_dealer(rolled.dealer):
            kpis = dealer_kpis(rolled.dealer, year=2026, month=3)
        api = signed_in_client(rolled.manager).get(
            "/api/funnel/", {"start": "2026-03-01", "end": "2026-03-31"}
        )
    assert kpis.funnel.total == data.total
    assert [s["reached"] for s in api.json()["total"]["stages"]] == kpis.funnel.total.reached


def test_bad_input_and_other_dealers(rolled: Story) -> None:
    client = signed_in_client(rolled.manager)
    with time_machine.travel(NOW, tick=False):
        for query, field in [
            ({"start": "2026-03-31", "end": "2026-03-01"}, "start"),
            ({"start": "yesterday"}, "start"),
            ({"end": "0001-01-01"}, "end"),
            ({"by": "zodiac"}, "by"),
            ({"start": "2020-01-01", "end": "2026-03-31"}, "start"),
        ]:
            response = client.get("/api/funnel/", query)
            assert response.status_code == 400, query
            assert field in response.json(), (query, response.json())
        # a consultant may not read the dealer's funnel
        assert signed_in_client(rolled.alice).get("/api/funnel/").status_code == 403
        # the other dealer's staff see only their own leads: three delivered in March
        other_manager = staff(rolled.other, "sales_manager")
        theirs = signed_in_client(other_manager).get(
            "/api/funnel/", {"start": "2026-03-01", "end": "2026-03-31"}
        )
    assert theirs.status_code == 200
    total = theirs.json()["total"]
    assert total["opened"] == 3 and [s["share"] for s in total["stages"]] == [100.0] * 7


SHARE = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")


def assert_no_share_above_100(text: str) -> None:
    """Every percentage of the funnel's figures on a page or file is at most 100 (plan
    attainment and pace may pass 100: they compare with a plan, not within the cohort)."""
    for match in SHARE.finditer(text):
        value = float(match.group(1).replace(",", "."))
        context = text[max(0, match.start() - 60) : match.end()]
        if re.search(r"Pace|attainment|plan", context, re.I):
            continue
        assert value <= 100, context


# --- random cohorts --------------------------------------------------------------------------


def _random_history(rng: random.Random, dealer: Dealer, people: list[Any]) -> list[Lead]:
    """Leads opened on random days of March (some in February), moved forwards, skipping,
    backwards, lost, dormant and reopened at random, with changes into April."""
    leads = []
    for _ in range(rng.randint(3, 14)):
        # opened between 20 February and 31 March (dealer time)
        at = la(2, 20, 0) + dt.timedelta(minutes=rng.randint(0, 40 * 24 * 60 - 1))
        steps = [("new", at)]
        index = 0
        for _step in range(rng.randint(0, 8)):
            at += dt.timedelta(hours=rng.randint(1, 200))
            if at >= NOW - dt.timedelta(days=1):
                break
            roll = rng.random()
            if steps[-1][0] in ("lost", "dormant"):
                if roll < 0.3:  # reopened where it stopped
                    steps.append((STAGES[index], at))
                    continue
                break
            if steps[-1][0] == "delivered":
                break
            if roll < 0.1:
                steps.append(("lost", at))
            elif roll < 0.15:
                steps.append(("dormant", at))
            elif roll < 0.25 and index > 1:
                index -= 1
                steps.append((STAGES[index], at))
            else:
                index = min(6, index + rng.choice([1, 1, 1, 2]))
                steps.append((STAGES[index], at))
        leads.append(walk(dealer, rng.choice(people), steps))
    return leads


def _by_hand(dealer: Dealer) -> tuple[int, list[int], int, int]:
    """March's cohort counted from the stage changes in Python."""
    opened, reached, lost, dormant = 0, [0] * 7, 0, 0
    with as_dealer(dealer):
        for lead in Lead.objects.filter(dealer=dealer):
            changes = list(StageChange.objects.filter(lead=lead).order_by("changed_at", "id"))
            opening = changes[0].changed_at.astimezone(LA).date()
            if not MARCH[0] <= opening <= MARCH[1]:
                continue
            opened += 1
            furthest = max(STAGES.index(c.to_stage) for c in changes if c.to_stage in STAGES)
            for i in range(furthest + 1):
                reached[i] += 1
            lost += changes[-1].to_stage == "lost"
            dormant += changes[-1].to_stage == "dormant"
    return opened, reached, lost, dormant


@pytest.mark.parametrize("seed", range(6))
def test_random_cohorts_never_pass_100_percent(db: Any, seed: int) -> None:
    rng = random.Random(seed)
    ensure_reference_data()
    dealer = DealerFactory(timezone="America/Los_Angeles")
    people = [staff(dealer, "consultant"), staff(dealer, "consultant")]
    with time_machine.travel(NOW, tick=False):
        _random_history(rng, dealer, people)
        expected = _by_hand(dealer)
        live = march(dealer)
        rollup([dealer.pk], dt.date(2026, 2, 1), dt.date(2026, 4, 9))
        facts = march(dealer)
    for data in (live, facts):
        for row in [data.total, *data.rows]:
            assert row.reached[0] == row.opened
            assert all(a >= b for a, b in zip(row.reached, row.reached[1:], strict=False))
            assert row.won + row.lost + row.dormant + row.still_open == row.opened
            shares = [*row.shares, row.lost_percent, row.dormant_percent, row.open_percent]
            assert all(p is None or 0 <= p <= 100 for p in shares)
        total = data.total
        assert (total.opened, total.reached, total.lost, total.dormant) == expected
    assert facts.total == live.total


# --- the nightly run keeps old cohorts current -----------------------------------------------


def test_the_nightly_run_updates_the_cohort_of_a_lead_that_moves_later(story: Story) -> None:
    """L8 (opened 18 March, visited) reaches Quote on 14 April: the night after, 5 of March's
    leads have reached Test drive and Quote — the cohort measures of its opening day's row were
    rewritten though nothing happened on that day — and the facts equal a full recompute."""
    with time_machine.travel(NOW, tick=False):
        rollup([story.dealer.pk, story.other.pk], dt.date(2026, 2, 1), dt.date(2026, 4, 9))
    l8 = _lead_opened_on(story.dealer, dt.date(2026, 3, 18))
    with time_machine.travel(la(4, 14, 15), tick=False), as_dealer(story.dealer):
        nightly(dealer_ids=[story.dealer.pk])  # 11-13 April: nothing moved
        StageChange.objects.create(
            dealer=story.dealer, lead=l8, from_stage="visited", to_stage="quote"
        )
        Lead.objects.filter(pk=l8.pk).update(stage="quote")
    with time_machine.travel(la(4, 14, 23), tick=False):
        assert march(story, live=False).total.reached_stage("quote") == 4  # not rolled up yet
    with time_machine.travel(la(4, 15, 2), tick=False):
        run = nightly(dealer_ids=[story.dealer.pk])
        assert run.through == dt.date(2026, 4, 14)
        # 14 April recomputed; of 18 March (L8's opening day) only the cohort of L8's row
        assert run.dealer_days == 1
        data = march(story, live=False)
        assert data.total.reached_stage("quote") == 5
        assert data.total.reached == [10, 8, 7, 5, 5, 2, 1]  # skipped Test drive: reached
        assert data.total.entered == ENTERED  # March's activity did not change
        cohorts, every_fact = _cohort_facts(story.dealer), _all_facts(story.dealer)
        rollup([story.dealer.pk], dt.date(2026, 2, 1), dt.date(2026, 4, 14))
        assert _cohort_facts(story.dealer) == cohorts
        assert _all_facts(story.dealer) == every_fact  # days, months and funnel months


def test_without_recomputing_the_opening_days_the_cohort_would_stay_behind(
    story: Story, monkeypatch: Any
) -> None:
    """The control of the test above: the same night without rewriting the cohorts of the
    leads that moved leaves March's cohort as it was (so the rewrite is what keeps it current)."""
    from reports.rollup import services

    with time_machine.travel(NOW, tick=False):
        rollup([story.dealer.pk, story.other.pk], dt.date(2026, 2, 1), dt.date(2026, 4, 9))
    l8 = _lead_opened_on(story.dealer, dt.date(2026, 3, 18))
    monkeypatch.setattr(services, "_refresh_cohorts", lambda *args, **kwargs: set())
    with time_machine.travel(la(4, 14, 15), tick=False), as_dealer(story.dealer):
        nightly(dealer_ids=[story.dealer.pk])  # as above: the building's day marks are taken
        StageChange.objects.create(
            dealer=story.dealer, lead=l8, from_stage="visited", to_stage="quote"
        )
    with time_machine.travel(la(4, 15, 2), tick=False):
        run = nightly(dealer_ids=[story.dealer.pk])
        assert run.dealer_days == 1  # 14 April alone
        assert march(story, live=False).total.reached == REACHED


def _lead_opened_on(dealer: Dealer, day: dt.date) -> Lead:
    with as_dealer(dealer):
        for change in StageChange.objects.filter(dealer=dealer, from_stage=""):
            if change.changed_at.astimezone(LA).date() == day:
                return Lead.objects.get(pk=change.lead_id)
    raise AssertionError(day)


def _cohort_facts(dealer: Dealer) -> dict[tuple[Any, ...], tuple[int, ...]]:
    with as_dealer(dealer):
        return {
            (row["day"], row["consultant_id"], row["source_id"], row["vehicle_model_id"]): tuple(
                row[m] for m in ["leads_new", *COHORT_MEASURES]
            )
            for row in KpiDay.objects.filter(dealer=dealer).values()
            if row["leads_new"]
        }


def _all_facts(dealer: Dealer) -> list[tuple[Any, ...]]:
    from reports.models import KpiFunnelMonth, KpiMonth

    rows: list[tuple[Any, ...]] = []
    with as_dealer(dealer):
        for model in (KpiDay, KpiMonth, KpiFunnelMonth):
            fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
            rows += sorted(
                ((model.__name__, *values) for values in model.objects.values_list(*fields)),
                key=str,  # NULL dimensions: no ordering between None and an id
            )
    return rows

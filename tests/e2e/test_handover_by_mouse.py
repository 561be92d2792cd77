"""The handover wizard by mouse, at a desktop (1366×768) and a tablet (820×1180) size.

Every "Distribute" option and every colleague checkbox is clicked with the mouse at the middle
of what a person sees (its label, then the control itself), and after each click the test reads
back exactly what is selected: a click on "Balance open-lead load" chooses that option and ticks
nobody; a click on a colleague ticks that colleague only and leaves the option alone. Only
available colleagues are offered, by name (not the one leaving, the one absent today, the inactive
one). Then Balance → Preview shares the book out evenly. Any console error fails the test."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from dealers.clock import dealer_today
from dealers.handover import services
from dealers.models import Membership, StaffAbsence
from dms.tenancy.context import as_dealer
from tests.e2e.conftest import SCREENSHOTS, signed_in_page
from tests.factories import staff
from tests.handover._world import Book, make_book

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1366, 768), "tablet": (820, 1180)}
OPTIONS = {
    "round_robin": "Round robin",
    "balance": "Balance open-lead load",
    "manual": "Manual",
}


def _team() -> tuple[Book, dict[str, Any]]:
    """Dora (leaving) holds six customers. Offered: Eve, Finn, Gina and Mona (the manager sells
    too). Not offered: Lars (marked as leaving), Abby (absent today), Ivan (inactive)."""
    book = make_book(n_customers=6, extras=False)
    dealer = book.dealer
    today = dealer_today(dealer)
    people = {
        "gina": staff(dealer, "consultant", first_name="Gina", last_name="Green"),
        "lars": staff(dealer, "consultant", first_name="Lars", last_name="Leaving"),
        "abby": staff(dealer, "consultant", first_name="Abby", last_name="Away"),
        "ivan": staff(dealer, "consultant", first_name="Ivan", last_name="Inactive"),
    }
    with as_dealer(dealer):
        services.mark_leaving(
            membership=Membership.objects.get(user=people["lars"], dealer=dealer),
            leaving_on=today + dt.timedelta(days=20),
            actor=book.manager,
        )
        StaffAbsence.objects.create(
            dealer=dealer,
            membership=Membership.objects.get(user=people["abby"], dealer=dealer),
            starts_on=today - dt.timedelta(days=2),
            ends_on=today + dt.timedelta(days=12),
            reason=StaffAbsence.Reason.LEAVE,
        )
    Membership.objects.filter(user=people["ivan"]).update(is_active=False)
    return book, people


def _click(page: Any, locator: Any) -> None:
    """A person's click: the mouse goes to the middle of what is shown and presses there (no
    element is targeted: whatever lies on top at that spot gets the click)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _selected(page: Any) -> tuple[str | None, list[str]]:
    """(the chosen Distribute option, the ticked colleagues' labels) as the browser has them."""
    result: tuple[str | None, list[str]] = tuple(  # type: ignore[assignment]
        page.evaluate(
            """() => {
              const form = document.querySelector('[data-testid=distribution-form]');
              const radio = form.querySelector('input[name=strategy]:checked');
              const boxes = [...form.querySelectorAll('input[name=targets]:checked')];
              return [radio ? radio.value : null,
                      boxes.map(b => form.querySelector(`label[for="${b.id}"]`).innerText.trim())];
            }"""
        )
    )
    return result


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


@pytest.mark.parametrize("size", list(SIZES))
def test_every_option_and_colleague_by_mouse(browser: Any, live_server: Any, size: str) -> None:
    book, people = _team()
    member = book.dora_membership
    page = signed_in_page(
        browser, live_server, book.manager, width=SIZES[size][0], height=SIZES[size][1]
    )
    page.goto(reverse("dealers:handover:wizard", args=[member.pk]))
    form = page.get_by_test_id("distribution-form")
    _shot(page, f"handover-wizard-{size}")

    # Offered by name, each with their open-lead load; nobody unavailable.
    radios = form.locator("input[name=strategy]")
    boxes = form.locator("input[name=targets]")
    labels = [form.locator(f"label[for='{b.get_attribute('id')}']") for b in boxes.all()]
    offered = [label.inner_text().strip() for label in labels]
    assert offered == [
        "Eve Early (1 open lead)",
        "Finn Fisher (0 open leads)",
        "Gina Green (0 open leads)",
        "Mona Manager (0 open leads)",
    ], offered
    for user in (*people.values(), book.dora):
        assert user.username not in form.inner_text()
    for name in ("Lars Leaving", "Abby Away", "Ivan Inactive", "Dora Departing"):
        assert name not in form.inner_text()
    assert _selected(page) == ("round_robin", [])

    # Each option, by its words and then by its round button: chosen, and nobody ticked.
    assert radios.count() == len(OPTIONS)
    for value, words in [*OPTIONS.items(), *reversed(OPTIONS.items())]:
        _click(page, form.locator("label").filter(has_text=words).first)
        assert _selected(page) == (value, []), (size, words)
    for value in ["manual", "balance", "round_robin"]:
        _click(page, form.locator(f"input[name=strategy][value={value}]"))
        assert _selected(page) == (value, []), (size, value)

    # Each colleague: ticked on its own (label, then the box), the option stays as chosen.
    _click(page, form.locator("label").filter(has_text="Balance open-lead load").first)
    ticked: list[str] = []
    for label in labels:
        _click(page, label)
        ticked.append(label.inner_text().strip())
        assert _selected(page) == ("balance", ticked), (size, ticked)
    for box, label in zip(boxes.all(), labels, strict=True):
        _click(page, box)
        ticked.remove(label.inner_text().strip())
        assert _selected(page) == ("balance", ticked), (size, ticked)

    # Balance among Eve and Finn, previewed with the mouse: three customers each.
    _click(page, labels[0])
    _click(page, labels[1])
    assert _selected(page) == ("balance", [offered[0], offered[1]])
    _shot(page, f"handover-wizard-{size}-balance-chosen")
    _click(page, page.get_by_test_id("preview"))
    page.get_by_test_id("batch-summary").wait_for()
    summary = page.get_by_test_id("batch-summary")
    eve = summary.get_by_test_id(f"summary-{book.eve.pk}").inner_text().split("\t")
    finn = summary.get_by_test_id(f"summary-{book.finn.pk}").inner_text().split("\t")
    assert (eve[0], eve[1]) == ("Eve Early", "3"), eve
    assert (finn[0], finn[1]) == ("Finn Fisher", "3"), finn
    # The preview's "Give to" lists: the same colleagues, by name.
    grade_form = page.get_by_test_id("grade-form").locator("select[name=to_user] option")
    assert grade_form.all_inner_texts()[1:] == offered, grade_form.all_inner_texts()
    per_customer = page.get_by_test_id("batch-items").locator("select[name=to_user]").first
    names = [o.split(" (")[0] for o in offered]
    assert per_customer.locator("option").all_inner_texts() == names
    _shot(page, f"handover-preview-{size}")
    assert not page.js_errors, page.js_errors
    page.context.close()

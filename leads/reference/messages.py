"""Every default text of HQ's reference data (lead sources, lost reasons, stage and playbook step
names with their guidance, grades with their meaning), listed for makemessages.

The database keeps these texts in English as loaded from the JSON files next to this module, so
that what is stored and what the API returns stay stable. Pages translate them when they display
them, with `hq_text`: a text that is one of these defaults is shown in the reader's language; any
text HQ typed itself (a renamed source, a rewritten guidance) is shown exactly as typed.

tests/leads/test_reference_translations.py checks that this list holds every name, guidance and
meaning of the JSON files: add a text there, add it here (and translate it in locale/).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext, gettext_noop

LEAD_SOURCES = (
    gettext_noop("Showroom walk-in"),
    gettext_noop("Inbound phone call"),
    gettext_noop("Website form"),
    gettext_noop("HQ campaign lead"),
    gettext_noop("Referral by a customer"),
    gettext_noop("Event or motor show"),
    gettext_noop("Service customer"),
    gettext_noop("Fleet / corporate"),
)

LOST_REASONS = (
    gettext_noop("Bought a competitor brand"),
    gettext_noop("Bought the same brand at another dealer"),
    gettext_noop("Price or discount not accepted"),
    gettext_noop("Finance declined"),
    gettext_noop("Purchase postponed"),
    gettext_noop("No model fits the need"),
    gettext_noop("Delivery time too long"),
    gettext_noop("Customer unreachable"),
    gettext_noop("Duplicate lead"),
)

STAGES = (
    gettext_noop("New"),
    gettext_noop("Contacted"),
    gettext_noop("Visited showroom"),
    gettext_noop("Test drive"),
    gettext_noop("Offer"),
    gettext_noop("Order"),
    gettext_noop("Delivered"),
    gettext_noop("Lost"),
    gettext_noop("Dormant"),
)

PLAYBOOK_STEPS = (
    # contacted
    gettext_noop("First contact logged with outcome"),
    gettext_noop(
        "Call or write back within the source's first-response time. Introduce yourself, "
        "confirm the model of interest and the best time to talk, and log the outcome (reached, "
        "not reached, appointment) on the lead before you move on."
    ),
    # visited
    gettext_noop("Greeted within 2 minutes, offered a drink"),
    gettext_noop(
        "Stand up and greet within two minutes, introduce yourself by name, offer a drink and a "
        "seat. Ask how they heard of us (that is the lead source) and what brings them in today."
    ),
    gettext_noop("Needs analysis: use, budget, payment, trade-in, decision makers"),
    gettext_noop(
        "Ask open questions before you show any car: who drives it and for what (commute, "
        "family, towing), the budget and how they want to pay (cash, finance, lease), the car "
        "they drive now (trade-in), who else decides and by when. Write the answers on the "
        "customer card."
    ),
    # test_drive
    gettext_noop("Six-point walk-around presented"),
    gettext_noop(
        "Walk the six points with the customer: front, driver's side, rear, boot, passenger "
        "side, interior. At each point link one feature to a need from the needs analysis rather "
        "than reciting the brochure."
    ),
    gettext_noop("Driving licence checked, consent signed"),
    gettext_noop(
        "Look at the original driving licence (not a copy), check it is valid and the class "
        "fits the vehicle, record its number, and have the customer sign the test-drive consent "
        "and damage declaration before handing over the key."
    ),
    # quote
    gettext_noop("Test drive offered (done or declined)"),
    gettext_noop(
        "Every customer is offered a test drive before an offer. Record whether it was done or "
        "declined; if declined, note why (already driven one, no time) so the manager sees it "
        "was offered."
    ),
    gettext_noop("Trade-in appraised or none"),
    gettext_noop(
        "If the customer has a car to trade in, appraise it (mileage, condition, service book, "
        "photos) before you quote so the offer shows a realistic trade-in value. If there is "
        "none, record 'no trade-in'."
    ),
    gettext_noop("Finance or lease offer presented"),
    gettext_noop(
        "Present at least one finance or lease example next to the cash price: monthly payment, "
        "term, deposit and APR. Customers who see a monthly figure close more often."
    ),
    # order
    gettext_noop("Deposit received"),
    gettext_noop(
        "Take the deposit agreed in the order (card, transfer or cash with receipt) and record "
        "it as a payment on the order. The factory order is placed only after the deposit is in."
    ),
    gettext_noop("Delivery date agreed"),
    gettext_noop(
        "Agree a realistic delivery date with the customer using the expected arrival of the "
        "vehicle plus preparation time, record it on the order and confirm it in writing."
    ),
    # delivered
    gettext_noop("Pre-delivery inspection done"),
    gettext_noop(
        "The workshop completes the pre-delivery inspection checklist (fluids, tyre pressures, "
        "software updates, damage check, cleaning) and signs it off before the handover "
        "appointment."
    ),
    gettext_noop("Balance paid"),
    gettext_noop(
        "Delivery is blocked while a balance is open: check that the balance or the finance "
        "payout is received and recorded on the order before the handover."
    ),
    gettext_noop("Handover: features explained, service plan introduced"),
    gettext_noop(
        "Plan 45 minutes: explain the controls, connect the phone, show the app, walk through "
        "the service plan and warranty, introduce the service advisor, and agree the "
        "after-delivery calls (day 3 and day 30)."
    ),
)

GRADES = (
    gettext_noop("Hot"),
    gettext_noop("model and budget chosen, test drive done or booked, decision within a week"),
    gettext_noop("Warm"),
    gettext_noop("comparing two or three models, financing discussed"),
    gettext_noop("Interested"),
    gettext_noop("clear need, no model chosen yet"),
    gettext_noop("Early"),
    gettext_noop("gathering information, purchase in a quarter or later"),
    gettext_noop("Ordered"),
    gettext_noop("order signed; follow-ups come from the delivery plan"),
)

DEFAULT_TEXTS: frozenset[str] = frozenset(
    (*LEAD_SOURCES, *LOST_REASONS, *STAGES, *PLAYBOOK_STEPS, *GRADES)
)


def hq_text(value: str | None) -> str:
    """An HQ reference text for display: HQ's default text in the active language, anything else
    (a text HQ typed itself) exactly as stored."""
    if not value:
        return value or ""
    return gettext(value) if value in DEFAULT_TEXTS else value


def by_label(pairs: Iterable[tuple[Any, str]]) -> list[tuple[Any, str]]:
    """(value, stored HQ text) pairs as choices: each label in the reader's language, sorted by
    it (the stored order is the English one)."""
    shown = [(value, hq_text(text)) for value, text in pairs]
    return sorted(shown, key=lambda pair: pair[1].casefold())

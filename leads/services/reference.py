"""HQ reference data the project owns (leads/reference/*.json): grades, lead sources, lost reasons,
stage playbooks, the demo brand's catalogue and its price list.

`load_reference_data(apps)` is called by the data migration (with historical models) and may be
called again at any time: every row is written with update_or_create, so reruns change nothing.
`defaults()` gives the runtime defaults (pool days, open-lead cap, after-delivery calls, ...).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import timezone

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"

PRICE_LIST_NAME = "Aurora Motors list prices"
PRICE_LIST_VALID_FROM = dt.date(2026, 1, 1)
VEHICLE_LIST_NAME = "Vehicles"  # bulletins 0003 names the migrated list so


@cache
def reference(name: str) -> Any:
    """One reference file, parsed (cached)."""
    with (REFERENCE_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True)
class FunnelDefaults:
    pool_after_days_without_activity: int
    max_open_leads_per_consultant: int
    after_delivery_calls_days: tuple[int, ...]
    onboarding_weeks: int
    first_response_minutes: dict[str, int]


def defaults() -> FunnelDefaults:
    grades = reference("grades")
    stages = reference("stages")
    return FunnelDefaults(
        pool_after_days_without_activity=int(grades["pool_after_days_without_activity"]),
        max_open_leads_per_consultant=int(grades["max_open_leads_per_consultant"]),
        after_delivery_calls_days=tuple(int(d) for d in stages["after_delivery_calls_days"]),
        onboarding_weeks=int(stages.get("onboarding_weeks", 8)),
        first_response_minutes={
            k: int(v) for k, v in grades["first_response_deadline_minutes"].items()
        },
    )


def load_reference_data(apps: Any) -> None:
    """Create or update every HQ default. `apps` is a migration's app registry (or
    django.apps.apps at runtime)."""
    _load_grades(apps)
    _load_sources(apps)
    _load_lost_reasons(apps)
    _load_playbooks(apps)
    _load_catalogue(apps)


def _load_grades(apps: Any) -> None:
    Grade = apps.get_model("leads", "Grade")
    for order, g in enumerate(reference("grades")["grades"]):
        Grade.objects.update_or_create(
            code=g["code"],
            defaults={
                "name": g["name"],
                "purchase_within_days": g["purchase_within_days"],
                "follow_up_every_days": g["follow_up_every_days"],
                "meaning": g.get("meaning", "")[:200],
                "order": order,
            },
        )


def _load_sources(apps: Any) -> None:
    LeadSource = apps.get_model("leads", "LeadSource")
    minutes = reference("grades")["first_response_deadline_minutes"]
    for s in reference("lead_sources")["lead_sources"]:
        LeadSource.objects.update_or_create(
            code=s["code"],
            defaults={"name": s["name"], "first_response_minutes": int(minutes.get(s["code"], 60))},
        )


def _load_lost_reasons(apps: Any) -> None:
    LostReason = apps.get_model("leads", "LostReason")
    for r in reference("lost_reasons")["lost_reasons"]:
        LostReason.objects.update_or_create(
            code=r["code"], defaults={"name": r["name"], "is_active": True}
        )


def _load_playbooks(apps: Any) -> None:
    PlaybookStep = apps.get_model("sales", "PlaybookStep")
    for stage in reference("stages")["stages"]:
        for order, step in enumerate(stage["steps"], start=1):
            PlaybookStep.objects.update_or_create(
                stage=stage["code"],
                code=step["code"],
                defaults={
                    "name": step["name"],
                    "guidance": step.get("guidance", ""),
                    "required": bool(step.get("required", True)),
                    "order": order,
                    "is_active": True,
                },
            )


def _vehicle_price_writer(apps: Any, *, currency: str) -> Any:
    """A function that writes one vehicle price of the seeded list, valid from
    PRICE_LIST_VALID_FROM. Called with the historical models of leads 0002 (a dated `PriceList`
    with `PriceListItem` rows) and with today's (a list with versions, bulletins 0003 on)."""
    try:
        Version = apps.get_model("bulletins", "PriceListVersion")
    except LookupError:
        PriceList = apps.get_model("bulletins", "PriceList")
        Item = apps.get_model("bulletins", "PriceListItem")
        old_list, _ = PriceList.objects.update_or_create(
            name=PRICE_LIST_NAME,
            valid_from=PRICE_LIST_VALID_FROM,
            defaults={"currency": currency, "valid_until": None},
        )

        def old_price(kind: str, code: str, amount: str) -> None:
            Item.objects.update_or_create(
                price_list=old_list, kind=kind, code=code, defaults={"price": Decimal(amount)}
            )

        return old_price
    PriceList = apps.get_model("bulletins", "PriceList")
    VehiclePrice = apps.get_model("bulletins", "VehiclePrice")
    plist = PriceList.objects.filter(kind="vehicle").order_by("id").first()
    if plist is None:
        plist = PriceList.objects.create(name=VEHICLE_LIST_NAME, kind="vehicle", currency=currency)
    version = Version.objects.filter(price_list=plist).order_by("number").first()
    if version is None:
        version = Version.objects.create(
            price_list=plist,
            number=1,
            status="published",
            valid_from=PRICE_LIST_VALID_FROM,
            published_at=timezone.now(),
            note=PRICE_LIST_NAME,
        )

    def price(kind: str, code: str, amount: str) -> None:
        VehiclePrice.objects.update_or_create(
            version=version, kind=kind, code=code, defaults={"price": Decimal(amount)}
        )

    return price


def _load_catalogue(apps: Any) -> None:
    VehicleModel = apps.get_model("inventory", "VehicleModel")
    Trim = apps.get_model("inventory", "Trim")
    Colour = apps.get_model("inventory", "Colour")
    Option = apps.get_model("inventory", "Option")
    cat = reference("catalogue")
    price = _vehicle_price_writer(apps, currency=cat.get("currency", "EUR"))

    for m in cat["models"]:
        vm, _ = VehicleModel.objects.update_or_create(
            code=m["code"],
            defaults={"name": m["name"], "body": m.get("body", ""), "is_active": True},
        )
        for t in m["trims"]:
            Trim.objects.update_or_create(
                code=t["code"], defaults={"vehicle_model": vm, "name": t["name"]}
            )
            price("trim", t["code"], t["list_price"])
    for c in cat["colours"]:
        Colour.objects.update_or_create(code=c["code"], defaults={"name": c["name"]})
        price("colour", c["code"], c["price"])
    for kind, key in (("option", "options"), ("accessory", "accessories")):
        for o in cat[key]:
            Option.objects.update_or_create(
                code=o["code"], defaults={"name": o["name"][:150], "kind": kind}
            )
            price(kind, o["code"], o["price"])

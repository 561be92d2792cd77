"""Demo HQ information flow (issue 14, item 10): a parts catalogue with supersessions, labour
operations, three promotions, a dozen bulletins of each category with mixed acknowledgement,
and one recall campaign. Everything goes through the same services as HQ's own screens, so the
demo is valid by construction. Called by `manage.py seed_demo`; skipped when the catalogue
already has parts (unless force is asked for by deleting them first).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from dealers.models import Dealer, Region
from dms.tenancy.context import as_dealers, unscoped
from inventory import services as catalogue
from inventory.models import (
    LabourGrade,
    LabourOperation,
    Part,
    PartGroup,
    PartSupersession,
    VehicleModel,
)

from . import campaigns, pricing, pricing_services, promotions
from . import services as bulletin_services
from .models import Bulletin, PriceList, PriceListVersion
from .pricing_services import GroupDiscountRow, LabourRow, PartRow, VehicleRow

DEFAULT_SEED = 2026
CENT = Decimal("0.01")
PART_COUNT = 3000
GROUPS = [
    ("ENG", "Engine"), ("FLT", "Filters"), ("BRK", "Brakes"), ("SUS", "Suspension"),
    ("ELE", "Electrics"), ("BOD", "Body"), ("INT", "Interior"), ("EXH", "Exhaust"),
    ("COO", "Cooling"), ("ACC", "Accessories"),
]  # fmt: skip
NOUNS = {
    "ENG": ["timing belt", "spark plug", "gasket set", "oil pump", "injector"],
    "FLT": ["oil filter", "air filter", "cabin filter", "fuel filter"],
    "BRK": ["brake pad set", "brake disc", "caliper", "brake hose"],
    "SUS": ["shock absorber", "coil spring", "control arm", "stabiliser link"],
    "ELE": ["battery 70Ah", "alternator", "headlamp bulb", "wiper motor", "sensor"],
    "BOD": ["front bumper", "door mirror", "bonnet", "wing panel"],
    "INT": ["floor mat set", "seat cover", "sun visor", "gear knob"],
    "EXH": ["silencer", "catalytic converter", "exhaust clamp"],
    "COO": ["radiator", "water pump", "thermostat", "coolant hose"],
    "ACC": ["roof box", "tow bar", "bike carrier", "charging cable"],
}
GRADES = [("M", "Mechanical"), ("E", "Electrical"), ("B", "Body and paint")]
OPERATIONS = [
    ("Oil and filter change", "M", "0.8"), ("Brake pads front", "M", "1.1"),
    ("Brake discs and pads rear", "M", "1.9"), ("Timing belt", "M", "3.5"),
    ("Battery replacement", "E", "0.4"), ("Diagnostic scan", "E", "0.5"),
    ("Headlamp adjustment", "E", "0.3"), ("Front bumper replacement", "B", "2.6"),
    ("Paint one panel", "B", "4.0"), ("Annual inspection", "M", "1.5"),
    ("Air-conditioning service", "M", "1.0"), ("Software update", "E", "0.7"),
]  # fmt: skip
TITLES = {
    Bulletin.Category.COMMERCIAL: [
        "Spring offensive: showroom weekend",
        "New finance rates from April",
        "Fleet programme: updated conditions",
        "Demo vehicle rotation",
        "Year-end registrations",
        "Trade-in bonus extended",
        "Price list update for accessories",
        "Customer event kit",
        "New colour for the X4",
        "Online leads: answer within 2 hours",
        "Dealer awards 2027",
        "Order bank cut-off dates",
    ],
    Bulletin.Category.TECHNICAL: [
        "Software update for the infotainment unit",
        "Brake noise on cold start",
        "Battery drain when parked",
        "Door seal replacement procedure",
        "Updated torque values",
        "Diagnostic tester release 14.2",
        "Tyre pressure sensor learning",
        "Wiper linkage noise",
        "Coolant level warning",
        "Charging socket cover",
        "Seat heating fault codes",
        "Headlamp condensation",
    ],
    Bulletin.Category.PROCESS: [
        "Warranty claims: new photo rule",
        "Handover checklist v3",
        "Test drive documents",
        "Customer data retention",
        "Parts returns window",
        "Workshop capacity planning",
        "New KPI definitions",
        "Approval of discounts above 5 %",
        "Loan car policy",
        "Vehicle stock audit",
        "Complaint handling",
        "Price display in the showroom",
    ],
    Bulletin.Category.RECALL: [
        "Recall notice: airbag inflator",
        "Service action: fuel pump relay",
        "Recall notice: rear seat belt anchor",
        "Service action: ECU software",
        "Recall notice: brake hose routing",
        "Service action: door handle",
        "Recall notice: steering column bolt",
        "Service action: charging cable",
        "Recall notice: fuel line clip",
        "Service action: horn connector",
        "Recall notice: bonnet latch",
        "Service action: mirror glass",
    ],
}


@dataclass
class HqDemoResult:
    parts: int = 0
    supersessions: int = 0
    operations: int = 0
    promotions: int = 0
    bulletins: int = 0
    campaigns: int = 0
    price_versions: int = 0
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "HQ information flow: catalogue exists already, not seeded."
        return (
            f"HQ information flow: {self.parts} parts ({self.supersessions} supersessions), "
            f"{self.operations} labour operations, {self.price_versions} price-list versions, "
            f"{self.promotions} promotions, "
            f"{self.bulletins} bulletins, {self.campaigns} recall campaign."
        )


def seed_hq_information(
    *, seed: int = DEFAULT_SEED, now: dt.datetime | None = None
) -> HqDemoResult:
    result = HqDemoResult()
    admin = get_user_model().objects.filter(hq_role="hq_admin").order_by("pk").first()
    with unscoped():
        if admin is None or Part.objects.exists() or not Dealer.objects.exists():
            result.skipped = True
            return result
        rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
        now = now or timezone.now()
        with transaction.atomic():
            _catalogue(rng, admin, now.date(), result)
            _promotions(admin, now.date(), result)
            _price_lists(rng, admin, now, result)
        _bulletins(rng, admin, now, result)
        _campaign(rng, admin, now, result)
    return result


def _catalogue(rng: random.Random, admin: object, today: dt.date, result: HqDemoResult) -> None:
    with catalogue.catalogue_change(actor=admin, change="demo_catalogue"):
        groups = [PartGroup.objects.create(code=c, name=n) for c, n in GROUPS]
        numbers = rng.sample(range(100000, 999999), PART_COUNT)
        parts = Part.objects.bulk_create(
            Part(
                # Leading zeros are part of the number (and must survive imports and exports).
                number=f"0{n}" if i % 3 == 0 else f"{n}{rng.choice('ABCDEF')}",
                description=rng.choice(NOUNS[g.code]).capitalize(),
                unit=Part.Unit.SET if "set" in NOUNS[g.code][0] else Part.Unit.PIECE,
                weight_kg=Decimal(rng.randint(50, 25000)) / 1000,
                group=g,
            )
            for i, (n, g) in enumerate(zip(numbers, rng.choices(groups, k=PART_COUNT), strict=True))
        )
        # Chains of one to three replacements, some of them still to come.
        pool = rng.sample(parts, 450)
        links = []
        for i in range(0, 450, 3):
            chain = pool[i : i + rng.choice([2, 3])]
            for old, new in zip(chain, chain[1:], strict=False):
                valid = today + dt.timedelta(days=rng.randint(-400, 60))
                links.append(PartSupersession(part=old, replaced_by=new, valid_from=valid))
        PartSupersession.objects.bulk_create(links)
        result.parts, result.supersessions = len(parts), len(links)
    grades = {code: LabourGrade.objects.get_or_create(code=code, defaults={"name": name})[0]
              for code, name in GRADES}  # fmt: skip
    models = list(VehicleModel.objects.order_by("code").values_list("pk", flat=True))
    for n, (text, grade, hours) in enumerate(OPERATIONS, start=1):
        for variant, share in enumerate((1.0, 1.25)):
            catalogue.save_labour_operation(
                actor=admin,
                code=f"{grade}{n:02d}{variant}",
                description=text if not variant else f"{text} (large models)",
                grade_id=grades[grade].pk,
                standard_hours=(Decimal(hours) * Decimal(str(share))).quantize(Decimal("0.01")),
                vehicle_model_ids=[] if not variant else models[-2:],
            )
    result.operations = LabourOperation.objects.count()


def _publish_rows(
    plist: PriceList, rows: list[Any], admin: object, day: dt.date, note: str
) -> None:
    """One version of `plist` holding `rows`, checked and published from `day` (as if HQ had
    published it that day: the service refuses a day in the past)."""
    draft = pricing_services.draft_from_rows(price_list=plist, rows=rows, actor=admin, note=note)
    problems = pricing_services.check_version(version=draft, actor=admin)
    if problems:
        raise ValueError(f"demo price list {plist.name}: {problems}")
    moment = dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)
    pricing_services.publish(version=draft, valid_from=day, actor=admin, now=moment)


def _price_lists(rng: random.Random, admin: object, now: dt.datetime, result: HqDemoResult) -> None:
    """Parts: a version from four months ago and a 3 % rise ten days ago; labour: one version;
    vehicles (the reference list's version 1): a 2 % rise from two weeks ahead."""
    today = now.date()
    parts = pricing_services.create_price_list(
        name="Parts", kind="parts", currency="EUR", actor=admin
    )
    retail = {
        p: Decimal(rng.randint(200, 90000)) / 100
        for p in Part.objects.values_list("number", flat=True)
    }
    groups = [
        GroupDiscountRow(code, Decimal(rng.choice([15, 20, 25, 30]))) for code, _name in GROUPS
    ]
    for number, (rise, start) in enumerate(((Decimal("1"), 120), (Decimal("1.03"), 10)), start=1):
        rows: list[Any] = [PartRow(n, (r * rise).quantize(CENT)) for n, r in retail.items()]
        _publish_rows(parts, rows + groups, admin, today - dt.timedelta(days=start),
                      f"Parts prices {number}")  # fmt: skip
    labour = pricing_services.create_price_list(
        name="Labour", kind="labour", currency="EUR", actor=admin
    )
    rates = [LabourRow(code, Decimal(rec), Decimal(rec) - 20, Decimal(rec) + 25)
             for code, rec in (("M", "118.00"), ("E", "132.00"), ("B", "124.00"))]  # fmt: skip
    _publish_rows(labour, rates, admin, today - dt.timedelta(days=120), "Labour rates 2027")
    vehicles = PriceList.objects.filter(kind="vehicle").order_by("pk").first()
    current = pricing.version_on(today, kind="vehicle")
    if vehicles is not None and current is not None:
        lines = [
            VehicleRow(kind, code, (price * Decimal("1.02")).quantize(CENT))
            for kind, code, price in current.vehicle_prices.values_list("kind", "code", "price")
        ]
        _publish_rows(vehicles, lines, admin, today + dt.timedelta(days=14), "2 % rise")
    result.price_versions = PriceListVersion.objects.filter(status="published").count()


def _promotions(admin: object, today: dt.date, result: HqDemoResult) -> None:
    first_region = Region.objects.order_by("code").first()
    models = list(VehicleModel.objects.order_by("code")[:2])
    specs: list[dict[str, Any]] = [
        {"code": "SPRING27", "name": "Spring bonus", "kind": "amount", "value": Decimal("750.00"),
         "all_dealers": True, "valid_to": today + dt.timedelta(days=60)},
        {"code": "NORTH3PCT", "name": "Regional conquest 3 %", "kind": "percent",
         "value": Decimal("3.00"), "regions": [first_region] if first_region else [],
         "all_dealers": first_region is None, "budget": 40, "stacks_with_discount": True,
         "valid_to": today + dt.timedelta(days=30)},
        {"code": "MODEL-LAUNCH", "name": "Launch edition", "kind": "amount",
         "value": Decimal("1200.00"), "all_dealers": True, "vehicle_models": models,
         "budget": 120, "valid_to": today + dt.timedelta(days=90)},
    ]  # fmt: skip
    for spec in specs:
        promo = promotions.create_promotion(
            actor=admin, valid_from=today - dt.timedelta(days=14), **spec
        )
        promotions.publish_promotion(actor=admin, promotion=promo)
    result.promotions = len(specs)


def _bulletins(rng: random.Random, admin: object, now: dt.datetime, result: HqDemoResult) -> None:
    regions = list(Region.objects.order_by("code"))
    for category, titles in TITLES.items():
        for i, title in enumerate(titles):
            published = now - dt.timedelta(days=rng.randint(1, 50), hours=rng.randint(0, 8))
            asks = category in (Bulletin.Category.RECALL, Bulletin.Category.PROCESS) or i % 3 == 0
            roles = {
                Bulletin.Category.COMMERCIAL: ["consultant", "sales_manager", "dealer_manager"],
                Bulletin.Category.TECHNICAL: ["service_advisor", "technician", "dealer_manager"],
                Bulletin.Category.RECALL: ["service_advisor", "parts_clerk", "dealer_manager"],
            }.get(category, [])
            with transaction.atomic():
                bulletin = bulletin_services.create_draft(
                    actor=admin,
                    title=title,
                    body=f"<p>{title}.</p><p>Details are in the attached guide; ask your "
                    "regional manager for anything unclear.</p>",
                    category=category,
                    priority="urgent" if category == Bulletin.Category.RECALL else
                    rng.choice(["normal", "normal", "high"]),
                    requires_ack=asks,
                    ack_deadline=published + dt.timedelta(days=rng.choice([3, 10, 30, 60])) if asks else None,
                    all_dealers=i % 4 != 1,
                    regions=[regions[i % len(regions)]] if i % 4 == 1 and regions else [],
                    roles=roles,
                )  # fmt: skip
                bulletin_services.publish(bulletin=bulletin, actor=admin, now=published)
                # Mixed reading: about 70 % opened, of those most acknowledged (set-based,
                # in a write scope over every dealer: the runtime role is under RLS).
                with as_dealers(Dealer.objects.all(), write=True):
                    _read_some(bulletin, published, seed=i)
            result.bulletins += 1


def _read_some(bulletin: Bulletin, published: dt.datetime, *, seed: int) -> None:
    """About 70 % of the recipients opened it; of those, four in five acknowledged it when it
    asks for that (set-based, deterministic)."""
    opened_at = published + dt.timedelta(hours=5)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bulletins_bulletinrecipient SET opened_version = 1, opened_at = %s,"
            " acknowledged_version = CASE WHEN %s AND id %% 5 <> 0 THEN 1 ELSE 0 END,"
            " acknowledged_at = CASE WHEN %s AND id %% 5 <> 0 THEN %s::timestamptz END"
            " WHERE bulletin_id = %s AND (id * 31 + %s) %% 10 < 7",
            [opened_at, bulletin.requires_ack, bulletin.requires_ack,
             opened_at + dt.timedelta(hours=2), bulletin.pk, seed],
        )  # fmt: skip


def _campaign(rng: random.Random, admin: object, now: dt.datetime, result: HqDemoResult) -> None:
    dealers = list(Dealer.objects.filter(is_active=True).order_by("code"))
    operation = LabourOperation.objects.order_by("code").first()
    part = Part.objects.order_by("number").first()
    if not dealers or operation is None or part is None:
        return
    with transaction.atomic():
        campaign = campaigns.create_campaign(
            actor=admin, code="RC-DEMO-01", title="Airbag inflator replacement", kind="recall",
            labour_operation=operation, stop_sale=True, parts=[(part, Decimal("1"))],
            description="Driver airbag inflators of one batch may fail: replace them.",
        )  # fmt: skip
        chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        rows = [
            {"vin": "AUR" + "".join(rng.choice(chars) for _ in range(14)), "dealer": d.code}
            for d in dealers
            for _ in range(rng.randint(4, 12))
        ]
        campaigns.set_affected_vehicles(actor=admin, campaign=campaign, rows=rows)
        campaigns.publish_campaign(
            actor=admin, campaign=campaign, ack_deadline=now + dt.timedelta(days=21), now=now
        )
    for row in rng.sample(rows, len(rows) // 3):
        dealer = next(d for d in dealers if d.code == row["dealer"])
        campaigns.record_completion(vin=row["vin"], dealer=dealer, when=now)
    result.campaigns = 1

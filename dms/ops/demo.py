"""The demo network: regions, dealers in five markets, every dealer role at every dealer, HQ users.

Deterministic: the same seed gives the same dealers, names and usernames (Faker seeded per
market). The demo logins (one per role) have predictable usernames and one documented password;
users who need a second factor get a TOTP device whose key is derived from the username, so it
is known in advance (printed by `seed_demo`, current code from `manage.py demo_otp <username>`).
These keys are public: never seed this network into a production database.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker
from guardian.shortcuts import assign_perm

from dealers.models import Dealer, DealerGroup, Membership, Region
from dealers.roles import DealerRole
from dealers.selectors import NETWORK_WIDE_HQ_ROLES
from dms.tenancy.context import unscoped

DEMO_PASSWORD = "Aurora-Demo-2026"  # noqa: S105 - the documented demo password
DEMO_EMAIL_DOMAIN = "demo.aurora-motors.test"
DEFAULT_SEED = 42

# Staff per dealer: every role, several consultants.
STAFF_PER_DEALER: dict[str, int] = {
    DealerRole.CONSULTANT: 4,
    DealerRole.SALES_MANAGER: 1,
    DealerRole.DEALER_MANAGER: 1,
    DealerRole.SERVICE_ADVISOR: 2,
    DealerRole.TECHNICIAN: 2,
    DealerRole.PARTS_CLERK: 1,
    DealerRole.DEALER_ADMIN: 1,
}
# Roles whose demo users get a TOTP device (HQ roles get one too).
TWO_FACTOR_ROLES = frozenset({DealerRole.DEALER_ADMIN})

REGIONS: list[tuple[str, str]] = [
    ("north", "North (Germany, Netherlands)"),
    ("west", "West (France)"),
    ("south", "South (Italy)"),
    ("east", "East (Poland)"),
]


@dataclass(frozen=True)
class Market:
    locale: str
    country: str
    timezone: str
    region: str
    dealers: int
    name_pattern: str
    legal_pattern: str


MARKETS: list[Market] = [
    Market("de_DE", "DE", "Europe/Berlin", "north", 4, "Autohaus {last}", "{name} GmbH"),
    Market("nl_NL", "NL", "Europe/Amsterdam", "north", 2, "Autobedrijf {last}", "{name} B.V."),
    Market("fr_FR", "FR", "Europe/Paris", "west", 3, "Garage {last}", "{name} SARL"),
    Market("it_IT", "IT", "Europe/Rome", "south", 3, "Concessionaria {last}", "{name} S.r.l."),
    Market("pl_PL", "PL", "Europe/Warsaw", "east", 3, "Salon {last}", "{name} Sp. z o.o."),
]
# The dealer group owns these two dealers; its manager works at both.
GROUP_DEALER_CODES = ("DE002", "DE003")

# The predictable demo logins: (username, what it shows). Dealer roles are at dealer DE001.
DEMO_LOGINS: list[tuple[str, str]] = [
    ("consultant", DealerRole.CONSULTANT),
    ("sales_manager", DealerRole.SALES_MANAGER),
    ("dealer_manager", DealerRole.DEALER_MANAGER),
    ("service_advisor", DealerRole.SERVICE_ADVISOR),
    ("technician", DealerRole.TECHNICIAN),
    ("parts_clerk", DealerRole.PARTS_CLERK),
    ("dealer_admin", DealerRole.DEALER_ADMIN),
    ("group_manager", DealerRole.DEALER_MANAGER),
    ("regional_manager", "hq_regional_manager"),
    ("regional_manager2", "hq_regional_manager"),
    ("hq_admin", "hq_admin"),
    ("hq_logistics", "hq_logistics"),
]
DEMO_DEALER_CODE = "DE001"


def demo_totp_key(username: str) -> str:
    """The demo user's TOTP key (40 hex digits = 20 bytes), derived from the username: public."""
    return hashlib.sha1(f"aurora-dms-demo:{username}".encode(), usedforsecurity=False).hexdigest()


def base32_secret(hex_key: str) -> str:
    """The key as authenticator apps take it (base32, no padding)."""
    return base64.b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")


def is_demo_device(device: TOTPDevice) -> bool:
    return bool(device.key == demo_totp_key(device.user.get_username()))


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


@dataclass
class DemoResult:
    created: bool
    regions: int = 0
    dealers: int = 0
    users: int = 0
    memberships: int = 0
    usernames: list[str] = field(default_factory=list)


def demo_network_exists() -> bool:
    return Dealer.objects.exists()


def remove_demo_network() -> None:
    """--force: drop the network (all dealers, regions, groups) and the demo users. Fails with
    ProtectedError when business data still points at a dealer or user."""
    User = get_user_model()
    # Deleting follows foreign keys into tenant tables: no ORM scope for this maintenance step
    # (the owner connection that seed_demo uses sees every row; a runtime role would see none).
    with unscoped():
        Membership.objects.all().delete()
        User.objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN).delete()
        Dealer.objects.all().delete()
        DealerGroup.objects.all().delete()
        Region.objects.all().delete()


class _People:
    """Unique ASCII usernames from Faker names."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def username(self, first: str, last: str, suffix: str) -> str:
        base = f"{_ascii_slug(first)}.{_ascii_slug(last)}.{suffix.lower()}"
        candidate, n = base, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{base}{n}"
        self.taken.add(candidate)
        return candidate


@transaction.atomic
def build_demo_network(
    *, seed: int = DEFAULT_SEED, force: bool = False, now: dt.datetime | None = None
) -> DemoResult:
    """The demo network (see the module docstring); `now` (default: the current time) dates
    the memberships and password changes."""
    if demo_network_exists():
        if not force:
            return DemoResult(created=False)
        try:
            remove_demo_network()
        except ProtectedError as exc:
            raise ValueError(
                "Other data (sales funnel, append-only audit log) still refers to the dealers or "
                "demo users, so --force cannot replace them. Start from an empty database "
                "instead: `manage.py flush`, or for the embedded one "
                "`.venv/bin/python -m dms.devdb stop && rm -rf var/pg`."
            ) from exc

    User = get_user_model()
    now = now or timezone.now()
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: Argon2 per user would be slow
    people = _People()
    predictable = {role: name for name, role in DEMO_LOGINS[:7]}

    regions = {code: Region.objects.create(code=code, name=name) for code, name in REGIONS}

    # Dealers, market by market; each market has its own seeded Faker.
    dealers: list[Dealer] = []
    fakers: dict[str, Faker] = {}
    for index, market in enumerate(MARKETS):
        fake = Faker(market.locale)
        fake.seed_instance(seed * 100 + index)
        fakers[market.locale] = fake
        names: set[str] = set()
        for number in range(1, market.dealers + 1):
            name = market.name_pattern.format(last=fake.last_name())
            while name in names:
                name = market.name_pattern.format(last=fake.last_name())
            names.add(name)
            dealers.append(
                Dealer(
                    code=f"{market.country}{number:03d}",
                    name=name,
                    legal_name=market.legal_pattern.format(name=name),
                    region=regions[market.region],
                    street=fake.street_address(),
                    postal_code=fake.postcode(),
                    city=fake.city(),
                    country=market.country,
                    timezone=market.timezone,
                    # One dealer shows the per-dealer switch: 2FA for all its staff.
                    require_2fa=(market.country == "NL" and number == 1),
                )
            )
    Dealer.objects.bulk_create(dealers)
    by_code = {d.code: d for d in Dealer.objects.all()}
    market_of = {d.code: next(m for m in MARKETS if m.country == d.country) for d in dealers}

    de_fake = fakers["de_DE"]
    group = DealerGroup.objects.create(name=f"{de_fake.last_name()} Automobil-Gruppe")
    Dealer.objects.filter(code__in=GROUP_DEALER_CODES).update(group=group)

    # Staff: every role at every dealer. The first person of each role at DE001 gets the
    # predictable demo username.
    users: list[Any] = []
    staff_roles: list[tuple[Any, str, str]] = []  # (user, dealer code, role)
    for code in sorted(by_code):
        fake = fakers[market_of[code].locale]
        for role, count in STAFF_PER_DEALER.items():
            for i in range(count):
                first, last = fake.first_name(), fake.last_name()
                if code == DEMO_DEALER_CODE and i == 0:
                    username = predictable[role]
                    people.taken.add(username)
                else:
                    username = people.username(first, last, code)
                user = User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@{DEMO_EMAIL_DOMAIN}",
                    password=password_hash,
                    password_changed_at=now,
                )
                users.append(user)
                staff_roles.append((user, code, role))

    # HQ (at the importer, German locale) and the group manager.
    hq_specs = [
        ("hq_admin", "hq_admin", []),
        ("hq_logistics", "hq_logistics", []),
        ("regional_manager", "hq_regional_manager", ["north", "west"]),
        ("regional_manager2", "hq_regional_manager", ["south", "east"]),
    ]
    hq_users: list[tuple[Any, list[str]]] = []
    for username, hq_role, region_codes in hq_specs:
        user = User(
            username=username,
            first_name=de_fake.first_name(),
            last_name=de_fake.last_name(),
            email=f"{username}@{DEMO_EMAIL_DOMAIN}",
            password=password_hash,
            password_changed_at=now,
            hq_role=hq_role,
            is_staff=hq_role == "hq_admin",
            is_superuser=hq_role == "hq_admin",
        )
        users.append(user)
        hq_users.append((user, region_codes))
        people.taken.add(username)
    group_manager = User(
        username="group_manager",
        first_name=de_fake.first_name(),
        last_name=de_fake.last_name(),
        email=f"group_manager@{DEMO_EMAIL_DOMAIN}",
        password=password_hash,
        password_changed_at=now,
    )
    users.append(group_manager)
    people.taken.add("group_manager")

    User.objects.bulk_create(users)

    memberships = [
        Membership(user=user, dealer=by_code[code], role=role, started_on=now.date())
        for user, code, role in staff_roles
    ]
    memberships += [
        Membership(
            user=group_manager,
            dealer=by_code[code],
            role=DealerRole.DEALER_MANAGER,
            started_on=now.date(),
        )
        for code in GROUP_DEALER_CODES
    ]
    Membership.objects.bulk_create(memberships)

    for user, region_codes in hq_users:
        for region_code in region_codes:
            assign_perm("dealers.view_region_kpis", user, regions[region_code])

    two_factor_users = [u for u, _ in hq_users] + [
        u for u, _code, role in staff_roles if role in TWO_FACTOR_ROLES
    ]
    TOTPDevice.objects.bulk_create(
        [
            TOTPDevice(user=user, name="default", confirmed=True, key=demo_totp_key(user.username))
            for user in two_factor_users
        ]
    )

    return DemoResult(
        created=True,
        regions=len(regions),
        dealers=len(dealers),
        users=len(users),
        memberships=len(memberships),
        usernames=[u.username for u in users],
    )


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    dealer: str
    totp_secret: str  # base32, "" when the user has no demo TOTP device


def demo_logins(usernames: Iterable[str] | None = None) -> list[DemoLogin]:
    """The demo logins as they are in the database now (for the table the demo prints)."""
    User = get_user_model()
    wanted = list(usernames or [name for name, _ in DEMO_LOGINS])
    users = {
        u.username: u
        for u in User.objects.filter(username__in=wanted).prefetch_related("memberships__dealer")
    }
    devices = {
        d.user_id: d
        for d in TOTPDevice.objects.filter(
            user__username__in=wanted, name="default"
        ).select_related("user")
    }
    result = []
    for username in wanted:
        user = users.get(username)
        if user is None:
            continue
        memberships = sorted(user.memberships.all(), key=lambda m: m.dealer.code)
        if user.hq_role:
            role = user.get_hq_role_display()
            dealer = ", ".join(
                r.code
                for r in Region.objects.filter(regionuserobjectpermission__user=user).order_by(
                    "code"
                )
            ) or ("all regions" if user.hq_role in NETWORK_WIDE_HQ_ROLES else "")
        else:
            role = memberships[0].get_role_display() if memberships else ""
            dealer = ", ".join(f"{m.dealer.code} {m.dealer.name}" for m in memberships)
        device = devices.get(user.pk)
        secret = base32_secret(device.key) if device and is_demo_device(device) else ""
        result.append(
            DemoLogin(username=username, role=str(role), dealer=dealer, totp_secret=secret)
        )
    return result

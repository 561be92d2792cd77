"""The demo network command: a plausible, deterministic network with every role everywhere."""

from __future__ import annotations

from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dealers.models import Dealer, DealerGroup, Membership, Region
from dealers.roles import DealerRole
from dealers.selectors import access_for, dealers_visible_to, regions_for
from dms.ops.demo import DEMO_LOGINS, DEMO_PASSWORD, base32_secret, demo_totp_key
from tests.factories import UserFactory

COUNTRY_TIMEZONES = {
    "DE": "Europe/Berlin",
    "NL": "Europe/Amsterdam",
    "FR": "Europe/Paris",
    "IT": "Europe/Rome",
    "PL": "Europe/Warsaw",
}


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--no-funnel", *args, stdout=out)  # funnel: tests/leads
    return out.getvalue()


def snapshot() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    User = get_user_model()
    dealers = list(Dealer.objects.order_by("code").values_list("code", "name", "city"))
    users = list(
        User.objects.order_by("username").values_list("username", "first_name", "last_name")
    )
    return dealers, users


@pytest.mark.django_db
def test_seed_builds_a_plausible_network() -> None:
    output = seed("--seed", "7")

    assert Region.objects.count() >= 3
    dealers = list(Dealer.objects.all())
    assert len(dealers) >= 12
    # Several markets, each dealer with its country's time zone and a full address.
    assert {d.country for d in dealers} >= {"DE", "FR", "IT", "NL", "PL"}
    for dealer in dealers:
        assert dealer.timezone == COUNTRY_TIMEZONES[dealer.country]
        ZoneInfo(dealer.timezone)
        assert dealer.street and dealer.city and dealer.postal_code and dealer.legal_name
        assert dealer.name != dealer.legal_name
    # Every dealer role at every dealer, several consultants each.
    all_roles = set(DealerRole.values)
    for dealer in dealers:
        roles = dict(
            Membership.objects.filter(dealer=dealer, is_active=True)
            .values_list("role")
            .annotate(n=Count("id"))
        )
        assert set(roles) == all_roles, dealer.code
        assert roles[DealerRole.CONSULTANT] >= 2
    # A dealer group owning two dealers.
    groups = DealerGroup.objects.annotate(n=Count("dealers"))
    assert [g.n for g in groups] == [2]
    # The summary and the logins table: one login per role, with the password.
    assert "Demo network created" in output
    assert DEMO_PASSWORD in output
    for username, _role in DEMO_LOGINS:
        assert f"\n{username} " in output


@pytest.mark.django_db
def test_demo_logins_have_their_roles_and_scopes() -> None:
    seed()
    User = get_user_model()
    for role in DealerRole.values:
        user = User.objects.get(username=role)
        assert user.check_password(DEMO_PASSWORD)
        access = access_for(user)
        assert access.role == role
        assert access.dealer is not None and access.dealer.code == "DE001"
        assert access.dealer_ids == (access.dealer.pk,)

    hq_admin = User.objects.get(username="hq_admin")
    assert hq_admin.hq_role == "hq_admin"
    assert set(dealers_visible_to(hq_admin)) == set(Dealer.objects.all())

    rm1 = User.objects.get(username="regional_manager")
    rm2 = User.objects.get(username="regional_manager2")
    regions1, regions2 = set(regions_for(rm1)), set(regions_for(rm2))
    assert regions1 and regions2 and not regions1 & regions2
    assert regions1 | regions2 == set(Region.objects.all())
    for user, regions in ((rm1, regions1), (rm2, regions2)):
        assert user.hq_role == "hq_regional_manager"
        assert user.has_perm("dealers.view_region_kpis", next(iter(regions)))
        visible = set(dealers_visible_to(user))
        assert visible == set(Dealer.objects.filter(region__in=regions))
        assert visible  # each regional manager sees dealers, never all of them
        assert visible != set(Dealer.objects.all())

    # The group manager works at both group dealers and can switch between them.
    group_manager = User.objects.get(username="group_manager")
    group_dealers = set(DealerGroup.objects.get().dealers.all())
    assert {m.dealer for m in group_manager.memberships.all()} == group_dealers
    assert len(access_for(group_manager).other_dealers) == 1


@pytest.mark.django_db
def test_two_factor_users_get_a_known_totp_key() -> None:
    output = seed()
    User = get_user_model()
    for username in ("hq_admin", "regional_manager", "regional_manager2", "dealer_admin"):
        device = TOTPDevice.objects.get(user__username=username, name="default")
        assert device.confirmed
        assert device.key == demo_totp_key(username)
        assert base32_secret(device.key) in output
        code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
        assert device.verify_token(code)
    # Every dealer admin needs a second factor, so each has a device.
    admins = User.objects.filter(memberships__role=DealerRole.DEALER_ADMIN)
    assert admins.count() == Dealer.objects.count()
    assert TOTPDevice.objects.filter(user__in=admins).count() == admins.count()
    # A consultant has no device (2FA is switchable per dealer for them).
    assert not TOTPDevice.objects.filter(user__username="consultant").exists()


@pytest.mark.django_db
def test_same_seed_same_network_other_seed_other_names() -> None:
    seed("--seed", "11")
    first = snapshot()
    seed("--seed", "11", "--force")
    assert snapshot() == first
    seed("--seed", "12", "--force")
    other = snapshot()
    assert other[0] != first[0]  # other dealer names
    assert Dealer.objects.count() == len(first[0])  # replaced, not added


@pytest.mark.django_db
def test_second_run_skips_and_changes_nothing() -> None:
    seed()
    before = snapshot()
    output = seed("--seed", "99")
    assert "not seeded" in output
    assert snapshot() == before
    assert "hq_admin" in output  # the logins are printed again


@pytest.mark.django_db
def test_force_refuses_when_audited_activity_refers_to_the_network() -> None:
    from dms.audit.models import AuditAction
    from dms.audit.services import record

    seed()
    before = snapshot()
    dealer = Dealer.objects.get(code="DE001")
    record(action=AuditAction.BULK_CHANGE, dealer=dealer, object_type="test", count=1)
    with pytest.raises(CommandError, match="append-only audit log"):
        seed("--force", "--seed", "5")
    assert snapshot() == before  # nothing removed, nothing added


@pytest.mark.django_db
def test_show_logins_on_an_empty_database() -> None:
    out = StringIO()
    call_command("seed_demo", "--show-logins", stdout=out)
    assert "No demo logins" in out.getvalue()
    assert not Dealer.objects.exists()


@pytest.mark.django_db
def test_demo_otp_prints_the_current_code_for_demo_devices_only() -> None:
    seed()
    out = StringIO()
    call_command("demo_otp", "hq_admin", stdout=out, stderr=StringIO())
    device = TOTPDevice.objects.get(user__username="hq_admin")
    assert device.verify_token(out.getvalue().strip())

    real = UserFactory(username="real_admin")
    TOTPDevice.objects.create(user=real, name="default", confirmed=True)  # random key
    with pytest.raises(CommandError, match="real"):
        call_command("demo_otp", "real_admin", stdout=StringIO())
    with pytest.raises(CommandError, match="no two-factor device"):
        call_command("demo_otp", "consultant", stdout=StringIO())

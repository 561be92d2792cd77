"""Reads for accounts and security: policy answers, lockouts, who may unlock whom, sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from dealers.models import Dealer, Membership
from dealers.roles import ALWAYS_2FA_DEALER_ROLES, DEALER_ROLE_CAPS, HQ_ROLE_CAPS, Cap

from .models import BackupCodeDevice, HashedBackupCode, UnlockApproval, UserSession

User = get_user_model()

# --- policy --------------------------------------------------------------------------------------


def _two_factor_membership_q() -> Q:
    return Q(role__in=list(ALWAYS_2FA_DEALER_ROLES)) | Q(dealer__require_2fa=True)


def requires_two_factor(user: Any) -> bool:
    """HQ roles, Django staff and dealer admins always; every member of a dealer that turned on
    `require_2fa`. One query for dealer staff."""
    if not user.is_authenticated:
        return False
    if user.hq_role or user.is_staff or user.is_superuser:
        return True
    return (
        Membership.objects.filter(user=user, is_active=True, dealer__is_active=True)
        .filter(_two_factor_membership_q())
        .exists()
    )


@dataclass(frozen=True)
class TwoFactorState:
    required: bool
    has_device: bool


def two_factor_state(user: Any) -> TwoFactorState:
    """Whether the user must use a second factor and whether they have one: one query."""
    always = bool(user.hq_role or user.is_staff or user.is_superuser)
    rows = User.objects.filter(pk=user.pk).annotate(
        has_device=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        required=Exists(
            Membership.objects.filter(
                user=OuterRef("pk"), is_active=True, dealer__is_active=True
            ).filter(_two_factor_membership_q())
        ),
    )
    row = rows.values("has_device", "required").first()
    if row is None:
        return TwoFactorState(required=always, has_device=False)
    return TwoFactorState(required=always or row["required"], has_device=row["has_device"])


def second_factor_owed(user: Any) -> TwoFactorState | None:
    """The user's second-factor state when this session still owes one (it is required or a
    device is enrolled, and none was verified yet); None when nothing is owed."""
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None or is_verified():
        return None
    state = two_factor_state(user)
    return state if state.required or state.has_device else None


def security_checks_owed(user: Any) -> bool:
    """Does SecurityPolicyMiddleware still stop this logged-in user before other pages (second
    factor, then a password change)?"""
    return second_factor_owed(user) is not None or bool(password_change_reason(user))


def password_max_age() -> timedelta | None:
    days = int(getattr(settings, "DMS_PASSWORD_MAX_AGE_DAYS", 0) or 0)
    return timedelta(days=days) if days > 0 else None


def password_expires_at(user: Any) -> datetime | None:
    max_age = password_max_age()
    if max_age is None or user.password_changed_at is None:
        return None
    expires: datetime = user.password_changed_at + max_age
    return expires


def password_change_reason(user: Any, now: datetime | None = None) -> str:
    """Why the user must change their password now: "forced" (an admin asked), "expired" (older
    than the maximum age) or "" (no need)."""
    if user.must_change_password:
        return "forced"
    expires = password_expires_at(user)
    if expires is not None and expires <= (now or timezone.now()):
        return "expired"
    return ""


def primary_dealer_id(user: Any) -> int | None:
    """The dealer an account belongs to for the audit log (first active membership)."""
    if user is None or getattr(user, "pk", None) is None:
        return None
    value: int | None = (
        Membership.objects.filter(user=user, is_active=True)
        .order_by("dealer__code")
        .values_list("dealer_id", flat=True)
        .first()
    )
    return value


# --- backup codes, devices, sessions --------------------------------------------------------------


def backup_device_for(user: Any) -> BackupCodeDevice | None:
    if not user or not getattr(user, "pk", None):
        return None
    return BackupCodeDevice.objects.filter(user=user, confirmed=True).first()


def unused_backup_code_count(user: Any) -> int:
    return HashedBackupCode.objects.filter(user=user, used_at__isnull=True).count()


def live_sessions_of(user: Any) -> QuerySet[UserSession]:
    """The user's login sessions that have not expired (with the database session engine;
    other engines cannot be queried, so all recorded sessions count)."""
    rows = UserSession.objects.filter(user=user)
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
        rows = rows.filter(session_key__in=live)
    return rows


def sessions_of(user: Any) -> list[UserSession]:
    return list(live_sessions_of(user).order_by("-created_at"))


# --- lockouts and who may unlock ------------------------------------------------------------------


def failure_limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)


@dataclass(frozen=True)
class Lock:
    failures: int
    since: datetime


def locked_usernames(usernames: list[str] | None = None) -> dict[str, Lock]:
    """Usernames django-axes holds locked: failures summed over IPs and browsers, as axes does
    when the lockout parameter is the username alone."""
    attempts = AccessAttempt.objects.all()
    if usernames is not None:
        attempts = attempts.filter(username__in=usernames)
    rows = (
        attempts.exclude(username__isnull=True)
        .values("username")
        .annotate(failures=Sum("failures_since_start"), since=Max("attempt_time"))
        .filter(failures__gte=failure_limit())
    )
    return {row["username"]: Lock(failures=row["failures"], since=row["since"]) for row in rows}


def is_locked(username: str) -> bool:
    return username in locked_usernames([username])


@dataclass(frozen=True)
class UnlockRights:
    """What an actor may do about locked accounts: HQ admins every account; dealer staff the
    accounts of the dealers where their role holds the capability."""

    network: bool = False
    alone_dealers: frozenset[int] = frozenset()
    approve_dealers: frozenset[int] = frozenset()

    @property
    def any(self) -> bool:
        return self.network or bool(self.alone_dealers) or bool(self.approve_dealers)

    @property
    def dealers(self) -> frozenset[int]:
        return self.alone_dealers | self.approve_dealers


NO_RIGHTS = UnlockRights()


def unlock_rights(actor: Any) -> UnlockRights:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return NO_RIGHTS
    if actor.hq_role:
        return UnlockRights(network=Cap.UNLOCK_ALONE in HQ_ROLE_CAPS.get(actor.hq_role, ()))
    rows = Membership.objects.filter(
        user=actor, is_active=True, dealer__is_active=True
    ).values_list("dealer_id", "role")
    alone = frozenset(d for d, role in rows if Cap.UNLOCK_ALONE in DEALER_ROLE_CAPS.get(role, ()))
    approve = frozenset(d for d, role in rows if Cap.UNLOCK in DEALER_ROLE_CAPS.get(role, ()))
    return UnlockRights(alone_dealers=alone, approve_dealers=approve)


def roles_with(capability: str) -> list[str]:
    return [role for role, caps in DEALER_ROLE_CAPS.items() if capability in caps]


@dataclass
class LockedAccount:
    user: Any
    lock: Lock
    dealers: list[Dealer]
    approvals: list[UnlockApproval] = field(default_factory=list)
    can_unlock: bool = False
    can_approve: bool = False
    approved_by_viewer: bool = False

    @property
    def dealer_ids(self) -> set[int]:
        return {d.pk for d in self.dealers}


def _locked_accounts(viewer: Any, rights: UnlockRights, user_id: int | None) -> list[LockedAccount]:
    if not rights.any:
        return []
    users = User.objects.filter(is_active=True)
    if user_id is not None:
        users = users.filter(pk=user_id)
    if not rights.network:
        users = users.filter(
            hq_role="",
            memberships__dealer_id__in=rights.dealers,
            memberships__is_active=True,
        ).distinct()
    users = users.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(is_active=True)
            .select_related("dealer")
            .order_by("dealer__code"),
            to_attr="active_memberships",
        )
    )
    if user_id is None:
        # Candidates: locked usernames first (few), then only those users.
        locks = locked_usernames()
        users = users.filter(username__in=list(locks))
    else:
        locks = None
    candidates = list(users.order_by("username"))
    if locks is None:
        locks = locked_usernames([u.get_username() for u in candidates])
    candidates = [u for u in candidates if u.get_username() in locks]
    approvals = list(
        UnlockApproval.objects.filter(locked_user__in=candidates, used=False)
        .select_related("approver")
        .order_by("created_at")
    )
    result: list[LockedAccount] = []
    for user in candidates:
        lock = locks[user.get_username()]
        dealers = [m.dealer for m in user.active_memberships]
        dealer_ids = {d.pk for d in dealers}
        current = [
            a for a in approvals if a.locked_user_id == user.pk and a.created_at >= lock.since
        ]
        is_self = user.pk == viewer.pk
        result.append(
            LockedAccount(
                user=user,
                lock=lock,
                dealers=dealers,
                approvals=current,
                can_unlock=not is_self
                and (rights.network or bool(rights.alone_dealers & dealer_ids)),
                can_approve=not is_self and bool(rights.approve_dealers & dealer_ids),
                approved_by_viewer=any(a.approver_id == viewer.pk for a in current),
            )
        )
    return result


def locked_accounts_for(viewer: Any) -> list[LockedAccount]:
    """Locked accounts the viewer may unlock or approve: their own dealer's staff (HQ admin: all).
    The viewer's own account is never listed."""
    rights = unlock_rights(viewer)
    return [a for a in _locked_accounts(viewer, rights, None) if a.user.pk != viewer.pk]


def locked_account_for(viewer: Any, user_id: int) -> LockedAccount:
    """One locked account the viewer may act on; 404 alike for unknown, unlocked and other
    dealers' accounts (never confirm that another dealer's user exists)."""
    rights = unlock_rights(viewer)
    found = _locked_accounts(viewer, rights, user_id)
    if not found:
        raise Http404("No such locked account")
    return found[0]


# --- the user security page (admins) ----------------------------------------------------------------


@dataclass(frozen=True)
class SecurityAdminScope:
    """Whose security an admin may see and act on: an HQ admin everyone (`network`), a dealer
    admin the accounts of their current dealer (never HQ or Django staff accounts)."""

    network: bool = False
    dealer_id: int | None = None

    @property
    def any(self) -> bool:
        return self.network or self.dealer_id is not None


def security_admin_scope(user: Any, access: Any) -> SecurityAdminScope:
    if user is None or not user.is_authenticated or not user.is_active:
        return SecurityAdminScope()
    if user.hq_role == "hq_admin" and access.can(Cap.NETWORK_ADMIN):
        return SecurityAdminScope(network=True)
    if (
        not user.hq_role
        and access.writable
        and access.dealer is not None
        and access.can(Cap.STAFF_MANAGE)
        and access.can(Cap.UNLOCK_ALONE)
    ):
        return SecurityAdminScope(dealer_id=access.dealer.pk)
    return SecurityAdminScope()


def users_managed_in(scope: SecurityAdminScope) -> QuerySet[Any]:
    """HQ admin: every account. Dealer admin: accounts with an ACTIVE membership at their dealer
    only; once someone has left (membership deactivated), their former dealer no longer sees
    or touches their sessions, token, password or second factor (they may work elsewhere now)."""
    if scope.network:
        return User.objects.all()
    if scope.dealer_id is None:
        return User.objects.none()
    return User.objects.filter(
        pk__in=Membership.objects.filter(dealer_id=scope.dealer_id, is_active=True).values(
            "user_id"
        ),
        hq_role="",
        is_staff=False,
        is_superuser=False,
    )


def managed_user_for(scope: SecurityAdminScope, pk: int) -> Any:
    """One account the admin may manage; 404 alike for unknown ids and other dealers' users."""
    user = users_managed_in(scope).filter(pk=pk).first()
    if user is None:
        raise Http404("No such user")
    return user


@dataclass(frozen=True)
class SessionInfo:
    pk: int
    session_key: str
    created_at: datetime
    ip: str | None
    user_agent: str
    expires_at: datetime | None


@dataclass(frozen=True)
class UserSecurityOverview:
    user: Any
    dealers: list[Dealer]
    lock: Lock | None
    failures: int
    unlock_approvals: list[UnlockApproval]
    two_factor_required: bool
    totp_devices: list[TOTPDevice]
    backup_codes_remaining: int
    password_changed_at: datetime | None
    password_expires_at: datetime | None
    must_change_password: bool
    password_change_reason: str
    sessions: list[SessionInfo]
    token_created_at: datetime | None

    @property
    def has_totp(self) -> bool:
        return any(d.confirmed for d in self.totp_devices)

    @property
    def has_second_factor(self) -> bool:
        return bool(self.totp_devices) or self.backup_codes_remaining > 0


def user_security_overview(
    user: Any, scope: SecurityAdminScope | None = None
) -> UserSecurityOverview:
    """Everything the user security page shows about one account (a few small queries). A dealer
    admin's scope limits the employment shown to their own dealer (where else someone works is
    not their business)."""
    from rest_framework.authtoken.models import Token

    username = user.get_username()
    lock = locked_usernames([username]).get(username)
    failures = (
        AccessAttempt.objects.filter(username=username).aggregate(n=Sum("failures_since_start"))[
            "n"
        ]
        or 0
    )
    approvals: list[UnlockApproval] = []
    if lock is not None:
        approvals = list(
            UnlockApproval.objects.filter(locked_user=user, used=False, created_at__gte=lock.since)
            .select_related("approver")
            .order_by("created_at")
        )
    rows = list(live_sessions_of(user).order_by("-created_at"))
    expiry = dict(
        Session.objects.filter(session_key__in=[r.session_key for r in rows]).values_list(
            "session_key", "expire_date"
        )
    )
    sessions = [
        SessionInfo(
            pk=r.pk,
            session_key=r.session_key,
            created_at=r.created_at,
            ip=r.ip,
            user_agent=r.user_agent,
            expires_at=expiry.get(r.session_key),
        )
        for r in rows
    ]
    token = Token.objects.filter(user=user).values_list("created", flat=True).first()
    memberships = Membership.objects.filter(user=user, is_active=True)
    if scope is not None and not scope.network and scope.dealer_id is not None:
        memberships = memberships.filter(dealer_id=scope.dealer_id)
    dealers = [m.dealer for m in memberships.select_related("dealer").order_by("dealer__code")]
    return UserSecurityOverview(
        user=user,
        dealers=dealers,
        lock=lock,
        failures=int(failures),
        unlock_approvals=approvals,
        two_factor_required=two_factor_state(user).required,
        totp_devices=list(TOTPDevice.objects.filter(user=user).order_by("id")),
        backup_codes_remaining=unused_backup_code_count(user),
        password_changed_at=user.password_changed_at,
        password_expires_at=password_expires_at(user),
        must_change_password=bool(user.must_change_password),
        password_change_reason=password_change_reason(user),
        sessions=sessions,
        token_created_at=token,
    )

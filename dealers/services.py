"""Writes about the network: staff absences, regions, dealers, users and memberships.

Every function checks its business rules and raises ``ValidationError`` (field → message) before
it changes anything; network changes are written to the audit log in the same transaction.
Who may call them (HQ admin, a dealer's staff manager) is decided by the caller through
``dealers.selectors`` — objects outside the caller's rights never reach these functions.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm
from rest_framework.authtoken.models import Token

from dms.accounts.models import ACTIVE_EMAIL_CONSTRAINT, EMAIL_TAKEN_MESSAGE, HqRole
from dms.accounts.validators import validate_email_available
from dms.audit.models import AuditAction
from dms.audit.services import record

from .clock import dealer_today
from .models import Dealer, Membership, Region, StaffAbsence
from .roles import Cap, DealerRole
from .selectors import overlapping_absences, region_managers
from .signals import membership_changed

REGION_PERMISSION = "dealers.view_region_kpis"

# Who may see staff absences (any of) and who may record them (any of, inside a writable dealer
# scope): staff managers and sales managers / dealer managers, who plan the showroom's cover;
# HQ reads them (regional managers for their region's dealers) but never changes them.
ABSENCE_VIEW_CAPS = (Cap.STAFF_MANAGE, Cap.SALES_REASSIGN, Cap.KPI_DEALER)
ABSENCE_MANAGE_CAPS = (Cap.STAFF_MANAGE, Cap.SALES_REASSIGN)

# --- staff absences ------------------------------------------------------------------------------


def absence_order_message() -> str:
    return _("The absence must end on or after its first day.")


def _check_absence(
    *,
    dealer: Dealer,
    membership: Membership,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str,
    exclude_id: int | None = None,
) -> None:
    errors: dict[str, str] = {}
    if membership.dealer_id != dealer.pk:
        errors["membership"] = _("This person does not work at this dealer.")
    elif not membership.is_active:
        errors["membership"] = _("This person no longer works at this dealer.")
    if starts_on > ends_on:
        errors["ends_on"] = absence_order_message()
    if reason not in StaffAbsence.Reason.values:
        errors["reason"] = _("Choose a reason from the list.")
    if not errors:
        clash = (
            overlapping_absences(
                membership=membership, starts_on=starts_on, ends_on=ends_on, exclude_id=exclude_id
            )
            .order_by("starts_on")
            .first()
        )
        if clash is not None:
            errors["starts_on"] = _(
                "%(name)s is already absent from %(start)s to %(end)s; absences of one person "
                "may not overlap."
            ) % {
                "name": membership.user.get_full_name() or membership.user.get_username(),
                "start": clash.starts_on.isoformat(),
                "end": clash.ends_on.isoformat(),
            }
    if errors:
        raise ValidationError(errors)


def _lock_membership(membership: Membership) -> Membership:
    """Serialise absence changes of one person, so two overlapping inserts cannot both pass."""
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=membership.pk)
    )


@transaction.atomic
def create_absence(
    *,
    dealer: Dealer,
    membership: Membership,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str,
    note: str = "",
    actor: Any,
) -> StaffAbsence:
    membership = _lock_membership(membership)
    _check_absence(
        dealer=dealer, membership=membership, starts_on=starts_on, ends_on=ends_on, reason=reason
    )
    return StaffAbsence.objects.create(
        dealer=dealer,
        membership=membership,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        note=note.strip(),
        created_by=actor,
    )


@transaction.atomic
def update_absence(
    *,
    absence: StaffAbsence,
    membership: Membership,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str,
    note: str = "",
    actor: Any,
) -> StaffAbsence:
    membership = _lock_membership(membership)
    dealer = Dealer.objects.get(pk=absence.dealer_id)
    _check_absence(
        dealer=dealer,
        membership=membership,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        exclude_id=absence.pk,
    )
    absence.membership = membership
    absence.starts_on = starts_on
    absence.ends_on = ends_on
    absence.reason = reason
    absence.note = note.strip()
    absence.save(update_fields=["membership", "starts_on", "ends_on", "reason", "note"])
    return absence


@transaction.atomic
def delete_absence(*, absence: StaffAbsence, actor: Any) -> None:
    absence.delete()


# --- regions -------------------------------------------------------------------------------------


def _full_clean(obj: Any, exclude: Iterable[str] = ()) -> None:
    obj.full_clean(exclude=list(exclude))


@transaction.atomic
def create_region(
    *, code: str, name: str, actor: Any, request: HttpRequest | None = None
) -> Region:
    region = Region(code=code.strip(), name=name.strip())
    _full_clean(region)
    region.save()
    record(
        action=AuditAction.DEALER_CHANGE,
        actor=actor,
        obj=region,
        request=request,
        detail={"change": "region_created", "code": region.code, "name": region.name},
    )
    return region


@transaction.atomic
def update_region(
    *, region: Region, code: str, name: str, actor: Any, request: HttpRequest | None = None
) -> Region:
    region = Region.objects.select_for_update().get(pk=region.pk)
    before = {"code": region.code, "name": region.name}
    region.code, region.name = code.strip(), name.strip()
    _full_clean(region)
    after = {"code": region.code, "name": region.name}
    if before != after:
        region.save()
        record(
            action=AuditAction.DEALER_CHANGE,
            actor=actor,
            obj=region,
            request=request,
            detail={"change": "region_updated", **_diff(before, after)},
        )
    return region


@transaction.atomic
def set_region_managers(
    *, region: Region, managers: Iterable[Any], actor: Any, request: HttpRequest | None = None
) -> None:
    """Give exactly `managers` (HQ regional managers) the region; audited per change."""
    wanted = {user.pk: user for user in managers}
    for user in wanted.values():
        if user.hq_role != HqRole.REGIONAL_MANAGER or not user.is_active:
            raise ValidationError(
                {"managers": _("%(user)s is not an active HQ regional manager.") % {"user": user}}
            )
    current = {user.pk: user for user in region_managers(region)}
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    for user in added:
        assign_perm(REGION_PERMISSION, user, region)
    for user in removed:
        remove_perm(REGION_PERMISSION, user, region)
    if added or removed:
        record(
            action=AuditAction.PERMISSION_CHANGE,
            actor=actor,
            obj=region,
            count=len(added) + len(removed),
            request=request,
            detail={
                "permission": REGION_PERMISSION,
                "granted": sorted(u.get_username() for u in added),
                "revoked": sorted(u.get_username() for u in removed),
            },
        )


# --- dealers -------------------------------------------------------------------------------------

# The dealer's opening hours and date limits (enforced by the sales and leads services).
DATE_LIMIT_FIELDS = (
    "showroom_opens_at",
    "showroom_closes_at",
    "test_drive_days_ahead",
    "follow_up_days_ahead",
    "visit_days_back",
    "delivery_days_ahead",
)
DEALER_FIELDS = (
    "code",
    "name",
    "legal_name",
    "region",
    "group",
    "street",
    "postal_code",
    "city",
    "country",
    "timezone",
    "is_active",
    "require_2fa",
    *DATE_LIMIT_FIELDS,
)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        "changed": {
            key: [str(before[key]), str(after[key])] for key in after if before[key] != after[key]
        }
    }


def _only_dealer_fields(fields: dict[str, Any]) -> None:
    """A programming error, not bad input: callers pass only DEALER_FIELDS."""
    unknown = set(fields) - set(DEALER_FIELDS)
    if unknown:
        raise TypeError(f"unknown dealer fields: {sorted(unknown)}")


def _dealer_values(dealer: Dealer) -> dict[str, Any]:
    return {
        key: (getattr(dealer, f"{key}_id") if key in ("region", "group") else getattr(dealer, key))
        for key in DEALER_FIELDS
    }


@transaction.atomic
def create_dealer(*, actor: Any, request: HttpRequest | None = None, **fields: Any) -> Dealer:
    _only_dealer_fields(fields)
    dealer = Dealer(**fields)
    _full_clean(dealer)
    dealer.save()
    record(
        action=AuditAction.DEALER_CHANGE,
        actor=actor,
        dealer=dealer,
        obj=dealer,
        request=request,
        detail={"change": "dealer_created", "code": dealer.code, "region": dealer.region.code},
    )
    return dealer


@transaction.atomic
def update_dealer(
    *, dealer: Dealer, actor: Any, request: HttpRequest | None = None, **fields: Any
) -> Dealer:
    """Edit a dealer; `is_active=False` deactivates it (its staff can no longer work in it)."""
    _only_dealer_fields(fields)
    dealer = Dealer.objects.select_for_update().get(pk=dealer.pk)
    before = _dealer_values(dealer)
    for key, value in fields.items():
        setattr(dealer, key, value)
    _full_clean(dealer)
    after = _dealer_values(dealer)
    if before != after:
        dealer.save()
        change = "dealer_updated"
        if before["is_active"] and not after["is_active"]:
            change = "dealer_deactivated"
        elif not before["is_active"] and after["is_active"]:
            change = "dealer_reactivated"
        record(
            action=AuditAction.DEALER_CHANGE,
            actor=actor,
            dealer=dealer,
            obj=dealer,
            request=request,
            detail={"change": change, **_diff(before, after)},
        )
    return dealer


# --- users and memberships -----------------------------------------------------------------------


def _is_email_clash(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == ACTIVE_EMAIL_CONSTRAINT


def _new_user(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    hq_role: str = "",
    preferred_language: str = "",
    actor: Any,
    request: HttpRequest | None,
    dealer: Dealer | None = None,
) -> Any:
    """A new account, audited as created (under `dealer` when a dealer admin made it). Its first
    login asks for a password of its own."""
    user_model = get_user_model()
    username = username.strip()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is already taken.")})
    validate_email_available(email)
    user = user_model(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        hq_role=hq_role,
        preferred_language=preferred_language,
        must_change_password=True,  # the first login asks for a password of their own
    )
    _full_clean(user, exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.password_changed_at = timezone.now()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent request took the name or the address
        if _is_email_clash(exc):
            raise ValidationError({"email": EMAIL_TAKEN_MESSAGE}) from exc
        raise ValidationError({"username": _("This username is already taken.")}) from exc
    record(
        action=AuditAction.USER_CHANGE,
        actor=actor,
        dealer=dealer,
        obj=user,
        request=request,
        detail={"change": "user_created", "username": user.username},
    )
    return user


@transaction.atomic
def create_hq_user(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    hq_role: str,
    preferred_language: str = "",
    actor: Any,
    request: HttpRequest | None = None,
) -> Any:
    """A user account created by HQ: an HQ role, or none (then give it memberships)."""
    if hq_role not in ("", *HqRole.values):
        raise ValidationError({"hq_role": _("Choose an HQ role from the list.")})
    user = _new_user(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        password=password,
        hq_role=hq_role,
        preferred_language=preferred_language,
        actor=actor,
        request=request,
    )
    if hq_role:
        record(
            action=AuditAction.ROLE_CHANGE,
            actor=actor,
            obj=user,
            request=request,
            detail={"username": user.username, "hq_role": ["", hq_role]},
        )
    return user


@transaction.atomic
def update_user(
    *,
    user: Any,
    actor: Any,
    request: HttpRequest | None = None,
    first_name: str,
    last_name: str,
    email: str,
    hq_role: str,
    is_active: bool,
    preferred_language: str = "",
) -> Any:
    """HQ edits an account: names, e-mail, HQ role, active. Disabling ends its API tokens (and
    its sessions: inactive users are refused by authentication). Nobody removes their own admin
    rights or disables themselves."""
    if hq_role not in ("", *HqRole.values):
        raise ValidationError({"hq_role": _("Choose an HQ role from the list.")})
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk and (hq_role != user.hq_role or not is_active):
        raise ValidationError(
            _("You cannot change your own role or disable your own account; ask another admin.")
        )
    before = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "preferred_language": user.preferred_language,
        "is_active": user.is_active,
    }
    old_role = user.hq_role
    if hq_role and not old_role and user.memberships.filter(is_active=True).exists():
        raise ValidationError(
            {
                "hq_role": _(
                    "This user holds dealer roles; deactivate them before giving an HQ role."
                )
            }
        )
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.email, user.preferred_language = email.strip(), preferred_language
    user.is_active, user.hq_role = is_active, hq_role
    if is_active:  # also when re-enabling an account whose address someone took meanwhile
        validate_email_available(user.email, exclude_pk=user.pk)
    _full_clean(user, exclude=["password"])
    after = {key: getattr(user, key) for key in before}
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent request took the address
        if _is_email_clash(exc):
            raise ValidationError({"email": EMAIL_TAKEN_MESSAGE}) from exc
        raise
    if before != after:
        record(
            action=AuditAction.USER_CHANGE,
            actor=actor,
            obj=user,
            request=request,
            detail={"username": user.username, **_diff(before, after)},
        )
    if not is_active and before["is_active"]:
        Token.objects.filter(user=user).delete()
    if old_role != hq_role:
        record(
            action=AuditAction.ROLE_CHANGE,
            actor=actor,
            obj=user,
            request=request,
            detail={"username": user.username, "hq_role": [old_role, hq_role]},
        )
        if old_role == HqRole.REGIONAL_MANAGER:
            regions = list(Region.objects.filter(regionuserobjectpermission__user=user).distinct())
            for region in regions:
                remove_perm(REGION_PERMISSION, user, region)
            if regions:
                record(
                    action=AuditAction.PERMISSION_CHANGE,
                    actor=actor,
                    obj=user,
                    count=len(regions),
                    request=request,
                    detail={
                        "permission": REGION_PERMISSION,
                        "revoked_regions": sorted(r.code for r in regions),
                    },
                )
    return user


def _check_role(role: str) -> None:
    if role not in DealerRole.values:
        raise ValidationError({"role": _("Choose a role from the list.")})


@transaction.atomic
def add_membership(
    *, dealer: Dealer, user: Any, role: str, actor: Any, request: HttpRequest | None = None
) -> Membership:
    """Give an existing user a role at a dealer (HQ), or re-activate a former membership."""
    _check_role(role)
    if user.hq_role:
        raise ValidationError({"user": _("HQ users do not hold dealer roles.")})
    if not dealer.is_active:
        raise ValidationError({"dealer": _("This dealer is inactive.")})
    existing = Membership.objects.select_for_update().filter(dealer=dealer, user=user).first()
    if existing is not None and existing.is_active:
        raise ValidationError(
            {"dealer": _("%(user)s already works at this dealer.") % {"user": user}}
        )
    if existing is not None:
        return change_membership(
            membership=existing, role=role, is_active=True, actor=actor, request=request
        )
    membership = Membership.objects.create(
        dealer=dealer, user=user, role=role, started_on=dealer_today(dealer)
    )
    membership_changed.send(sender=Membership, membership=membership)
    record(
        action=AuditAction.ROLE_CHANGE,
        actor=actor,
        dealer=dealer,
        obj=membership,
        request=request,
        detail={"username": user.get_username(), "role": ["", role], "change": "granted"},
    )
    return membership


@transaction.atomic
def add_staff(
    *,
    dealer: Dealer,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    role: str,
    actor: Any,
    request: HttpRequest | None = None,
) -> Membership:
    """A dealer admin takes on a new colleague: a new account with a role at their dealer. The
    first login asks for a new password."""
    _check_role(role)
    user = _new_user(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        password=password,
        actor=actor,
        request=request,
        dealer=dealer,
    )
    return add_membership(dealer=dealer, user=user, role=role, actor=actor, request=request)


@transaction.atomic
def change_membership(
    *,
    membership: Membership,
    role: str,
    is_active: bool,
    actor: Any,
    request: HttpRequest | None = None,
) -> Membership:
    """Change a staff member's role or (de)activate them at this dealer. Audited."""
    _check_role(role)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "dealer")
        .get(pk=membership.pk)
    )
    if membership.user_id == actor.pk and (role != membership.role or not is_active):
        raise ValidationError(
            _("You cannot change your own role or deactivate yourself; ask another admin.")
        )
    before = {"role": membership.role, "is_active": membership.is_active}
    after = {"role": role, "is_active": is_active}
    if before == after:
        return membership
    membership.role, membership.is_active = role, is_active
    if is_active and not before["is_active"]:
        membership.leaving_on = None
    membership.save(update_fields=["role", "is_active", "leaving_on"])
    membership_changed.send(sender=Membership, membership=membership)
    detail: dict[str, Any] = {"username": membership.user.get_username()}
    if before["role"] != role:
        detail["role"] = [before["role"], role]
    if before["is_active"] != is_active:
        detail["change"] = "reactivated" if is_active else "deactivated"
    record(
        action=AuditAction.ROLE_CHANGE,
        actor=actor,
        dealer=membership.dealer,
        obj=membership,
        request=request,
        detail=detail,
    )
    return membership

"""Ownership claims: a consultant asks for a colleague's customer, the sales manager decides.

Ownership never moves silently: only an approved claim (or a manager's audited reassignment)
moves it, in one transaction with the customer's open leads and open follow-ups, with an audit
entry and a timeline line "ownership moved from X to Y".
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.roles import Cap
from dms.audit.models import AuditAction
from dms.audit.services import record
from leads.models import Customer, FollowUp, Lead, OwnershipClaim
from leads.selectors.customers import capabilities_of, person_name
from leads.services.customers import customer_url, notify_user
from leads.services.timeline import Said, add_timeline_event

REASON_MAX = 300


def file_claim(*, customer: Customer, claimant: Any, reason: str) -> OwnershipClaim:
    """A pending claim. Clear errors (nothing created) for an empty reason, one's own customer,
    or a second pending claim for the same customer."""
    reason = " ".join((reason or "").split())
    if Cap.SALES_OWN not in capabilities_of(claimant, customer.dealer_id):
        raise PermissionDenied
    if not reason:
        raise ValidationError({"reason": [_("Say why the customer should be yours.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("At most %(n)d characters.") % {"n": REASON_MAX}]})
    if customer.merged_into_id is not None:
        raise ValidationError(_("This customer card no longer exists."))
    if customer.owner_id == claimant.pk:
        raise ValidationError(_("You already serve this customer."))
    try:
        with transaction.atomic():
            claim = OwnershipClaim.objects.create(
                dealer_id=customer.dealer_id,
                customer=customer,
                claimant=claimant,
                current_owner_id=customer.owner_id,
                reason=reason,
            )
            add_timeline_event(
                customer=customer,
                kind="claim",
                summary=Said(
                    gettext_noop("%(claimant)s asked to take over this customer: %(reason)s"),
                    {"claimant": person_name(claimant), "reason": reason},
                ),
                actor=claimant,
                ref=claim,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("You already have a claim for this customer waiting for a decision.")
        ) from exc
    return claim


def decide_claim(
    *,
    claim: OwnershipClaim,
    actor: Any,
    approve: bool,
    note: str = "",
    request: Any = None,
) -> OwnershipClaim:
    """The sales manager approves (ownership, open leads and open follow-ups move to the
    claimant, in one transaction) or rejects (nothing moves). Audited either way."""
    if Cap.SALES_APPROVE not in capabilities_of(actor, claim.dealer_id):
        raise PermissionDenied
    note = " ".join((note or "").split())[:300]
    with transaction.atomic():
        claim = OwnershipClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != OwnershipClaim.Status.PENDING:
            raise ValidationError(_("This claim was already decided."))
        if claim.claimant_id == actor.pk:
            raise ValidationError(_("Another manager must decide your own claim."))
        customer = Customer.objects.select_for_update().get(pk=claim.customer_id)
        claimant = claim.claimant
        from_owner = customer.owner
        now = timezone.now()
        claim.status = OwnershipClaim.Status.APPROVED if approve else OwnershipClaim.Status.REJECTED
        claim.decided_at = now
        claim.decided_by = actor
        claim.decision_note = note
        claim.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        detail: dict[str, Any] = {
            "operation": "ownership_claim",
            "decision": claim.status,
            "claim_id": claim.pk,
            "customer_id": customer.pk,
            "claimant": claimant.get_username(),
            "owner": from_owner.get_username() if from_owner else "",
            "note": note,
        }
        count = 1
        if approve:
            leads = Lead.objects.filter(customer=customer, is_open=True, in_pool=False)
            moved_leads = leads.update(consultant=claimant, assigned_at=now)
            moved_follow_ups = FollowUp.objects.filter(
                customer=customer, done_at__isnull=True
            ).update(owner=claimant)
            Customer.objects.filter(pk=customer.pk).update(
                owner=claimant, owner_since=now, updated_at=now
            )
            superseded = OwnershipClaim.objects.filter(
                customer=customer, status=OwnershipClaim.Status.PENDING
            ).exclude(pk=claim.pk)
            rejected_others = superseded.update(
                status=OwnershipClaim.Status.REJECTED,
                decided_at=now,
                decided_by=actor,
                decision_note=_("Another claim for this customer was approved.")[:300],
            )
            detail.update(
                moved_leads=moved_leads,
                moved_follow_ups=moved_follow_ups,
                other_claims_rejected=rejected_others,
            )
            count = 1 + moved_leads + moved_follow_ups
            add_timeline_event(
                customer=customer,
                kind="ownership",
                summary=Said(
                    gettext_noop(
                        "Ownership moved from %(from)s to %(to)s (claim approved by %(by)s)."
                    ),
                    {
                        "from": person_name(from_owner),
                        "to": person_name(claimant),
                        "by": person_name(actor),
                    },
                ),
                actor=actor,
                ref=claim,
                at=now,
            )
        else:
            add_timeline_event(
                customer=customer,
                kind="claim",
                summary=Said(
                    gettext_noop("Claim by %(claimant)s rejected by %(by)s."),
                    {"claimant": person_name(claimant), "by": person_name(actor)},
                ),
                actor=actor,
                ref=claim,
                at=now,
            )
        record(
            action=AuditAction.PERMISSION_CHANGE,
            actor=actor,
            dealer=claim.dealer_id,
            obj=customer,
            count=count,
            request=request,
            detail=detail,
        )

        def text() -> str:
            return (
                _("Your claim for %(customer)s was approved.")
                if approve
                else _("Your claim for a customer of %(owner)s was rejected.")
            ) % {"customer": customer.display_name, "owner": person_name(from_owner)}

        notify_user(
            dealer_id=claim.dealer_id,
            user=claimant,
            kind="claim_decided",
            text=text,
            url=customer_url(customer) if approve else "",
        )
        if approve and from_owner is not None and from_owner.pk != claimant.pk:
            notify_user(
                dealer_id=claim.dealer_id,
                user=from_owner,
                kind="customer_moved",
                text=lambda: (
                    _("%(customer)s is now served by %(to)s.")
                    % {"customer": customer.display_name, "to": person_name(claimant)}
                ),
            )
    return claim

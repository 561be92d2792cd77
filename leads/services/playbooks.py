"""HQ playbooks: the steps and facts a lead needs before it may enter a stage.

A lead may enter a stage when every *required*, active PlaybookStep of that stage is done for it
(LeadStep) or waived by a manager with a reason. The gate checks the target stage's steps only:
HQ's playbook is written so that skipping a stage is possible (e.g. "test drive offered (done or
declined)" gates the offer stage).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dealers.roles import Cap
from dms.audit.services import record
from leads.models import Lead
from sales.models import LeadStep, PlaybookStep

from .permissions import actor_can
from .timeline import Hq, add_timeline_event, said


def required_steps(stage: str) -> list[PlaybookStep]:
    return list(PlaybookStep.objects.filter(stage=stage, required=True, is_active=True))


def missing_required_steps(*, lead: Lead, stage: str) -> list[PlaybookStep]:
    """Required steps of `stage` neither done nor waived for `lead`."""
    met = LeadStep.objects.filter(lead=lead).values_list("step_id", flat=True)
    return list(
        PlaybookStep.objects.filter(stage=stage, required=True, is_active=True)
        .exclude(pk__in=met)
        .order_by("order")
    )


def check_gate(*, lead: Lead, stage: str) -> None:
    """Raise ValidationError naming every missing required step of `stage`."""
    missing = missing_required_steps(lead=lead, stage=stage)
    if missing:
        names = "; ".join(step.display_name for step in missing)
        raise ValidationError(
            _("The playbook requires these steps before this stage: %(steps)s"),
            code="playbook_gate",
            params={"steps": names},
        )


def _step(step_code: str) -> PlaybookStep:
    step = PlaybookStep.objects.filter(code=step_code, is_active=True).order_by("order").first()
    if step is None:
        raise ValidationError(
            _("Unknown playbook step: %(code)s"), code="unknown_step", params={"code": step_code}
        )
    return step


def complete_step(*, lead: Lead, step_code: str, actor: Any) -> LeadStep:
    """Mark a playbook step done for the lead. Doing it twice is harmless (returns the first)."""
    step = _step(step_code)
    if not lead.is_open:
        raise ValidationError(_("This lead is closed."), code="closed")
    existing = LeadStep.objects.filter(lead=lead, step=step).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            done = LeadStep.objects.create(
                dealer_id=lead.dealer_id, lead=lead, step=step, done_by=actor
            )
    except IntegrityError:  # a concurrent click recorded it first
        return LeadStep.objects.get(lead=lead, step=step)
    add_timeline_event(
        customer=lead.customer,
        lead=lead,
        kind="step",
        summary=said(gettext_noop("Playbook: %(step)s"), step=Hq(step.name)),
        actor=actor,
        ref=done,
    )
    return done


def waive_step(*, lead: Lead, step_code: str, actor: Any, reason: str) -> LeadStep:
    """A manager waives a step with a reason (audited)."""
    reason = (reason or "").strip()
    if not actor_can(actor, lead.dealer_id, Cap.SALES_APPROVE):
        raise PermissionDenied(_("Only a sales manager may waive a playbook step."))
    if not reason:
        raise ValidationError({"reason": _("Give a reason for the waiver.")}, code="required")
    step = _step(step_code)
    if not lead.is_open:
        raise ValidationError(_("This lead is closed."), code="closed")
    if LeadStep.objects.filter(lead=lead, step=step).exists():
        raise ValidationError(_("This step is already done or waived."), code="already_done")
    with transaction.atomic():
        waived = LeadStep.objects.create(
            dealer_id=lead.dealer_id,
            lead=lead,
            step=step,
            done_by=actor,
            waived=True,
            waive_reason=reason[:300],
        )
        add_timeline_event(
            customer=lead.customer,
            lead=lead,
            kind="step_waived",
            summary=said(
                gettext_noop("Playbook step waived: %(step)s (%(reason)s)"),
                step=Hq(step.name),
                reason=reason,
            ),
            actor=actor,
            ref=waived,
        )
        record(
            action="step_waived",
            actor=actor,
            dealer=lead.dealer_id,
            obj=lead,
            detail={"step": step.code, "reason": reason[:300]},
        )
    return waived

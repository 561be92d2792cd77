"""Reads about leads: who may see which, the lead list, one lead with its playbook, the pool.

Visibility (pages and API alike):
- a consultant (sales.own without sales.all) sees the leads assigned to them plus the dealer's
  lead pool; a colleague's lead is "not found", like another dealer's;
- sales and dealer managers (sales.all) see every lead of their dealer;
- anyone else sees none.
The tenant scope (django-scopes + RLS) already limits every queryset to the dealer in scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from dealers.clock import dealer_today
from dealers.roles import Cap
from dealers.selectors import Access
from leads.models import (
    FUNNEL_STAGES,
    FollowUp,
    GradeChange,
    Lead,
    Stage,
    StageChange,
    TimelineEvent,
)
from sales.models import LeadStep, PlaybookStep


def sees_all_leads(access: Access) -> bool:
    return access.can(Cap.SALES_ALL)


def visible_leads(access: Access, *, pool: bool = True) -> QuerySet[Lead]:
    """`pool=False`: without the lead pool (a consultant's own leads only), for lists that
    exclude pooled leads anyway: `consultant_id = me` alone lets PostgreSQL use the partial
    index lead_open_list_consultant, `consultant_id = me OR in_pool` does not."""
    if access.dealer is None:
        return Lead.objects.none()
    qs = Lead.objects.filter(dealer_id=access.dealer.pk)
    if access.can(Cap.SALES_ALL):
        return qs
    if access.can(Cap.SALES_OWN) and access.user_id is not None:
        if not pool:
            return qs.filter(consultant_id=access.user_id)
        return qs.filter(Q(consultant_id=access.user_id) | Q(in_pool=True))
    return qs.none()


# What a row of the lead list shows (LeadTable): fewer columns to read, parse and instantiate.
LEAD_LIST_FIELDS = (
    "dealer_id",
    "customer_id",
    "consultant_id",
    "source_id",
    "vehicle_model_id",
    "stage",
    "grade",
    "is_open",
    "in_pool",
    "lost_requested_at",
    "last_activity_at",
    "created_at",
    "customer__kind",
    "customer__first_name",
    "customer__last_name",
    "customer__company_name",
    "customer__phone",
    "customer__email",
    "consultant__first_name",
    "consultant__last_name",
    "consultant__username",
    "source__name",
    "vehicle_model__name",
)


def lead_list(access: Access, *, status: str | None = None) -> QuerySet[Lead]:
    """The lead list before its filters. `status` is the list's status filter: "open" (the
    default view) shows no pooled leads, so a consultant's list reads only their own."""
    return (
        visible_leads(access, pool=status != "open")
        .select_related("customer", "consultant", "source", "vehicle_model")
        .only(*LEAD_LIST_FIELDS)
    )


def pool_leads(access: Access) -> QuerySet[Lead]:
    if not access.can(Cap.SALES_OWN) or access.dealer is None:
        return Lead.objects.none()
    return (
        Lead.objects.filter(dealer_id=access.dealer.pk, in_pool=True)
        .select_related("customer", "consultant", "source", "vehicle_model", "lost_reason")
        .order_by("-pooled_at", "-id")
    )


# --- one lead ------------------------------------------------------------------------------------


def is_onboarding(access: Access, user: Any) -> bool:
    """New staff see the playbook guidance expanded: the onboarding flag, or a membership that
    started within settings.DMS_ONBOARDING_WEEKS weeks."""
    if getattr(user, "onboarding", False):
        return True
    started = getattr(access.membership, "started_on", None)
    if started is None:
        return False
    weeks = getattr(settings, "DMS_ONBOARDING_WEEKS", 6)
    return dealer_today(access.dealer) - started < dt.timedelta(weeks=weeks)


@dataclass
class StageInfo:
    code: str
    label: str
    state: str  # "done" | "current" | "todo"
    steps: list[dict[str, Any]] = field(default_factory=list)
    missing_required: int = 0


def playbook_of(lead: Lead) -> list[StageInfo]:
    """The funnel stages with their HQ steps and what this lead has done or had waived."""
    done = {s.step_id: s for s in LeadStep.objects.filter(lead=lead).select_related("done_by")}
    by_stage: dict[str, list[PlaybookStep]] = {}
    for step in PlaybookStep.objects.filter(is_active=True).order_by("stage", "order"):
        by_stage.setdefault(step.stage, []).append(step)
    current = FUNNEL_STAGES.index(Stage(lead.stage)) if lead.stage in FUNNEL_STAGES else -1
    stages = []
    for index, stage in enumerate(FUNNEL_STAGES):
        state = "done" if index < current else "current" if index == current else "todo"
        if not lead.is_open and lead.stage == Stage.DELIVERED:
            state = "done"
        info = StageInfo(code=stage.value, label=str(stage.label), state=state)
        for step in by_stage.get(stage.value, []):
            record = done.get(step.pk)
            info.steps.append({"step": step, "record": record})
            if step.required and record is None:
                info.missing_required += 1
        stages.append(info)
    return stages


def next_stage(lead: Lead) -> str | None:
    if not lead.is_open or lead.stage not in FUNNEL_STAGES:
        return None
    index = FUNNEL_STAGES.index(Stage(lead.stage))
    return FUNNEL_STAGES[index + 1].value if index + 1 < len(FUNNEL_STAGES) else None


def follow_ups_of(lead: Lead) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(lead=lead).select_related("owner").order_by("done_at", "due_at")


def grade_history(lead: Lead) -> QuerySet[GradeChange]:
    return (
        GradeChange.objects.filter(lead=lead)
        .select_related("changed_by")
        .order_by("changed_at", "id")
    )


def stage_history(lead: Lead) -> QuerySet[StageChange]:
    return (
        StageChange.objects.filter(lead=lead)
        .select_related("changed_by")
        .order_by("changed_at", "id")
    )


def stage_history_labelled(lead: Lead) -> list[StageChange]:
    rows = list(stage_history(lead))
    for row in rows:
        row.label = Stage(row.to_stage).label if row.to_stage in Stage.values else row.to_stage  # type: ignore[attr-defined]
    return rows


def lead_timeline(lead: Lead, limit: int = 30) -> list[TimelineEvent]:
    return list(
        TimelineEvent.objects.filter(customer_id=lead.customer_id, lead=lead)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


# --- the grade progression table -----------------------------------------------------------------


def grade_progression(access: Access, *, consultant_id: int | None = None) -> QuerySet[GradeChange]:
    """Every grade change of the visible leads (newest first): the paper "prospect-grade
    progression table", per lead or per consultant. A row is credited to the consultant who
    held the lead when it was graded (the row's snapshot), not to whoever holds it now: after a
    handover the departed consultant's grading stays theirs."""
    leads = visible_leads(access)
    qs = GradeChange.objects.filter(lead__in=leads)
    if consultant_id is not None:
        qs = qs.filter(consultant_id=consultant_id)
    return qs.select_related("lead__customer", "consultant", "changed_by").order_by(
        "-changed_at", "-id"
    )


def grade_progression_consultants(access: Access) -> QuerySet[Any]:
    """Whom the grade-progression report can be filtered by: today's salespeople and everyone
    a visible row is credited to (a consultant who has left keeps their rows)."""
    from django.contrib.auth import get_user_model

    from dealers.models import Membership
    from dealers.roles import DEALER_ROLE_CAPS

    if access.dealer is None:
        return get_user_model().objects.none()
    selling = [role for role, caps in DEALER_ROLE_CAPS.items() if Cap.SALES_OWN in caps]
    today = Membership.objects.filter(
        dealer_id=access.dealer.pk, role__in=selling, is_active=True, user__is_active=True
    ).values("user_id")
    credited = GradeChange.objects.filter(
        dealer_id=access.dealer.pk, lead__in=visible_leads(access), consultant_id__isnull=False
    ).values("consultant_id")
    return (
        get_user_model()
        .objects.filter(Q(pk__in=today) | Q(pk__in=credited))
        .order_by("last_name", "first_name", "username")
    )

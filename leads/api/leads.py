"""API for leads (`/api/leads/`): the same rules as the pages, through the same services.

- list / retrieve: a consultant sees their own leads and the dealer's pool, a manager all of the
  dealer's; a colleague's or another dealer's id is 404. Cursor pagination (no COUNT).
- create: how web-form, phone-centre and HQ-campaign leads arrive. Give `customer` (an id the
  caller may open) or `contact` details; without `consultant` the lead is routed (round robin or
  by load among active, present consultants). A contact matching a customer the caller may not
  open answers 409 with only who serves them.
- actions (POST): stage, grade, step (done or waived), activity, lost, lost-decision, dormant,
  claim, reassign. Bad input: 400 with field errors, nothing changed; a role limit: 403.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from dealers.access import SALES_STAFF, Rule
from dealers.roles import Cap
from dms.api.viewsets import TenantViewSetMixin
from dms.tenancy.context import current_scope
from inventory.models import VehicleModel
from leads.models import FUNNEL_STAGES, Lead, LeadSource, LostReason, Stage
from leads.selectors.leads import visible_leads
from leads.services import leads as services
from leads.views.leads import can_work


class LeadCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def call_service(func: Any, **kwargs: Any) -> Any:
    """Run a service in a savepoint: ValidationError -> 400, PermissionDenied -> 403."""
    try:
        with transaction.atomic():
            return func(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(serializers.as_serializer_error(exc)) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from exc


# --- serializers -----------------------------------------------------------------------------------


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


class LeadSerializer(serializers.ModelSerializer):
    customer_name = serializers.SerializerMethodField()
    consultant_name = serializers.SerializerMethodField()
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[assignment,var-annotated]
    lost_reason = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "customer",
            "customer_name",
            "consultant",
            "consultant_name",
            "credited_to",
            "source",
            "vehicle_model",
            "stage",
            "stage_label",
            "grade",
            "is_open",
            "in_pool",
            "pooled_at",
            "created_at",
            "assigned_at",
            "first_response_due",
            "first_response_at",
            "escalated_at",
            "last_activity_at",
            "closed_at",
            "lost_reason",
            "lost_note",
            "lost_requested_at",
        ]
        read_only_fields = fields

    def get_customer_name(self, obj: Lead) -> str:
        return str(obj.customer.display_name)

    def get_consultant_name(self, obj: Lead) -> str:
        return _name(obj.consultant)


class ContactSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["person", "company"], required=False)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    company_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)


class LeadCreateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, help_text="A customer the caller may open.")
    contact = ContactSerializer(required=False, help_text="Or the contact details of a new lead.")
    source = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", queryset=LeadSource.objects.all()
    )
    vehicle_model = serializers.PrimaryKeyRelatedField(
        queryset=VehicleModel.objects.filter(is_active=True), required=False, allow_null=True
    )
    consultant = serializers.IntegerField(
        required=False, allow_null=True, help_text="Empty: routed automatically."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class StageSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=[(s.value, s.label) for s in FUNNEL_STAGES])


class GradeSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=["H", "A", "B", "C"])


class StepSerializer(serializers.Serializer):
    step = serializers.SlugField()
    waive = serializers.BooleanField(default=False, help_text="Managers: waive instead of done.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ActivitySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["call", "email", "sms", "meeting", "note"])
    summary = serializers.CharField(max_length=300)


class LostSerializer(serializers.Serializer):
    reason = serializers.SlugRelatedField(
        slug_field="code", queryset=LostReason.objects.filter(is_active=True)
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class DormantSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ReassignSerializer(serializers.Serializer):
    consultant = serializers.IntegerField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class LeadFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    grade = django_filters.ChoiceFilter(choices=[(g, g) for g in "HABCO"])
    source = django_filters.CharFilter(field_name="source__code")
    consultant = django_filters.NumberFilter(field_name="consultant_id")
    is_open = django_filters.BooleanFilter()
    in_pool = django_filters.BooleanFilter()

    class Meta:
        model = Lead
        fields = ["stage", "grade", "source", "consultant", "is_open", "in_pool"]


# --- the viewset ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Leads the caller may see (consultants: own + the pool)"),
    retrieve=extend_schema(summary="One lead"),
)
class LeadViewSet(  # type: ignore[misc]
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    model = Lead
    serializer_class = LeadSerializer
    pagination_class = LeadCursorPagination
    filterset_class = LeadFilter
    access_rule = Rule(read=SALES_STAFF, write=SALES_STAFF)

    def get_queryset(self) -> QuerySet[Lead]:
        if getattr(self, "swagger_fake_view", False) or current_scope() is None:
            return Lead.objects.none()
        return visible_leads(self.access).select_related(
            "customer", "consultant", "source", "lost_reason"
        )

    def _lead_for(self, who: str) -> Lead:
        lead: Lead = self.get_object()  # 404 for what the caller may not see
        access = self.access
        allowed = {
            "work": can_work(access, lead),
            "approve": access.can(Cap.SALES_APPROVE),
            "reassign": access.can(Cap.SALES_REASSIGN),
            "claim": access.can(Cap.SALES_OWN),
        }[who]
        if not allowed:
            raise PermissionDenied
        return lead

    def _done(self, lead: Lead) -> Response:
        lead.refresh_from_db()
        return Response(LeadSerializer(lead, context=self.get_serializer_context()).data)

    def _input(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _user(self, pk: int | None, field: str) -> Any:
        if pk is None:
            return None
        from leads.forms.funnel import salespeople

        user = salespeople(self.access.dealer).filter(pk=pk).first()
        if user is None:
            raise ValidationError({field: ["Choose an active salesperson of this dealer."]})
        return user

    @extend_schema(
        summary="Record an inbound lead (routed when no consultant is given)",
        request=LeadCreateSerializer,
        responses={
            201: LeadSerializer,
            409: OpenApiResponse(description="Customer served by a colleague"),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from leads.api.customers import duplicate_response
        from leads.selectors.customers import customers_visible_to
        from leads.services.customers import DuplicateCustomer

        data = self._input(LeadCreateSerializer)
        customer = None
        if data.get("customer") is not None:
            customer = customers_visible_to(self.access).filter(pk=data["customer"]).first()
            if customer is None:
                raise ValidationError({"customer": [_("Unknown customer.")]})
        consultant = self._user(data.get("consultant"), "consultant")
        try:
            lead = call_service(
                services.receive_lead,
                dealer=self.access.dealer,
                actor=request.user,
                source=data["source"],
                customer=customer,
                contact=data.get("contact"),
                vehicle_model=data.get("vehicle_model"),
                consultant=consultant,
                note=data.get("note", ""),
            )
        except DuplicateCustomer as dup:
            return duplicate_response(dup, "This customer is already served at this dealer.")
        return Response(LeadSerializer(lead).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move to a funnel stage (playbook gate)",
        request=StageSerializer,
        responses=LeadSerializer,
    )
    @action(detail=True, methods=["post"])
    def stage(self, request: Request, pk: str, **kwargs: object) -> Response:
        lead = self._lead_for("work")
        data = self._input(StageSerializer)
        call_service(services.advance_stage, lead=lead, to_stage=data["stage"], actor=request.user)
        return self._done(lead)

    @extend_schema(
        summary="Grade the lead H/A/B/C", request=GradeSerializer, responses=LeadSerializer
    )
    @action(detail=True, methods=["post"])
    def grade(self, request: Request, pk: str, **kwargs: object) -> Response:
        lead = self._lead_for("work")
        data = self._input(GradeSerializer)
        call_service(services.set_grade, lead=lead, grade=data["grade"], actor=request.user)
        return self._done(lead)

    @extend_schema(
        summary="Playbook step done (or waived by a manager, with a reason)",
        request=StepSerializer,
        responses=LeadSerializer,
    )
    @action(detail=True, methods=["post"])
    def step(self, request: Request, pk: str, **kwargs: object) -> Response:
        self.get_object()  # 404 for a lead the caller may not see, before reading the body
        data = self._input(StepSerializer)
        if data["waive"]:
            lead = self._lead_for("approve")
            call_service(
                services.waive_step,
                lead=lead,
                step_code=data["step"],
                actor=request.user,
                reason=data.get("reason", ""),
            )
        else:
            lead = self._lead_for("work")
            call_service(
                services.complete_step, lead=lead, step_code=data["step"], actor=request.user
            )
        return self._done(lead)

    @extend_schema(
        summary="Log a contact or note", request=ActivitySerializer, responses=LeadSerializer
    )
    @action(detail=True, methods=["post"])
    def activity(self, request: Request, pk: str, **kwargs: object) -> Response:
        lead = self._lead_for("work")
        data = self._input(ActivitySerializer)
        call_service(
            services.record_activity,
            lead=lead,
            actor=request.user,
            kind=data["kind"],
            summary=data["summary"],
        )
        return self._done(lead)

    @extend_schema(
        summary="Ask the sales manager to close the lead as lost",
        request=LostSerializer,
        responses=LeadSerializer,
    )
    @action(detail=True, methods=["post"])
    def lost(self, request: Request, pk: str, **kwargs: object) -> Response:
        lead = self._lead_for("work")
        data = self._input(LostSerializer)
        call_service(
            services.request_lost,
            lead=lead,
            actor=request.user,
            reason=data["reason"],
            note=data.get("note", ""),
        )
        return self._done(lead)

    @extend_schema(
        summary="Manager: approve or reject a lost request (audited)",
        request=DecisionSerializer,
        responses=LeadSerializer,
    )
    @action(detail=True, methods=["post"], url_path="lost-decision")
    def lost_decision(self, request: Request, pk: str, **kwargs: object) -> Response:
        lead = self._lead_for("approve")
        data = self._input(DecisionSerializer)
        call_service(
            services.decide_lost,
            lead=lead,
            actor=request.user,
            approve=data["approve"],
            note=data.get("note", ""),
        )
        return self._done(lead)

    @extend_schema(
        summary="Close the lead as dormant (with a reason)",
        request=DormantSerializer,
        responses=LeadSerializer,
    )
    @action(detail=True, methods=["post"])
    def dormant(self, request: Request, pk: str, **kwargs: object) -> Response:
        lead = self._lead_for("work")
        data = self._input(DormantSerializer)
        call_service(services.mark_dormant, lead=lead, actor=request.user, reason=data["reason"])
        return self._done(lead)

    @extend_schema(
        summary="Take a lead from the pool (open-lead cap applies)",
        request=None,
        responses=LeadSerializer,
    )
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str, **kwargs: object) -> Response:
        lead = self._lead_for("claim")
        call_service(services.claim_pool_lead, lead=lead, actor=request.user)
        return self._done(lead)

    @extend_schema(
        summary="Manager: hand the lead to another consultant (audited)",
        request=ReassignSerializer,
        responses=LeadSerializer,
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str, **kwargs: object) -> Response:
        lead = self._lead_for("reassign")
        data = self._input(ReassignSerializer)
        to = self._user(data["consultant"], "consultant")
        call_service(
            services.reassign_lead,
            lead=lead,
            to=to,
            actor=request.user,
            reason=data.get("reason", ""),
        )
        return self._done(lead)

"""API for a staff member's bulletins (`/api/bulletins/`): the inbox (paginated, newest first,
filterable like the page), one bulletin (reading it marks it opened, as the page does), the
one-click acknowledgement (idempotent) and the counts of the menu badge. Same selectors and
services as the pages; a bulletin that does not reach the caller is "not found" (404)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dealers.access import BULLETIN_COMPLIANCE, BULLETIN_READERS, DeclaredAccess, Rule
from dms.api.permissions import access_of
from dms.api.viewsets import TenantViewSetMixin
from dms.tenancy.context import current_scope

from . import selectors, services
from .models import Bulletin, BulletinAttachment, BulletinRecipient

FILTERS = ("all", "unread", "ack")
COMPLIANCE_PEOPLE = 500


def call_service(func: Any, **kwargs: Any) -> Any:
    """Run a service in a savepoint: ValidationError -> 400, PermissionDenied -> 403."""
    try:
        with transaction.atomic():
            return func(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(serializers.as_serializer_error(exc)) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from exc


class InboxItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="bulletin_id")
    title = serializers.CharField(source="bulletin.title")
    category = serializers.ChoiceField(
        source="bulletin.category", choices=Bulletin.Category.choices
    )
    priority = serializers.ChoiceField(
        source="bulletin.priority", choices=Bulletin.Priority.choices
    )
    version = serializers.IntegerField(source="bulletin.version")
    published_at = serializers.DateTimeField(source="bulletin.published_at")
    requires_ack = serializers.BooleanField(source="bulletin.requires_ack")
    ack_deadline = serializers.DateTimeField(source="bulletin.ack_deadline", allow_null=True)
    received_at = serializers.DateTimeField(source="created_at")
    is_unread = serializers.BooleanField()
    needs_ack = serializers.BooleanField()
    is_overdue = serializers.BooleanField()


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = BulletinAttachment
        fields = ["id", "filename", "content_type", "size", "url"]
        read_only_fields = fields

    def get_url(self, obj: BulletinAttachment) -> str:
        return reverse("bulletins:attachment", args=[obj.bulletin_id, obj.pk])


class BulletinSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="HTML, cleaned by nh3 when saved (allow-listed tags).")
    category = serializers.ChoiceField(choices=Bulletin.Category.choices)
    priority = serializers.ChoiceField(choices=Bulletin.Priority.choices)
    version = serializers.IntegerField()
    revision_note = serializers.CharField(allow_blank=True)
    published_at = serializers.DateTimeField()
    requires_ack = serializers.BooleanField()
    ack_deadline = serializers.DateTimeField(allow_null=True)
    live_until = serializers.DateTimeField(allow_null=True)
    opened_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(
        allow_null=True, help_text="When the current round was acknowledged (null: not yet)."
    )
    attachments = AttachmentSerializer(many=True)


class AcknowledgementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    acknowledged_at = serializers.DateTimeField()
    acknowledged_version = serializers.IntegerField()


class CountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    unread = serializers.IntegerField()
    unacknowledged = serializers.IntegerField()
    overdue = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="Unread or not acknowledged (the menu badge).")


def _detail(bulletin: Bulletin, row: BulletinRecipient | None) -> dict[str, Any]:
    latest = bulletin.versions.order_by("-number").first()
    acked = bool(row and bulletin.requires_ack and row.acknowledged_version >= bulletin.ack_version)
    return {
        "id": bulletin.pk,
        "title": bulletin.title,
        "body": services.sanitise(bulletin.body),
        "category": bulletin.category,
        "priority": bulletin.priority,
        "version": bulletin.version,
        "revision_note": latest.note if latest and bulletin.version > 1 else "",
        "published_at": bulletin.published_at,
        "requires_ack": bulletin.requires_ack,
        "ack_deadline": bulletin.ack_deadline,
        "live_until": bulletin.live_until,
        "opened_at": row.opened_at if row else None,
        "acknowledged_at": row.acknowledged_at if acked and row else None,
        "attachments": list(
            BulletinAttachment.objects.filter(bulletin=bulletin).order_by("filename", "pk")
        ),
    }


@extend_schema_view(
    list=extend_schema(
        summary="My bulletins, newest first",
        parameters=[
            OpenApiParameter(
                "show", OpenApiTypes.STR, enum=list(FILTERS), description="all, unread, ack"
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One bulletin (marks it opened, as the page does)", responses=BulletinSerializer
    ),
)
class BulletinInboxViewSet(  # type: ignore[misc]
    TenantViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    model = BulletinRecipient
    serializer_class = InboxItemSerializer
    lookup_value_regex = r"[0-9]+"  # a bulletin id; anything else is not found, never a 500
    access_rule = Rule(read=BULLETIN_READERS, write=BULLETIN_READERS)

    def get_queryset(self) -> QuerySet[BulletinRecipient]:
        if getattr(self, "swagger_fake_view", False) or current_scope() is None:
            return BulletinRecipient.objects.none()
        rows = selectors.inbox(user=self.request.user)
        show = self.request.query_params.get("show", "all")
        if show == "unread":
            rows = rows.filter(selectors.UNREAD)
        elif show == "ack":
            rows = rows.filter(selectors.UNACKNOWLEDGED)
        return rows

    def _row(self, bulletin: Bulletin) -> BulletinRecipient | None:
        user: Any = self.request.user
        return BulletinRecipient.objects.filter(
            bulletin_id=bulletin.pk, user_id=user.pk, retired_at__isnull=True
        ).first()

    def retrieve(self, request: Request, pk: str, **kwargs: object) -> Response:
        bulletin = selectors.bulletin_for_reader(user=request.user, pk=int(pk))
        services.open_bulletin(user=request.user, bulletin=bulletin)
        return Response(BulletinSerializer(_detail(bulletin, self._row(bulletin))).data)

    @extend_schema(
        summary="Acknowledge (one click; a second call changes nothing)",
        request=None,
        responses=AcknowledgementSerializer,
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str, **kwargs: object) -> Response:
        bulletin = selectors.bulletin_for_reader(user=request.user, pk=int(pk))
        row = call_service(services.acknowledge, user=request.user, bulletin=bulletin)
        return Response(
            AcknowledgementSerializer(
                {
                    "id": bulletin.pk,
                    "acknowledged_at": row.acknowledged_at,
                    "acknowledged_version": row.acknowledged_version,
                }
            ).data
        )

    @extend_schema(summary="Counts for the menu badge", responses=CountsSerializer)
    @action(detail=False, methods=["get"])
    def counts(self, request: Request, **kwargs: object) -> Response:
        counts = selectors.inbox_counts(user=request.user)
        return Response(CountsSerializer(counts.__dict__).data)


# --- compliance (HQ KPI readers over their regions; a dealer's managers over their staff) --------


class FiguresSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()
    opened = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    overdue = serializers.IntegerField()
    share_acknowledged = serializers.FloatField(allow_null=True)


class DealerFiguresSerializer(serializers.Serializer):
    dealer_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField()
    figures = FiguresSerializer()


class RegionFiguresSerializer(serializers.Serializer):
    region_id = serializers.IntegerField()
    name = serializers.CharField()
    figures = FiguresSerializer()


class StaffStatusSerializer(serializers.Serializer):
    dealer_code = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    opened_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()


class ComplianceSerializer(serializers.Serializer):
    bulletin = serializers.IntegerField()
    requires_ack = serializers.BooleanField()
    ack_deadline = serializers.DateTimeField(allow_null=True)
    total = FiguresSerializer()
    regions = RegionFiguresSerializer(many=True)
    dealers = DealerFiguresSerializer(many=True)
    not_acknowledged = StaffStatusSerializer(
        many=True, help_text=f"The first {COMPLIANCE_PEOPLE} staff who have not acknowledged."
    )


@extend_schema(
    summary="Who acknowledged a bulletin: totals, by region, by dealer, and who has not",
    responses=ComplianceSerializer,
)
class BulletinComplianceAPIView(APIView):
    """HQ KPI readers see the dealers of their regions (HQ admin: all), a dealer's managers their
    own dealer (404 for a bulletin that does not reach it). Figures from the tally."""

    permission_classes = [IsAuthenticated, DeclaredAccess]
    access_rule = Rule(read=BULLETIN_COMPLIANCE)

    def get(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        try:
            data = selectors.compliance(
                access=access, bulletin_id=int(pk), people_limit=COMPLIANCE_PEOPLE
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc) or None) from exc
        return Response(
            ComplianceSerializer(
                {
                    "bulletin": data.bulletin.pk,
                    "requires_ack": data.bulletin.requires_ack,
                    "ack_deadline": data.bulletin.ack_deadline,
                    "total": data.total,
                    "regions": data.regions,
                    "dealers": [
                        {
                            "dealer_id": d.dealer_id,
                            "code": d.code,
                            "name": d.name,
                            "region": d.region,
                            "figures": d.figures,
                        }
                        for d in data.dealers
                    ],
                    "not_acknowledged": data.unacknowledged,
                }
            ).data
        )

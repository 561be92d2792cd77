"""API for customers (`/api/customers/`): the same rules as the pages.

Consultants list and open only their own customers (a colleague's or another dealer's id: 404);
managers see the dealer's. Creating a customer whose phone / e-mail / national ID already exists
answers 409 with only the non-leaking conflict information (who serves them, since when, stage)
— plus the id when the caller may open that card anyway.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from dealers.access import SALES_STAFF, Rule
from dms.api.pagination import DefaultPagination
from dms.api.viewsets import TenantViewSetMixin
from dms.tenancy.context import current_scope
from inventory.models import VehicleModel
from leads.models import Customer
from leads.selectors.customers import ConflictInfo, customers_visible_to
from leads.services import customers as services


class ConflictSerializer(serializers.Serializer):
    owner_name = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    stage = serializers.CharField()


class DuplicateResponseSerializer(serializers.Serializer):
    detail = serializers.CharField()
    conflict = ConflictSerializer()
    customer_id = serializers.IntegerField(
        required=False, help_text="Only when the caller may open that customer anyway."
    )


def conflict_payload(conflict: ConflictInfo) -> dict[str, Any]:
    return {"owner_name": conflict.owner_name, "since": conflict.since, "stage": conflict.stage}


def duplicate_response(dup: services.DuplicateCustomer, detail: str) -> Response:
    payload: dict[str, Any] = {
        "detail": detail,
        "conflict": ConflictSerializer(conflict_payload(dup.conflict)).data,
    }
    if dup.customer is not None:
        payload["customer_id"] = dup.customer.pk
    return Response(payload, status=status.HTTP_409_CONFLICT)


class ConsentSerializer(serializers.Serializer):
    phone = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)
    sms = serializers.BooleanField(required=False)
    post = serializers.BooleanField(required=False)


class CustomerSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    phone_alt = serializers.CharField(required=False, allow_blank=True, max_length=40)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    national_id = serializers.CharField(required=False, allow_blank=True, max_length=60)
    models_of_interest = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=VehicleModel.objects.filter(is_active=True)
    )
    consents = ConsentSerializer(
        write_only=True,
        required=False,
        help_text="Tick (true) or withdraw (false) consent per channel; the time is recorded.",
    )
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "kind",
            "display_name",
            "first_name",
            "last_name",
            "company_name",
            "phone",
            "phone_alt",
            "email",
            "national_id",
            "street",
            "postal_code",
            "city",
            "country",
            "models_of_interest",
            "budget",
            "payment",
            "trade_in",
            "driving_preferences",
            "competitor_models",
            "interests",
            "consents",
            "consent_phone_at",
            "consent_email_at",
            "consent_sms_at",
            "consent_post_at",
            "owner",
            "owner_name",
            "owner_since",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "display_name",
            "consent_phone_at",
            "consent_email_at",
            "consent_sms_at",
            "consent_post_at",
            "owner",
            "owner_name",
            "owner_since",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            name: {"required": False}
            for name in (
                "kind",
                "first_name",
                "last_name",
                "company_name",
                "street",
                "postal_code",
                "city",
                "country",
                "budget",
                "payment",
                "trade_in",
                "driving_preferences",
                "competitor_models",
                "interests",
            )
        }

    def get_owner_name(self, obj: Customer) -> str:
        user = obj.owner
        if user is None:
            return ""
        return str(user.get_full_name() or user.get_username())

    def to_representation(self, instance: Customer) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["models_of_interest"] = sorted(
            instance.models_of_interest.values_list("pk", flat=True)
        )
        return data


def _service_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(serializers.as_serializer_error(exc))


@extend_schema_view(
    list=extend_schema(
        summary="Customers the caller may see (consultants: their own)",
        parameters=[OpenApiParameter("search", str, description="Name, phone or e-mail")],
    ),
    retrieve=extend_schema(summary="One customer card"),
    update=extend_schema(summary="Change a customer card (only the fields sent change)"),
    partial_update=extend_schema(summary="Change some fields of a customer card"),
)
class CustomerViewSet(  # type: ignore[misc]
    TenantViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    model = Customer
    serializer_class = CustomerSerializer
    pagination_class = DefaultPagination
    access_rule = Rule(read=SALES_STAFF, write=SALES_STAFF)
    filterset_class = None

    def get_queryset(self) -> QuerySet[Customer]:
        if getattr(self, "swagger_fake_view", False) or current_scope() is None:
            return Customer.objects.none()
        qs = (
            customers_visible_to(self.access).select_related("owner").order_by("-updated_at", "-id")
        )
        search = self.request.query_params.get("search", "").strip()
        if search and self.action == "list":
            from leads.forms.customers import CustomerFilterSet

            dealer = self.access.dealer
            qs = CustomerFilterSet(data={"q": search}, queryset=qs, dealer=dealer).qs
        return qs

    @extend_schema(
        summary="Create a customer (dedupe: 409 with only who serves them when they exist)",
        responses={201: CustomerSerializer, 409: DuplicateResponseSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            customer = services.create_customer(
                dealer=self.access.dealer,
                actor=request.user,
                data=serializer.validated_data,
            )
        except DjangoValidationError as exc:
            raise _service_errors(exc) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied from exc
        except services.DuplicateCustomer as dup:
            return duplicate_response(dup, _("This customer already exists at this dealer."))
        return Response(self.get_serializer(customer).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: Any) -> None:
        try:
            serializer.instance = services.update_customer(
                customer=serializer.instance,
                actor=self.request.user,
                data=serializer.validated_data,
            )
        except DjangoValidationError as exc:
            raise _service_errors(exc) from exc

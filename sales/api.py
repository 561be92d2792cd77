"""API of the showroom: demo vehicles, test drives, quotes and orders (`/api/...`).

Same rules as the pages, through the same services and selectors: a consultant sees and works
the test drives, quotes and orders of their own leads (a colleague's id is 404, like another
dealer's); managers all of their dealer's; HQ reads the dealers in its scope and never writes
(403). Bad input answers 400 with field errors and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from bulletins.models import Promotion
from dealers.access import SALES_APPROVERS, SALES_MANAGERS, SALES_STAFF, DeclaredAccess, Rule
from dms.api.filters import IsoDateTimeFilter
from dms.api.permissions import access_of
from dms.api.schema import decimal_string_field
from dms.tenancy.context import current_scope
from inventory.models import Colour, Option, Trim, VehicleModel
from leads.models import Lead

from . import selectors, services
from .models import DemoVehicle, Order, Payment, Quote, QuoteLine, TestDrive
from .pdf import quote_pdf_response

# --- permissions and plumbing --------------------------------------------------------------------


def _call(func: Any, **kwargs: Any) -> Any:
    """Run a service in a savepoint: a ValidationError becomes a 400 and nothing is changed."""
    try:
        with transaction.atomic():
            return func(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(serializers.as_serializer_error(exc)) from exc


@extend_schema_field(OpenApiTypes.INT)
class ScopedPK(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A related id looked up in what the caller may see: another dealer's or a colleague's id
    reads as "does not exist", exactly like a missing one."""

    def __init__(self, source_fn: Any, model: type[Any], **kwargs: Any) -> None:
        self.source_fn = source_fn
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        if request is None or current_scope() is None:
            # No scope (schema generation): an empty queryset built without the scoped manager.
            return QuerySet(model=self.model).none()
        return self.source_fn(access_of(request))  # type: ignore[no-any-return]


extend_schema_field_decimal = decimal_string_field


# Declared filters only: auto-generated ones would query the scoped managers at import time.
class TestDriveFilter(django_filters.FilterSet):
    __test__ = False
    status = django_filters.ChoiceFilter(choices=TestDrive.Status.choices)
    lead = django_filters.NumberFilter(field_name="lead_id")
    vehicle = django_filters.NumberFilter(field_name="vehicle_id")
    starts_after = IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")


class QuoteFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Quote.Status.choices)
    discount_status = django_filters.ChoiceFilter(choices=Quote.DiscountStatus.choices)
    lead = django_filters.NumberFilter(field_name="lead_id")


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    lead = django_filters.NumberFilter(field_name="lead_id")


class SalesViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    permission_classes = [IsAuthenticated, DeclaredAccess]
    access_rule = Rule(read=SALES_STAFF, write=SALES_STAFF)
    model: ClassVar[type[Any]]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False) or current_scope() is None:
            return self.model.objects.none()  # type: ignore[no-any-return]
        return self.visible(access_of(self.request))

    def visible(self, access: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def respond(
        self, obj: Any, code: int = status.HTTP_200_OK, notes: list[str] | None = None
    ) -> Response:
        data = dict(self.get_serializer(obj).data)
        if notes is not None:
            data["notes"] = notes
        return Response(data, status=code)


class NotesMixin(serializers.Serializer):  # type: ignore[type-arg]
    # Always present (an empty list when there is nothing to say): the schema marks it required.
    notes = serializers.SerializerMethodField(
        help_text="Messages for the user, e.g. a stage the HQ playbook keeps closed."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_notes(self, obj: Any) -> list[str]:
        return []  # SalesViewSet.respond() puts an action's messages here


# --- demo vehicles -------------------------------------------------------------------------------


class DemoVehicleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    vehicle_model = serializers.SlugRelatedField(
        slug_field="code", queryset=VehicleModel.objects.all()
    )
    trim = serializers.SlugRelatedField(
        slug_field="code", queryset=Trim.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = DemoVehicle
        fields = ["id", "vehicle_model", "trim", "vin", "plate", "odometer_km", "is_active"]
        read_only_fields = ["id", "is_active"]


class ActiveSerializer(serializers.Serializer):  # type: ignore[type-arg]
    active = serializers.BooleanField()


@extend_schema_view(
    list=extend_schema(summary="The demo fleet of the dealer(s) in scope"),
    retrieve=extend_schema(summary="One demo vehicle"),
    create=extend_schema(summary="Add a demo vehicle (sales managers)"),
)
class DemoVehicleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, SalesViewSet
):
    model = DemoVehicle
    serializer_class = DemoVehicleSerializer
    access_rule = Rule(read=SALES_STAFF, write=SALES_MANAGERS)

    def visible(self, access: Any) -> QuerySet[Any]:
        return selectors.demo_vehicles(active_only=False)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = _call(
            services.create_demo_vehicle,
            dealer=access_of(self.request).dealer,
            actor=self.request.user,
            **serializer.validated_data,
        )

    @extend_schema(
        request=ActiveSerializer,
        responses=DemoVehicleSerializer,
        summary="Take a demo vehicle out of (or back into) the fleet",
    )
    @action(detail=True, methods=["post"], url_path="set-active")
    def set_active(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        vehicle = self.get_object()
        body = ActiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _call(
            services.set_demo_vehicle_active,
            vehicle=vehicle,
            actor=request.user,
            active=body.validated_data["active"],
        )
        return self.respond(vehicle)


# --- test drives ---------------------------------------------------------------------------------


class TestDriveSerializer(NotesMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    __test__ = False  # not a pytest class

    customer_name = serializers.SerializerMethodField()
    vehicle_label = serializers.SerializerMethodField()

    class Meta:
        model = TestDrive
        fields = [
            "id",
            "lead",
            "customer",
            "customer_name",
            "vehicle",
            "vehicle_label",
            "consultant",
            "starts_at",
            "ends_at",
            "status",
            "licence_number",
            "licence_checked_at",
            "consent_at",
            "km_out",
            "km_in",
            "out_at",
            "returned_at",
            "outcome",
            "feedback",
            "created_at",
            "notes",
        ]
        read_only_fields = fields

    def get_customer_name(self, obj: TestDrive) -> str:
        return str(obj.customer)

    def get_vehicle_label(self, obj: TestDrive) -> str:
        return f"{obj.vehicle.vehicle_model.name} {obj.vehicle.plate or obj.vehicle.vin}"


class BookingSerializer(serializers.Serializer):  # type: ignore[type-arg]
    lead = ScopedPK(selectors.leads_for, Lead)
    vehicle = ScopedPK(lambda access: selectors.demo_vehicles(), DemoVehicle)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class CheckOutSerializer(serializers.Serializer):  # type: ignore[type-arg]
    licence_number = serializers.CharField(max_length=40, allow_blank=True)
    licence_checked = serializers.BooleanField()
    consent = serializers.BooleanField()
    km_out = serializers.IntegerField(min_value=0, allow_null=True)
    walk_around = serializers.BooleanField(default=False)


class CheckInSerializer(serializers.Serializer):  # type: ignore[type-arg]
    km_in = serializers.IntegerField(min_value=0, allow_null=True)
    outcome = serializers.CharField(max_length=200, allow_blank=True)
    feedback = serializers.CharField(allow_blank=True, required=False, default="")


class CancelSerializer(serializers.Serializer):  # type: ignore[type-arg]
    no_show = serializers.BooleanField(default=False)


@extend_schema_view(
    list=extend_schema(
        summary="Test drives (own leads for consultants, the dealer's for managers)"
    ),
    retrieve=extend_schema(summary="One test drive"),
)
class TestDriveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SalesViewSet):
    __test__ = False
    model = TestDrive
    serializer_class = TestDriveSerializer
    filterset_class = TestDriveFilter

    def visible(self, access: Any) -> QuerySet[Any]:
        return selectors.test_drives_visible(access).order_by("-starts_at", "-id")

    @extend_schema(
        request=BookingSerializer,
        responses={201: TestDriveSerializer},
        summary="Book a demo vehicle for a lead (no double booking: 400 naming the slot taken)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = BookingSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        drive = _call(services.book_test_drive, actor=request.user, **body.validated_data)
        return self.respond(drive, status.HTTP_201_CREATED)

    @extend_schema(
        request=CheckOutSerializer,
        responses=TestDriveSerializer,
        summary="The car goes out: licence checked and consent signed",
    )
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        drive = self.get_object()
        body = CheckOutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = _call(
            services.check_out_test_drive,
            test_drive=drive,
            actor=request.user,
            **body.validated_data,
        )
        return self.respond(outcome.obj, notes=outcome.notes)

    @extend_schema(
        request=CheckInSerializer,
        responses=TestDriveSerializer,
        summary="The car is back: km in, outcome, feedback",
    )
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        drive = self.get_object()
        body = CheckInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _call(
            services.check_in_test_drive,
            test_drive=drive,
            actor=request.user,
            **body.validated_data,
        )
        return self.respond(drive)

    @extend_schema(
        request=CancelSerializer,
        responses=TestDriveSerializer,
        summary="Cancel a booking or record a no-show",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        drive = self.get_object()
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _call(
            services.cancel_test_drive, test_drive=drive, actor=request.user, **body.validated_data
        )
        return self.respond(drive)


# --- quotes --------------------------------------------------------------------------------------


class QuoteLineSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = QuoteLine
        fields = ["kind", "code", "description", "price"]
        read_only_fields = fields


class QuoteSerializer(NotesMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    number = serializers.SerializerMethodField()
    trim: serializers.SlugRelatedField[Trim] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    colour: serializers.SlugRelatedField[Colour] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    lines = QuoteLineSerializer(many=True, read_only=True)
    amount_due = serializers.SerializerMethodField()
    promotion: serializers.SlugRelatedField[Promotion] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "lead",
            "customer",
            "version",
            "status",
            "supersedes",
            "price_version",
            "trim",
            "colour",
            "currency",
            "list_price",
            "extras_total",
            "lines",
            "discount",
            "discount_status",
            "discount_decided_by",
            "discount_decided_at",
            "discount_note",
            "promotion",
            "promotion_amount",
            "trade_in_description",
            "trade_in_value",
            "total",
            "amount_due",
            "payment",
            "down_payment",
            "term_months",
            "annual_rate_percent",
            "monthly_payment",
            "valid_until",
            "created_by",
            "created_at",
            "sent_at",
            "accepted_at",
            "notes",
        ]
        read_only_fields = fields

    def get_number(self, obj: Quote) -> str:
        return services.quote_number(obj)

    @extend_schema_field_decimal
    def get_amount_due(self, obj: Quote) -> str:
        return str(obj.total - obj.trade_in_value)


class QuoteInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    trim: serializers.SlugRelatedField[Trim] = serializers.SlugRelatedField(
        slug_field="code", queryset=Trim.objects.all()
    )
    colour: serializers.SlugRelatedField[Colour] = serializers.SlugRelatedField(
        slug_field="code", queryset=Colour.objects.all(), required=False, allow_null=True
    )
    options = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list
    )
    accessories = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list
    )
    discount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, default=Decimal("0")
    )
    promotion = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="Code of an HQ promotion offered to the dealer today (GET /api/promotions/).",
    )
    trade_in_description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    trade_in_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, default=Decimal("0")
    )
    payment = serializers.ChoiceField(
        choices=Quote.Payment.choices, required=False, default=Quote.Payment.CASH
    )
    down_payment = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, default=Decimal("0")
    )
    term_months = serializers.IntegerField(required=False, allow_null=True, default=None)
    annual_rate_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True, default=None
    )
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        known = set(
            Option.objects.filter(code__in=[*attrs["options"], *attrs["accessories"]]).values_list(
                "code", flat=True
            )
        )
        unknown = sorted({*attrs["options"], *attrs["accessories"]} - known)
        if unknown:
            raise ValidationError(
                {
                    "options": [
                        _("Unknown option or accessory code(s): %(codes)s")
                        % {"codes": ", ".join(unknown)}
                    ]
                }
            )
        return attrs

    def spec(self) -> services.QuoteSpec:
        d = self.validated_data
        return services.QuoteSpec(
            trim=d["trim"],
            colour=d.get("colour"),
            option_codes=tuple(d["options"]),
            accessory_codes=tuple(d["accessories"]),
            discount=d["discount"],
            trade_in_description=d["trade_in_description"],
            trade_in_value=d["trade_in_value"],
            payment=d["payment"],
            down_payment=d["down_payment"],
            term_months=d["term_months"],
            annual_rate_percent=d["annual_rate_percent"],
            valid_until=d["valid_until"],
            promotion_code=d["promotion"],
        )


class QuoteCreateSerializer(QuoteInputSerializer):
    lead = ScopedPK(selectors.leads_for, Lead)


class DiscountDecisionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class EmptySerializer(serializers.Serializer):  # type: ignore[type-arg]
    pass


@extend_schema_view(
    list=extend_schema(summary="Quotes (own leads for consultants, the dealer's for managers)"),
    retrieve=extend_schema(summary="One quote with its lines and finance summary"),
)
class QuoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SalesViewSet):
    action_access_rules = {"decide_discount": Rule(read=SALES_STAFF, write=SALES_APPROVERS)}
    model = Quote
    serializer_class = QuoteSerializer
    filterset_class = QuoteFilter

    def visible(self, access: Any) -> QuerySet[Any]:
        return (
            selectors.quotes_visible(access)
            .prefetch_related("lines")
            .order_by("-created_at", "-id")
        )

    @extend_schema(
        request=QuoteCreateSerializer,
        responses={201: QuoteSerializer},
        summary="Make a quote for a lead, priced from the HQ price list valid today",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = QuoteCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        quote = _call(
            services.create_quote,
            lead=body.validated_data["lead"],
            actor=request.user,
            spec=body.spec(),
        )
        return self.respond(quote, status.HTTP_201_CREATED)

    @extend_schema(
        request=QuoteInputSerializer,
        responses=QuoteSerializer,
        summary="Edit a quote: a draft in place, a sent one as version n+1 (the sent one is superseded)",
    )
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        quote = self.get_object()
        body = QuoteInputSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        saved = _call(services.update_quote, quote=quote, actor=request.user, spec=body.spec())
        return self.respond(saved)

    @extend_schema(
        request=EmptySerializer,
        responses=QuoteSerializer,
        summary="Mark as sent (never with a discount pending or rejected)",
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        outcome = _call(services.send_quote, quote=self.get_object(), actor=request.user)
        return self.respond(outcome.obj, notes=outcome.notes)

    @extend_schema(
        request=EmptySerializer,
        responses=QuoteSerializer,
        summary="The customer accepts a sent quote",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        outcome = _call(services.accept_quote, quote=self.get_object(), actor=request.user)
        return self.respond(outcome.obj, notes=outcome.notes)

    @extend_schema(
        request=EmptySerializer,
        responses=QuoteSerializer,
        summary="The customer declines a sent quote",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return self.respond(
            _call(services.decline_quote, quote=self.get_object(), actor=request.user)
        )

    @extend_schema(
        request=DiscountDecisionSerializer,
        responses=QuoteSerializer,
        summary="A sales manager approves or rejects the discount (audited)",
    )
    @action(detail=True, methods=["post"], url_path="decide-discount")
    def decide_discount(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        quote = self.get_object()
        body = DiscountDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _call(
            services.decide_discount,
            quote=quote,
            actor=request.user,
            request=request._request,
            **body.validated_data,
        )
        return self.respond(quote)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The branded quote PDF"
            )
        },
        summary="The printable quote (PDF, audited as an export)",
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None, **kwargs: Any) -> HttpResponse:
        return quote_pdf_response(
            self.get_object(), actor=request.user, request=request._request, via="api"
        )


# --- orders --------------------------------------------------------------------------------------


class PaymentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Payment
        fields = ["id", "kind", "amount", "received_at", "received_by"]
        read_only_fields = ["id", "received_at", "received_by"]


class OrderSerializer(NotesMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    number = serializers.SerializerMethodField()
    payments = PaymentSerializer(many=True, read_only=True)
    trade_in_value = serializers.SerializerMethodField()
    paid = serializers.SerializerMethodField()
    balance = serializers.SerializerMethodField()
    delivery_blockers = serializers.SerializerMethodField()
    promotion: serializers.SlugRelatedField[Promotion] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "quote",
            "lead",
            "customer",
            "consultant",
            "status",
            "currency",
            "promotion",
            "promotion_amount",
            "total",
            "trade_in_value",
            "deposit_required",
            "paid",
            "balance",
            "payments",
            "expected_delivery",
            "vin",
            "checklist",
            "delivery_blockers",
            "ordered_at",
            "delivered_at",
            "delivered_by",
            "notes",
        ]
        read_only_fields = fields

    def get_number(self, obj: Order) -> str:
        return services.order_number(obj)

    @extend_schema_field_decimal
    def get_trade_in_value(self, obj: Order) -> str:
        return str(services.order_trade_in(obj))

    @extend_schema_field_decimal
    def get_paid(self, obj: Order) -> str:
        return str(services.order_paid(obj))

    @extend_schema_field_decimal
    def get_balance(self, obj: Order) -> str:
        return str(services.order_balance(obj))

    def get_delivery_blockers(self, obj: Order) -> list[str]:
        return services.delivery_blockers(obj) if obj.status == Order.Status.OPEN else []


class OrderCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    quote = ScopedPK(selectors.quotes_visible, Quote)
    deposit_required = serializers.DecimalField(max_digits=12, decimal_places=2)
    deposit_paid = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    expected_delivery = serializers.DateField(required=False, allow_null=True, default=None)
    vin = serializers.CharField(max_length=25, required=False, allow_blank=True, default="")


class PaymentInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=Payment.Kind.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class OrderDetailsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    expected_delivery = serializers.DateField(allow_null=True)
    vin = serializers.CharField(max_length=25, allow_blank=True)


class ChecklistSerializer(serializers.Serializer):  # type: ignore[type-arg]
    done = serializers.ListField(
        child=serializers.ChoiceField(choices=[c for c, _label in services.CHECKLIST_ITEMS]),
        help_text="The checklist items done (pdi_done, documents, handover_prep); the others are not.",
    )


@extend_schema_view(
    list=extend_schema(summary="Orders (own leads for consultants, the dealer's for managers)"),
    retrieve=extend_schema(summary="One order with payments, balance and what blocks delivery"),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SalesViewSet):
    model = Order
    serializer_class = OrderSerializer
    filterset_class = OrderFilter

    def visible(self, access: Any) -> QuerySet[Any]:
        return (
            selectors.orders_visible(access)
            .prefetch_related("payments")
            .order_by("-ordered_at", "-id")
        )

    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderSerializer},
        summary="Place the order of an accepted quote",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = OrderCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        outcome = _call(services.create_order, actor=request.user, **body.validated_data)
        return self.respond(outcome.obj, status.HTTP_201_CREATED, notes=outcome.notes)

    @extend_schema(
        request=PaymentInputSerializer,
        responses={201: OrderSerializer},
        summary="Record a deposit, balance payment or refund",
    )
    @action(detail=True, methods=["post"])
    def payments(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        order = self.get_object()
        body = PaymentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = _call(
            services.record_payment, order=order, actor=request.user, **body.validated_data
        )
        return self.respond(order, status.HTTP_201_CREATED, notes=outcome.notes)

    @extend_schema(
        request=OrderDetailsSerializer,
        responses=OrderSerializer,
        summary="Set the expected delivery date and the VIN",
    )
    @action(detail=True, methods=["post"])
    def details(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        order = self.get_object()
        body = OrderDetailsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = _call(
            services.update_order, order=order, actor=request.user, **body.validated_data
        )
        return self.respond(outcome.obj, notes=outcome.notes)

    @extend_schema(
        request=ChecklistSerializer,
        responses=OrderSerializer,
        summary="Tick the pre-delivery checklist",
    )
    @action(detail=True, methods=["post"])
    def checklist(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        order = self.get_object()
        body = ChecklistSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.respond(
            _call(
                services.set_checklist,
                order=order,
                actor=request.user,
                done=body.validated_data["done"],
            )
        )

    @extend_schema(
        request=EmptySerializer,
        responses=OrderSerializer,
        summary="Deliver: blocked while a balance is open; closes the lead as won",
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        order = self.get_object()
        return self.respond(_call(services.deliver_order, order=order, actor=request.user))

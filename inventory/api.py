"""Read-only API of the HQ catalogue (`/api/catalogue/...`): parts (search, and the part in
force on a day for a list of numbers), labour operations, models with their trims, colours,
options. Every dealer user and HQ reads; nobody writes here (HQ edits on the pages)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from dealers.access import CATALOGUE_READERS, DeclaredAccess, Rule
from dealers.clock import dealer_today
from dealers.selectors import request_access
from dms.api.filters import NUL, parse_day

from .models import Colour, LabourOperation, Option, Part, Trim, VehicleModel
from .selectors import current_parts, labour_operations, parts_list, search_parts

MAX_NUMBERS = 200  # part numbers one `current` call resolves


class PartSerializer(serializers.ModelSerializer):
    group = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    group_name = serializers.CharField(source="group.name", read_only=True)
    replaced_by = serializers.SerializerMethodField()
    replaced_from = serializers.SerializerMethodField()

    class Meta:
        model = Part
        fields = [
            "id",
            "number",
            "description",
            "unit",
            "weight_kg",
            "group",
            "group_name",
            "is_active",
            "replaced_by",
            "replaced_from",
        ]
        read_only_fields = fields

    def get_replaced_by(self, obj: Part) -> str | None:
        """The number of the part that replaces this one (whatever the day), if any."""
        row = getattr(obj, "supersession", None)
        return row.replaced_by.number if row is not None else None

    def get_replaced_from(self, obj: Part) -> str | None:
        row = getattr(obj, "supersession", None)
        return row.valid_from.isoformat() if row is not None else None


class CurrentPartSerializer(serializers.Serializer):
    asked = serializers.CharField(help_text="The part number asked for.")
    current = PartSerializer(help_text="The part in force on the day (the asked part if none).")


class CurrentPartsSerializer(serializers.Serializer):
    on = serializers.DateField()
    parts = CurrentPartSerializer(many=True)
    unknown = serializers.ListField(child=serializers.CharField())


class LabourOperationSerializer(serializers.ModelSerializer):
    grade = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    vehicle_models = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        slug_field="code",
        many=True,
        read_only=True,
        help_text="Codes of the models it applies to; empty: every model.",
    )

    class Meta:
        model = LabourOperation
        fields = [
            "id",
            "code",
            "description",
            "grade",
            "standard_hours",
            "vehicle_models",
            "is_active",
        ]
        read_only_fields = fields


class TrimSerializer(serializers.ModelSerializer):
    class Meta:
        model = Trim
        fields = ["id", "code", "name", "is_active"]
        read_only_fields = fields


class VehicleModelSerializer(serializers.ModelSerializer):
    trims = TrimSerializer(many=True, read_only=True)

    class Meta:
        model = VehicleModel
        fields = ["id", "code", "name", "body", "is_active", "trims"]
        read_only_fields = fields


class ColourSerializer(serializers.ModelSerializer):
    class Meta:
        model = Colour
        fields = ["id", "code", "name", "is_active"]
        read_only_fields = fields


class OptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = ["id", "code", "name", "kind", "is_active"]
        read_only_fields = fields


def _text(request: Request, name: str) -> str:
    value = str(request.query_params.get(name, "")).strip()
    if NUL in value or len(value) > 100:
        raise ValidationError({name: [_("Enter at most 100 characters.")]})
    return value


def _active(request: Request) -> bool | None:
    raw = request.query_params.get("active", "")
    if raw in ("", None):
        return None
    if raw not in ("true", "false"):
        raise ValidationError({"active": [_("Use true or false.")]})
    return raw == "true"


class CatalogueViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    permission_classes = [IsAuthenticated, DeclaredAccess]
    access_rule = Rule(read=CATALOGUE_READERS)


ACTIVE = OpenApiParameter("active", bool, description="Only active (true) or inactive (false).")
Q_PARAM = OpenApiParameter("q", str, description="Start of the code/number, or words.")


@extend_schema_view(
    list=extend_schema(
        summary="Search the parts catalogue",
        parameters=[
            OpenApiParameter("q", str, description="Start of a part number, or description words."),
            OpenApiParameter("group", str, description="Part group code."),
            ACTIVE,
        ],
    ),
    retrieve=extend_schema(summary="One part"),
)
class PartViewSet(CatalogueViewSet):
    serializer_class = PartSerializer

    def get_queryset(self) -> QuerySet[Part]:
        queryset = parts_list()
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return queryset
        queryset = search_parts(queryset, _text(self.request, "q"))
        group = _text(self.request, "group")
        if group:
            queryset = queryset.filter(group__code=group.upper())
        active = _active(self.request)
        return queryset if active is None else queryset.filter(is_active=active)

    @extend_schema(
        summary="The part in force on a day for each part number (supersessions followed)",
        parameters=[
            OpenApiParameter(
                "numbers",
                str,
                required=True,
                description=f"Part numbers, comma separated (at most {MAX_NUMBERS}).",
            ),
            OpenApiParameter(
                "on", str, description="YYYY-MM-DD; default: today on the dealer's clock."
            ),
        ],
        responses=CurrentPartsSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def current(self, request: Request, **kwargs: Any) -> Response:
        raw = str(request.query_params.get("numbers", ""))
        if NUL in raw:
            raise ValidationError({"numbers": [_("Text may not contain NUL characters.")]})
        numbers = [n.strip() for n in raw.split(",") if n.strip()]
        if not numbers:
            raise ValidationError({"numbers": [_("Give at least one part number.")]})
        if len(numbers) > MAX_NUMBERS:
            raise ValidationError(
                {"numbers": [_("At most %(count)d part numbers.") % {"count": MAX_NUMBERS}]}
            )
        on_raw = request.query_params.get("on")
        day = (
            parse_day(on_raw, field="on")
            if on_raw
            else dealer_today(request_access(request).dealer)
        )
        found = current_parts(numbers, on=day)
        with_successor = Part.objects.select_related("group", "supersession__replaced_by")
        parts = with_successor.in_bulk([p.pk for p in found.values()])
        body = {
            "on": day,
            "parts": [
                {"asked": n, "current": parts[found[n].pk]}
                for n in dict.fromkeys(numbers)
                if n in found
            ],
            "unknown": [n for n in dict.fromkeys(numbers) if n not in found],
        }
        return Response(CurrentPartsSerializer(body).data)


@extend_schema_view(
    list=extend_schema(
        summary="Search the labour operations catalogue",
        parameters=[
            Q_PARAM,
            OpenApiParameter("grade", str, description="Labour grade code."),
            OpenApiParameter(
                "vehicle_model",
                str,
                description="Model code: operations for it (and those for every model).",
            ),
            ACTIVE,
        ],
    ),
    retrieve=extend_schema(summary="One labour operation"),
)
class LabourOperationViewSet(CatalogueViewSet):
    serializer_class = LabourOperationSerializer

    def get_queryset(self) -> QuerySet[LabourOperation]:
        queryset = labour_operations()
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return queryset
        text = _text(self.request, "q")
        if text:
            words = Q()
            for word in text.split()[:8]:
                words &= Q(description__icontains=word)
            queryset = queryset.filter(Q(code__istartswith=text) | words)
        grade = _text(self.request, "grade")
        if grade:
            queryset = queryset.filter(grade__code=grade.upper())
        model = _text(self.request, "vehicle_model")
        if model:
            queryset = queryset.filter(
                Q(vehicle_models__code=model.upper()) | Q(vehicle_models__isnull=True)
            ).distinct()
        active = _active(self.request)
        return queryset if active is None else queryset.filter(is_active=active)


@extend_schema_view(
    list=extend_schema(summary="Models with their trims", parameters=[ACTIVE]),
    retrieve=extend_schema(summary="One model with its trims"),
)
class VehicleModelViewSet(CatalogueViewSet):
    serializer_class = VehicleModelSerializer

    def get_queryset(self) -> QuerySet[VehicleModel]:
        queryset = VehicleModel.objects.prefetch_related(
            Prefetch("trims", queryset=Trim.objects.order_by("code"))
        ).order_by("code")
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return queryset
        active = _active(self.request)
        return queryset if active is None else queryset.filter(is_active=active)


@extend_schema_view(
    list=extend_schema(summary="Colours", parameters=[ACTIVE]),
    retrieve=extend_schema(summary="One colour"),
)
class ColourViewSet(CatalogueViewSet):
    serializer_class = ColourSerializer

    def get_queryset(self) -> QuerySet[Colour]:
        queryset = Colour.objects.order_by("code")
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return queryset
        active = _active(self.request)
        return queryset if active is None else queryset.filter(is_active=active)


@extend_schema_view(
    list=extend_schema(
        summary="Factory options and accessories",
        parameters=[
            OpenApiParameter("kind", str, enum=list(Option.Kind.values)),
            ACTIVE,
        ],
    ),
    retrieve=extend_schema(summary="One option or accessory"),
)
class OptionViewSet(CatalogueViewSet):
    serializer_class = OptionSerializer

    def get_queryset(self) -> QuerySet[Option]:
        queryset = Option.objects.order_by("code")
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return queryset
        kind = _text(self.request, "kind")
        if kind:
            if kind not in Option.Kind.values:
                raise ValidationError({"kind": [_("Use option or accessory.")]})
            queryset = queryset.filter(kind=kind)
        active = _active(self.request)
        return queryset if active is None else queryset.filter(is_active=active)

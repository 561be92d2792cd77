"""API: prices on a day (issue 14, item 9) — vehicle codes, part numbers and labour grades
priced from HQ's price lists through bulletins.pricing. Dealer staff get their dealer's day
and labour rates; HQ gets the importer's day and HQ's recommended rates. Read only."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dealers.access import SIGNED_IN, DeclaredAccess, Rule
from dealers.clock import dealer_today
from dms.api.permissions import access_of
from dms.api.schema import AutoSchema
from dms.tenancy.context import as_dealer
from inventory.models import LabourGrade

from . import pricing
from .models import VehiclePrice
from .pricing_services import importer_today

MAX_ITEMS = 200


def _split(value: str) -> list[str]:
    return [v for v in value.replace(",", " ").split() if v]


class PricesQuerySerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False, help_text="The day (default: today in the dealer's time zone)."
    )
    codes = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Vehicle codes (trim, colour, option, accessory), comma separated.",
    )
    parts = serializers.CharField(
        required=False, allow_blank=True, help_text="Part numbers, comma separated."
    )
    grades = serializers.CharField(
        required=False, allow_blank=True, help_text="Labour grade codes, comma separated."
    )
    resolve_supersessions = serializers.BooleanField(
        required=False, default=False, help_text="Price a superseded part number as its successor."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("codes", "parts", "grades"):
            attrs[name] = list(dict.fromkeys(_split(attrs.get(name) or "")))
            if len(attrs[name]) > MAX_ITEMS:
                raise serializers.ValidationError(
                    {name: [_("At most %(max)d at a time.") % {"max": MAX_ITEMS}]}
                )
        return attrs


class VersionSerializer(serializers.Serializer):
    price_list = serializers.CharField()
    number = serializers.IntegerField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    currency = serializers.CharField()


class VehicleLineSerializer(serializers.Serializer):
    kind = serializers.CharField()
    code = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)


class PartLineSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="As asked.")
    priced_as = serializers.CharField(help_text="The part number priced (its successor).")
    retail_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    dealer_net_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    group_discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True
    )


class LabourLineSerializer(serializers.Serializer):
    grade = serializers.CharField()
    recommended_rate = serializers.DecimalField(max_digits=12, decimal_places=2)
    min_rate = serializers.DecimalField(max_digits=12, decimal_places=2)
    max_rate = serializers.DecimalField(max_digits=12, decimal_places=2)
    rate = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="What the dealer charges."
    )


class PricesSerializer(serializers.Serializer):
    on = serializers.DateField()
    vehicle_version = VersionSerializer(allow_null=True)
    vehicles = VehicleLineSerializer(many=True)
    parts_version = VersionSerializer(allow_null=True)
    parts = PartLineSerializer(many=True)
    labour_version = VersionSerializer(allow_null=True)
    labour = LabourLineSerializer(many=True)
    missing = serializers.ListField(child=serializers.CharField())


def _version(version: Any) -> dict[str, Any] | None:
    if version is None:
        return None
    return {
        "price_list": version.price_list.name,
        "number": version.number,
        "valid_from": version.valid_from,
        "valid_until": version.valid_until,
        "currency": version.price_list.currency,
    }


class PricesAPIView(APIView):
    permission_classes = [IsAuthenticated, DeclaredAccess]
    access_rule = Rule(read=SIGNED_IN)
    schema = AutoSchema()

    @extend_schema(
        summary="Prices on a day: vehicle codes, part numbers and labour grades",
        parameters=[PricesQuerySerializer],
        responses=PricesSerializer,
        tags=["prices"],
    )
    def get(self, request: Request) -> Response:
        access = access_of(request)
        query = PricesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        dealer = access.dealer
        day = data.get("on") or (dealer_today(dealer) if dealer else importer_today())
        missing: list[str] = []
        vehicles = vehicle_version = None
        if data["codes"]:
            found = pricing.vehicle_prices(
                day, wanted=[(k, c) for c in data["codes"] for k in VehiclePrice.Kind.values]
            )
            vehicle_version = found.version
            vehicles = [
                {"kind": k, "code": c, "price": p} for (k, c), p in sorted(found.prices.items())
            ]
            priced = {c for _k, c in found.prices}
            missing += [c for c in data["codes"] if c not in priced]
        parts = parts_version = None
        if data["parts"]:
            found_parts = pricing.part_prices(
                day, numbers=data["parts"], resolve_supersessions=data["resolve_supersessions"]
            )
            parts_version = found_parts.version
            parts = []
            for number in data["parts"]:
                info = found_parts.get(number)
                if info is None:
                    missing.append(number)
                    continue
                parts.append(
                    {
                        "number": number,
                        "priced_as": info.number,
                        "retail_price": info.retail,
                        "dealer_net_price": info.dealer_net,
                        "group_discount_percent": info.discount_percent,
                    }
                )
        labour = labour_version = None
        if data["grades"]:
            grades = dict(
                LabourGrade.objects.filter(code__in=data["grades"]).values_list("code", "id")
            )
            missing += [g for g in data["grades"] if g not in grades]
            if dealer is not None:
                with as_dealer(dealer):
                    rates = pricing.labour_rates(day, dealer=dealer, grade_ids=grades.values())
            else:
                rates = pricing.labour_rates(day, grade_ids=grades.values())
            labour_version = rates.version
            labour = []
            for code, grade_id in grades.items():
                rate = rates.get(grade_id)
                if rate is None:
                    missing.append(code)
                    continue
                labour.append(
                    {
                        "grade": code,
                        "recommended_rate": rate.recommended,
                        "min_rate": rate.minimum,
                        "max_rate": rate.maximum,
                        "rate": rate.rate,
                    }
                )
        payload = {
            "on": day,
            "vehicle_version": _version(vehicle_version),
            "vehicles": vehicles or [],
            "parts_version": _version(parts_version),
            "parts": parts or [],
            "labour_version": _version(labour_version),
            "labour": labour or [],
            "missing": missing,
        }
        return Response(PricesSerializer(payload).data)

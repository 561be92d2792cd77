"""`GET /api/promotions/`: the HQ promotions a quote of the caller's dealer may take on a day
(the dealer's day by default) for a trim (any trim when none is given) — the same selector as
the quote page (bulletins.promotions.promotions_for). Dealer staff and HQ drilled into a dealer."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dealers.access import PROMOTION_READERS, DeclaredAccess, Rule
from dealers.clock import dealer_today
from dms.api.permissions import HasDealerScope, access_of
from dms.api.schema import QueryCheckedSchema
from dms.ui.forms import day_range, day_range_message
from inventory.models import Trim

from .models import Promotion
from .promotions import promotions_for


class PromotionQuerySerializer(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="The dealer's date. Default: today.")
    trim = serializers.SlugRelatedField(
        slug_field="code", queryset=Trim.objects.all(), required=False,
        help_text="Trim code: only promotions this trim is eligible for.",
    )  # fmt: skip

    def validate_day(self, value: Any) -> Any:
        first, last = day_range()
        if not first <= value <= last:
            raise serializers.ValidationError(day_range_message())
        return value


class PromotionSerializer(serializers.ModelSerializer):
    budget_left = serializers.SerializerMethodField(
        help_text="Orders still possible network-wide (null: no limit)."
    )

    class Meta:
        model = Promotion
        fields = ["code", "name", "description", "valid_from", "valid_to", "kind", "value",
                  "currency", "stacks_with_discount", "budget_left"]  # fmt: skip

    def get_budget_left(self, obj: Promotion) -> int | None:
        return None if obj.budget is None else max(obj.budget - obj.used, 0)


class PromotionsAPIView(APIView):
    permission_classes = [IsAuthenticated, HasDealerScope, DeclaredAccess]
    access_rule = Rule(read=PROMOTION_READERS)
    schema = QueryCheckedSchema()

    @extend_schema(
        summary="The promotions a quote of the dealer may take on a day",
        parameters=[PromotionQuerySerializer],
        responses=PromotionSerializer(many=True),
        tags=["promotions"],
    )
    def get(self, request: Request) -> Response:
        dealer = access_of(request).dealer
        if dealer is None:
            raise PermissionDenied(_("Choose a dealer first."))
        query = PromotionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("day") or dealer_today(dealer)
        rows = promotions_for(dealer=dealer, day=day, trim=query.validated_data.get("trim"))
        return Response(PromotionSerializer(rows, many=True).data)

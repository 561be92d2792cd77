"""API of the sales funnel (`GET /api/funnel/`): the figures of the funnel page, from the same
selector (reports.funnel.selectors.funnel) — the cohort of the leads opened in the period (how
many reached each stage, their share of the leads opened, where they stand now) and the stage
entries of the period (counts), in total and per consultant, source or model.

For the dealer in the caller's scope (sales managers, the dealer's KPI readers, HQ drilled into
a dealer), like the page. Bad parameters answer 400 with the field's message (the page falls
back to its defaults instead).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dealers.access import FUNNEL_READERS, DeclaredAccess, Rule
from dealers.clock import dealer_today
from dms.api.permissions import HasDealerScope, access_of
from dms.api.schema import QueryCheckedSchema
from dms.ui.forms import day_range, day_range_message

from .selectors import DIMENSIONS, Funnel, FunnelRow, funnel

DEFAULT_DAYS = 30
MAX_DAYS = 732  # the page's limit (two years)


class FunnelQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text="First day (the dealer's date). Default: 29 days before end."
    )
    end = serializers.DateField(
        required=False, help_text="Last day, included (the dealer's date). Default: today."
    )
    by = serializers.ChoiceField(
        choices=list(DIMENSIONS),
        default="consultant",
        help_text="Rows per consultant, source or model.",
    )

    def validate_start(self, value: dt.date) -> dt.date:
        return _in_range(value)

    def validate_end(self, value: dt.date) -> dt.date:
        return _in_range(value)


def _in_range(value: dt.date) -> dt.date:
    first, last = day_range()
    if not first <= value <= last:
        raise serializers.ValidationError(day_range_message())
    return value


class StageFigureSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    reached = serializers.IntegerField(
        help_text="Leads opened in the period that reached this stage or a later one."
    )
    share = serializers.FloatField(
        allow_null=True, help_text="reached / opened, percent (null: none opened)."
    )
    entered = serializers.IntegerField(
        help_text="Activity: leads entering this stage in the period (a count, not a share)."
    )


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField(help_text="delivered, lost, dormant or open (still open).")
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)


class FunnelRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(
        allow_null=True, help_text="Consultant, source or model id (null: none / the total)."
    )
    label = serializers.CharField()  # type: ignore[assignment]
    opened = serializers.IntegerField(help_text="Leads opened in the period (the cohort).")
    stages = StageFigureSerializer(many=True)
    outcomes = OutcomeSerializer(many=True)
    entered_lost = serializers.IntegerField(help_text="Activity: leads closed as lost.")
    entered_dormant = serializers.IntegerField(help_text="Activity: leads closed as dormant.")


class FunnelSerializer(serializers.Serializer):
    dealer = serializers.CharField(help_text="The dealer's code.")
    start = serializers.DateField()
    end = serializers.DateField()
    by = serializers.CharField()
    through = serializers.DateField(
        allow_null=True, help_text="KPI facts up to this day; later days counted live."
    )
    total = FunnelRowSerializer()
    rows = FunnelRowSerializer(many=True)


def row_payload(row: FunnelRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "opened": row.opened,
        "stages": [
            {
                "stage": cell["stage"],
                "label": str(cell["label"]),
                "reached": cell["reached"],
                "share": cell["share"],
                "entered": cell["entered"],
            }
            for cell in row.cells
        ],
        "outcomes": [{**o, "label": str(o["label"])} for o in row.outcomes],
        "entered_lost": row.entered_lost,
        "entered_dormant": row.entered_dormant,
    }


def funnel_payload(data: Funnel, dealer_code: str) -> dict[str, Any]:
    return {
        "dealer": dealer_code,
        "start": data.start,
        "end": data.end,
        "by": data.dimension,
        "through": data.through,
        "total": row_payload(data.total),
        "rows": [row_payload(row) for row in data.rows],
    }


class FunnelAPIView(APIView):
    permission_classes = [IsAuthenticated, HasDealerScope, DeclaredAccess]
    access_rule = Rule(read=FUNNEL_READERS)
    schema = QueryCheckedSchema()

    @extend_schema(
        summary="The sales funnel of a period: the leads opened and how far they got, and the "
        "period's stage entries",
        parameters=[FunnelQuerySerializer],
        responses=FunnelSerializer,
        tags=["funnel"],
    )
    def get(self, request: Request) -> Response:
        dealer = access_of(request).dealer
        if dealer is None:  # FUNNEL_READERS admits only a scope with one dealer
            raise PermissionDenied
        query = FunnelQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        end = query.validated_data.get("end") or dealer_today(dealer)
        start = query.validated_data.get("start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"start": [_("The start is after the end.")]})
        if (end - start).days >= MAX_DAYS:
            raise serializers.ValidationError(
                {"start": [_("The period may span at most %(days)d days.") % {"days": MAX_DAYS}]}
            )
        data = funnel(dealer=dealer, start=start, end=end, dimension=query.validated_data["by"])
        return Response(FunnelSerializer(funnel_payload(data, dealer.code)).data)

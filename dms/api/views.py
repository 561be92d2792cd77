"""/api/me/: who the caller is, where they work and what they may do."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dealers.access import SIGNED_IN, DeclaredAccess, Rule
from dealers.selectors import regions_for

from .permissions import access_of
from .serializers import MeSerializer


def me_payload(request: Request) -> dict[str, Any]:
    user: Any = request.user
    access = access_of(request)
    dealer = access.dealer
    hq_scope = None
    if access.is_hq:
        hq_scope = {
            "role": access.role,
            "region_codes": sorted(regions_for(user).values_list("code", flat=True)),
            "dealer_count": len(access.dealer_ids),
        }
    return {
        "user": {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "language": user.preferred_language or get_language() or "en",
        },
        "role": access.role,
        "dealer": ({"id": dealer.pk, "code": dealer.code, "name": dealer.name} if dealer else None),
        "hq_scope": hq_scope,
        "capabilities": sorted(access.capabilities),
    }


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema: for signed-in users (it maps the API, though it names no object)."""

    permission_classes = [IsAuthenticated, DeclaredAccess]
    access_rule = Rule(read=SIGNED_IN)


class SchemaDocsView(SpectacularSwaggerSplitView):
    """Swagger UI over the schema, for the same users."""

    permission_classes = [IsAuthenticated, DeclaredAccess]
    access_rule = Rule(read=SIGNED_IN)


class MeView(APIView):
    permission_classes = [IsAuthenticated, DeclaredAccess]
    access_rule = Rule(read=SIGNED_IN)

    @extend_schema(
        responses=MeSerializer,
        summary="The caller: user, role, dealer or HQ scope, capabilities",
        tags=["me"],
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(me_payload(request)).data)

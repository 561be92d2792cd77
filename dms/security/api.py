"""POST /api/auth/token/: an API token for the logged-in user, only after a verified login."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dealers.access import SIGNED_IN, DeclaredAccess, Rule

from . import selectors, services
from .throttling import ScopedRateThrottle


class IssueTokenView(APIView):
    """Issue a new API token (the previous one stops working).

    Only from a browser session (never with a token), and when two-factor authentication applies
    to the user (mandatory for the role, or enrolled), only if this session verified it."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated, DeclaredAccess]
    access_rule = Rule(read=SIGNED_IN, write=SIGNED_IN)
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=None,
        responses={
            201: inline_serializer("IssuedToken", fields={"token": serializers.CharField()})
        },
        summary="Issue an API token",
    )
    def post(self, request: Request) -> Response:
        user = request.user
        state = selectors.two_factor_state(user)
        if (state.required or state.has_device) and not user.is_verified():  # type: ignore[union-attr]
            raise PermissionDenied(_("Verify your login with your second factor first."))
        if selectors.password_change_reason(user):
            raise PermissionDenied(_("Change your password in the web application first."))
        token = services.issue_api_token(user=user, request=request._request)
        return Response({"token": token.key}, status=201)

"""The Django admin site, for HQ admins only.

Installed through dms.apps.DmsAdminConfig (in INSTALLED_APPS instead of django.contrib.admin).
Only an active staff user whose HQ role is "hq_admin" and whose session passed the second factor
may enter. The admin's own login form is never offered: anonymous users go to the project's
two-factor login, and signed-in users without the right get a plain "HQ admins only" page. The
admin's "change password" link leads to the project's password page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

HQ_ADMIN_ROLE = "hq_admin"


def is_hq_admin(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and getattr(user, "hq_role", "") == HQ_ADMIN_ROLE
    )


class HqAdminSite(admin.AdminSite):
    site_header = _("Aurora DMS administration")
    site_title = _("Aurora DMS admin")
    index_title = _("HQ administration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not is_hq_admin(user):
            return False
        # django-otp's middleware adds is_verified(); without it, no second factor was checked.
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified is not None and is_verified())

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.user.is_authenticated and not is_hq_admin(request.user):
            return render(request, "admin/hq_only.html", status=403)
        redirect_to = request.POST.get(
            REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME, "")
        )
        if not url_has_allowed_host_and_scheme(redirect_to, allowed_hosts={request.get_host()}):
            redirect_to = resolve_url(settings.LOGIN_REDIRECT_URL)
        return redirect_to_login(redirect_to)

    # A redirect, not the admin's own form (stubs expect a TemplateResponse).
    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """One password form for everyone: the project's (history, age and audit rules)."""
        return redirect("security:password_change")

"""Project-level app configs."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class DmsAdminConfig(AdminConfig):
    """Django admin with the project's site: for HQ admins only (dms.admin.HqAdminSite)."""

    default_site = "dms.admin.HqAdminSite"

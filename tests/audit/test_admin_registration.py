"""Django admin: the network models are registered; the audit log is read only there."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from dealers.models import Dealer, DealerGroup, Membership, Region
from dms.audit.models import AuditEntry
from tests.factories import hq_user


@pytest.mark.django_db
def test_network_models_are_registered_and_audit_is_read_only() -> None:
    for model in (Region, Dealer, DealerGroup, Membership, AuditEntry):
        assert admin.site.is_registered(model), model
    request = RequestFactory().get("/admin/")
    request.user = hq_user("hq_admin", is_staff=True, is_superuser=True)
    audit_admin = admin.site.get_model_admin(AuditEntry)
    assert not audit_admin.has_add_permission(request)
    assert not audit_admin.has_change_permission(request)
    assert not audit_admin.has_delete_permission(request)

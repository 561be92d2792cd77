"""Citus keys (issue 12): PRIMARY KEY (dealer_id, id) instead of (id) + UNIQUE (dealer_id, id),
and foreign keys between tenant tables only as the composite same-dealer keys (TenantForeignKey:
its single-column key is dropped here)."""

from django.conf import settings
from django.db import migrations

from dms.tenancy.rls import tenant_primary_key_operations


class Migration(migrations.Migration):

    dependencies = [
        ('dealers', '0005_tenant_keys'),
        ('inventory', '0001_initial'),
        ('leads', '0009_tenant_keys'),
        ('reports', '0011_rollup_facts_lock'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *tenant_primary_key_operations('consultanttarget', 'reports_consultanttarget', 'reports_consultanttarget_dealer_id'),
        *tenant_primary_key_operations('kpiday', 'reports_kpiday', 'reports_kpiday_dealer_id'),
        *tenant_primary_key_operations('kpidirtyday', 'reports_kpidirtyday', 'reports_kpidirtyday_dealer_id'),
        *tenant_primary_key_operations('kpifunnelmonth', 'reports_kpifunnelmonth', 'reports_kpifunnelmonth_dealer_id'),
        *tenant_primary_key_operations('kpimonth', 'reports_kpimonth', 'reports_kpimonth_dealer_id'),
        *tenant_primary_key_operations('plantarget', 'reports_plantarget', 'reports_plantarget_dealer_id'),
    ]

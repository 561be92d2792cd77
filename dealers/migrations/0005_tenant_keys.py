"""Citus keys (issue 12): PRIMARY KEY (dealer_id, id) instead of (id) + UNIQUE (dealer_id, id),
and foreign keys between tenant tables only as the composite same-dealer keys (TenantForeignKey:
its single-column key is dropped here)."""

import django.db.models.deletion
import dms.tenancy.fields
from django.conf import settings
from django.db import migrations

from dms.tenancy.rls import tenant_primary_key_operations


class Migration(migrations.Migration):

    dependencies = [
        ('dealers', '0004_dealer_date_limits'),
        ('leads', '0008_timeline_message'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='coverperiod',
            name='batch',
            field=dms.tenancy.fields.TenantForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dealers.reassignmentbatch'),
        ),
        migrations.AlterField(
            model_name='coverperiod',
            name='return_batch',
            field=dms.tenancy.fields.TenantForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dealers.reassignmentbatch'),
        ),
        migrations.AlterField(
            model_name='reassignmentitem',
            name='batch',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='items', to='dealers.reassignmentbatch'),
        ),
        migrations.AlterField(
            model_name='reassignmentitem',
            name='customer',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='leads.customer'),
        ),
        *tenant_primary_key_operations('coverperiod', 'dealers_coverperiod', 'dealers_coverperiod_dealer_id'),
        *tenant_primary_key_operations('departure', 'dealers_departure', 'dealers_departure_dealer_id'),
        *tenant_primary_key_operations('reassignmentbatch', 'dealers_reassignmentbatch', 'dealers_reassignmentbatch_dealer_id'),
        *tenant_primary_key_operations('reassignmentitem', 'dealers_reassignmentitem', 'dealers_reassignmentitem_dealer_id'),
        *tenant_primary_key_operations('staffabsence', 'dealers_staffabsence', 'dealers_staffabsence_dealer_id'),
    ]

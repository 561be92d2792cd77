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
        ('bulletins', '0001_initial'),
        ('dealers', '0005_tenant_keys'),
        ('inventory', '0001_initial'),
        ('leads', '0009_tenant_keys'),
        ('sales', '0004_rollup_day_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='leadstep',
            name='lead',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='leads.lead'),
        ),
        migrations.AlterField(
            model_name='order',
            name='customer',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='leads.customer'),
        ),
        migrations.AlterField(
            model_name='order',
            name='lead',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='leads.lead'),
        ),
        migrations.AlterField(
            model_name='order',
            name='quote',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='sales.quote'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='order',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='sales.order'),
        ),
        migrations.AlterField(
            model_name='quote',
            name='customer',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='quotes', to='leads.customer'),
        ),
        migrations.AlterField(
            model_name='quote',
            name='lead',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='quotes', to='leads.lead'),
        ),
        migrations.AlterField(
            model_name='quote',
            name='supersedes',
            field=dms.tenancy.fields.TenantForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.quote', verbose_name='replaces'),
        ),
        migrations.AlterField(
            model_name='quoteline',
            name='quote',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='sales.quote'),
        ),
        migrations.AlterField(
            model_name='testdrive',
            name='customer',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='test_drives', to='leads.customer'),
        ),
        migrations.AlterField(
            model_name='testdrive',
            name='lead',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='test_drives', to='leads.lead'),
        ),
        migrations.AlterField(
            model_name='testdrive',
            name='vehicle',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='test_drives', to='sales.demovehicle'),
        ),
        *tenant_primary_key_operations('demovehicle', 'sales_demovehicle', 'sales_demovehicle_dealer_id'),
        *tenant_primary_key_operations('leadstep', 'sales_leadstep', 'sales_leadstep_dealer_id'),
        *tenant_primary_key_operations('order', 'sales_order', 'sales_order_dealer_id'),
        *tenant_primary_key_operations('payment', 'sales_payment', 'sales_payment_dealer_id'),
        *tenant_primary_key_operations('quote', 'sales_quote', 'sales_quote_dealer_id'),
        *tenant_primary_key_operations('quoteline', 'sales_quoteline', 'sales_quoteline_dealer_id'),
        *tenant_primary_key_operations('testdrive', 'sales_testdrive', 'sales_testdrive_dealer_id'),
    ]

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
        ('dealers', '0005_tenant_keys'),
        ('inventory', '0001_initial'),
        ('leads', '0008_timeline_message'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='customer',
            name='merged_into',
            field=dms.tenancy.fields.TenantForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='leads.customer'),
        ),
        migrations.AlterField(
            model_name='customermodelinterest',
            name='customer',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='leads.customer'),
        ),
        migrations.AlterField(
            model_name='followup',
            name='customer',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='follow_ups', to='leads.customer'),
        ),
        migrations.AlterField(
            model_name='followup',
            name='lead',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='follow_ups', to='leads.lead'),
        ),
        migrations.AlterField(
            model_name='gradechange',
            name='lead',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='grade_changes', to='leads.lead'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='customer',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='leads', to='leads.customer'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='follow_up',
            field=dms.tenancy.fields.TenantForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='leads.followup'),
        ),
        migrations.AlterField(
            model_name='ownershipclaim',
            name='customer',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='claims', to='leads.customer'),
        ),
        migrations.AlterField(
            model_name='stagechange',
            name='lead',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='stage_changes', to='leads.lead'),
        ),
        migrations.AlterField(
            model_name='timelineevent',
            name='customer',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='timeline', to='leads.customer'),
        ),
        migrations.AlterField(
            model_name='timelineevent',
            name='lead',
            field=dms.tenancy.fields.TenantForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='leads.lead'),
        ),
        migrations.AlterField(
            model_name='visit',
            name='customer',
            field=dms.tenancy.fields.TenantForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='leads.customer'),
        ),
        migrations.AlterField(
            model_name='visit',
            name='lead',
            field=dms.tenancy.fields.TenantForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='leads.lead'),
        ),
        *tenant_primary_key_operations('customer', 'leads_customer', 'leads_customer_dealer_id'),
        *tenant_primary_key_operations('customermodelinterest', 'leads_customermodelinterest', 'leads_customermodelinterest_dealer_id'),
        *tenant_primary_key_operations('followup', 'leads_followup', 'leads_followup_dealer_id'),
        *tenant_primary_key_operations('gradechange', 'leads_gradechange', 'leads_gradechange_dealer_id'),
        *tenant_primary_key_operations('lead', 'leads_lead', 'leads_lead_dealer_id'),
        *tenant_primary_key_operations('leadsettings', 'leads_leadsettings', 'leads_leadsettings_dealer_id'),
        *tenant_primary_key_operations('notification', 'leads_notification', 'leads_notification_dealer_id'),
        *tenant_primary_key_operations('ownershipclaim', 'leads_ownershipclaim', 'leads_ownershipclaim_dealer_id'),
        *tenant_primary_key_operations('stagechange', 'leads_stagechange', 'leads_stagechange_dealer_id'),
        *tenant_primary_key_operations('timelineevent', 'leads_timelineevent', 'leads_timelineevent_dealer_id'),
        *tenant_primary_key_operations('visit', 'leads_visit', 'leads_visit_dealer_id'),
    ]

"""Order numbers per dealer (issue 13, item 7): each dealer's orders count on their own from a
per-dealer series row (sales.NumberSeries, taken with UPDATE ... RETURNING), instead of showing
the network-wide id (DE001's orders jumped from O44 to O688).

Existing orders keep the number they were shown and printed with (their id): order numbers are
on signed order forms, deposit receipts and the customer's timeline, so none is renumbered. Each
dealer's series starts after its highest existing number, so new orders never repeat an old one.
The dealer ids are set for the transaction so that an owner role row-level security applies to
(FORCE RLS) sees every dealer's orders; a superuser owner ignores them."""

import django.db.models.deletion
import dms.tenancy.rls
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
SELECT set_config('app.dealer_ids', coalesce(string_agg(id::text, ','), ''), true),
       set_config('app.write_dealer_ids', coalesce(string_agg(id::text, ','), ''), true)
  FROM dealers_dealer;
UPDATE sales_order SET number = id WHERE number IS NULL;
INSERT INTO sales_numberseries (dealer_id, kind, last_number)
SELECT dealer_id, 'order', max(number) FROM sales_order GROUP BY dealer_id;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('dealers', '0005_tenant_keys'),
        ('sales', '0005_tenant_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='NumberSeries',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('order', 'Order')], max_length=16)),
                ('last_number', models.PositiveIntegerField(default=0)),
            ],
            options={
                'verbose_name': 'number series',
                'abstract': False,
                'base_manager_name': 'objects',
            },
        ),
        migrations.AddField(
            model_name='numberseries',
            name='dealer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dealers.dealer', verbose_name='dealer'),
        ),
        migrations.AddConstraint(
            model_name='numberseries',
            constraint=dms.tenancy.rls.TenantPrimaryKey(name='sales_numberseries_pkey'),
        ),
        migrations.AddConstraint(
            model_name='numberseries',
            constraint=dms.tenancy.rls.RowLevelSecurity(name='sales_numberseries_rls'),
        ),
        migrations.AddConstraint(
            model_name='numberseries',
            constraint=models.UniqueConstraint(fields=('dealer', 'kind'), name='number_series_once'),
        ),
        migrations.AddField(
            model_name='order',
            name='number',
            field=models.PositiveIntegerField(editable=False, null=True, verbose_name='order number'),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='order',
            name='number',
            field=models.PositiveIntegerField(editable=False, verbose_name='order number'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.UniqueConstraint(fields=('dealer', 'number'), name='order_number_unique'),
        ),
    ]

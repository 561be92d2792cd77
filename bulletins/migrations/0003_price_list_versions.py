"""Price lists with effective dates (issue 14, item 2).

The old `PriceList` rows were dated lists of vehicle prices; they become the versions of one
vehicle price list per currency ("Vehicles"), keeping their ids, so every quote keeps pointing at
the prices it was made from. Old windows were closed ([from, until]); the new ones are half-open
([from, until)): `until` moves one day on, and a version that ran into the next one ends where
the next begins. A version wholly hidden by a later one starting the same day (the old lookup
never chose it) is kept as withdrawn, for the quotes that may point at it.
"""

import datetime as dt

import django.contrib.postgres.constraints
import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models
from django.utils import timezone

import bulletins.models
import dms.tenancy.rls


def to_versions(apps, schema_editor):
    PriceList = apps.get_model("bulletins", "PriceList")
    PriceListVersion = apps.get_model("bulletins", "PriceListVersion")
    olds = list(PriceListVersion.objects.order_by("valid_from", "id"))
    currencies = sorted({v.old_currency for v in olds})
    now = timezone.now()
    for currency in currencies:
        name = "Vehicles" if len(currencies) == 1 else f"Vehicles {currency}"
        plist = PriceList.objects.create(name=name, kind="vehicle", currency=currency)
        versions = [v for v in olds if v.old_currency == currency]
        for number, version in enumerate(versions, start=1):
            until = version.valid_until + dt.timedelta(days=1) if version.valid_until else None
            later = [v.valid_from for v in versions[number:] if v.valid_from >= version.valid_from]
            if later and (until is None or until > later[0]):
                until = later[0]
            version.price_list = plist
            version.number = number
            version.note = version.old_name[:300]
            version.published_at = now
            if until is not None and until <= version.valid_from:
                version.status = "withdrawn"
                version.withdrawn_at = now
                version.valid_until = None
            else:
                version.status = "published"
                version.valid_until = until
            version.save()


class Migration(migrations.Migration):
    dependencies = [
        ("bulletins", "0002_bulletins"),
        ("inventory", "0002_parts_labour_catalogue"),
        ("leads", "0002_hq_reference_data"),
        ("dealers", "0005_tenant_keys"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.RemoveConstraint(model_name="pricelistitem", name="pricelist_item_unique"),
        migrations.RemoveConstraint(
            model_name="pricelistitem", name="pricelist_price_non_negative"
        ),
        migrations.RenameModel(old_name="PriceList", new_name="PriceListVersion"),
        migrations.RenameModel(old_name="PriceListItem", new_name="VehiclePrice"),
        migrations.RenameField(model_name="vehicleprice", old_name="price_list", new_name="version"),
        migrations.RenameField(model_name="pricelistversion", old_name="name", new_name="old_name"),
        migrations.RenameField(
            model_name="pricelistversion", old_name="currency", new_name="old_currency"
        ),
        migrations.CreateModel(
            name="PriceList",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="name")),
                ("kind", models.CharField(choices=[("vehicle", "Vehicles"), ("parts", "Parts"), ("labour", "Labour")], max_length=10, verbose_name="kind")),
                ("currency", models.CharField(default="EUR", max_length=3, verbose_name="currency")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
            ],
            options={
                "verbose_name": "price list",
                "verbose_name_plural": "price lists",
                "ordering": ["kind", "name"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("currency__regex", "^[A-Z]{3}$")), name="price_list_currency_iso", violation_error_message="The currency is a three-letter ISO code."),
                ],
            },
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="price_list",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="versions", to="bulletins.pricelist", verbose_name="price list"),
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="number",
            field=models.PositiveIntegerField(default=1, verbose_name="version"),
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="status",
            field=models.CharField(choices=[("draft", "Draft"), ("checked", "Checked"), ("published", "Published"), ("withdrawn", "Withdrawn")], default="draft", max_length=10, verbose_name="status"),
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="note",
            field=models.CharField(blank=True, max_length=300, verbose_name="note"),
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, default=timezone.now, verbose_name="created"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="created_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="checked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="checked"),
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="checked_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="published_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="published"),
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="published_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="withdrawn_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="withdrawn"),
        ),
        migrations.AddField(
            model_name="pricelistversion",
            name="withdrawn_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(to_versions, migrations.RunPython.noop),
        migrations.RemoveField(model_name="pricelistversion", name="old_name"),
        migrations.RemoveField(model_name="pricelistversion", name="old_currency"),
        migrations.AlterField(
            model_name="pricelistversion",
            name="price_list",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="versions", to="bulletins.pricelist", verbose_name="price list"),
        ),
        migrations.AlterField(
            model_name="pricelistversion",
            name="number",
            field=models.PositiveIntegerField(verbose_name="version"),
        ),
        migrations.AlterField(
            model_name="pricelistversion",
            name="valid_from",
            field=models.DateField(blank=True, null=True, verbose_name="valid from"),
        ),
        migrations.AlterField(
            model_name="pricelistversion",
            name="valid_until",
            field=models.DateField(blank=True, help_text="Exclusive: the first day it no longer applies.", null=True, verbose_name="valid until"),
        ),
        migrations.AlterModelOptions(
            name="pricelistversion",
            options={"ordering": ["price_list", "-number"], "verbose_name": "price list version", "verbose_name_plural": "price list versions"},
        ),
        migrations.AlterModelOptions(
            name="vehicleprice",
            options={"ordering": ["version", "kind", "code"], "verbose_name": "vehicle price", "verbose_name_plural": "vehicle prices"},
        ),
        migrations.AlterField(
            model_name="vehicleprice",
            name="version",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="vehicle_prices", to="bulletins.pricelistversion"),
        ),
        migrations.AddConstraint(
            model_name="pricelistversion",
            constraint=models.UniqueConstraint(fields=("price_list", "number"), name="price_version_number_once"),
        ),
        migrations.AddConstraint(
            model_name="pricelistversion",
            constraint=models.CheckConstraint(condition=models.Q(("valid_until__isnull", True), models.Q(("valid_from__isnull", False), ("valid_until__gt", models.F("valid_from"))), _connector="OR"), name="price_version_window_ordered", violation_error_message="A version must end after it starts."),
        ),
        migrations.AddConstraint(
            model_name="pricelistversion",
            constraint=models.CheckConstraint(condition=models.Q(models.Q(("status", "published"), _negated=True), models.Q(("published_at__isnull", False), ("valid_from__isnull", False)), _connector="OR"), name="price_version_published_dated"),
        ),
        migrations.AddConstraint(
            model_name="pricelistversion",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(condition=models.Q(("status", "published")), expressions=[("price_list", RangeOperators.EQUAL), (bulletins.models.DateRange("valid_from", "valid_until", RangeBoundary()), RangeOperators.OVERLAPS)], name="price_version_no_overlap", violation_error_message="Two published versions of one price list cannot be valid on the same day."),
        ),
        migrations.AddConstraint(
            model_name="vehicleprice",
            constraint=models.UniqueConstraint(fields=("version", "kind", "code"), name="vehicle_price_once"),
        ),
        migrations.AddConstraint(
            model_name="vehicleprice",
            constraint=models.CheckConstraint(condition=models.Q(("price__gte", 0)), name="vehicle_price_non_negative"),
        ),
    ]

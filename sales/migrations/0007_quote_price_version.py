"""A quote points at the price-list version it was priced from (issue 14, item 2). The old
`price_list` ids are the versions' ids (bulletins 0003 kept them), so only the name changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bulletins", "0003_price_list_versions"),
        ("sales", "0006_order_number_per_dealer"),
    ]

    operations = [
        migrations.RenameField(model_name="quote", old_name="price_list", new_name="price_version"),
        migrations.AlterField(
            model_name="quote",
            name="price_version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="bulletins.pricelistversion",
                verbose_name="price list version",
            ),
        ),
    ]

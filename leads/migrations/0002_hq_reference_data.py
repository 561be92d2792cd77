"""HQ defaults: grades, lead sources, lost reasons, stage playbooks, the demo brand's catalogue and
its current price list, from leads/reference/*.json. Idempotent (update_or_create): rerunning it,
or calling leads.services.reference.load_reference_data again, changes nothing."""

from django.db import migrations


def load(apps, schema_editor):
    from leads.services.reference import load_reference_data

    load_reference_data(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0001_initial"),
        ("sales", "0001_initial"),
        ("inventory", "0001_initial"),
        ("bulletins", "0001_initial"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

"""The dirty-day triggers are gone: Citus refuses to distribute a table that has triggers, and
transition tables fail on its shards. The days are marked by the code that writes the rows
(reports.rollup.dirty), taking the same facts lock shared. Reversing re-creates the triggers
and functions as 0011 left them."""

import importlib

from django.db import migrations

_triggers = importlib.import_module("reports.migrations.0004_rollup_dirty_triggers")
_locked = importlib.import_module("reports.migrations.0011_rollup_facts_lock")


class Migration(migrations.Migration):
    dependencies = [("reports", "0012_tenant_keys")]

    operations = [
        migrations.RunSQL(
            _triggers.DROP_TRIGGERS,  # the triggers, then both functions
            _locked.FUNCTIONS + _triggers.CREATE_TRIGGERS,
        ),
    ]

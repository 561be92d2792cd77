"""GradeChange.consultant: who held the lead when it was graded (the grade-progression report
credits the row to them, not to whoever holds the lead now).

Existing rows get the best knowledge there is: the lead's consultant when the lead has not moved
since the grading (its `assigned_at` is not later than the change), otherwise whoever made the
change (`changed_by`), and the lead's consultant only when neither is known. The dealer ids are
set for the transaction so the UPDATE also works for an owner role that row-level security
applies to (FORCE RLS); a superuser owner ignores them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ALL_DEALERS = "coalesce((SELECT string_agg(id::text, ',') FROM dealers_dealer), '')"
BACKFILL = f"""
SELECT set_config('app.dealer_ids', {ALL_DEALERS}, true),
       set_config('app.write_dealer_ids', {ALL_DEALERS}, true);
UPDATE leads_gradechange gc
   SET consultant_id = CASE
         WHEN l.assigned_at IS NULL OR gc.changed_at >= l.assigned_at THEN l.consultant_id
         ELSE coalesce(gc.changed_by_id, l.consultant_id)
       END
  FROM leads_lead l
 WHERE l.id = gc.lead_id AND l.dealer_id = gc.dealer_id
   AND gc.consultant_id IS NULL;
"""  # noqa: S608 - constant SQL


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0009_tenant_keys"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="gradechange",
            name="consultant",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="consultant",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]

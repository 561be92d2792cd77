"""Fill KpiFunnelMonth from the existing KpiDay facts (the funnel reads whole months from it up
to the rolled-through day; the rollup only rewrites the months it touches). Runs as the owner:
with FORCE ROW LEVEL SECURITY a non-superuser owner sees the facts of the dealers it names."""

from django.db import migrations

STAGES = [
    "stage_new",
    "stage_contacted",
    "stage_visited",
    "stage_test_drive",
    "stage_quote",
    "stage_order",
    "stage_delivered",
    "stage_lost",
    "stage_dormant",
]
ALL_DEALERS = "coalesce((SELECT string_agg(id::text, ',') FROM dealers_dealer), '')"
BACKFILL = f"""
SELECT set_config('app.dealer_ids', {ALL_DEALERS}, true),
       set_config('app.write_dealer_ids', {ALL_DEALERS}, true);
DELETE FROM reports_kpifunnelmonth;
INSERT INTO reports_kpifunnelmonth
       (dealer_id, month, consultant_id, source_id, vehicle_model_id, {", ".join(STAGES)})
SELECT dealer_id, date_trunc('month', day::timestamp)::date, consultant_id, source_id,
       vehicle_model_id, {", ".join(f"sum({s})::int" for s in STAGES)}
  FROM reports_kpiday
 GROUP BY 1, 2, 3, 4, 5
HAVING sum({" + ".join(STAGES)}) > 0;
"""  # noqa: S608 - constant SQL


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_funnel_month")]

    operations = [migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop)]

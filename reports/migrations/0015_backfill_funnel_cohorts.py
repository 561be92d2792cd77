"""Fill the cohort measures (0014) of the existing facts: for the leads opened on each rolled-up
day, how many had reached each later funnel stage and how many were lost / dormant by the start
of today (the dealer's), as the rollup computes them (reports.rollup.services._cohort_branch;
this copy is frozen with the migration). Then KpiMonth and KpiFunnelMonth (leads_new too) from
the days. Only existing fact rows are updated: days not rolled up yet get their cohorts from the
nightly run like every other measure.

Runs as the owner with the ids of every dealer set for row-level security (SET LOCAL through the
tenant scope, as the rollup does)."""

from django.db import migrations
from django.utils import timezone

FUNNEL = ["new", "contacted", "visited", "test_drive", "quote", "order", "delivered"]
COHORT = [f"cohort_{s}" for s in FUNNEL[1:]] + ["cohort_lost", "cohort_dormant"]
RANK = "CASE x.to_stage " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(FUNNEL)) + " END"
COUNTS = ", ".join(
    [f"count(*) FILTER (WHERE c.furthest >= {i}) AS cohort_{s}" for i, s in enumerate(FUNNEL) if i]
    + [
        "count(*) FILTER (WHERE c.last_stage = 'lost') AS cohort_lost",
        "count(*) FILTER (WHERE c.last_stage = 'dormant') AS cohort_dormant",
    ]
)
SAME = "IS NOT DISTINCT FROM"

DAYS = f"""
WITH d AS (SELECT id, timezone AS tz FROM dealers_dealer),
c AS (
    SELECT op.dealer_id, (op.changed_at AT TIME ZONE d.tz)::date AS day, op.consultant_id,
           l.source_id, l.vehicle_model_id AS model_id, max({RANK}) AS furthest,
           (array_agg(x.to_stage ORDER BY x.changed_at DESC, x.id DESC)
                FILTER (WHERE x.id IS NOT NULL))[1] AS last_stage
      FROM leads_stagechange op JOIN d ON d.id = op.dealer_id
      JOIN leads_lead l ON l.dealer_id = op.dealer_id AND l.id = op.lead_id
      LEFT JOIN leads_stagechange x ON x.dealer_id = op.dealer_id AND x.lead_id = op.lead_id
       AND x.changed_at < (date_trunc('day', %(now)s::timestamptz AT TIME ZONE d.tz) AT TIME ZONE d.tz)
     WHERE op.from_stage = '' AND op.to_stage = 'new'
     GROUP BY op.dealer_id, op.id, 2, op.consultant_id, l.source_id, l.vehicle_model_id
),
k AS (
    SELECT c.dealer_id, c.day, c.consultant_id, c.source_id, c.model_id, {COUNTS}
      FROM c GROUP BY 1, 2, 3, 4, 5
)
UPDATE reports_kpiday f SET {", ".join(f"{m} = k.{m}" for m in COHORT)}
  FROM k
 WHERE f.dealer_id = k.dealer_id AND f.day = k.day
   AND f.consultant_id {SAME} k.consultant_id AND f.source_id {SAME} k.source_id
   AND f.vehicle_model_id {SAME} k.model_id
"""  # noqa: S608 - constant SQL

MONTHS = f"""
UPDATE reports_kpimonth m SET {", ".join(f"{c} = s.{c}" for c in COHORT)}
  FROM (SELECT dealer_id, date_trunc('month', day::timestamp)::date AS month, vehicle_model_id,
               {", ".join(f"sum({c})::int AS {c}" for c in COHORT)}
          FROM reports_kpiday GROUP BY 1, 2, 3) s
 WHERE m.dealer_id = s.dealer_id AND m.month = s.month
   AND m.vehicle_model_id {SAME} s.vehicle_model_id
"""  # noqa: S608 - constant SQL

FUNNEL_MONTHS = f"""
UPDATE reports_kpifunnelmonth m SET {", ".join(f"{c} = s.{c}" for c in ["leads_new", *COHORT])}
  FROM (SELECT dealer_id, date_trunc('month', day::timestamp)::date AS month, consultant_id,
               source_id, vehicle_model_id,
               {", ".join(f"sum({c})::int AS {c}" for c in ["leads_new", *COHORT])}
          FROM reports_kpiday GROUP BY 1, 2, 3, 4, 5) s
 WHERE m.dealer_id = s.dealer_id AND m.month = s.month
   AND m.consultant_id {SAME} s.consultant_id AND m.source_id {SAME} s.source_id
   AND m.vehicle_model_id {SAME} s.vehicle_model_id
"""  # noqa: S608 - constant SQL


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from dms.tenancy.context import as_dealers

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM dealers_dealer ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return
    with as_dealers(ids, write=True), connection.cursor() as cursor:
        # the cutoff as a parameter: no STABLE function (now()) inside an UPDATE (Citus)
        cursor.execute(DAYS, {"now": timezone.now()})
        for statement in (MONTHS, FUNNEL_MONTHS):
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("reports", "0014_funnel_cohort_measures")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

"""Late and backdated changes mark their dealer day dirty, whatever wrote them.

Statement-level AFTER triggers (with transition tables: one INSERT per statement, also for COPY
and QuerySet.update()) on every table the KPI facts are computed from insert (dealer, local day)
into reports_kpidirtyday for each timestamp column that places a row on a day — for UPDATE both
the old and the new day, and only when a column the facts read has changed. The nightly rollup
recomputes those days (reports.rollup.services.nightly). The triggers run as the writing role
under its row-level security: a dealer's write marks only that dealer's days.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION kpi_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    -- TG_ARGV[0]: timestamp columns placing a row on a day; TG_ARGV[1]: columns read by the facts
    ts_cols text[] := string_to_array(TG_ARGV[0], ',');
    watched text[] := string_to_array(TG_ARGV[1], ',');
    src text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        src := format('SELECT dealer_id, unnest(ARRAY[%s]) AS ts FROM new_rows',
                      array_to_string(ts_cols, ', '));
    ELSIF TG_OP = 'DELETE' THEN
        src := format('SELECT dealer_id, unnest(ARRAY[%s]) AS ts FROM old_rows',
                      array_to_string(ts_cols, ', '));
    ELSE
        src := format(
            'SELECT o.dealer_id, unnest(ARRAY[%1$s, %2$s]) AS ts
               FROM old_rows o JOIN new_rows n ON n.id = o.id
              WHERE ROW(%3$s) IS DISTINCT FROM ROW(%4$s)',
            (SELECT string_agg('o.' || quote_ident(c), ', ') FROM unnest(ts_cols) c),
            (SELECT string_agg('n.' || quote_ident(c), ', ') FROM unnest(ts_cols) c),
            (SELECT string_agg('o.' || quote_ident(c), ', ') FROM unnest(watched) c),
            (SELECT string_agg('n.' || quote_ident(c), ', ') FROM unnest(watched) c));
    END IF;
    EXECUTE format(
        'INSERT INTO reports_kpidirtyday (dealer_id, day, marked_at)
         SELECT DISTINCT x.dealer_id, (x.ts AT TIME ZONE d.timezone)::date, now()
           FROM (%s) x JOIN dealers_dealer d ON d.id = x.dealer_id
          WHERE x.ts IS NOT NULL
         ON CONFLICT (dealer_id, day) DO NOTHING', src);
    RETURN NULL;
END
$fn$;

-- A lead's source, model or credit changing moves all its facts: mark every day it has one.
CREATE OR REPLACE FUNCTION kpi_mark_dirty_lead() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO reports_kpidirtyday (dealer_id, day, marked_at)
    SELECT DISTINCT x.dealer_id, (x.ts AT TIME ZONE d.timezone)::date, now()
      FROM (
        SELECT o.dealer_id, unnest(ARRAY[o.first_response_at, n.first_response_at]) AS ts
          FROM old_rows o JOIN new_rows n ON n.id = o.id
         WHERE o.first_response_at IS DISTINCT FROM n.first_response_at
            OR o.created_at IS DISTINCT FROM n.created_at
        UNION ALL
        SELECT sc.dealer_id, sc.changed_at FROM leads_stagechange sc
          JOIN (SELECT n.dealer_id, n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE ROW(o.source_id, o.vehicle_model_id, o.credited_to_id)
                       IS DISTINCT FROM ROW(n.source_id, n.vehicle_model_id, n.credited_to_id)) m
            ON sc.dealer_id = m.dealer_id AND sc.lead_id = m.id
        UNION ALL
        SELECT f.dealer_id, f.due_at FROM leads_followup f
          JOIN (SELECT n.dealer_id, n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE ROW(o.source_id, o.vehicle_model_id)
                       IS DISTINCT FROM ROW(n.source_id, n.vehicle_model_id)) m
            ON f.dealer_id = m.dealer_id AND f.lead_id = m.id
        UNION ALL
        SELECT od.dealer_id, unnest(ARRAY[od.ordered_at, od.delivered_at]) FROM sales_order od
          JOIN (SELECT n.dealer_id, n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE ROW(o.source_id, o.credited_to_id)
                       IS DISTINCT FROM ROW(n.source_id, n.credited_to_id)) m
            ON od.dealer_id = m.dealer_id AND od.lead_id = m.id
        UNION ALL
        SELECT q.dealer_id, q.sent_at FROM sales_quote q
          JOIN (SELECT n.dealer_id, n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE o.source_id IS DISTINCT FROM n.source_id) m
            ON q.dealer_id = m.dealer_id AND q.lead_id = m.id
        UNION ALL
        SELECT t.dealer_id, coalesce(t.returned_at, t.ends_at) FROM sales_testdrive t
          JOIN (SELECT n.dealer_id, n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
                 WHERE o.source_id IS DISTINCT FROM n.source_id) m
            ON t.dealer_id = m.dealer_id AND t.lead_id = m.id
      ) x JOIN dealers_dealer d ON d.id = x.dealer_id
     WHERE x.ts IS NOT NULL
    ON CONFLICT (dealer_id, day) DO NOTHING;
    RETURN NULL;
END
$fn$;
"""

# table -> (timestamp columns, columns the facts read)
TRACKED = {
    "leads_stagechange": ("changed_at", "changed_at,from_stage,to_stage,consultant_id,lead_id"),
    "leads_visit": ("arrived_at", "arrived_at,kind,served_by_id,source_id,vehicle_model_id"),
    "leads_followup": ("due_at", "due_at,done_at,owner_id,lead_id"),
    "sales_testdrive": (
        "returned_at,ends_at",
        "status,returned_at,ends_at,consultant_id,vehicle_id,lead_id",
    ),
    "sales_quote": ("sent_at", "sent_at,status,created_by_id,trim_id,lead_id"),
    "sales_order": (
        "ordered_at,delivered_at",
        "ordered_at,delivered_at,status,consultant_id,quote_id,lead_id",
    ),
}


def _triggers() -> tuple[str, str]:
    create, drop = [], []
    for table, (days, watched) in TRACKED.items():
        for op, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            name = f"kpi_dirty_{op.lower()}"
            create.append(
                f"CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {refs} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_dirty('{days}', '{watched}');"
            )
            drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
    create.append(
        "CREATE TRIGGER kpi_dirty_update AFTER UPDATE ON leads_lead "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_dirty_lead();"
    )
    drop.append("DROP TRIGGER IF EXISTS kpi_dirty_update ON leads_lead;")
    drop.append("DROP FUNCTION IF EXISTS kpi_mark_dirty_lead(); DROP FUNCTION IF EXISTS kpi_mark_dirty();")
    return "\n".join(create), "\n".join(drop)


CREATE_TRIGGERS, DROP_TRIGGERS = _triggers()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_rollup_runs"),
        ("leads", "0005_stage_change_consultant"),
        ("sales", "0003_order_one_per_quote"),
        ("dealers", "0003_handover"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION + CREATE_TRIGGERS, DROP_TRIGGERS),
    ]

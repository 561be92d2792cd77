"""The dirty-day triggers take the dealer's facts lock, shared (the rollup takes it exclusively).

A write whose day was already marked found the mark there (ON CONFLICT DO NOTHING) and left it;
a nightly run starting before the write committed deleted that mark and computed the day without
the write: the write was lost from the facts until its day changed again. Now the run waits for
the writes in flight (reports.rollup.services._lock_facts) and then sees them. Writers only share
the lock: they never wait for each other, only for a rollup chunk of their dealer.
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION kpi_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    -- TG_ARGV[0]: timestamp columns placing a row on a day; TG_ARGV[1]: columns read by the facts
    ts_cols text[] := string_to_array(TG_ARGV[0], ',');
    watched text[] := string_to_array(TG_ARGV[1], ',');
    src text;
BEGIN
    -- The dealer's facts lock, shared (reports.rollup.services.FACTS_LOCK): a rollup chunk
    -- takes it exclusively and so waits for this transaction before it takes the day marks.
    EXECUTE format('SELECT pg_advisory_xact_lock_shared(5003, x.dealer_id::int)
                      FROM (SELECT DISTINCT dealer_id FROM %I ORDER BY 1) x',
                   CASE WHEN TG_OP = 'DELETE' THEN 'old_rows' ELSE 'new_rows' END);
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
    PERFORM pg_advisory_xact_lock_shared(5003, x.dealer_id::int)
       FROM (SELECT DISTINCT dealer_id FROM new_rows ORDER BY 1) x;
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

PREVIOUS = r"""
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


class Migration(migrations.Migration):
    dependencies = [("reports", "0010_export_failure_reason")]

    operations = [migrations.RunSQL(FUNCTIONS, PREVIOUS)]

"""The KPI rollup: KpiDay (dealer × local day × consultant × source × model) and KpiMonth
(dealer × month × model) recomputed from the funnel tables with set-based SQL.

How a run works
---------------
For a set of dealers and days the facts are recomputed in one transaction per chunk of dealers:
ONE ``SELECT ... GROUP BY`` over a ``UNION ALL`` of one aggregate per source table (stage
changes, visitor log, test drives, quotes, orders, deliveries, follow-ups, first responses). A
first run inserts it straight into KpiDay (``INSERT ... SELECT``); over existing facts the same
SELECT is compared with them (a full join) and only the differing rows are deleted, updated or
inserted by primary key (a rerun over unchanged data writes nothing and keeps the ids); then the
touched months of KpiMonth (delete + insert from KpiDay). The nightly run (a few days) deletes
and inserts its days directly. A rerun
of any range gives the same rows. The run is done by the runtime role under row-level security inside
``as_dealers(ids, write=True)``: it can neither read nor write another dealer's rows.

Days are the dealer's local dates (Dealer.timezone).

Measures, their day and who is credited (the "consultant" dimension)
--------------------------------------------------------------------
The rule: a fact is credited to the consultant who held the lead (or did the work) *when the event
happened*, from columns that are written once and never moved by a reassignment. A departed
consultant's handover (dealers.handover) moves open leads, open follow-ups, future test drives
and OPEN orders to the colleague; none of the columns below is among those moved (or only for
events still to come), so past credit stays where it was.

- stage_<stage>: distinct leads entering the stage that day (StageChange.changed_at), credited to
  StageChange.consultant — the lead's consultant at that moment, a snapshot written with the
  change (leads.services.leads). Source and model: the lead's.
- leads_new: leads opened that day (their opening stage change ''→new), same credit.
- cohort_<stage> (contacted … delivered), cohort_lost, cohort_dormant: of the leads opened that
  day (leads_new, same day, credit, source and model), how many had reached the stage or a later
  one, and how many were lost / dormant, by the start of the dealer's day the run is done on
  (its `now`): reached = the furthest funnel stage any of its stage changes before then entered
  (a lead moved back still reached it; a skipped stage counts as reached), lost / dormant = the
  stage of its last change before then. Each count is at most leads_new, so a share of the
  cohort never passes 100 %. These facts change when a lead moves, long after the day it was
  opened: a run also rewrites the cohort measures (only those, only the differing rows) of the
  fact rows that the leads with a stage change on a day it recomputes count in, on earlier days
  (``_refresh_cohorts``: COHORT_DIFF_SQL, rows by primary key, months moved by the
  differences), so after a night every cohort is as of its start. Known limit: a stage change
  deleted on its own (no code does; a deleted lead takes its opening with it) leaves its lead's
  cohort as it was until that lead moves again or its opening day is recomputed.
- lost: leads closed as lost that day (= stage_lost).
- visits / calls: visitor-log walk-ins / phone contacts by arrival time, credited to who served
  them (Visit.served_by), with the visit's source and model.
- test_drives: test drives done, on the day they came back (returned_at, else ends_at), credited
  to the test drive's consultant; model = the demo vehicle's model, source = the lead's.
- quotes: quote versions sent (sent_at), credited to the quote's author; model = the quoted trim's.
- orders: orders not cancelled, on ordered_at, credited to the consultant of the lead's first
  stage change into "order" from the order's day on (the snapshot taken when the sale was
  closed) — NOT Order.consultant, which the handover moves for open orders. Without such a stage
  change (order gate not met yet): Order.consultant. Model = the ordered trim's.
- deliveries: delivered orders on delivered_at, credited to Lead.credited_to (set at delivery,
  never moved: closed leads do not take part in a handover), else Order.consultant.
- followups_due / followups_on_time: follow-ups due that day (due_at) and of those done by their
  due time (done_at <= due_at), credited to the follow-up's owner. Known limit: a follow-up still
  open at a handover moves to the colleague with its due day.
- first_responses / first_response_minutes: leads first answered that day (first_response_at)
  and the whole minutes from lead creation, summed; credited to the consultant the lead was
  opened for (the snapshot of its opening stage change ''→new, one per lead: only open_lead
  writes it), else the lead's consultant.

Big ranges (more than a week) run with BULK_PLANNER for the transaction (hash joins over
sequential scans): the local-day expressions and the RLS condition make the planner expect a
handful of rows where there are millions and pick nested loops or merge joins over whole indexes
(measured on bench/: minutes instead of seconds).

Citus (issue 12): every statement here keeps to the rules of a distributed database — tenant
tables joined on dealer_id equality, dealer_id carried from the source rows to the facts, every
write filtered on ``dealer_id = ANY(...)``, no temporary table feeding a write, no LATERAL
subquery over a reference table, no trigger.

Incremental nightly run
-----------------------
The code writing the source tables marks a (dealer, local day) in KpiDirtyDay whenever a source
row placing something on that day is inserted, changed (in a column the facts read) or deleted
— backdated deliveries, late visitor-log entries, corrected order dates alike: the models'
save(), delete() and querysets do it, raw-SQL writers call its mark_*() functions
(dms.kpi.dirty; until reports migration 0012 database triggers did). Raw SQL writes to
the source tables: leads.demo.insert_rows (the seeded history) marks through mark_rows();
bench/generate.py loads a fresh bench network as the owner and empties the marks (a first full
run follows); the handover (dealers.handover) writes the source tables through the ORM only
(its one raw statement fills the timeline). ``nightly()`` takes the dirty rows (DELETE ...
RETURNING, in the same transaction as the recompute, after taking the dealers' facts lock that
every write holds shared until it commits: a change is either committed and seen by the
recompute, or still to come and marks its day again after our commit) and recomputes those days before today plus every day from
the last rolled-through day to yesterday (normally just yesterday). Running it twice changes
nothing. KpiRun keeps the bookkeeping; ``reports.rollup.selectors.rolled_through()`` answers the
last day the facts are complete up to.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dealers.clock import today_in, zone_named
from dealers.models import Dealer
from dms.kpi.dirty import FACTS_LOCK
from dms.tenancy.context import as_dealers
from dms.tenancy.placement import on_citus
from reports.models import COHORT_MEASURES, FUNNEL_MEASURES, MEASURES, KpiRun

from .selectors import forget_rolled_through

Progress = Callable[[int, int, str], None]

DEFAULT_CHUNK = 20  # dealers per transaction of a ranged run
MAX_CATCH_UP_DAYS = 62  # the nightly run fills at most this many missed days at once
BIG_RANGE_DAYS = 7  # longer ranges: hash joins only (see the module docstring)
# A year of a network is read whole: sequential scans and hash joins, memory for the hashes.
# A few days: index scans, and no JIT (compiling the big statement costs more than it saves;
# measured on bench/: one day of the network 9.5 s -> 5.7 s).
SMALL_PLANNER = "SET LOCAL jit = off"
# At the end of a chunk: when it runs inside a caller's transaction (a savepoint), its SET LOCAL
# values would otherwise stay for the rest of that transaction.
RESET_PLANNER = "; ".join(
    f"RESET {name}"
    for name in (
        "enable_nestloop",
        "enable_mergejoin",
        "enable_indexscan",
        "enable_seqscan",
        "enable_sort",
        "jit",
        "work_mem",
    )
)
BULK_PLANNER = (
    "SET LOCAL enable_nestloop = off; SET LOCAL enable_mergejoin = off; "
    "SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off; "
    "SET LOCAL jit = off; SET LOCAL work_mem = '256MB'"
)

STAGES = [
    "new",
    "contacted",
    "visited",
    "test_drive",
    "quote",
    "order",
    "delivered",
    "lost",
    "dormant",
]
FUNNEL = STAGES[:7]  # the funnel's order (leads.models.FUNNEL_STAGES), new … delivered

# --- the SQL -------------------------------------------------------------------------------------

# Each branch yields (dealer_id, day, consultant_id, source_id, model_id, <some measures>) already
# grouped; the missing measures are filled with 0. {keep} restricts rows to the target days.


def _day(ts: str) -> str:
    return f"({ts} AT TIME ZONE d.tz)::date"


def _branch(
    *, keys: str, measures: dict[str, str], source: str, where: str, group: bool = True
) -> str:
    cols = ", ".join(f"{measures.get(m, '0')} AS {m}" for m in MEASURES)
    sql = f"SELECT {keys}, {cols} FROM {source} WHERE {where}"  # noqa: S608
    return sql + (" GROUP BY 1, 2, 3, 4, 5" if group else "")


def _keep(dealer: str, day: str, pairs: bool) -> str:
    """The row is on a target day (and, for a nightly run, of a target dealer × day pair)."""
    sql = f"{day} BETWEEN %(start)s AND %(end)s"
    if pairs:
        sql += f" AND ({dealer}, {day}) IN (SELECT * FROM targets)"  # noqa: S608
    return sql


def _branches(pairs: bool) -> list[str]:
    stage_counts = {f"stage_{s}": f"count(*) FILTER (WHERE s.to_stage = '{s}')" for s in STAGES}
    stage_counts["leads_new"] = "count(*) FILTER (WHERE s.opening)"
    stage_counts["lost"] = "count(*) FILTER (WHERE s.to_stage = 'lost')"
    sc_day = _day("sc.changed_at")
    v_day = _day("v.arrived_at")
    td_day = _day("coalesce(t.returned_at, t.ends_at)")
    q_day = _day("q.sent_at")
    o_day = _day("o.ordered_at")
    dl_day = _day("o.delivered_at")
    f_day = _day("f.due_at")
    fr_day = _day("l.first_response_at")
    ranged = "BETWEEN %(lo)s AND %(hi)s"
    order_join = (
        "sales_order o JOIN d ON d.id = o.dealer_id"
        " JOIN sales_quote q ON q.dealer_id = o.dealer_id AND q.id = o.quote_id"
        " JOIN inventory_trim tr ON tr.id = q.trim_id"
        " JOIN leads_lead l ON l.dealer_id = o.dealer_id AND l.id = o.lead_id"
    )
    return [
        # stage entries: distinct leads per day, stage and credited consultant
        _branch(
            keys="s.dealer_id, s.day, s.consultant_id, l.source_id, l.vehicle_model_id",
            measures=stage_counts,
            source=(
                "(SELECT DISTINCT sc.dealer_id, "  # noqa: S608
                f"{sc_day} AS day, sc.consultant_id, sc.lead_id, sc.to_stage, "
                "(sc.from_stage = '' AND sc.to_stage = 'new') AS opening "
                "FROM leads_stagechange sc JOIN d ON d.id = sc.dealer_id "
                f"WHERE sc.dealer_id = ANY(%(ids)s) AND sc.changed_at {ranged} "
                f"AND {_keep('sc.dealer_id', sc_day, pairs)}) s "
                "JOIN leads_lead l ON l.dealer_id = s.dealer_id AND l.id = s.lead_id"
            ),
            where="TRUE",
        ),
        # visitor log
        _branch(
            keys=f"v.dealer_id, {v_day}, v.served_by_id, v.source_id, v.vehicle_model_id",
            measures={
                "visits": "count(*) FILTER (WHERE v.kind = 'walk_in')",
                "calls": "count(*) FILTER (WHERE v.kind = 'phone')",
            },
            source="leads_visit v JOIN d ON d.id = v.dealer_id",
            where=(
                f"v.dealer_id = ANY(%(ids)s) AND v.arrived_at {ranged} "
                f"AND {_keep('v.dealer_id', v_day, pairs)}"
            ),
        ),
        # test drives done
        _branch(
            keys=f"t.dealer_id, {td_day}, t.consultant_id, l.source_id, dv.vehicle_model_id",
            measures={"test_drives": "count(*)"},
            source=(
                "sales_testdrive t JOIN d ON d.id = t.dealer_id"
                " JOIN sales_demovehicle dv ON dv.dealer_id = t.dealer_id AND dv.id = t.vehicle_id"
                " JOIN leads_lead l ON l.dealer_id = t.dealer_id AND l.id = t.lead_id"
            ),
            where=(
                f"t.dealer_id = ANY(%(ids)s) AND t.status = 'done' "
                f"AND coalesce(t.returned_at, t.ends_at) {ranged} "
                f"AND {_keep('t.dealer_id', td_day, pairs)}"
            ),
        ),
        # quotes sent
        _branch(
            keys=f"q.dealer_id, {q_day}, q.created_by_id, l.source_id, tr.vehicle_model_id",
            measures={"quotes": "count(*)"},
            source=(
                "sales_quote q JOIN d ON d.id = q.dealer_id"
                " JOIN inventory_trim tr ON tr.id = q.trim_id"
                " JOIN leads_lead l ON l.dealer_id = q.dealer_id AND l.id = q.lead_id"
            ),
            where=(
                f"q.dealer_id = ANY(%(ids)s) AND q.sent_at {ranged} "
                f"AND {_keep('q.dealer_id', q_day, pairs)}"
            ),
        ),
        # orders: credit from the stage change into "order" (snapshot), else the order's
        _branch(
            keys=(
                f"o.dealer_id, {o_day}, coalesce(sc.consultant_id, o.consultant_id), "
                "l.source_id, tr.vehicle_model_id"
            ),
            measures={"orders": "count(*)"},
            # the first change into "order" at or after the order's time (a lead reopened and
            # ordered again credits the second order to whoever placed it, whatever the range)
            source=(
                order_join + " LEFT JOIN (SELECT DISTINCT ON (o2.dealer_id, o2.id)"  # noqa: S608
                " o2.dealer_id, o2.id AS order_id, x.consultant_id FROM sales_order o2"
                " JOIN leads_stagechange x ON x.dealer_id = o2.dealer_id"
                " AND x.lead_id = o2.lead_id AND x.to_stage = 'order'"
                " AND x.changed_at >= o2.ordered_at - interval '1 minute'"
                " WHERE o2.dealer_id = ANY(%(ids)s) AND o2.ordered_at BETWEEN %(lo)s AND %(hi)s"
                " AND x.dealer_id = ANY(%(ids)s)"
                " AND x.changed_at >= %(lo)s::timestamptz - interval '1 minute'"
                " ORDER BY o2.dealer_id, o2.id, x.changed_at, x.id) sc"
                " ON sc.dealer_id = o.dealer_id AND sc.order_id = o.id"
            ),
            where=(
                f"o.dealer_id = ANY(%(ids)s) AND o.status <> 'cancelled' "
                f"AND o.ordered_at {ranged} AND {_keep('o.dealer_id', o_day, pairs)}"
            ),
        ),
        # deliveries: credited where the closed lead's credit is
        _branch(
            keys=(
                f"o.dealer_id, {dl_day}, coalesce(l.credited_to_id, o.consultant_id), "
                "l.source_id, tr.vehicle_model_id"
            ),
            measures={"deliveries": "count(*)"},
            source=order_join,
            where=(
                f"o.dealer_id = ANY(%(ids)s) AND o.status = 'delivered' "
                f"AND o.delivered_at {ranged} AND {_keep('o.dealer_id', dl_day, pairs)}"
            ),
        ),
        # follow-up compliance
        _branch(
            keys=f"f.dealer_id, {f_day}, f.owner_id, l.source_id, l.vehicle_model_id",
            measures={
                "followups_due": "count(*)",
                "followups_on_time": "count(*) FILTER (WHERE f.done_at <= f.due_at)",
            },
            source=(
                "leads_followup f JOIN d ON d.id = f.dealer_id"
                " JOIN leads_lead l ON l.dealer_id = f.dealer_id AND l.id = f.lead_id"
            ),
            where=(
                f"f.dealer_id = ANY(%(ids)s) AND f.due_at {ranged} "
                f"AND {_keep('f.dealer_id', f_day, pairs)}"
            ),
        ),
        _cohort_branch(pairs),
        # first responses, credited to whom the lead was opened for
        _branch(
            keys=(
                f"l.dealer_id, {fr_day}, coalesce(op.consultant_id, l.consultant_id), "
                "l.source_id, l.vehicle_model_id"
            ),
            measures={
                "first_responses": "count(*)",
                "first_response_minutes": (
                    "sum(greatest(0, floor(extract(epoch FROM "
                    "l.first_response_at - l.created_at) / 60)))"
                ),
            },
            source=(
                "leads_lead l JOIN d ON d.id = l.dealer_id"
                " LEFT JOIN leads_stagechange op ON op.dealer_id = l.dealer_id"
                " AND op.lead_id = l.id AND op.from_stage = ''"
            ),
            where=(
                f"l.dealer_id = ANY(%(ids)s) AND l.first_response_at {ranged} "
                f"AND {_keep('l.dealer_id', fr_day, pairs)}"
            ),
        ),
    ]


# The start of the dealer's day the run is done on: a cohort counts the stage changes before it.
_CUTOFF = "(date_trunc('day', %(now)s::timestamptz AT TIME ZONE d.tz) AT TIME ZONE d.tz)"
_RANK = "CASE x.to_stage " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(FUNNEL)) + " END"
# The cohort measures counted over opened leads `c` (one row per lead: furthest, last_stage).
_COHORT_COUNTS = {
    **{
        f"cohort_{stage}": f"count(*) FILTER (WHERE c.furthest >= {i})"
        for i, stage in enumerate(FUNNEL)
        if i
    },
    "cohort_lost": "count(*) FILTER (WHERE c.last_stage = 'lost')",
    "cohort_dormant": "count(*) FILTER (WHERE c.last_stage = 'dormant')",
}


def _opened_leads(keys: str, joins: str, where: str, group: str) -> str:
    """One row per opening stage change ''→new `op` (with `keys`): the furthest funnel stage
    its lead's stage changes before the cutoff entered, and the stage of the last of them."""
    return (
        f"SELECT {keys}, max({_RANK}) AS furthest, "  # noqa: S608
        "(array_agg(x.to_stage ORDER BY x.changed_at DESC, x.id DESC)"
        " FILTER (WHERE x.id IS NOT NULL))[1] AS last_stage "
        f"FROM {joins} "
        "LEFT JOIN leads_stagechange x ON x.dealer_id = op.dealer_id "
        f"AND x.lead_id = op.lead_id AND x.changed_at < {_CUTOFF} "
        f"WHERE {where} GROUP BY op.dealer_id, op.id, {group}"
    )


def _cohort_branch(pairs: bool) -> str:
    """The cohort measures, on the leads' opening day: one row per opened lead (its furthest
    funnel stage and its last stage before the cutoff), then counted per day and credit."""
    op_day = _day("op.changed_at")
    leads = _opened_leads(
        keys=(
            f"op.dealer_id, {op_day} AS day, op.consultant_id, l.source_id, "
            "l.vehicle_model_id AS model_id"
        ),
        joins=(
            "leads_stagechange op JOIN d ON d.id = op.dealer_id "
            "JOIN leads_lead l ON l.dealer_id = op.dealer_id AND l.id = op.lead_id"
        ),
        where=(
            "op.dealer_id = ANY(%(ids)s) AND op.from_stage = '' AND op.to_stage = 'new' "
            f"AND op.changed_at BETWEEN %(lo)s AND %(hi)s AND {_keep('op.dealer_id', op_day, pairs)}"
        ),
        group="2, op.consultant_id, l.source_id, l.vehicle_model_id",
    )
    return _branch(
        keys="c.dealer_id, c.day, c.consultant_id, c.source_id, c.model_id",
        measures=_COHORT_COUNTS,
        source=f"({leads}) c",
        where="TRUE",
    )


def _with(pairs: bool) -> str:
    sql = "WITH d AS (SELECT id, timezone AS tz FROM dealers_dealer WHERE id = ANY(%(ids)s))"
    if pairs:
        sql += ", targets AS (SELECT unnest(%(pair_dealers)s::bigint[]) AS dealer_id, "
        sql += "unnest(%(pair_days)s::date[]) AS day)"
    return sql


def _compute_sql(pairs: bool) -> str:
    """The SELECT ... GROUP BY of the facts of the target days, as they are now (its columns:
    _KEYS, then MEASURES)."""
    measures = ", ".join(MEASURES)
    sums = ", ".join(f"sum({m})::int AS {m}" for m in MEASURES)
    union = "\nUNION ALL\n".join(_branches(pairs))
    return (
        "SELECT dealer_id, day, consultant_id, source_id, model_id AS vehicle_model_id, "  # noqa: S608
        f"{sums}\nFROM (\n{union}\n) AS facts (dealer_id, day, consultant_id, source_id, "
        f"model_id, {measures})\nGROUP BY 1, 2, 3, 4, 5"
    )


def insert_days_sql(pairs: bool = False) -> str:
    """The one INSERT ... SELECT ... GROUP BY that writes the facts of the target days. Every
    row keeps the dealer_id of the source rows it sums (on Citus: between colocated tables,
    pushed down to the shards)."""
    return (
        f"{_with(pairs)}\nINSERT INTO reports_kpiday ({_COLUMNS})\n"  # noqa: S608
        f"{_compute_sql(pairs)}"
    )


def _delete_days_sql(pairs: bool) -> str:
    if pairs:
        return (
            "DELETE FROM reports_kpiday k USING (SELECT unnest(%(pair_dealers)s::bigint[]) AS "
            "dealer_id, unnest(%(pair_days)s::date[]) AS day) t "
            "WHERE k.dealer_id = ANY(%(ids)s) AND k.day BETWEEN %(start)s AND %(end)s"
            " AND k.dealer_id = t.dealer_id AND k.day = t.day"
        )
    return (
        "DELETE FROM reports_kpiday WHERE dealer_id = ANY(%(ids)s) "
        "AND day BETWEEN %(start)s AND %(end)s"
    )


# A ranged run over existing facts changes only what differs: rows no longer produced are
# deleted, changed rows updated, new rows inserted. A rerun over unchanged data writes nothing.
# ONE SELECT computes the facts and compares them with the stored ones (a full join on the fact
# key, dealer_id first) into the (small) list of differences; the existing facts are read once,
# by that SELECT, which checks the read policy once as its index condition (an UPDATE or DELETE
# scanning them would check it row by row). The differences come back to Python and are written
# by primary key in a few statements, each filtered on dealer_id: no temporary table feeds a
# write (on Citus an INSERT from a local table is a COPY, which row-level security refuses, and
# a write joining a distributed table with a local one is refused).
_KEY_MATCH = (
    "n.dealer_id = k.dealer_id AND n.day = k.day"
    " AND coalesce(n.consultant_id, 0) = coalesce(k.consultant_id, 0)"
    " AND coalesce(n.source_id, 0) = coalesce(k.source_id, 0)"
    " AND coalesce(n.vehicle_model_id, 0) = coalesce(k.vehicle_model_id, 0)"
)
_KEYS = ["dealer_id", "day", "consultant_id", "source_id", "vehicle_model_id"]
_COLUMNS = ", ".join([*_KEYS, *MEASURES])
WRITE_BATCH = 500  # differing rows per UPDATE / INSERT statement


def diff_days_sql() -> str:
    """The differences between the facts of the chunk's days as computed now (n) and as stored
    (k): (stored id or NULL, dealer_id, produced?, _KEYS, MEASURES). No stored id: a new row;
    not produced: a row to delete; both: a row to update."""
    return """{with_d}, n AS (
{compute}
)
SELECT k.id, coalesce(n.dealer_id, k.dealer_id), n.day IS NOT NULL, {new_columns}
  FROM n
  FULL JOIN (SELECT * FROM reports_kpiday WHERE dealer_id = ANY(%(ids)s)
                AND day BETWEEN %(start)s AND %(end)s) k ON {key_match}
 WHERE ({old_measures}) IS DISTINCT FROM ({new_measures})
""".format(  # noqa: S608 - constant SQL (column names from MEASURES, values are parameters)
        with_d=_with(False),
        compute=_compute_sql(False),
        new_columns=", ".join(f"n.{c}" for c in [*_KEYS, *MEASURES]),
        key_match=_KEY_MATCH,
        old_measures=", ".join(f"k.{m}" for m in MEASURES),
        new_measures=", ".join(f"n.{m}" for m in MEASURES),
    )


_COUNT_DAYS_SQL = (
    "SELECT count(*) FROM reports_kpiday WHERE dealer_id = ANY(%(ids)s)"
    " AND day BETWEEN %(start)s AND %(end)s"
)
_DELETE_ROWS_SQL = "DELETE FROM reports_kpiday WHERE dealer_id = ANY(%s) AND id = ANY(%s)"
_MEASURE_TYPES = ", ".join("%s::int" for _ in MEASURES)


def _update_rows_sql(n: int, measures: Sequence[str] = MEASURES) -> str:
    """UPDATE `measures` of n rows by primary key: parameters (id, dealer_id, *measures) per
    row, then the chunk's dealer ids."""
    types = ", ".join("%s::int" for _ in measures)
    values = ", ".join([f"(%s::bigint, %s::bigint, {types})"] * n)
    return (
        "UPDATE reports_kpiday k SET "  # noqa: S608 - constant SQL, values are parameters
        + ", ".join(f"{m} = v.{m}" for m in measures)
        + f" FROM (VALUES {values}) AS v (id, dealer_id, {', '.join(measures)})"
        " WHERE k.dealer_id = ANY(%s) AND k.dealer_id = v.dealer_id AND k.id = v.id"
    )


def _insert_rows_sql(n: int) -> str:
    row = f"(%s::bigint, %s::date, %s::bigint, %s::bigint, %s::bigint, {_MEASURE_TYPES})"
    return f"INSERT INTO reports_kpiday ({_COLUMNS}) VALUES " + ", ".join([row] * n)  # noqa: S608


def _merge(cursor: Any, part: Sequence[int], params: dict[str, Any]) -> int:
    """Compute the chunk's facts, compare them with the stored ones and write the differences
    (by primary key, dealer_id in every statement). Returns the day rows produced."""
    cursor.execute(diff_days_sql(), params)
    diff = cursor.fetchall()
    gone = [row[0] for row in diff if not row[2]]
    changed = [(row[0], row[1], *row[8:]) for row in diff if row[0] is not None and row[2]]
    new = [row[3:] for row in diff if row[0] is None]
    # the few differing rows by primary key: nested loops and index scans again
    cursor.execute("SET LOCAL enable_nestloop = on; SET LOCAL enable_indexscan = on")
    ids = list(part)
    if gone:
        cursor.execute(_DELETE_ROWS_SQL, [ids, gone])
    for start in range(0, len(changed), WRITE_BATCH):
        batch = changed[start : start + WRITE_BATCH]
        cursor.execute(_update_rows_sql(len(batch)), [v for r in batch for v in r] + [ids])
    for start in range(0, len(new), WRITE_BATCH):
        batch = new[start : start + WRITE_BATCH]
        cursor.execute(_insert_rows_sql(len(batch)), [v for r in batch for v in r])
    # the rows the days have now: those produced (an index-only count)
    cursor.execute(_COUNT_DAYS_SQL, params)
    produced: int = cursor.fetchone()[0]
    return produced


MONTHS_DELETE_SQL = """
DELETE FROM reports_kpimonth k
 USING (SELECT unnest(%(month_dealers)s::bigint[]) AS dealer_id,
               unnest(%(months)s::date[]) AS month) m
 WHERE k.dealer_id = ANY(%(dealer_set)s) AND k.month >= %(first_day)s AND k.month < %(after_day)s
   AND k.dealer_id = m.dealer_id AND k.month = m.month
"""


def _month_sums_sql(table: str, keys: list[str], measures: list[str], *, where: str = "") -> str:
    """INSERT into `table` the KpiDay rows of the (dealer, month) pairs summed per dealer ×
    month × `keys` (the month join is a hash join on the computed month)."""
    key_columns = ", ".join(f"k.{key}" for key in keys)
    return f"""
WITH m AS (SELECT unnest(%(month_dealers)s::bigint[]) AS dealer_id,
                  unnest(%(months)s::date[]) AS month)
INSERT INTO {table} (dealer_id, month, {", ".join(keys)}, {", ".join(measures)})
SELECT k.dealer_id, date_trunc('month', k.day::timestamp)::date, {key_columns},
       {", ".join(f"sum(k.{m})::int" for m in measures)}
  FROM reports_kpiday k JOIN m ON m.dealer_id = k.dealer_id
   AND m.month = date_trunc('month', k.day::timestamp)::date
 -- the same bounds as plain parameters: an index range scan instead of a scan of every fact
 WHERE k.dealer_id = ANY(%(dealer_set)s) AND k.day >= %(first_day)s AND k.day < %(after_day)s
   {where}
 GROUP BY {", ".join(str(i) for i in range(1, len(keys) + 3))}
"""  # noqa: S608 - constant SQL (names from the models, values are parameters)


MONTHS_SQL = _month_sums_sql("reports_kpimonth", ["vehicle_model_id"], MEASURES)
FUNNEL_MONTHS_DELETE_SQL = MONTHS_DELETE_SQL.replace("reports_kpimonth", "reports_kpifunnelmonth")
# only rows with a stage entry or a cohort (an opening is both): the funnel reads nothing else
FUNNEL_MONTHS_SQL = _month_sums_sql(
    "reports_kpifunnelmonth",
    ["consultant_id", "source_id", "vehicle_model_id"],
    FUNNEL_MEASURES,
    where="AND (" + " + ".join(f"k.{m}" for m in FUNNEL_MEASURES) + ") > 0",
)


# --- the cohorts of earlier opening days --------------------------------------------------------
# A lead counts in the cohort measures of its opening day's fact row (dealer, day, consultant it
# was opened for, source, model) and moves them whenever it moves, long after that day. A run
# that recomputes some days therefore also rewrites the cohort measures of the rows the leads
# that moved on those days count in, when those rows lie on an earlier day — those rows alone
# (not every row of their days), each recomputed from every lead of its key. A change of a lead's
# key (source, model) or a deleted lead marks its opening day dirty (dms.kpi.dirty): that
# day is recomputed in full. Read with SELECTs (the keys, then the new values compared with the
# stored ones), written by primary key like _merge: no UPDATE ... FROM a join of the source
# tables, no temporary table (Citus).


def _moved_keys_sql(pairs: bool) -> str:
    """The fact keys (dealer, opening day, consultant, source, model) of the leads with a stage
    change on the target days, opened on an earlier day that is not recomputed (pairs: a day
    that is not a target; a range: a day before %(before)s, the range's first day)."""
    op_day = _day("op.changed_at")
    earlier = (
        f"(op.dealer_id, {op_day}) NOT IN (SELECT * FROM targets)"  # noqa: S608
        if pairs
        else f"{op_day} < %(before)s"
    )
    sc_day = _day("sc.changed_at")
    return f"""{_with(pairs)}
SELECT DISTINCT op.dealer_id, {op_day}, op.consultant_id, l.source_id, l.vehicle_model_id
  FROM (SELECT DISTINCT sc.dealer_id, sc.lead_id FROM leads_stagechange sc
          JOIN d ON d.id = sc.dealer_id
         WHERE sc.dealer_id = ANY(%(ids)s) AND sc.changed_at BETWEEN %(lo)s AND %(hi)s
           AND {_keep("sc.dealer_id", sc_day, pairs)}) m
  JOIN leads_stagechange op ON op.dealer_id = m.dealer_id AND op.lead_id = m.lead_id
   AND op.from_stage = '' AND op.to_stage = 'new'
  JOIN d ON d.id = op.dealer_id
  JOIN leads_lead l ON l.dealer_id = op.dealer_id AND l.id = op.lead_id
 WHERE op.dealer_id = ANY(%(ids)s) AND op.changed_at <= %(hi)s AND {earlier}
"""  # noqa: S608 - constant SQL (values are parameters)


# The cohort measures of the given fact keys as they are now, against the stored rows: (id,
# dealer_id, day, consultant_id, source_id, vehicle_model_id, COHORT_MEASURES new, then as
# stored) of the rows that differ. The leads of a key: the openings in
# its local day (UTC bounds from Python) for its consultant, first (`o`: a range scan of the
# index (dealer, to_stage, changed_at) per key, materialized: the planner, misled by the
# estimates, otherwise joined every lead of the dealers to the keys by source and model first),
# then of those the leads of its source and model (NULL as 0, as in _KEY_MATCH), then their
# stage changes before the cutoff.
COHORT_DIFF_SQL = """WITH d AS (SELECT id, timezone AS tz FROM dealers_dealer WHERE id = ANY(%(ids)s)),
t AS (SELECT unnest(%(key_dealers)s::bigint[]) AS dealer_id, unnest(%(key_days)s::date[]) AS day,
             unnest(%(key_starts)s::timestamptz[]) AS lo, unnest(%(key_ends)s::timestamptz[]) AS hi,
             unnest(%(key_consultants)s::bigint[]) AS consultant_id,
             unnest(%(key_sources)s::bigint[]) AS source_id,
             unnest(%(key_models)s::bigint[]) AS model_id),
o AS MATERIALIZED (
SELECT op.dealer_id, op.id, op.lead_id, t.day, t.consultant_id, t.source_id, t.model_id
  FROM t JOIN leads_stagechange op ON op.dealer_id = t.dealer_id AND op.to_stage = 'new'
   AND op.changed_at >= t.lo AND op.changed_at < t.hi
 WHERE op.dealer_id = ANY(%(ids)s) AND op.from_stage = ''
   AND coalesce(op.consultant_id, 0) = t.consultant_id
),
c AS MATERIALIZED (
SELECT op.dealer_id, op.day, op.consultant_id, op.source_id, op.model_id,
       max({rank}) AS furthest,
       (array_agg(x.to_stage ORDER BY x.changed_at DESC, x.id DESC)
            FILTER (WHERE x.id IS NOT NULL))[1] AS last_stage
  FROM o op JOIN d ON d.id = op.dealer_id
  JOIN leads_lead l ON l.dealer_id = op.dealer_id AND l.id = op.lead_id
  LEFT JOIN leads_stagechange x ON x.dealer_id = op.dealer_id AND x.lead_id = op.lead_id
   AND x.changed_at < {cutoff}
 WHERE l.dealer_id = ANY(%(ids)s)
   AND coalesce(l.source_id, 0) = op.source_id AND coalesce(l.vehicle_model_id, 0) = op.model_id
 GROUP BY op.dealer_id, op.id, op.day, op.consultant_id, op.source_id, op.model_id
),
n AS (
SELECT c.dealer_id, c.day, c.consultant_id, c.source_id, c.model_id AS vehicle_model_id, {counts}
  FROM c GROUP BY 1, 2, 3, 4, 5
)
SELECT k.id, k.dealer_id, k.day, k.consultant_id, k.source_id, k.vehicle_model_id,
       {new_measures}, {old_measures}
  FROM n JOIN reports_kpiday k ON {key_match}
 WHERE k.dealer_id = ANY(%(ids)s) AND k.day BETWEEN %(first_day)s AND %(last_day)s
   AND ({old_measures}) IS DISTINCT FROM ({new_measures})
""".format(  # noqa: S608 - constant SQL (column names from the models, values are parameters)
    rank=_RANK,
    cutoff=_CUTOFF,
    counts=", ".join(f"{sql} AS {m}" for m, sql in _COHORT_COUNTS.items()),
    key_match=_KEY_MATCH,
    old_measures=", ".join(f"k.{m}" for m in COHORT_MEASURES),
    new_measures=", ".join(f"n.{m}" for m in COHORT_MEASURES),
)


# --- helpers -------------------------------------------------------------------------------------


def _params(
    ids: Sequence[int], start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> dict[str, Any]:
    return {
        "ids": list(ids),
        "start": start,
        "end": end,
        # the cohorts count the stage changes before the start of the dealer's day of `now`
        "now": now or timezone.now(),
        # UTC instants around the local days (any offset up to ±14 h)
        "lo": dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(hours=14),
        "hi": dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        + dt.timedelta(hours=14),
    }


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    out, m = [], start.replace(day=1)
    while m <= end:
        out.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return out


_INSERT_HEAD = re.compile(r"INSERT INTO (\w+) \(([^)]*)\)\s*")


def _insert_select(cursor: Any, sql: str, params: dict[str, Any]) -> int:
    """Run an `INSERT INTO t (...) SELECT ...` of this module; returns the rows written.

    On Citus an INSERT ... SELECT that cannot be pushed down to the shards is executed by pulling
    the rows to the coordinator and sending them back with COPY, which PostgreSQL refuses under
    row-level security. There the SELECT runs on its own and its rows go back with
    INSERT ... VALUES (each routed to its dealer's shard, checked by the write policy)."""
    if not on_citus(cursor):
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
    head = _INSERT_HEAD.search(sql)
    if head is None:
        raise ValueError("not an INSERT ... SELECT of the rollup")
    table, columns = head.group(1), head.group(2)
    cursor.execute(sql[: head.start()] + sql[head.end() :], params)
    rows = cursor.fetchall()
    if rows:
        marks = ", ".join(["%s"] * len(rows[0]))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
    return len(rows)


def _recompute_months(pairs: Iterable[tuple[int, dt.date]]) -> int:
    month_pairs = sorted({(dealer, day.replace(day=1)) for dealer, day in pairs})
    if not month_pairs:
        return 0
    params: dict[str, Any] = {
        "month_dealers": [p[0] for p in month_pairs],
        "months": [p[1] for p in month_pairs],
        "dealer_set": sorted({p[0] for p in month_pairs}),
        "first_day": min(p[1] for p in month_pairs),
        "after_day": (max(p[1] for p in month_pairs) + dt.timedelta(days=32)).replace(day=1),
    }
    with connection.cursor() as cursor:
        # few groups out of many day rows: hash them (the estimates of freshly written facts
        # are poor and led to sorting every row; the last statement of the transaction)
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(MONTHS_DELETE_SQL, params)
        month_rows = _insert_select(cursor, MONTHS_SQL, params)
        cursor.execute(FUNNEL_MONTHS_DELETE_SQL, params)
        _insert_select(cursor, FUNNEL_MONTHS_SQL, params)
        return month_rows


def _dealers(dealer_ids: Iterable[int] | None) -> list[tuple[int, str]]:
    qs = Dealer.objects.order_by("pk")
    if dealer_ids is not None:
        qs = qs.filter(pk__in=list(dealer_ids))
    return [(pk, tz or "UTC") for pk, tz in qs.values_list("pk", "timezone")]


def _previous_through(dealer_ids: Sequence[int] | None) -> dt.date | None:
    from .selectors import rolled_through  # noqa: PLC0415

    if dealer_ids is None:
        return rolled_through()
    values = [rolled_through(dealer_id=d) for d in dealer_ids]
    return None if not values or None in values else min(v for v in values if v is not None)


def earliest_day(dealer_ids: Sequence[int]) -> dt.date | None:
    """The first local day any of the dealers has funnel history (its first stage change):
    where a first complete rollup has to start."""
    if not dealer_ids:
        return None
    with as_dealers(dealer_ids), connection.cursor() as cursor:
        # a grouped subquery joined to the dealers (Citus plans no LATERAL subquery that
        # references a reference table)
        cursor.execute(
            "SELECT min((f.first AT TIME ZONE d.timezone)::date)"
            " FROM (SELECT dealer_id, min(changed_at) AS first FROM leads_stagechange"
            " WHERE dealer_id = ANY(%s) AND to_stage = 'new' GROUP BY dealer_id) f"
            " JOIN dealers_dealer d ON d.id = f.dealer_id",
            [list(dealer_ids)],
        )
        row = cursor.fetchone()
    first: dt.date | None = row[0] if row else None
    return first


def _through(
    scope: Sequence[int] | None,
    ids: Sequence[int],
    start: dt.date,
    end: dt.date,
    yesterday: dt.date,
) -> dt.date | None:
    """How far the facts of the run's dealers are complete: the run's end (not past yesterday)
    when it continues the previous runs without a gap — or, for the first run, starts at the
    beginning of the dealers' history — else unchanged."""
    prev = _previous_through(scope)
    end = min(end, yesterday)
    if end < start:
        return prev
    if prev is None:
        first = earliest_day(ids)
        return end if first is None or start <= first else None
    if start <= prev + dt.timedelta(days=1):
        return max(prev, end)
    return prev


# --- the services --------------------------------------------------------------------------------

# The facts lock of a dealer (advisory, per transaction): a rollup chunk holds it exclusively,
# every write to a table the facts are read from holds it shared (dms.kpi.dirty, when it
# marks the write's days). So two runs over one dealer take turns (they would otherwise insert
# the same day's facts twice), and a run waits for the writes in flight: none of them can find a
# day's mark present (ON CONFLICT DO NOTHING) that the run then deletes while computing the day
# without it.


def _lock_facts(cursor: Any, dealer_ids: Sequence[int]) -> None:
    cursor.execute(
        "SELECT pg_advisory_xact_lock(%s, d::int)"
        " FROM (SELECT DISTINCT unnest(%s::bigint[]) AS d ORDER BY 1) ids",  # no deadlock
        [FACTS_LOCK, list(dealer_ids)],
    )


def _day_windows(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """start..end in windows of at most BIG_RANGE_DAYS days."""
    out = []
    while start <= end:
        last = min(end, start + dt.timedelta(days=BIG_RANGE_DAYS - 1))
        out.append((start, last))
        start = last + dt.timedelta(days=1)
    return out


def _opened_before(cursor: Any, part: Sequence[int], day: dt.date) -> bool:
    """Whether a lead of the dealers may have been opened before their local `day`."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM leads_stagechange WHERE dealer_id = ANY(%s)"
        " AND to_stage = 'new' AND changed_at < %s)",
        [list(part), dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC) + dt.timedelta(hours=14)],
    )
    found: bool = cursor.fetchone()[0]
    return found


def _rollup_chunk(
    part: Sequence[int], start: dt.date, end: dt.date, now: dt.datetime
) -> tuple[int, int]:
    """Recompute the facts of one chunk of dealers in one transaction: (day rows, month rows).

    Where the chunk has no facts in the range yet (a first run) they are inserted directly;
    otherwise compared with the stored ones and only the differences written (a rerun over
    unchanged data then writes nothing and keeps the rows' ids)."""
    n_days = (end - start).days + 1
    params = _params(part, start, end, now)
    with transaction.atomic(), as_dealers(part, write=True), connection.cursor() as cursor:
        _lock_facts(cursor, part)
        cursor.execute(SMALL_PLANNER)
        # the cohorts of the leads opened before the range that moved in it (few rows, by index)
        months = {(d, m) for d in part for m in _months(start, end)}
        if _opened_before(cursor, part, start):
            _refresh_cohorts(cursor, part, _day_windows(start, end), now, recomputed_months=months)
        if n_days > BIG_RANGE_DAYS:
            cursor.execute(BULK_PLANNER)
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM reports_kpiday WHERE dealer_id = ANY(%(ids)s)"
            " AND day BETWEEN %(start)s AND %(end)s)",
            params,
        )
        has_facts = cursor.fetchone()[0]
        if not has_facts:
            rows = _insert_select(cursor, insert_days_sql(False), params)
        else:
            rows = _merge(cursor, part, params)
        month_rows = _recompute_months(months)
        cursor.execute(RESET_PLANNER)
    return rows, month_rows


def _run_chunks(
    chunks: list[list[int]],
    work: Callable[[list[int]], tuple[Any, ...]],
    jobs: int,
    progress: Progress | None = None,
) -> list[tuple[Any, ...]]:
    """Run `work` on every chunk of dealers, `jobs` chunks at once, each on its own database
    connection (a thread each: the work is in PostgreSQL, which then uses that many cores).
    Inside a transaction (tests, callers holding one) everything runs on this connection: the
    other connections would not see the transaction's rows."""
    if connection.in_atomic_block:
        jobs = 1

    def on_own_connection(part: list[int]) -> tuple[Any, ...]:
        try:
            return work(part)
        finally:
            connection.close()  # the thread's connection

    pool = None
    if jobs > 1 and len(chunks) > 1:
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="kpi-rollup")
        futures = {pool.submit(on_own_connection, part): part for part in chunks}
        results: Iterable[tuple[list[int], tuple[Any, ...]]] = (
            (futures[f], f.result()) for f in as_completed(futures)
        )
    else:
        results = ((part, work(part)) for part in chunks)
    out, dealers_done, dealers = [], 0, sum(len(part) for part in chunks)
    try:
        for done, (part, result) in enumerate(results, start=1):
            out.append(result)
            dealers_done += len(part)
            if progress is not None:
                progress(done, len(chunks), f"{dealers_done} of {dealers} dealers")
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return out


def _chunks(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), max(1, size))]


def _jobs(jobs: int | None) -> int:
    return settings.KPI_ROLLUP_JOBS if jobs is None else jobs


def rollup(
    dealer_ids: Iterable[int] | None,
    start: dt.date,
    end: dt.date,
    progress: Progress | None = None,
    *,
    chunk: int = DEFAULT_CHUNK,
    jobs: int | None = None,
    now: dt.datetime | None = None,
) -> KpiRun:
    """Recompute KpiDay of `dealer_ids` (None: every dealer) for the local days start..end
    (inclusive), then KpiMonth of the touched months. One transaction per chunk of dealers, `jobs`
    chunks at once (default: settings.KPI_ROLLUP_JOBS); idempotent. `progress(done, total,
    label)` is called after each chunk. The cohorts of the leads opened in the range count their
    stage changes up to the start of the dealer's day of `now` (default: the current time)."""
    if end < start:
        raise ValueError("The end date is before the start date.")
    dealers = _dealers(dealer_ids)
    ids = [d for d, _ in dealers]
    scope = None if dealer_ids is None else ids
    now = now or timezone.now()
    run = KpiRun.objects.create(
        kind=KpiRun.Kind.RANGE, dealer_ids=scope, start=start, end=end, started_at=now
    )
    yesterday = min((today_in(tz, now) for _, tz in dealers), default=now.date())
    yesterday -= dt.timedelta(days=1)
    results = _run_chunks(
        _chunks(ids, chunk),
        lambda part: _rollup_chunk(part, start, end, now),
        _jobs(jobs),
        progress,
    )
    rows, month_rows = (sum(r[i] for r in results) for i in (0, 1))
    run.dealer_days = len(ids) * ((end - start).days + 1)
    run.rows, run.month_rows = rows, month_rows
    run.through = _through(scope, ids, start, end, yesterday)
    run.finished_at = timezone.now()
    run.save(update_fields=["dealer_days", "rows", "month_rows", "through", "finished_at"])
    forget_rolled_through()
    return run


def _windows(pairs: list[tuple[int, dt.date]]) -> list[list[tuple[int, dt.date]]]:
    """Sorted (dealer, day) pairs grouped into windows of at most BIG_RANGE_DAYS days, so that a
    day marked dirty long ago does not make one statement read the whole time in between."""
    windows: list[list[tuple[int, dt.date]]] = []
    first_day: dt.date | None = None
    for pair in sorted(pairs, key=lambda p: (p[1], p[0])):
        if first_day is None or (pair[1] - first_day).days >= BIG_RANGE_DAYS:
            windows.append([])
            first_day = pair[1]
        windows[-1].append(pair)
    return windows


def _refresh_cohorts(
    cursor: Any,
    part: Sequence[int],
    windows: list[list[tuple[int, dt.date]]] | list[tuple[dt.date, dt.date]],
    now: dt.datetime,
    *,
    skip: set[tuple[int, dt.date]] | None = None,
    recomputed_months: set[tuple[int, dt.date]],
) -> None:
    """Rewrite the cohort measures of the fact rows the leads that moved on the recomputed days
    count in, where those rows lie on an earlier day that is not recomputed: `windows` are the
    recomputed (dealer, day) pairs in windows (the nightly run; `skip`: all of them) or
    (start, end) windows of a range recomputed for every dealer of `part` (then only opening
    days before its first day qualify). Their months move by the differences, but for
    `recomputed_months` (dealer, first day of month), which the run recomputes after this."""
    keys: set[tuple[Any, ...]] = set()
    before = min((w[0] for w in windows if isinstance(w, tuple)), default=None)
    for window in windows:
        if isinstance(window, tuple):
            params = _params(part, window[0], window[1], now)
            params["before"] = before
            cursor.execute(_moved_keys_sql(False), params)
        else:
            cursor.execute(_moved_keys_sql(True), _window_params(part, window, now))
        keys.update(cursor.fetchall())
    if skip:
        keys = {k for k in keys if (k[0], k[1]) not in skip}
    if not keys:
        return
    cursor.execute("SELECT id, timezone FROM dealers_dealer WHERE id = ANY(%s)", [list(part)])
    zones = {pk: zone_named(tz) for pk, tz in cursor.fetchall()}
    ordered = sorted(keys, key=lambda k: (k[0], k[1], k[2] or 0, k[3] or 0, k[4] or 0))
    params = {
        "ids": list(part),
        "now": now,
        "key_dealers": [k[0] for k in ordered],
        "key_days": [k[1] for k in ordered],
        # the key's local day in UTC (the same instants as the SQL's AT TIME ZONE)
        "key_starts": [dt.datetime.combine(k[1], dt.time.min, tzinfo=zones[k[0]]) for k in ordered],
        "key_ends": [
            dt.datetime.combine(k[1] + dt.timedelta(days=1), dt.time.min, tzinfo=zones[k[0]])
            for k in ordered
        ],
        "key_consultants": [k[2] or 0 for k in ordered],
        "key_sources": [k[3] or 0 for k in ordered],
        "key_models": [k[4] or 0 for k in ordered],
        "first_day": min(k[1] for k in ordered),
        "last_day": max(k[1] for k in ordered),
    }
    # nested loops along the indexes (a key, its openings, their leads and stage changes): few
    # rows per key, and the estimates of the arrays misled the planner into merging every
    # opening of the dealers with the keys
    cursor.execute("SET LOCAL enable_mergejoin = off; SET LOCAL enable_hashjoin = off")
    cursor.execute(COHORT_DIFF_SQL, params)
    diff = cursor.fetchall()
    cursor.execute("RESET enable_mergejoin; RESET enable_hashjoin")
    ids = list(part)
    width = len(COHORT_MEASURES)
    for first in range(0, len(diff), WRITE_BATCH):
        batch = [(r[0], r[1], *r[6 : 6 + width]) for r in diff[first : first + WRITE_BATCH]]
        cursor.execute(
            _update_rows_sql(len(batch), COHORT_MEASURES), [v for r in batch for v in r] + [ids]
        )
    _shift_month_cohorts(cursor, ids, diff, skip_months=recomputed_months)


def _shift_month_cohorts(
    cursor: Any,
    ids: list[int],
    diff: list[tuple[Any, ...]],
    *,
    skip_months: set[tuple[int, dt.date]],
) -> None:
    """Move the cohort measures of KpiMonth and KpiFunnelMonth by what the rewritten day rows
    (`diff`, as COHORT_DIFF_SQL returns them) changed, for the months the run does not recompute
    anyway: an UPDATE by key adding the differences (the months' other measures and rows stay;
    recomputing a whole month from its days for a few rows read every day of it). A month row
    that is missing, or would go below 0 (its days and it disagree), gets its month recomputed
    instead."""
    width = len(COHORT_MEASURES)
    months: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * width)
    funnel_months: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * width)
    for row in diff:
        dealer_id, day, consultant_id, source_id, model_id = row[1:6]
        month = day.replace(day=1)
        if (dealer_id, month) in skip_months:
            continue
        new, old = row[6 : 6 + width], row[6 + width :]
        for key, target in (
            ((dealer_id, month, model_id or 0), months),
            ((dealer_id, month, consultant_id or 0, source_id or 0, model_id or 0), funnel_months),
        ):
            sums = target[key]
            for i in range(width):
                sums[i] += new[i] - old[i]
    missing: set[tuple[int, dt.date]] = set()
    for table, keys, changes in (
        ("reports_kpimonth", ["vehicle_model_id"], months),
        (
            "reports_kpifunnelmonth",
            ["consultant_id", "source_id", "vehicle_model_id"],
            funnel_months,
        ),
    ):
        items = [(k, v) for k, v in changes.items() if any(v)]
        for first in range(0, len(items), WRITE_BATCH):
            batch = items[first : first + WRITE_BATCH]
            cursor.execute(
                _shift_months_sql(table, keys, len(batch)),
                [x for key, sums in batch for x in (*key, *sums)] + [ids],
            )
            if cursor.rowcount != len(batch):
                missing.update((key[0], key[1]) for key, _sums in batch)
    if missing:
        _recompute_months(missing)


def _shift_months_sql(table: str, keys: list[str], n: int) -> str:
    """UPDATE `table` adding n rows of cohort differences, each matched by (dealer_id, month,
    `keys` with NULL as 0); parameters per row: dealer_id, month, keys, COHORT_MEASURES."""
    types = ", ".join(
        ["%s::bigint", "%s::date", *["%s::bigint"] * len(keys), *["%s::int"] * len(COHORT_MEASURES)]
    )
    values = ", ".join([f"({types})"] * n)
    match = " AND ".join(f"coalesce(k.{key}, 0) = v.{key}" for key in keys)
    return (
        f"UPDATE {table} k SET "  # noqa: S608 - constant SQL (names from the models), parameters
        + ", ".join(f"{m} = k.{m} + v.{m}" for m in COHORT_MEASURES)
        + f" FROM (VALUES {values}) AS v (dealer_id, month, {', '.join(keys)},"
        f" {', '.join(COHORT_MEASURES)})"
        f" WHERE k.dealer_id = ANY(%s) AND k.dealer_id = v.dealer_id AND k.month = v.month"
        f" AND {match} AND "
        # a month that would go below 0 does not hold what its days held: recomputed instead
         + " AND ".join(f"k.{m} + v.{m} >= 0" for m in COHORT_MEASURES)
    )


def _nightly_chunk(
    part: list[int],
    today: dict[int, dt.date],
    first: dt.date,
    last: dt.date,
    now: dt.datetime,
) -> tuple[int, int, int, dt.date | None]:
    """One chunk of the nightly run, in one transaction: take the chunk's dirty days (DELETE ...
    RETURNING: a concurrent change marks its day again after our commit, so none is lost), add
    every day from `first` to the dealer's yesterday (at most to `last`), delete and insert their
    facts; rewrite the cohort measures of the opening days of the leads that moved on any of those
    days; recompute the touched months. Returns (dealer-days, day rows, month rows, earliest
    day)."""
    pairs: set[tuple[int, dt.date]] = set()
    rows = 0
    with transaction.atomic(), as_dealers(part, write=True), connection.cursor() as cursor:
        _lock_facts(cursor, part)
        cursor.execute(SMALL_PLANNER)
        cursor.execute(
            "DELETE FROM reports_kpidirtyday WHERE dealer_id = ANY(%s) RETURNING dealer_id, day",
            [part],
        )
        pairs.update((d, day) for d, day in cursor.fetchall() if day < today[d])
        for dealer_id in part:
            day = first
            while day < today[dealer_id] and day <= last:
                pairs.add((dealer_id, day))
                day += dt.timedelta(days=1)
        for window in _windows(sorted(pairs)):
            params = _window_params(part, window, now)
            cursor.execute(_delete_days_sql(True), params)
            rows += _insert_select(cursor, insert_days_sql(True), params)
        # the cohorts of earlier opening days of the leads that moved on those days
        _refresh_cohorts(
            cursor,
            part,
            _windows(sorted(pairs)),
            now,
            skip=pairs,
            recomputed_months={(d, day.replace(day=1)) for d, day in pairs},
        )
        month_rows = _recompute_months(pairs)
        cursor.execute(RESET_PLANNER)
    return len(pairs), rows, month_rows, min((p[1] for p in pairs), default=None)


def _window_params(
    part: Sequence[int], window: list[tuple[int, dt.date]], now: dt.datetime
) -> dict[str, Any]:
    days = [p[1] for p in window]
    params = _params(part, min(days), max(days), now)
    params["pair_dealers"] = [p[0] for p in window]
    params["pair_days"] = days
    return params


def nightly(
    *,
    now: dt.datetime | None = None,
    dealer_ids: Iterable[int] | None = None,
    chunk: int = DEFAULT_CHUNK,
    jobs: int | None = None,
) -> KpiRun:
    """The incremental run: every day from the last rolled-through day to yesterday (normally
    yesterday alone, at most MAX_CATCH_UP_DAYS) plus every earlier day marked dirty by a late or
    backdated change. One transaction per chunk of dealers; running it twice changes nothing.
    The rolled-through day only moves once every chunk is done."""
    now = now or timezone.now()
    dealers = _dealers(dealer_ids)
    ids = [d for d, _ in dealers]
    scope = None if dealer_ids is None else ids
    today = {d: today_in(tz, now) for d, tz in dealers}
    yesterday = min(today.values(), default=now.date()) - dt.timedelta(days=1)
    prev = _previous_through(scope)
    if prev is None:
        # No complete facts yet: the first run covers the whole history (chunked), once.
        # The dirty marks stay: a change committed while a chunk was being computed may be
        # missing from it, and its mark (possibly an older row for the same day) is the only
        # trace. The next night recomputes the marked days once more.
        begin = earliest_day(ids) or yesterday
        run = rollup(scope, min(begin, yesterday), yesterday, chunk=chunk, jobs=jobs, now=now)
        KpiRun.objects.filter(pk=run.pk).update(kind=KpiRun.Kind.NIGHTLY)
        run.kind = KpiRun.Kind.NIGHTLY
        return run
    first = min(prev + dt.timedelta(days=1), yesterday)
    # after a long pause, MAX_CATCH_UP_DAYS per night from where the facts end (no gap is skipped)
    last = first + dt.timedelta(days=MAX_CATCH_UP_DAYS - 1)
    run = KpiRun.objects.create(
        kind=KpiRun.Kind.NIGHTLY,
        dealer_ids=scope,
        started_at=now,
        start=first,
        end=min(yesterday, last),
    )
    results = _run_chunks(
        _chunks(ids, chunk),
        lambda part: _nightly_chunk(part, today, first, last, now),
        _jobs(jobs),
    )
    run.dealer_days, run.rows, run.month_rows = (sum(r[i] for r in results) for i in (0, 1, 2))
    run.start = min((r[3] for r in results if r[3] is not None), default=first)
    run.through = max(prev, min(yesterday, last))
    run.finished_at = timezone.now()
    run.save()
    forget_rolled_through()
    return run


def dirty_days(dealer_ids: Iterable[int]) -> dict[int, list[dt.date]]:
    """The days waiting for the nightly run, per dealer (for the command and tests)."""
    from reports.models import KpiDirtyDay

    ids = list(dealer_ids)
    out: dict[int, list[dt.date]] = defaultdict(list)
    with as_dealers(ids):
        for dealer_id, day in (
            KpiDirtyDay.objects.filter(Q(dealer_id__in=ids))
            .order_by("dealer_id", "day")
            .values_list("dealer_id", "day")
        ):
            out[dealer_id].append(day)
    return dict(out)

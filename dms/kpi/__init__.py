"""What the tables the KPI facts are read from owe the facts: marking the days their writes
change (dirty.py), for the nightly rollup (reports.rollup). Below leads/ and sales/, whose models
inherit KpiSource, so that they need not import reports/."""

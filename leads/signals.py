"""Signals leads/ sends for others to answer (leads/ imports none of them: reports/ connects)."""

from django.dispatch import Signal

# A seeding run (leads.demo.seed_funnel) has written its dealers' history. Arguments: dealers,
# network (every dealer seeded?), progress (a callable for a line of output, or None), now.
# reports/ answers with the KPI facts of that history (reports.rollup.demo).
history_seeded = Signal()

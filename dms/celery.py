from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")

app = Celery("dms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["dealers.handover"])  # issue 4: departures and cover
app.autodiscover_tasks(["inventory.orders"])  # issue 15: reorder suggestions

# Beat schedule: one place, in code. Issues add their periodic tasks here.
app.conf.beat_schedule = {
    # Sales funnel (leads/tasks.py): reminders and escalations every few minutes, planning nightly.
    "leads-follow-up-reminders": {
        "task": "leads.dispatch_follow_up_reminders",
        "schedule": 300.0,
    },
    "leads-first-response-escalations": {
        "task": "leads.dispatch_first_response_escalations",
        "schedule": 300.0,
    },
    # Departures and temporary cover (dealers/handover/tasks.py): idempotent, hourly.
    "dealers-departures": {
        "task": "dealers.dispatch_departures",
        "schedule": crontab(minute=5),
    },
    "dealers-cover-periods": {
        "task": "dealers.dispatch_cover_periods",
        "schedule": crontab(minute=10),
    },
    "leads-day-planning": {
        "task": "leads.dispatch_day_planning",
        "schedule": crontab(hour=2, minute=30),
    },
    # KPI facts (reports/rollup/tasks.py): yesterday plus late/backdated days; idempotent.
    "reports-kpi-rollup": {
        "task": "reports.rollup.nightly",
        "schedule": crontab(hour=2, minute=45),
    },
    # KPI pack exports (reports/exports/tasks.py): delete files past DMS_EXPORT_KEEP_DAYS and
    # fail jobs silent for DMS_EXPORT_STALE_MINUTES. Every 15 minutes so a dead job is reported
    # soon after the stale limit; idempotent and cheap when there is nothing to do.
    # Idempotency keys (dms/idempotency/tasks.py): answers older than a day are forgotten.
    "idempotency-sweep": {
        "task": "dms.idempotency.sweep",
        "schedule": crontab(minute=20),
    },
    # Bulletins (bulletins/tasks.py): acknowledgement reminders 48 h before the deadline and
    # escalation to the dealer's manager after it; once per recipient and round, idempotent.
    "bulletins-ack-reminders": {
        "task": "bulletins.dispatch_ack_reminders",
        "schedule": crontab(minute="*/15"),
    },
    # Parts reorder suggestions (inventory/orders/tasks.py): one draft stock order per dealer
    # from its reorder points and last 90 days' demand; idempotent (rebuilt until edited).
    "inventory-reorder-suggestions": {
        "task": "inventory.orders.dispatch_reorder_suggestions",
        "schedule": crontab(hour=3, minute=15),
    },
    "reports-export-sweep": {
        "task": "reports.exports.sweep",
        "schedule": crontab(minute="*/15"),
    },
}

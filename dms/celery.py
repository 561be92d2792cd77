from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dms.settings")

app = Celery("dms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Beat schedule: one place, in code. Issues add their periodic tasks here.
app.conf.beat_schedule = {}

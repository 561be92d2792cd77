"""Celery discovers reports.tasks: the tasks live next to their services."""

from reports.exports.tasks import *  # noqa: F403
from reports.rollup.tasks import *  # noqa: F403

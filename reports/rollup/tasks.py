"""Celery tasks of the KPI rollup."""

"""Celery tasks of the KPI exports."""

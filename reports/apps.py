from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_delete

        from dms.kpi.dirty import SOURCES, KpiSource, on_deleted

        # A source row deleted by any collector (a cascade from another model included) marks
        # its days; the KPI sources' own delete() batch these marks (dms.kpi.dirty).
        for model in apps.get_models():
            if issubclass(model, KpiSource):
                if model._meta.label not in SOURCES:
                    raise RuntimeError(f"{model._meta.label} is a KpiSource missing from SOURCES")
                post_delete.connect(on_deleted, sender=model, dispatch_uid=f"kpi-dirty-{model}")

        from leads.signals import history_seeded

        from .rollup.demo import roll_up_history

        # a seeded demo history gets its KPI facts at once (leads/ does not import reports/)
        history_seeded.connect(roll_up_history, dispatch_uid="kpi-seeded-history")

        from inventory.vehicles import demand

        from .plans.selectors import monthly_delivery_plan

        # HQ's vehicle allocation rule weighs stock against the plan (inventory does not import
        # reports).
        demand.register(demand.MONTHLY_PLAN, monthly_delivery_plan)

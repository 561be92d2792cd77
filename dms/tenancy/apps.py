from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "dms.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (grants for the runtime role after migrate)

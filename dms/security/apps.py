from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "dms.security"
    label = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        from . import signals  # noqa: F401

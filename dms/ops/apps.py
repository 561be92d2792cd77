from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: database setup, the demo network's helpers and health-check tasks."""

    name = "dms.ops"
    label = "ops"
    verbose_name = _("Operations")

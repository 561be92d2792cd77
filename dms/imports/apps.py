from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "dms.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        # Each app registers its kinds of import (dms.imports.engine.register) in these modules;
        # found by name, so this core package imports no app.
        autodiscover_modules("imports", "price_imports", "campaign_imports")

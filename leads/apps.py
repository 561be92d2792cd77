from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"

    def ready(self) -> None:
        # Bulletin reminders use the in-app notification, which lives here (a layer above
        # bulletins/): hand it over instead of letting bulletins/ import upwards.
        from bulletins.notify import set_notifier

        from .services.routing import notify

        set_notifier(notify)

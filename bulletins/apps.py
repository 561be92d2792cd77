from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "bulletins"

    def ready(self) -> None:
        # Someone who joins a targeted dealer (or changes role) gets the bulletins still live;
        # dealers/ sends the signal, bulletins/ (the layer above) listens.
        from dealers.models import Membership
        from dealers.signals import membership_changed
        from dms.navigation import register_badge

        from .badges import inbox_badge
        from .services import on_membership_changed

        register_badge("bulletins", inbox_badge)

        membership_changed.connect(
            on_membership_changed, sender=Membership, dispatch_uid="bulletins-membership"
        )

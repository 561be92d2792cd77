from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "sales"

    def ready(self) -> None:
        from inventory.vehicles import demand

        from .selectors import open_orders_without_vehicle

        # HQ's vehicle allocation rule asks for the open orders waiting for a vehicle
        # (inventory does not import sales).
        demand.register(demand.OPEN_ORDERS, open_orders_without_vehicle)

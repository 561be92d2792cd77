"""Inventory pages (mounted at /inventory/): the HQ catalogue now (inventory/catalogue/), the
dealer's stock later (issue 15), each under its own path and URL names."""

from django.urls import include, path

from .catalogue import urls as catalogue_urls
from .orders import urls as orders_urls
from .stock import urls as stock_urls
from .vehicles import urls as vehicle_urls

app_name = "inventory"
urlpatterns = [
    path("catalogue/", include(catalogue_urls.urlpatterns)),
    path("parts/", include(stock_urls.urlpatterns)),
    path("vehicles/", include(vehicle_urls.urlpatterns)),
    path("orders/", include(orders_urls.urlpatterns)),
]

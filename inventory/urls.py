"""Inventory pages (mounted at /inventory/): the HQ catalogue now (inventory/catalogue/), the
dealer's stock later (issue 15), each under its own path and URL names."""

from django.urls import include, path

from .catalogue import urls as catalogue_urls
from .orders import urls as orders_urls

app_name = "inventory"
urlpatterns = [
    path("catalogue/", include(catalogue_urls.urlpatterns)),
    path("orders/", include(orders_urls.urlpatterns)),
]

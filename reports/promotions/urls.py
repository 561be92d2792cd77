"""Promotion uptake for HQ, included by reports/urls.py under /reports/promotions/ (namespace
`reports`)."""

from dealers.access import HQ_READERS, Rule, route

from . import views

urlpatterns = [
    route(
        "<int:pk>/uptake/",
        views.promotion_uptake_view,
        name="promotion_uptake",
        access=Rule(read=HQ_READERS),
    ),
]

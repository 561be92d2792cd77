from dealers.access import KPI_DEALER_READERS, KPI_NETWORK_READERS, Rule, route

from . import views

urlpatterns = [
    route(
        "",
        views.DealerDashboardView.as_view(),
        name="kpi_dashboard",
        access=Rule(read=KPI_DEALER_READERS),
    ),
    route(
        "network/",
        views.NetworkView.as_view(),
        name="kpi_network",
        access=Rule(read=KPI_NETWORK_READERS),
    ),
    route(
        "network/<int:dealer_id>/",
        views.NetworkDealerView.as_view(),
        name="kpi_network_dealer",
        access=Rule(read=KPI_NETWORK_READERS),
    ),
]

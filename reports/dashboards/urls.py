from django.urls import path

from . import views

urlpatterns = [
    path("", views.DealerDashboardView.as_view(), name="kpi_dashboard"),
    path("network/", views.NetworkView.as_view(), name="kpi_network"),
    path("network/<int:dealer_id>/", views.NetworkDealerView.as_view(), name="kpi_network_dealer"),
]

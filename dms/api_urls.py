"""All API routes under /api/. Apps register their viewsets on the one router."""

from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import APIRootView, DefaultRouter

from bulletins.api import BulletinComplianceAPIView, BulletinInboxViewSet
from bulletins.api_prices import PricesAPIView
from bulletins.promotion_api import PromotionsAPIView
from dealers.access import SIGNED_IN, DeclaredAccess, Rule
from dealers.api import AbsenceViewSet
from dms.api.views import MeView
from dms.audit.api import AuditEntryViewSet
from dms.security.api import IssueTokenView
from inventory.api import (
    ColourViewSet,
    LabourOperationViewSet,
    OptionViewSet,
    PartViewSet,
    VehicleModelViewSet,
)
from inventory.orders.api import NetworkPartsOrderViewSet, PartsOrderViewSet
from inventory.stock.api import (
    PartLookupAPIView,
    PartReservationViewSet,
    PartStockViewSet,
    PartTransferViewSet,
)
from inventory.vehicles.api import StockVehicleViewSet, VehicleViewSet
from leads.api.customers import CustomerViewSet
from leads.api.followups import FollowUpViewSet
from leads.api.leads import LeadViewSet
from leads.api.visits import VisitViewSet
from reports.funnel.api import FunnelAPIView
from sales.api import DemoVehicleViewSet, OrderViewSet, QuoteViewSet, TestDriveViewSet


class DeclaredAPIRootView(APIRootView):
    """The API's index: any signed-in user (it lists the endpoints, no object)."""

    permission_classes = [IsAuthenticated, DeclaredAccess]
    access_rule = Rule(read=SIGNED_IN)


class DeclaredRouter(DefaultRouter):
    APIRootView = DeclaredAPIRootView


router = DeclaredRouter()
router.register("absences", AbsenceViewSet, basename="absence")
router.register("bulletins", BulletinInboxViewSet, basename="bulletin")
router.register("audit-entries", AuditEntryViewSet, basename="audit-entry")
router.register("customers", CustomerViewSet, basename="customer")
router.register("visits", VisitViewSet, basename="visit")
router.register("leads", LeadViewSet, basename="lead")
router.register("follow-ups", FollowUpViewSet, basename="follow-up")
router.register("demo-vehicles", DemoVehicleViewSet, basename="demo-vehicle")
router.register("test-drives", TestDriveViewSet, basename="test-drive")
router.register("quotes", QuoteViewSet, basename="quote")
router.register("orders", OrderViewSet, basename="order")
# the HQ catalogue, read only
# parts orders (HQ's network view first: its prefix is longer)
router.register("parts-orders/network", NetworkPartsOrderViewSet, basename="parts-order-network")
router.register("parts-orders", PartsOrderViewSet, basename="parts-order")
router.register("catalogue/parts", PartViewSet, basename="catalogue-part")
router.register("catalogue/labour-operations", LabourOperationViewSet, basename="catalogue-labour")
router.register("catalogue/models", VehicleModelViewSet, basename="catalogue-model")
router.register("catalogue/colours", ColourViewSet, basename="catalogue-colour")
router.register("catalogue/options", OptionViewSet, basename="catalogue-option")
# vehicle stock: the dealer's own vehicles (before HQ's, whose <pk> would take "stock")
router.register("vehicles/stock", StockVehicleViewSet, basename="vehicle-stock")
router.register("vehicles", VehicleViewSet, basename="vehicle")
# the dealer's parts store (issue 15)
router.register("parts-stock", PartStockViewSet, basename="parts-stock")
router.register("parts-reservations", PartReservationViewSet, basename="parts-reservation")
router.register("parts-transfers", PartTransferViewSet, basename="parts-transfer")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("auth/token/", IssueTokenView.as_view(), name="api-token"),
    path("funnel/", FunnelAPIView.as_view(), name="api-funnel"),
    path("promotions/", PromotionsAPIView.as_view(), name="api-promotions"),
    path("prices/", PricesAPIView.as_view(), name="api-prices"),
    path(
        "bulletin-compliance/<int:pk>/",
        BulletinComplianceAPIView.as_view(),
        name="api-bulletin-compliance",
    ),
    path("parts-stock/lookup/", PartLookupAPIView.as_view(), name="api-parts-lookup"),
    path("", include(router.urls)),
]

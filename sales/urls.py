"""Showroom pages (mounted at /showroom/): test drives, demo fleet, quotes, orders.

Every page shows customers' personal data (names, addresses, licence numbers): the dealer's own
sales staff only, never HQ (HQ reads the funnel's figures under /reports/)."""

from dealers.access import SALES_APPROVERS, SALES_MANAGERS, SALES_STAFF, Rule, route

from . import views

app_name = "sales"

STAFF = Rule(read=SALES_STAFF, write=SALES_STAFF)
# The demo fleet is the manager's to change; discounts are decided by approvers.
FLEET = Rule(read=SALES_STAFF, write=SALES_MANAGERS)
DISCOUNT = Rule(read=SALES_STAFF, write=SALES_APPROVERS)

urlpatterns = [
    # test drives and the demo fleet
    route("test-drives/", views.test_drive_list, name="test_drives", access=STAFF),
    route("test-drives/planner/", views.test_drive_planner, name="testdrive_planner", access=STAFF),
    route(
        "leads/<int:lead_id>/test-drive/",
        views.test_drive_create,
        name="testdrive_create",
        access=STAFF,
    ),
    route("test-drives/<int:pk>/", views.test_drive_detail, name="testdrive_detail", access=STAFF),
    route(
        "test-drives/<int:pk>/check-out/",
        views.test_drive_checkout,
        name="testdrive_checkout",
        access=STAFF,
    ),
    route(
        "test-drives/<int:pk>/check-in/",
        views.test_drive_checkin,
        name="testdrive_checkin",
        access=STAFF,
    ),
    route(
        "test-drives/<int:pk>/cancel/",
        views.test_drive_cancel,
        name="testdrive_cancel",
        access=STAFF,
    ),
    route("demo-vehicles/", views.demo_vehicle_list, name="demo_vehicles", access=FLEET),
    route(
        "demo-vehicles/<int:pk>/active/",
        views.demo_vehicle_active,
        name="demo_vehicle_active",
        access=FLEET,
    ),
    # quotes
    route("quotes/", views.quote_list, name="quotes", access=STAFF),
    route("leads/<int:lead_id>/quote/", views.quote_create, name="quote_create", access=STAFF),
    route(
        "leads/<int:lead_id>/quote/preview/",
        views.quote_preview,
        name="quote_preview",
        access=STAFF,
    ),
    route("quotes/<int:pk>/", views.quote_detail, name="quote_detail", access=STAFF),
    route("quotes/<int:pk>/edit/", views.quote_edit, name="quote_edit", access=STAFF),
    route("quotes/<int:pk>/send/", views.quote_send, name="quote_send", access=STAFF),
    route("quotes/<int:pk>/accept/", views.quote_accept, name="quote_accept", access=STAFF),
    route("quotes/<int:pk>/decline/", views.quote_decline, name="quote_decline", access=STAFF),
    route(
        "quotes/<int:pk>/discount/", views.quote_discount, name="quote_discount", access=DISCOUNT
    ),
    route("quotes/<int:pk>/pdf/", views.quote_pdf, name="quote_pdf", access=Rule(read=SALES_STAFF)),
    # orders and delivery
    route("quotes/<int:quote_id>/order/", views.order_create, name="order_create", access=STAFF),
    route("orders/", views.order_list, name="orders", access=STAFF),
    route("orders/<int:pk>/", views.order_detail, name="order_detail", access=STAFF),
    route("orders/<int:pk>/payments/", views.order_payment, name="order_payment", access=STAFF),
    route("orders/<int:pk>/details/", views.order_details, name="order_details", access=STAFF),
    route(
        "orders/<int:pk>/checklist/", views.order_checklist, name="order_checklist", access=STAFF
    ),
    route("orders/<int:pk>/deliver/", views.order_deliver, name="order_deliver", access=STAFF),
    # the order's stock vehicle (inventory.vehicles): reserve, release, or ask HQ for one
    route(
        "orders/<int:pk>/vehicle/reserve/",
        views.order_reserve_vehicle,
        name="order_reserve_vehicle",
        access=STAFF,
    ),
    route(
        "orders/<int:pk>/vehicle/release/",
        views.order_release_vehicle,
        name="order_release_vehicle",
        access=STAFF,
    ),
    route(
        "orders/<int:pk>/vehicle/request/",
        views.order_request_vehicle,
        name="order_request_vehicle",
        access=STAFF,
    ),
    route("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel", access=DISCOUNT),
]

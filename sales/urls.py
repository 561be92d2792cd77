"""Showroom pages (mounted at /showroom/): test drives, demo fleet, quotes, orders."""

from django.urls import path

from . import views

app_name = "sales"

urlpatterns = [
    # test drives and the demo fleet
    path("test-drives/", views.test_drive_list, name="test_drives"),
    path("test-drives/planner/", views.test_drive_planner, name="testdrive_planner"),
    path("leads/<int:lead_id>/test-drive/", views.test_drive_create, name="testdrive_create"),
    path("test-drives/<int:pk>/", views.test_drive_detail, name="testdrive_detail"),
    path("test-drives/<int:pk>/check-out/", views.test_drive_checkout, name="testdrive_checkout"),
    path("test-drives/<int:pk>/check-in/", views.test_drive_checkin, name="testdrive_checkin"),
    path("test-drives/<int:pk>/cancel/", views.test_drive_cancel, name="testdrive_cancel"),
    path("demo-vehicles/", views.demo_vehicle_list, name="demo_vehicles"),
    path("demo-vehicles/<int:pk>/active/", views.demo_vehicle_active, name="demo_vehicle_active"),
    # quotes
    path("quotes/", views.quote_list, name="quotes"),
    path("leads/<int:lead_id>/quote/", views.quote_create, name="quote_create"),
    path("leads/<int:lead_id>/quote/preview/", views.quote_preview, name="quote_preview"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", views.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/send/", views.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/decline/", views.quote_decline, name="quote_decline"),
    path("quotes/<int:pk>/discount/", views.quote_discount, name="quote_discount"),
    path("quotes/<int:pk>/pdf/", views.quote_pdf, name="quote_pdf"),
    # orders and delivery
    path("quotes/<int:quote_id>/order/", views.order_create, name="order_create"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/payments/", views.order_payment, name="order_payment"),
    path("orders/<int:pk>/details/", views.order_details, name="order_details"),
    path("orders/<int:pk>/checklist/", views.order_checklist, name="order_checklist"),
    path("orders/<int:pk>/deliver/", views.order_deliver, name="order_deliver"),
]

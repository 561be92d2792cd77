from django.urls import path

from . import views

app_name = "handover"
urlpatterns = [
    path("", views.HandoverHomeView.as_view(), name="home"),
    path("staff/<int:pk>/leave/", views.DepartureView.as_view(), name="leave"),
    path("staff/<int:pk>/", views.WizardView.as_view(), name="wizard"),
    path("batches/<int:pk>/", views.BatchView.as_view(), name="batch"),
    path("batches/<int:pk>/apply/", views.BatchApplyView.as_view(), name="batch-apply"),
    path("batches/<int:pk>/discard/", views.BatchDiscardView.as_view(), name="batch-discard"),
    path("cover/new/", views.CoverCreateView.as_view(), name="cover-add"),
    path("cover/<int:pk>/end/", views.CoverEndView.as_view(), name="cover-end"),
]

"""django-two-factor-auth's URLs (same names, namespace `two_factor`) served by our subclasses:
styled templates, hashed backup codes instead of django-otp's plain-text static tokens, audit."""

from django.urls import path
from two_factor.views import QRGeneratorView

from . import views

urlpatterns = [
    path("account/login/", views.LoginView.as_view(), name="login"),
    path("account/two_factor/setup/", views.SetupView.as_view(), name="setup"),
    path("account/two_factor/qrcode/", QRGeneratorView.as_view(), name="qr"),
    path(
        "account/two_factor/setup/complete/",
        views.SetupCompleteView.as_view(),
        name="setup_complete",
    ),
    # two-factor's own page stores plain-text tokens: ours stores hashes.
    path("account/two_factor/backup/tokens/", views.backup_codes, name="backup_tokens"),
    path("account/two_factor/", views.ProfileView.as_view(), name="profile"),
    path("account/two_factor/disable/", views.DisableView.as_view(), name="disable"),
]

app_name = "two_factor"

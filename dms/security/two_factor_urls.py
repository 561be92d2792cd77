"""django-two-factor-auth's URLs (same names, namespace `two_factor`) served by our subclasses:
styled templates, hashed backup codes instead of django-otp's plain-text static tokens, audit."""

from two_factor.views import QRGeneratorView

from dealers.access import ANYONE, SIGNED_IN, Rule, route

from . import views

OWN = Rule(read=SIGNED_IN, write=SIGNED_IN)  # the signed-in user's own second factor
urlpatterns = [
    route(
        "account/login/",
        views.LoginView.as_view(),
        name="login",
        access=Rule(read=ANYONE, write=ANYONE),
    ),
    route("account/two_factor/setup/", views.SetupView.as_view(), name="setup", access=OWN),
    route("account/two_factor/qrcode/", QRGeneratorView.as_view(), name="qr", access=OWN),
    route(
        "account/two_factor/setup/complete/",
        views.SetupCompleteView.as_view(),
        name="setup_complete",
        access=OWN,
    ),
    # two-factor's own page stores plain-text tokens: ours stores hashes.
    route(
        "account/two_factor/backup/tokens/", views.backup_codes, name="backup_tokens", access=OWN
    ),
    route("account/two_factor/", views.ProfileView.as_view(), name="profile", access=OWN),
    route("account/two_factor/disable/", views.DisableView.as_view(), name="disable", access=OWN),
]

app_name = "two_factor"

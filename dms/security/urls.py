from dealers.access import ANYONE, SECURITY_ADMINS, SIGNED_IN, UNLOCKERS, Rule, route

from . import views

app_name = "security"
OWN = Rule(read=SIGNED_IN, write=SIGNED_IN)  # the signed-in user's own account
urlpatterns = [
    # Logging out must work for anyone (an expired session posts it too).
    route(
        "logout/", views.LogoutView.as_view(), name="logout", access=Rule(read=ANYONE, write=ANYONE)
    ),
    route("verify/", views.verify, name="verify", access=OWN),
    route("password/", views.password_change, name="password_change", access=OWN),
    route("sessions/end/", views.end_sessions, name="end_sessions", access=OWN),
    route("locked/", views.locked_accounts, name="locked", access=Rule(read=UNLOCKERS)),
    route(
        "locked/<int:user_id>/unlock/",
        views.unlock,
        name="unlock",
        access=Rule(read=UNLOCKERS, write=UNLOCKERS),
    ),
    route(
        "locked/<int:user_id>/approve/",
        views.approve,
        name="approve",
        access=Rule(read=UNLOCKERS, write=UNLOCKERS),
    ),
    route(
        "users/<int:pk>/",
        views.user_security,
        name="user",
        access=Rule(read=SECURITY_ADMINS, write=SECURITY_ADMINS),
    ),
]

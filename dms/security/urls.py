from django.urls import path

from . import views

app_name = "security"
urlpatterns = [
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("verify/", views.verify, name="verify"),
    path("password/", views.password_change, name="password_change"),
    path("sessions/end/", views.end_sessions, name="end_sessions"),
    path("locked/", views.locked_accounts, name="locked"),
    path("locked/<int:user_id>/unlock/", views.unlock, name="unlock"),
    path("locked/<int:user_id>/approve/", views.approve, name="approve"),
    path("users/<int:pk>/", views.user_security, name="user"),
]

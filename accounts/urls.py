from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views, views_enrolment, views_mfa, views_preferences
from accounts.second_factor import second_factor_exempt

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("verify/", views_mfa.verify, name="verify"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("preferences/", views_preferences.preferences, name="preferences"),
    path("confirm/", views.reauthenticate, name="reauth"),
    path("two-step/", views_mfa.mfa_overview, name="mfa"),
    path("two-step/authenticator/", views_mfa.totp_add, name="mfa_totp_add"),
    path(
        "two-step/authenticator/<int:device_id>/",
        views_mfa.totp_confirm,
        name="mfa_totp_confirm",
    ),
    path("two-step/recovery-codes/", views_mfa.recovery_codes, name="mfa_recovery_codes"),
    path(
        "two-step/<str:kind>/<int:device_id>/remove/",
        views_mfa.device_remove,
        name="mfa_device_remove",
    ),
]

urlpatterns += [
    # The one-time link where an account's owner sets their password (public, see the view).
    path("enrol/<str:token>/", views_enrolment.enrol, name="enrol"),
]

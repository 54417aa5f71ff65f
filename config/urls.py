from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import passkeys
from accounts import views as account_views
from config import views
from config.api import api
from moderation.views import transparency as moderation_transparency

admin.site.site_header = _("Trust & Safety administration")
admin.site.site_title = _("T&S admin")

urlpatterns = [
    path("", account_views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("language/", views.language_set, name="language_set"),
    path("keys/", include("config.public_keys")),
    path("accounts/", include("accounts.urls")),
    path("accounts/passkeys/", include((passkeys.urlpatterns, "otp_webauthn"))),
    path("moderation/", include("moderation.urls")),
    path("signals/", include("signals.urls")),
    path("search-policy/", include("search_policy.urls")),
    path("legal/", include("disclosures.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("status/", views.system_status, name="system_status"),
    # Public, no sign-in: published transparency reports.
    path(
        "transparency/moderation/",
        include((moderation_transparency.public_urlpatterns, "transparency")),
    ),
]

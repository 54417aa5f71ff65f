from django.urls import include, path

from signals import views

app_name = "signals"

urlpatterns = [
    path("banks/", views.bank_list, name="banks"),
    path("banks/new/", views.bank_new, name="bank_new"),
    path("banks/<int:bank_id>/", views.bank_detail, name="bank"),
    path("banks/<int:bank_id>/settings/", views.bank_settings, name="bank_settings"),
    path("banks/<int:bank_id>/import/", views.bank_import, name="bank_import"),
    path("hashes/<int:hash_id>/disable/", views.hash_disable, name="hash_disable"),
    path("hashes/<int:hash_id>/enable/", views.hash_enable, name="hash_enable"),
    path("decisions/<int:decision_id>/bank-it/", views.bank_it, name="bank_it"),
    path("", include("signals.classifier.urls")),
    path("", include("signals.governance.urls")),
    path("", include("signals.neardup.urls")),
]

"""
The project's URLs plus two benchmark-only pages, used ONLY inside the bench process (the
runner overrides ROOT_URLCONF): the framework's floor and a stock admin of the case model.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import urlpatterns as project_urlpatterns
from moderation.models import Case

_EMPTY = engines["django"].from_string('{% extends "base.html" %}')


@require_GET
def empty_page(request: HttpRequest) -> HttpResponse:
    """An empty signed-in page: the real middleware and the app's base layout, no content."""
    return HttpResponse(_EMPTY.render({}, request))


class StockCaseAdmin(admin.ModelAdmin):
    """A ModelAdmin as a project would start with: two filters, every other setting default."""

    list_filter = ("status", "category")


stock_site = admin.AdminSite(name="bench_stock")
stock_site.register(Case, StockCaseAdmin)

urlpatterns = [
    path("bench/empty/", empty_page, name="bench_empty"),
    path("bench/stock-admin/", stock_site.urls),
    *project_urlpatterns,
]

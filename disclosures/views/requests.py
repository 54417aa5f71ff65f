from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.permissions import require
from disclosures import permissions


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_requests(request.user))
    return render(request, "disclosures/home.html")


urlpatterns = [path("", home, name="home")]

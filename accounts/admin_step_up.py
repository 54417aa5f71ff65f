"""The base of the admin screens that change roles, permissions or accounts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import reauth

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class StepUpForRoleChangesAdmin(admin.ModelAdmin):
    """
    An admin whose every submission needs a fresh step-up: the password again, and the
    second factor for those who have one.

    Whoever holds an administrator's session could otherwise grant themselves or anyone a role,
    a permission or superuser status in one click. The check runs before the admin reads the
    form, so a refused submission changes nothing; the user confirms it is them and is sent
    back to the page they submitted from, where they make the change again.
    """

    def step_up_redirect(self, request: HttpRequest) -> HttpResponse | None:
        """A redirect to the confirmation page for a submission without a fresh step-up."""
        if request.method in _SAFE_METHODS:
            return None
        if reauth.is_fresh(reauth.reauthenticated_at(request)):
            return None
        messages.warning(
            request,
            _(
                "Changing roles, permissions or accounts needs you to confirm it is you. "
                "Nothing was saved: confirm, then make the change again."
            ),
        )
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('accounts:reauth')}?{query}")

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return self.step_up_redirect(request) or super().changeform_view(
            request, object_id, form_url, extra_context
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Actions and list_editable are submitted to the changelist.
        return self.step_up_redirect(request) or super().changelist_view(request, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self.step_up_redirect(request) or super().delete_view(
            request, object_id, extra_context
        )

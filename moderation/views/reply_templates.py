"""Seniors maintain the reply templates: list, create, edit, deactivate (never delete)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.forms import form_add_refusal
from moderation import permissions
from moderation.exceptions import ModerationError
from moderation.forms_notes import ReplyTemplateForm
from moderation.models import ReplyTemplate
from moderation.selectors import notes as note_selectors
from moderation.services import reply_templates as template_services

FORM_TEMPLATE = "moderation/reply_templates/form.html"


@require_GET
def reply_template_list(request: HttpRequest) -> HttpResponse:
    require(permissions.can_manage_reply_templates(request.user))
    return render(
        request,
        "moderation/reply_templates/list.html",
        {"templates": note_selectors.reply_templates_for_seniors()},
    )


@require_http_methods(["GET", "POST"])
def reply_template_new(request: HttpRequest) -> HttpResponse:
    require(permissions.can_manage_reply_templates(request.user))
    form = ReplyTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = template_services.reply_template_create(
                actor=signed_in_user(request), data=form.to_input()
            )
        except ModerationError as exc:
            form_add_refusal(form, exc)
        else:
            messages.success(request, _("Template “%(title)s” created.") % {"title": template})
            return redirect("moderation:reply_templates")
    return render(request, FORM_TEMPLATE, {"form": form, "template": None})


def _template_or_404(reply_template_id: int) -> ReplyTemplate:
    try:
        return ReplyTemplate.objects.select_related("category").get(pk=reply_template_id)
    except ReplyTemplate.DoesNotExist as exc:
        raise Http404 from exc


@require_http_methods(["GET", "POST"])
def reply_template_edit(request: HttpRequest, reply_template_id: int) -> HttpResponse:
    require(permissions.can_manage_reply_templates(request.user))
    template = _template_or_404(reply_template_id)
    if request.method != "POST":
        form = ReplyTemplateForm.for_template(template)
        return render(request, FORM_TEMPLATE, {"form": form, "template": template})
    form = ReplyTemplateForm(request.POST)
    if form.is_valid():
        try:
            template_services.reply_template_update(
                template_id=template.pk, actor=signed_in_user(request), data=form.to_input()
            )
        except ModerationError as exc:
            form_add_refusal(form, exc)
        else:
            messages.success(request, _("Template “%(title)s” saved.") % {"title": template})
            return redirect("moderation:reply_templates")
    return render(request, FORM_TEMPLATE, {"form": form, "template": template})


@require_POST
def reply_template_deactivate(request: HttpRequest, reply_template_id: int) -> HttpResponse:
    require(permissions.can_manage_reply_templates(request.user))
    template = _template_or_404(reply_template_id)
    template_services.reply_template_deactivate(
        template_id=template.pk, actor=signed_in_user(request)
    )
    messages.success(request, _("Template “%(title)s” is no longer offered.") % {"title": template})
    return redirect("moderation:reply_templates")


urlpatterns = [
    path("reply-templates/", reply_template_list, name="reply_templates"),
    path("reply-templates/new/", reply_template_new, name="reply_template_new"),
    path(
        "reply-templates/<int:reply_template_id>/", reply_template_edit, name="reply_template_edit"
    ),
    path(
        "reply-templates/<int:reply_template_id>/deactivate/",
        reply_template_deactivate,
        name="reply_template_deactivate",
    ),
]

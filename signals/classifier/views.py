"""The classifier's pages: every category's models, one version's evaluation, "Retrain now"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import require
from accounts.request_user import signed_in_user
from signals.classifier import charts, permissions, selectors, services
from signals.classifier.forms import RetrainForm
from signals.models import ModelVersion


@require_GET
def model_list(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_models(request.user))
    can_train = permissions.can_train_models(request.user)
    return render(
        request,
        "signals/classifier/model_list.html",
        {
            "rows": selectors.models_overview(),
            "can_train": can_train,
            "retrain_form": RetrainForm() if can_train else None,
            "min_examples": settings.CLASSIFIER_MIN_EXAMPLES,
            "min_per_class": settings.CLASSIFIER_MIN_PER_CLASS,
        },
    )


@require_GET
def model_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    require(permissions.can_view_models(request.user))
    try:
        version = selectors.model_version(version_id=version_id)
    except ModelVersion.DoesNotExist as exc:
        raise Http404 from exc
    previous = selectors.previous_version(version=version)
    metrics = version.metrics
    return render(
        request,
        "signals/classifier/model_detail.html",
        {
            "version": version,
            "metrics": metrics,
            "previous": previous,
            "chart": charts.pr_chart(metrics, previous.metrics if previous else None),
            "target_percent": round(100 * float(metrics.get("target_precision") or 0)),
            "can_train": permissions.can_train_models(request.user),
        },
    )


@require_POST
def models_retrain(request: HttpRequest) -> HttpResponse:
    require(permissions.can_train_models(request.user))
    form = RetrainForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a category from the list, or none for every one."))
        return redirect("signals:models")
    category = form.cleaned_data["category"]
    services.retrain_request(
        category_id=category.pk if category else None, actor=signed_in_user(request)
    )
    messages.success(
        request,
        _("Retraining queued for %(what)s; new versions appear here when it is done.")
        % {"what": category.name if category else _("every category")},
    )
    return redirect("signals:models")

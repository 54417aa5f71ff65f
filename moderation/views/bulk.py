"""
Bulk decisions for report floods: preview and confirm, follow a job's progress, list jobs.

The triage queue sends its selection here with GET: repeated `case=<id>`, or `all=1` with
the queue's filter parameters. The preview carries the same selection in hidden fields to
the POST that starts the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from accounts.permissions import require
from accounts.request_user import signed_in_user
from core.forms import form_add_refusal
from core.parsing import parse_id
from moderation import permissions
from moderation.exceptions import BulkSelectionRefused, InvalidDecision, ModerationError
from moderation.forms import (
    DEADLINE_CHOICES,
    QUEUE_STATUSES,
    SOURCE_CHOICES,
    DecisionForm,
    QueueFilterForm,
)
from moderation.models import BulkJob, Category, Subject
from moderation.models.decisions import Action, Ground
from moderation.selectors import bulk as bulk_selectors
from moderation.selectors.queue import QueueFilters, filters_for_moderator
from moderation.services import bulk

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PREVIEW_ROWS = 50
# The queue's parameters that "all matching" carries (not its page cursor: all pages count).
QUEUE_PARAMS = (
    "status",
    "category",
    "source",
    "subject_type",
    "language",
    "deadline",
    "signal",
    "order",
)


@dataclass
class Selection:
    """What the queue asked for, parsed; `error` when it cannot be read."""

    case_ids: list[int] | None = None
    filters: QueueFilters | None = None
    hidden: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""


def _read_selection(request: HttpRequest, data: QueryDict) -> Selection:
    if data.get("all") == "1":
        hidden = [("all", "1")] + [(k, v) for k in QUEUE_PARAMS for v in data.getlist(k)]
        if not any(k in data for k in QUEUE_PARAMS):
            # The queue without parameters shows the moderator's routing: so does "all" here.
            return Selection(
                filters=filters_for_moderator(user=signed_in_user(request)), hidden=hidden
            )
        form = QueueFilterForm(data)
        if not form.is_valid():
            # An unreadable filter must not fall back to a wider default selection.
            return Selection(hidden=hidden, error=_("The queue filter is not valid."))
        return Selection(filters=form.filters(), hidden=hidden)
    parsed = [parse_id(value.strip()) for value in data.getlist("case")]
    ids = [pk for pk in parsed if pk is not None]
    if len(ids) < len(parsed):
        return Selection(error=_("The selection holds something that is not a case number."))
    return Selection(case_ids=ids, hidden=[("case", str(pk)) for pk in dict.fromkeys(ids)])


def _describe(filters: QueueFilters) -> list[tuple[str, str]]:
    """The filter in words, for the senior to check what "all matching" means."""
    labels: dict[str, StrOrPromise] = {
        **dict(QUEUE_STATUSES),
        **dict(SOURCE_CHOICES),
        **dict(DEADLINE_CHOICES),
        **dict(Subject.Type.choices),
    }
    rows = [(_("Status"), str(labels.get(filters.status, filters.status)))]
    if filters.categories:
        names = Category.objects.filter(pk__in=filters.categories).order_by("name")
        rows.append((_("Categories"), ", ".join(c.name for c in names)))
    if filters.sources:
        rows.append((_("Sources"), ", ".join(str(labels[s]) for s in filters.sources)))
    if filters.subject_types:
        rows.append((_("Subjects"), ", ".join(str(labels[s]) for s in filters.subject_types)))
    if filters.languages:
        rows.append((_("Languages"), ", ".join(filters.languages)))
    if filters.deadline:
        rows.append((_("Deadline"), str(labels[filters.deadline])))
    return rows


def _render_new(
    request: HttpRequest, selection: Selection, form: DecisionForm, refusal: str = ""
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "hidden": selection.hidden,
        "by_filter": selection.filters is not None,
        "refusal": refusal,
        "selection_error": selection.error,
        "preview": None,
    }
    if not selection.error:
        try:
            preview = bulk_selectors.bulk_selection_resolve(
                case_ids=selection.case_ids, filters=selection.filters
            )
        except BulkSelectionRefused as exc:
            context["selection_error"] = exc.message
        else:
            rows = bulk_selectors.bulk_preview_rows(selection=preview, limit=PREVIEW_ROWS)
            context.update(
                preview=preview,
                rows=rows,
                hidden_more=preview.count - len(rows),
                filter_description=_describe(selection.filters) if selection.filters else [],
            )
    template = "moderation/bulk/new.html"
    if getattr(request, "htmx", False):
        template += "#bulk-new"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def bulk_new(request: HttpRequest) -> HttpResponse:
    """GET: preview the selection with the decision form; POST: start the job."""
    require(permissions.can_bulk_decide(request.user))
    if request.method == "GET":
        return _render_new(request, _read_selection(request, request.GET), DecisionForm())

    selection = _read_selection(request, request.POST)
    form = DecisionForm(request.POST)
    if selection.error or not form.is_valid():
        return _render_new(request, selection, form)
    expected = request.POST.get("expected", "")
    try:
        job = bulk.bulk_job_start(
            actor=signed_in_user(request),
            case_ids=selection.case_ids,
            filters=selection.filters,
            decision=form.to_input(),
            expected=parse_id(expected),
        )
    except InvalidDecision as exc:
        form_add_refusal(form, exc)
        return _render_new(request, selection, form)
    except ModerationError as exc:
        return _render_new(request, selection, form, refusal=str(exc.message))
    messages.success(
        request,
        _("Bulk job %(job)s queued for %(count)d cases; a worker decides them in the background.")
        % {"job": job.pk, "count": job.total},
    )
    url = reverse("moderation:bulk_job", args=[job.pk])
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


@require_GET
@vary_on_headers("HX-Request")
def bulk_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's progress; its region polls itself every second until the job finishes."""
    require(permissions.can_bulk_decide(request.user))
    job = get_object_or_404(BulkJob.objects.select_related("created_by"), pk=job_id)
    finished = job.status == BulkJob.Status.FINISHED
    decision = job.decision_template
    context = {
        "job": job,
        "action_labels": [dict(Action.choices).get(a, a) for a in decision.get("actions", [])],
        "ground_label": dict(Ground.choices).get(decision.get("ground", ""), ""),
        "finished": finished,
        "processed": job.done + job.skipped + len(job.errors),
        "outcomes": bulk_selectors.bulk_job_outcomes(job=job) if finished else None,
    }
    template = "moderation/bulk/job.html"
    if getattr(request, "htmx", False):
        template += "#bulk-progress"
    return render(request, template, context)


@require_GET
def bulk_jobs(request: HttpRequest) -> HttpResponse:
    require(permissions.can_bulk_decide(request.user))
    return render(request, "moderation/bulk/jobs.html", {"jobs": bulk_selectors.bulk_jobs_recent()})


urlpatterns = [
    path("bulk/", bulk_jobs, name="bulk_jobs"),
    path("bulk/new/", bulk_new, name="bulk_new"),
    path("bulk/<int:job_id>/", bulk_job, name="bulk_job"),
]

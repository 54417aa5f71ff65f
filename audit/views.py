from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import require
from audit import permissions, selectors, targets
from audit.forms import EventFilterForm
from audit.models import AuditEvent


@require_GET
@vary_on_headers("HX-Request")
def event_list(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_audit_trail(request.user))
    form = EventFilterForm(request.GET or None)
    page = selectors.event_page(filters=form.filters(), after=form.cursor())
    template = "audit/event_list.html"
    if getattr(request, "htmx", False):
        template += "#event-table"
    shown = targets.shown_targets(
        ((e.target_type, e.target_id) for e in page.events), user=request.user
    )
    rows = [(event, shown.get((event.target_type, event.target_id))) for event in page.events]
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": form.query_without_cursor() if form.is_bound else "",
        },
    )


@require_GET
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    require(permissions.can_view_audit_trail(request.user))
    try:
        event = selectors.event_detail(event_id=event_id)
    except AuditEvent.DoesNotExist as exc:
        raise Http404 from exc
    payload = json.dumps(event.data, indent=2, sort_keys=True, ensure_ascii=False)
    return render(request, "audit/event_detail.html", {"event": event, "payload": payload})

"""Pages of near-duplicate groups, for those who work the triage queue."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.permissions import require
from moderation import permissions
from signals.models import DuplicateGroup
from signals.neardup import selectors


@require_GET
@vary_on_headers("HX-Request")
def group_list(request: HttpRequest) -> HttpResponse:
    """Groups, largest first; filter by kind; keyset pages."""
    require(permissions.can_triage(request.user))
    kind = request.GET.get("kind", "")
    if kind not in DuplicateGroup.Kind.values:
        kind = ""  # an unknown kind shows every group rather than an error page
    after = selectors.GroupCursor.decode(request.GET.get("cursor", ""))
    page = selectors.groups_page(kind=kind, after=after)
    template = "signals/neardup/group_list.html"
    if getattr(request, "htmx", False):
        template += "#group-table"
    return render(
        request,
        template,
        {"page": page, "kind": kind, "kinds": DuplicateGroup.Kind.choices, "paged": after},
    )


@require_GET
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    """A group's cases with status, category, chat and text, and "Decide for the group"."""
    require(permissions.can_triage(request.user))
    group = selectors.group_resolve(group_id=group_id)
    if group is None:
        raise Http404
    if group.pk != group_id:
        return redirect("signals:group", group_id=group.pk)  # merged into an older group
    return render(
        request,
        "signals/neardup/group_detail.html",
        {
            "group": group,
            "summary": selectors.group_summary(group=group),
            "members": selectors.group_members(group=group),
            "can_bulk_decide": permissions.can_bulk_decide(request.user),
        },
    )

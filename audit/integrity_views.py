"""The auditor's integrity screens: checkpoints, proofs, verification on demand."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import require
from accounts.request_user import signed_in_user
from audit import alarms, log, permissions, verification
from audit.models import AuditCheckpoint, AuditEvent, AuditLeaf, AuditVerification


def _can_verify(user) -> bool:
    return bool(user.is_active and user.has_perm("audit.verify_audit_trail"))


def _with_previous(checkpoints: list[AuditCheckpoint]) -> list[tuple[AuditCheckpoint, int | None]]:
    """Each checkpoint with the size of the one before it (for its consistency proof)."""
    pairs = []
    for i, cp in enumerate(checkpoints[:20]):
        older = checkpoints[i + 1].tree_size if i + 1 < len(checkpoints) else None
        pairs.append((cp, older))
    return pairs


@require_GET
def integrity(request: HttpRequest) -> HttpResponse:
    require(permissions.can_view_audit_trail(request.user))
    htmx = getattr(request, "htmx", False)
    latest = AuditCheckpoint.objects.order_by("-tree_size").first()
    last_leaf = AuditLeaf.objects.order_by("-leaf_index").first()
    # Counted from the highest sealed event id, not by joining events to leaves, so the page
    # costs the same at any size of the log.
    backlog = log.backlog()
    context = {
        "checkpoint": latest,
        "checkpoints": _with_previous(list(AuditCheckpoint.objects.order_by("-tree_size")[:21])),
        "tree_size": last_leaf.leaf_index + 1 if last_leaf else 0,
        "last_sealed_at": last_leaf.sealed_at if last_leaf else None,
        "unsealed": backlog.unsealed,
        "overdue": backlog.overdue,
        "verification": AuditVerification.objects.order_by("-id").first(),
        "verifier_key": log.verifier_key(),
        "can_verify": _can_verify(request.user),
        "now": timezone.now(),
        "alarm_panels": [] if htmx else alarms.panels_for(request),
    }
    template = "audit/integrity.html"
    if htmx:
        template += "#verification"
    return render(request, template, context)


@require_POST
def verify_now(request: HttpRequest) -> HttpResponse:
    require(_can_verify(request.user))
    verification.verification_start(actor=signed_in_user(request))
    messages.info(request, _("Verification queued; this page shows its progress."))
    return redirect("audit:integrity")


@require_GET
def event_proof(request: HttpRequest, event_id: int) -> HttpResponse:
    require(permissions.can_view_audit_trail(request.user))
    event = get_object_or_404(AuditEvent, pk=event_id)
    try:
        proof = log.inclusion_proof_for(event=event)
    except (LookupError, AuditLeaf.DoesNotExist) as exc:
        raise Http404(_("This event is not under a signed checkpoint yet.")) from exc
    response = HttpResponse(
        json.dumps(proof, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-proof.json"'
    return response


@require_GET
def consistency_proof(request: HttpRequest) -> JsonResponse:
    require(permissions.can_view_audit_trail(request.user))
    try:
        old_size, new_size = int(request.GET["from"]), int(request.GET["to"])
    except (KeyError, ValueError):
        return JsonResponse(
            {"detail": _("Give ?from=<size>&to=<size> of two checkpoints.")}, status=400
        )
    if old_size > new_size:
        return JsonResponse({"detail": _("“from” must not be larger than “to”.")}, status=400)
    old = get_object_or_404(AuditCheckpoint, tree_size=old_size)
    new = get_object_or_404(AuditCheckpoint, tree_size=new_size)
    return JsonResponse(log.consistency_proof_between(old=old, new=new))

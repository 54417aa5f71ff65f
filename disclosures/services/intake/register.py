"""
Registering a legal request, acknowledging it, and serving its order document.

`request_register` validates everything before writing anything: a request with one bad
field leaves no row, no file and no audit event. Targets that resolve to no account or to
several are kept (the review has to see them); at least one must resolve to exactly one,
and each resolved target needs its own terms-violation link (a linked case decided as a
violation by that account, or escalated to legal), named in the error when it has none.
Whether the offence is covered by the policy in force is shown, not enforced here: the
review step refuses it, so the record of what the authority asked for stays complete.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from disclosures import permissions
from disclosures.exceptions import InvalidRequest, NotPermitted
from disclosures.models import (
    LegalRequest,
    RequestTarget,
)
from disclosures.services.evidence_holds import request_evidence_hold
from disclosures.services.intake.cleaning import (
    clean_cases,
    clean_fields,
    clean_links,
    policy_at,
)
from disclosures.services.intake.common import (
    AlreadyAcknowledged,
    CleanedIntake,
    DocumentInfo,
    RequestInput,
)
from disclosures.services.intake.documents import (
    document_store,
    inspect_document,
)
from disclosures.services.intake.targets import targets_clean
from disclosures.services.workflow import (
    deadline_for,
    records_denials,
    request_lock,
    request_touch,
)

if TYPE_CHECKING:
    from accounts.models import User


@records_denials
def request_register(
    *, actor: User, data: RequestInput, document: UploadedFile | None = None
) -> LegalRequest:
    """
    Record a request as received, with its targets resolved, policy, deadline and document.

    Raises InvalidRequest with every problem found, having written nothing. The stored file
    is removed again if the transaction does not commit.
    """
    if not permissions.can_prepare(actor):
        raise NotPermitted
    info, document_errors = inspect_document(document) if document else (None, [])
    stored: Path | None = None
    try:
        with transaction.atomic(durable=True):
            request = _register(actor=actor, data=data, info=info, errors=document_errors)
            if document is not None and info is not None:
                stored, relative = document_store(document, info)
                request.document = relative
                request.save(update_fields=["document"])
                audit.record(
                    action="document.stored",
                    actor=actor,
                    target=request,
                    data={
                        "sha256": info.sha256,
                        "size": info.size,
                        "content_type": info.content_type,
                    },
                )
    except BaseException:
        if stored is not None:
            stored.unlink(missing_ok=True)
        raise
    return request


def _register(
    *, actor: User, data: RequestInput, info: DocumentInfo | None, errors: list[str]
) -> LegalRequest:
    now = timezone.now()
    out = CleanedIntake()
    if errors:
        out.errors["document"] = list(errors)
    authority = clean_fields(data, out, now)
    region = authority.country if authority else None
    targets_clean(data.targets, region, out)
    clean_cases(data.case_ids, out)
    policy = policy_at(out.fields["received_at"]) if "received_at" in out.fields else None
    if "received_at" in out.fields and policy is None:
        out.error("received_at", _("No disclosure policy was in force at that time."))
    clean_links(out)
    if out.errors:
        raise InvalidRequest(out.errors)
    assert policy is not None
    assert authority is not None

    fields = out.fields
    deadline, rule = deadline_for(
        instrument=fields["instrument"],
        emergency=fields["emergency"],
        received_at=fields["received_at"],
    )
    request = LegalRequest.objects.create(
        reference=f"tmp-{uuid.uuid4().hex[:24]}",
        policy=policy,
        deadline_at=deadline,
        deadline_rule=rule,
        created_by=actor,
        document_name=info.name if info else "",
        document_sha256=info.sha256 if info else "",
        document_content_type=info.content_type if info else "",
        document_size=info.size if info else 0,
        **fields,
    )
    # The primary key makes the reference unique without a counter to race on.
    request.reference = f"LR-{request.received_at:%Y}-{request.pk:05d}"
    request.save(update_fields=["reference"])
    RequestTarget.objects.bulk_create(
        RequestTarget(
            request=request,
            kind=t.kind,
            value=t.value,
            value_index=t.index,
            account_id=t.account_id,
            resolution=t.resolution,
        )
        for t in out.targets
    )
    request.linked_cases.set(out.cases)
    resolutions = {r: 0 for r in RequestTarget.Resolution.values}
    for target in out.targets:
        resolutions[target.resolution] += 1
    audit.record(
        action="request.received",
        actor=actor,
        target=request,
        data={
            "reference": request.reference,
            "instrument": request.instrument,
            "authority": authority.pk,
            "emergency": request.emergency,
            "targets": len(out.targets),
            "target_indexes": [t.index for t in out.targets],
            "resolutions": resolutions,
            "data_requested": request.data_requested,
            "cases": [c.pk for c in out.cases],
            "policy": policy.version,
            "policy_covers": policy.covers(request.offence_category),
            "deadline_at": request.deadline_at.isoformat(),
            "deadline_rule": rule,
            "nondisclosure": request.nondisclosure,
        },
    )
    # What the request relies on is kept until it ends, whatever the retention says.
    request_evidence_hold(legal_request=request, actor=actor)
    return request


@records_denials
def request_acknowledge(*, request_id: int, actor: User) -> LegalRequest:
    """Record that receipt was acknowledged to the authority (once; DSA Art. 10(1))."""
    if not permissions.can_prepare(actor):
        raise NotPermitted
    with transaction.atomic(durable=True):
        request = request_lock(request_id=request_id)
        if request.acknowledged_at is not None:
            raise AlreadyAcknowledged
        request.acknowledged_at = timezone.now()
        request_touch(legal_request=request, fields=("acknowledged_at",))
        audit.record(
            action="request.acknowledged",
            actor=actor,
            target=request,
            data={
                "reference": request.reference,
                "seconds_after_receipt": int(
                    (request.acknowledged_at - request.received_at).total_seconds()
                ),
            },
        )
    return request

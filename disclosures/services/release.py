"""
Building, releasing, downloading and purging the release package.

The package is built only from the live scope whose hash the approvers approved, checked
automatically against that scope (QA), and released by someone who approved nothing, after
a fresh re-authentication. Its files are kept encrypted in private storage, downloaded a
limited number of times by the releaser only, and purged after the retention period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import audit
from accounts.permissions import cooling_off_refusal
from accounts.reauth import is_fresh
from disclosures import crypto, permissions
from disclosures.exceptions import (
    ChecksIncomplete,
    DisclosureError,
    DownloadRefused,
    InvalidTransition,
    NoRecordsInScope,
    NotPermitted,
    PackageNotReady,
    ReauthenticationRequired,
    ScopeMismatch,
    SeparationOfDutiesViolation,
)
from disclosures.models import Approval, LegalRequest, ReleasePackage, RequestTarget, Scope
from disclosures.package import (
    CATEGORIES,
    PackageContext,
    ScopeSpec,
    build,
    canonical_bytes,
    extract,
    package_qa,
    sha256_hex,
)
from disclosures.selectors.review import RequestFacts
from disclosures.selectors.violations import target_links
from disclosures.services import notices
from disclosures.services import package_files as stored_packages
from disclosures.services.package_files import package_download, packages_purge
from disclosures.services.package_live import packages_supersede
from disclosures.services.package_storage import package_store
from disclosures.services.review import approvers_of, live_scope, mandatory_checks_passed
from disclosures.services.review.gates import data_gate, violation_gate
from disclosures.services.workflow import (
    approvals_needed,
    package_transition,
    records_denials,
    request_lock,
    request_transition,
)
from outbox.publish import publish

if TYPE_CHECKING:
    from accounts.models import User

__all__ = [
    "DownloadRefused",
    "PackageNotReady",
    "extract",
    "package_build",
    "package_download",
    "package_release",
    "packages_purge",
]


def package_files(package: ReleasePackage) -> dict[str, bytes]:
    """The decrypted files of a stored package; PackageDamaged if it cannot be read back."""
    return stored_packages.package_unzip_stored(package)


# --- Shared guards ------------------------------------------------------------------------------


def scope_approvers(*, legal_request: LegalRequest, scope: Scope) -> set[int]:
    """Users whose live approval is of exactly this scope hash."""
    return set(
        Approval.objects.filter(
            request=legal_request,
            scope=scope,
            scope_hash=scope.scope_hash,
            decision=Approval.Decision.APPROVED,
            voided_at__isnull=True,
        ).values_list("approver_id", flat=True)
    )


def _approved_live_scope(legal_request: LegalRequest) -> Scope:
    """The live scope, intact and approved by enough distinct approvers; else ScopeMismatch."""
    scope = live_scope(legal_request)
    if scope is None:
        raise ScopeMismatch(_("The request has no live scope."))
    if sha256_hex(scope.canonical_json.encode()) != scope.scope_hash:
        raise ScopeMismatch(_("The live scope does not match its hash."))
    if len(scope_approvers(legal_request=legal_request, scope=scope)) < approvals_needed(
        legal_request
    ):
        raise ScopeMismatch(_("The live scope has not been approved."))
    return scope


def _context(legal_request: LegalRequest) -> PackageContext:
    return PackageContext(
        reference=legal_request.reference,
        request_uuid=str(legal_request.uuid),
        authority=legal_request.authority.name,
        authority_country=legal_request.authority.country,
        instrument=str(legal_request.get_instrument_display()),
        issuing_file_number=legal_request.issuing_file_number,
        validating_file_number=legal_request.validating_file_number,
        legal_basis=legal_request.legal_basis,
        received_at=legal_request.received_at,
    )


# --- Build and QA ---------------------------------------------------------------------------------


@records_denials
def package_build(*, request_id: int, actor: User) -> ReleasePackage:
    """
    Extract the approved scope into a signed, encrypted package and run its QA.

    Every target's terms-violation link must be a decision in force by then, and the records
    read now must be exactly those pinned at freeze: otherwise the request goes back to
    review (committed, audited) and the build is refused, naming the target and case or what
    changed. A new build supersedes the request's previous unreleased package, whose file is
    purged at once. The file is written inside the transaction; if the transaction fails it
    is removed, so a refused or failed build leaves neither a row nor a file.
    """
    written: list[Path] = []
    try:
        with transaction.atomic(durable=True):
            outcome = _package_build(request_id=request_id, actor=actor, written=written)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    if isinstance(outcome, DisclosureError):
        for path in written:
            path.unlink(missing_ok=True)
        raise outcome
    return outcome


def _package_build(
    *, request_id: int, actor: User, written: list[Path]
) -> ReleasePackage | DisclosureError:
    if not permissions.can_release(actor):
        raise NotPermitted
    request = request_lock(request_id=request_id)
    if request.is_preservation:
        raise PackageNotReady(_("A preservation order is a hold: it never builds a package."))
    if request.status != LegalRequest.Status.APPROVED:
        raise PackageNotReady(_("Only an approved request can be packaged."))
    scope = _approved_live_scope(request)
    refusal = violation_gate(
        legal_request=request, actor=actor, gate="package_build", scope=scope, require_decided=True
    )
    if refusal is not None:
        return refusal
    data, pins, refusal = data_gate(
        legal_request=request, actor=actor, gate="package_build", scope=scope
    )
    if refusal is not None:
        return refusal
    if not pins.total:
        raise NoRecordsInScope(
            _('The scope holds no record: close the request as "no records found".')
        )
    superseded = packages_supersede(legal_request=request, actor=actor, reason="rebuilt")
    now = timezone.now()
    built = build(
        scope_json=scope.canonical_json,
        scope_hash=scope.scope_hash,
        context=_context(request),
        created_at=now,
        data=data,
    )
    package = ReleasePackage.objects.create(
        request=request,
        scope=scope,
        status=ReleasePackage.Status.BUILT,
        manifest=built.manifest,
        manifest_sha256=built.manifest_sha256,
        signature=built.signature,
        storage_path=package_store(built.zip_bytes(), written),
        built_by=actor,
        # Unreleased packages hold data too: they are purged after the same retention.
        purge_after=now + timedelta(days=settings.PACKAGE_RETENTION_DAYS),
    )
    audit.record(
        action="package.built",
        actor=actor,
        target=request,
        data={
            "package": package.pk,
            "manifest_sha256": built.manifest_sha256,
            "scope_hash": scope.scope_hash,
            "data_digest": pins.digest,
            "counts": built.manifest["counts"],
            "superseded": superseded,
        },
    )
    _package_check(package=package, scope=scope, actor=actor, now=now)
    return package


def _package_check(*, package: ReleasePackage, scope: Scope, actor: User, now: datetime) -> None:
    """QA the package as stored (decrypted back from disk) against a fresh extraction."""
    report = package_qa(
        files=package_files(package),
        scope_json=scope.canonical_json,
        scope_hash=scope.scope_hash,
        source_data=extract(scope.canonical_json),
    )
    passed = report.passed
    package.qa_report = report.as_dict(checked_at=now)
    package_transition(
        package=package,
        to=ReleasePackage.Status.QA_PASSED if passed else ReleasePackage.Status.QA_FAILED,
        fields=("qa_report",),
    )
    audit.record(
        action="package.qa_passed" if passed else "package.qa_failed",
        actor=actor,
        target=package.request,
        data={
            "package": package.pk,
            "manifest_sha256": package.manifest_sha256,
            "problems": [p["code"] for p in report.problems],
        },
    )


# --- Release ------------------------------------------------------------------------------------


def _outcome(legal_request: LegalRequest, scope: Scope, package: ReleasePackage) -> str:
    """
    Fulfilled, or partly when a target did not resolve, a requested category was not
    approved or holds nothing, or an approved target has no record in the package.
    """
    spec = ScopeSpec.parse(scope.canonical_json)
    unresolved = legal_request.targets.exclude(resolution=RequestTarget.Resolution.UNIQUE).exists()
    requested = set(legal_request.data_requested) & set(CATEGORIES)
    not_approved = requested - set(spec.categories)
    counts = package.manifest.get("counts", {})
    key = {"ip_addresses": "ip_records", "phone_number": "phone_numbers"}
    empty = [c for c in spec.categories if not counts.get(key[c])]
    released = set(package.manifest.get("released_accounts", []))
    without_data = set(spec.accounts) - released
    if unresolved or not_approved or empty or without_data:
        return LegalRequest.Outcome.PARTLY
    return LegalRequest.Outcome.FULFILLED


def _seal_after_release() -> None:
    from audit.tasks import checkpoint

    # Never decides the answer: with the broker down, the beat task's next checkpoint seals it.
    publish(checkpoint)


@records_denials
def package_release(
    *, request_id: int, actor: User, reauthenticated_at: int | None
) -> ReleasePackage:
    """
    Release the request's latest package to the authority.

    Refused unless: the actor may release, approved none of this scope, re-authenticated
    just now; every mandatory check passed; every target's terms violation is a decision
    in force (a link lost since the freeze sends the request back to review, committed and
    audited); the package passed QA and was built from the live scope whose hash is
    approved. The request row lock serialises concurrent releases: the second finds the
    request released and gets InvalidTransition.
    """
    with transaction.atomic(durable=True):
        outcome = _package_release(
            request_id=request_id, actor=actor, reauthenticated_at=reauthenticated_at
        )
    if isinstance(outcome, DisclosureError):
        raise outcome
    return outcome


def _package_release(
    *, request_id: int, actor: User, reauthenticated_at: int | None
) -> ReleasePackage | DisclosureError:
    if not permissions.can_release(actor):
        raise NotPermitted
    request = request_lock(request_id=request_id)
    if request.status != LegalRequest.Status.APPROVED:
        raise InvalidTransition(current=request.status, requested=LegalRequest.Status.RELEASED)
    if refusal := cooling_off_refusal(actor):
        raise SeparationOfDutiesViolation(refusal)
    scope = live_scope(request)
    approvers = {getattr(user, "pk", user) for user in approvers_of(request)}
    if scope is not None:
        approvers |= scope_approvers(legal_request=request, scope=scope)
    if actor.pk in approvers:
        raise SeparationOfDutiesViolation(_("You approved this scope: someone else releases it."))
    if not is_fresh(reauthenticated_at):
        raise ReauthenticationRequired
    scope = _approved_live_scope(request)
    gate_refusal = violation_gate(
        legal_request=request, actor=actor, gate="release", scope=scope, require_decided=True
    )
    if gate_refusal is not None:
        return gate_refusal
    # B8 at release is the data pinned at freeze and verified at build: the package is what
    # leaves, not what the platform holds now.
    facts = RequestFacts(
        links=target_links(request),
        counts=scope.record_counts,
        policy_covers=request.policy.covers(request.offence_category),
    )
    passed, missing = mandatory_checks_passed(request, facts=facts)
    if not passed:
        raise ChecksIncomplete(
            _("Mandatory checks have not all passed: %(codes)s")
            % {"codes": ", ".join(str(m) for m in missing)}
        )
    package = (
        ReleasePackage.objects.select_for_update()
        .filter(request=request, status__in=ReleasePackage.LIVE)
        .order_by("-pk")
        .first()
    )
    if package is None:
        raise PackageNotReady(_("Build a package first."))
    if package.status != ReleasePackage.Status.QA_PASSED:
        raise PackageNotReady(_("The latest package has not passed QA; build it again."))
    if (
        package.scope_id != scope.pk
        or package.manifest.get("scope_hash") != scope.scope_hash
        or package.scope.scope_hash != scope.scope_hash
    ):
        raise ScopeMismatch(_("The package was built from another scope than the approved one."))
    if not crypto.verify(canonical_bytes(package.manifest), package.signature):
        raise PackageNotReady(_("The package's manifest signature does not verify."))
    # What leaves is the stored file: read back and proven intact, or refused and recorded.
    stored = stored_packages.package_integrity_gate(
        package=package, actor=actor, operation="package_release"
    )
    if isinstance(stored, DisclosureError):
        return stored

    now = timezone.now()
    request.outcome = _outcome(request, scope, package)
    request.effect_given_at = now
    request_transition(
        legal_request=request,
        to=LegalRequest.Status.RELEASED,
        actor=actor,
        fields=("outcome", "effect_given_at"),
    )
    package.released_by = actor
    package.released_at = now
    package.downloads_left = settings.PACKAGE_MAX_DOWNLOADS
    package.purge_after = now + timedelta(days=settings.PACKAGE_RETENTION_DAYS)
    package_transition(
        package=package,
        to=ReleasePackage.Status.RELEASED,
        fields=("released_by", "released_at", "downloads_left", "purge_after"),
    )
    audit.record(
        action="request.released",
        actor=actor,
        target=request,
        data={
            "package": package.pk,
            "manifest_sha256": package.manifest_sha256,
            "scope_hash": scope.scope_hash,
            "outcome": request.outcome,
            "counts": package.manifest.get("counts", {}),
        },
    )
    # The release event goes into the Merkle log under a fresh signed checkpoint at once.
    transaction.on_commit(_seal_after_release)
    notices.notices_after_release(
        legal_request=request,
        account_ids=list(package.manifest.get("released_accounts", [])),
        actor=actor,
        now=now,
    )
    return package

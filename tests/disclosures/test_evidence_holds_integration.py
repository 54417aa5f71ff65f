"""
Legal requests and preservation orders keep the moderation evidence they rely on: a hold on
each account a request names (and on the authors of the cases it cites) from registration
until it ends, and on each account a preservation order holds, until that hold ends; placed
and released in the same transaction as the disclosure change; shown on the request page.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from disclosures.exceptions import InvalidRequest
from disclosures.models import LegalRequest, PreservationHold
from disclosures.selectors.review import live_scope
from disclosures.services import preservation, preservation_sweep, review
from disclosures.services.evidence_holds import request_evidence_hold
from disclosures.services.intake import request_register
from moderation.models import EvidenceHold, Report
from moderation.selectors.evidence import account_on_hold
from moderation.services import claims, decisions, retention
from moderation.services.holds import evidence_hold_place
from tests.disclosures.factories import give_subscriber_data, make_account, make_request
from tests.disclosures.helpers import escalated_case, pass_checks, submitted_request, upload
from tests.moderation.factories import make_case, violation

pytestmark = pytest.mark.django_db

Status = LegalRequest.Status


def holds(source: Any = None, *, active: bool = True) -> list[EvidenceHold]:
    found = EvidenceHold.objects.all()
    if source is not None:
        found = found.filter(source_type=source._meta.label_lower, source_id=str(source.pk))
    if active:
        found = found.filter(released_at__isnull=True)
    return list(found.order_by("account_id", "pk"))


def registered(legal, valid, **changes: Any) -> LegalRequest:
    return request_register(actor=legal, data=replace(valid, **changes), document=upload())


def with_request_holds(legal_request: LegalRequest, actor) -> LegalRequest:
    """A request made by the factory (not registered): give it the holds registration gives."""
    with transaction.atomic():
        request_evidence_hold(legal_request=legal_request, actor=actor)
    return legal_request


# --- a legal request ----------------------------------------------------------------------------


def test_registering_a_request_holds_the_named_accounts_evidence(
    legal, valid, suspect, private_storage
):
    request = registered(legal, valid)

    [hold] = holds(request)
    assert (hold.account, hold.placed_by) == (suspect, legal)
    assert hold.reason == f"Legal request {request.reference}"
    assert account_on_hold(suspect.pk)
    event = AuditEvent.objects.get(action="evidence.hold_placed")
    assert (event.actor, event.target_id) == (legal, str(suspect.pk))
    assert event.data["source_type"] == "disclosures.legalrequest"


def test_the_authors_of_cited_cases_are_held_too(legal, valid, suspect, private_storage):
    bystander = make_account(username="bystander")
    cited = escalated_case(bystander)

    request = registered(legal, valid, case_ids=(*valid.case_ids, cited.pk))

    assert [h.account for h in holds(request)] == sorted([suspect, bystander], key=lambda a: a.pk)


def test_an_identifier_that_resolves_to_no_account_holds_nothing(
    legal, valid, suspect, private_storage
):
    request = registered(legal, valid, targets=(*valid.targets, "username:nobody_here"))

    assert [h.account for h in holds(request)] == [suspect]


def test_a_refused_registration_places_no_hold(legal, valid, private_storage):
    with pytest.raises(InvalidRequest):
        registered(legal, valid, legal_basis="")

    assert not EvidenceHold.objects.exists()
    assert not AuditEvent.objects.filter(action="evidence.hold_placed").exists()


@pytest.mark.parametrize(
    "end",
    [
        lambda r, legal: review.request_refuse(
            request_id=r.pk, actor=legal, reason_code="other", reason="Not ours to answer."
        ),
        lambda r, legal: review.request_withdraw(
            request_id=r.pk, actor=legal, reason="The authority withdrew it."
        ),
    ],
    ids=["refused", "withdrawn"],
)
def test_a_request_that_ends_releases_its_holds(legal, valid, suspect, private_storage, end):
    request = registered(legal, valid)

    end(request, legal)

    assert holds(request) == []
    [released] = holds(request, active=False)
    assert released.released_by == legal
    assert not account_on_hold(suspect.pk)
    assert AuditEvent.objects.filter(action="evidence.hold_released").count() == 1


def test_closing_after_a_refusal_changes_nothing_more(legal, valid, private_storage):
    request = registered(legal, valid)
    review.request_refuse(request_id=request.pk, actor=legal, reason_code="other", reason="No.")

    review.request_close(request_id=request.pk, actor=legal)

    assert AuditEvent.objects.filter(action="evidence.hold_released").count() == 1


def test_a_released_request_keeps_its_holds_until_it_is_closed(legal):
    request = with_request_holds(make_request(created_by=legal, status=Status.RELEASED), legal)
    assert holds(request)

    review.request_close(request_id=request.pk, actor=legal)

    assert holds(request) == []


def test_an_approvers_rejection_releases_the_holds(legal, approver):
    request, _scope = submitted_request(registrar=legal)
    with_request_holds(request, legal)

    review.request_reject(
        request_id=request.pk,
        actor=approver,
        scope_hash=live_scope(request).scope_hash,
        reauthenticated_at=int(time.time()),
        reason="Disproportionate.",
    )

    assert holds(request) == []
    assert holds(request, active=False)[0].released_by == approver


def test_closing_as_no_records_releases_the_holds(legal):
    request = with_request_holds(make_request(created_by=legal, status=Status.IN_REVIEW), legal)
    pass_checks(request, legal)

    review.request_close_no_records(request_id=request.pk, actor=legal)

    assert holds(request) == []


def test_a_request_ending_leaves_another_requests_hold_on_the_same_account(legal):
    account = make_account()
    first = with_request_holds(make_request(created_by=legal, accounts=[account]), legal)
    second = with_request_holds(make_request(created_by=legal, accounts=[account]), legal)

    review.request_withdraw(request_id=first.pk, actor=legal, reason="Withdrawn.")

    assert account_on_hold(account.pk)
    assert [h.source_id for h in holds()] == [str(second.pk)] * len(holds())


# --- a preservation order -----------------------------------------------------------------------


def preserving(legal, accounts) -> LegalRequest:
    for n, account in enumerate(accounts):
        give_subscriber_data(
            account,
            phone=f"+3361234561{n}",
            ips=[("203.0.113.9", 51000, timezone.now().replace(year=2026, month=10, day=5))],
        )
    request = make_request(
        created_by=legal,
        status=Status.IN_REVIEW,
        instrument=LegalRequest.Instrument.EPOC_PR,
        accounts=accounts,
    )
    pass_checks(request, legal)
    preservation.hold_place(request_id=request.pk, actor=legal)
    request.refresh_from_db()
    return request


def test_placing_a_preservation_hold_holds_each_accounts_evidence(legal):
    accounts = [make_account(), make_account()]

    request = preserving(legal, accounts)

    placed = {h.account_id: h for h in PreservationHold.objects.filter(request=request)}
    evidence = holds()
    assert [h.account for h in evidence] == accounts
    for hold in evidence:
        assert hold.source_type == "disclosures.preservationhold"
        assert hold.source_id == str(placed[hold.account_id].pk)
        assert hold.reason == f"Preservation order {request.reference}"


def test_releasing_the_preservation_hold_releases_the_evidence(legal):
    account = make_account()
    request = with_request_holds(preserving(legal, [account]), legal)

    preservation.hold_release(request_id=request.pk, actor=legal, reason="Production order came.")

    assert holds() == []
    assert not account_on_hold(account.pk)


def test_withdrawing_a_preservation_order_releases_the_evidence(legal):
    account = make_account()
    request = preserving(legal, [account])

    review.request_withdraw(request_id=request.pk, actor=legal, reason="No longer needed.")

    assert holds() == []


def test_an_expired_preservation_hold_releases_the_evidence(legal):
    account = make_account()
    request = with_request_holds(preserving(legal, [account]), legal)
    PreservationHold.objects.filter(request=request).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    preservation_sweep.holds_sweep()

    assert holds() == []
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    released = AuditEvent.objects.filter(action="evidence.hold_released")
    assert released.count() == 2
    assert {e.actor for e in released} == {None}


def test_a_failed_preservation_change_leaves_the_evidence_hold_as_it_was(legal):
    account = make_account()
    request = preserving(legal, [account])

    with pytest.raises(InvalidRequest):  # a release needs a reason: nothing is written
        preservation.hold_release(request_id=request.pk, actor=legal, reason="")

    assert [h.account for h in holds()] == [account]


# --- what it means for the purge, and the page --------------------------------------------------


def test_a_named_account_keeps_its_evidence_until_the_request_ends(
    legal, moderator, valid, suspect, private_storage
):
    case = make_case(subject__author_id=suspect.platform_id, subject__text="offer of drugs")
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    request = registered(legal, valid, case_ids=(case.pk,))
    far = timezone.now() + timedelta(days=1000)

    retention.evidence_purge(now=far)
    assert Report.objects.get(case=case).content_text == "offer of drugs"

    review.request_withdraw(request_id=request.pk, actor=legal, reason="Withdrawn.")
    retention.evidence_purge(now=far)
    assert Report.objects.get(case=case).evidence_purged_at is not None


def test_the_request_page_shows_whether_each_targets_evidence_is_on_hold(legal, legal_client):
    held, free = make_account(), make_account()
    request = make_request(created_by=legal, accounts=[held, free])
    with transaction.atomic():
        evidence_hold_place(account=held, source=request, reason="Legal request", actor=legal)

    body = legal_client.get(reverse("disclosures:request", args=[request.pk])).content.decode()

    assert body.count("On legal hold") == 1
    assert body.count("Not on hold") == 1


def test_the_request_page_query_count_does_not_grow_with_held_targets(legal, legal_client):
    few = with_request_holds(make_request(created_by=legal), legal)
    url = reverse("disclosures:request", args=[few.pk])
    legal_client.get(url)
    with CaptureQueriesContext(connection) as small:
        legal_client.get(url)
    many = with_request_holds(
        make_request(created_by=legal, accounts=[make_account() for _ in range(6)]), legal
    )
    with CaptureQueriesContext(connection) as large:
        legal_client.get(reverse("disclosures:request", args=[many.pk]))

    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(holds(many)) == 6

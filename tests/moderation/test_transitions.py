"""The case and appeal state machines: one way to move, every refused move writes nothing."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from audit import actions
from audit.models import AuditEvent
from moderation.exceptions import (
    AppealRefused,
    BulkJobTransitionRefused,
    DecisionTransitionRefused,
    InvalidTransition,
)
from moderation.models import Appeal, BulkJob, Case, Decision
from moderation.services.workflow import (
    appeal_transition,
    bulk_job_transition,
    case_transition,
    decision_transition,
)
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _test_action_registered(monkeypatch):
    """`case.moved` stands for any case action here; no app records it, so it is test-only."""
    monkeypatch.setitem(actions._labels, "case.moved", "Case moved (test)")


Status = Case.Status

ILLEGAL = [
    (a, b)
    for a, b in itertools.product(Status.values, Status.values)
    if b not in Case.TRANSITIONS[a]
]
LEGAL = [(a, b) for a, targets in Case.TRANSITIONS.items() for b in sorted(targets)]


def _case_in(status: str, holder) -> Case:
    case = make_case()
    claim = {"claimed_by": holder, "claim_expires_at": timezone.now() + timedelta(minutes=5)}
    Case.objects.filter(pk=case.pk).update(status=status, **(claim if status == "claimed" else {}))
    return case


def _row(case: Case) -> dict:
    return Case.objects.filter(pk=case.pk).values().get()


def _events(case: Case):
    return AuditEvent.objects.filter(target_type="moderation.case", target_id=str(case.pk))


def _move(case: Case, *, to: str, actor) -> None:
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        fields: tuple[str, ...] = ()
        if to == Status.CLAIMED:  # a claimed case has a holder and a lease
            locked.claimed_by = actor
            locked.claim_expires_at = timezone.now() + timedelta(minutes=5)
            fields = ("claimed_by", "claim_expires_at")
        case_transition(
            case=locked, to=to, actor=actor, action="case.moved", fields=fields, data={"to": to}
        )


def test_the_illegal_list_covers_every_missing_pair():
    assert len(ILLEGAL) + len(LEGAL) == len(Status.values) ** 2
    assert set(Case.TRANSITIONS) == set(Status.values)


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_case_transition_is_refused_and_writes_nothing(moderator, current, target):
    case = _case_in(current, moderator)
    before = _row(case)
    events_before = _events(case).count()

    with pytest.raises(InvalidTransition):
        _move(case, to=target, actor=moderator)

    assert _row(case) == before
    assert _events(case).count() == events_before


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_every_legal_case_transition_moves_and_records_one_event(moderator, current, target):
    case = _case_in(current, moderator)
    events_before = _events(case).count()

    _move(case, to=target, actor=moderator)

    case.refresh_from_db()
    assert case.status == target
    assert _events(case).count() == events_before + 1
    event = _events(case).latest("id")
    assert (event.action, event.data) == ("case.moved", {"to": target})


@pytest.mark.django_db(transaction=True)
def test_case_transition_outside_a_transaction_is_refused(moderator):
    case = make_case()
    before = _row(case)

    with pytest.raises(RuntimeError):
        case_transition(case=case, to=Status.CLAIMED, actor=moderator, action="case.claimed")

    assert _row(case) == before


APPEAL_ILLEGAL = [
    (a, b)
    for a, b in itertools.product(Appeal.Status.values, Appeal.Status.values)
    if b not in Appeal.TRANSITIONS[a]
]


@pytest.mark.parametrize(("current", "target"), APPEAL_ILLEGAL)
def test_every_illegal_appeal_transition_is_refused(current, target):
    appeal = Appeal(status=current)  # refused before any save, so no row is needed

    with transaction.atomic(), pytest.raises(AppealRefused):
        appeal_transition(appeal=appeal, to=target)

    assert appeal.status == current
    assert not Appeal.objects.exists()


DECISION_ILLEGAL = [
    (a, b)
    for a, b in itertools.product(Decision.Status.values, Decision.Status.values)
    if b not in Decision.TRANSITIONS[a]
]
BULK_ILLEGAL = [
    (a, b)
    for a, b in itertools.product(BulkJob.Status.values, BulkJob.Status.values)
    if b not in BulkJob.TRANSITIONS[a]
]


@pytest.mark.parametrize(("current", "target"), DECISION_ILLEGAL)
def test_every_illegal_decision_transition_is_refused_and_writes_nothing(
    moderator, current, target
):
    case = make_case()
    decision = Decision.objects.create(
        case=case, moderator=moderator, actions=["remove_content"], status=current
    )

    with transaction.atomic(), pytest.raises(DecisionTransitionRefused):
        decision_transition(
            decision=Decision.objects.select_for_update().get(pk=decision.pk), to=target
        )

    assert Decision.objects.get(pk=decision.pk).status == current


@pytest.mark.parametrize("target", sorted(Decision.TRANSITIONS[Decision.Status.IN_FORCE]))
def test_a_decision_in_force_can_be_taken_out_once(moderator, target):
    decision = Decision.objects.create(
        case=make_case(), moderator=moderator, actions=["remove_content"]
    )

    with transaction.atomic():
        decision_transition(
            decision=Decision.objects.select_for_update().get(pk=decision.pk), to=target
        )

    assert Decision.objects.get(pk=decision.pk).status == target


@pytest.mark.parametrize(("current", "target"), BULK_ILLEGAL)
def test_every_illegal_bulk_job_transition_is_refused_and_writes_nothing(senior, current, target):
    job = BulkJob.objects.create(
        created_by=senior, case_ids=[], decision_template={}, status=current
    )

    with transaction.atomic(), pytest.raises(BulkJobTransitionRefused):
        bulk_job_transition(job=BulkJob.objects.select_for_update().get(pk=job.pk), to=target)

    assert BulkJob.objects.get(pk=job.pk).status == current


def test_the_refusals_name_what_refused():
    assert (
        str(DecisionTransitionRefused(current="reversed", requested="in_force"))
        == "A decision that is reversed cannot become in_force."
    )
    assert "A bulk job" in str(BulkJobTransitionRefused(current="finished", requested="running"))

"""The case and appeal state machines: one way to move, every refused move writes nothing."""

from __future__ import annotations

import ast
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import actions
from audit.models import AuditEvent
from moderation.exceptions import AppealRefused, InvalidTransition
from moderation.models import Appeal, Case
from moderation.services.workflow import appeal_transition, case_transition
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


# --- nothing else moves a case ----------------------------------------------------------------

MODERATION = Path(settings.BASE_DIR) / "moderation"
WORKFLOW = MODERATION / "services" / "workflow.py"
# Variables that hold other models' statuses, which have no TRANSITIONS table of their own.
OTHER_STATUSES = {"job", "delivery", "decision"}


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _status_writes(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "status"
                and _root_name(target) not in OTHER_STATUSES
            ):
                found.append(f"{path.name}:{node.lineno} {ast.unparse(target)} = ...")
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if (
            name == "update"
            and _root_name(node.func) == "Case"
            and any(k.arg == "status" for k in node.keywords)
        ):
            found.append(f"{path.name}:{node.lineno} Case...update(status=...)")
        if name == "bulk_update" and "'status'" in ast.unparse(node):
            found.append(f"{path.name}:{node.lineno} bulk_update(..., ['status'])")
        if name == "setattr" and "'status'" in ast.unparse(node):
            found.append(f"{path.name}:{node.lineno} setattr(..., 'status', ...)")
    return found


def test_only_the_workflow_module_assigns_a_case_or_appeal_status():
    sources = [
        path
        for path in sorted(MODERATION.rglob("*.py"))
        if "migrations" not in path.parts and path != WORKFLOW
    ]
    assert len(sources) > 20  # the scan really looked at the app

    offenders = [write for path in sources for write in _status_writes(path)]

    assert offenders == []


def test_the_scan_finds_a_status_assignment(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "case.status = 'open'\n"
        "Case.objects.filter(pk=1).update(status='open')\n"
        "job.status = 'finished'\n"
    )
    assert [w.split(" ", 1)[1] for w in _status_writes(sample)] == [
        "case.status = ...",
        "Case...update(status=...)",
    ]

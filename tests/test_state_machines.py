"""
Every state machine in the project: one table per model, one way to move, nothing else writes a
status (docs/architecture.md, State machines).
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from core.errors import InvalidTransition
from core.transitions import status_transition

ROOT = Path(settings.BASE_DIR)
APPS = ("accounts", "audit", "core", "disclosures", "moderation", "outbox", "signals")
# The modules allowed to assign a status: the shared move, and the two transition functions
# that also bump a version or record the move (case, appeal, request).
MOVERS = {
    ROOT / "core" / "transitions.py",
    ROOT / "moderation" / "services" / "workflow.py",
    ROOT / "disclosures" / "services" / "workflow.py",
}


def _machines() -> list[type[models.Model]]:
    return sorted(
        (m for m in apps.get_models() if hasattr(m, "TRANSITIONS")), key=lambda m: m._meta.label
    )


MACHINES = _machines()
ILLEGAL = [
    (model, current, target)
    for model in MACHINES
    for current, target in itertools.product(
        model.Status.values,  # type: ignore[attr-defined]
        model.Status.values,  # type: ignore[attr-defined]
    )
    if target not in model.TRANSITIONS[current]  # type: ignore[attr-defined]
]


def test_every_model_with_a_status_has_a_complete_table():
    with_status = {
        m._meta.label
        for m in apps.get_models()
        if m._meta.app_label in APPS
        and any(f.name == "status" and f.choices for f in m._meta.concrete_fields)
    }

    assert with_status == {m._meta.label for m in MACHINES}
    for model in MACHINES:
        table = model.TRANSITIONS  # type: ignore[attr-defined]
        statuses = set(model.Status.values)  # type: ignore[attr-defined]
        assert set(table) == statuses, model
        assert all(targets <= statuses for targets in table.values()), model


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "current", "target"),
    ILLEGAL,
    ids=[f"{m._meta.label}:{a}->{b}" for m, a, b in ILLEGAL],
)
def test_every_illegal_move_is_refused_before_anything_is_saved(model, current, target):
    obj = model(status=current)  # refused before any save, so no row is needed

    with transaction.atomic(), pytest.raises(InvalidTransition):
        status_transition(obj, to=target)

    assert obj.status == current
    assert obj.pk is None


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _status_writes(path: Path) -> list[str]:
    found = []
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "status":
                found.append(f"{where}:{node.lineno} {ast.unparse(target)} = ...")
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name == "update" and any(k.arg == "status" for k in node.keywords):
            found.append(f"{where}:{node.lineno} {_root_name(node.func)}...update(status=...)")
        if name == "bulk_update" and "'status'" in ast.unparse(node):
            found.append(f"{where}:{node.lineno} bulk_update(..., ['status'])")
        if name == "setattr" and "'status'" in ast.unparse(node):
            found.append(f"{where}:{node.lineno} setattr(..., 'status', ...)")
    return found


def test_only_the_transition_functions_assign_a_status():
    sources = [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and path not in MOVERS
    ]
    assert len(sources) > 100  # the scan really looked at the apps

    offenders = [write for path in sources for write in _status_writes(path)]

    assert offenders == []


def test_the_scan_finds_a_status_assignment(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "case.status = 'open'\n"
        "Case.objects.filter(pk=1).update(status='open')\n"
        "job.status = 'finished'\n"
        "BulkJob.objects.filter(pk=1).update(done=2)\n"
        "Grant.objects.bulk_update(rows, ['status'])\n"
    )
    assert sorted(w.split(" ", 1)[1] for w in _status_writes(sample)) == [
        "Case...update(status=...)",
        "bulk_update(..., ['status'])",
        "case.status = ...",
        "job.status = ...",
    ]

"""Every action the code base records is declared, with a label, in an app's audit_actions."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps

import audit
from accounts import auth_failures
from audit import actions
from audit.models import AuditEvent
from audit.services import InvalidAuditEvent

PROJECT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "tests", "var", "node_modules", "static", "migrations"}


def _project_modules() -> Iterator[Path]:
    for path in sorted(PROJECT.rglob("*.py")):
        parts = set(path.relative_to(PROJECT).parts)
        if not parts & SKIPPED_DIRS and not any(p.startswith(".") for p in parts):
            yield path


def _literal_strings(node: ast.AST) -> Iterator[str]:
    """The plain string literals an expression can take (both sides of an if/else too)."""
    for child in ast.walk(node):
        if isinstance(child, ast.JoinedStr):
            return  # an f-string: its fragments are no action names
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value


def _literal_actions() -> dict[str, str]:
    """Every dotted literal given as `action=` anywhere, and where it was first seen."""
    found: dict[str, str] = {}
    for path in _project_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in {"action", "action__in"}:
                for value in _literal_strings(node.value):
                    if actions.is_well_formed(value):
                        found.setdefault(value, f"{path.relative_to(PROJECT)}:{node.lineno}")
    return found


def _yielded_account_actions() -> set[str]:
    """accounts.signals.account_changes yields (action, data) pairs rather than calling record."""
    tree = ast.parse((PROJECT / "accounts" / "signals.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Yield) and isinstance(node.value, ast.Tuple):
            found |= {s for s in _literal_strings(node.value.elts[0]) if actions.is_well_formed(s)}
    return found


def test_scan_finds_the_actions_recorded_across_the_apps():
    found = _literal_actions()

    # A guard on the scan itself: if it found nothing, the next test would pass vacuously.
    assert {"case.decided", "request.released", "auth.login", "authz.denied"} <= set(found)
    assert len(found) >= 66


def test_every_literal_action_in_the_code_base_is_registered():
    found = _literal_actions()
    unregistered = {code: where for code, where in found.items() if not actions.is_registered(code)}

    assert unregistered == {}, "declare these in their app's audit_actions.py"


def test_actions_built_at_run_time_are_registered():
    from disclosures import admin as disclosures_admin
    from disclosures.models import Authority

    built = set(auth_failures.ACTIONS.values())
    built |= {f"authority.{status}" for status in Authority.Status.values}
    audited_admins = [
        model
        for model, model_admin in disclosures_admin.admin.site._registry.items()
        if isinstance(model_admin, disclosures_admin.AuditedAdmin)
    ]
    assert audited_admins, "the scan of audited admins found none"
    built |= {
        f"{model._meta.model_name}.{verb}"
        for model in audited_admins
        for verb in ("created", "changed", "deleted")
    }
    accounts_changes = _yielded_account_actions()
    assert "user.email_changed" in accounts_changes
    built |= accounts_changes

    assert sorted(code for code in built if not actions.is_registered(code)) == []


def test_every_registered_action_has_a_label_and_a_well_formed_code():
    registered = actions.registered()

    assert registered
    for code, label in registered.items():
        assert actions.is_well_formed(code), code
        assert label.strip(), code
        assert label != code, code
        assert actions.label_for(code) == label


def test_each_app_declares_its_actions_in_its_own_module():
    for app_label in ("accounts", "audit", "moderation", "disclosures"):
        module = apps.get_app_config(app_label).module
        assert (Path(module.__file__).parent / "audit_actions.py").exists(), app_label


def test_label_for_an_unregistered_code_is_the_code():
    assert actions.label_for("nothing.registered_here") == "nothing.registered_here"


def test_register_refuses_a_second_label_for_one_code():
    with pytest.raises(actions.ActionAlreadyRegistered):
        actions.register("case.decided", "Something else")
    actions.register("case.decided", actions.label_for("case.decided"))  # same: no error


@pytest.mark.django_db
def test_recording_an_unregistered_action_raises_and_writes_nothing():
    with pytest.raises(InvalidAuditEvent, match="not registered"):
        audit.record(action="case.teleported")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_recording_a_registered_action_works_through_the_plain_import():
    from audit import record

    event = record(action="case.decided", target_type="moderation.case", target_id=1)

    assert event.action_label == "Case decided"


@pytest.mark.django_db
def test_event_list_shows_the_label_with_the_code_and_suggests_registered_actions(
    auditor_client,
):
    from django.urls import reverse

    audit.record(action="case.decided", target_type="moderation.case", target_id=1)

    response = auditor_client.get(reverse("audit:events"))

    content = response.content.decode()
    # The label for people, the code one hover away; the target named, not coded.
    assert '<span title="case.decided">Case decided</span>' in content
    assert '<span title="moderation.case:1">Case #1</span>' in content
    assert '<option value="case.decided">Case decided</option>' in content
    assert '<option value="case.*">' in content


@pytest.mark.django_db
def test_event_list_filter_refuses_an_unregistered_action(auditor_client):
    from django.urls import reverse

    response = auditor_client.get(reverse("audit:events"), {"action": "case.teleported"})

    assert response.context["form"].errors

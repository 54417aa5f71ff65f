"""
Reply templates, maintained by senior moderators. They are only text helpers for the decision
form: the decision service never reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

import audit
from core.errors import InvalidInput
from moderation import permissions
from moderation.exceptions import ModerationError, NotAllowed
from moderation.models import Category, ReplyTemplate

if TYPE_CHECKING:
    from accounts.models import User

EDITABLE_FIELDS = ("title", "category", "language", "field", "body", "shortcut", "active")


class InvalidReplyTemplate(ModerationError, InvalidInput):
    summary = "The reply template is not valid"


@dataclass(frozen=True)
class ReplyTemplateInput:
    title: str
    category: Category | None
    language: str
    field: str
    body: str
    shortcut: int | None
    active: bool = True


def _check(*, data: ReplyTemplateInput, exclude_id: int | None) -> None:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = ["Give the template a title."]
    if not data.body.strip():
        errors["body"] = ["Write the template's text."]
    if data.field not in ReplyTemplate.Field.values:
        errors["field"] = ["Choose the explanation or the facts."]
    if data.shortcut is not None and not 1 <= data.shortcut <= 9:
        errors["shortcut"] = ["A shortcut is a key from 1 to 9."]
    elif data.shortcut is not None and data.active:
        # One key must insert one text: unique among the active templates a case can see.
        clash = ReplyTemplate.objects.filter(
            active=True,
            language=data.language,
            category=data.category,
            shortcut=data.shortcut,
        )
        if exclude_id is not None:
            clash = clash.exclude(pk=exclude_id)
        taken = clash.values_list("title", flat=True).first()
        if taken is not None:
            errors["shortcut"] = [
                f"Shortcut {data.shortcut} is already used by “{taken}” for this category "
                f"and language; choose another key or deactivate that template."
            ]
    if errors:
        raise InvalidReplyTemplate(errors)


def _require_manager(actor: User) -> None:
    if not permissions.can_manage_reply_templates(actor):
        raise NotAllowed("Your role does not allow managing reply templates.")


def _audit_value(value: Any) -> Any:
    return value.pk if isinstance(value, Category) else value


@transaction.atomic(durable=True)
def reply_template_create(*, actor: User, data: ReplyTemplateInput) -> ReplyTemplate:
    _require_manager(actor)
    data = _normalised(data)
    _check(data=data, exclude_id=None)
    template = ReplyTemplate.objects.create(
        title=data.title,
        category=data.category,
        language=data.language,
        field=data.field,
        body=data.body,
        shortcut=data.shortcut,
        active=data.active,
        updated_by=actor,
    )
    # The body is a reusable, non-personal text: kept in the trail so auditors see what was said.
    audit.record(
        action="reply_template.created",
        actor=actor,
        target=template,
        data={name: _audit_value(getattr(template, name)) for name in EDITABLE_FIELDS},
    )
    return template


@transaction.atomic(durable=True)
def reply_template_update(
    *, template_id: int, actor: User, data: ReplyTemplateInput
) -> ReplyTemplate:
    """Change a template (deactivating it too); the audit event lists each changed field."""
    _require_manager(actor)
    data = _normalised(data)
    template = ReplyTemplate.objects.select_for_update().get(pk=template_id)
    _check(data=data, exclude_id=template.pk)
    changed: dict[str, dict[str, Any]] = {}
    for name in EDITABLE_FIELDS:
        old, new = getattr(template, name), getattr(data, name)
        if _audit_value(old) != _audit_value(new):
            changed[name] = {"from": _audit_value(old), "to": _audit_value(new)}
            setattr(template, name, new)
    if not changed:
        return template
    template.updated_by = actor
    template.save(update_fields=[*changed, "updated_by", "updated_at"])
    audit.record(
        action="reply_template.updated", actor=actor, target=template, data={"changed": changed}
    )
    return template


def reply_template_deactivate(*, template_id: int, actor: User) -> ReplyTemplate:
    """Templates are deactivated, never deleted: past audit events still name them."""
    template = ReplyTemplate.objects.get(pk=template_id)
    return reply_template_update(
        template_id=template_id,
        actor=actor,
        data=ReplyTemplateInput(
            title=template.title,
            category=template.category,
            language=template.language,
            field=template.field,
            body=template.body,
            shortcut=template.shortcut,
            active=False,
        ),
    )


def _normalised(data: ReplyTemplateInput) -> ReplyTemplateInput:
    return ReplyTemplateInput(
        title=data.title.strip(),
        category=data.category,
        language=(data.language or "en").strip().lower(),
        field=data.field,
        body=data.body.strip(),
        shortcut=data.shortcut,
        active=data.active,
    )

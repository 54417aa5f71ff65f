"""Building private-group reports for the roll-up tests (a non-test module, shared by them)."""

from __future__ import annotations

import itertools
from typing import Any

from moderation.models import Case, Decision, PlatformAccount, Subject
from moderation.services import claims, decisions
from moderation.services.intake import ReportInput, reports_ingest
from tests.moderation.factories import report_input

_n = itertools.count(1)


def _account(platform_id: str) -> PlatformAccount:
    account, _ = PlatformAccount.objects.get_or_create(
        platform_id=platform_id, defaults={"username": platform_id}
    )
    return account


def message(
    chat: str,
    *,
    kind: str = "private_group",
    owner: str | None = "owner-1",
    title: str = "Night market",
    **overrides: Any,
) -> ReportInput:
    """
    A report about a new message in `chat`. Its subject is stored first with the chat's
    owner and title; `owner=None`: a subject stored without its owner (before intake asked
    for it), which a later report does not change.
    """
    n = next(_n)
    platform_id = overrides.pop("subject__platform_id", f"{chat}-msg-{n}")
    author = overrides.pop("subject__author_id", f"{chat}-author-{n}")
    Subject.objects.get_or_create(
        type="message",
        platform_id=platform_id,
        defaults={
            "author": _account(author),
            "chat_id": chat,
            "chat_kind": kind,
            "chat_owner": _account(owner) if owner else None,
            "chat_title": title if owner else "",
        },
    )
    if kind in ("private_group", "private_channel"):
        # Intake requires the owner now; a subject stored before it did may still lack one.
        overrides.setdefault("subject__chat_owner_id", owner or "owner-sent-later")
        overrides.setdefault("subject__chat_title", title)
    return report_input(
        subject__platform_id=platform_id,
        subject__author_id=author,
        subject__chat_id=chat,
        subject__chat_kind=kind,
        subject__text=overrides.pop("subject__text", f"Message {n} in {chat}"),
        **overrides,
    )


def send(chat: str, n: int, **kwargs: Any) -> list[int]:
    """`n` reports about `n` new messages of `chat`, in one batch; their case ids."""
    items = [message(chat, **kwargs) for _ in range(n)]
    result = reports_ingest(items=items)
    assert not result.rejected, result.rejected
    return [result.case_ids[i.external_id] for i in items]


def group_case(chat: str) -> Case | None:
    return Case.objects.filter(
        subject__type="group", subject__platform_id=chat, status__in=Case.ACTIVE
    ).first()


def decide(case: Case, actor: Any, decision: Any) -> Decision:
    claims.case_claim(case_id=case.pk, actor=actor)
    return decisions.case_decide(case_id=case.pk, actor=actor, decision=decision)

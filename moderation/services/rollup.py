"""
Private-group roll-up: many message cases from one private group or channel gather in one
case about the group, shown together and decided at the group level (docs/private-chats.md).

The hooks below are called by intake and by `decision_create`; they do nothing for a chat
that is not rolled up.

Locks. Intake holds its batch's case rows when it calls `rollups_after_intake`; a group-level
decision holds the group case's row when it resolves the children. So that neither can wait
for the other, the roll-up never waits for a row lock: it takes the chat's advisory lock (a
namespace of its own, only ever taken here, after intake's subject locks), then the group case
and the chat's other message cases with SKIP LOCKED. A row another transaction holds is left
for the next batch of that chat (the children) or the whole chat waits for the next batch (the
group case is being decided or claimed). A group-level decision locks its children in id order
and waits for them; nothing it waits on waits for it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

import audit
from moderation.chat_kinds import ROLLUP_CHAT_KINDS
from moderation.models import Case, Category, Decision, Report, Subject
from moderation.services import deliveries
from moderation.services.workflow import case_transition

if TYPE_CHECKING:
    from accounts.models import User

# Seeds the hash of the chat advisory lock keys: apart from intake's external-id and subject
# keys (0x7E_9031, 0x7E_9032), so a chat id never shares a key with a report or a subject.
_ROLLUP_LOCK_SEED = 0x7E_9041

_CHILD_FIELDS = (
    "pk",
    "status",
    "category_id",
    "deadline_at",
    "language",
    "created_at",
    "subject__chat_id",
    "subject__chat_kind",
    "subject__chat_title",
    "subject__chat_owner_id",
)


def _lock_chats(chat_ids: list[str]) -> None:
    """Serialise roll-ups of one chat until the transaction ends (SQLite serialises anyway)."""
    if connection.vendor != "postgresql" or not chat_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(key) FROM ("
            "  SELECT DISTINCT hashtextextended('rollup:' || chat_id, %s) AS key"
            "  FROM unnest(%s::text[]) AS chat_id ORDER BY key"
            ") AS keys",
            [_ROLLUP_LOCK_SEED, chat_ids],
        )


def _rolled_up_chats(case_ids: list[int]) -> list[str]:
    """The private groups and channels that the batch's message cases come from."""
    return sorted(
        set(
            Case.objects.filter(
                pk__in=case_ids,
                subject_type=Subject.Type.MESSAGE,
                status__in=Case.ACTIVE,
                subject__chat_kind__in=ROLLUP_CHAT_KINDS,
            )
            .exclude(subject__chat_id="")
            .values_list("subject__chat_id", flat=True)
            .order_by()
        )
    )


def _group_case_rows(chats: list[str]) -> tuple[dict[str, int], dict[str, datetime]]:
    """The active group case of each chat, and when its last group case was resolved."""
    active: dict[str, int] = {}
    last_resolved: dict[str, datetime] = {}
    for row in (
        Case.objects.filter(subject__type=Subject.Type.GROUP, subject__platform_id__in=chats)
        .values("subject__platform_id")
        .annotate(
            active=Max("pk", filter=Q(status__in=Case.ACTIVE)),
            resolved=Max("resolved_at", filter=Q(status=Case.Status.RESOLVED)),
        )
        .order_by()
    ):
        chat = row["subject__platform_id"]
        if row["active"] is not None:
            active[chat] = row["active"]
        if row["resolved"] is not None:
            last_resolved[chat] = row["resolved"]
    return active, last_resolved


def _owner_and_title(rows: list[dict[str, Any]]) -> tuple[int | None, str, str]:
    """The chat's owner (the one most messages name), newest title, and kind."""
    owners = Counter(r["subject__chat_owner_id"] for r in rows if r["subject__chat_owner_id"])
    owner = owners.most_common(1)[0][0] if owners else None
    newest = max(rows, key=lambda r: r["pk"])
    title = next(
        (
            r["subject__chat_title"]
            for r in sorted(rows, key=lambda r: -r["pk"])
            if r["subject__chat_title"]
        ),
        "",
    )
    return owner, title, newest["subject__chat_kind"]


def _new_group_cases(
    wanted: dict[str, list[dict[str, Any]]], owners: dict[str, int]
) -> dict[str, int]:
    """Open the group case of each chat in `wanted` (its subject too, if missing): chat -> id."""
    if not wanted:
        return {}
    categories = {c.pk: c for c in Category.objects.all()}
    subjects = []
    for chat, rows in wanted.items():
        _, title, kind = _owner_and_title(rows)
        subjects.append(
            Subject(
                type=Subject.Type.GROUP,
                platform_id=chat,
                author_id=owners[chat],
                chat_id=chat,
                chat_kind=kind,
                chat_owner_id=owners[chat],
                chat_title=title,
            )
        )
    Subject.objects.bulk_create(subjects, ignore_conflicts=True)
    by_chat = {
        s.platform_id: s
        for s in Subject.objects.filter(type=Subject.Type.GROUP, platform_id__in=sorted(wanted))
    }
    cases = []
    for chat, rows in wanted.items():
        # Provisional: cases_refresh folds the children in (category, deadline, priority).
        lead = max(rows, key=lambda r: (categories[r["category_id"]].severity, -r["pk"]))
        languages = Counter(r["language"] for r in rows if r["language"])
        cases.append(
            Case(
                subject=by_chat[chat],
                subject_type=Subject.Type.GROUP,
                category_id=lead["category_id"],
                language=languages.most_common(1)[0][0] if languages else "",
                deadline_at=min(r["deadline_at"] for r in rows),
            )
        )
    # A report about the group itself may have opened its case a moment ago (the partial
    # unique constraint makes this a no-op); the caller re-reads.
    Case.objects.bulk_create(cases, ignore_conflicts=True)
    return {
        chat: pk
        for chat, pk in Case.objects.filter(
            subject__in=list(by_chat.values()), status__in=Case.ACTIVE
        ).values_list("subject__platform_id", "pk")
    }


def rollups_after_intake(*, case_ids: list[int]) -> None:
    """
    Roll the message cases among `case_ids` (locked by intake) into their group's case.

    Per chat: an active group case takes the chat's active, not yet rolled-up message cases;
    without one, ROLLUP_MIN_CASES of them and a known owner open it. A fixed number of queries
    per batch, plus one audit event per chat rolled up.
    """
    chats = _rolled_up_chats(sorted(set(case_ids)))
    if not chats:
        return
    _lock_chats(chats)
    active, last_resolved = _group_case_rows(chats)
    # SKIP LOCKED: see the module docstring. Rows this transaction holds are returned.
    candidates = list(
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            subject__chat_id__in=chats,
            subject__chat_kind__in=ROLLUP_CHAT_KINDS,
            subject_type=Subject.Type.MESSAGE,
            status__in=Case.ACTIVE,
            rollup_parent__isnull=True,
        )
        .exclude(status=Case.Status.LEGAL)
        .exclude(escalation=Case.Escalation.LEGAL)
        .order_by("pk")
        .values(*_CHILD_FIELDS)
    )
    per_chat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in candidates:
        chat = row["subject__chat_id"]
        # Message cases released by the chat's last group decision ("no violation") are not
        # rolled up again; those opened since may be.
        if chat in last_resolved and row["created_at"] <= last_resolved[chat]:
            continue
        per_chat[chat].append(row)

    free_groups = set(
        Case.objects.select_for_update(skip_locked=True)
        .filter(pk__in=sorted(active.values()))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    wanted: dict[str, list[dict[str, Any]]] = {}
    owners: dict[str, int] = {}
    for chat in chats:
        rows = per_chat.get(chat, [])
        if chat in active or len(rows) < settings.ROLLUP_MIN_CASES:
            continue
        owner, _, _ = _owner_and_title(rows)
        if owner is not None:
            wanted[chat] = rows
            owners[chat] = owner
    created = _new_group_cases(wanted, owners)
    groups = {chat: pk for chat, pk in active.items() if pk in free_groups}
    groups.update(created)
    if not groups:
        return

    attach = [
        Case(pk=row["pk"], rollup_parent_id=groups[chat])
        for chat, rows in per_chat.items()
        if chat in groups
        for row in rows
    ]
    if attach:
        Case.objects.bulk_update(attach, ["rollup_parent"])
    from moderation.services.priority import cases_refresh

    # The group case ranks with its children: re-scored after them (intake scored them first).
    cases_refresh(case_ids=sorted(groups.values()))
    for chat in sorted(groups):
        children = [row["pk"] for row in per_chat.get(chat, [])]
        if not children:
            continue
        audit.record(
            action="case.rolled_up",
            target_type="moderation.case",
            target_id=groups[chat],
            data={
                "group_case": groups[chat],
                "cases": children[:500],
                "created": chat in created,
            },
        )


def decision_evidence(*, case: Case) -> Report | None:
    """
    The report a decision's statement of reasons cites as its evidence.

    A group case opened by a roll-up has no report of its own: its decision cites the newest
    queued report of the message cases rolled up into it.
    """
    own = case.reports.order_by("-id").first()
    if own is not None or case.subject_type != Subject.Type.GROUP:
        return own
    return (
        Report.objects.filter(case__rollup_parent=case, held=Report.Held.NO)
        .select_related("subject")
        .order_by("-id")
        .first()
    )


def rolled_up_cases_resolve(*, decision: Decision, case: Case, actor: User) -> None:
    """
    Resolve the message cases rolled up into `case` with its group-level decision.

    A violation resolves every active child (not one escalated to legal, which is detached
    and keeps its own course): no decision of its own, its reporters told the outcome and
    counted in their track record, a holder's claim ended. "No violation" releases the
    children to the queue. Children are locked in id order, after the group case the caller
    holds; a child decided on its own meanwhile is found resolved and left alone.
    """
    if case.subject_type != Subject.Type.GROUP:
        return
    children = list(
        Case.objects.select_for_update()
        .filter(rollup_parent=case, status__in=Case.ACTIVE)
        .order_by("pk")
    )
    if not children:
        return
    if not decision.is_violation:
        _release(children, group=case, actor=actor, decision=decision)
        return
    legal = [
        c
        for c in children
        if c.status == Case.Status.LEGAL or c.escalation == Case.Escalation.LEGAL
    ]
    if legal:
        _release(legal, group=case, actor=actor, decision=decision)
    resolved = [c for c in children if c not in legal]
    if not resolved:
        return
    from moderation.services.decisions import reporter_outcome_record

    now = timezone.now()
    for child in resolved:
        holder = child.claimed_by_id if child.status == Case.Status.CLAIMED else None
        child.resolved_at = now
        child.claimed_by = None
        child.claim_expires_at = None
        child.score_changes_at = None
        case_transition(
            case=child,
            to=Case.Status.RESOLVED,
            actor=actor,
            action="case.resolved_with_group",
            fields=("resolved_at", "claimed_by", "claim_expires_at", "score_changes_at"),
            data={
                "group_case": case.pk,
                "decision": decision.pk,
                # A moderator who held the child's claim loses it with the group decision.
                **({"claim_ended": holder} if holder else {}),
            },
        )
    for child in resolved:
        reporter_outcome_record(case=child, actioned=True)
    deliveries.deliveries_for_rolled_up_reports(decision=decision, group=case, cases=resolved)


def rolled_up_outcomes_undo(*, decision: Decision, case: Case) -> None:
    """
    An appeal took a group-level violation decision out of force: take back what it counted in
    the track records of the reporters of the message cases it resolved (those without a
    decision of their own). The cases stay resolved; the appeal's outcome is the group's.
    """
    if case.subject_type != Subject.Type.GROUP or not decision.is_violation:
        return
    from moderation.services.decisions import reporter_outcome_record

    children = Case.objects.filter(
        rollup_parent=case, status=Case.Status.RESOLVED, decisions__isnull=True
    ).order_by("pk")
    for child in children:
        reporter_outcome_record(case=child, actioned=True, undo=True)


def _release(children: list[Case], *, group: Case, actor: User, decision: Decision) -> None:
    """Detach children from the group case: they go back to the queue on their own."""
    for child in children:
        child.rollup_parent = None
    Case.objects.bulk_update(children, ["rollup_parent"])
    audit.record(
        action="case.rollup_released",
        actor=actor,
        target=group,
        data={"group_case": group.pk, "decision": decision.pk, "cases": [c.pk for c in children]},
    )

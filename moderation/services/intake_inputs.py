"""
What intake takes in: the input records (a report, its subject, signals, thread context), the
batch's result, and the rules that refuse a field (language, posting time, chat fields,
provenance, thread context). The API's schemas check the same rules through these functions,
so a report sent through the API, the demo or a test is judged alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from moderation import chat_kinds
from moderation.dsa import content_language
from moderation.models import PlatformAccount, Report, Subject

# How far ahead of this server's clock a posting time may be: the platform's clock may run a
# little fast, but content cannot be posted after it was received.
POSTED_AT_MAX_SKEW = timedelta(minutes=5)

# The detector kind of the scores the platform sends with reports ("platform:<name>").
PLATFORM = "platform"

# Thread context: the messages around a reported message in its group or channel (public or
# private). Enough to judge a reply or a pile-on, few enough that a report stays a report, not
# a chat export.
CONTEXT_MAX_PER_SIDE = 10
CONTEXT_TEXT_MAX = 4096  # the platform's own limit on a message's text
CONTEXT_POSITIONS = ("before", "after")
# "platform": the platform observed the message in the group or channel; "reporter": the
# reporter supplied it (from a private chat, say), and nothing vouches for it.
CONTEXT_PROVENANCES = ("platform", "reporter")
CONTEXT_CHAT_KINDS = tuple(sorted(chat_kinds.THREAD_CHAT_KINDS))
# Where a report's evidence snapshot came from (Report.Provenance); "" takes the chat kind's
# default (chat_kinds.default_provenance).
EVIDENCE_PROVENANCES = tuple(Report.Provenance.values)
CHAT_KINDS = tuple(Subject.ChatKind.values)


@dataclass(frozen=True)
class SignalInput:
    kind: str  # classifier | hash_match
    name: str
    score: int  # 0-100
    label: str = ""
    matched_hash: str = ""


@dataclass(frozen=True)
class SubjectInput:
    type: str
    platform_id: str
    author_id: str
    author_username: str = ""
    author_display_name: str = ""
    author_kind: str = PlatformAccount.Kind.USER
    chat_id: str = ""
    chat_kind: str = ""
    text: str = ""
    content_type: str = "text"
    media_sha256: str = ""
    # PDQ the platform computed for media it keeps itself (no bytes sent), with its quality.
    media_pdq: str = ""
    media_pdq_quality: int | None = None
    media_url: str = ""
    deep_link: str = ""
    search_query: str = ""  # what the user searched for (search_result subjects)
    posted_at: datetime | None = None
    # "" takes the chat kind's default: "reporter" for a private kind, "platform" otherwise.
    evidence_provenance: str = ""
    # A message in a private group or channel: its chat's owner (required) and title.
    chat_owner_id: str = ""
    chat_title: str = ""


@dataclass(frozen=True)
class ContextMessageInput:
    """One message of the thread around the reported one, as stored on `Report.context`."""

    position: str  # before | after
    message_id: str
    author_id: str
    posted_at: datetime
    text: str = ""
    author_name: str = ""
    provenance: str = "platform"  # platform | reporter

    def as_json(self) -> dict[str, str]:
        return {
            "position": self.position,
            "message_id": self.message_id,
            "author_id": self.author_id,
            "author_name": self.author_name,
            # UTC with a "Z": one fixed shape, so pages can show it without parsing.
            "posted_at": self.posted_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "text": self.text,
            "provenance": self.provenance,
        }


@dataclass(frozen=True)
class ReportInput:
    external_id: str
    category: str
    source: str
    reporter_id: str
    description: str
    reported_at: datetime
    subject: SubjectInput
    language: str = ""
    flagger_name: str = ""
    signals: tuple[SignalInput, ...] = ()
    context: tuple[ContextMessageInput, ...] = ()


@dataclass
class IngestResult:
    report_ids: dict[str, int] = field(default_factory=dict)  # external_id -> report id
    created: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # external_id -> reason
    # external_id -> the refused field ("" when the report as a whole is refused)
    rejected_fields: dict[str, str] = field(default_factory=dict)
    # external_id -> case id; absent for a muted reporter's report that found no case
    case_ids: dict[str, int] = field(default_factory=dict)
    # external_id -> why a new report was stored without being queued (Report.Held)
    held: dict[str, str] = field(default_factory=dict)

    def reject(self, external_id: str, reason: str, *, field: str = "") -> None:
        self.rejected[external_id] = reason
        self.rejected_fields[external_id] = field


def language_refusal(code: str) -> str | None:
    """Why intake refuses a report's language, or None when the EU database lists it."""
    if not code or content_language(code) is not None:
        return None
    return (
        f"language {code[:8]!r} is not an ISO 639-1 code that the EU Transparency Database "
        "lists; use a lower-case code such as 'en', or leave it out."
    )


def posted_at_refusal(posted_at: datetime | None, *, now: datetime) -> str | None:
    """Why intake refuses a posting time, or None when it is not in the future."""
    if posted_at is None or posted_at <= now + POSTED_AT_MAX_SKEW:
        return None
    minutes = int(POSTED_AT_MAX_SKEW.total_seconds() // 60)
    return (
        f"posted_at is in the future ({posted_at.isoformat()}); content cannot be posted "
        f"after it is reported (at most {minutes} minutes of clock skew are allowed)."
    )


def _context_message_refusal(n: int, message: ContextMessageInput, *, now: datetime) -> str | None:
    if message.position not in CONTEXT_POSITIONS:
        return f"item {n}: position must be 'before' or 'after'."
    if message.provenance not in CONTEXT_PROVENANCES:
        return f"item {n}: provenance must be 'platform' or 'reporter'."
    if not message.message_id or not message.author_id:
        return f"item {n}: message_id and author_id are required."
    if len(message.text) > CONTEXT_TEXT_MAX:
        return f"item {n}: text is longer than {CONTEXT_TEXT_MAX} characters."
    if timezone.is_naive(message.posted_at):
        return f"item {n}: posted_at needs a time zone."
    refusal = posted_at_refusal(message.posted_at, now=now)
    return f"item {n}: {refusal}" if refusal else None


def provenance_problem(chat_kind: str, provenance: str) -> str | None:
    """Why a report's evidence cannot claim `provenance` (None when it can, or is left out)."""
    if not provenance:
        return None
    if provenance not in EVIDENCE_PROVENANCES:
        return "evidence_provenance must be 'platform' or 'reporter'."
    return chat_kinds.provenance_refusal(chat_kind, provenance)


def chat_owner_problem(*, subject_type: str, chat_kind: str, chat_owner_id: str) -> str | None:
    """
    Why a subject's chat owner is refused: a message in a private group or channel needs it
    (its roll-up case is about the owner's chat), and no other subject has one.
    """
    owned = subject_type == Subject.Type.MESSAGE and chat_kind in chat_kinds.ROLLUP_CHAT_KINDS
    if owned and not chat_owner_id:
        return (
            "chat_owner_id is required for a message in a private group or private channel: "
            "the platform account that owns the chat."
        )
    if chat_owner_id and not owned:
        return (
            "chat_owner_id is only for a message in a private group or private channel "
            "(subject.type 'message', subject.chat_kind 'private_group' or 'private_channel')."
        )
    return None


def subject_refusal(subject: SubjectInput) -> tuple[str, str] | None:
    """(field, why) when intake refuses the subject's chat fields, or None."""
    if subject.chat_kind and subject.chat_kind not in CHAT_KINDS:
        return "subject.chat_kind", f"chat_kind must be one of: {', '.join(CHAT_KINDS)}."
    refusal = provenance_problem(subject.chat_kind, subject.evidence_provenance)
    if refusal:
        return "subject.evidence_provenance", refusal
    refusal = chat_owner_problem(
        subject_type=subject.type,
        chat_kind=subject.chat_kind,
        chat_owner_id=subject.chat_owner_id,
    )
    if refusal:
        return "subject.chat_owner_id", refusal
    return None


def context_refusal(
    context: Sequence[ContextMessageInput], *, subject: SubjectInput | None, now: datetime
) -> str | None:
    """
    Why intake refuses a report's thread context, or None when it may be stored.

    The messages come in thread order: every "before" one, oldest first, then every "after"
    one; at most CONTEXT_MAX_PER_SIDE on each side, each message once, the reported message
    (when its time is known) between them. Only a message in a group or channel, public or
    private, has a thread; in a private one the platform observed none of it, so every
    message must be the reporter's. `subject` is None when the caller refused it already.
    """
    if not context:
        return None
    if subject is not None and (
        subject.type != "message" or subject.chat_kind not in CONTEXT_CHAT_KINDS
    ):
        return (
            "Thread context is accepted only for a message in a group or channel, public or "
            "private (subject.type 'message', subject.chat_kind 'group', 'channel', "
            "'private_group' or 'private_channel')."
        )
    if subject is not None and chat_kinds.is_private(subject.chat_kind):
        for n, message in enumerate(context):
            if message.provenance == Report.Provenance.PLATFORM:
                return f"item {n}: {chat_kinds.provenance_refusal(subject.chat_kind, 'platform')}"
    for side in CONTEXT_POSITIONS:
        count = sum(1 for m in context if m.position == side)
        if count > CONTEXT_MAX_PER_SIDE:
            return (
                f"At most {CONTEXT_MAX_PER_SIDE} messages '{side}' the reported one "
                f"({count} given)."
            )
    seen: set[str] = set()
    previous: ContextMessageInput | None = None
    for n, message in enumerate(context):
        refusal = _context_message_refusal(n, message, now=now)
        if refusal:
            return refusal
        if message.message_id in seen:
            return f"item {n}: message {message.message_id!r} is given twice."
        seen.add(message.message_id)
        if previous is not None:
            if previous.position == "after" and message.position == "before":
                return (
                    f"item {n}: a 'before' message follows an 'after' one; send the thread "
                    "in order."
                )
            if message.posted_at < previous.posted_at:
                return f"item {n}: posted before the message above it; send the thread in order."
        reported = subject.posted_at if subject is not None else None
        if reported is not None and (
            (message.position == "before" and message.posted_at > reported)
            or (message.position == "after" and message.posted_at < reported)
        ):
            return (
                f"item {n}: a message '{message.position}' the reported one must be posted "
                f"{'no later' if message.position == 'before' else 'no earlier'} than it."
            )
        previous = message
    return None

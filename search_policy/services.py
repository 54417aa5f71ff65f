"""
Writes to the search policy. Every add and remove takes the next feed version under a lock on
the feed head, so versions commit in the order they were taken, and writes its audit event in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from accounts import reauth
from core.errors import DomainError, InvalidInput, NotPermitted
from search_policy import normalize
from search_policy.models import AllowedTerm, BlockedTerm, DelistedEntity, FeedHead, PolicyChange

if TYPE_CHECKING:
    from accounts.models import User
    from moderation.models import Case, Decision

# How long an entry stands before someone must look at it again (reference: 90 days).
REVIEW_AFTER = timedelta(days=90)
REMOVE_FROM_SEARCH = "remove_from_search"
# Decision subjects that exist in search, and the entity each becomes. Media items and search
# results have no search identity of their own: a decision on them delists nothing.
SUBJECT_ENTITY_TYPES = {
    "channel": DelistedEntity.Type.CHANNEL,
    "group": DelistedEntity.Type.GROUP,
    "bot": DelistedEntity.Type.BOT,
    "account": DelistedEntity.Type.ACCOUNT,
    "message": DelistedEntity.Type.MESSAGE,
}


class SearchPolicyError(DomainError):
    pass


class EntryNotActive(SearchPolicyError):
    message = "This entry has already been removed."


class StepUpRequired(SearchPolicyError):
    """A removal widens what every user can find: it needs a fresh confirmation that it is you."""

    message = "Removing an entry needs a fresh confirmation that it is you."


def can_manage(user: User) -> bool:
    return bool(user.has_perm("search_policy.manage_search_policy"))


def removal_guard(*, actor: User, reason: str, reauthenticated_at: int | None) -> str:
    """The checks every removal makes, in order; returns the stripped reason."""
    if not can_manage(actor):
        raise NotPermitted
    if not reauth.is_fresh(reauthenticated_at):
        raise StepUpRequired
    if not reason.strip():
        raise InvalidInput({"reason": ["Say why the entry is removed."]})
    return reason.strip()[:500]


def scope_errors(*, languages: tuple[str, ...], countries: tuple[str, ...]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field, codes in (("languages", languages), ("countries", countries)):
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad:
            errors[field] = [f"Use two-letter codes; not valid: {', '.join(bad)}."]
    return errors


def _next_version() -> int:
    """Lock the feed head and take the next version (one writer at a time)."""
    FeedHead.objects.get_or_create(pk=1)
    head = FeedHead.objects.select_for_update().get(pk=1)
    head.version += 1
    head.save(update_fields=["version"])
    return head.version


def policy_change_record(
    *,
    op: str,
    term: BlockedTerm | None = None,
    entity: DelistedEntity | None = None,
    allowed: AllowedTerm | None = None,
) -> int:
    """Write one add or remove at the next feed version (inside the caller's transaction)."""
    version = _next_version()
    PolicyChange.objects.create(version=version, op=op, term=term, entity=entity, allowed=allowed)
    return version


@dataclass(frozen=True)
class TermInput:
    term: str
    match_type: str
    category: str
    reason: str
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    source: str = BlockedTerm.Source.INTERNAL
    confidential: bool = False

    def validate(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        form = normalize.normalized_form(self.term, self.languages)
        if not form:
            errors["term"] = ["The term has no letters or digits left once normalised."]
        elif len(self.term) > 200:
            errors["term"] = ["At most 200 characters."]
        elif (
            self.match_type == BlockedTerm.MatchType.PREFIX
            and len(form) < normalize.MIN_PREFIX_LENGTH
        ):
            errors["term"] = [
                f"A prefix term needs at least {normalize.MIN_PREFIX_LENGTH} characters once "
                "normalised: a shorter one would block ordinary searches."
            ]
        if self.match_type not in BlockedTerm.MatchType.values:
            errors["match_type"] = ["Choose exact, prefix or token."]
        if self.source not in BlockedTerm.Source.values:
            errors["source"] = ["Choose internal, iwf or lantern."]
        if not self.category:
            errors["category"] = ["Choose a category."]
        if not self.reason.strip():
            errors["reason"] = ["Say why the term is blocked."]
        errors.update(scope_errors(languages=self.languages, countries=self.countries))
        return errors


def query_term_fields(
    *,
    term: str,
    match_type: str,
    languages: Sequence[str],
    countries: Sequence[str],
    reason: str,
    actor: User,
) -> dict[str, Any]:
    """The columns a blocked and an allowed query term share, normalised as the feed has them."""
    langs = sorted({c.lower() for c in languages})
    return {
        "term": term.strip(),
        "normalized": normalize.normalized_form(term, langs),
        "variants": normalize.variant_forms(term, langs),
        "normalizer_version": normalize.NORMALIZER_VERSION,
        "match_type": match_type,
        "languages": langs,
        "countries": sorted({c.upper() for c in countries}),
        "reason": reason.strip(),
        "review_at": timezone.localdate() + REVIEW_AFTER,
        "added_by": actor,
    }


def entry_remove(
    entry: Any,
    *,
    actor: User | None,
    reason: str,
    action: str,
    change: dict[str, Any],
    data: dict[str, Any] | None = None,
) -> int:
    """
    Take an entry out of the policy: entries are never deleted, so this stamps when, by whom
    and why, publishes a "remove" change (`change` names the entry for policy_change_record)
    and records `action`. Returns the feed version.
    """
    entry.removed_at, entry.removed_by, entry.removal_reason = timezone.now(), actor, reason
    entry.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    version = policy_change_record(op=PolicyChange.Op.REMOVE, **change)
    audit.record(
        action=action,
        actor=actor,
        target=entry,
        data={"version": version, "reason": reason, **(data or {})},
    )
    return version


@transaction.atomic(durable=True)
def term_add(*, actor: User, data: TermInput) -> BlockedTerm:
    if not can_manage(actor):
        raise NotPermitted
    errors = data.validate()
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            term = BlockedTerm.objects.create(
                **query_term_fields(
                    term=data.term,
                    match_type=data.match_type,
                    languages=data.languages,
                    countries=data.countries,
                    reason=data.reason,
                    actor=actor,
                ),
                category=data.category,
                source=data.source,
                confidential=data.confidential or data.source == BlockedTerm.Source.IWF,
            )
    except IntegrityError as exc:
        raise InvalidInput(
            {"term": ["This term is already blocked with that match type."]}
        ) from exc
    version = policy_change_record(op=PolicyChange.Op.ADD, term=term)
    # The term itself never enters the trail (licensed lists): its id and hashless metadata do.
    audit.record(
        action="search_policy.term_added",
        actor=actor,
        target=term,
        data={"version": version, "match_type": term.match_type, "source": term.source},
    )
    return term


@transaction.atomic(durable=True)
def term_remove(
    *, actor: User, term_id: int, reason: str, reauthenticated_at: int | None
) -> BlockedTerm:
    """Unblock a term: needs the permission, a fresh step-up and a reason."""
    reason = removal_guard(actor=actor, reason=reason, reauthenticated_at=reauthenticated_at)
    term = BlockedTerm.objects.select_for_update().get(pk=term_id)
    if not term.active:
        raise EntryNotActive
    entry_remove(
        term, actor=actor, reason=reason, action="search_policy.term_removed", change={"term": term}
    )
    return term


@dataclass(frozen=True)
class EntityInput:
    entity_type: str
    platform_id: str
    category: str
    reason: str
    expires_at: datetime | None = None

    def validate(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        if self.entity_type not in DelistedEntity.Type.values:
            errors["entity_type"] = ["Choose channel, group, bot, account or message."]
        pid = self.platform_id.strip()
        if not pid or len(pid) > 128:
            errors["platform_id"] = ["Give the platform id (at most 128 characters)."]
        if not self.category:
            errors["category"] = ["Choose a category."]
        if not self.reason.strip():
            errors["reason"] = ["Say why the entity is delisted."]
        if self.expires_at is not None and self.expires_at <= timezone.now():
            errors["expires_at"] = ["The expiry must be in the future."]
        return errors


def _entity_create(
    *,
    data: EntityInput,
    actor: User | None,
    case: Case | None = None,
    decision: Decision | None = None,
) -> tuple[DelistedEntity, int]:
    try:
        with transaction.atomic():
            entity = DelistedEntity.objects.create(
                entity_type=data.entity_type,
                platform_id=data.platform_id.strip(),
                category=data.category,
                reason=data.reason.strip()[:500],
                case=case,
                decision=decision,
                expires_at=data.expires_at,
                review_at=timezone.localdate() + REVIEW_AFTER,
                added_by=actor,
            )
    except IntegrityError as exc:
        raise InvalidInput({"platform_id": ["This entity is already delisted."]}) from exc
    return entity, policy_change_record(op=PolicyChange.Op.ADD, entity=entity)


@transaction.atomic(durable=True)
def entity_delist(*, actor: User, data: EntityInput) -> DelistedEntity:
    if not can_manage(actor):
        raise NotPermitted
    errors = data.validate()
    if errors:
        raise InvalidInput(errors)
    entity, version = _entity_create(data=data, actor=actor)
    audit.record(
        action="search_policy.entity_delisted",
        actor=actor,
        target=entity,
        data={"version": version, "type": entity.entity_type, "category": entity.category},
    )
    return entity


def _entity_relist(*, entity: DelistedEntity, actor: User | None, reason: str) -> int:
    return entry_remove(
        entity,
        actor=actor,
        reason=reason,
        action="search_policy.entity_relisted",
        change={"entity": entity},
        data={"decision": entity.decision_id},
    )


@transaction.atomic(durable=True)
def entity_relist(
    *, actor: User, entity_id: int, reason: str, reauthenticated_at: int | None
) -> DelistedEntity:
    """Put an entity back into search: needs the permission, a fresh step-up and a reason."""
    reason = removal_guard(actor=actor, reason=reason, reauthenticated_at=reauthenticated_at)
    entity = DelistedEntity.objects.select_for_update().get(pk=entity_id)
    if not entity.active:
        raise EntryNotActive
    _entity_relist(entity=entity, actor=actor, reason=reason)
    return entity


# Decisions (called by the receivers inside the deciding transaction).


def delisting_for_decision(*, decision: Decision) -> DelistedEntity | None:
    """
    A decision in force that removes its subject from search delists it, linked to the case
    and decision. A decision replacing one (appeal "modified") takes over the earlier
    delisting when it delists too, so the feed does not churn.
    """
    if REMOVE_FROM_SEARCH not in decision.actions:
        return None
    case = decision.case
    entity_type = SUBJECT_ENTITY_TYPES.get(case.subject.type)
    if entity_type is None:
        return None
    platform_id = case.subject.platform_id
    live = (
        DelistedEntity.objects.select_for_update()
        .filter(entity_type=entity_type, platform_id=platform_id, removed_at__isnull=True)
        .first()
    )
    if live is not None:
        # Already delisted (by hand, or by the decision this one replaces): link it here.
        live.decision, live.case = decision, case
        live.save(update_fields=["decision", "case"])
        audit.record(
            action="search_policy.entity_relinked",
            actor=None,
            target=live,
            data={"decision": decision.pk, "case": case.pk},
        )
        return live
    data = EntityInput(
        entity_type=entity_type,
        platform_id=platform_id,
        category=decision.dsa_category or "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        reason=f"Decision on case {case.pk}: removed from search results.",
    )
    entity, version = _entity_create(
        data=data, actor=decision.moderator, case=case, decision=decision
    )
    audit.record(
        action="search_policy.entity_delisted",
        actor=decision.moderator,
        target=entity,
        data={"version": version, "type": entity_type, "decision": decision.pk, "case": case.pk},
    )
    return entity


def delisting_withdraw(*, decision: Decision, status: str) -> DelistedEntity | None:
    """
    A decision taken out of force: reversed, its delisting goes (the subject is back in
    search). Superseded, the delisting waits for the replacing decision, which takes it over
    when it delists too; `delistings_orphaned_remove` drops it otherwise.
    """
    entity = (
        DelistedEntity.objects.select_for_update()
        .filter(decision=decision, removed_at__isnull=True)
        .first()
    )
    if entity is None:
        return None
    if status == "superseded":
        return entity  # decided by the replacing decision: see delisting_after_supersede
    _entity_relist(entity=entity, actor=None, reason=f"Decision {status} on appeal.")
    return entity


def delisting_after_supersede(*, decision: Decision) -> None:
    """The replacing decision does not delist: the earlier decision's delisting goes."""
    if decision.supersedes_id is None or REMOVE_FROM_SEARCH in decision.actions:
        return
    for entity in DelistedEntity.objects.select_for_update().filter(
        decision_id=decision.supersedes_id, removed_at__isnull=True
    ):
        _entity_relist(entity=entity, actor=None, reason="Decision superseded on appeal.")


def entities_expired_remove(*, now: datetime | None = None) -> int:
    """Expired delistings leave with an explicit "remove" change (no read-time filtering)."""
    now = now or timezone.now()
    count = 0
    ids = list(
        DelistedEntity.objects.filter(removed_at__isnull=True, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    for entity_id in ids:
        with transaction.atomic():
            entity = DelistedEntity.objects.select_for_update().get(pk=entity_id)
            if entity.active:
                _entity_relist(entity=entity, actor=None, reason="Expired.")
                count += 1
    return count

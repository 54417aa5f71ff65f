"""
Writes to the allowlist: queries that must never be blocked, kept by senior moderators like
blocked terms (audited add, stepped-up and audited removal, a feed change each), and
published so the search service applies them before the blocked terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

import audit
from core.errors import InvalidInput, NotPermitted
from search_policy import normalize
from search_policy.models import AllowedTerm, BlockedTerm, PolicyChange
from search_policy.services import (
    EntryNotActive,
    can_manage,
    entry_remove,
    policy_change_record,
    query_term_fields,
    removal_guard,
    scope_errors,
)

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class AllowedTermInput:
    term: str
    match_type: str
    reason: str
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    def validate(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        form = normalize.normalized_form(self.term, self.languages)
        if not form:
            errors["term"] = ["The term has no letters or digits left once normalised."]
        elif len(self.term) > 200:
            errors["term"] = ["At most 200 characters."]
        elif len(form) < normalize.MIN_PREFIX_LENGTH:
            # A short allowance would let through every blocked query that starts with it.
            errors["term"] = [
                f"An allowed term needs at least {normalize.MIN_PREFIX_LENGTH} characters "
                "once normalised."
            ]
        elif BlockedTerm.objects.filter(
            removed_at__isnull=True, normalized=form, match_type=BlockedTerm.MatchType.EXACT
        ).exists():
            errors["term"] = [
                "Exactly this query is blocked: remove the blocked term instead of allowing it."
            ]
        if self.match_type not in AllowedTerm.MatchType.values:
            errors["match_type"] = ["Choose exact or prefix."]
        if not self.reason.strip():
            errors["reason"] = ["Say why the term must never be blocked."]
        errors.update(scope_errors(languages=self.languages, countries=self.countries))
        return errors


@transaction.atomic(durable=True)
def allowed_term_add(*, actor: User, data: AllowedTermInput) -> AllowedTerm:
    if not can_manage(actor):
        raise NotPermitted
    errors = data.validate()
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            allowed = AllowedTerm.objects.create(
                **query_term_fields(
                    term=data.term,
                    match_type=data.match_type,
                    languages=data.languages,
                    countries=data.countries,
                    reason=data.reason,
                    actor=actor,
                )
            )
    except IntegrityError as exc:
        raise InvalidInput(
            {"term": ["This term is already allowed with that match type."]}
        ) from exc
    version = policy_change_record(op=PolicyChange.Op.ADD, allowed=allowed)
    audit.record(
        action="search_policy.allowed_term_added",
        actor=actor,
        target=allowed,
        data={"version": version, "match_type": allowed.match_type},
    )
    return allowed


@transaction.atomic(durable=True)
def allowed_term_remove(
    *, actor: User, allowed_id: int, reason: str, reauthenticated_at: int | None
) -> AllowedTerm:
    """Stop allowing a term (blocked terms apply to it again): step-up and a reason."""
    reason = removal_guard(actor=actor, reason=reason, reauthenticated_at=reauthenticated_at)
    allowed = AllowedTerm.objects.select_for_update().get(pk=allowed_id)
    if not allowed.active:
        raise EntryNotActive
    entry_remove(
        allowed,
        actor=actor,
        reason=reason,
        action="search_policy.allowed_term_removed",
        change={"allowed": allowed},
    )
    return allowed

"""Builders for the search policy tests (a non-test module, shared by them)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from django.utils import timezone

from accounts import reauth
from moderation.models import Decision
from moderation.services import claims, decisions
from moderation.services.appeals import AppealInput, appeal_decide, appeal_submit
from search_policy import allowlist, services
from search_policy.models import AllowedTerm, BlockedTerm, DelistedEntity
from tests.moderation.factories import make_case, violation

_seq = itertools.count(1)
FEED_URL = "/api/v1/search-policy"


def fresh_now() -> int:
    """A step-up that happened just now (what the session holds after confirming)."""
    return int(time.time())


def fresh(client: Any) -> Any:
    """Mark the client's session as freshly stepped up."""
    session = client.session
    session[reauth.SESSION_KEY] = fresh_now()
    session.save()
    return client


def feed_client(*scopes: str) -> Any:
    """An API client for the platform's search service (scope search_policy by default)."""
    from accounts.token_services import api_token_issue
    from tests.api.conftest import ApiClient

    scopes = scopes or ("search_policy",)
    _, secret = api_token_issue(name=f"platform-{next(_seq)}", scopes=list(scopes))
    return ApiClient(secret)


def add_term(actor: Any, term: str = "contraband", **fields: Any) -> BlockedTerm:
    data = {
        "term": term,
        "match_type": "exact",
        "category": "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        "reason": "Returns illegal offers.",
        **fields,
    }
    return services.term_add(actor=actor, data=services.TermInput(**data))


def allow(actor: Any, term: str = "breast cancer screening", **fields: Any) -> AllowedTerm:
    data = {"term": term, "match_type": "exact", "reason": "Health information.", **fields}
    return allowlist.allowed_term_add(actor=actor, data=allowlist.AllowedTermInput(**data))


def delist(actor: Any, platform_id: str | None = None, **fields: Any) -> DelistedEntity:
    data = {
        "entity_type": "channel",
        "platform_id": platform_id or f"chan-{next(_seq)}",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "reason": "Fake shop.",
        **fields,
    }
    return services.entity_delist(actor=actor, data=services.EntityInput(**data))


def decide(
    moderator: Any, *, actions: tuple[str, ...] = ("remove_from_search",), **case: Any
) -> Decision:
    case_fields = {"subject__type": "channel", "subject__chat_id": "", "subject__chat_kind": ""}
    made = make_case(**{**case_fields, **case})
    claims.case_claim(case_id=made.pk, actor=moderator)
    return decisions.case_decide(
        case_id=made.pk, actor=moderator, decision=violation(actions=actions)
    )


def answer_appeal(
    decision: Decision, senior: Any, outcome: str, new_actions: tuple[str, ...] = ()
) -> None:
    appeal, _ = appeal_submit(
        item=AppealInput(
            external_id=f"sp-appeal-{next(_seq)}",
            decision_puid=f"tsd-{decision.uuid}",
            appellant_id=decision.case.subject.author.platform_id,
            reason="Not what you think.",
            submitted_at=timezone.now(),
        )
    )
    appeal_decide(
        appeal_id=appeal.pk,
        actor=senior,
        outcome=outcome,
        note="Reviewed.",
        new_decision=violation(actions=new_actions) if outcome == "modified" else None,
    )

"""Deciding a case: the decision, its statement of reasons, restrictions, strikes, deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from moderation import chat_kinds, events
from moderation.dsa import EU_EEA_COUNTRIES, KEYWORDS, STATEMENT_CATEGORIES, validate_statement
from moderation.exceptions import InvalidDecision, NotClaimedByActor
from moderation.models import (
    AccountRestriction,
    BulkJob,
    Case,
    Decision,
    Report,
    Reporter,
    Statement,
    Strike,
)
from moderation.models.decisions import Action, Ground
from moderation.services import deliveries, rollup
from moderation.services.workflow import case_transition, case_transition_check
from moderation.statements import build_statement

if TYPE_CHECKING:
    from accounts.models import User

ACCOUNT_ACTIONS = {Action.RESTRICT_ACCOUNT, Action.SUSPEND_ACCOUNT, Action.TERMINATE_ACCOUNT}
MAX_DAYS = 3650


@dataclass(frozen=True)
class DecisionInput:
    """What a moderator decided; `validate()` lists every problem at once."""

    actions: tuple[str, ...]
    ground: str = ""
    legal_ground: str = ""
    terms_clause: str = ""
    explanation: str = ""
    facts: str = ""
    dsa_category: str = ""
    dsa_keywords: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    restrict_days: int | None = None
    suspend_days: int | None = None
    note: str = field(default="", compare=False)

    @property
    def is_violation(self) -> bool:
        return Action.NO_VIOLATION not in self.actions

    def validate(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}

        def add(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        known = set(Action.values)
        actions = set(self.actions)
        if not actions:
            add("actions", "Choose at least one action.")
        if actions - known:
            add("actions", f"Unknown actions: {', '.join(sorted(actions - known))}.")
        if Action.NO_VIOLATION in actions and len(actions) > 1:
            add("actions", "“No violation” cannot be combined with an action.")
        if len(actions & ACCOUNT_ACTIONS) > 1:
            add("actions", "Choose one account action: restrict, suspend or terminate.")
        if Action.GEO_RESTRICT in actions:
            if not self.countries:
                add("countries", "Name the countries where the content is restricted.")
            bad = sorted(set(self.countries) - set(EU_EEA_COUNTRIES))
            if bad:
                add("countries", f"Not EU/EEA country codes: {', '.join(bad)}.")
        for action, days, name in (
            (Action.RESTRICT_ACCOUNT, self.restrict_days, "restrict_days"),
            (Action.SUSPEND_ACCOUNT, self.suspend_days, "suspend_days"),
        ):
            if action in actions and not (days and 1 <= days <= MAX_DAYS):
                add(name, f"Give a duration between 1 and {MAX_DAYS} days.")
        if not self.is_violation:
            return errors
        if self.ground == Ground.ILLEGAL:
            if not self.legal_ground.strip():
                add("legal_ground", "Name the law the content breaks.")
            if len(self.legal_ground) > 500:
                add("legal_ground", "At most 500 characters.")
        elif self.ground == Ground.TERMS:
            if not self.terms_clause.strip():
                add("terms_clause", "Name the terms of service clause.")
            if len(self.terms_clause) > 500:
                add("terms_clause", "At most 500 characters.")
        else:
            add("ground", "Choose the ground: illegal content or a terms violation.")
        if not self.facts.strip():
            add("facts", "State the facts and circumstances relied on.")
        if len(self.facts) > 5000:
            add("facts", "At most 5000 characters.")
        if len(self.explanation) > 2000:
            add("explanation", "At most 2000 characters.")
        if self.dsa_category not in STATEMENT_CATEGORIES:
            add("dsa_category", "Choose a DSA category.")
        bad_keywords = sorted(set(self.dsa_keywords) - KEYWORDS)
        if bad_keywords:
            add("dsa_keywords", f"Unknown DSA keywords: {', '.join(bad_keywords)}.")
        return errors

    def as_template(self) -> dict[str, Any]:
        """JSON form, for bulk jobs that replay the same decision on many cases."""
        return {
            "actions": list(self.actions),
            "ground": self.ground,
            "legal_ground": self.legal_ground,
            "terms_clause": self.terms_clause,
            "explanation": self.explanation,
            "facts": self.facts,
            "dsa_category": self.dsa_category,
            "dsa_keywords": list(self.dsa_keywords),
            "countries": list(self.countries),
            "restrict_days": self.restrict_days,
            "suspend_days": self.suspend_days,
            "note": self.note,
        }

    @classmethod
    def from_template(cls, data: dict[str, Any]) -> DecisionInput:
        return cls(
            actions=tuple(data.get("actions") or ()),
            ground=data.get("ground", ""),
            legal_ground=data.get("legal_ground", ""),
            terms_clause=data.get("terms_clause", ""),
            explanation=data.get("explanation", ""),
            facts=data.get("facts", ""),
            dsa_category=data.get("dsa_category", ""),
            dsa_keywords=tuple(data.get("dsa_keywords") or ()),
            countries=tuple(data.get("countries") or ()),
            restrict_days=data.get("restrict_days"),
            suspend_days=data.get("suspend_days"),
            note=data.get("note", ""),
        )


def decision_defaults(*, case: Case) -> dict[str, Any]:
    """Pre-filled form values from the case's category (DSA mapping, facts template)."""
    category = case.category
    return {
        "ground": Ground.ILLEGAL if category.illegal_by_default else Ground.TERMS,
        "legal_ground": category.legal_ground,
        "terms_clause": category.terms_clause,
        "facts": category.facts_template,
        "dsa_category": category.dsa_category,
        "dsa_keywords": list(category.dsa_keywords),
    }


def decision_from_defaults(*, case: Case, actions: tuple[str, ...], **fields: Any) -> DecisionInput:
    """
    A violation decision with `actions`, its ground, clauses, facts and DSA mapping taken from
    the case's category (what the form pre-fills); `fields` add or override the rest.
    """
    defaults = decision_defaults(case=case)
    return DecisionInput(
        actions=actions,
        **{
            "ground": defaults["ground"],
            "legal_ground": defaults["legal_ground"],
            "terms_clause": defaults["terms_clause"],
            "facts": defaults["facts"],
            "dsa_category": defaults["dsa_category"],
            "dsa_keywords": tuple(defaults["dsa_keywords"]),
            **fields,
        },
    )


def _apply_account_measures(*, decision: Decision, case: Case, now: datetime) -> None:
    account = case.subject.author
    actions = set(decision.actions)
    kind, days = None, None
    if Action.TERMINATE_ACCOUNT in actions:
        kind = AccountRestriction.Kind.TERMINATED
    elif Action.SUSPEND_ACCOUNT in actions:
        kind, days = AccountRestriction.Kind.SUSPENDED, decision.suspend_days
    elif Action.RESTRICT_ACCOUNT in actions:
        kind, days = AccountRestriction.Kind.RESTRICTED, decision.restrict_days
    if kind:
        AccountRestriction.objects.create(
            account=account,
            decision=decision,
            kind=kind,
            starts_at=now,
            ends_at=now + timedelta(days=days) if days else None,
        )
    if decision.is_violation:
        Strike.objects.create(account=account, decision=decision, category=case.category)


def reporter_outcome_record(*, case: Case, actioned: bool, undo: bool = False) -> None:
    """
    Count the case's outcome in the track record of each reporter who reported it (once per
    reporter and case); `undo` takes back what a withdrawn decision counted, so an appeal that
    reverses or replaces a decision leaves the records as if it had been right the first time.
    """
    reporter_ids = list(
        # Held reports (subject cleared already, reporter muted) weigh in no track record.
        Report.objects.filter(case=case, reporter__isnull=False, held="")
        .values_list("reporter_id", flat=True)
        .distinct()
    )
    step = -1 if undo else 1
    updates: dict[str, Any] = {"reports_resolved": Greatest(F("reports_resolved") + step, 0)}
    if actioned:
        updates["reports_actioned"] = Greatest(F("reports_actioned") + step, 0)
    Reporter.objects.filter(pk__in=reporter_ids).update(**updates)


def decision_create(
    *,
    case: Case,
    actor: User,
    decision: DecisionInput,
    origin: str = Decision.Origin.MODERATOR,
    bulk_job: BulkJob | None = None,
    supersedes: Decision | None = None,
) -> Decision:
    """
    Write the decision and everything that follows from it, on an already locked case.

    Callers (case_decide, the bulk task, appeal decisions) hold the row lock and have
    checked who may decide; this function owns what a decision *is*.
    """
    errors = decision.validate()
    if errors:
        raise InvalidDecision(errors)
    # Not offered by the form either; refused here for every caller (bulk, appeals, rules).
    refusal = chat_kinds.actions_refusal(case.subject.chat_kind, decision.actions)
    if refusal:
        raise InvalidDecision({"actions": [refusal]})
    now = timezone.now()
    evidence = rollup.decision_evidence(case=case)
    made = Decision.objects.create(
        case=case,
        moderator=actor,
        origin=origin,
        actions=list(decision.actions),
        countries=sorted(decision.countries),
        restrict_days=decision.restrict_days,
        suspend_days=decision.suspend_days,
        ground=decision.ground if decision.is_violation else "",
        legal_ground=decision.legal_ground if decision.ground == Ground.ILLEGAL else "",
        terms_clause=decision.terms_clause if decision.ground == Ground.TERMS else "",
        explanation=decision.explanation,
        dsa_category=decision.dsa_category if decision.is_violation else "",
        dsa_keywords=list(decision.dsa_keywords) if decision.is_violation else [],
        facts=decision.facts,
        automated_detection=case.has_automated or case.max_signal_score > 0,
        bulk_job=bulk_job,
        supersedes=supersedes,
    )
    statement = None
    if made.is_violation and evidence is not None:
        flagger = (
            case.reports.filter(source=Report.Source.TRUSTED_FLAGGER)
            .values_list("flagger_name", flat=True)
            .first()
            or ""
        )
        payload = build_statement(decision=made, case=case, evidence=evidence, flagger_name=flagger)
        problems = validate_statement(payload)
        if problems:
            raise InvalidDecision({"statement": problems})
        statement = Statement.objects.create(decision=made, puid=payload["puid"], payload=payload)
    _apply_account_measures(decision=made, case=case, now=now)
    reporter_outcome_record(case=case, actioned=made.is_violation)
    deliveries.deliveries_for_decision(decision=made, case=case, statement=statement)
    rollup.rolled_up_cases_resolve(decision=made, case=case, actor=actor)
    events.decision_taken.send(sender=Decision, decision=made)
    return made


@transaction.atomic(durable=True)
def case_decide(*, case_id: int, actor: User, decision: DecisionInput) -> Decision:
    """
    Record the claim holder's decision and close the case.

    The case is re-read under a row lock, so two moderators acting at once cannot both
    decide it: the second gets an error and nothing is written for them.
    """
    # Lock the row alone: after waiting for a lock, PostgreSQL re-reads only the locked
    # row, so columns joined in the same query could be stale. Related rows load after.
    case = Case.objects.select_for_update().get(pk=case_id)
    if case.status != Case.Status.CLAIMED or case.claimed_by_id != actor.pk:
        raise NotClaimedByActor
    case_transition_check(case=case, to=Case.Status.RESOLVED)
    made = decision_create(case=case, actor=actor, decision=decision)
    case_resolve(case=case, actor=actor, decision=made)
    return made


def case_resolve(*, case: Case, actor: User | None, decision: Decision, **details: Any) -> None:
    """
    Close a locked case on its decision and record `case.decided` (in the caller's
    transaction): the holder's claim ends with it.
    """
    case.resolved_at = timezone.now()
    case.claimed_by = None
    case.claim_expires_at = None
    case_transition(
        case=case,
        to=Case.Status.RESOLVED,
        actor=actor,
        action="case.decided",
        fields=("resolved_at", "claimed_by", "claim_expires_at"),
        data={
            "decision": decision.pk,
            "actions": decision.actions,
            "statement": getattr(getattr(decision, "statement", None), "puid", None),
            **details,
        },
    )

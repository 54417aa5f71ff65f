"""
The terms-violation link of each target: the promise is that data leaves only for an account
whose *own* activity broke the terms, so the link is computed per target account, from the
moderation cases linked to the request, every time a gate needs it (intake, the checks
screen, scope freeze, each approval, package build and release).

A target's link is
- **decided** when a linked case about content that account authored has a decision in force
  (not reversed on appeal, not superseded) that found a violation, in an offence category the
  policy in force at receipt covers;
- **pending** when no such decision exists yet but a linked case about that account is still
  under review, escalated to legal (a decision must follow before release);
- **missing** otherwise: no linked case, a case about another account, a decision reversed or
  found "no violation", or an offence the policy does not cover.

Reads moderation's tables, never writes them. A fixed number of queries for any number of
targets and cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _

from disclosures.masking import mask_phone
from disclosures.models import DisclosurePolicy, LegalRequest, RequestTarget
from moderation.models import Case, Decision
from moderation.models.decisions import Action


class LinkState(StrEnum):
    DECIDED = "decided"
    PENDING = "pending"
    MISSING = "missing"


@dataclass(frozen=True)
class AccountLink:
    state: LinkState
    decided: tuple[int, ...] = ()  # case ids with a violation decision in force
    pending: tuple[int, ...] = ()  # case ids escalated to legal, not decided yet

    @property
    def cases(self) -> tuple[int, ...]:
        return self.decided + self.pending


@dataclass(frozen=True)
class TargetLink:
    target_id: int
    account_id: int
    platform_id: str
    label: str  # the target as a page may show it (phone numbers masked)
    link: AccountLink
    cases_seen: tuple[int, ...] = field(default=())  # linked cases about this account

    @property
    def state(self) -> LinkState:
        return self.link.state

    @property
    def name(self) -> str:
        if self.label and self.label != self.platform_id:
            return f"{self.label} (account {self.platform_id})"
        return _("account %(id)s") % {"id": self.platform_id}


def account_links(
    *,
    account_ids: Iterable[int],
    case_ids: Iterable[int],
    policy: DisclosurePolicy | None,
    lock: bool = False,
) -> dict[int, AccountLink]:
    """
    The link of each account (by PlatformAccount pk) from these cases. With a `policy`,
    only offences it covers qualify; intake passes None, because it records what the
    authority asked for and the review decides the policy (check B-policy and B9).
    """
    accounts, cases_wanted = set(account_ids), set(case_ids)
    decided: dict[int, list[int]] = defaultdict(list)
    pending: dict[int, list[int]] = defaultdict(list)
    if accounts and cases_wanted:
        found = Case.objects.filter(pk__in=cases_wanted, subject__author_id__in=accounts)
        if lock:
            found = found.select_for_update(of=("self",))
        cases = list(
            found.order_by("pk").values_list(
                "pk", "subject__author_id", "status", "escalation", "category__code"
            )
        )
        verdicts: dict[int, set[bool]] = defaultdict(set)
        for case_id, actions in Decision.objects.filter(
            case_id__in=[c[0] for c in cases], status=Decision.Status.IN_FORCE
        ).values_list("case_id", "actions"):
            verdicts[case_id].add(Action.NO_VIOLATION not in (actions or []))
        for case_id, author_id, status, escalation, category in cases:
            if policy is not None and not policy.covers(category):
                continue
            verdict = verdicts.get(case_id, set())
            if True in verdict:
                decided[author_id].append(case_id)
            elif (
                not verdict
                and status in Case.ACTIVE
                and (status == Case.Status.LEGAL or escalation == Case.Escalation.LEGAL)
            ):
                pending[author_id].append(case_id)
    links = {}
    for account in accounts:
        if decided.get(account):
            state = LinkState.DECIDED
        elif pending.get(account):
            state = LinkState.PENDING
        else:
            state = LinkState.MISSING
        links[account] = AccountLink(
            state=state,
            decided=tuple(decided.get(account, ())),
            pending=tuple(pending.get(account, ())),
        )
    return links


def _label(target: RequestTarget) -> str:
    if target.kind == RequestTarget.Kind.PHONE:
        return mask_phone(target.value)
    if target.kind == RequestTarget.Kind.USERNAME:
        return f"@{target.value}"
    return target.value


def target_links(legal_request: LegalRequest, *, lock: bool = False) -> list[TargetLink]:
    """The link of every resolved target of the request, in target order."""
    targets = list(
        RequestTarget.objects.filter(
            request=legal_request, resolution=RequestTarget.Resolution.UNIQUE, account__isnull=False
        )
        .select_related("account")
        .order_by("id")
    )
    # The query keeps resolved targets only, so each has its account.
    accounts = [(target, target.account) for target in targets if target.account is not None]
    case_ids = list(legal_request.linked_cases.values_list("pk", flat=True))
    links = account_links(
        account_ids={account.pk for _target, account in accounts},
        case_ids=case_ids,
        policy=legal_request.policy,
        lock=lock,
    )
    seen: dict[int, list[int]] = defaultdict(list)
    if targets and case_ids:
        for case_id, author_id in Case.objects.filter(
            pk__in=case_ids, subject__author_id__in={account.pk for _target, account in accounts}
        ).values_list("pk", "subject__author_id"):
            seen[author_id].append(case_id)
    result, done = [], set()
    for target, account in accounts:
        if account.pk in done:  # two identifiers naming one account: one link
            continue
        done.add(account.pk)
        result.append(
            TargetLink(
                target_id=target.pk,
                account_id=account.pk,
                platform_id=account.platform_id,
                label=_label(target),
                link=links[account.pk],
                cases_seen=tuple(sorted(seen.get(account.pk, ()))),
            )
        )
    return result


def link_problems(
    links: list[TargetLink],
    *,
    require_decided: bool,
    pinned: dict[str, list[int]] | None = None,
) -> list[str]:
    """
    One message per target that fails the gate, naming the target and the case.

    `pinned` is the scope's record of each target's cases at freeze: a case that qualified
    then and no longer does is named as the link that disappeared.
    """
    problems = []
    for t in links:
        if t.state == LinkState.MISSING:
            lost = [c for c in (pinned or {}).get(t.platform_id, [])]
            if lost:
                problems.append(
                    _(
                        "Target %(target)s: case %(cases)s no longer shows a terms violation "
                        "by this account (decision reversed or withdrawn, or the case was "
                        "reopened)."
                    )
                    % {"target": t.name, "cases": ", ".join(f"#{c}" for c in lost)}
                )
            elif t.cases_seen:
                problems.append(
                    _(
                        "Target %(target)s: linked case %(cases)s shows no terms violation in "
                        "force by this account under the policy in force at receipt."
                    )
                    % {"target": t.name, "cases": ", ".join(f"#{c}" for c in t.cases_seen)}
                )
            else:
                problems.append(
                    _(
                        "Target %(target)s has no linked moderation case showing its own terms "
                        "violation."
                    )
                    % {"target": t.name}
                )
        elif t.state == LinkState.PENDING and require_decided:
            problems.append(
                _(
                    "Target %(target)s: case %(cases)s is escalated to legal but not decided "
                    "yet; a decision finding the violation must come first."
                )
                % {"target": t.name, "cases": ", ".join(f"#{c}" for c in t.link.pending)}
            )
    return problems


def links_snapshot(links: list[TargetLink]) -> dict[str, list[int]]:
    """What a scope records at freeze: each target's qualifying cases."""
    return {t.platform_id: list(t.link.cases) for t in links}

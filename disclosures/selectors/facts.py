"""
What the system decides by itself about a legal request, from its data (the automatic checks
B8, B9 and B-policy), and the restatement of an irreversible act (request, targets with their
violation cases, record counts, recipient) shown beside its confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import ngettext

from disclosures import checklist
from disclosures.models import LegalRequest, Scope
from disclosures.models.requests import RequestTarget
from disclosures.package import CATEGORIES, IP, PHONE, extract, utc_iso
from disclosures.pins import category_totals
from disclosures.selectors.violations import LinkState, TargetLink, target_links
from disclosures.subscriber import subscriber_source


@dataclass
class RequestFacts:
    """
    What the system decides by itself about a request, from its data: each target's
    terms-violation link (B9), the records held per target and category (B8), and whether
    the offence is covered by the policy in force at receipt.
    """

    links: list[TargetLink]
    counts: dict[str, dict[str, int]]  # {platform account id: {category: records}}
    policy_covers: bool

    @property
    def violation_ok(self) -> bool:
        return bool(self.links) and all(t.state != LinkState.MISSING for t in self.links)

    @property
    def records_total(self) -> int:
        return sum(n for per in self.counts.values() for n in per.values())

    @property
    def data_exists(self) -> bool:
        return self.records_total > 0

    def category_totals(self) -> dict[str, int]:
        return category_totals(self.counts)

    def automatic(self, code: str) -> bool:
        if code == checklist.VIOLATION_CODE:
            return self.violation_ok
        if code == checklist.DATA_CODE:
            return self.data_exists
        return self.policy_covers


def record_counts(legal_request: LegalRequest) -> dict[str, dict[str, int]]:
    """Records the platform holds per resolved target and requested category, read now."""
    accounts = sorted(
        set(
            RequestTarget.objects.filter(
                request=legal_request,
                resolution=RequestTarget.Resolution.UNIQUE,
                account__isnull=False,
            ).values_list("account__platform_id", flat=True)
        )
    )
    categories = sorted(set(legal_request.data_requested or []) & set(CATEGORIES))
    counts = {a: dict.fromkeys(categories, 0) for a in accounts}
    if not accounts or not categories:
        return counts
    source = subscriber_source()
    if hasattr(source, "record_counts"):  # counted by the source, nothing decrypted
        found = source.record_counts(
            account_ids=accounts, start=legal_request.date_from, end=legal_request.date_to
        )
        return {a: {c: found.get(a, {}).get(c, 0) for c in categories} for a in accounts}
    data = extract(
        {
            "accounts": accounts,
            "categories": categories,
            "date_from": utc_iso(legal_request.date_from),
            "date_to": utc_iso(legal_request.date_to),
        }
    )
    for key, category in (("phone_numbers", PHONE), ("ip_records", IP)):
        for row in data.get(key, []):
            counts[row["account"]][category] += 1
    return counts


def request_facts(legal_request: LegalRequest) -> RequestFacts:
    """Computed now, never cached: each gate sees the state of the moment."""
    return RequestFacts(
        links=target_links(legal_request),
        counts=record_counts(legal_request),
        policy_covers=legal_request.policy.covers(legal_request.offence_category),
    )


def records_phrase(category: str, n: int) -> str:
    """ "7 IP records", "1 phone number": a count of one category, plural-aware."""
    if category == IP:
        return ngettext("%(n)d IP record", "%(n)d IP records", n) % {"n": n}
    if category == PHONE:
        return ngettext("%(n)d phone number", "%(n)d phone numbers", n) % {"n": n}
    return f"{n} {category}"


def _phrases(counts: dict[str, int]) -> list[str]:
    return [records_phrase(c, n) for c, n in sorted(counts.items())]


@dataclass(frozen=True)
class TargetRecords:
    name: str
    platform_id: str
    link_state: str
    cases: tuple[int, ...]
    counts: list[str]  # plural-aware phrases, one per category


@dataclass(frozen=True)
class ActSummary:
    """
    What an irreversible act restates beside its button: the request, each target with its
    violation case and record counts, the totals per kind and the recipient. From the frozen
    scope when there is one (what approvers approve), else from the data as it is now.
    """

    reference: str
    recipient: str
    targets: list[TargetRecords]
    totals: dict[str, int]
    frozen: bool

    @property
    def totals_display(self) -> list[str]:
        return _phrases(self.totals)


def act_summary(
    legal_request: LegalRequest, *, facts: RequestFacts, scope: Scope | None = None
) -> ActSummary:
    counts = scope.record_counts if scope is not None and scope.record_counts else facts.counts
    pinned_links = scope.violation_links if scope is not None else {}
    targets = []
    for link in facts.links:
        per = counts.get(link.platform_id, {})
        cases = tuple(pinned_links.get(link.platform_id, ())) or link.link.cases
        targets.append(
            TargetRecords(
                name=link.name,
                platform_id=link.platform_id,
                link_state=str(link.state),
                cases=cases,
                counts=_phrases(per),
            )
        )
    totals = category_totals(counts)
    authority = legal_request.authority
    return ActSummary(
        reference=legal_request.reference,
        recipient=f"{authority.name} ({authority.country}), {legal_request.get_channel_display()}",
        targets=targets,
        totals=totals,
        frozen=scope is not None,
    )

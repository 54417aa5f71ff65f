"""Reads of the authorities registry: the list, one authority's contacts and its requests."""

from __future__ import annotations

from django.db.models import Count, Q

from disclosures.models import Authority, AuthorityContact, LegalRequest

HISTORY_SIZE = 50


def authority_list(*, country: str = "", status: str = "") -> list[Authority]:
    """Every authority with how many requests it sent (and how many are open)."""
    authorities = Authority.objects.annotate(
        request_count=Count("requests", distinct=True),
        open_count=Count(
            "requests", filter=Q(requests__status__in=LegalRequest.OPEN), distinct=True
        ),
        contact_count=Count("contacts", distinct=True),
    )
    if country:
        authorities = authorities.filter(country=country.upper())
    if status:
        authorities = authorities.filter(status=status)
    return list(authorities.order_by("country", "name", "id"))


def authority_get(*, authority_id: int) -> Authority:
    """One authority; raises Authority.DoesNotExist."""
    return Authority.objects.get(pk=authority_id)


def authority_contacts(*, authority: Authority) -> list[AuthorityContact]:
    return list(
        AuthorityContact.objects.filter(authority=authority)
        .select_related("verified_by")
        .order_by("kind", "id")
    )


def authority_requests(*, authority: Authority, size: int = HISTORY_SIZE) -> list[LegalRequest]:
    """The authority's requests, newest first: its history with the platform."""
    return list(
        LegalRequest.objects.filter(authority=authority)
        .annotate(target_count=Count("targets"))
        .order_by("-received_at", "-id")[:size]
    )


def verified_authorities() -> list[Authority]:
    """The authorities a request may be registered from."""
    return list(
        Authority.objects.filter(status=Authority.Status.VERIFIED).order_by("country", "name")
    )

"""The authorities registry: its services (each audited) and its screens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from disclosures.exceptions import InvalidRequest, NotPermitted
from disclosures.models import Authority, AuthorityContact
from disclosures.selectors import authorities as authority_selectors
from disclosures.services import authorities as services
from disclosures.services.authorities import AuthorityInput, ContactInput
from tests.disclosures.factories import add_contact, make_authority, make_request

pytestmark = pytest.mark.django_db

# session, user, the session's second factor, user and group permissions, the authorities
# with their counts
LIST_QUERIES = 6


def events(action: str, authority: Authority | None = None):
    found = AuditEvent.objects.filter(action=action)
    if authority is not None:
        found = found.filter(target_type="disclosures.authority", target_id=str(authority.pk))
    return found


def court(**overrides) -> AuthorityInput:
    fields = {
        "name": "Tribunal judiciaire de Paris",
        "country": "fr",
        "type": Authority.Type.COURT,
        "notes": "",
    }
    fields.update(overrides)
    return AuthorityInput(**fields)


# --- Services ---------------------------------------------------------------------------


def test_authority_create_adds_a_verified_authority_and_records_it(legal):
    authority = services.authority_create(actor=legal, data=court(name="  Tribunal   de Lyon "))

    assert (authority.name, authority.country, authority.status) == (
        "Tribunal de Lyon",
        "FR",
        Authority.Status.VERIFIED,
    )
    event = events("authority.created", authority).get()
    assert event.actor == legal
    assert event.data == {"name": "Tribunal de Lyon", "country": "FR", "type": "court"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"country": "France"}, "country"),
        ({"country": "ZZ"}, "country"),
        ({"country": ""}, "country"),
        ({"type": "vigilante"}, "type"),
    ],
)
def test_authority_create_with_bad_input_writes_nothing(legal, overrides, field):
    with pytest.raises(InvalidRequest) as refused:
        services.authority_create(actor=legal, data=court(**overrides))

    assert field in refused.value.errors
    assert not Authority.objects.exists()
    assert not events("authority.created").exists()


def test_authority_create_refuses_a_duplicate_name_in_the_same_country(legal):
    services.authority_create(actor=legal, data=court())

    with pytest.raises(InvalidRequest) as refused:
        services.authority_create(actor=legal, data=court(country="FR"))

    assert "name" in refused.value.errors
    assert Authority.objects.count() == 1
    services.authority_create(actor=legal, data=court(country="BE"))  # another country is fine


def test_authority_create_needs_the_manage_permission(approver):
    with pytest.raises(NotPermitted):
        services.authority_create(actor=approver, data=court())

    assert not Authority.objects.exists()
    assert AuditEvent.objects.get(action="authz.denied").data["operation"] == "authority_create"


def test_authority_update_records_the_changed_fields(legal):
    authority = make_authority(name="Parquet de Paris", type=Authority.Type.PROSECUTOR)

    services.authority_update(
        authority_id=authority.pk,
        actor=legal,
        data=court(name="Parquet de Paris", type="prosecutor", notes="Section J3 (cyber)"),
    )

    authority.refresh_from_db()
    assert authority.notes == "Section J3 (cyber)"
    assert events("authority.changed", authority).get().data == {"fields": ["notes"]}


def test_authority_update_without_change_records_nothing(legal):
    authority = make_authority(name="Parquet de Lille", type=Authority.Type.PROSECUTOR)

    services.authority_update(
        authority_id=authority.pk,
        actor=legal,
        data=court(name="Parquet de Lille", type="prosecutor"),
    )

    assert not events("authority.changed").exists()


def test_authority_update_refuses_a_name_taken_by_another(legal):
    make_authority(name="Taken", country="FR")
    authority = make_authority(name="Free", country="FR")

    with pytest.raises(InvalidRequest):
        services.authority_update(authority_id=authority.pk, actor=legal, data=court(name="Taken"))

    authority.refresh_from_db()
    assert authority.name == "Free"


def test_authority_suspend_needs_a_reason_and_is_recorded(legal):
    authority = make_authority()

    with pytest.raises(InvalidRequest) as refused:
        services.authority_set_status(authority_id=authority.pk, actor=legal, status="suspended")
    assert "reason" in refused.value.errors

    services.authority_set_status(
        authority_id=authority.pk,
        actor=legal,
        status="suspended",
        reason="Forged requests sent from a compromised mailbox",
    )

    authority.refresh_from_db()
    assert authority.status == Authority.Status.SUSPENDED
    event = events("authority.suspended", authority).get()
    assert (event.data["from"], event.data["to"]) == ("verified", "suspended")


def test_authority_verify_again_is_recorded_and_repeating_it_changes_nothing(legal):
    authority = make_authority(status=Authority.Status.SUSPENDED)

    services.authority_set_status(authority_id=authority.pk, actor=legal, status="verified")
    services.authority_set_status(authority_id=authority.pk, actor=legal, status="verified")

    authority.refresh_from_db()
    assert authority.status == Authority.Status.VERIFIED
    assert events("authority.verified", authority).count() == 1


def test_authority_set_status_refuses_an_unknown_status(legal):
    authority = make_authority()

    with pytest.raises(InvalidRequest):
        services.authority_set_status(authority_id=authority.pk, actor=legal, status="trusted")


def test_contact_add_records_who_verified_it_and_where_it_comes_from(legal):
    authority = make_authority(country="FR")

    contact = services.authority_contact_add(
        authority_id=authority.pk,
        actor=legal,
        data=ContactInput(
            kind="phone", value="01 44 32 50 50", directory_source="annuaire.justice.gouv.fr"
        ),
    )

    assert contact.value == "+33144325050"  # normalised with the authority's country
    assert contact.verified_by == legal
    assert timezone.now() - contact.verified_at < timedelta(minutes=1)
    event = events("authority.contact_added", authority).get()
    assert event.data == {
        "contact": contact.pk,
        "kind": "phone",
        "directory_source": "annuaire.justice.gouv.fr",
    }


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("email_domain", "@Justice.GOUV.fr", "justice.gouv.fr"),
        ("portal", "https://lers.example.gov/portal", "https://lers.example.gov/portal"),
        ("ecodex", "FR-EPOC-0042", "FR-EPOC-0042"),
    ],
)
def test_contact_add_normalises_each_kind(legal, kind, value, expected):
    authority = make_authority()

    contact = services.authority_contact_add(
        authority_id=authority.pk,
        actor=legal,
        data=ContactInput(kind=kind, value=value, directory_source="Official directory 2026"),
    )

    assert contact.value == expected


@pytest.mark.parametrize(
    ("kind", "value", "source", "field"),
    [
        ("phone", "+33 1 44", "annuaire", "value"),
        ("phone", "call me", "annuaire", "value"),
        ("email_domain", "someone@justice.fr", "annuaire", "value"),
        ("portal", "http://insecure.example", "annuaire", "value"),
        ("phone", "", "annuaire", "value"),
        ("phone", "+33144325050", "  ", "directory_source"),
        ("carrier_pigeon", "loft 3", "annuaire", "kind"),
    ],
)
def test_contact_add_with_bad_input_writes_nothing(legal, kind, value, source, field):
    authority = make_authority()

    with pytest.raises(InvalidRequest) as refused:
        services.authority_contact_add(
            authority_id=authority.pk,
            actor=legal,
            data=ContactInput(kind=kind, value=value, directory_source=source),
        )

    assert field in refused.value.errors
    assert not AuthorityContact.objects.exists()
    assert not events("authority.contact_added").exists()


def test_contact_add_needs_the_manage_permission(approver):
    authority = make_authority()

    with pytest.raises(NotPermitted):
        services.authority_contact_add(
            authority_id=authority.pk,
            actor=approver,
            data=ContactInput(kind="phone", value="+33144325050", directory_source="annuaire"),
        )

    assert not AuthorityContact.objects.exists()


def test_authority_requests_are_its_history_newest_first(legal):
    authority = make_authority()
    old = make_request(
        created_by=legal, authority=authority, received_at=timezone.now() - timedelta(days=30)
    )
    new = make_request(created_by=legal, authority=authority)
    make_request(created_by=legal)  # another authority's

    history = authority_selectors.authority_requests(authority=authority)

    assert [r.pk for r in history] == [new.pk, old.pk]
    assert history[0].target_count == 1


# --- Screens ----------------------------------------------------------------------------


def test_authority_list_shows_authorities_with_their_request_counts(legal_client, legal):
    authority = make_authority(name="Staatsanwaltschaft Berlin", country="DE")
    make_request(created_by=legal, authority=authority)
    make_request(created_by=legal, authority=authority, status="closed")
    make_authority(name="Parquet de Nice", country="FR")

    response = legal_client.get(reverse("disclosures:authorities"), {"country": "de"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Staatsanwaltschaft Berlin" in body
    assert "Parquet de Nice" not in body
    assert "2 (1)" in body


def test_authority_list_query_count_does_not_grow_with_rows(legal_client, legal):
    for _ in range(3):
        make_authority()
    url = reverse("disclosures:authorities")
    legal_client.get(url)
    with CaptureQueriesContext(connection) as small:
        legal_client.get(url)
    assert len(small.captured_queries) == LIST_QUERIES
    for _ in range(17):
        authority = make_authority()
        add_contact(authority, legal)
        make_request(created_by=legal, authority=authority)
    with CaptureQueriesContext(connection) as large:
        legal_client.get(url)
    assert len(large.captured_queries) == LIST_QUERIES


def test_authority_new_creates_and_redirects(legal_client):
    response = legal_client.post(
        reverse("disclosures:authority_new"),
        {"name": "Prokuratura Krajowa", "country": "PL", "type": "prosecutor", "notes": ""},
    )

    authority = Authority.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("disclosures:authority", args=[authority.pk])


def test_authority_new_with_errors_rerenders_with_200(legal_client):
    response = legal_client.post(
        reverse("disclosures:authority_new"),
        {"name": "Somewhere", "country": "XX", "type": "court"},
    )

    assert response.status_code == 200
    assert b"ISO 3166-1" in response.content
    assert not Authority.objects.exists()


def test_authority_edit_updates(legal_client):
    authority = make_authority(name="Old name", country="FR")

    response = legal_client.post(
        reverse("disclosures:authority_edit", args=[authority.pk]),
        {"name": "New name", "country": "FR", "type": "court", "notes": ""},
    )

    assert response.status_code == 302
    authority.refresh_from_db()
    assert authority.name == "New name"


def test_authority_detail_shows_contacts_status_and_history(legal_client, legal):
    authority = make_authority()
    add_contact(authority, legal, value="+33144325050")
    request = make_request(created_by=legal, authority=authority, emergency=True)

    response = legal_client.get(reverse("disclosures:authority", args=[authority.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "+33144325050" in body
    assert "annuaire.justice.gouv.fr" in body
    assert request.reference in body
    assert "data-deadline=" in body
    assert reverse("disclosures:authority_status", args=[authority.pk]) in body
    assert "no-store" in response["Cache-Control"]


def test_contact_add_view_needs_the_directory_confirmation(legal_client):
    authority = make_authority()
    url = reverse("disclosures:authority_contact_add", args=[authority.pk])
    data = {"kind": "phone", "value": "+33144325050", "directory_source": "annuaire"}

    refused = legal_client.post(url, data)
    accepted = legal_client.post(url, {**data, "not_from_request": "on"})

    assert refused.status_code == 200
    assert b"field-errors" in refused.content
    assert accepted.status_code == 302
    assert AuthorityContact.objects.get().value == "+33144325050"


def test_suspend_view_suspends_with_a_reason(legal_client):
    authority = make_authority()
    url = reverse("disclosures:authority_status", args=[authority.pk])

    without_reason = legal_client.post(url, {"status": "suspended", "reason": ""})
    with_reason = legal_client.post(url, {"status": "suspended", "reason": "Forgeries"})

    assert without_reason.status_code == 200
    assert with_reason.status_code == 302
    authority.refresh_from_db()
    assert authority.status == Authority.Status.SUSPENDED


def test_suspended_authority_is_not_offered_at_intake(legal_client):
    verified = make_authority(name="Offered court")
    make_authority(name="Hidden court", status=Authority.Status.SUSPENDED)

    response = legal_client.get(reverse("disclosures:request_new"))

    assert verified.name.encode() in response.content
    assert b"Hidden court" not in response.content


def test_approver_reads_the_registry_but_cannot_change_it(approver_client):
    authority = make_authority()

    assert approver_client.get(reverse("disclosures:authorities")).status_code == 200
    detail = approver_client.get(reverse("disclosures:authority", args=[authority.pk]))
    assert detail.status_code == 200
    assert reverse("disclosures:authority_status", args=[authority.pk]).encode() not in (
        detail.content
    )
    assert approver_client.get(reverse("disclosures:authority_new")).status_code == 403
    response = approver_client.post(
        reverse("disclosures:authority_status", args=[authority.pk]),
        {"status": "suspended", "reason": "x"},
    )
    assert response.status_code == 403
    authority.refresh_from_db()
    assert authority.status == Authority.Status.VERIFIED


VIEWS = [
    ("get", "disclosures:authorities", False),
    ("get", "disclosures:authority_new", False),
    ("post", "disclosures:authority_new", False),
    ("get", "disclosures:authority", True),
    ("get", "disclosures:authority_edit", True),
    ("post", "disclosures:authority_edit", True),
    ("post", "disclosures:authority_contact_add", True),
    ("post", "disclosures:authority_status", True),
]


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.AUDITOR])
@pytest.mark.parametrize(("method", "name", "with_id"), VIEWS)
def test_authority_views_are_forbidden_to_non_legal_roles(
    make_user, client_for, role, method, name, with_id
):
    authority = make_authority()
    client = client_for(make_user(role))
    url = reverse(name, args=[authority.pk] if with_id else [])

    response = getattr(client, method)(url, {"status": "suspended", "reason": "x"})

    assert response.status_code == 403
    authority.refresh_from_db()
    assert authority.status == Authority.Status.VERIFIED
    assert not AuthorityContact.objects.exists()


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "disclosures:authority"),
        ("get", "disclosures:authority_edit"),
        ("post", "disclosures:authority_edit"),
        ("post", "disclosures:authority_contact_add"),
        ("post", "disclosures:authority_status"),
    ],
)
def test_missing_authority_is_404(legal_client, method, name):
    response = getattr(legal_client, method)(reverse(name, args=[424242]))

    assert response.status_code == 404

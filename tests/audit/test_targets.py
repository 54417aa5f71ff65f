"""The audit trail names its targets for people, links them, and finds events by reference."""

from __future__ import annotations

import pytest
from django.urls import reverse

import audit
from accounts.roles import Role
from audit import targets
from tests.disclosures.factories import make_request
from tests.utils import login_verified

pytestmark = pytest.mark.django_db


def _events_url() -> str:
    return reverse("audit:events")


def test_every_registered_link_resolves():
    for kind in targets.registered().values():
        if kind.url_name:
            assert reverse(kind.url_name, args=[1])  # a typo in a URL name fails here


def test_a_request_reference_finds_that_request_s_events_only(auditor_client, make_user):
    legal = make_user(Role.LEGAL_OFFICER)
    wanted = make_request(created_by=legal)
    other = make_request(created_by=legal)
    audit.record(action="case.decided", target=wanted)
    audit.record(action="case.decided", target=other)

    response = auditor_client.get(_events_url(), {"reference": wanted.reference.lower()})

    rows = [event for event, _shown in response.context["rows"]]
    assert rows
    assert {e.target_id for e in rows} == {str(wanted.pk)}
    assert f"Legal request {wanted.reference}" in response.content.decode()


def test_a_case_reference_finds_the_case_s_events(auditor_client):
    audit.record(action="case.claimed", target_type="moderation.case", target_id=41)
    audit.record(action="case.claimed", target_type="moderation.case", target_id=42)

    for typed in ("case 42", "#42", "Case #42", "42"):
        response = auditor_client.get(_events_url(), {"reference": typed})
        assert [e.target_id for e, _ in response.context["rows"]] == ["42"], typed


@pytest.mark.parametrize("typed", ["LR-1999-99999", "nonsense", "case x", "'; drop table --"])
def test_an_unknown_reference_is_a_clear_error_not_a_500(auditor_client, typed):
    audit.record(action="case.claimed", target_type="moderation.case", target_id=7)

    response = auditor_client.get(_events_url(), {"reference": typed})

    assert response.status_code == 200
    assert "Nothing recorded is known by this reference" in response.content.decode()


def test_targets_link_only_for_readers_who_may_open_them(auditor_client, make_user, client):
    audit.record(action="case.claimed", target_type="moderation.case", target_id=5)
    case_url = reverse("moderation:case", args=[5])

    # An auditor may not open cases: the target is named, not linked.
    page = auditor_client.get(_events_url()).content.decode()
    assert "Case #5" in page
    assert f'href="{case_url}"' not in page

    both = make_user(Role.AUDITOR, Role.SENIOR_MODERATOR)
    page = login_verified(client, both).get(_events_url()).content.decode()
    assert f'<a href="{case_url}">Case #5</a>' in page


def test_the_target_filter_offers_kinds_by_name_and_refuses_unknown_ones(auditor_client):
    page = auditor_client.get(_events_url()).content.decode()
    assert '<option value="disclosures.legalrequest">Legal request</option>' in page

    response = auditor_client.get(_events_url(), {"target_type": "moderation.nothing"})
    assert response.context["form"].errors


def test_naming_the_targets_costs_one_query_per_kind_not_per_row(
    auditor_client, make_user, django_assert_max_num_queries
):
    legal = make_user(Role.LEGAL_OFFICER)
    for _ in range(3):
        audit.record(action="case.decided", target=make_request(created_by=legal))
    with django_assert_max_num_queries(30) as few:
        auditor_client.get(_events_url())
    for _ in range(20):
        audit.record(action="case.decided", target=make_request(created_by=legal))
    with django_assert_max_num_queries(len(few.captured_queries)):
        auditor_client.get(_events_url())


def test_an_unregistered_type_shows_its_model_name_or_its_code():
    assert targets.label_for("disclosures.requesttarget") == "Request target"
    assert targets.label_for("nothing.here") == "nothing.here"

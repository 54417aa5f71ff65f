from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

import audit
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = reverse("audit:events")


def _events(n: int, action: str = "case.claimed") -> list[AuditEvent]:
    return [
        audit.record(action=action, target_type="moderation.case", target_id=i) for i in range(n)
    ]


def test_event_list_forbidden_to_moderators(moderator_client):
    assert moderator_client.get(URL).status_code == 403


def test_event_list_shows_newest_first(auditor_client):
    first, second = _events(2)

    response = auditor_client.get(URL)

    assert response.status_code == 200
    ids = [e.pk for e in response.context["page"].events]
    assert ids.index(second.pk) < ids.index(first.pk)


def test_event_list_keyset_pagination_walks_every_event_once(auditor_client, settings):
    settings.AUDIT_PAGE_SIZE = 7
    created = {e.pk for e in _events(20)}
    seen: list[int] = []
    after = None

    for _ in range(10):
        response = auditor_client.get(URL, {"after": after} if after else {})
        page = response.context["page"]
        seen += [e.pk for e in page.events]
        after = page.next_after
        if after is None:
            break

    assert created <= set(seen)
    assert len(seen) == len(set(seen))  # nothing twice
    assert seen == sorted(seen, reverse=True)


def test_event_list_filters_by_action_prefix_actor_target_and_time(auditor_client, auditor):
    _events(3, action="case.claimed")
    login = audit.record(action="request.viewed", actor=auditor, target=auditor)
    old = audit.record(action="request.exported", actor=auditor, target=auditor)

    def ids(params):
        return {e.pk for e in auditor_client.get(URL, params).context["page"].events}

    assert ids({"action": "request.*"}) == {login.pk, old.pk}
    assert ids({"action": "request.viewed"}) == {login.pk}
    assert ids({"actor": auditor.username}) >= {login.pk, old.pk}
    assert ids({"actor": "nobody"}) == set()
    assert ids({"target_type": "accounts.user", "target_id": str(auditor.pk)}) >= {login.pk}
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert ids({"since": future}) == set()
    assert login.pk in ids({"until": future})


@pytest.mark.parametrize(
    "params",
    [
        {"action": "DROP TABLE;"},
        {"since": "not-a-date"},
        {"since": "2026-02-01T00:00", "until": "2026-01-01T00:00"},
        {"after": "-3"},
        {"after": "abc"},
    ],
)
def test_event_list_bad_filters_show_an_error_not_a_crash(auditor_client, params):
    _events(2)

    response = auditor_client.get(URL, params)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert b"form-errors" in response.content


def test_event_list_htmx_request_gets_only_the_table(auditor_client):
    _events(1)

    response = auditor_client.get(URL, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b'id="event-table"' in response.content
    assert b"<html" not in response.content
    assert "HX-Request" in response["Vary"]


def test_event_list_query_count_does_not_grow_with_rows(
    auditor_client, django_assert_max_num_queries
):
    _events(3)
    auditor_client.get(URL)  # warm the session and permission caches alike
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        auditor_client.get(URL)
    _events(60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = auditor_client.get(URL)
    assert len(response.context["page"].events) == 50


def test_event_detail_shows_payload(auditor_client):
    event = audit.record(action="pii.viewed", data={"purpose": "request 12 review"})

    response = auditor_client.get(reverse("audit:event", args=[event.pk]))

    assert response.status_code == 200
    assert b"request 12 review" in response.content


def test_event_detail_missing_is_404_and_forbidden_is_403(auditor_client, moderator_client):
    event = audit.record(action="pii.viewed")

    assert auditor_client.get(reverse("audit:event", args=[event.pk + 1000])).status_code == 404
    assert moderator_client.get(reverse("audit:event", args=[event.pk])).status_code == 403

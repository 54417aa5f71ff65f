from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from accounts.token_services import api_token_issue
from audit.models import AuditEvent
from moderation.exceptions import NotAllowed
from moderation.models import CaseNote, Statement
from moderation.services import claims, decisions
from moderation.services.notes import NOTE_MAX_LENGTH, InvalidNote, case_note_add
from outbox.models import Delivery
from tests.moderation.factories import make_case, submit_appeal, violation
from tests.routes import all_routes

pytestmark = pytest.mark.django_db

SECRET = "Caller said the author is her ex-partner Jeanne Quibble-7731"


def _note_url(case):
    return reverse("moderation:case_note_add", args=[case.pk])


def test_note_add_writes_the_note_and_audits_its_id_and_length_not_its_text(moderator):
    case = make_case()

    note = case_note_add(case_id=case.pk, actor=moderator, text=f"  {SECRET}  ")

    assert (note.text, note.author, note.case) == (SECRET, moderator, case)
    event = AuditEvent.objects.get(action="case.note_added")
    assert event.target_id == str(case.pk)
    assert event.data == {"note": note.pk, "length": len(SECRET)}
    assert SECRET not in json.dumps(event.data)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write the note"), ("   \n ", "Write the note"), ("x" * (NOTE_MAX_LENGTH + 1), "4,000")],
)
def test_note_add_refuses_empty_or_too_long_text_and_writes_nothing(moderator, text, message):
    case = make_case()

    with pytest.raises(InvalidNote) as refused:
        case_note_add(case_id=case.pk, actor=moderator, text=text)

    assert message in refused.value.errors["text"][0]
    assert not CaseNote.objects.exists()
    assert not AuditEvent.objects.filter(action="case.note_added").exists()


def test_note_of_the_maximum_length_is_accepted(moderator):
    case = make_case()
    case_note_add(case_id=case.pk, actor=moderator, text="x" * NOTE_MAX_LENGTH)
    assert CaseNote.objects.get().text == "x" * NOTE_MAX_LENGTH


@pytest.mark.parametrize("role", [Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, Role.AUDITOR])
def test_roles_without_write_notes_cannot_add_notes(make_user, role):
    case = make_case()
    with pytest.raises(NotAllowed):
        case_note_add(case_id=case.pk, actor=make_user(role), text="hello")
    assert not CaseNote.objects.exists()


def test_notes_are_append_only_no_url_or_service_edits_or_deletes_them():
    from moderation.services import notes as note_services

    assert [n for n in dir(note_services) if n.startswith("case_note_")] == ["case_note_add"]
    note_routes = sorted(
        name
        for _, name in all_routes()
        if name and "note" in name and not name.startswith("admin:")
    )
    assert note_routes == ["moderation:appeal_note_add", "moderation:case_note_add"]
    # The admin lists notes (without their text) and can change nothing.
    from django.contrib import admin
    from django.test import RequestFactory

    from moderation.models import CaseNote

    notes_admin = admin.site._registry[CaseNote]
    request = RequestFactory().get("/")
    request.user = type("Superuser", (), {"is_active": True, "is_superuser": True})()
    assert not notes_admin.has_add_permission(request)
    assert not notes_admin.has_change_permission(request)
    assert not notes_admin.has_delete_permission(request)
    assert "text" not in notes_admin.get_readonly_fields(request)


def test_case_page_adds_a_note_with_htmx_and_swaps_the_list(moderator_client, moderator):
    case = make_case()
    case_note_add(case_id=case.pk, actor=moderator, text="first note")

    response = moderator_client.post(
        _note_url(case), {"text": "second note"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "note-added"
    body = response.content.decode()
    assert body.strip().startswith('<section class="card" id="case-notes"')
    assert body.index("first note") < body.index("second note")  # oldest first
    assert "<html" not in body


def test_bad_note_through_the_page_shows_the_message_and_writes_nothing(moderator_client):
    case = make_case()

    empty = moderator_client.post(_note_url(case), {"text": " "}, headers={"HX-Request": "true"})
    long = moderator_client.post(
        _note_url(case), {"text": "y" * (NOTE_MAX_LENGTH + 5)}, headers={"HX-Request": "true"}
    )

    assert empty.status_code == long.status_code == 200
    assert "Write the note before adding it." in empty.content.decode()
    assert "at most 4000 characters" in long.content.decode()
    assert not CaseNote.objects.exists()


def test_note_without_htmx_redirects_back_to_the_case(moderator_client):
    case = make_case()
    response = moderator_client.post(_note_url(case), {"text": "plain post"})
    assert response.status_code == 302
    assert response["Location"] == f"/moderation/cases/{case.pk}/#case-notes"
    assert CaseNote.objects.get().text == "plain post"


def test_note_on_a_missing_case_is_404(moderator_client):
    assert (
        moderator_client.post("/moderation/cases/999999/notes/", {"text": "x"}).status_code == 404
    )


def test_case_page_shows_notes_oldest_first_and_a_note_added_timeline_entry(
    moderator_client, moderator
):
    case = make_case()
    for text in ("alpha note", "beta note", "gamma note"):
        case_note_add(case_id=case.pk, actor=moderator, text=text)

    page = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    assert page.index("alpha note") < page.index("beta note") < page.index("gamma note")
    timeline = page[page.index('<ol class="timeline">') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert timeline.count(">Note added</span>") == 3
    assert "alpha note" not in timeline


def test_case_page_query_count_does_not_grow_with_notes(moderator_client, moderator, make_user):
    case = make_case()
    case_note_add(case_id=case.pk, actor=moderator, text="one")
    url = reverse("moderation:case", args=[case.pk])
    moderator_client.get(url)
    with CaptureQueriesContext(connection) as small:
        moderator_client.get(url)
    for i in range(10):
        author = make_user(Role.MODERATOR) if i % 2 else moderator
        case_note_add(case_id=case.pk, actor=author, text=f"note {i}")
    with CaptureQueriesContext(connection) as large:
        moderator_client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_legal_staff_read_notes_on_an_escalated_case_but_cannot_write(
    moderator, make_user, client_for
):
    case = make_case(category="illegal_drugs")
    claims.case_claim(case_id=case.pk, actor=moderator)
    case_note_add(case_id=case.pk, actor=moderator, text="Seller linked to a known ring")
    claims.case_escalate(case_id=case.pk, actor=moderator, to="legal", note="dealer")
    legal = client_for(make_user(Role.LEGAL_OFFICER))

    page = legal.get(reverse("moderation:case", args=[case.pk])).content.decode()
    refused = legal.post(_note_url(case), {"text": "legal note"})

    assert "Seller linked to a known ring" in page
    assert 'class="note-form"' not in page
    assert refused.status_code == 403
    assert CaseNote.objects.count() == 1


def test_note_on_a_case_legal_cannot_see_is_refused(make_user, client_for):
    case = make_case()
    legal = client_for(make_user(Role.LEGAL_OFFICER))
    assert legal.post(_note_url(case), {"text": "x"}).status_code == 403
    assert not CaseNote.objects.exists()


def test_appeal_notes_are_shown_with_the_case_notes_on_the_appeal_page(make_user, client_for):
    senior = make_user(Role.SENIOR_MODERATOR)
    moderator = make_user(Role.MODERATOR)
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    decision = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    case_note_add(case_id=case.pk, actor=moderator, text="case-level note")
    appeal = submit_appeal(decision)
    client = client_for(senior)

    response = client.post(
        reverse("moderation:appeal_note_add", args=[appeal.pk]),
        {"text": "appeal-level note"},
        headers={"HX-Request": "true"},
    )
    page = client.get(reverse("moderation:appeal", args=[appeal.pk])).content.decode()

    assert response.status_code == 200
    note = CaseNote.objects.get(text="appeal-level note")
    assert (note.case_id, note.appeal_id) == (case.pk, appeal.pk)
    assert page.index("case-level note") < page.index("appeal-level note")
    assert f"on appeal {appeal.pk}" in page
    event = AuditEvent.objects.get(action="case.note_added", data__note=note.pk)
    assert event.data["appeal"] == appeal.pk
    # Moderators do not open appeals, so they do not note on them either.
    assert (
        client_for(moderator)
        .post(reverse("moderation:appeal_note_add", args=[appeal.pk]), {"text": "x"})
        .status_code
        == 403
    )


def test_note_text_never_leaks_into_statements_deliveries_api_or_audit(moderator):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    case_note_add(case_id=case.pk, actor=moderator, text=SECRET)
    decision = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    appeal = submit_appeal(decision)
    case_note_add(case_id=case.pk, actor=moderator, text=SECRET + " (appeal)", appeal_id=appeal.pk)
    _, token = api_token_issue(name="leak-check", scopes=["statements"])
    from django.test import Client

    feed = Client().get("/api/v1/statements", headers={"Authorization": f"Bearer {token}"})

    needle = "Quibble-7731"
    assert Statement.objects.filter(decision__case=case).exists()
    for statement in Statement.objects.all():
        assert needle not in json.dumps(statement.payload)
    assert Delivery.objects.exists()
    for delivery in Delivery.objects.all():
        assert needle not in json.dumps(delivery.payload)
    assert feed.status_code == 200
    assert json.loads(feed.content)  # the feed has the statement
    assert needle not in feed.content.decode()
    assert AuditEvent.objects.filter(action="case.note_added").count() == 2
    for event in AuditEvent.objects.all():
        assert needle not in json.dumps(event.data)

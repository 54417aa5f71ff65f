from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from moderation.exceptions import NotAllowed
from moderation.models import Case, Category, ReplyTemplate, Statement
from moderation.selectors.notes import reply_templates_for_case
from moderation.services import claims, decisions
from moderation.services.reply_templates import (
    InvalidReplyTemplate,
    ReplyTemplateInput,
    reply_template_create,
    reply_template_deactivate,
    reply_template_update,
)
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db

LIST_URL = "/moderation/reply-templates/"


def _input(**overrides: Any) -> ReplyTemplateInput:
    fields: dict[str, Any] = {
        "title": "Spam: bulk advertising",
        "category": Category.objects.get(code="spam"),
        "language": "en",
        "field": "explanation",
        "body": "Your message was removed because it is bulk advertising.",
        "shortcut": 1,
        "active": True,
    }
    fields.update(overrides)
    return ReplyTemplateInput(**fields)


def _post(**overrides):
    data = {
        "title": "Scam warning",
        "category": str(Category.objects.get(code="scams_fraud").pk),
        "language": "en",
        "field": "facts",
        "body": "The message promised returns that do not exist.",
        "shortcut": "2",
        "active": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR, username="senior-t")


@pytest.fixture
def senior_client(senior, client_for):
    return client_for(senior)


def test_create_audits_the_fields(senior):
    template = reply_template_create(actor=senior, data=_input())

    event = AuditEvent.objects.get(action="reply_template.created")
    assert event.target_id == str(template.pk)
    assert event.data["shortcut"] == 1
    assert event.data["category"] == template.category_id
    assert template.updated_by == senior


def test_update_audits_only_the_changed_fields(senior):
    template = reply_template_create(actor=senior, data=_input())

    reply_template_update(
        template_id=template.pk, actor=senior, data=_input(title="Spam (v2)", shortcut=3)
    )

    event = AuditEvent.objects.get(action="reply_template.updated")
    assert event.data["changed"] == {
        "title": {"from": "Spam: bulk advertising", "to": "Spam (v2)"},
        "shortcut": {"from": 1, "to": 3},
    }


def test_update_without_change_writes_no_event(senior):
    template = reply_template_create(actor=senior, data=_input())
    reply_template_update(template_id=template.pk, actor=senior, data=_input())
    assert not AuditEvent.objects.filter(action="reply_template.updated").exists()


def test_shortcut_is_unique_per_language_and_category_among_active_templates(senior):
    first = reply_template_create(actor=senior, data=_input())

    with pytest.raises(InvalidReplyTemplate) as refused:
        reply_template_create(actor=senior, data=_input(title="Another"))

    assert (
        "Shortcut 1 is already used by “Spam: bulk advertising”"
        in (refused.value.errors["shortcut"][0])
    )
    assert ReplyTemplate.objects.count() == 1
    # Another language, another category, or every category: the key is free there.
    reply_template_create(actor=senior, data=_input(title="FR", language="fr"))
    reply_template_create(
        actor=senior,
        data=_input(title="Scams", category=Category.objects.get(code="scams_fraud")),
    )
    reply_template_create(actor=senior, data=_input(title="Any", category=None))
    # Once the first is deactivated its key can be reused.
    reply_template_deactivate(template_id=first.pk, actor=senior)
    reply_template_create(actor=senior, data=_input(title="Replacement"))
    assert ReplyTemplate.objects.filter(active=True, shortcut=1).count() == 4


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"body": ""}, "body"),
        ({"field": "statement"}, "field"),
        ({"shortcut": 0}, "shortcut"),
        ({"shortcut": 10}, "shortcut"),
    ],
)
def test_invalid_templates_are_refused(senior, overrides, field):
    with pytest.raises(InvalidReplyTemplate) as refused:
        reply_template_create(actor=senior, data=_input(**overrides))
    assert field in refused.value.errors
    assert not ReplyTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="reply_template.").exists()


def test_moderators_cannot_manage_templates(moderator, senior):
    with pytest.raises(NotAllowed):
        reply_template_create(actor=moderator, data=_input())
    template = reply_template_create(actor=senior, data=_input())
    with pytest.raises(NotAllowed):
        reply_template_deactivate(template_id=template.pk, actor=moderator)
    template.refresh_from_db()
    assert template.active


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.LEGAL_OFFICER, Role.AUDITOR])
def test_template_pages_are_for_seniors_only(make_user, client_for, role):
    client = client_for(make_user(role))
    assert client.get(LIST_URL).status_code == 403
    assert client.post(LIST_URL + "new/", _post()).status_code == 403
    assert not ReplyTemplate.objects.exists()


def test_senior_creates_edits_and_deactivates_through_the_pages(senior_client):
    created = senior_client.post(LIST_URL + "new/", _post())
    assert created.status_code == 302
    template = ReplyTemplate.objects.get()
    assert (template.field, template.shortcut, template.active) == ("facts", 2, True)

    edit_url = reverse("moderation:reply_template_edit", args=[template.pk])
    assert "Scam warning" in senior_client.get(edit_url).content.decode()
    senior_client.post(edit_url, _post(title="Scam warning (edited)"))
    template.refresh_from_db()
    assert template.title == "Scam warning (edited)"

    senior_client.post(reverse("moderation:reply_template_deactivate", args=[template.pk]))
    template.refresh_from_db()
    assert not template.active
    listing = senior_client.get(LIST_URL).content.decode()
    assert "Scam warning (edited)" in listing
    assert "inactive" in listing


def test_duplicate_shortcut_through_the_page_shows_a_clear_message(senior_client):
    senior_client.post(LIST_URL + "new/", _post())

    response = senior_client.post(LIST_URL + "new/", _post(title="Second"))

    assert response.status_code == 200
    assert "Shortcut 2 is already used by “Scam warning”" in response.content.decode()
    assert ReplyTemplate.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"language": "english!"}, "two- or three-letter language code"),
        ({"shortcut": "12"}, "less than or equal to 9"),
        ({"body": ""}, "This field is required"),
    ],
)
def test_bad_template_form_input_is_refused(senior_client, overrides, message):
    response = senior_client.post(LIST_URL + "new/", _post(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ReplyTemplate.objects.exists()


def test_edit_of_a_missing_template_is_404(senior_client):
    assert senior_client.get(LIST_URL + "999999/").status_code == 404


def test_list_page_query_count_does_not_grow(senior_client, senior):
    reply_template_create(actor=senior, data=_input())
    senior_client.get(LIST_URL)
    with CaptureQueriesContext(connection) as small:
        senior_client.get(LIST_URL)
    for n in range(2, 9):
        reply_template_create(actor=senior, data=_input(title=f"T{n}", shortcut=n))
    with CaptureQueriesContext(connection) as large:
        senior_client.get(LIST_URL)
    assert len(large.captured_queries) == len(small.captured_queries)


def _templates(senior):
    spam = Category.objects.get(code="spam")
    scams = Category.objects.get(code="scams_fraud")
    made = {}
    for title, category, language, shortcut, active in [
        ("spam-en", spam, "en", 1, True),
        ("spam-fr", spam, "fr", 1, True),
        ("any-en", None, "en", 2, True),
        ("any-fr", None, "fr", 2, True),
        ("scams-en", scams, "en", 3, True),
        ("spam-en-old", spam, "en", None, False),
    ]:
        made[title] = reply_template_create(
            actor=senior,
            data=_input(
                title=title, category=category, language=language, shortcut=shortcut, active=active
            ),
        )
    return made


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", ["spam-fr", "any-fr"]),
        ("en", ["spam-en", "any-en"]),
        ("de", ["spam-en", "any-en"]),  # no German template: English
        ("", ["spam-en", "any-en"]),
    ],
)
def test_decision_form_offers_the_category_and_language_templates(
    senior, moderator, moderator_client, language, expected
):
    _templates(senior)
    case = make_case(category="spam")
    Case.objects.filter(pk=case.pk).update(language=language)
    case.refresh_from_db()
    assert [
        t.title for t in reply_templates_for_case(category_id=case.category_id, language=language)
    ] == expected

    claims.case_claim(case_id=case.pk, actor=moderator)
    page = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()
    picker = page[page.index("data-reply-templates") :]
    picker = picker[: picker.index("</fieldset>")]
    shown = [
        t
        for t in ("spam-en", "spam-fr", "any-en", "any-fr", "scams-en")
        if f" {t}</button>" in picker
    ]
    assert shown == expected
    assert 'data-shortcut="1"' in picker
    assert "spam-en-old" not in picker


def test_decision_does_not_depend_on_templates(senior, moderator, moderator_client):
    """Deciding works with every template deactivated: they are only text helpers."""
    for template in _templates(senior).values():
        if template.active:
            reply_template_deactivate(template_id=template.pk, actor=senior)
    case = make_case(category="spam")
    claims.case_claim(case_id=case.pk, actor=moderator)
    page = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()
    assert "data-reply-templates" not in page

    from tests.moderation.factories import violation

    decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    assert Statement.objects.filter(decision__case=case).exists()


def test_demo_seeds_templates_in_en_and_fr_and_notes_once(make_user):
    from moderation.demo_notes import seed_notes_and_templates
    from moderation.models import CaseNote
    from tests.moderation.factories import violation

    users = {
        "moderator": make_user(Role.MODERATOR, username="moderator"),
        "senior": make_user(Role.SENIOR_MODERATOR, username="senior"),
    }
    case = make_case(external_id="demo-note-1")
    claims.case_claim(case_id=case.pk, actor=users["moderator"])
    decisions.case_decide(case_id=case.pk, actor=users["moderator"], decision=violation())

    first = seed_notes_and_templates(users)
    second = seed_notes_and_templates(users)

    assert (first, second) == (10, 0)
    active = ReplyTemplate.objects.filter(active=True)
    assert set(active.values_list("language", flat=True)) == {"en", "fr"}
    assert set(active.exclude(category=None).values_list("category__code", flat=True)) == {
        "spam",
        "scams_fraud",
        "hate_speech",
    }
    assert CaseNote.objects.filter(case=case).count() == 1

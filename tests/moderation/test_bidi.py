"""
User-supplied text cannot reorder the page around it (bidirectional-override tricks).

"evil\u202egnp.exe" is a name that displays as "evilexe.png": the RIGHT-TO-LEFT OVERRIDE
reverses what follows it, up to the end of the paragraph. Every such text is shown inside
an isolating element (`<bdi>`, or `dir="auto"`), and each control character inside it sits
in an isolate of its own, where it has nothing left to reorder.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from moderation.templatetags.moderation_tags import BIDI_CONTROLS
from tests.disclosures.factories import make_account, make_authority, make_request
from tests.moderation.bidi import DISARMED, EVIL, check_isolation
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db


def render(source: str, **context: object) -> str:
    return engines["django"].from_string("{% load moderation_tags %}" + source).render(context)


def evil_case():
    return make_case(
        subject__author_username=EVIL,
        subject__author_display_name=EVIL,
        subject__text=f"see {EVIL} now",
        description=f"posted {EVIL}",
        flagger_name=EVIL,
        source="trusted_flagger",
        signals=[{"kind": "classifier", "name": EVIL, "label": EVIL, "score": 90}],
    )


# --- The filters ----------------------------------------------------------------------------


def test_isolate_wraps_escapes_and_disarms_the_override():
    html = render("{{ v|isolate }}", v=f"<b>{EVIL}</b>")

    assert html == f"<bdi>&lt;b&gt;evil{DISARMED}gnp.exe&lt;/b&gt;</bdi>"


def test_isolate_does_not_escape_safe_text_twice():
    html = render("{{ v|linebreaksbr|isolate }}", v=f"a & b\n{EVIL}")

    assert html == f"<bdi>a &amp; b<br>evil{DISARMED}gnp.exe</bdi>"


@pytest.mark.parametrize("control", list(BIDI_CONTROLS))
def test_every_direction_control_is_disarmed(control):
    html = render("{{ v|show_bidi_controls }}", v=f"a{control}b")

    assert html == f'a<bdi class="bidi-control" data-char="U+{ord(control):04X}">{control}</bdi>b'
    assert check_isolation(html).exposed == []


def test_plain_text_is_only_wrapped():
    assert render("{{ v|isolate }}", v="Ålesund politi") == "<bdi>Ålesund politi</bdi>"


# --- The pages ------------------------------------------------------------------------------


def test_case_page_isolates_the_authors_name_and_every_reported_text(moderator_client):
    case = evil_case()

    body = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    assert f"<bdi>@evil{DISARMED}gnp.exe</bdi>" in body  # the author, "by …" and the heading
    checked = check_isolation(body)
    assert checked.exposed == []
    # author (twice), evidence text, flagger, reasons, signal name and label
    assert checked.isolated >= 7


def test_case_page_query_count_is_the_same_for_a_plain_and_an_evil_name(moderator_client):
    plain, evil = make_case(), evil_case()
    moderator_client.get(reverse("moderation:case", args=[plain.pk]))

    with CaptureQueriesContext(connection) as for_plain:
        moderator_client.get(reverse("moderation:case", args=[plain.pk]))
    with CaptureQueriesContext(connection) as for_evil:
        moderator_client.get(reverse("moderation:case", args=[evil.pk]))

    assert len(for_evil.captured_queries) == len(for_plain.captured_queries)


def test_queue_shows_no_unisolated_control(moderator_client):
    evil_case()

    response = moderator_client.get(reverse("moderation:home"), {"status": "open"})

    assert response.status_code == 200
    assert check_isolation(response.content.decode()).exposed == []


def test_legal_escalations_isolate_the_account(make_user, client_for):
    from moderation.models import Case

    case = evil_case()
    Case.objects.filter(pk=case.pk).update(
        escalation=Case.Escalation.LEGAL, status="legal", escalation_note=f"see {EVIL}"
    )
    client = client_for(make_user(Role.SENIOR_MODERATOR))

    body = client.get(reverse("moderation:legal_escalations")).content.decode()

    assert f"<bdi>@evil{DISARMED}gnp.exe</bdi>" in body
    assert check_isolation(body).exposed == []


def test_request_overview_isolates_authority_and_target_names(make_user, client_for):
    legal = make_user(Role.LEGAL_OFFICER)
    authority = make_authority(name=f"Police {EVIL}")
    account = make_account(username=EVIL)
    request = make_request(
        created_by=legal, authority=authority, accounts=[account], legal_basis=f"Art. 5 {EVIL}"
    )

    body = client_for(legal).get(reverse("disclosures:request", args=[request.pk])).content
    html = body.decode()

    assert f"<bdi>Police evil{DISARMED}gnp.exe</bdi>" in html
    assert f"@<bdi>evil{DISARMED}gnp.exe</bdi>" in html
    assert check_isolation(html).exposed == []

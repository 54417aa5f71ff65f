from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from moderation.models import Case, Decision, Statement
from moderation.services import claims, decisions
from tests.moderation.factories import make_case, violation

pytestmark = pytest.mark.django_db


def _url(case, name="moderation:case", *extra):
    return reverse(name, args=[case.pk, *extra])


def test_case_page_shows_reports_evidence_signals_and_priority(moderator_client):
    case = make_case(
        category="scams_fraud",
        subject__text="Double your money today",
        reporter_id="reporter-xyz",
        signals=[{"kind": "classifier", "name": "fraud-v2", "score": 87, "label": "scam"}],
    )

    response = moderator_client.get(_url(case))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Double your money today" in body
    assert "fraud-v2" in body
    assert "87%" in body
    assert "reporter-xyz" not in body  # reporters are pseudonymised
    assert "Why this priority" in body


def test_case_page_query_count_does_not_grow_with_history(moderator_client):
    case = make_case(subject__author_id="acct-busy")
    make_case(subject__author_id="acct-busy")  # one of each kind, so every prefetch runs
    moderator_client.get(_url(case))
    with CaptureQueriesContext(connection) as small:
        moderator_client.get(_url(case))
    for i in range(8):
        make_case(subject__author_id="acct-busy", subject__chat_id=case.subject.chat_id)
        make_case(
            subject__platform_id=case.subject.platform_id,
            subject__author_id="acct-busy",
            reporter_id=f"r-{i}",
        )
    with CaptureQueriesContext(connection) as large:
        moderator_client.get(_url(case))
    assert len(large.captured_queries) == len(small.captured_queries)


def test_media_is_guarded_until_a_recorded_reveal(moderator_client, moderator):
    case = make_case(
        subject__media_sha256="ab" * 32,
        subject__media_url="/static/demo/media/sample-1.svg",
        subject__content_type="image",
    )
    report = case.reports.get()

    page = moderator_client.get(_url(case)).content.decode()
    assert "media-guarded" in page
    assert not AuditEvent.objects.filter(action="media.revealed").exists()

    response = moderator_client.post(
        _url(case, "moderation:media_reveal", report.pk), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "media-guarded" not in response.content.decode()
    event = AuditEvent.objects.get(action="media.revealed")
    assert (event.actor, event.target_id, event.data["report"]) == (
        moderator,
        str(case.pk),
        report.pk,
    )
    assert "media-guarded" not in moderator_client.get(_url(case)).content.decode()


def test_reveal_of_a_report_from_another_case_is_404(moderator_client):
    case, other = make_case(), make_case()
    report = other.reports.get()
    assert (
        moderator_client.post(_url(case, "moderation:media_reveal", report.pk)).status_code == 404
    )
    assert not AuditEvent.objects.filter(action="media.revealed").exists()


def _decision_post(**overrides):
    data = {
        "actions": ["remove_content", "suspend_account"],
        "suspend_days": "7",
        "ground": "terms",
        "terms_clause": "Terms §7.2",
        "dsa_category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "dsa_keywords": ["KEYWORD_PHISHING"],
        "facts": "Phishing link sent to @victim and +33 6 12 34 56 78.",
    }
    data.update(overrides)
    return data


def test_decide_through_the_page_writes_decision_statement_and_restriction(
    moderator_client, moderator
):
    case = make_case(category="scams_fraud")
    claims.case_claim(case_id=case.pk, actor=moderator)

    response = moderator_client.post(_url(case, "moderation:case_decide"), _decision_post())

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    statement = Statement.objects.get(decision__case=case)
    assert statement.payload["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert "@victim" not in statement.payload["decision_facts"]
    assert "12 34 56" not in statement.payload["decision_facts"]
    assert case.subject.author.restrictions.get().kind == "suspended"


def test_deciding_with_htmx_sends_the_browser_to_the_queue_instead_of_swapping_it_in(
    moderator_client, moderator
):
    case = make_case(category="scams_fraud")
    claims.case_claim(case_id=case.pk, actor=moderator)

    response = moderator_client.post(
        _url(case, "moderation:case_decide"), _decision_post(), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("moderation:home")
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED


@pytest.mark.parametrize(
    "overrides",
    [
        {"actions": []},
        {"actions": ["no_violation", "label"]},
        {"actions": ["bogus"]},
        {"actions": ["suspend_account"], "suspend_days": ""},
        {"actions": ["geo_restrict"], "countries": ["US"]},
        {"ground": ""},
        {"facts": ""},
        {"dsa_category": "STATEMENT_CATEGORY_NOPE"},
        {"facts": "x" * 6000},
    ],
)
def test_bad_decisions_are_refused_with_messages_and_write_nothing(
    moderator_client, moderator, overrides
):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)

    response = moderator_client.post(
        _url(case, "moderation:case_decide"),
        _decision_post(**overrides),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Decision.objects.exists()
    case.refresh_from_db()
    assert case.status == Case.Status.CLAIMED


def test_submit_and_next_claims_the_next_case(moderator_client, moderator):
    case, after = make_case(category="weapons"), make_case(category="spam")
    claims.case_claim(case_id=case.pk, actor=moderator)

    response = moderator_client.post(
        _url(case, "moderation:case_decide"), {**_decision_post(), "next": "1"}
    )

    assert response["Location"] == _url(after)
    after.refresh_from_db()
    assert after.claimed_by == moderator


def test_deciding_someone_elses_case_is_refused(client_for, make_user, moderator):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    intruder = client_for(make_user(Role.MODERATOR))

    response = intruder.post(_url(case, "moderation:case_decide"), _decision_post())

    assert response.status_code == 200
    assert "Claim the case" in response.content.decode()
    assert not Decision.objects.exists()


def test_escalate_to_legal_makes_the_case_visible_to_legal_staff(
    moderator_client, moderator, make_user, client_for
):
    case = make_case(category="illegal_drugs")
    hidden = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    legal = client_for(make_user(Role.LEGAL_OFFICER))
    assert legal.get(_url(case)).status_code == 404

    response = moderator_client.post(
        _url(case, "moderation:case_escalate"), {"to": "legal", "note": "dealer"}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.escalation) == (Case.Status.LEGAL, "legal")
    assert AuditEvent.objects.filter(action="case.escalated", data={"to": "legal"}).exists()
    listing = legal.get(reverse("moderation:legal_escalations"))
    assert listing.status_code == 200
    assert [c.pk for c in listing.context["cases"]] == [case.pk]
    assert legal.get(_url(case)).status_code == 200
    assert legal.get(_url(hidden)).status_code == 404


def test_escalation_needs_a_reason(moderator_client, moderator):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)

    moderator_client.post(_url(case, "moderation:case_escalate"), {"to": "senior", "note": "  "})

    case.refresh_from_db()
    assert case.status == Case.Status.CLAIMED


def test_auditors_and_legal_cannot_act_on_cases(make_user, client_for):
    case = make_case()
    for role in (Role.AUDITOR, Role.LEGAL_OFFICER):
        client = client_for(make_user(role))
        assert client.post(_url(case, "moderation:case_claim")).status_code == 403
        assert (
            client.post(_url(case, "moderation:case_decide"), _decision_post()).status_code == 403
        )
    assert client_for(make_user(Role.AUDITOR)).get(_url(case)).status_code == 403


def test_resolved_case_shows_its_statement_and_deliveries(moderator_client, moderator):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())

    body = moderator_client.get(_url(case)).content.decode()

    assert "Statement of reasons" in body
    assert "Statement of reasons to the affected user" in body  # the delivery kind's label
    # Internal keys stay out of the page: the delivery is told by kind, status and time.
    assert "enforce-" not in body
    assert "Queued" in body


def test_the_timeline_reads_as_labels_not_event_codes(moderator_client, moderator):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())

    page = moderator_client.get(_url(case)).content.decode()
    timeline = page[page.index('<ol class="timeline">') :]
    timeline = timeline[: timeline.index("</ol>")]

    assert ">Case claimed</span>" in timeline
    assert ">Case decided</span>" in timeline
    assert '<span title="case.decided">' in timeline  # the code stays one hover away
    assert "<code>" not in timeline


def test_legal_staff_see_a_case_cited_by_a_legal_request(make_user, client_for):
    from tests.disclosures.factories import make_request

    legal_user = make_user(Role.LEGAL_OFFICER)
    case = make_case()
    client = client_for(legal_user)
    assert client.get(_url(case)).status_code == 404

    make_request(created_by=legal_user).linked_cases.add(case)

    assert client.get(_url(case)).status_code == 200

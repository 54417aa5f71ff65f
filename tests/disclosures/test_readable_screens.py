"""
The legal screens a person reads (issue 17): the approval screen's readable scope, the
checklist recorded several checks at a time, "next request waiting for me", human labels
instead of internal codes, and the intake form's target rows.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from disclosures import checklist
from disclosures.forms import RequestForm
from disclosures.models import Approval, LegalRequest, RequestTarget, VerificationCheck
from disclosures.selectors import review as selectors
from disclosures.selectors.queues import next_request_for
from disclosures.selectors.readable import deadline_rule_label
from tests.disclosures.factories import make_account, make_request
from tests.disclosures.helpers import (
    approve,
    escalated_case,
    form_data,
    nothing_written,
    pass_checks,
    reviewable_request,
    snapshot,
    submitted_request,
    upload,
    with_records,
)

pytestmark = pytest.mark.django_db

Status = LegalRequest.Status
PASSED = VerificationCheck.Result.PASSED
NA = VerificationCheck.Result.NOT_APPLICABLE

# Codes a person must never read on these pages (attributes and the raw JSON aside).
INTERNAL_CODES = [
    "EPOC_ART10_3_10D",
    "EPOC_ART10_4_8H",
    "SLA_",
    "STATEMENT_CATEGORY_",
    "ip_addresses",
    "phone_number",
    "pending_approval",
    "illegal_drugs",
    "e_codex",
    "ecodex",
]


def url(name: str, legal_request: LegalRequest) -> str:
    return reverse(f"disclosures:{name}", args=[legal_request.pk])


def visible_text(html: str) -> str:
    """What a person reads: the raw-scope disclosure, tags and attributes removed."""
    html = re.sub(r'<details class="scope-raw">.*?</details>', "", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def checks_post(legal_request: LegalRequest, entries: dict[str, tuple[str, str]], **extra):
    data: dict[str, object] = {"checks-version": legal_request.version}
    for code, (result, evidence) in entries.items():
        data[f"checks-{code}-result"] = result
        data[f"checks-{code}-evidence"] = evidence
    data.update(extra)
    return data


def progress_text(body: str) -> str:
    match = re.search(r"(\d+) of (\d+) mandatory checks passed", body)
    assert match, "no progress count on the page"
    return match.group(0)


# --- The approval screen -----------------------------------------------------------------------


def test_approval_screen_summarises_the_scope_a_person_can_read(legal, approver_client):
    request, scope = submitted_request(registrar=legal)
    data = selectors.scope_data(scope)
    summary = selectors.act_summary(request, facts=selectors.request_facts(request), scope=scope)

    response = approver_client.get(url("request_review", request))

    assert response.status_code == 200
    body = response.content.decode()
    summary_html = body[body.index('<dl class="facts scope-summary">') :]
    assert request.authority.name in summary_html
    assert "e-CODEX" in summary_html or request.get_channel_display() in summary_html
    assert request.get_instrument_display() in summary_html
    assert request.legal_basis in summary_html
    assert "IP addresses, Phone number" in summary_html
    assert "2026-10-01 00:00" in summary_html
    assert "2026-11-01 00:00" in summary_html
    for target in summary.targets:
        row = re.search(rf'<tr data-account="{target.platform_id}">.*?</tr>', body, flags=re.S)
        assert row, target.platform_id
        assert target.cases, "the factory links a violation case to each target"
        for case in target.cases:
            assert reverse("moderation:case", args=[case]) in row.group(0)
        for phrase in target.counts:
            assert phrase in row.group(0)
    assert sorted(data["accounts"]) == sorted(t.platform_id for t in summary.targets)
    # The order document and the checklist sit beside the summary.
    assert 'class="scope-document"' in body
    assert 'href="#checklist"' in body
    # The decision comes at the end of the screen: after the scope and the checklist.
    assert body.index('id="scope-panel"') < body.index('id="checklist"')
    assert body.index('id="checklist"') < body.index('class="vote-form"')


def test_approval_screen_keeps_the_json_and_its_hash_one_click_away(legal, approver_client):
    request, scope = submitted_request(registrar=legal)
    body = approver_client.get(url("request_review", request)).content.decode()
    raw = re.search(r'<details class="scope-raw">(.*?)</details>', body, flags=re.S)
    assert raw, "the canonical scope is behind a details element"
    assert scope.scope_hash in raw.group(1)
    assert "&quot;accounts&quot;" in raw.group(1)  # the JSON, escaped, as frozen
    assert "ip_addresses" in raw.group(1)


@pytest.mark.parametrize("emergency", [False, True])
def test_review_screens_show_no_internal_codes(legal, second_legal, approver_client, emergency):
    request, _ = submitted_request(
        registrar=legal, second=second_legal if emergency else None, emergency=emergency
    )
    pages = [
        approver_client.get(url("request_review", request)),
        approver_client.get(url("request", request)),
        approver_client.get(reverse("disclosures:approvals")),
    ]
    for response in pages:
        assert response.status_code == 200
        text = visible_text(response.content.decode())
        for code in [*INTERNAL_CODES, request.deadline_rule]:
            assert code not in text, (code, response.request["PATH_INFO"])
        assert f"version {request.version}" not in text


def test_review_page_with_a_frozen_scope_keeps_its_query_count(
    legal, approver_client, django_assert_num_queries, django_assert_max_num_queries
):
    request, _ = submitted_request(registrar=legal)
    with django_assert_max_num_queries(70) as small:
        approver_client.get(url("request_review", request))
    pass_checks(request, legal)  # more rows of history on every item
    pass_checks(request, legal)
    with django_assert_num_queries(len(small.captured_queries)):
        approver_client.get(url("request_review", request))


# --- The checklist: several checks in one form ----------------------------------------------


def test_several_checks_in_one_post_are_all_recorded_and_audited(legal, legal_client):
    request = reviewable_request(by=legal)
    contact = request.authority.contacts.get()
    version, events = request.version, AuditEvent.objects.filter(action="check.recorded").count()

    response = legal_client.post(
        url("request_check", request),
        checks_post(
            request,
            {
                "A3": (PASSED, "Clerk confirmed"),
                "B1": (PASSED, "Judge"),
                "B2": (PASSED, "Art. 5"),
            },
            **{"checks-contact": contact.pk},
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == url("request_review", request) + "#checklist"
    rows = {c.code: c for c in VerificationCheck.objects.filter(request=request)}
    assert set(rows) == {"A3", "B1", "B2"}
    assert all(c.performed_by == legal and c.result == PASSED for c in rows.values())
    assert f"#{contact.pk}" in rows["A3"].evidence
    request.refresh_from_db()
    assert request.version == version + 3
    recorded = AuditEvent.objects.filter(action="check.recorded").order_by("id")
    assert recorded.count() == events + 3
    assert [e.data["code"] for e in recorded][-3:] == ["A3", "B1", "B2"]


def test_progress_count_follows_what_is_recorded(legal, legal_client):
    request = reviewable_request(by=legal)
    rows = selectors.checklist_rows(request)
    total = sum(1 for r in rows if r.mandatory)
    done = sum(1 for r in rows if r.mandatory and r.satisfied)
    assert total == len(checklist.mandatory_codes(emergency=False))
    body = legal_client.get(url("request_review", request)).content.decode()
    assert progress_text(body) == f"{done} of {total} mandatory checks passed"
    assert f'<progress value="{done}" max="{total}"' in body

    legal_client.post(
        url("request_check", request),
        checks_post(request, {"B1": (PASSED, "ok"), "B2": (PASSED, "ok"), "B7": (PASSED, "ok")}),
    )

    body = legal_client.get(url("request_review", request)).content.decode()
    assert progress_text(body) == f"{done + 3} of {total} mandatory checks passed"


def test_htmx_checks_swap_the_checklist_and_refresh_every_versioned_form(legal, legal_client):
    request = reviewable_request(by=legal)
    response = legal_client.post(
        url("request_check", request),
        checks_post(request, {"B1": (PASSED, "ok"), "B5": (PASSED, "ok"), "B10": (PASSED, "ok")}),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="checklist">')
    assert "3 checks recorded." in body
    assert VerificationCheck.objects.filter(request=request).count() == 3
    request.refresh_from_db()
    # Every form the page still shows carries the new version: the next submit is not stale.
    assert '<section class="card" id="scope-panel" hx-swap-oob="true">' in body
    assert '<section class="card" id="actions-panel" hx-swap-oob="true">' in body
    versions = set(re.findall(r'name="[a-z]+-version" value="(\d+)"', body))
    assert versions == {str(request.version)}
    assert f'name="submit-version" value="{request.version}"' in body


def test_htmx_check_errors_swap_only_the_checklist(legal, legal_client):
    request = reviewable_request(by=legal)
    response = legal_client.post(
        url("request_check", request),
        checks_post(request, {"B7": (NA, "-")}),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="checklist">')
    assert "cannot be N/A" in body
    assert 'id="scope-panel"' not in body


BAD_FORMS = {
    "mandatory_marked_na": ({"B1": (PASSED, "ok"), "B7": (NA, "-")}, {}, "cannot be N/A"),
    "callback_without_contact": (
        {"B1": (PASSED, "ok"), "A3": (PASSED, "called")},
        {},
        "Name the registry contact",
    ),
    "result_without_evidence": ({"B1": (PASSED, "ok"), "B2": (PASSED, "")}, {}, "Say what"),
    "evidence_without_result": ({"B1": (PASSED, "ok"), "B2": ("", "x")}, {}, "Choose the result"),
    "unknown_result": ({"B1": (PASSED, "ok"), "B2": ("maybe", "x")}, {}, "Select a valid choice"),
    "second_level_with_first_level": (
        {"A1": (PASSED, "ok"), "A6": (PASSED, "ok")},
        {},
        "second-level verification",
    ),
    "nothing_chosen": ({}, {}, "at least one check"),
    "stale_version": ({"B1": (PASSED, "ok")}, {"checks-version": 1}, "changed since"),
}


@pytest.mark.parametrize(("entries", "extra", "message"), BAD_FORMS.values(), ids=BAD_FORMS.keys())
def test_a_bad_item_refuses_the_whole_form_and_writes_nothing(
    legal, legal_client, entries, extra, message
):
    request = reviewable_request(by=legal)
    if "checks-version" in extra:
        request.version += 2  # someone else changed it since the page was loaded
        request.save(update_fields=["version"])
    before = snapshot(request)

    response = legal_client.post(
        url("request_check", request), checks_post(request, entries, **extra)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(request) == before
    assert not VerificationCheck.objects.filter(request=request).exists()


def test_a_check_the_service_refuses_midway_rolls_back_the_whole_form(legal, legal_client):
    # The form cannot know that B6 fails on this request's categories; the service refuses it
    # after B1 was written, and B1 is rolled back with it: all or nothing, the page says why.
    request = reviewable_request(by=legal, data_requested=["ip_addresses", "emails"])
    before = snapshot(request)
    response = legal_client.post(
        url("request_check", request),
        checks_post(request, {"B1": (PASSED, "ok"), "B6": (PASSED, "ok"), "B7": (PASSED, "ok")}),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Only IP addresses and phone numbers" in body
    assert not VerificationCheck.objects.filter(request=request).exists()
    assert snapshot(request) == before
    request.refresh_from_db()
    assert f'name="checks-version" value="{request.version}"' in body


def test_the_checks_form_is_refused_to_approvers_with_an_audit_event(legal, approver_client):
    request = reviewable_request(by=legal)
    denied = AuditEvent.objects.filter(action="authz.denied").count()
    response = approver_client.post(
        url("request_check", request), checks_post(request, {"B1": (PASSED, "ok")})
    )
    assert response.status_code == 403
    assert not VerificationCheck.objects.filter(request=request).exists()
    assert AuditEvent.objects.filter(action="authz.denied").count() == denied + 1


# --- "Next request waiting for me" ---------------------------------------------------------------


def _pending(legal, *, prepared_by, hours: int, created_by=None):
    request = with_records(
        make_request(
            created_by=created_by or legal,
            status=Status.PENDING_APPROVAL,
            deadline_at=timezone.now() + timedelta(hours=hours),
        )
    )
    approve(request, prepared_by=prepared_by, approvers=[])
    return request


def test_next_for_an_approver_is_the_soonest_they_may_vote_on_never_their_own(
    legal, make_user, client_for
):
    both = make_user(Role.LEGAL_OFFICER, Role.LEGAL_APPROVER, username="bea")
    own = _pending(legal, prepared_by=both, hours=1)  # soonest, but prepared by them
    registered = _pending(legal, prepared_by=legal, hours=2, created_by=both)
    voted = _pending(legal, prepared_by=legal, hours=3)
    Approval.objects.create(
        request=voted,
        scope=selectors.live_scope(voted),
        scope_hash=selectors.live_scope(voted).scope_hash,
        approver=both,
        decision=Approval.Decision.APPROVED,
    )
    first = _pending(legal, prepared_by=legal, hours=4)
    second = _pending(legal, prepared_by=legal, hours=5)
    make_request(created_by=legal, status=Status.CLOSED)  # nothing to do there
    client = client_for(both)

    response = client.get(reverse("disclosures:request_next"))
    assert response.status_code == 302
    assert response["Location"] == url("request_review", first)

    response = client.get(reverse("disclosures:request_next") + f"?after={first.pk}")
    assert response["Location"] == url("request_review", second)
    assert next_request_for(user=both, after_id=second.pk) not in (own, registered, voted)


def test_next_for_a_legal_officer_is_the_soonest_request_in_review(legal, legal_client):
    later = make_request(created_by=legal, status=Status.IN_REVIEW)
    sooner = make_request(
        created_by=legal, status=Status.RECEIVED, deadline_at=timezone.now() + timedelta(hours=1)
    )
    make_request(
        created_by=legal,
        status=Status.CLARIFICATION,  # waits for the authority
        deadline_at=timezone.now() - timedelta(hours=1),
    )
    response = legal_client.get(reverse("disclosures:request_next"))
    assert response["Location"] == url("request_review", sooner)
    response = legal_client.get(reverse("disclosures:request_next") + f"?after={sooner.pk}")
    assert response["Location"] == url("request_review", later)


@pytest.mark.parametrize("after", ["", "abc", "٣", "9" * 40, "-1"])
def test_next_with_nothing_waiting_says_so(approver_client, after):
    response = approver_client.get(reverse("disclosures:request_next") + f"?after={after}")
    assert response.status_code == 302
    assert response["Location"] == reverse("disclosures:approvals")
    page = approver_client.get(response["Location"]).content.decode()
    assert "Nothing else is waiting for you." in page


def test_next_costs_the_same_queries_whatever_the_queue(
    legal, approver, django_assert_num_queries, django_assert_max_num_queries
):
    _pending(legal, prepared_by=legal, hours=1)
    first = type(approver).objects.get(pk=approver.pk)
    with django_assert_max_num_queries(4) as small:  # the role look-ups, then one query
        assert next_request_for(user=first) is not None
    for hours in range(2, 8):
        _pending(legal, prepared_by=legal, hours=hours)
    fresh = type(approver).objects.get(pk=approver.pk)  # no cached permissions, as a new request
    with django_assert_num_queries(len(small.captured_queries)):
        assert next_request_for(user=fresh) is not None


def test_next_link_is_on_every_request_page_and_the_queue(legal, approver_client):
    request, _ = submitted_request(registrar=legal)
    link = reverse("disclosures:request_next")
    for page in (url("request_review", request), url("request", request)):
        assert f"{link}?after={request.pk}" in approver_client.get(page).content.decode()
    assert link in approver_client.get(reverse("disclosures:approvals")).content.decode()


# --- Human labels -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("EPOC_ART10_3_10D", "10 days"),
        ("EPOC_ART10_4_8H", "8 hours"),
        ("EMERGENCY_8H", "Emergency: 8 hours"),
        ("SLA_US_SUBPOENA_240H", "US subpoena: 10 days"),
        ("SLA_OTHER_36H", "Other: 36 hours"),
        ("SOMETHING_NEW", "Deadline set by"),
    ],
)
def test_deadline_rules_read_as_words(rule, words):
    label = deadline_rule_label(rule)
    assert words in label
    assert rule not in label


def test_overdue_never_shows_on_a_closed_request(legal, legal_client):
    past = timezone.now() - timedelta(days=3)
    closed = make_request(created_by=legal, status=Status.CLOSED, deadline_at=past)
    open_late = make_request(created_by=legal, status=Status.IN_REVIEW, deadline_at=past)
    for page in ("request", "request_review"):
        assert "overdue" not in visible_text(legal_client.get(url(page, closed)).content.decode())
        assert "overdue" in visible_text(legal_client.get(url(page, open_late)).content.decode())


# --- Intake: targets as rows, required fields, the document after an error ----------------------


def rows_data(valid, rows: list[tuple[str, str]], **overrides):
    data = form_data(valid, **overrides)
    del data["targets"]
    data["targets-kind"] = [k for k, _ in rows]
    data["targets-value"] = [v for _, v in rows]
    return data


def test_intake_rows_are_accepted_and_converted(legal_client, valid, suspect):
    other = make_account()
    case = escalated_case(other)
    rows = [
        ("account_id", suspect.platform_id),
        ("", ""),
        ("username", f"@{other.username}"),
        ("", ""),
    ]
    cases = ", ".join(str(n) for n in (*valid.case_ids, case.pk))
    response = legal_client.post(
        reverse("disclosures:request_new"), rows_data(valid, rows, case_ids=cases)
    )
    assert response.status_code == 302, re.findall(
        r'class="field-errors"[^>]*>(.*?)</div>', response.content.decode(), flags=re.S
    )
    request = LegalRequest.objects.get()
    targets = {(t.kind, t.account_id) for t in RequestTarget.objects.filter(request=request)}
    assert targets == {("account_id", suspect.pk), ("username", other.pk)}


def test_intake_form_converts_rows_into_the_service_lines(valid, authority):
    data = QueryDict(mutable=True)
    for key, value in rows_data(
        valid, [("account_id", "a-1"), ("", ""), ("phone", "+33 6 12 34 56 78")]
    ).items():
        data.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    form = RequestForm(data)
    assert form.is_valid(), form.errors
    assert form.to_input().targets == ("account_id:a-1", "", "phone:+33 6 12 34 56 78")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("account_id", "ok-1"), ("username", "has spaces")], "Row 2: Not a username."),
        ([("", "someone")], "Row 1: choose whether it is an account id"),
        ([("account_id", "ok-1"), ("", ""), ("phone", "")], "Row 3: enter the account id"),
        ([("phone", "12")], "Row 1: Not a"),
        ([("email", "x@example.org")], "Row 1: choose whether"),
        ([("", ""), ("", "")], "Name at least one target"),
    ],
)
def test_a_bad_target_row_is_named_and_nothing_is_written(
    legal_client, valid, private_storage, rows, message
):
    response = legal_client.post(reverse("disclosures:request_new"), rows_data(valid, rows))
    assert response.status_code == 200
    assert message in response.content.decode()
    nothing_written(private_storage)


def test_rows_sent_back_with_an_error_keep_their_values(legal_client, valid):
    rows = [("account_id", "kept-value-1"), ("username", "has spaces")]
    body = legal_client.post(
        reverse("disclosures:request_new"), rows_data(valid, rows)
    ).content.decode()
    assert 'value="kept-value-1"' in body
    assert '<option value="username" selected>' in body


def test_an_error_says_the_document_must_be_chosen_again(legal_client, valid, private_storage):
    response = legal_client.post(
        reverse("disclosures:request_new"),
        form_data(valid, legal_basis="", document=upload(name="ordre-2026.pdf")),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The order document “ordre-2026.pdf” was not kept: choose it again" in body
    nothing_written(private_storage)


def test_an_error_without_a_document_does_not_mention_it(legal_client, valid):
    body = legal_client.post(
        reverse("disclosures:request_new"), form_data(valid, legal_basis="")
    ).content.decode()
    assert "was not kept" not in body


def test_required_fields_are_marked(legal_client, authority):
    body = legal_client.get(reverse("disclosures:request_new")).content.decode()
    label = re.search(r'<label for="id_legal_basis">(.*?)</label>', body, flags=re.S)
    assert label
    assert "(required)" in label.group(1)
    assert re.search(r'<input[^>]*name="legal_basis"[^>]*aria-required="true"', body)
    optional = re.search(r'<label for="id_validating_file_number">(.*?)</label>', body, flags=re.S)
    assert optional
    assert "(required)" not in optional.group(1)
    assert re.search(r'<fieldset class="field target-rows[^"]*" aria-required="true"', body)
    assert body.count('name="targets-kind"') >= 5
    assert "account_id:" not in visible_text(body)

from __future__ import annotations

from collections.abc import Iterable

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from moderation.dsa import validate_statement
from moderation.exceptions import (
    BulkJobFinished,
    BulkSelectionRefused,
    InvalidDecision,
    ModerationError,
    NotAllowed,
)
from moderation.models import BulkJob, Case, Category, Decision, ModeratorProfile, Statement
from moderation.selectors.queue import QueueFilters
from moderation.services import bulk, claims
from moderation.tasks import run_bulk_job
from tests.moderation.factories import make_case, violation
from tests.utils import race, race_outcomes, requires_postgres

pytestmark = pytest.mark.django_db

NEW = reverse("moderation:bulk_new")
HTMX = {"HX-Request": "true"}


def _events(action: str, case: Case | None = None) -> Iterable[AuditEvent]:
    events = AuditEvent.objects.filter(action=action)
    if case is not None:
        events = events.filter(target_type="moderation.case", target_id=str(case.pk))
    return events


def _cases(n: int, **overrides) -> list[Case]:
    return [make_case(**overrides) for _ in range(n)]


def _start(actor, *, case_ids=None, filters=None, decision=None, **kwargs) -> BulkJob:
    return bulk.bulk_job_start(
        actor=actor,
        case_ids=case_ids,
        filters=filters,
        decision=decision or violation(),
        **kwargs,
    )


def _decision_post(**selection) -> dict:
    return {
        "actions": ["remove_content"],
        "ground": "terms",
        "terms_clause": "Terms of Service §7.2 (spam)",
        "facts": "The message is unsolicited bulk advertising.",
        "dsa_category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        **selection,
    }


# Starting a job


def test_bulk_job_start_by_ids_orders_by_priority_and_records_event(senior):
    low, high = _cases(2)
    Case.objects.filter(pk=high.pk).update(priority=900)

    job = _start(senior, case_ids=[low.pk, high.pk, low.pk])

    assert job.case_ids == [high.pk, low.pk]
    assert (job.status, job.total, job.done, job.created_by) == ("queued", 2, 0, senior)
    event = _events("bulk.started").get()
    assert event.actor == senior
    # Ids, counts and actions only: the facts (free text) stay out of the trail.
    assert event.data == {
        "job": job.pk,
        "count": 2,
        "actions": ["remove_content"],
        "selection": "cases",
    }


def test_bulk_job_start_by_filter_takes_the_matching_open_cases(senior, moderator):
    spam = _cases(2, category="spam")
    claimed = make_case(category="spam")
    claims.case_claim(case_id=claimed.pk, actor=moderator)
    make_case(category="scams_fraud")
    make_case(category="spam", subject__type="account")
    category = Category.objects.get(code="spam")

    job = _start(
        senior, filters=QueueFilters(categories=(category.pk,), subject_types=("message",))
    )

    assert sorted(job.case_ids) == sorted(c.pk for c in spam)
    assert _events("bulk.started").get().data["selection"] == "filter"


def test_bulk_job_start_refuses_more_ids_than_the_cap(senior, settings):
    settings.BULK_MAX_CASES = 2
    cases = _cases(3)

    with pytest.raises(BulkSelectionRefused, match="3 cases are selected"):
        _start(senior, case_ids=[c.pk for c in cases])

    assert not BulkJob.objects.exists()


def test_bulk_job_start_refuses_a_filter_matching_more_than_the_cap(senior, settings):
    settings.BULK_MAX_CASES = 2
    _cases(4)

    with pytest.raises(BulkSelectionRefused, match="4 cases match this filter"):
        _start(senior, filters=QueueFilters())

    assert not BulkJob.objects.exists()
    assert not _events("bulk.started").exists()


@pytest.mark.parametrize(
    ("case_ids", "filters", "message"),
    [
        ([], None, "Select at least one case"),
        ([999_999], None, "does not exist"),
        (None, None, "Select cases, or all"),
        (None, QueueFilters(status="claimed"), "open cases"),
    ],
)
def test_bulk_job_start_refuses_unusable_selections(senior, case_ids, filters, message):
    make_case()

    with pytest.raises(BulkSelectionRefused, match=message):
        _start(senior, case_ids=case_ids, filters=filters)

    assert not BulkJob.objects.exists()


def test_bulk_job_start_refuses_both_ids_and_filter(senior):
    case = make_case()

    with pytest.raises(BulkSelectionRefused):
        _start(senior, case_ids=[case.pk], filters=QueueFilters())


def test_bulk_job_start_refuses_a_selection_that_changed_since_the_preview(senior):
    _cases(3)

    with pytest.raises(BulkSelectionRefused, match="3 cases now match"):
        _start(senior, filters=QueueFilters(), expected=2)

    assert not BulkJob.objects.exists()


def test_bulk_job_start_by_moderator_is_refused(moderator):
    case = make_case()

    with pytest.raises(NotAllowed):
        _start(moderator, case_ids=[case.pk])

    assert not BulkJob.objects.exists()
    assert not _events("bulk.started").exists()


def test_bulk_job_start_with_invalid_decision_writes_nothing(
    senior, django_capture_on_commit_callbacks
):
    case = make_case()

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(InvalidDecision):
        _start(senior, case_ids=[case.pk], decision=violation(facts=""))

    assert callbacks == []
    assert not BulkJob.objects.exists()
    assert not _events("bulk.started").exists()


# Running a job


def test_bulk_job_decides_every_open_case_on_its_own(senior, django_capture_on_commit_callbacks):
    cases = _cases(3, category="scams_fraud", source="trusted_flagger", flagger_name="SafeNet")

    with django_capture_on_commit_callbacks(execute=True):
        job = _start(senior, case_ids=[c.pk for c in cases])

    job.refresh_from_db()
    assert (job.status, job.done, job.skipped, job.errors) == ("finished", 3, 0, [])
    assert job.finished_at is not None
    for case in cases:
        case.refresh_from_db()
        assert case.status == Case.Status.RESOLVED
        decision = Decision.objects.get(case=case)
        assert (decision.origin, decision.bulk_job, decision.moderator) == ("bulk", job, senior)
        statement = Statement.objects.get(decision=decision)
        assert validate_statement(statement.payload) == []
        event = _events("case.decided", case).get()
        assert event.actor == senior
        assert event.data["decision"] == decision.pk
        assert event.data["bulk_job"] == job.pk
        assert event.data["actions"] == ["remove_content"]
    assert Statement.objects.count() == 3
    finished = _events("bulk.finished").get()
    assert finished.data == {"job": job.pk, "done": 3, "skipped": 0, "errors": 0}


def test_bulk_job_skips_cases_taken_in_the_meantime(
    senior, moderator, django_capture_on_commit_callbacks
):
    free, taken, escalated = _cases(3)

    with django_capture_on_commit_callbacks() as callbacks:
        job = _start(senior, case_ids=[free.pk, taken.pk, escalated.pk])
    claims.case_claim(case_id=taken.pk, actor=moderator)
    claims.case_claim(case_id=escalated.pk, actor=moderator)
    claims.case_escalate(case_id=escalated.pk, actor=moderator, to="senior", note="Unsure.")
    outcome = bulk.bulk_job_begin(job_id=job.pk)
    results = {pk: bulk.bulk_job_apply_one(job_id=job.pk, case_id=pk) for pk in outcome}
    bulk.bulk_job_finish(job_id=job.pk)

    assert results == {
        free.pk: "decided",
        taken.pk: "skipped: claimed by mod",
        escalated.pk: "skipped: escalated",
    }
    job.refresh_from_db()
    assert (job.done, job.skipped) == (1, 2)
    taken.refresh_from_db()
    assert (taken.status, taken.claimed_by) == (Case.Status.CLAIMED, moderator)
    assert not Decision.objects.filter(case__in=[taken, escalated]).exists()
    assert _events("bulk.case_skipped", taken).get().data == {
        "bulk_job": job.pk,
        "status": "claimed",
    }
    assert _events("bulk.finished").get().data["skipped"] == 2
    assert len(callbacks) == 1  # the queued run, not executed here


def test_bulk_job_run_again_decides_nothing_twice(
    senior, moderator, django_capture_on_commit_callbacks
):
    first, second, taken, last = _cases(4)
    with django_capture_on_commit_callbacks():
        job = _start(senior, case_ids=[first.pk, second.pk, taken.pk, last.pk])
    claims.case_claim(case_id=taken.pk, actor=moderator)
    # A worker handled three cases, then died before finishing; the task is delivered again.
    bulk.bulk_job_begin(job_id=job.pk)
    for case in (first, second, taken):
        bulk.bulk_job_apply_one(job_id=job.pk, case_id=case.pk)

    with django_capture_on_commit_callbacks(execute=True):
        run_bulk_job(job_id=job.pk)
        run_bulk_job(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.done, job.skipped, job.errors) == ("finished", 3, 1, [])
    assert Decision.objects.filter(bulk_job=job).count() == 3
    assert _events("case.decided").count() == 3
    assert _events("bulk.case_skipped").count() == 1
    assert _events("bulk.finished").count() == 1
    assert job.percent == 100


def test_bulk_job_error_on_one_case_does_not_stop_the_others(
    senior, monkeypatch, django_capture_on_commit_callbacks
):
    cases = _cases(3)
    broken = cases[1]
    real = bulk.decision_create

    def decide(*, case, **kwargs):
        if case.pk == broken.pk:
            raise RuntimeError("platform account vanished")
        return real(case=case, **kwargs)

    monkeypatch.setattr(bulk, "decision_create", decide)

    with django_capture_on_commit_callbacks(execute=True):
        job = _start(senior, case_ids=[c.pk for c in cases])

    job.refresh_from_db()
    assert (job.status, job.done, job.skipped) == ("finished", 2, 0)
    assert job.errors == [{"case": broken.pk, "error": "RuntimeError: platform account vanished"}]
    broken.refresh_from_db()
    assert broken.status == Case.Status.OPEN  # its transaction was rolled back
    assert not _events("case.decided", broken).exists()
    assert _events("bulk.case_failed", broken).get().data == {
        "bulk_job": job.pk,
        "error": "RuntimeError",
    }
    assert _events("bulk.finished").get().data == {
        "job": job.pk,
        "done": 2,
        "skipped": 0,
        "errors": 1,
    }
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        run_bulk_job(job_id=job.pk)  # a redelivered task: the job has finished
    job.refresh_from_db()
    assert (job.done, len(job.errors)) == (2, 1)
    with pytest.raises(BulkJobFinished):
        bulk.bulk_job_apply_one(job_id=job.pk, case_id=broken.pk)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_bulk_apply_racing_a_claim_lets_exactly_one_win(senior, moderator):
    cases = _cases(4)
    # Created directly: bulk_job_start would run the whole job on commit (eager Celery).
    job = BulkJob.objects.create(
        created_by=senior,
        case_ids=[c.pk for c in cases],
        decision_template=violation().as_template(),
        total=len(cases),
    )
    bulk.bulk_job_begin(job_id=job.pk)
    outcomes: dict[int, tuple[str, str]] = {}
    for case in cases:
        applied, claimed = race(
            lambda case_id=case.pk: bulk.bulk_job_apply_one(job_id=job.pk, case_id=case_id),
            lambda case_id=case.pk: claims.case_claim(case_id=case_id, actor=moderator),
        )
        if isinstance(applied, BaseException):
            raise applied
        (claim,) = race_outcomes([claimed], refusal=ModerationError, ok="claimed")
        outcomes[case.pk] = (applied, claim)

    assert set(outcomes.values()) <= {
        ("decided", "refused"),
        ("skipped: claimed by mod", "claimed"),
    }
    decided = [pk for pk, (b, _c) in outcomes.items() if b == "decided"]
    assert sorted(Decision.objects.filter(bulk_job=job).values_list("case_id", flat=True)) == (
        sorted(decided)
    )
    job.refresh_from_db()
    assert (job.done, job.skipped) == (len(decided), len(cases) - len(decided))


def test_run_bulk_job_through_celery_delay(senior, django_capture_on_commit_callbacks):
    cases = _cases(2)
    with django_capture_on_commit_callbacks():
        job = _start(senior, case_ids=[c.pk for c in cases])

    with django_capture_on_commit_callbacks(execute=True):
        result = run_bulk_job.delay(job_id=job.pk)

    assert result.get() == {"done": 2, "skipped": 0, "errors": 0}
    job.refresh_from_db()
    assert job.status == BulkJob.Status.FINISHED
    assert Decision.objects.filter(bulk_job=job, origin="bulk").count() == 2


# Views


@pytest.mark.parametrize(
    ("name", "args"), [("bulk_new", []), ("bulk_jobs", []), ("bulk_job", ["job"])]
)
def test_bulk_views_are_forbidden_to_moderators(moderator_client, senior, name, args):
    case = make_case()
    job = BulkJob.objects.create(created_by=senior, case_ids=[case.pk], decision_template={})
    url = reverse(f"moderation:{name}", args=[job.pk if a == "job" else a for a in args])

    assert moderator_client.get(url, {"case": case.pk}).status_code == 403


def test_bulk_post_by_moderator_is_forbidden_and_writes_nothing(moderator_client):
    case = make_case()

    response = moderator_client.post(NEW, _decision_post(case=[case.pk]))

    assert response.status_code == 403
    assert not BulkJob.objects.exists()


def test_bulk_preview_by_ids_shows_the_cases_and_the_form(senior_client):
    cases = _cases(2)

    response = senior_client.get(NEW, {"case": [c.pk for c in cases]})

    assert response.status_code == 200
    assert response.context["preview"].count == 2
    assert {c.pk for c in response.context["rows"]} == {c.pk for c in cases}
    body = response.content.decode()
    assert "2 cases selected" in body
    assert f'name="case" value="{cases[0].pk}"' in body
    assert 'name="expected" value="2"' in body


def test_bulk_preview_of_all_matching_carries_the_filter(senior_client):
    spam = _cases(2, category="spam")
    make_case(category="scams_fraud")
    category = Category.objects.get(code="spam")

    response = senior_client.get(NEW, {"all": "1", "category": category.pk, "order": "age"})

    assert response.context["preview"].count == 2
    assert {c.pk for c in response.context["rows"]} == {c.pk for c in spam}
    body = response.content.decode()
    assert 'name="all" value="1"' in body
    assert f'name="category" value="{category.pk}"' in body
    assert "Spam" in body


def test_bulk_preview_of_all_matching_without_parameters_keeps_the_routing(senior_client, senior):
    # The queue without parameters shows the moderator's languages; "all matching" agrees.
    persian = _cases(2, language="fa")
    make_case(language="de")
    ModeratorProfile.objects.create(user=senior, languages=["fa"])

    routed = senior_client.get(NEW, {"all": "1"})
    explicit = senior_client.get(NEW, {"all": "1", "status": "open"})

    assert sorted(routed.context["preview"].case_ids) == sorted(c.pk for c in persian)
    assert ("Languages", "fa") in routed.context["filter_description"]
    assert explicit.context["preview"].count == 3


def test_bulk_preview_shows_at_most_fifty_cases(senior_client, settings):
    settings.BULK_MAX_CASES = 60
    _cases(52)

    response = senior_client.get(NEW, {"all": "1"})

    assert response.context["preview"].count == 52
    assert len(response.context["rows"]) == 50
    assert "and 2 more cases" in response.content.decode()


def test_bulk_preview_over_the_cap_is_refused_with_the_count(senior_client, settings):
    settings.BULK_MAX_CASES = 2
    _cases(3)

    response = senior_client.get(NEW, {"all": "1"})

    assert response.status_code == 200
    assert "3 cases match this filter" in response.content.decode()
    assert response.context["preview"] is None
    assert b'name="expected"' not in response.content


def test_bulk_preview_refuses_an_invalid_filter(senior_client):
    make_case()

    response = senior_client.get(NEW, {"all": "1", "deadline": "someday"})

    assert response.status_code == 200
    assert response.context["preview"] is None
    assert "The queue filter is not valid." in response.content.decode()


def test_bulk_preview_query_count_does_not_grow_with_the_selection(
    senior_client, django_assert_max_num_queries
):
    few = _cases(3)
    senior_client.get(NEW, {"case": [c.pk for c in few]})  # warm the session and permissions
    with django_assert_max_num_queries(50) as small:
        senior_client.get(NEW, {"case": [c.pk for c in few]})
    many = few + _cases(27)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = senior_client.get(NEW, {"case": [c.pk for c in many]})

    assert response.context["preview"].count == 30


def test_bulk_preview_of_all_matching_query_count_does_not_grow(
    senior_client, django_assert_max_num_queries
):
    _cases(3)
    senior_client.get(NEW, {"all": "1"})
    with django_assert_max_num_queries(50) as small:
        senior_client.get(NEW, {"all": "1"})
    _cases(27)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = senior_client.get(NEW, {"all": "1"})

    assert response.context["preview"].count == 30


def test_bulk_post_starts_the_job_and_redirects(senior_client, senior):
    cases = _cases(2)

    response = senior_client.post(NEW, _decision_post(case=[c.pk for c in cases], expected="2"))

    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:bulk_job", args=[job.pk])
    assert (job.created_by, job.total) == (senior, 2)
    assert job.decision_template["actions"] == ["remove_content"]


def test_bulk_post_by_filter_starts_the_job(senior_client):
    spam = _cases(2, category="spam")
    make_case(category="scams_fraud")
    category = Category.objects.get(code="spam")

    response = senior_client.post(NEW, _decision_post(all="1", category=category.pk, expected="2"))

    assert response.status_code == 302
    assert sorted(BulkJob.objects.get().case_ids) == sorted(c.pk for c in spam)


def test_bulk_post_with_htmx_answers_with_hx_redirect(senior_client):
    case = make_case()

    response = senior_client.post(NEW, _decision_post(case=[case.pk]), headers=HTMX)

    job = BulkJob.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("moderation:bulk_job", args=[job.pk])


def test_bulk_post_with_invalid_decision_re_renders_and_writes_nothing(senior_client):
    case = make_case()

    response = senior_client.post(NEW, _decision_post(case=[case.pk], facts=""))

    assert response.status_code == 200
    assert response.context["form"].errors["facts"]
    assert f'name="case" value="{case.pk}"' in response.content.decode()
    assert not BulkJob.objects.exists()
    assert not _events("bulk.started").exists()


def test_bulk_post_when_the_selection_changed_re_renders_with_the_new_count(senior_client):
    _cases(3)

    response = senior_client.post(NEW, _decision_post(all="1", expected="2"), headers=HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert "3 cases now match" in body
    assert 'name="expected" value="3"' in body
    assert "<html" not in body  # only the region, for htmx
    assert not BulkJob.objects.exists()


def test_bulk_post_over_the_cap_re_renders_and_writes_nothing(senior_client, settings):
    settings.BULK_MAX_CASES = 1
    cases = _cases(2)

    response = senior_client.post(NEW, _decision_post(case=[c.pk for c in cases]))

    assert response.status_code == 200
    assert "2 cases are selected" in response.content.decode()
    assert not BulkJob.objects.exists()


def test_bulk_progress_polls_while_running_and_stops_when_finished(
    senior_client, senior, django_capture_on_commit_callbacks
):
    case = make_case()
    with django_capture_on_commit_callbacks():
        job = _start(senior, case_ids=[case.pk])
    url = reverse("moderation:bulk_job", args=[job.pk])

    queued = senior_client.get(url, headers=HTMX)
    bulk.bulk_job_begin(job_id=job.pk)
    running = senior_client.get(url, headers=HTMX)
    with django_capture_on_commit_callbacks(execute=True):
        run_bulk_job(job_id=job.pk)
    finished = senior_client.get(url, headers=HTMX)

    for response in (queued, running):
        body = response.content.decode()
        assert 'hx-trigger="every 1s"' in body
        assert f'hx-get="{url}"' in body
        assert "<html" not in body
    body = finished.content.decode()
    assert "hx-trigger" not in body
    assert "1 of 1 cases handled" in body
    assert '<progress max="1" value="1">' in body
    assert "HX-Request" in finished["Vary"]


def test_bulk_job_page_of_another_senior_lists_the_decided_cases(
    make_user, client_for, senior, django_capture_on_commit_callbacks
):
    from accounts.roles import Role

    cases = _cases(2)
    with django_capture_on_commit_callbacks(execute=True):
        job = _start(senior, case_ids=[c.pk for c in cases])
    other = client_for(make_user(Role.SENIOR_MODERATOR))

    response = other.get(reverse("moderation:bulk_job", args=[job.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body
    assert "2 of 2 cases handled" in body
    assert f'href="{reverse("moderation:case", args=[cases[0].pk])}"' in body
    assert [case_id for case_id, _ in response.context["outcomes"].decided] == job.case_ids


def test_bulk_job_page_of_a_missing_job_is_not_found(senior_client):
    assert senior_client.get(reverse("moderation:bulk_job", args=[999_999])).status_code == 404


def test_bulk_jobs_list_query_count_does_not_grow(
    senior_client, senior, django_assert_max_num_queries
):
    case = make_case()

    def add_jobs(n: int) -> None:
        for _ in range(n):
            BulkJob.objects.create(
                created_by=senior, case_ids=[case.pk], decision_template={}, total=1
            )

    add_jobs(2)
    senior_client.get(reverse("moderation:bulk_jobs"))
    with django_assert_max_num_queries(50) as small:
        senior_client.get(reverse("moderation:bulk_jobs"))
    add_jobs(20)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = senior_client.get(reverse("moderation:bulk_jobs"))

    assert len(response.context["jobs"]) == 22

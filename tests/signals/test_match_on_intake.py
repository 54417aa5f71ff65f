"""Reports matched against the hash banks after intake: signals, priority, re-runs, the relay."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from moderation.models import Case, CaseSignal, Decision, Report
from moderation.services import claims, decisions
from moderation.services.intake import reports_ingest
from moderation.services.media import media_ingest
from outbox import relay
from signals import matching, receivers
from signals.matcher_service import cursor_match, reports_match
from signals.models import BankedHash, HashBank, MatchCursor
from tests.moderation.factories import make_case, report_input, violation
from tests.signals.helpers import bank, banked, picture, png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"


@pytest.fixture(autouse=True)
def fresh_index():
    matching.index_reset()
    yield
    matching.index_reset()


def _hash_signals(case_id: int) -> list[CaseSignal]:
    return list(CaseSignal.objects.filter(case_id=case_id, kind="hash_match").order_by("pk"))


def test_intake_adds_a_hash_match_naming_the_bank_and_raises_priority(
    django_capture_on_commit_callbacks,
):
    original = media_ingest(data=png(picture(1))).media
    copy = media_ingest(data=png(picture(1, mark=12))).media
    row = banked(bank(), "pdq", original.pdq)
    item = report_input(subject__media_sha256=copy.sha256)

    with django_capture_on_commit_callbacks() as callbacks:
        result = reports_ingest(items=[item])
    case_id = result.case_ids[item.external_id]
    before = Case.objects.get(pk=case_id).priority
    assert _hash_signals(case_id) == []
    for callback in callbacks:  # what runs after commit: the task, eager in tests
        callback()

    [signal] = _hash_signals(case_id)
    distance = matching.pdq_distance(original.pdq, copy.pdq)
    assert (signal.name, signal.label, signal.matched_hash) == ("KNOWN_SPAM", "Spam", row.value)
    assert signal.score == round(100 * (1 - distance / 256))
    assert signal.details["bank"] == "KNOWN_SPAM"
    assert (signal.details["signal_type"], signal.details["distance"]) == ("pdq", distance)
    assert signal.report_id == result.report_ids[item.external_id]
    assert Case.objects.get(pk=case_id).priority > before
    assert AuditEvent.objects.filter(action="signals.bank_matched", target_id=str(case_id)).exists()


def test_rerunning_the_match_adds_nothing(django_capture_on_commit_callbacks):
    media = media_ingest(data=png(picture(1))).media
    spam = bank()
    banked(spam, "sha256", media.sha256)
    banked(spam, "pdq", media.pdq)
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(subject__media_sha256=media.sha256)
    report_ids = list(Report.objects.filter(case=case).values_list("pk", flat=True))
    assert len(_hash_signals(case.pk)) == 2
    events = AuditEvent.objects.filter(action="signals.bank_matched").count()

    assert reports_match(report_ids=report_ids) == 0
    assert cursor_match(now=timezone.now() + timedelta(minutes=5)) == 0

    assert len(_hash_signals(case.pk)) == 2
    assert AuditEvent.objects.filter(action="signals.bank_matched").count() == events


def test_exact_match_scores_100_and_no_bank_no_signal(django_capture_on_commit_callbacks):
    media = media_ingest(data=png(picture(1))).media
    unrelated = media_ingest(data=png(picture(2))).media
    banked(bank(category=None), "md5", media.md5)

    with django_capture_on_commit_callbacks(execute=True):
        matched = make_case(subject__media_sha256=media.sha256)
        other = make_case(subject__media_sha256=unrelated.sha256)

    [signal] = _hash_signals(matched.pk)
    assert (signal.score, signal.label, signal.details["distance"]) == (100, "known media", 0)
    assert _hash_signals(other.pk) == []


def test_media_arriving_after_its_report_is_matched(django_capture_on_commit_callbacks):
    data = png(picture(1))
    sha256 = hashlib.sha256(data).hexdigest()
    banked(bank(), "sha256", sha256)
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(subject__media_sha256=sha256)
    assert _hash_signals(case.pk) == []  # nothing to match yet

    with django_capture_on_commit_callbacks(execute=True):
        media_ingest(data=data)

    [signal] = _hash_signals(case.pk)
    assert signal.matched_hash == sha256


def test_a_lost_publish_is_made_good_by_the_relay(monkeypatch, django_capture_on_commit_callbacks):
    assert "signals.matching" in relay.registered()
    media = media_ingest(data=png(picture(1))).media
    banked(bank(), "sha256", media.sha256)
    monkeypatch.setattr(receivers, "publish", lambda task, **kwargs: False)  # broker down
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(subject__media_sha256=media.sha256)
        plain = make_case()
    assert _hash_signals(case.pk) == []

    assert relay.relay_all(now=timezone.now())["signals.matching"] == 0  # within the grace
    handed = relay.relay_all(now=timezone.now() + timedelta(minutes=2))

    assert handed["signals.matching"] == 1
    assert len(_hash_signals(case.pk)) == 1
    assert MatchCursor.objects.get(name="reports").last_report_id == max(
        Report.objects.filter(case__in=[case, plain]).values_list("pk", flat=True)
    )


def test_the_cursor_moves_in_bounded_batches(django_capture_on_commit_callbacks):
    media = media_ingest(data=png(picture(1))).media
    banked(bank(), "sha256", media.sha256)
    # Without on_commit callbacks no task runs: only the cursor can match these.
    cases = [make_case(subject__media_sha256=media.sha256) for _ in range(3)]
    later = timezone.now() + timedelta(minutes=2)

    assert cursor_match(now=later, batch=2) == 2
    assert [len(_hash_signals(c.pk)) for c in cases] == [1, 1, 0]
    assert cursor_match(now=later, batch=2) == 1
    assert cursor_match(now=later, batch=2) == 0
    assert [len(_hash_signals(c.pk)) for c in cases] == [1, 1, 1]


def test_disabled_hash_added_after_the_index_was_built_is_not_matched(
    django_capture_on_commit_callbacks,
):
    media = media_ingest(data=png(picture(1))).media
    row = banked(bank(), "pdq", media.pdq)
    assert matching.match_media(media)  # index built with the hash
    BankedHash.objects.filter(pk=row.pk).update(disabled_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(subject__media_sha256=media.sha256)

    assert _hash_signals(case.pk) == []


def test_case_page_shows_the_bank_distance_and_the_decision_it_matches(
    client_for, make_user, moderator, django_capture_on_commit_callbacks
):
    decided = make_case()
    claims.case_claim(case_id=decided.pk, actor=moderator)
    decision = decisions.case_decide(case_id=decided.pk, actor=moderator, decision=violation())
    media = media_ingest(data=png(picture(1))).media
    banked(bank(), "sha256", media.sha256, source_decision=decision)
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(subject__media_sha256=media.sha256)
    case_url = reverse("moderation:case", args=[case.pk])
    decided_url = reverse("moderation:case", args=[decided.pk])

    body = client_for(moderator).get(case_url).content.decode()

    assert "Bank KNOWN_SPAM · sha256 · distance 0" in body
    assert f'<a href="{decided_url}">matches decision #{decision.pk}</a>' in body
    assert Decision.objects.get(pk=decision.pk).case_id == decided.pk


def test_disabled_bank_after_intake_keeps_the_signal_but_stops_new_matches(
    django_capture_on_commit_callbacks,
):
    media = media_ingest(data=png(picture(1))).media
    spam = bank()
    banked(spam, "sha256", media.sha256)
    with django_capture_on_commit_callbacks(execute=True):
        first = make_case(subject__media_sha256=media.sha256)
    HashBank.objects.filter(pk=spam.pk).update(enabled=False)

    with django_capture_on_commit_callbacks(execute=True):
        second = make_case(subject__media_sha256=media.sha256)

    assert len(_hash_signals(first.pk)) == 1
    assert _hash_signals(second.pk) == []

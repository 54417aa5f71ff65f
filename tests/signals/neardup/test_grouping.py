"""Near-copies across chats gather in groups: texts, images, merging, re-runs, the relay."""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from moderation.models import Report, Reporter
from moderation.services.intake import reports_ingest
from moderation.services.media import media_ingest
from moderation.services.reporters import reporter_mute
from outbox import relay
from signals.matching import pdq_distance
from signals.models import DuplicateGroup, DuplicateMember, MatchCursor, TextBand, TextSignature
from signals.neardup import images, receivers
from signals.neardup.services import cursor_group, media_group, reports_group
from signals.neardup.text import normalise, signatures
from tests.moderation.factories import report_input
from tests.signals.helpers import ingest, picture, png
from tests.signals.neardup.helpers import AIRDROP, AIRDROP_COPIES, UNRELATED, report_ids, text_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_index():
    images.index_reset()
    yield
    images.index_reset()


def _group_of(case) -> DuplicateGroup | None:
    member = DuplicateMember.objects.filter(case=case).select_related("group").first()
    return member.group if member else None


# Texts


def test_near_copies_across_chats_form_one_group():
    cases = [text_case(t) for t in AIRDROP_COPIES]

    joined = reports_group(report_ids=report_ids(*cases))

    assert joined == 4
    group = DuplicateGroup.objects.get()
    assert (group.kind, group.size, group.merged_into) == ("text", 4, None)
    members = DuplicateMember.objects.filter(group=group)
    assert {m.case_id for m in members} == {c.pk for c in cases}
    assert all(0.7 <= m.similarity <= 1.0 for m in members)
    assert group.exemplar.startswith(("Congratulations", "Hi friend"))
    event = AuditEvent.objects.get(action="neardup.group_formed")
    assert event.data["kind"] == "text"


def test_copies_arriving_later_join_the_existing_group():
    first = [text_case(t) for t in AIRDROP_COPIES[:2]]
    reports_group(report_ids=report_ids(*first))
    later = text_case(AIRDROP_COPIES[3])

    assert reports_group(report_ids=report_ids(later)) == 1

    group = DuplicateGroup.objects.get()
    assert group.size == 3
    assert _group_of(later) == group


def test_unrelated_and_short_texts_are_not_grouped():
    unrelated = text_case(UNRELATED)
    spam = text_case(AIRDROP)
    short = [text_case("Buy followers now 123"), text_case("Buy followers now 456")]

    assert reports_group(report_ids=report_ids(unrelated, spam, *short)) == 0

    assert not DuplicateGroup.objects.exists()
    # Short texts are not even signed: they would match every other short greeting.
    assert set(TextSignature.objects.values_list("report__case", flat=True)) == {
        unrelated.pk,
        spam.pk,
    }
    assert TextBand.objects.count() == 2 * 14


def test_copies_on_the_same_case_do_not_make_a_group():
    case = text_case(AIRDROP, subject__platform_id="msg-same")
    item = report_input(subject__platform_id="msg-same", subject__text=AIRDROP_COPIES[1])
    reports_ingest(items=[item])
    assert Report.objects.filter(case=case).count() == 2

    assert reports_group(report_ids=report_ids(case)) == 0
    assert not DuplicateGroup.objects.exists()


def _pair_similarity(a: str, b: str) -> int:
    """The pair's estimated Jaccard in whole percent, rounded down."""
    one, two = signatures([normalise(a), normalise(b)])
    return math.floor(one.jaccard(two) * 100)


JOB_SCAM = (
    "Earn 300 dollars a day from home, no experience needed, message me on telegram for details"
)
# Estimated Jaccard 0.758 to JOB_SCAM: between 0.70 and 0.80, so one banding serves both sides.
EDGE_PAIR = (
    JOB_SCAM,
    "Earn 300 dollars a day working from home, no experience needed, message me on telegram "
    "for more details",
)
# Estimated Jaccard 0.805: a clear pair at the default threshold.
PAIR = (JOB_SCAM, JOB_SCAM.replace("message me", "write me"))


@pytest.mark.parametrize("offset", [0, 1])
def test_threshold_is_respected_just_above_and_below(settings, offset):
    similarity = _pair_similarity(*EDGE_PAIR)
    assert similarity == 75
    settings.NEARDUP_TEXT_THRESHOLD_PERCENT = similarity + offset
    cases = [text_case(t) for t in EDGE_PAIR]

    joined = reports_group(report_ids=report_ids(*cases))

    assert joined == (2 if offset == 0 else 0)


def test_a_report_linking_two_groups_merges_them_into_the_older():
    airdrop = [text_case(t) for t in AIRDROP_COPIES[:2]]
    reports_group(report_ids=report_ids(*airdrop))
    parcel = [text_case(t) for t in PAIR]
    reports_group(report_ids=report_ids(*parcel))
    older, younger = DuplicateGroup.objects.order_by("pk")
    # A second report on a parcel case repeats the airdrop text: both groups now hold copies.
    bridge = report_input(
        subject__platform_id=parcel[0].subject.platform_id, subject__text=AIRDROP_COPIES[2]
    )
    reports_ingest(items=[bridge])
    bridge_id = Report.objects.get(external_id=bridge.external_id).pk

    reports_group(report_ids=[bridge_id])

    older.refresh_from_db()
    younger.refresh_from_db()
    assert younger.merged_into == older
    assert (older.size, younger.size) == (4, 0)
    assert set(DuplicateMember.objects.filter(group=older).values_list("case", flat=True)) == {
        c.pk for c in airdrop + parcel
    }
    event = AuditEvent.objects.get(action="neardup.groups_merged")
    assert event.data["into"] == older.pk
    assert event.data["merged"] == younger.pk


def test_rerunning_adds_nothing():
    cases = [text_case(t) for t in AIRDROP_COPIES]
    ids = report_ids(*cases)
    reports_group(report_ids=ids)
    before = (
        DuplicateMember.objects.count(),
        TextSignature.objects.count(),
        TextBand.objects.count(),
        AuditEvent.objects.filter(action__startswith="neardup.").count(),
    )

    assert reports_group(report_ids=ids) == 0

    after = (
        DuplicateMember.objects.count(),
        TextSignature.objects.count(),
        TextBand.objects.count(),
        AuditEvent.objects.filter(action__startswith="neardup.").count(),
    )
    assert after == before
    assert DuplicateGroup.objects.get().size == 4


def test_unknown_report_ids_change_nothing():
    assert reports_group(report_ids=[999_999, 999_998]) == 0
    assert media_group(media_id=999_999) == 0
    assert not DuplicateGroup.objects.exists()


# Images


def test_image_near_copies_across_chats_group_and_others_do_not():
    original, copy, other = ingest(picture(1)), ingest(picture(1, mark=12)), ingest(picture(2))
    assert pdq_distance(original.pdq, copy.pdq) <= 31
    assert pdq_distance(original.pdq, other.pdq) > 31
    cases = [text_case("", subject__media_sha256=m.sha256) for m in (original, copy, other)]

    assert reports_group(report_ids=report_ids(*cases)) == 2

    group = DuplicateGroup.objects.get()
    assert (group.kind, group.size) == ("image", 2)
    assert _group_of(cases[0]) == group
    assert _group_of(cases[1]) == group
    assert _group_of(cases[2]) is None
    member = DuplicateMember.objects.get(case=cases[1])
    assert member.similarity == round(1 - pdq_distance(original.pdq, copy.pdq) / 256, 3)


def test_the_same_file_reported_in_two_chats_groups():
    media = ingest(picture(3))
    cases = [text_case("", subject__media_sha256=media.sha256) for _ in range(2)]

    reports_group(report_ids=report_ids(*cases))

    assert DuplicateGroup.objects.get().size == 2


def test_a_case_can_be_in_a_text_group_and_an_image_group():
    media = ingest(picture(4))
    cases = [text_case(t, subject__media_sha256=media.sha256) for t in AIRDROP_COPIES[:2]]

    reports_group(report_ids=report_ids(*cases))

    assert sorted(DuplicateGroup.objects.values_list("kind", "size")) == [
        ("image", 2),
        ("text", 2),
    ]


def test_media_arriving_after_its_reports_groups_them(django_capture_on_commit_callbacks):
    data = [png(picture(5)), png(picture(5, mark=10))]
    shas = [hashlib.sha256(d).hexdigest() for d in data]
    with django_capture_on_commit_callbacks(execute=True):
        cases = [text_case("", subject__media_sha256=sha) for sha in shas]
    assert not DuplicateGroup.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        for d in data:
            media_ingest(data=d)

    assert DuplicateGroup.objects.get().size == 2
    assert {m.case_id for m in DuplicateMember.objects.all()} == {c.pk for c in cases}


# In the background


def test_intake_groups_in_the_background(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cases = [text_case(t) for t in AIRDROP_COPIES[:3]]

    group = DuplicateGroup.objects.get()
    assert group.size == 3
    assert {m.case_id for m in DuplicateMember.objects.all()} == {c.pk for c in cases}


def test_a_lost_publish_is_made_good_by_the_relay(monkeypatch, django_capture_on_commit_callbacks):
    assert "signals.neardup" in relay.registered()
    monkeypatch.setattr(receivers, "publish", lambda task, **kwargs: False)  # broker down
    with django_capture_on_commit_callbacks(execute=True):
        cases = [text_case(t) for t in AIRDROP_COPIES[:3]]
    assert not DuplicateGroup.objects.exists()

    assert relay.relay_all(now=timezone.now())["signals.neardup"] == 0  # within the grace
    handed = relay.relay_all(now=timezone.now() + timedelta(minutes=2))

    assert handed["signals.neardup"] == 3
    assert DuplicateGroup.objects.get().size == 3
    assert MatchCursor.objects.get(name="neardup").last_report_id == max(report_ids(*cases))


def test_the_relay_cursor_moves_in_bounded_batches():
    cases = [text_case(t) for t in AIRDROP_COPIES[:3]]
    later = timezone.now() + timedelta(minutes=2)

    assert cursor_group(now=later, batch=2) == 2
    assert cursor_group(now=later, batch=2) == 1
    assert cursor_group(now=later, batch=2) == 0
    assert DuplicateGroup.objects.get().size == 3
    assert MatchCursor.objects.get(name="neardup").last_report_id == max(report_ids(*cases))


def test_held_reports_without_a_case_are_skipped(make_user):
    senior = make_user(Role.SENIOR_MODERATOR)
    reports_ingest(items=[report_input(reporter_id="bad-faith")])
    reporter = Reporter.objects.get(platform_id="bad-faith")
    reporter_mute(reporter_id=reporter.pk, actor=senior, reason="Files in bad faith.")
    held = report_input(reporter_id="bad-faith", subject__text=AIRDROP_COPIES[1])
    reports_ingest(items=[held])
    held_report = Report.objects.get(external_id=held.external_id)
    assert held_report.case_id is None
    case = text_case(AIRDROP)

    assert reports_group(report_ids=[held_report.pk, *report_ids(case)]) == 0

    assert not TextSignature.objects.filter(report=held_report).exists()
    assert not DuplicateGroup.objects.exists()

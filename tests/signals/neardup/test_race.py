"""Two workers grouping overlapping texts at the same instant (PostgreSQL)."""

from __future__ import annotations

import pytest

from signals.models import DuplicateGroup, DuplicateMember, TextBand, TextSignature
from signals.neardup import images
from signals.neardup.services import reports_group
from tests.signals.helpers import ingest, picture
from tests.signals.neardup.helpers import family, report_ids, text_case
from tests.utils import race, requires_postgres


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_grouping_overlapping_texts_make_one_group():
    # No on_commit callbacks run here (transactional test, receivers publish eagerly only on
    # commit): the cases exist, ungrouped, until the race.
    cases = [text_case(t) for t in family(6, "alpha")]
    DuplicateMember.objects.all().delete()
    DuplicateGroup.objects.all().delete()
    TextSignature.objects.all().delete()
    TextBand.objects.all().delete()
    ids = report_ids(*cases)

    results = race(
        lambda: reports_group(report_ids=ids[:4]),
        lambda: reports_group(report_ids=ids[2:]),
    )

    for result in results:
        if isinstance(result, BaseException):
            raise result
    assert sum(results) == 6
    group = DuplicateGroup.objects.get()
    assert group.size == 6
    assert DuplicateMember.objects.filter(group=group).count() == 6
    assert TextSignature.objects.count() == 6


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_grouping_overlapping_images_make_one_group():
    images.index_reset()
    media = ingest(picture(8))
    cases = [text_case("", subject__media_sha256=media.sha256) for _ in range(4)]
    DuplicateMember.objects.all().delete()
    DuplicateGroup.objects.all().delete()
    ids = report_ids(*cases)

    results = race(
        lambda: reports_group(report_ids=ids[:3]),
        lambda: reports_group(report_ids=ids[1:]),
    )

    for result in results:
        if isinstance(result, BaseException):
            raise result
    group = DuplicateGroup.objects.get()
    assert group.size == 4
    assert DuplicateMember.objects.filter(group=group, kind="image").count() == 4

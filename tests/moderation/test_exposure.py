"""Exposure to graphic material: counted per moderator, capped in claim-next, shown to seniors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from moderation.models import Case
from moderation.selectors import exposure
from moderation.selectors.queue import QueueFilters
from moderation.services import claims, decisions, evidence
from tests.moderation.factories import make_case, violation

pytestmark = pytest.mark.django_db


def reveal(moderator, n: int) -> None:
    case = make_case(category="terrorism", subject__media_sha256="ab" * 32)
    report = case.reports.get()
    for _ in range(n):
        evidence.media_reveal(report=report, actor=moderator)


def decide(moderator, category: str) -> Case:
    case = make_case(category=category)
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    return case


def test_reveals_and_graphic_decisions_count_in_their_window(moderator):
    reveal(moderator, 2)
    decide(moderator, "terrorism")
    decide(moderator, "spam")  # not graphic
    AuditEvent.objects.filter(action="media.revealed").order_by("id").first()

    now = timezone.now()
    found = exposure.exposure_of(moderator, since=now - timedelta(hours=1))
    later = exposure.exposure_of(moderator, since=now + timedelta(seconds=1))

    assert (found.reveals, found.graphic_decisions, found.total) == (2, 1, 3)
    assert later.total == 0


def test_past_the_soft_cap_claim_next_skips_graphic_cases(moderator, settings):
    settings.EXPOSURE_SOFT_CAP_PER_HOUR = 3
    graphic = make_case(category="child_safety")
    Case.objects.filter(pk=graphic.pk).update(priority=10_000)  # the most urgent by far
    plain = make_case(category="spam")
    reveal(moderator, 2)
    filters = QueueFilters(status="open")

    # Under the cap, the most urgent case comes first, graphic or not.
    assert exposure.over_soft_cap(moderator) is None
    reveal(moderator, 1)  # now at the cap
    assert exposure.over_soft_cap(moderator).total == 3

    taken = claims.case_claim_next(actor=moderator, filters=filters)

    assert taken is not None
    assert taken.category.code not in exposure.graphic_categories()
    assert Case.objects.get(pk=graphic.pk).status == Case.Status.OPEN
    assert taken.pk == plain.pk


def test_under_the_cap_the_graphic_case_is_claimed_first(moderator, settings):
    settings.EXPOSURE_SOFT_CAP_PER_HOUR = 30
    graphic = make_case(category="child_safety")
    Case.objects.filter(pk=graphic.pk).update(priority=10_000)
    make_case(category="spam")

    taken = claims.case_claim_next(actor=moderator, filters=QueueFilters(status="open"))

    assert taken.pk == graphic.pk


def test_claim_next_says_why_graphic_cases_are_skipped(moderator, moderator_client, settings):
    settings.EXPOSURE_SOFT_CAP_PER_HOUR = 1
    reveal(moderator, 1)
    make_case(category="spam")

    response = moderator_client.post(reverse("moderation:claim_next"), {}, follow=True)

    assert "claim next skips graphic categories" in response.content.decode()


def test_seniors_see_counts_per_moderator_never_content(moderator, make_user, client_for, settings):
    settings.EXPOSURE_SOFT_CAP_PER_HOUR = 2
    reveal(moderator, 2)
    secret = make_case(category="terrorism", subject__text="SECRET PROPAGANDA TEXT")
    claims.case_claim(case_id=secret.pk, actor=moderator)
    decisions.case_decide(case_id=secret.pk, actor=moderator, decision=violation())
    senior = client_for(make_user(Role.SENIOR_MODERATOR))

    page = senior.get(reverse("moderation:exposure")).content.decode()

    row = page[page.index(f'data-moderator="{moderator.username}"') :]
    row = row[: row.index("</tr>")]
    assert ">2</td>" in row  # reveals
    assert ">1</td>" in row  # graphic decisions
    assert "Resting from graphic cases" in row
    assert "SECRET PROPAGANDA TEXT" not in page


def test_the_exposure_page_is_for_seniors_only(moderator_client):
    assert moderator_client.get(reverse("moderation:exposure")).status_code == 403


def test_the_exposure_page_costs_the_same_for_many_moderators(
    make_user, client_for, django_assert_max_num_queries
):
    senior = client_for(make_user(Role.SENIOR_MODERATOR))
    senior.get(reverse("moderation:exposure"))
    for n in range(5):
        reveal(make_user(Role.MODERATOR, username=f"mod-exposed-{n}"), 1)

    with django_assert_max_num_queries(12):
        assert senior.get(reverse("moderation:exposure")).status_code == 200

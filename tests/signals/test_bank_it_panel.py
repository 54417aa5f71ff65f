"""The case page offers "bank it" through moderation's panel registry (no import of signals)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from moderation.services import claims, decisions
from signals.models import BankedHash
from tests.moderation.factories import make_case, violation
from tests.signals.helpers import bank, ingest, picture

pytestmark = pytest.mark.django_db


def decided_media_case(moderator):
    media = ingest(picture(7))
    case = make_case(subject__media_sha256=media.sha256, subject__content_type="image")
    claims.case_claim(case_id=case.pk, actor=moderator)
    decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())
    return case, media


def test_a_senior_banks_the_media_from_the_case_page(moderator, make_user, client_for):
    senior = client_for(make_user(Role.SENIOR_MODERATOR))
    case, media = decided_media_case(moderator)
    target = bank("KNOWN_SPAM")
    page = senior.get(reverse("moderation:case", args=[case.pk])).content.decode()

    assert 'id="bank-it"' in page
    assert "csrfmiddlewaretoken" in page[page.index('id="bank-it"') :]
    decision = case.decisions.get()
    response = senior.post(reverse("signals:bank_it", args=[decision.pk]), {"bank": target.pk})

    assert response.status_code == 302
    banked = set(BankedHash.objects.filter(bank=target).values_list("signal_type", "value"))
    assert ("sha256", media.sha256) in banked
    assert ("pdq", media.pdq) in banked


def test_a_moderator_is_not_offered_bank_it(moderator, moderator_client):
    case, _media = decided_media_case(moderator)
    bank("KNOWN_SPAM")

    page = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    assert 'id="bank-it"' not in page

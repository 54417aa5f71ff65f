""" "Bank it": a senior moderator adds a decision's media hashes to a bank."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from moderation.models import Decision, Media
from moderation.services import claims, decisions
from signals import selectors, services
from signals.models import BankedHash
from tests.moderation.factories import make_case, no_violation, violation

pytestmark = pytest.mark.django_db

SHA = "ab" * 32
MD5 = "cd" * 16
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR)


@pytest.fixture
def bank(senior):
    return services.bank_create(name="KNOWN_SPAM", actor=senior)


def make_media(*, sha256: str = SHA, quality: int = 80) -> Media:
    return Media.objects.create(
        sha256=sha256,
        md5=MD5,
        pdq=PDQ,
        pdq_quality=quality,
        kind="image",
        mime="image/png",
        size=10,
    )


def decide(moderator, decision_input, *, media: Media | None = None) -> Decision:
    case = make_case(subject__media_sha256=media.sha256 if media else "")
    claims.case_claim(case_id=case.pk, actor=moderator)
    return decisions.case_decide(case_id=case.pk, actor=moderator, decision=decision_input)


@pytest.fixture
def removal(make_user):
    return decide(make_user(Role.MODERATOR), violation(), media=make_media())


def test_bank_it_adds_pdq_sha256_and_md5_citing_the_decision(senior, bank, removal):
    result = services.bank_it(decision_id=removal.pk, bank_id=bank.pk, actor=senior)

    assert result.added == {"pdq": 1, "md5": 1, "sha256": 1}
    rows = BankedHash.objects.filter(bank=bank)
    assert set(rows.values_list("signal_type", "value")) == {
        ("pdq", PDQ),
        ("sha256", SHA),
        ("md5", MD5),
    }
    assert {(r.source_decision_id, r.added_by_id) for r in rows} == {(removal.pk, senior.pk)}
    event = AuditEvent.objects.get(action="hash_bank.decision_banked")
    assert event.target_id == str(bank.pk)
    assert event.data["decision"] == removal.pk
    assert event.data["added"] == {"pdq": 1, "md5": 1, "sha256": 1}


def test_bank_it_leaves_out_a_low_quality_pdq(senior, bank, make_user):
    decision = decide(
        make_user(Role.MODERATOR), violation(), media=make_media(sha256="ef" * 32, quality=49)
    )

    result = services.bank_it(decision_id=decision.pk, bank_id=bank.pk, actor=senior)

    assert result.added == {"pdq": 0, "md5": 1, "sha256": 1}


def test_bank_it_twice_counts_what_is_already_there(senior, bank, removal):
    services.bank_it(decision_id=removal.pk, bank_id=bank.pk, actor=senior)

    again = services.bank_it(decision_id=removal.pk, bank_id=bank.pk, actor=senior)

    assert (again.added_total, again.already_in_bank) == (0, 3)
    assert BankedHash.objects.count() == 3


def test_bank_it_is_refused_for_a_no_violation_decision(senior, bank, make_user):
    decision = decide(make_user(Role.MODERATOR), no_violation(), media=make_media())

    with pytest.raises(services.BankItRefused, match="removed the content"):
        services.bank_it(decision_id=decision.pk, bank_id=bank.pk, actor=senior)

    assert not BankedHash.objects.exists()
    assert not AuditEvent.objects.filter(action="hash_bank.decision_banked").exists()


def test_bank_it_is_refused_for_a_decision_that_did_not_remove_content(senior, bank, make_user):
    decision = decide(
        make_user(Role.MODERATOR),
        violation(actions=("label",)),
        media=make_media(),
    )

    with pytest.raises(services.BankItRefused, match="removed the content"):
        services.bank_it(decision_id=decision.pk, bank_id=bank.pk, actor=senior)


def test_bank_it_is_refused_for_a_reversed_decision(senior, bank, removal):
    Decision.objects.filter(pk=removal.pk).update(status=Decision.Status.REVERSED)

    with pytest.raises(services.BankItRefused, match="in force"):
        services.bank_it(decision_id=removal.pk, bank_id=bank.pk, actor=senior)

    assert not BankedHash.objects.exists()


def test_bank_it_is_refused_when_the_case_has_no_media(senior, bank, make_user):
    decision = decide(make_user(Role.MODERATOR), violation())

    with pytest.raises(services.BankItRefused, match="no reported media"):
        services.bank_it(decision_id=decision.pk, bank_id=bank.pk, actor=senior)


def test_bank_it_is_refused_to_a_moderator(bank, removal, make_user):
    with pytest.raises(services.NotAllowed):
        services.bank_it(decision_id=removal.pk, bank_id=bank.pk, actor=make_user(Role.MODERATOR))

    assert not BankedHash.objects.exists()


# --- What the case page offers ---------------------------------------------------------------


def test_bank_it_options_lists_the_banks_for_a_senior(senior, bank, removal):
    assert selectors.bank_it_options(removal, senior) == [bank]


def test_bank_it_options_is_none_for_a_moderator(bank, removal, make_user):
    assert selectors.bank_it_options(removal, make_user(Role.MODERATOR)) is None


def test_bank_it_options_is_none_for_a_decision_that_does_not_qualify(senior, bank, make_user):
    decision = decide(make_user(Role.MODERATOR), no_violation(), media=make_media())

    assert selectors.bank_it_options(decision, senior) is None


def test_bank_it_options_is_none_without_media(senior, bank, make_user):
    decision = decide(make_user(Role.MODERATOR), violation())

    assert selectors.bank_it_options(decision, senior) is None


def test_bank_it_options_is_empty_when_no_bank_exists(senior, removal):
    assert selectors.bank_it_options(removal, senior) == []


def test_bank_it_snippet_renders_the_form(senior, bank, removal):
    from django.template.loader import render_to_string

    panel = {"decision": removal, "bank_it_banks": selectors.bank_it_options(removal, senior)}
    html = render_to_string("signals/_bank_it.html", {"panel": panel})

    assert reverse("signals:bank_it", args=[removal.pk]) in html
    assert f'<option value="{bank.pk}">KNOWN_SPAM</option>' in html


# --- The POST view ---------------------------------------------------------------------------


def test_bank_it_view_banks_and_returns_to_the_case(senior, bank, removal, client_for):
    response = client_for(senior).post(
        reverse("signals:bank_it", args=[removal.pk]), {"bank": bank.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:case", args=[removal.case_id])
    assert BankedHash.objects.filter(source_decision=removal).count() == 3


def test_bank_it_view_shows_the_refusal_on_the_case(senior, bank, removal, client_for):
    Decision.objects.filter(pk=removal.pk).update(status=Decision.Status.REVERSED)
    client = client_for(senior)

    response = client.post(
        reverse("signals:bank_it", args=[removal.pk]), {"bank": bank.pk}, follow=True
    )

    assert "Only a decision in force can be banked" in next(
        str(m) for m in response.context["messages"]
    )
    assert not BankedHash.objects.exists()


def test_bank_it_view_is_forbidden_to_a_moderator(bank, removal, make_user, client_for):
    response = client_for(make_user(Role.MODERATOR)).post(
        reverse("signals:bank_it", args=[removal.pk]), {"bank": bank.pk}
    )

    assert response.status_code == 403
    assert not BankedHash.objects.exists()


def test_bank_it_view_answers_404_for_a_missing_decision(senior, bank, client_for):
    response = client_for(senior).post(reverse("signals:bank_it", args=[999]), {"bank": bank.pk})

    assert response.status_code == 404


def test_bank_it_view_sends_anonymous_visitors_to_log_in(bank, removal, client):
    response = client.post(reverse("signals:bank_it", args=[removal.pk]), {"bank": bank.pk})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))

from __future__ import annotations

import pytest

from moderation.dsa import validate_statement
from moderation.exceptions import InvalidDecision, NotClaimedByActor
from moderation.models import Case, Report, Statement
from moderation.services import claims, decisions
from outbox.models import Delivery
from tests.moderation.factories import make_case, no_violation, report_input, violation

pytestmark = pytest.mark.django_db


def test_reports_about_one_subject_join_one_case():
    from moderation.services.intake import reports_ingest

    a = report_input(subject__platform_id="m-1", reporter_id="r1")
    b = report_input(
        subject__platform_id="m-1", subject__author_id=a.subject.author_id, reporter_id="r2"
    )
    result = reports_ingest(items=[a, b])

    assert result.case_ids[a.external_id] == result.case_ids[b.external_id]
    case = Case.objects.get()
    assert (case.report_count, case.reporter_count) == (2, 2)


def test_decide_writes_a_valid_statement_and_deliveries(moderator):
    case = make_case(category="scams_fraud", source="trusted_flagger", flagger_name="SafeNet")
    claims.case_claim(case_id=case.pk, actor=moderator)

    made = decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())

    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    statement = Statement.objects.get(decision=made)
    assert validate_statement(statement.payload) == []
    assert statement.payload["source_type"] == "SOURCE_TRUSTED_FLAGGER"
    kinds = set(Delivery.objects.caused_by(made).values_list("kind", flat=True))
    assert kinds == {"enforcement", "affected_notice", "reporter_notice"}
    assert Report.objects.get(case=case).outcome_notified_at is not None


def test_no_violation_has_no_statement(moderator):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)

    made = decisions.case_decide(case_id=case.pk, actor=moderator, decision=no_violation())

    assert not Statement.objects.filter(decision=made).exists()


def test_decide_without_claim_is_refused(moderator):
    case = make_case()
    with pytest.raises(NotClaimedByActor):
        decisions.case_decide(case_id=case.pk, actor=moderator, decision=violation())


def test_invalid_decision_writes_nothing(moderator):
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    with pytest.raises(InvalidDecision):
        decisions.case_decide(
            case_id=case.pk, actor=moderator, decision=violation(actions=("no_violation", "label"))
        )
    case.refresh_from_db()
    assert case.status == Case.Status.CLAIMED

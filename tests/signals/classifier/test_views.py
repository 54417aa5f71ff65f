"""The model pages, "Retrain now", the navigation entry and the case-page panel."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from moderation.models import Case, CaseSignal, Category
from signals.classifier import scoring
from signals.models import ModelVersion
from tests.moderation.factories import make_case
from tests.signals.classifier.helpers import labelled_cases, spam

pytestmark = pytest.mark.django_db


def version_row(category: Category, number: int, **fields) -> ModelVersion:
    """A version row for the pages (no file: the pages never load one)."""
    fields.setdefault(
        "metrics",
        {
            "average_precision": 0.8,
            "precision": 0.9,
            "recall": 0.5,
            "threshold": 0.6,
            "target_met": True,
            "target_precision": 0.9,
            "confusion": {"tp": 5, "fp": 1, "fn": 5, "tn": 9},
            "curve": [[0.0, 1.0], [0.5, 0.9], [1.0, 0.5]],
        },
    )
    return ModelVersion.objects.create(
        category=category,
        version=number,
        status=fields.pop("status", ModelVersion.Status.RETIRED),
        file_name=f"x-{number}.joblib",
        sha256="0" * 64,
        sklearn_version="1.9.1",
        train_size=60,
        test_size=20,
        **fields,
    )


def test_the_models_page_is_for_those_who_see_detectors(make_user, client_for, moderator_client):
    legal = client_for(make_user(Role.LEGAL_OFFICER))

    assert moderator_client.get(reverse("signals:models")).status_code == 200
    assert legal.get(reverse("signals:models")).status_code == 403
    assert legal.get(reverse("signals:model", args=[1])).status_code == 403


def test_the_models_page_costs_the_same_queries_with_more_versions(moderator_client):
    spam_category = Category.objects.get(code="spam")
    version_row(spam_category, 1)
    url = reverse("signals:models")
    moderator_client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        moderator_client.get(url)
    for number in range(2, 8):
        version_row(spam_category, number)
    version_row(Category.objects.get(code="scams_fraud"), 1, status=ModelVersion.Status.ACTIVE)
    with CaptureQueriesContext(connection) as many:
        page = moderator_client.get(url).content.decode()

    assert len(many) == len(few)
    assert "v7" in page


def test_the_models_page_says_when_a_category_has_too_few_decisions(moderator_client, settings):
    settings.CLASSIFIER_MIN_EXAMPLES, settings.CLASSIFIER_MIN_PER_CLASS = 40, 10

    page = moderator_client.get(reverse("signals:models")).content.decode()

    assert "Not trained: too few decisions yet (needs at least 40, 10 of each kind)." in page


def test_the_evaluation_page_shows_the_numbers_and_an_svg_curve(moderator_client):
    spam_category = Category.objects.get(code="spam")
    previous = version_row(spam_category, 1)
    version = version_row(
        spam_category, 2, status=ModelVersion.Status.ACTIVE, metrics={**previous.metrics}
    )
    version.metrics["demo_examples"] = 20
    version.metrics["compared_with"] = {"id": previous.pk, "version": 1, "average_precision": 0.7}
    version.save()

    page = moderator_client.get(reverse("signals:model", args=[version.pk])).content.decode()

    assert '<svg id="pr-curve" role="img"' in page
    assert '<title id="pr-svg-title">' in page
    assert '<desc id="pr-svg-desc">' in page
    assert 'class="pr-threshold"' in page  # the operating threshold is marked
    assert 'class="pr-previous"' in page  # and the previous version's curve drawn
    assert 'id="metric-ap">0.800<' in page
    assert "90 %" in page
    assert "50 %" in page
    assert "synthetic demo decisions" in page
    assert "<script" not in page[page.index('id="pr-curve"') : page.index("</svg>")]


def test_an_unknown_version_is_404(moderator_client):
    assert moderator_client.get(reverse("signals:model", args=[999999])).status_code == 404


def test_retrain_now_is_audited_and_queues_the_training(
    make_user, client_for, moderator, django_capture_on_commit_callbacks
):
    senior = make_user(Role.SENIOR_MODERATOR)
    labelled_cases(spam(60), moderator=moderator)
    spam_category = Category.objects.get(code="spam")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(senior).post(
            reverse("signals:models_retrain"), {"category": spam_category.pk}
        )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="model.retrain_requested")
    assert event.actor_id == senior.pk
    assert event.data == {"category": "spam"}
    version = ModelVersion.objects.get(category=spam_category)  # the task ran (eager)
    assert version.trained_by == senior


def test_retrain_now_is_refused_to_a_moderator_and_to_a_bad_category(
    make_user, client_for, moderator_client
):
    senior = client_for(make_user(Role.SENIOR_MODERATOR))

    assert moderator_client.post(reverse("signals:models_retrain")).status_code == 403
    response = senior.post(reverse("signals:models_retrain"), {"category": "999999"}, follow=True)

    assert "Choose a category from the list" in response.content.decode()
    assert not AuditEvent.objects.filter(action="model.retrain_requested").exists()


def test_the_navigation_offers_models_to_those_who_see_detectors(
    make_user, client_for, moderator_client
):
    legal = client_for(make_user(Role.LEGAL_OFFICER))
    url = reverse("signals:models")

    assert f'href="{url}"' in moderator_client.get(reverse("dashboard")).content.decode()
    assert f'href="{url}"' not in legal.get(reverse("dashboard")).content.decode()


def scored_case(version: ModelVersion, *, terms, mode="live", score=87) -> Case:
    case = make_case(category="spam", subject__text="whatever")
    CaseSignal.objects.create(
        case=case,
        report=case.reports.get(),
        kind=CaseSignal.Kind.CLASSIFIER,
        name=scoring.signal_name(version),
        label="Spam",
        score=score,
        detector="model:spam",
        mode=mode,
        details={"model_version": version.pk, "version": version.version, "terms": terms},
    )
    return case


def test_the_case_page_shows_the_score_version_and_escaped_terms(moderator_client):
    version = version_row(Category.objects.get(code="spam"), 3, status=ModelVersion.Status.ACTIVE)
    case = scored_case(version, terms=[["<b>free</b>", 1.25], ["book club", -0.5]], mode="shadow")

    page = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    panel = page[page.index('id="classifier-panel"') :]
    assert "87" in panel
    assert "text-model spam v3" in panel
    assert reverse("signals:model", args=[version.pk]) in panel
    assert "shadow" in panel
    assert "&lt;b&gt;free&lt;/b&gt;" in panel
    assert "<b>free</b>" not in panel
    assert "book club" in panel


def test_the_case_page_panel_adds_no_query_per_signal(moderator_client):
    version = version_row(Category.objects.get(code="spam"), 3, status=ModelVersion.Status.ACTIVE)
    case = scored_case(version, terms=[["free", 1.0]])
    url = reverse("moderation:case", args=[case.pk])
    moderator_client.get(url)
    with CaptureQueriesContext(connection) as one:
        moderator_client.get(url)
    for score in (50, 60, 70):
        CaseSignal.objects.create(
            case=case,
            report=case.reports.get(),
            kind=CaseSignal.Kind.CLASSIFIER,
            name="text-model spam v2",
            label="Spam",
            score=score,
            detector="model:spam",
            details={"model_version": version.pk, "terms": [["x", 0.1]]},
        )
    with CaptureQueriesContext(connection) as four:
        moderator_client.get(url)

    assert len(four) == len(one)


def test_a_case_without_a_model_score_has_no_panel(moderator_client):
    case = make_case(category="spam")

    page = moderator_client.get(reverse("moderation:case", args=[case.pk])).content.decode()

    assert 'id="classifier-panel"' not in page

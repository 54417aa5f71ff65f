"""Two workers training the same category at the same instant (PostgreSQL)."""

from __future__ import annotations

import pytest

from moderation.models import Category
from signals.classifier.services import model_train
from signals.models import ModelVersion
from tests.signals.classifier.helpers import labelled_cases, spam
from tests.utils import race, requires_postgres


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_trainings_of_a_category_make_one_version(moderator):
    labelled_cases(spam(60), moderator=moderator)
    category_id = Category.objects.get(code="spam").pk

    results = race(
        lambda: model_train(category_id=category_id),
        lambda: model_train(category_id=category_id),
    )

    for result in results:
        if isinstance(result, BaseException):
            raise result
    made = [r for r in results if r.version is not None]
    waited = [r for r in results if r.version is None]
    assert len(made) == 1
    assert "no new decisions since version 1" in waited[0].skipped
    assert ModelVersion.objects.get().status == ModelVersion.Status.ACTIVE

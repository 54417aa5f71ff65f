from __future__ import annotations

import pytest

from moderation import detectors
from signals.classifier import storage


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    """Each test loads its own files: a cached model from another test would hide a bug."""
    storage.cache_clear()
    yield
    storage.cache_clear()


@pytest.fixture
def detector_mode():
    """Set the mode of every "model:*" detector for one test; the previous resolver comes back."""
    previous = detectors._resolver

    def set_mode(mode: str) -> None:
        detectors.register_mode_resolver(
            lambda keys: {k: mode for k in keys if k.startswith("model:")}
        )

    yield set_mode
    detectors.register_mode_resolver(previous)


@pytest.fixture
def senior(make_user):
    from accounts.roles import Role

    return make_user(Role.SENIOR_MODERATOR, username="senior-a")


@pytest.fixture
def spam_model(moderator):
    """An active spam model trained on 60 labelled synthetic decisions."""
    from moderation.models import Category
    from signals.classifier.services import model_train
    from tests.signals.classifier.helpers import labelled_cases, spam

    labelled_cases(spam(60), moderator=moderator)
    version = model_train(category_id=Category.objects.get(code="spam").pk).version
    assert version is not None
    return version

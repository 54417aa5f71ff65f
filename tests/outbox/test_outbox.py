"""The outbox app: registered kinds, references, enqueue after commit, its state machine."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from moderation import outbox_kinds
from outbox import kinds, services
from outbox.models import Delivery
from outbox.selectors import deliveries_about, delivery_status_labels
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db


def test_an_unregistered_kind_is_refused_and_nothing_is_written():
    with pytest.raises(kinds.UnknownKind, match=r"outbox_kinds\.py"):
        services.delivery_enqueue(kind="enforcment", key="k-1", payload={})

    assert not Delivery.objects.exists()


def test_a_kind_cannot_be_registered_twice_with_another_label():
    assert kinds.register("enforcement", "Enforcement") == "enforcement"  # same label: fine
    with pytest.raises(ValueError, match="already registered"):
        kinds.register("enforcement", "Something else")


def test_each_app_declares_its_kinds_and_the_labels_are_shown():
    registered = dict(kinds.choices())

    assert registered["enforcement"] == "Enforcement"
    assert registered["user_notice"] == "Notice of a disclosure"  # from disclosures
    assert Delivery(kind=outbox_kinds.REVERSAL).kind_label == "Reverting enforcement"
    assert Delivery(kind="unknown").kind_label == "unknown"


def test_topic_and_cause_reference_any_model(moderator):
    case, other = make_case(), make_case()

    made = services.delivery_enqueue(
        kind=outbox_kinds.ENFORCEMENT, key="k-1", payload={"a": 1}, topic=case, cause=moderator
    )
    services.delivery_enqueue(kind=outbox_kinds.ENFORCEMENT, key="k-2", payload={}, topic=other)

    assert (made.topic_type, made.topic_id) == ("moderation.case", str(case.pk))
    assert (made.cause_type, made.cause_id) == (moderator._meta.label_lower, str(moderator.pk))
    assert deliveries_about(case) == [made]
    assert list(Delivery.objects.caused_by(moderator)) == [made]
    assert delivery_status_labels(["k-1", "never"]) == {"k-1": "Pending"}


def test_deliveries_are_sent_only_after_commit(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(services, "publish", lambda task, **kw: sent.append(kw) or True)

    with django_capture_on_commit_callbacks(execute=True):
        made = services.deliveries_enqueue(
            [
                services.Outgoing(kind=outbox_kinds.ENFORCEMENT, key=f"k-{n}", payload={})
                for n in range(3)
            ]
        )
        assert sent == []  # nothing leaves before the transaction commits

    assert sent == [{"delivery_id": d.pk} for d in made]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_owes_nothing(monkeypatch):
    sent = []
    monkeypatch.setattr(services, "publish", lambda task, **kw: sent.append(kw) or True)

    def change_that_fails() -> None:
        with transaction.atomic():
            services.delivery_enqueue(kind=outbox_kinds.ENFORCEMENT, key="k-1", payload={})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert not Delivery.objects.exists()
    assert sent == []


Status = Delivery.Status
ILLEGAL = [
    (a, b)
    for a, b in itertools.product(Status.values, Status.values)
    if b not in Delivery.TRANSITIONS[a]
]


def test_the_table_covers_every_status_and_final_states_are_final():
    assert set(Delivery.TRANSITIONS) == set(Status.values)
    assert {s for s, targets in Delivery.TRANSITIONS.items() if not targets} == Delivery.FINAL


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_delivery_transition_is_refused_and_writes_nothing(current, target):
    made = Delivery.objects.create(
        kind="enforcement", idempotency_key="k", payload={}, status=current
    )

    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=made.pk)
        with pytest.raises(services.DeliveryTransitionRefused):
            services.delivery_transition(delivery=locked, to=target)

    assert Delivery.objects.get(pk=made.pk).status == current


@pytest.mark.django_db(transaction=True)
def test_a_transition_outside_a_transaction_is_refused():
    made = Delivery.objects.create(kind="enforcement", idempotency_key="k", payload={})

    with pytest.raises(RuntimeError, match="transaction"):
        services.delivery_transition(delivery=made, to=Status.SENT)

    assert Delivery.objects.get(pk=made.pk).status == Status.PENDING


@pytest.mark.parametrize("final", sorted(Delivery.FINAL))
def test_a_delivery_in_a_final_state_is_not_sent_again(settings, final):
    settings.PLATFORM_WEBHOOK_URL = "http://127.0.0.1:1/hook"  # would fail if it were tried
    made = Delivery.objects.create(
        kind="enforcement", idempotency_key="k", payload={}, status=final
    )

    assert services.delivery_send(delivery_id=made.pk) == final

    made.refresh_from_db()
    assert (made.status, made.attempts) == (final, 0)

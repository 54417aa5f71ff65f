from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEvent
from disclosures.models import DisclosurePolicy
from tests.utils import login_verified

pytestmark = pytest.mark.django_db


def test_the_two_policy_versions_exist_and_answer_by_offence():
    v1, v2 = DisclosurePolicy.objects.get(version=1), DisclosurePolicy.objects.get(version=2)

    assert v1.covers("terrorism")
    assert not v1.covers("illegal_drugs")
    assert v2.covers("illegal_drugs")
    assert v1.effective_from < v2.effective_from == datetime(2024, 9, 23, tzinfo=UTC)


def test_a_new_policy_version_added_in_the_admin_is_audited_and_versions_are_not_editable(client):
    admin = get_user_model().objects.create_superuser("root", "r@example.org", "long-pass-123")
    login_verified(client, admin)

    response = client.post(
        reverse("admin:disclosures_disclosurepolicy_add"),
        {
            "version": 3,
            "effective_from_0": "2027-01-01",
            "effective_from_1": "00:00:00",
            "any_criminal_offence": "on",
            "offence_categories": "[]",
            "summary": "Clarified wording.",
        },
    )

    assert response.status_code == 302
    created = DisclosurePolicy.objects.get(version=3)
    event = AuditEvent.objects.get(action="disclosurepolicy.created")
    assert event.target_id == str(created.pk)
    change_url = reverse("admin:disclosures_disclosurepolicy_change", args=[created.pk])
    assert b'name="_save"' not in client.get(change_url).content
    assert client.post(change_url, {"version": 4}).status_code == 403

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

import audit
from accounts.models import User
from audit.models import AuditEvent
from tests.utils import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    su = User.objects.create_superuser("root", "root@example.com", "pw-long-enough-1")
    login_verified(client, su)
    return client


def test_admin_lists_and_shows_events_read_only_even_for_superusers(superuser_client):
    event = audit.record(action="request.approved", target_type="disclosures.request", target_id=3)

    changelist = superuser_client.get(reverse("admin:audit_auditevent_changelist"))
    change = superuser_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert superuser_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert superuser_client.post(delete_url, {"post": "yes"}).status_code == 403
    post = superuser_client.post(
        reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "x.y"}
    )
    assert post.status_code == 403
    event.refresh_from_db()
    assert event.action == "request.approved"


def test_admin_event_permissions_are_all_false_for_superusers(rf):
    su = User.objects.create_superuser("root2", "root2@example.com", "pw-long-enough-1")
    request = rf.get("/")
    request.user = su
    model_admin = admin.site._registry[AuditEvent]

    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}


def test_every_managed_model_is_registered_in_the_admin():
    from django.apps import apps

    missing = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.managed
        and model not in admin.site._registry
        and model._meta.app_label
        in {"accounts", "audit", "moderation", "disclosures", "signals", "search_policy"}
    ]
    assert missing == []

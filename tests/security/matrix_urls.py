"""
The access matrix's view of the URL resolver: which row of the table a URL pattern falls
under, and a concrete URL for it that names objects which exist.

Shared by tests/security/test_access_matrix.py and the second-factor tests, which walk the
same URLs; the `objects` fixture (tests/conftest.py) builds the objects.
"""

from __future__ import annotations

import re

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role
from audit import services as audit
from audit.log import seal_and_checkpoint
from moderation.models import BulkJob, ReplyTemplate
from moderation.services import claims, decisions
from moderation.services.appeals import AppealInput, appeal_submit
from tests import routes
from tests.disclosures.factories import make_authority, make_request
from tests.moderation.factories import make_case, violation
from tests.security.access_matrix import ADMIN_NAMESPACE, MATRIX, admin_row

MISSING_PACKAGE_ID = 999_999


def _is_admin(route: str, name: str | None) -> bool:
    return route.startswith("admin/") or (name or "").startswith(ADMIN_NAMESPACE)


def route_key(route: str, name: str | None) -> str:
    return name or route


def expected_row(route: str, name: str | None) -> dict[str, str] | None:
    if _is_admin(route, name):
        return admin_row(route_key(route, name))
    return MATRIX.get(route_key(route, name))


def make_url_objects(make_user) -> dict[str, int]:
    """One object of each kind a URL names; returns URL keyword → primary key."""
    moderator = make_user(Role.MODERATOR)
    senior = make_user(Role.SENIOR_MODERATOR)
    legal = make_user(Role.LEGAL_OFFICER)
    case = make_case()
    decided = make_case()
    claims.case_claim(case_id=decided.pk, actor=moderator)
    decision = decisions.case_decide(case_id=decided.pk, actor=moderator, decision=violation())
    appeal, _ = appeal_submit(
        item=AppealInput(
            external_id="matrix-appeal",
            decision_puid=f"tsd-{decision.uuid}",
            appellant_id=decided.subject.author.platform_id,
            reason="It was a joke.",
            submitted_at=timezone.now(),
        )
    )
    job = BulkJob.objects.create(created_by=senior, case_ids=[case.pk], decision_template={})
    request = make_request(created_by=legal)
    event = audit.record(action="media.revealed", target=case)
    checkpoint = seal_and_checkpoint()  # so that the event has an inclusion proof
    device = TOTPDevice.objects.create(user=legal, name="matrix", confirmed=True)
    return {
        "case_id": case.pk,
        "report_id": case.reports.first().pk,
        "appeal_id": appeal.pk,
        "job_id": job.pk,
        "request_id": request.pk,
        "authority_id": make_authority().pk,
        "account_id": request.targets.first().account.pk,
        "event_id": event.pk,
        "package_id": MISSING_PACKAGE_ID,
        "pk": device.pk,  # django-otp's admin views for a TOTP device
        "tree_size": checkpoint.tree_size,
        "reply_template_id": ReplyTemplate.objects.create(title="M", field="facts", body="x").pk,
    }


# Query strings some URLs need to answer at all.
QUERIES = {"audit:consistency_proof": "?from={tree_size}&to={tree_size}"}


def concrete_url(route: str, name: str | None, objects: dict[str, int]) -> str:
    route = re.sub(
        r"<int:(\w+)>",
        lambda m: str(objects[m.group(1)]) if m.group(1) in objects else m.group(0),
        route,
    )
    return routes.concrete_url(route) + QUERIES.get(name or "", "").format(**objects)

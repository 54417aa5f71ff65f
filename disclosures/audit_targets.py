"""How the audit trail names and links the legal workflow's targets (see audit/targets.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from audit.targets import TargetKind, field_of, register
from disclosures import permissions
from disclosures.models import Authority, LegalRequest


def _requests_named(text: str) -> list[str]:
    # "LR-2026-00014" (any case): the request's own events, whatever their action.
    pks = LegalRequest.objects.filter(reference__iexact=text).values_list("pk", flat=True)
    return [str(pk) for pk in pks]


register(
    TargetKind(
        "disclosures.legalrequest",
        _("Legal request"),
        url_name="disclosures:request",
        can_open=permissions.can_view_requests,
        references=field_of(LegalRequest, "reference"),
        find=_requests_named,
    ),
    TargetKind(
        "disclosures.authority",
        _("Authority"),
        url_name="disclosures:authority",
        can_open=permissions.can_view_requests,
        references=field_of(Authority, "name"),
    ),
    TargetKind("disclosures.releasepackage", _("Release package")),
    TargetKind("disclosures.usernotice", _("User notice")),
    TargetKind("disclosures.preservationhold", _("Preservation hold")),
    TargetKind("disclosures.scope", _("Approved scope")),
    TargetKind("disclosures.piiunmask", _("Unmasking of personal data")),
    TargetKind("disclosures.disclosurepolicy", _("Disclosure policy")),
)

"""How the audit trail names and links the automatic tools' targets (see audit/targets.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from audit.targets import TargetKind, field_of, register
from moderation import permissions as moderation_permissions
from signals import permissions
from signals.classifier import permissions as classifier_permissions
from signals.governance import permissions as governance_permissions
from signals.models import HashBank

register(
    TargetKind(
        "signals.hashbank",
        _("Hash bank"),
        url_name="signals:bank",
        can_open=permissions.can_view_hash_banks,
        references=field_of(HashBank, "name"),
    ),
    TargetKind("signals.bankedhash", _("Banked hash")),
    TargetKind(
        "signals.modelversion",
        _("Classifier model version"),
        url_name="signals:model",
        can_open=classifier_permissions.can_view_models,
    ),
    TargetKind("signals.detector", _("Detector")),
    TargetKind("signals.autoactionrule", _("Automatic action rule")),
    TargetKind(
        "signals.automatedaction",
        _("Automatic action"),
        url_name="signals:review",
        can_open=governance_permissions.can_review_automated_actions,
    ),
    TargetKind(
        "signals.duplicategroup",
        _("Near-duplicate group"),
        url_name="signals:group",
        can_open=moderation_permissions.can_triage,
    ),
)

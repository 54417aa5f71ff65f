"""Audit actions of signals.classifier (imported by signals.audit_actions)."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register_many

register_many(
    [
        ("model.trained", _("Classifier model version trained")),
        ("model.activated", _("Classifier model version activated")),
        ("model.retired", _("Classifier model version retired")),
        ("model.rejected", _("Classifier model version rejected (worse than the active one)")),
        ("model.retrain_requested", _("Classifier retraining requested")),
        ("signals.model_scored", _("Reports scored by the classifier")),
    ]
)

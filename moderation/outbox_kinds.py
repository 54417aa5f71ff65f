"""The deliveries moderation owes the platform (enforcement, notices, appeal outcomes)."""

from django.utils.translation import gettext_lazy as _

from outbox.kinds import register

ENFORCEMENT = register("enforcement", _("Enforcement"))
REVERSAL = register("reversal", _("Reverting enforcement"))
REPORTER_NOTICE = register("reporter_notice", _("Outcome notice to reporter"))
AFFECTED_NOTICE = register("affected_notice", _("Statement of reasons to the affected user"))
APPEAL_OUTCOME = register("appeal_outcome", _("Appeal outcome"))

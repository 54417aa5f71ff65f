"""The audit actions moderation records (reports, cases, appeals, bulk jobs, evidence)."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register_many

register_many(
    [
        ("appeal.decided", _("Appeal decided")),
        ("appeal.received", _("Appeal received")),
        ("bulk.case_failed", _("Bulk job: case failed")),
        ("bulk.case_skipped", _("Bulk job: case skipped")),
        ("bulk.finished", _("Bulk job finished")),
        ("bulk.started", _("Bulk job started")),
        ("case.claim_expired", _("Case claim expired")),
        ("case.claimed", _("Case claimed")),
        ("case.decided", _("Case decided")),
        ("case.escalated", _("Case escalated")),
        ("case.released", _("Case released to the queue")),
        ("evidence.hold_placed", _("Evidence put on legal hold")),
        ("evidence.hold_released", _("Evidence legal hold released")),
        ("evidence.purged", _("Expired evidence purged")),
        ("media.received", _("Reported media received")),
        ("media.revealed", _("Evidence media revealed")),
        ("media.viewed", _("Original reported media viewed")),
        ("reports.received", _("Reports received")),
        ("reports.held", _("Reports held back from the queue")),
        ("reports.unheld", _("Held reports moved into a new case")),
        ("reporter.muted", _("Reporter muted")),
        ("reporter.unmuted", _("Reporter unmuted")),
    ]
)

# Moderator tools: internal notes (the trail keeps their id and length, never their text,
# because it is exported to outside auditors) and reply templates.
register_many(
    [
        ("case.note_added", _("Note added")),
        ("reply_template.created", _("Reply template created")),
        ("reply_template.updated", _("Reply template updated")),
    ]
)
register_many(
    [
        ("transparency.generated", _("Moderation transparency report generated")),
        ("transparency.published", _("Moderation transparency report published")),
    ]
)
# Private-group roll-up (moderation.services.rollup).
register_many(
    [
        ("case.rolled_up", _("Message cases rolled up into their group's case")),
        ("case.resolved_with_group", _("Case resolved with its group's decision")),
        ("case.rollup_released", _("Rolled-up message cases released to the queue")),
    ]
)

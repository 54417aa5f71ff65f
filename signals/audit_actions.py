"""The audit actions the signals app records (hash banks and their hashes)."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register_many

register_many(
    [
        ("hash_bank.created", _("Hash bank created")),
        ("hash_bank.updated", _("Hash bank settings changed")),
        ("hash_bank.hashes_imported", _("Hashes imported into a bank")),
        ("hash_bank.decision_banked", _("Decision's media added to a hash bank")),
        ("banked_hash.disabled", _("Banked hash disabled")),
        ("banked_hash.enabled", _("Banked hash enabled again")),
        ("signals.bank_matched", _("Reported media matched a hash bank")),
    ]
)

from signals.classifier import audit_actions as _classifier  # noqa: E402,F401
from signals.governance import audit_actions as _governance  # noqa: E402,F401
from signals.neardup import audit_actions as _neardup  # noqa: E402,F401

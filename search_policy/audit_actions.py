"""The audit actions the search policy records."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register_many

register_many(
    [
        ("search_policy.term_added", _("Blocked search term added")),
        ("search_policy.term_removed", _("Blocked search term removed")),
        ("search_policy.entity_delisted", _("Entity removed from search")),
        ("search_policy.entity_relisted", _("Entity back in search")),
        ("search_policy.entity_relinked", _("Delisting linked to a new decision")),
        ("search_policy.allowed_term_added", _("Allowed search term added")),
        ("search_policy.allowed_term_removed", _("Allowed search term removed")),
        ("search_policy.report_tagged", _("Report's search query matched a blocked term")),
    ]
)

from moderation.models.access import ModerationAccess
from moderation.models.appeals import Appeal
from moderation.models.bulk import BulkJob
from moderation.models.cases import Case, CaseSignal
from moderation.models.decisions import Decision, Statement
from moderation.models.media import EvidenceHold, Media
from moderation.models.notes import CaseNote, ReplyTemplate, TransparencyReport
from moderation.models.platform import AccountRestriction, PlatformAccount, Reporter, Strike
from moderation.models.reports import Category, Report, Subject
from moderation.models.routing import ModeratorProfile

__all__ = [
    "AccountRestriction",
    "Appeal",
    "BulkJob",
    "Case",
    "CaseNote",
    "CaseSignal",
    "Category",
    "Decision",
    "EvidenceHold",
    "Media",
    "ModerationAccess",
    "ModeratorProfile",
    "PlatformAccount",
    "ReplyTemplate",
    "Report",
    "Reporter",
    "Statement",
    "Strike",
    "Subject",
    "TransparencyReport",
]

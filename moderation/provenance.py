"""
How the case page names the provenance of evidence: "Platform-observed", or "Reporter-supplied:
forwarded from a private group", with a longer explanation for the badge's title. The rules
themselves (which provenance a chat kind allows) are in moderation.chat_kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from moderation.models import Report, Subject

ChatKind = Subject.ChatKind

# "forwarded from ..." for each chat kind.
FORWARDED_FROM: dict[str, object] = {
    ChatKind.GROUP: gettext_lazy("a public group"),
    ChatKind.CHANNEL: gettext_lazy("a public channel"),
    ChatKind.PRIVATE: gettext_lazy("a private chat"),
    ChatKind.PRIVATE_GROUP: gettext_lazy("a private group"),
    ChatKind.PRIVATE_CHANNEL: gettext_lazy("a private channel"),
    ChatKind.SECRET: gettext_lazy("an end-to-end encrypted secret chat"),
}


@dataclass(frozen=True)
class ProvenanceBadge:
    provenance: str
    label: str
    title: str

    @property
    def reporter_supplied(self) -> bool:
        return self.provenance == Report.Provenance.REPORTER


def provenance_badge(*, provenance: str, chat_kind: str) -> ProvenanceBadge:
    """The badge of evidence with `provenance`, reported from a chat of `chat_kind`."""
    if provenance != Report.Provenance.REPORTER:
        return ProvenanceBadge(
            provenance=Report.Provenance.PLATFORM,
            label=_("Platform-observed"),
            title=_(
                "The platform read this content itself: it was public where it was posted, "
                "and the snapshot is the platform's copy."
            ),
        )
    where = FORWARDED_FROM.get(chat_kind)
    if where is None:
        return ProvenanceBadge(
            provenance=provenance,
            label=_("Reporter-supplied"),
            title=_(
                "The reporter supplied this content; the platform did not observe it, so "
                "nobody but the reporter vouches for it."
            ),
        )
    if chat_kind == ChatKind.SECRET:
        title = _(
            "The reporter forwarded this from an end-to-end encrypted secret chat: the "
            "platform holds no copy and could not observe it, so nobody but the reporter "
            "vouches for it."
        )
    else:
        title = _(
            "The reporter forwarded this from %(where)s; the platform did not observe it "
            "there itself, so nobody but the reporter vouches for it."
        ) % {"where": where}
    return ProvenanceBadge(
        provenance=provenance,
        label=_("Reporter-supplied: forwarded from %(where)s") % {"where": where},
        title=title,
    )

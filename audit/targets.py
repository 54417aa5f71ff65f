"""
What the audit trail's targets are, for people: a name for each kind ("Case", "Legal request"),
a human reference for each target ("LR-2026-00014", "case 123"), a link to its page, and a way to
find events from a reference someone has in hand.

The audit app imports no domain app: each app describes its own target types in an
`audit_targets` module (found by autodiscovery, like `audit_actions`) with `register`. A type
nobody registered still shows, by its model's name when Django knows the model, else its code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import Model

    from accounts.models import User

# ids -> {id: human reference}, one query for all of them.
References = Callable[[list[str]], dict[str, str]]
# what someone typed -> the ids of this type it names (empty: none).
Finder = Callable[[str], list[str]]
CanOpen = Callable[["User | AnonymousUser"], bool]


def field_of(model: type[Model], field: str) -> References:
    """References read from one field of the targets' rows ("name", "reference"...)."""

    def references(ids: list[str]) -> dict[str, str]:
        pks = [int(i) for i in ids if i.isdigit()]
        rows = model._default_manager.filter(pk__in=pks).values_list("pk", field)
        return {str(pk): str(value) for pk, value in rows if value}

    return references


@dataclass(frozen=True)
class TargetKind:
    target_type: str  # the model's label, lower case: "moderation.case"
    label: Any  # "Case" (lazy translation)
    url_name: str = ""  # reversed with the target id as its one argument
    can_open: CanOpen | None = None  # who may follow the link (None: nobody sees a link)
    references: References | None = None
    find: Finder | None = None


_kinds: dict[str, TargetKind] = {}


def register(*kinds: TargetKind) -> None:
    for kind in kinds:
        _kinds[kind.target_type] = kind


def registered() -> dict[str, TargetKind]:
    return dict(_kinds)


def label_for(target_type: str) -> str:
    kind = _kinds.get(target_type)
    if kind is not None:
        return str(kind.label)
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return target_type
    return str(model._meta.verbose_name).capitalize()


def type_choices() -> list[tuple[str, str]]:
    """(type, name) of every registered kind, by name: the trail's target-type filter."""
    return sorted(((t, str(k.label)) for t, k in _kinds.items()), key=lambda c: c[1].lower())


@dataclass(frozen=True)
class ShownTarget:
    type_label: str
    reference: str
    url: str  # "" when there is no page, or the reader may not open it
    code: str  # "moderation.case:12", for the title and for people who want it


def shown_targets(
    pairs: Iterable[tuple[str, str]], *, user: User | AnonymousUser
) -> dict[tuple[str, str], ShownTarget]:
    """How each (type, id) is shown: one reference query per registered type present."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for target_type, target_id in pairs:
        if target_type:
            by_type[target_type].add(target_id)
    shown: dict[tuple[str, str], ShownTarget] = {}
    for target_type, ids in by_type.items():
        kind = _kinds.get(target_type)
        references = kind.references(sorted(ids)) if kind and kind.references else {}
        may_open = bool(kind and kind.url_name and kind.can_open and kind.can_open(user))
        label = label_for(target_type)
        for target_id in ids:
            url = ""
            if may_open and kind is not None and target_id.isdigit():
                try:
                    url = reverse(kind.url_name, args=[int(target_id)])
                except NoReverseMatch:
                    url = ""
            shown[(target_type, target_id)] = ShownTarget(
                type_label=label,
                reference=references.get(target_id) or f"#{target_id}",
                url=url,
                code=f"{target_type}:{target_id}",
            )
    return shown


def find(reference: str) -> list[tuple[str, str]]:
    """Every registered target the typed reference names (a request reference, a case id...)."""
    text = reference.strip()
    if not text:
        return []
    found: list[tuple[str, str]] = []
    for target_type, kind in sorted(_kinds.items()):
        if kind.find is not None:
            found += [(target_type, target_id) for target_id in kind.find(text)]
    return found

"""
The registry of the dashboard's to-do widgets and of the phrases its recent activity uses.

Accounts imports no domain app: each app declares its widgets in its own `dashboard` module
(found by autodiscovery when accounts is ready) with `register`. A widget is shown to a user
only when its permission or predicate says so (deny by default: a widget naming neither is
never shown). Its `items` callable reads in a constant number of queries, since the
dashboard's query count is pinned per role in the tests.

Recent activity is read from the audit trail and told as sentences ("You approved
LR-2026-00014"): apps register a phrase per action code (`register_phrase`); targets are
named and linked by the audit trail's own registry (audit.targets, each app's audit_targets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import auth_failures
from accounts import permissions as account_permissions
from accounts.models import AuthFailureWindow, RoleGrant
from audit import targets as audit_targets
from audit.actions import label_for

if TYPE_CHECKING:
    from accounts.models import User
    from audit.models import AuditEvent

TONES = ("normal", "warn", "danger")


@dataclass(frozen=True)
class TodoItem:
    """One line of a widget: a count (None: not a count), what it counts, where to see them."""

    label: Any
    count: int | None
    url: str = ""
    detail: Any = ""
    tone: str = "normal"  # normal | warn | danger
    age: timedelta | None = None  # how long the oldest of them has waited
    key: str = ""  # stable name for the markup (data-item)

    def __post_init__(self) -> None:
        if self.tone not in TONES:
            raise ValueError(f"tone {self.tone!r} is not one of {TONES}")

    @property
    def age_display(self) -> str:
        return age_text(self.age)

    @property
    def waiting(self) -> bool:
        """Something to do: a positive count, or a line that is not a count at all."""
        return self.count is None or self.count > 0


type ItemsProvider = Callable[["User"], "list[TodoItem] | None"]


@dataclass(frozen=True)
class Widget:
    key: str
    title: Any
    order: int
    items: ItemsProvider
    permission: str | None = None
    predicate: Callable[[User], bool] | None = None

    def allowed(self, user: User) -> bool:
        # Deny by default: a widget that names no rule is shown to nobody.
        if self.permission is None and self.predicate is None:
            return False
        if self.permission is not None and not user.has_perm(self.permission):
            return False
        return self.predicate is None or bool(self.predicate(user))


@dataclass(frozen=True)
class ShownWidget:
    widget: Widget
    items: list[TodoItem]

    @property
    def empty(self) -> bool:
        return not any(item.waiting for item in self.items)


_widgets: dict[str, Widget] = {}


def register(*widgets: Widget) -> None:
    """Add widgets to the dashboard (called from an app's dashboard module)."""
    for widget in widgets:
        _widgets[widget.key] = widget


def registered() -> list[Widget]:
    return sorted(_widgets.values(), key=lambda w: (w.order, w.key))


def widgets_for(user: User) -> list[ShownWidget]:
    """The widgets the user may see, with their items, in dashboard order."""
    shown = []
    for widget in registered():
        if not user.is_active or not widget.allowed(user):
            continue
        items = widget.items(user)
        if items is None:  # the provider has nothing to say to this user
            continue
        shown.append(ShownWidget(widget=widget, items=items))
    return shown


def age_text(age: timedelta | None) -> str:
    """A short human age: "3 d", "5 h", "12 min"."""
    if age is None:
        return ""
    seconds = max(int(age.total_seconds()), 0)
    if seconds >= 86400:
        return gettext("%(n)d d") % {"n": seconds // 86400}
    if seconds >= 3600:
        return gettext("%(n)d h") % {"n": seconds // 3600}
    return gettext("%(n)d min") % {"n": seconds // 60}


def time_left_text(deadline: datetime | None, now: datetime) -> str:
    """How long until a deadline, or how long ago it passed."""
    if deadline is None:
        return ""
    if deadline < now:
        return gettext("overdue by %(age)s") % {"age": age_text(now - deadline)}
    return gettext("%(age)s left") % {"age": age_text(deadline - now)}


# --- accounts' own widget: administrators --------------------------------------------------


def administration_counts(*, now: datetime | None = None) -> dict[str, int]:
    """
    Grants waiting for a second administrator, and accounts and client addresses locked
    out now (a lockout marker touched within the cool-off: each refused attempt renews it).
    Two aggregate queries whatever the number of rows.
    """
    now = now or timezone.now()
    cool_off = timedelta(hours=float(getattr(settings, "AXES_COOLOFF_TIME", 0) or 24))
    locks = AuthFailureWindow.objects.filter(
        kind=auth_failures.LOCKOUT, last_at__gte=now - cool_off
    ).aggregate(
        accounts=Count("key", distinct=True, filter=~Q(username_digest="")),
        addresses=Count("key", distinct=True, filter=Q(username_digest="")),
    )
    return {
        "pending_grants": RoleGrant.objects.filter(status=RoleGrant.Status.PENDING).count(),
        "locked_accounts": locks["accounts"],
        "locked_addresses": locks["addresses"],
    }


def _administrator_items(user: User) -> list[TodoItem]:
    counts = administration_counts()
    return [
        TodoItem(
            key="pending-grants",
            label=_("Role grants waiting for a second administrator"),
            count=counts["pending_grants"],
            url=reverse("admin:accounts_rolegrant_changelist") + "?status__exact=pending",
            tone="warn" if counts["pending_grants"] else "normal",
        ),
        TodoItem(
            key="locked-accounts",
            label=_("Accounts locked out now"),
            count=counts["locked_accounts"],
            url=reverse("admin:accounts_authfailurewindow_changelist") + "?kind__exact=lockout",
            detail=(
                gettext("and %(n)d client addresses") % {"n": counts["locked_addresses"]}
                if counts["locked_addresses"]
                else ""
            ),
            tone="danger" if counts["locked_accounts"] else "normal",
        ),
    ]


register(
    Widget(
        key="administration",
        title=_("Administration"),
        order=900,
        predicate=account_permissions.can_manage_roles,
        items=_administrator_items,
    )
)


# --- recent activity ------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRef:
    """A target told to a human: "LR-2026-00014", "case #12"; `url` opens it ("" if none)."""

    text: str
    url: str = ""


_phrases: dict[str, Any] = {}


def register_phrase(code: str, phrase: Any) -> None:
    """How "You ..." reads for an action code: the verb phrase, e.g. _("approved")."""
    _phrases[code] = phrase


def register_phrases(pairs: Iterable[tuple[str, Any]]) -> None:
    for code, phrase in pairs:
        register_phrase(code, phrase)


@dataclass(frozen=True)
class ActivityLine:
    event: AuditEvent
    text: str  # "You approved"
    target: TargetRef | None = None
    code: str = field(default="")  # the raw action code, for a title attribute only


def _phrase(code: str) -> str:
    phrase = _phrases.get(code)
    if phrase is not None:
        return gettext("You %(phrase)s") % {"phrase": phrase}
    label = label_for(code)
    if label == code:  # an action no longer registered: say so, not the code
        return gettext("You did something no longer described")
    return gettext("You: %(label)s") % {"label": label[:1].lower() + label[1:]}


def activity_lines(events: list[AuditEvent], *, viewer: User) -> list[ActivityLine]:
    """
    The events as sentences, each target named and linked by audit.targets (one query per
    kind of target among them, at most). The viewer's own account goes unnamed: "You signed
    in", not "You signed in Staff account mina".
    """
    own = ("accounts.user", str(viewer.pk))
    shown = audit_targets.shown_targets(
        ((e.target_type, e.target_id) for e in events if (e.target_type, e.target_id) != own),
        user=viewer,
    )

    def ref(event: AuditEvent) -> TargetRef | None:
        target = shown.get((event.target_type, event.target_id))
        if target is None:
            return None
        return TargetRef(f"{target.type_label} {target.reference}", target.url)

    return [
        ActivityLine(event=event, text=_phrase(event.action), target=ref(event), code=event.action)
        for event in events
    ]


register_phrases(
    [
        ("auth.login", _("signed in")),
        ("auth.logout", _("signed out")),
        ("auth.password_changed", _("changed your password")),
        ("auth.reauthenticated", _("confirmed your identity again")),
        ("auth.second_factor_verified", _("confirmed your second factor")),
        ("mfa.totp_enrolled", _("enrolled an authenticator app")),
        ("mfa.passkey_registered", _("registered a passkey")),
        ("role_grant.requested", _("asked for a role grant")),
        ("role_grant.approved", _("approved a role grant")),
        ("role_grant.refused", _("refused a role grant")),
        ("user.created", _("created the account of")),
        ("user.roles_changed", _("changed the roles of")),
        ("user.deactivated", _("deactivated")),
        ("user.reactivated", _("reactivated")),
    ]
)

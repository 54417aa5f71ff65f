"""Targets named by a request: parsed, normalised and resolved to platform accounts."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from disclosures import crypto
from disclosures.models import (
    RequestTarget,
    SubscriberPhone,
)
from disclosures.services.intake.common import (
    ACCOUNT_ID,
    MAX_TARGETS,
    USERNAME,
    CleanedIntake,
    ParsedTarget,
)
from moderation.models import PlatformAccount


def parse_target(line: str, *, region: str | None) -> ParsedTarget:
    """One `kind:value` line in canonical form; raises ValueError with a message."""
    kind, sep, raw = line.partition(":")
    kind, raw = kind.strip().lower(), raw.strip()
    if not sep or kind not in RequestTarget.Kind.values:
        raise ValueError(_("Start the line with account_id:, username: or phone:."))
    if kind == RequestTarget.Kind.ACCOUNT_ID:
        value = raw
        if not ACCOUNT_ID.match(value):
            raise ValueError(_("Not a platform account id."))
    elif kind == RequestTarget.Kind.USERNAME:
        value = raw.removeprefix("@")
        if not USERNAME.match(value):
            raise ValueError(_("Not a username."))
    else:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException as exc:
            raise ValueError(_("Not a phone number.")) from exc
        if not phonenumbers.is_valid_number(number):
            raise ValueError(_("Not a valid phone number."))
        value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return ParsedTarget(kind=kind, value=value, index=crypto.blind_index(value, kind=kind))


def resolve_target(target: ParsedTarget) -> ParsedTarget:
    """Find the platform account(s) the identifier names: exactly one, none, or several."""
    found: QuerySet[Any, tuple[int]]
    if target.kind == RequestTarget.Kind.ACCOUNT_ID:
        found = PlatformAccount.objects.filter(platform_id=target.value).values_list("pk")
    elif target.kind == RequestTarget.Kind.USERNAME:
        found = PlatformAccount.objects.filter(username__iexact=target.value).values_list("pk")
    else:
        found = SubscriberPhone.objects.filter(phone_index=target.index).values_list("account_id")
    ids = sorted({row[0] for row in found[:2]})
    if len(ids) == 1:
        target.account_id, target.resolution = ids[0], RequestTarget.Resolution.UNIQUE
    elif ids:
        target.resolution = RequestTarget.Resolution.AMBIGUOUS
    else:
        target.resolution = RequestTarget.Resolution.NONE
    return target


def targets_clean(lines: tuple[str, ...] | str, region: str | None, out: CleanedIntake) -> None:
    if isinstance(lines, str):
        lines = tuple(lines.splitlines())
    seen: set[tuple[str, str]] = set()
    numbered = [(n, line.strip()) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        out.error("targets", _("Name at least one target (account id, username or phone)."))
        return
    if len(numbered) > MAX_TARGETS:
        out.error(
            "targets",
            _("At most %(max)d targets: a request must name specific accounts.")
            % {"max": MAX_TARGETS},
        )
        return
    for number, line in numbered:
        try:
            target = parse_target(line, region=region)
        except ValueError as exc:
            out.error("targets", _("Line %(n)d: %(problem)s") % {"n": number, "problem": exc})
            continue
        if (target.kind, target.index) in seen:
            continue
        seen.add((target.kind, target.index))
        out.targets.append(target)
    if "targets" in out.errors:
        return
    for target in out.targets:
        resolve_target(target)
    if not any(t.resolution == RequestTarget.Resolution.UNIQUE for t in out.targets):
        out.error("targets", _("No target resolves to exactly one platform account."))


# --- Document --------------------------------------------------------------------------

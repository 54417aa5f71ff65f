"""
Second factors: authenticator apps (TOTP) and single-use recovery codes, on django-otp.

Services here do every write to the devices and record it in the audit trail; no secret, code
or recovery code ever goes into the trail (devices are named by id and kind).
"""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass
from typing import TYPE_CHECKING

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

import audit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "Recovery codes"
DEVICE_KINDS: dict[str, type[Device]] = {
    "totp": TOTPDevice,
    "static": StaticDevice,
    "passkey": WebAuthnCredential,
}


class MfaNotPermitted(PermissionError):
    """The actor may not change another user's second factor."""


class LastFactorRequired(Exception):
    """
    The device is the last passkey or authenticator of a user whose role requires one; only
    an administrator's reset (mfa_reset) removes it.
    """


@dataclass(frozen=True)
class DeviceRow:
    """One of a user's second factors as the overview page lists it."""

    kind: str
    device: Device
    remaining: int | None = None  # recovery codes left, for the static device


def kind_of(device: Device) -> str:
    for kind, model in DEVICE_KINDS.items():
        if isinstance(device, model):
            return kind
    raise TypeError(f"not a second factor of this site: {type(device).__name__}")


# --- Reads -------------------------------------------------------------------------------------


def devices_for(*, user: User) -> list[DeviceRow]:
    """The user's confirmed passkeys, authenticators and recovery code sets, oldest first."""
    rows = [
        DeviceRow("passkey", d)
        for d in WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk")
    ]
    rows += [
        DeviceRow("totp", d)
        for d in TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")
    ]
    for device in StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk"):
        rows.append(DeviceRow("static", device, remaining=device.token_set.count()))
    return rows


def has_passkey(*, user: User | AnonymousUser) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def has_enrolled_factor(*, user: User) -> bool:
    """A passkey or an authenticator app: what a role that requires two steps must have."""
    if has_passkey(user=user):
        return True
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_required(*, user: User) -> bool:
    """Whether the user's roles (or superuser status) make a second factor mandatory."""
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=settings.MFA_REQUIRED_ROLES).exists()


def has_code_factor(*, user: User | AnonymousUser) -> bool:
    """
    Whether the user can answer with a typed code: an authenticator app, or recovery codes
    while some are left (so a user who used them all is not locked out of the password step).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return True
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()


def has_second_factor(*, user: User) -> bool:
    """Whether login and step-up must ask for a second factor as well as the password."""
    return has_code_factor(user=user) or has_passkey(user=user)


def totp_device_pending(*, user: User, device_id: int) -> TOTPDevice | None:
    """The user's own authenticator still waiting for its first code, or None."""
    return TOTPDevice.objects.filter(user=user, pk=device_id, confirmed=False).first()


def totp_qr_svg(*, device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code, drawn here: no script, no outside service."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    return svg[svg.index("<svg") :]


def totp_secret(*, device: TOTPDevice) -> str:
    """The key in base32, grouped by four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def factors_lock(*, user: User) -> None:
    """
    Lock the user's row until the transaction ends: every check of a code and every removal
    of a factor of this user queues behind it. Parallel guesses are then checked one at a
    time, each seeing the lockout and throttling left by the one before.
    """
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()


def verify_second_factor(*, user: User, code: str) -> Device | None:
    """
    The device that accepts the code, or None: a current TOTP code, else an unused recovery
    code (which is used up). django-otp throttles each device after failures and refuses a
    TOTP code that was already accepted once.

    Runs inside a transaction: the devices are read under a row lock, so django-otp's
    failure counter and the used-up codes are updated by one guess at a time, never lost
    to a parallel one.
    """
    code = "".join((code or "").split()).lower()
    if not code or len(code) > 16:
        return None
    if code.isdigit():
        totp_devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
        for device in totp_devices.order_by("pk"):
            if device.verify_token(code):
                return device
        return None
    static_devices = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
    for device in static_devices.order_by("pk"):
        if device.verify_token(code):
            return device
    return None


# --- Writes ------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def totp_device_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator; earlier unfinished ones are dropped."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic(durable=True)
def totp_device_confirm(*, user: User, device_id: int, code: str) -> bool:
    """Confirm the authenticator with a code it shows now; nothing changes on a wrong code."""
    device = (
        TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id, confirmed=False)
    ).first()
    code = "".join((code or "").split())
    if device is None or not code.isdigit() or not device.verify_token(code):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(action="mfa.totp_enrolled", actor=user, target=user, data={"device_id": device.pk})
    return True


@transaction.atomic(durable=True)
def recovery_codes_generate(*, user: User) -> list[str]:
    """Ten fresh single-use codes, replacing any earlier ones; returned once, never shown again."""
    device, _ = StaticDevice.objects.select_for_update().get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    audit.record(
        action="mfa.recovery_codes_generated",
        actor=user,
        target=user,
        data={"device_id": device.pk, "count": len(codes)},
    )
    return codes


@transaction.atomic(durable=True)
def device_remove(*, user: User, kind: str, device_id: int) -> bool:
    """
    Remove one of the user's own devices; False when it is not theirs or does not exist.

    A user whose role requires a second factor cannot remove their last passkey or
    authenticator (LastFactorRequired): a stolen session must not be able to strip the
    account down to its password. Recovery codes alone do not count as that factor. The
    user's row is locked first, so two removals at once cannot each leave the other one.
    """
    model = DEVICE_KINDS.get(kind)
    if model is None:
        return False
    factors_lock(user=user)
    device = model.objects.select_for_update().filter(user=user, pk=device_id).first()
    if device is None:
        return False
    was_confirmed = device.confirmed
    if was_confirmed and kind != "static" and second_factor_required(user=user):
        passkeys = WebAuthnCredential.objects.filter(user=user, confirmed=True)
        apps = TOTPDevice.objects.filter(user=user, confirmed=True)
        if kind == "passkey":
            passkeys = passkeys.exclude(pk=device.pk)
        else:
            apps = apps.exclude(pk=device.pk)
        if not (passkeys.exists() or apps.exists()):
            raise LastFactorRequired
    device.delete()
    if was_confirmed:
        audit.record(
            action="mfa.device_removed",
            actor=user,
            target=user,
            data={"kind": kind, "device_id": device_id},
        )
    return True


@transaction.atomic(durable=True)
def mfa_reset(*, user: User, actor: User) -> int:
    """
    An administrator removes every passkey, authenticator and recovery code of a user who lost
    them.

    Only holders of accounts.manage_roles may do it; a user whose role requires two steps must
    enrol again at their next page view, others have the password-only step-up until they do.
    """
    if not actor.has_perm("accounts.manage_roles"):
        raise MfaNotPermitted
    passkeys = WebAuthnCredential.objects.filter(user=user)
    passkey_count = passkeys.count()
    passkeys.delete()
    totp_devices = TOTPDevice.objects.filter(user=user)
    totp = totp_devices.count()
    totp_devices.delete()
    static = StaticDevice.objects.filter(user=user)
    static_count = static.count()
    static.delete()
    audit.record(
        action="mfa.reset",
        actor=actor,
        target=user,
        data={"totp_devices": totp, "recovery_devices": static_count, "passkeys": passkey_count},
    )
    if actor.pk != user.pk:
        # Whoever resets the factors must not be able to sign in as a privileged account:
        # its roles come back only through grants a second administrator approves.
        from accounts.services_grants import privileged_roles_suspend

        privileged_roles_suspend(user=user, actor=actor, reason="second_factor_reset")
    return totp + static_count + passkey_count

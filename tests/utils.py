from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL=postgres://...; CI runs it there)",
)


def authenticator_for(user):  # type: ignore[no-untyped-def]
    """The user's confirmed authenticator app, created on first use (as enrolment would)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    return device


def current_code(user, device=None) -> str:  # type: ignore[no-untyped-def]
    """
    A code the user's authenticator would show now and the server has not accepted yet.

    django-otp refuses a code whose time step was already used, and accepts one step of drift
    either way; so a test that verifies twice within 30 seconds gets the next step's code.
    """
    import time

    from django_otp.oath import hotp

    device = device or authenticator_for(user)
    device.refresh_from_db()
    # The device looks around now + its recorded drift, which moves with each accepted code.
    centre = int((time.time() - device.t0) // device.step) + device.drift
    # The current step first, then later ones, the earlier ones last: a step behind now
    # expires at the next 30 s boundary, which may fall before the server checks the code.
    later_first = range(centre, centre + device.tolerance + 1)
    for step in [*later_first, *range(centre - device.tolerance, centre)]:
        if step > device.last_t:
            return str(hotp(device.bin_key, step, device.digits)).zfill(device.digits)
    raise AssertionError("every acceptable time step was already used")


def login_verified(client, user):  # type: ignore[no-untyped-def]
    """
    Sign the client in as after the full login: password, then the second step for a user
    who has a second factor or whose role requires one.
    """
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts import mfa, second_factor

    device = None
    if second_factor.required_for(user) or mfa.has_second_factor(user=user):
        device = authenticator_for(user)
    client.force_login(user)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def step_up(client, *, next_url: str = "/", password: str = "correct-horse-42"):  # type: ignore[no-untyped-def]
    """Confirm it is the client's user on the step-up page, with a code when they have one."""
    from django.urls import reverse

    from accounts import mfa
    from accounts.models import User

    user = User.objects.get(pk=client.session["_auth_user_id"])
    data = {"password": password, "next": next_url}
    if mfa.has_code_factor(user=user):
        data["code"] = current_code(user)
    return client.post(reverse("accounts:reauth"), data)


def set_step_up(client, *, age_seconds: int | None):  # type: ignore[no-untyped-def]
    """
    Make the client's last confirmation (step-up) `age_seconds` old, or remove it (None).
    Signing in may itself count as one: this replaces whatever the login left.
    """
    import time

    from accounts import reauth

    session = client.session
    session.pop(reauth.SESSION_KEY, None)
    if age_seconds is not None:
        session[reauth.SESSION_KEY] = int(time.time()) - age_seconds
    session.save()
    return client


def race(*calls: Callable[[], Any], timeout: float = 60.0) -> list[Any]:
    """
    Run the calls at the same instant, each in its own thread, and return what each gave.

    The threads wait behind one `threading.Barrier`, so their transactions really overlap (on
    PostgreSQL: SQLite serialises writers). Each result, in the order of `calls`, is the call's
    return value or the exception it raised; every thread closes its own database connections.
    A call still running after `timeout` seconds fails the test rather than hanging it.
    """
    barrier = threading.Barrier(len(calls), timeout=timeout)
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:  # handed back to the test, which decides
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {len(calls)} racing calls still running after {timeout}s"
    return results


def race_errors(results: list[Any], *refusals: type[BaseException]) -> list[BaseException]:
    """The exceptions among race results that are none of the expected refusals."""
    return [r for r in results if isinstance(r, BaseException) and not isinstance(r, refusals)]


def race_outcomes(
    results: list[Any],
    *,
    refusal: type[BaseException] | tuple[type[BaseException], ...],
    ok: str = "ok",
    refused: str = "refused",
) -> list[str]:
    """
    Name each race result: `ok` for a return, `refused` for the expected refusal, and the
    repr of any other exception, so an assertion on the names shows what went wrong.
    """
    names = []
    for result in results:
        if isinstance(result, refusal):
            names.append(refused)
        elif isinstance(result, BaseException):
            names.append(f"unexpected {result!r}")
        else:
            names.append(ok)
    return names

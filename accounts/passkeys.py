"""
Passkeys (WebAuthn), on django-otp-webauthn: the phishing-resistant second factor.

The package's JSON endpoints are narrowed here to what this site allows:
- a passkey is a second factor only, for a user who already gave their password (no
  passwordless sign-in);
- registering one needs a fresh step-up, like every other change to one's factors, and is
  audited in the same transaction as the new credential;
- every use asks the authenticator for user verification (PIN or biometric), so an accepted
  passkey is both the login's second step and a fresh step-up for approving, releasing and
  unmasking; each success is audited, failures are counted per window like wrong codes
  (accounts.auth_failures). An accepted second step renews the session id.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn_views

import audit
from accounts import reauth, second_factor


class StepUpRequired(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = _("Confirm it is you (reload the page) before adding a passkey.")
    default_code = "step_up_required"


def _require_fresh_step_up(request: Any) -> None:
    if not reauth.is_fresh(reauth.reauthenticated_at(request)):
        raise StepUpRequired()


class RegistrationBegin(webauthn_views.BeginCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> Any:
        _require_fresh_step_up(self.request)
        return super().post(*args, **kwargs)


class RegistrationComplete(webauthn_views.CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> Any:
        _require_fresh_step_up(self.request)
        was_verified = self.request.user.is_verified()
        with transaction.atomic(durable=True):
            response = super().post(*args, **kwargs)
            device_id = json.loads(response.content)["id"]
            audit.record(
                action="mfa.passkey_registered",
                target=self.request.user,
                data={"device_id": device_id},
            )
        if not was_verified:
            # The package marked the session verified with the new passkey (enrolment right
            # after the password): that is its second step, so it gets a new session id.
            self.request.session.cycle_key()
        return response


class VerificationBegin(webauthn_views.BeginCredentialAuthenticationView):
    def post(self, *args: Any, **kwargs: Any) -> Any:
        user = self.get_user()
        if user is None:
            raise exceptions.PasswordlessLoginDisabled()
        data, state = self.get_helper().authenticate_begin(
            user=user, require_user_verification=True
        )
        self.request.session["otp_webauthn_authentication_state"] = state
        return webauthn_views.JsonResponse(data)


class VerificationComplete(webauthn_views.CompleteCredentialAuthenticationView):
    def post(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().post(*args, **kwargs)
        except exceptions.OTPWebAuthnApiError:
            second_factor.passkey_failed(request=self.request)
            raise

    def complete_auth(self, device: Any) -> None:
        # No passwordless sign-in: the package only reaches here for a signed-in user whose
        # own credential answered (it checks the owner), but say so rather than rely on it.
        if not self.request.user.is_authenticated or device.user_id != self.request.user.pk:
            raise exceptions.CredentialUserMismatch()
        second_factor.passkey_verified(request=self.request, device=device)


urlpatterns = [
    path(
        "registration/begin/",
        second_factor.enrolment_view(RegistrationBegin.as_view()),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        second_factor.enrolment_view(RegistrationComplete.as_view()),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        second_factor.second_factor_exempt(VerificationBegin.as_view()),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        second_factor.second_factor_exempt(VerificationComplete.as_view()),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        second_factor.second_factor_exempt(
            JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])
        ),
        name="js-i18n-catalog",
    ),
]

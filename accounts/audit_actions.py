"""The audit actions accounts records (sign-in, MFA, sessions, users, roles, API tokens)."""

from django.utils.translation import gettext_lazy as _

from audit.actions import register_many

register_many(
    [
        ("api_token.issued", _("API token issued")),
        ("api_token.revoked", _("API token revoked")),
        ("auth.locked_out", _("Sign-in locked out")),
        ("auth.login", _("Signed in")),
        ("auth.login_failed", _("Sign-in failed")),
        ("auth.logout", _("Signed out")),
        ("auth.password_changed", _("Password changed")),
        ("auth.reauthenticated", _("Identity confirmed again (step-up)")),
        ("auth.second_factor_failed", _("Second factor failed")),
        ("auth.second_factor_verified", _("Second factor verified")),
        ("auth.session_expired", _("Session expired")),
        ("auth.step_up_failed", _("Step-up confirmation failed")),
        ("mfa.device_removed", _("Second-factor device removed")),
        ("mfa.passkey_registered", _("Passkey registered")),
        ("mfa.recovery_codes_generated", _("Recovery codes generated")),
        ("mfa.reset", _("Second factor reset")),
        ("mfa.totp_enrolled", _("Authenticator app enrolled")),
        ("role.revoked", _("Role revoked")),
        ("role_grant.approved", _("Role grant approved")),
        ("role_grant.cancelled", _("Role grant cancelled")),
        ("role_grant.refused", _("Role grant refused")),
        ("role_grant.requested", _("Role grant requested")),
        ("session.terminated", _("Session terminated")),
        ("user.changed", _("User details changed")),
        ("user.created", _("User created")),
        ("user.deactivated", _("User deactivated")),
        ("user.email_changed", _("User email changed")),
        ("user.enrolment_link_issued", _("Enrolment link issued")),
        ("user.enrolment_link_refused", _("Enrolment link refused")),
        ("user.enrolment_link_used", _("Enrolment link used")),
        ("user.password_set", _("User password set")),
        ("user.reactivated", _("User reactivated")),
        ("user.roles_changed", _("User roles changed")),
        ("user.staff_changed", _("User staff flag changed")),
        ("user.superuser_changed", _("User superuser flag changed")),
    ]
)

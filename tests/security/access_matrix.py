"""
Who may GET which URL: one row per named URL pattern, one column per role.

A new URL fails tests/security/test_access_matrix.py until it has a row here, so nobody
adds a page without deciding who may see it. Outcomes:

- ``ok``: 200, a 302 to somewhere other than a login page, or 405 for a POST-only URL;
- ``forbidden``: 403; ``not_found``: 404 ("missing" and "forbidden" look the same);
- ``login``: a 302 to the login page (the dashboard's or the admin's);
- ``unauthorized``: 401, the bearer-token API.

URL arguments name objects that exist (see the ``objects`` fixture), except
``package_id``: no release package is built (that takes a full four-eyes approval), so
the download URL names a missing package and answers 404 to those who may download.
``request_document`` likewise: the request has no uploaded document.

GET on a POST-only URL answers 405 whoever asks, so those rows (``post_only()``) only
say that the URL needs a login; who may POST is tested with each view.
"""

from __future__ import annotations

OK = "ok"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
LOGIN = "login"
UNAUTHORIZED = "unauthorized"

ROLES = ("anonymous", "moderator", "senior", "legal", "approver", "auditor", "administrator")
_STAFF = ROLES[1:]


def allow(*roles: str, others: str = FORBIDDEN, anonymous: str = LOGIN, **special: str):
    """A row: `roles` get ok, the other signed-in roles `others`, anonymous `anonymous`."""
    row = {role: (OK if role in roles else others) for role in _STAFF}
    row["anonymous"] = anonymous
    row.update(special)
    return row


def everyone(outcome: str = OK, anonymous: str = LOGIN):
    return allow(*_STAFF, anonymous=anonymous) if outcome == OK else allow(others=outcome)


def api(anonymous: str = UNAUTHORIZED):
    """The bearer-token API ignores sessions: every role answers like anonymous."""
    return {role: anonymous for role in ROLES}


MOD = ("moderator", "senior")
LEGAL = ("legal", "approver")


def post_only():
    return everyone()


AUDIT = ("auditor", "administrator")

MATRIX: dict[str, dict[str, str]] = {
    # Public, and why.
    "healthz": everyone(anonymous=OK),  # load balancers probe it; says only ok/unavailable
    "language_set": everyone(anonymous=OK),  # POST-only (405 to GET), open before sign-in
    # What /healthz does not say (which check failed, why, how long each took).
    "system_status": allow("administrator"),
    # Public keys (no secret): outsiders check packages and audit exports against them.
    "public_keys:page": everyone(anonymous=OK),
    "public_keys:json": everyone(anonymous=OK),
    "public_keys:audit_log": everyone(anonymous=OK),
    "public_keys:disclosure_packages": everyone(anonymous=OK),
    "accounts:login": everyone(anonymous=OK),
    # A one-time link's page, where an account's owner sets their password: nobody is signed
    # in yet. The token decides, and an unknown one gets the same form (see the view).
    "accounts:enrol": everyone(anonymous=OK),
    # Every signed-in user: their own account.
    "dashboard": everyone(),
    "accounts:reauth": everyone(),
    "accounts:logout": post_only(),
    "accounts:password_change": everyone(),
    "accounts:preferences": everyone(),
    "accounts:mfa": everyone(),
    "accounts:mfa_device_remove": post_only(),
    "accounts:mfa_totp_add": everyone(),
    # Confirming needs a device being enrolled, kept in the session: none here.
    "accounts:mfa_totp_confirm": everyone(NOT_FOUND),
    "accounts:mfa_recovery_codes": everyone(),
    # The login's second step; a verified user is sent straight on.
    "accounts:verify": everyone(),
    # Passkey ceremonies (JSON, POST only) and their script's translations.
    "otp_webauthn:credential-registration-begin": post_only(),
    "otp_webauthn:credential-registration-complete": post_only(),
    "otp_webauthn:credential-authentication-begin": post_only(),
    "otp_webauthn:credential-authentication-complete": post_only(),
    "otp_webauthn:js-i18n-catalog": everyone(),
    # The bearer-token API: sessions do not count; POST-only endpoints answer 405 to GET.
    "api:api-root": api(NOT_FOUND),
    "api:openapi-json": api(OK),  # documentation, no data
    "api:statements_list": api(UNAUTHORIZED),
    "api:reports_submit": api(OK),
    "api:appeals_submit": api(OK),
    "api:subscriber_data_import": api(OK),
    "api:media_upload": api(OK),
    "api:media_detail": api(UNAUTHORIZED),
    # Audit trail: auditors, and administrators (who verify the log's integrity).
    "audit:events": allow(*AUDIT),
    "audit:event": allow(*AUDIT),
    "audit:event_proof": allow(*AUDIT),
    "audit:consistency_proof": allow(*AUDIT),
    "audit:integrity": allow(*AUDIT),
    "audit:verify_now": post_only(),
    # Moderation.
    "moderation:home": allow(*MOD),
    "moderation:profile": allow(*MOD),
    # Exposure to graphic material per moderator: seniors only (counts, never content).
    "moderation:exposure": allow("senior"),
    "moderation:claim_next": post_only(),
    # Legal roles open a case only when it was escalated to them: this one was not.
    "moderation:case": allow(*MOD, legal=NOT_FOUND, approver=NOT_FOUND),
    "moderation:case_claim": post_only(),
    "moderation:case_decide": post_only(),
    "moderation:case_escalate": post_only(),
    "moderation:case_heartbeat": post_only(),
    "moderation:case_release": post_only(),
    "moderation:media_reveal": post_only(),
    # The report in the matrix came without media: 404 to those who may open the case; the
    # legal roles may not open this case (it was not escalated to them) and also get 404.
    "moderation:media_rendition": allow(
        moderator=NOT_FOUND, senior=NOT_FOUND, legal=NOT_FOUND, approver=NOT_FOUND
    ),
    # The original as received: senior moderators and legal officers only (recorded).
    "moderation:media_original": allow(senior=NOT_FOUND, legal=NOT_FOUND),
    "moderation:legal_escalations": allow("senior", *LEGAL),
    "moderation:appeals": allow("senior"),
    "moderation:appeal": allow("senior"),
    "moderation:appeal_decide": post_only(),
    "moderation:appeal_stats": allow("senior"),
    # Redirects to an appeal, or to the list when none waits.
    "moderation:appeal_next": allow("senior"),
    "moderation:bulk_jobs": allow("senior"),
    "moderation:bulk_job": allow("senior"),
    "moderation:bulk_new": allow("senior"),
    # Hash banks: senior moderators curate them. No bank exists in the matrix's objects, so
    # a bank's pages answer 404 to the senior moderator who may open them.
    "signals:banks": allow("senior"),
    "signals:bank_new": allow("senior"),
    "signals:bank": allow(senior=NOT_FOUND),
    "signals:bank_settings": allow(senior=NOT_FOUND),
    "signals:bank_import": allow(senior=NOT_FOUND),
    "signals:hash_disable": post_only(),
    "signals:hash_enable": post_only(),
    "signals:bank_it": post_only(),
    # Legal requests: officers prepare, approvers approve; nobody else sees them.
    "disclosures:home": allow(*LEGAL),
    "disclosures:request_next": allow(*LEGAL),
    "disclosures:approvals": allow("approver"),
    "disclosures:request_new": allow("legal"),
    "disclosures:request": allow(*LEGAL),
    "disclosures:request_review": allow(*LEGAL),
    "disclosures:request_release": allow(*LEGAL),
    # No document was uploaded with this request.
    "disclosures:request_document": allow(legal=NOT_FOUND, approver=NOT_FOUND),
    # The request in the matrix was not closed as "no records found".
    "disclosures:request_no_records_letter": allow(legal=NOT_FOUND),
    "disclosures:request_acknowledge": post_only(),
    "disclosures:request_nondisclosure_review": post_only(),
    "disclosures:request_approve": post_only(),
    "disclosures:request_reject": post_only(),
    "disclosures:request_check": post_only(),
    "disclosures:request_clarify": post_only(),
    "disclosures:request_close": post_only(),
    "disclosures:request_close_no_records": post_only(),
    "disclosures:request_refuse": post_only(),
    "disclosures:request_resume": post_only(),
    "disclosures:request_start_review": post_only(),
    "disclosures:request_withdraw": post_only(),
    "disclosures:request_reopen": post_only(),
    "disclosures:scope_submit": post_only(),
    "disclosures:hold_place": post_only(),
    "disclosures:hold_extend": post_only(),
    "disclosures:hold_release": post_only(),
    "disclosures:package_build": post_only(),
    "disclosures:package_release": post_only(),
    # The package is deliberately missing: 404 to the officer who may download.
    "disclosures:package_download": allow(legal=NOT_FOUND),
    "disclosures:authorities": allow(*LEGAL),
    "disclosures:authority": allow(*LEGAL),
    "disclosures:authority_new": allow("legal"),
    "disclosures:authority_edit": allow("legal"),
    "disclosures:authority_contact_add": post_only(),
    "disclosures:authority_status": post_only(),
    "disclosures:subscribers": allow(*LEGAL),
    "disclosures:subscriber": allow(*LEGAL),
    "disclosures:subscriber_unmask": post_only(),
    "disclosures:transparency": allow(*LEGAL, "auditor"),
    "disclosures:transparency_export": allow(*LEGAL, "auditor"),
    # Reporters (report floods, muting): senior moderators, who may mute. A reporter's page is
    # reached through one of their reports (the matrix's report has a reporter).
    "moderation:reporter": allow("senior"),
    "moderation:reporter_mute": post_only(),
    "moderation:reporter_unmute": post_only(),
    "moderation:reporters_muted": allow("senior"),
    # Near-duplicate groups: who works the queue. No group exists in the matrix: 404 to them.
    "signals:groups": allow(*MOD),
    "signals:group": allow(moderator=NOT_FOUND, senior=NOT_FOUND),
    # Governed automation: moderators see the detectors and rules and review the sample;
    # changes (POST, senior moderators with a fresh step-up) are tested with each view.
    "signals:detectors": allow(*MOD),
    "signals:detector_mode": post_only(),
    "signals:automation": allow(*MOD),
    "signals:automation_rule": post_only(),
    "signals:reviews": allow(*MOD),
    "signals:review": post_only(),
    # The classifier's models: who sees detectors. No model version exists in the matrix: its
    # evaluation page answers 404 to them. "Retrain now" (POST) is for senior moderators.
    "signals:models": allow(*MOD),
    "signals:model": allow(moderator=NOT_FOUND, senior=NOT_FOUND),
    "signals:models_retrain": post_only(),
    # The search policy: senior moderators only (it acts on every user's searches); the feed
    # is the bearer-token API. Removals (POST) are tested with each view.
    "search_policy:home": allow("senior"),
    "search_policy:entities": allow("senior"),
    "search_policy:review": allow("senior"),
    "search_policy:term_new": allow("senior"),
    "search_policy:entity_new": allow("senior"),
    "search_policy:term_remove": post_only(),
    "search_policy:entity_relist": post_only(),
    "api:search_policy_feed": api(UNAUTHORIZED),
    "search_policy:allowed": allow("senior"),
    "search_policy:allowed_new": allow("senior"),
    "search_policy:allowed_remove": post_only(),
    "api:search_policy_public_key": api(UNAUTHORIZED),
    # Moderator tools: notes are added (POST) on cases and appeals, tested with each view;
    # reply templates are maintained by senior moderators (the matrix has one template).
    "moderation:case_note_add": post_only(),
    "moderation:appeal_note_add": post_only(),
    "moderation:reply_templates": allow("senior"),
    "moderation:reply_template_new": allow("senior"),
    "moderation:reply_template_edit": allow("senior"),
    "moderation:reply_template_deactivate": post_only(),
    # Moderation transparency report: no report 1 exists, so who may look gets a 404.
    "moderation:transparency": allow("senior", "legal"),
    "moderation:transparency_report": allow(senior=NOT_FOUND, legal=NOT_FOUND),
    "moderation:transparency_publish": post_only(),
    "moderation:transparency_csv": allow(senior=NOT_FOUND, legal=NOT_FOUND),
    "moderation:transparency_json": allow(senior=NOT_FOUND, legal=NOT_FOUND),
    # Team metrics: seniors and administrators. The walk's chart "x" is no chart: a 404.
    "moderation:metrics": allow("senior", "administrator"),
    "moderation:metrics_csv": allow(senior=NOT_FOUND, administrator=NOT_FOUND),
    # Public (published versions only, aggregates only): no login for anyone.
    "transparency:moderation": everyone(anonymous=OK),
    "transparency:moderation_report": allow(others=NOT_FOUND, anonymous=NOT_FOUND),
    "transparency:moderation_csv": allow(others=NOT_FOUND, anonymous=NOT_FOUND),
    "transparency:moderation_json": allow(others=NOT_FOUND, anonymous=NOT_FOUND),
}

# Django admin: summarised by a rule (admin_row) rather than one row per model URL.
ADMIN_NAMESPACE = "admin:"

# What the Administrator may open in the admin: users, groups, role grant requests, API
# tokens and the audit trail, read-only where adding or deleting would bypass a service.
# Every other model page is 403 to them; every other role is sent to the admin's login page.
ADMIN_OPEN = {
    "accounts_user": ("changelist", "change", "add"),
    # Dual control: request a privileged role (add), approve or refuse one (change).
    "accounts_rolegrant": ("changelist", "change", "add"),
    "auth_group": ("changelist", "change"),
    "accounts_apitoken": ("changelist", "change"),
    "audit_auditevent": ("changelist", "change"),
}


def _admin_only(outcome: str) -> dict[str, str]:
    return allow(others=LOGIN, administrator=outcome)


ADMIN_SPECIAL: dict[str, dict[str, str]] = {
    "admin:login": everyone(anonymous=OK),
    "admin:logout": post_only(),
    "admin:index": _admin_only(OK),
    "admin:jsi18n": _admin_only(OK),
    "admin:password_change": _admin_only(OK),
    "admin:password_change_done": _admin_only(OK),
    "admin:autocomplete": _admin_only(FORBIDDEN),  # no field to complete
    # Pages for objects or apps that do not exist here.
    "admin:app_list": _admin_only(NOT_FOUND),
    "admin:view_on_site": _admin_only(NOT_FOUND),
    "admin:auth_user_password_change": _admin_only(NOT_FOUND),
    "admin/(?P<url>.*)$": _admin_only(NOT_FOUND),
}


def admin_row(key: str) -> dict[str, str]:
    """The rule for the `admin:` namespace, which has one URL per model and view."""
    if key in ADMIN_SPECIAL:
        return ADMIN_SPECIAL[key]
    if key.startswith("admin/"):  # unnamed: the admin's redirects from old change URLs
        return _admin_only(OK)
    model, _, view = key.removeprefix(ADMIN_NAMESPACE).rpartition("_")
    if view == "history":  # the object ("x") does not exist: a redirect to the index
        return _admin_only(OK)
    return _admin_only(OK if view in ADMIN_OPEN.get(model, ()) else FORBIDDEN)

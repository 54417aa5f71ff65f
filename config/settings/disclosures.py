"""
The legal-disclosure workflow's settings: keys, packages, deadlines, preservation, approvals.
Imported by `base`; values marked with env_int/env_str can be overridden from the environment.
"""

from __future__ import annotations

from config.env import env_int, env_str

# --- Disclosures ----------------------------------------------------------------------------
# Fernet keys, comma-separated: the first encrypts, all decrypt (rotation). Empty: derived
# from SECRET_KEY (development only; production requires real keys).
FIELD_ENCRYPTION_KEYS = env_str("FIELD_ENCRYPTION_KEYS") or ""
BLIND_INDEX_KEY = env_str("BLIND_INDEX_KEY") or ""
DISCLOSURE_SIGNING_KEY = env_str("DISCLOSURE_SIGNING_KEY") or ""
DISCLOSURE_SIGNING_KEY_FILE = env_str("DISCLOSURE_SIGNING_KEY_FILE") or ""
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
PACKAGE_MAX_DOWNLOADS = env_int("PACKAGE_MAX_DOWNLOADS", 3)
PACKAGE_RETENTION_DAYS = env_int("PACKAGE_RETENTION_DAYS", 30)
# A non-disclosure order without an end date is confirmed again every this many days.
NONDISCLOSURE_REVIEW_DAYS = env_int("NONDISCLOSURE_REVIEW_DAYS", 90)
# Service levels in hours for instruments without a legal deadline.
DISCLOSURE_SLA_HOURS = {
    "epoc": 240,  # Reg. 2023/1543 Art. 10(3): 10 days
    "epoc_pr": 24,
    "us_2703f": 72,
    "dsa_art10": 72,
    "us_subpoena": 336,
    "us_2703d": 336,
    "us_warrant": 240,
    "us_emergency": 8,
    "fr_60_1": 72,
    "fr_77_1_1": 72,
    "fr_99_3": 72,
    "mlat": 720,
    "other": 240,
}
# Unmasks not tied to an open request, per user per hour; past it: refused, and an alarm.
PII_UNMASK_HOURLY_LIMIT = env_int("PII_UNMASK_HOURLY_LIMIT", 10)
# Preservation holds: initial length and each extension (EPOC-PR: 60 days, Reg. 2023/1543
# Art. 11(1), extendable by 30; US §2703(f): 90 days, extendable by 90), reminder lead time.
PRESERVATION_DAYS = {"epoc_pr": 60, "us_2703f": 90}
PRESERVATION_EXTENSION_DAYS = {"epoc_pr": 30, "us_2703f": 90}
PRESERVATION_REMINDER_DAYS = env_int("PRESERVATION_REMINDER_DAYS", 7)
# Subscriber IP records older than this are purged (daily), except those under a hold.
SUBSCRIBER_IP_RETENTION_DAYS = env_int("SUBSCRIBER_IP_RETENTION_DAYS", 365)
EMERGENCY_DEADLINE_HOURS = 8  # Reg. 2023/1543 Art. 10(4)
EMERGENCY_APPROVALS = env_int("EMERGENCY_APPROVALS", 2)
STANDARD_APPROVALS = env_int("STANDARD_APPROVALS", 1)
REAUTH_MAX_AGE_SECONDS = 5 * 60
SUBSCRIBER_DATA_SOURCE = (
    env_str("SUBSCRIBER_DATA_SOURCE") or "disclosures.subscriber.DatabaseSource"
)

"""
Moderation's settings: the platform it serves, claims, appeals, bulk work, reported media,
exposure and evidence retention. Imported by `base`;
values marked with env_int/env_str can be overridden from the environment.
"""

from __future__ import annotations

from config.env import env_int, env_str

# --- Moderation -----------------------------------------------------------------------------
# The platform's public terms of service, cited in statements of reasons.
PLATFORM_TERMS_URL = env_str("PLATFORM_TERMS_URL") or "https://platform.example/terms"
# Where enforcement actions and notices are POSTed; empty: deliveries are recorded only.
PLATFORM_WEBHOOK_URL = env_str("PLATFORM_WEBHOOK_URL") or ""
PLATFORM_WEBHOOK_SECRET = env_str("PLATFORM_WEBHOOK_SECRET") or ""
# A claim is a lease: idle for this long, the case goes back to the queue.
CASE_CLAIM_LEASE_MINUTES = env_int("CASE_CLAIM_LEASE_MINUTES", 15)
APPEAL_WINDOW_DAYS = env_int("APPEAL_WINDOW_DAYS", 183)  # DSA Art. 20: at least six months
BULK_MAX_CASES = env_int("BULK_MAX_CASES", 500)
INTAKE_MAX_BATCH = 500
QUEUE_PAGE_SIZE = 25

# Reported media (POST /api/v1/media): the largest file accepted per kind. Both stay under
# MAX_REQUEST_BODY_BYTES, which the middleware enforces before anything is read.
MEDIA_MAX_BYTES = {
    "image": env_int("MEDIA_MAX_IMAGE_BYTES", 10 * 1024 * 1024),
    "video": env_int("MEDIA_MAX_VIDEO_BYTES", 19 * 1024 * 1024),
}
# Exposure to graphic material: reveals of guarded media and decisions in these categories
# count per moderator; past the soft cap within the last hour, "claim next" skips these
# categories until the hour's count falls back under it.
EXPOSURE_GRAPHIC_CATEGORIES = ("child_safety", "terrorism", "ncii", "violence_threats")
EXPOSURE_SOFT_CAP_PER_HOUR = env_int("EXPOSURE_SOFT_CAP_PER_HOUR", 30)
# The longest reported video accepted, read from its container (MP4, QuickTime): "short".
MEDIA_MAX_VIDEO_SECONDS = env_int("MEDIA_MAX_VIDEO_SECONDS", 180)
# The most pixels a reported image may decode to (a 10 MB file can claim far more: about
# 4 bytes of memory per pixel while renditions and PDQ are computed).
MEDIA_MAX_PIXELS = env_int("MEDIA_MAX_PIXELS", 50_000_000)
# How long evidence (the report's snapshot, its thread context and its media file) is kept
# after the case's decision, in days, by category and outcome; "default" covers the rest.
# Evidence of an account under a legal hold, of a case with an open appeal or escalated to
# the legal team is kept whatever these say (moderation.services.retention).
EVIDENCE_RETENTION_DAYS: dict[str, dict[str, int]] = {
    "default": {"no_violation": 90, "violation": 365},
    # US 18 U.S.C. 2258A(h): reported child sexual abuse material is preserved for a year.
    "child_safety": {"no_violation": 365, "violation": 365},
    "terrorism": {"no_violation": 180, "violation": 730},
}
# Private groups and channels: once this many message cases from one of them are active,
# they roll up into one group-level case (moderation.services.rollup).
ROLLUP_MIN_CASES = env_int("ROLLUP_MIN_CASES", 3)
# The search policy feed's Ed25519 signing key (search_policy.signing): base64 of the 32-byte
# private key, or a file holding it; development falls back to a key derived from SECRET_KEY.
SEARCH_POLICY_SIGNING_KEY = env_str("SEARCH_POLICY_SIGNING_KEY") or ""
SEARCH_POLICY_SIGNING_KEY_FILE = env_str("SEARCH_POLICY_SIGNING_KEY_FILE") or ""

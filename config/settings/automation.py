"""
Settings of the automatic tools (the signals app) and of flood handling at intake. Imported
by `base`; every value can be overridden from the environment where it says so.
"""

from __future__ import annotations

from config.env import env_int

# --- The classifier that learns from decisions (signals.classifier) -------------------------
# Retrained on this schedule (beat), and only for a category with enough labelled decisions
# on both sides; a new version replaces the active one only if it does at least as well on
# the held-out decisions.
CLASSIFIER_RETRAIN_HOURS = env_int("CLASSIFIER_RETRAIN_HOURS", 24)
CLASSIFIER_MIN_EXAMPLES = env_int("CLASSIFIER_MIN_EXAMPLES", 40)
CLASSIFIER_MIN_PER_CLASS = env_int("CLASSIFIER_MIN_PER_CLASS", 10)
# The share of the newest decisions kept out of training to evaluate on (time-based split).
CLASSIFIER_HOLDOUT_PERCENT = env_int("CLASSIFIER_HOLDOUT_PERCENT", 25)
# The precision a category's operating threshold must reach on held-out decisions.
CLASSIFIER_TARGET_PRECISION_PERCENT = env_int("CLASSIFIER_TARGET_PRECISION_PERCENT", 90)

# --- Near-duplicate groups (signals.neardup) -------------------------------------------------
# Texts join a group at this estimated Jaccard similarity (char 5-gram shingles, MinHash with
# 128 permutations); images at this PDQ distance or closer.
NEARDUP_TEXT_THRESHOLD_PERCENT = env_int("NEARDUP_TEXT_THRESHOLD_PERCENT", 70)
NEARDUP_TEXT_MIN_CHARS = env_int("NEARDUP_TEXT_MIN_CHARS", 40)
NEARDUP_PDQ_THRESHOLD = env_int("NEARDUP_PDQ_THRESHOLD", 31)

# --- Governed automation (signals.governance) ------------------------------------------------
# Score bands (lower bounds, 0-100) in which precision is measured from moderators' decisions.
AUTOMATION_SCORE_BANDS = (0, 50, 70, 80, 90, 95)

# --- Report floods at intake (moderation.services.intake) ------------------------------------
# A subject cleared as "no violation" stays out of the queue this many days on new reports
# alone: they are stored and counted on the cleared case...
FLOOD_QUIET_DAYS = env_int("FLOOD_QUIET_DAYS", 7)
# ...unless more than this many new distinct reporters arrive (or a more severe category, a
# trusted flagger or an authority).
FLOOD_REOPEN_REPORTERS = env_int("FLOOD_REOPEN_REPORTERS", 5)

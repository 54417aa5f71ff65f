"""Moderation's work the relay hands out again: bulk jobs no worker is running."""

from moderation.services.bulk import bulk_jobs_relay
from outbox.relay import register

register("moderation.bulk_jobs", bulk_jobs_relay)

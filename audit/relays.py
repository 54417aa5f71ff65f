"""The audit trail's work the relay hands out again: verification runs no worker holds."""

from audit.verification import verifications_relay
from outbox.relay import register

register("audit.verifications", verifications_relay)

"""The outbox's own relay: deliveries still pending after their grace period, or due a retry."""

from outbox.relay import register
from outbox.services import deliveries_relay

register("outbox.deliveries", deliveries_relay)

"""Notifications, exactly once (docs/cases.md): a change writes its message in its own transaction
(`notify`), and the worker's relay sends it through a gateway, retrying with backoff, until it is
delivered or dead; the delivery id every attempt carries makes a repeated one a no-op at the gateway."""
from komek.cases.notifications.outbox import STATES, counts, listing, notify, retry
from komek.cases.notifications.texts import TEMPLATES

__all__ = ["STATES", "TEMPLATES", "counts", "listing", "notify", "retry"]

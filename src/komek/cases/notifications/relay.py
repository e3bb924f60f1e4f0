"""The relay: inside `komek worker`, it claims due notifications, sends each through the gateway
and marks it delivered; a failed attempt waits twice as long as the one before (with jitter, so
workers retrying together spread out) up to a ceiling, and after the last attempt allowed, or at
once when the gateway says another attempt cannot succeed, the notification is dead.

A notification is sent only while its claim has at least the gateway's timeout left, so a claim
never lapses while its send may still be under way; when the worker stops, the claims it has not
sent are released. A worker killed mid-send leaves its claims to lapse: another worker claims them
after the lease and sends them again with the same delivery id, which the gateway takes once.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
from dataclasses import dataclass

from komek.cases.notifications import outbox
from komek.cases.notifications.gateways import Failed, Gateway, gateway
from komek.errors import FieldError
from komek.kz import phone as phones
from komek.settings import Settings

BATCH = 50           # notifications claimed at once
POLL = 1.0           # seconds between looks when none is due
log = logging.getLogger("komek.notifications")


@dataclass(frozen=True)
class Policy:
    attempts: int                    # attempts before a notification is dead
    backoff: float                   # seconds before the first retry
    backoff_max: float               # the longest wait
    lease: float                     # seconds a claim holds

    @classmethod
    def of(cls, cfg: Settings) -> Policy:
        return cls(cfg.notify_attempts, cfg.notify_backoff, cfg.notify_backoff_max, cfg.notify_lease)

    def wait(self, attempt: int) -> dt.timedelta:
        """The wait after failed attempt `attempt` (1, 2, ...): half to all of backoff × 2^(attempt - 1), at most backoff_max."""
        ceiling = min(self.backoff * 2 ** min(attempt - 1, 60), self.backoff_max)
        return dt.timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Relay:
    """Delivers the outbox of one database through one gateway."""

    def __init__(self, cfg: Settings, gate: Gateway | None = None, policy: Policy | None = None):
        self.url, self.gateway = cfg.database, gate or gateway(cfg)
        self.policy = policy or Policy.of(cfg)
        self.name = worker_name()
        if self.policy.lease <= self.gateway.timeout:
            raise FieldError("KOMEK_NOTIFY_LEASE", f"a claim must outlast a send: more than the {self.gateway.name} "
                                                   f"gateway's timeout of {self.gateway.timeout:g} s")

    def step(self, stop: threading.Event | None = None) -> int:
        """Claim a batch of due notifications and send them; how many were claimed."""
        lease = dt.timedelta(seconds=self.policy.lease)
        batch = outbox.claim(self.url, self.name, BATCH, lease)
        for i, d in enumerate(batch):
            left = (d.until - dt.datetime.now(dt.UTC)).total_seconds()
            if (stop is not None and stop.is_set()) or left < self.gateway.timeout:
                outbox.release(self.url, batch[i:])
                break
            self.send(d)
        return len(batch)

    def send(self, d: outbox.Delivery) -> None:
        try:
            self.gateway.send(d)
        except Failed as e:
            self._failed(d, str(e), e.retryable)
        except Exception as e:        # a gateway's own fault: retried, and said
            log.exception("notification %s: the %s gateway failed", d.id, self.gateway.name)
            self._failed(d, f"{type(e).__name__}: {e}", True)
        else:
            if not outbox.delivered(self.url, d):
                log.warning("notification %s: sent, but its claim had passed to another worker", d.id)

    def _failed(self, d: outbox.Delivery, error: str, retryable: bool) -> None:
        last = not retryable or d.attempt >= self.policy.attempts
        state = outbox.failed(self.url, d, error, None if last else self.policy.wait(d.attempt))
        if state == "dead":
            log.error("notification %s to %s (%s): dead after attempt %d: %s", d.id, phones.mask(d.phone), d.about,
                      d.attempt, error)
        elif state == "pending":
            log.warning("notification %s (%s): attempt %d failed, retried later: %s", d.id, d.about, d.attempt, error)

    def run(self, stop: threading.Event, once: bool = False) -> None:
        """Deliver until `stop` is set; with `once`, until none is due. A database that cannot be
        reached is tried again after a pause."""
        log.info("relaying notifications through the %s gateway", self.gateway.name)
        while not stop.is_set():
            try:
                claimed = self.step(stop)
            except Exception:
                if once:
                    raise
                log.exception("notifications: the outbox could not be read; trying again")
                stop.wait(POLL * 10)
                continue
            if not claimed:
                if once:
                    return
                stop.wait(POLL)

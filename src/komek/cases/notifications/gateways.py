"""Gateways: where the relay hands a notification over. Each takes a Delivery and either returns
(taken) or raises `Failed` saying whether another attempt may succeed. Every attempt of a
notification carries its delivery id, so a gateway that has taken it once takes it again as a
no-op: a relay that crashed after sending and before marking it delivered sends it again, and
the person gets one message.

- `FileSink` (the default, KOMEK_SMS_GATEWAY=file): one JSON line per delivery appended to
  DATA_DIR/notifications/sent.jsonl, and a log line with the phone and IIN masked.
- `HttpSms` (KOMEK_SMS_GATEWAY=http): a POST to the provider at KOMEK_SMS_URL with the bearer
  token KOMEK_SMS_TOKEN and the delivery id as the Idempotency-Key header.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

from komek.cases.notifications.outbox import Delivery
from komek.errors import FieldError
from komek.kz import phone as phones
from komek.kz.iin import mask
from komek.settings import Settings

log = logging.getLogger("komek.notifications")


class Failed(Exception):
    """An attempt that did not hand the notification over; `retryable` when another may."""

    def __init__(self, reason: str, retryable: bool):
        self.retryable = retryable
        super().__init__(reason)


class Gateway(Protocol):
    name: str
    timeout: float          # the longest one send may take, seconds

    def send(self, d: Delivery) -> None:
        """Hand `d` over (nothing when its delivery id was taken before), or raise Failed."""


class FileSink:
    """Appends one JSON line per delivery id to `path`, once. Workers in several processes share
    the file under an exclusive lock: each keeps the ids it has read and, holding the lock, reads
    what others appended since, drops a torn last line (its writer was killed mid-write, before
    the notification could be marked delivered), then appends and syncs its own."""
    name = "file"
    timeout = 1.0            # a local append and fsync

    def __init__(self, path: Path):
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sent: set[str] = set()
        self._read = 0
        self._lock = threading.Lock()

    def send(self, d: Delivery) -> None:
        with self._lock, open(self.path, "a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                self._catch_up(f)
                if d.delivery_id in self._sent:
                    log.info("%s already sent (%s): not sent again", d.delivery_id, d.about)
                    return
                line = json.dumps({"delivery_id": d.delivery_id, "sent": dt.datetime.now(dt.UTC).isoformat(),
                                   "channel": d.channel, "phone": d.phone, "language": d.language,
                                   "template": d.template, "about": d.about, "text": d.text}, ensure_ascii=False)
                f.write(line.encode() + b"\n")
                f.flush()
                os.fsync(f.fileno())
                self._read = f.tell()
                self._sent.add(d.delivery_id)
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        log.info("sms %s to %s (%s, person %s, %s): %d characters", d.delivery_id, phones.mask(d.phone),
                 d.about, mask(d.iin) or "not named", d.language, len(d.text))

    def _catch_up(self, f) -> None:
        f.seek(self._read)
        new = f.read()
        complete = new[:new.rfind(b"\n") + 1]
        if len(complete) < len(new):                 # a torn line: no notification was marked for it
            f.truncate(self._read + len(complete))
        for line in complete.splitlines():
            self._sent.add(json.loads(line)["delivery_id"])
        self._read += len(complete)
        f.seek(0, os.SEEK_END)


RETRYABLE = {408, 425, 429}          # and every 5xx: the provider may take it later


class HttpSms:
    """An SMS provider over HTTP: POST {to, text, delivery_id} as JSON with the delivery id as the
    Idempotency-Key header (a provider answers a repeated key with its first answer). 2xx is
    taken; 5xx, 408, 425, 429, a timeout or no connection may succeed later; any other 4xx
    will not (a number the provider refuses, a text too long)."""
    name = "http"

    def __init__(self, url: str, token: str | None, timeout: float):
        self.url, self._token, self.timeout = url, token, timeout

    def send(self, d: Delivery) -> None:
        body = json.dumps({"to": d.phone, "text": d.text, "delivery_id": d.delivery_id}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": d.delivery_id}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as e:
            retryable = e.code >= 500 or e.code in RETRYABLE
            raise Failed(f"the SMS provider answered {e.code} {e.reason}", retryable) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise Failed(f"the SMS provider could not be reached: {reason}", True) from None
        log.info("sms %s to %s (%s, person %s): taken by the provider", d.delivery_id, phones.mask(d.phone), d.about,
                 mask(d.iin) or "not named")


def gateway(cfg: Settings) -> Gateway:
    """The gateway the settings name."""
    if cfg.sms_gateway == "http":
        if not cfg.sms_url or not cfg.sms_url.startswith(("http://", "https://")):
            raise FieldError("KOMEK_SMS_URL", "the SMS provider's http(s) address is required with KOMEK_SMS_GATEWAY=http")
        return HttpSms(cfg.sms_url, cfg.sms_token.get_secret_value() if cfg.sms_token else None, cfg.sms_timeout)
    return FileSink(Path(cfg.data_dir).resolve() / "notifications" / "sent.jsonl")

"""Fees paid for a hold, through a provider: the interface and the sandbox provider.

A provider creates a payment for an amount and gives a reference (and where the person pays);
it later calls back, signed, to say the payment was made or failed; and it refunds. The
sandbox is a provider with no bank behind it, for development and tests: its references and
refund references are derived from what they are for (so a retried call gives the same one),
and its callbacks are JSON bodies signed with HMAC-SHA256 over the raw body under a secret
from the settings (`KOMEK_PAYMENT_SECRET`).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Protocol

from komek.errors import FieldError, SignInError
from komek.settings import Settings

SIGNATURE = "X-Sandbox-Signature"       # the header the sandbox signs its callbacks in
OUTCOMES = ("paid", "failed")


@dataclass(frozen=True)
class Created:
    reference: str
    pay_url: str


@dataclass(frozen=True)
class Callback:
    """What a provider's callback says: the payment (its reference), paid or failed, for how much."""
    reference: str
    outcome: str
    amount_tiyn: int


class Provider(Protocol):
    name: str

    def create(self, payment_key: str, amount_tiyn: int, purpose: str) -> Created: ...

    def refund(self, reference: str, amount_tiyn: int, refund_key: str) -> str: ...

    def callback(self, body: bytes, signature: str | None) -> Callback: ...


@dataclass(frozen=True)
class Sandbox:
    """The sandbox provider: no money moves, everything else is as with a real one."""
    secret: str
    name: str = "sandbox"

    def _derive(self, kind: str, key: str) -> str:
        return f"sbx_{kind}_" + hmac.new(self.secret.encode(), f"{kind}:{key}".encode(), hashlib.sha256).hexdigest()[:32]

    def create(self, payment_key: str, amount_tiyn: int, purpose: str) -> Created:
        reference = self._derive("pay", payment_key)
        return Created(reference, f"sandbox://pay/{reference}?amount_tiyn={amount_tiyn}")

    def refund(self, reference: str, amount_tiyn: int, refund_key: str) -> str:
        return self._derive("refund", refund_key)

    def sign(self, body: bytes) -> str:
        return hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()

    def pay(self, reference: str, amount_tiyn: int, outcome: str = "paid") -> tuple[bytes, str]:
        """The callback the sandbox sends when the person pays (or fails to): the body and its signature."""
        body = json.dumps({"reference": reference, "outcome": outcome, "amount_tiyn": amount_tiyn}).encode()
        return body, self.sign(body)

    def callback(self, body: bytes, signature: str | None) -> Callback:
        """The callback read, once its signature is right; a refusal naming what is wrong otherwise."""
        if not signature or not hmac.compare_digest(self.sign(body), signature):
            raise SignInError(f"the callback's {SIGNATURE} is missing or wrong")
        try:
            sent = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise FieldError("(body)", "not JSON") from None
        if not isinstance(sent, dict):
            raise FieldError("(body)", "a JSON object with reference, outcome and amount_tiyn")
        reference, outcome, amount = sent.get("reference"), sent.get("outcome"), sent.get("amount_tiyn")
        if not isinstance(reference, str) or not reference:
            raise FieldError("reference", "required: the payment's reference")
        if outcome not in OUTCOMES:
            raise FieldError("outcome", f"one of: {', '.join(OUTCOMES)}")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise FieldError("amount_tiyn", "a positive whole number of tiyn")
        return Callback(reference, outcome, amount)


def provider(cfg: Settings) -> Provider:
    """The provider the settings give: the sandbox, signing with `KOMEK_PAYMENT_SECRET` (another
    provider is an adapter with these three calls)."""
    return Sandbox(cfg.payment_key())

"""Phone numbers in Kazakhstan's numbering plan, for SMS: +7 and ten digits, the first a 7
(Kazakhstan's codes, mobile and geographic, begin with 7; +7 9.. is Russia). A landline passes
here and is refused by the SMS provider."""
from __future__ import annotations

import re

from komek.errors import FieldError


def normalize(text: str, field: str = "phone") -> str:
    """A number as written (+7 701 234 56 78, 8 (701) 234-56-78, 701 234 5678) in E.164: +77012345678."""
    if not isinstance(text, str) or re.search(r"[^\d\s()+\-.]", text):
        raise FieldError(field, "a phone number is digits, spaces, brackets and dashes (+7 7XX XXX XX XX)")
    digits = re.sub(r"\D", "", text)
    if len(digits) == 10:                                       # without the country code
        digits = "7" + digits
    elif len(digits) == 11 and digits[0] == "8" and "+" not in text:   # the trunk prefix 8 dialled at home
        digits = "7" + digits[1:]
    if len(digits) != 11 or not digits.startswith("77"):
        raise FieldError(field, f"{mask(text) if len(digits) > 4 else text!r} is not a Kazakhstan number (+7 7XX XXX XX XX)")
    return "+" + digits


def mask(phone: str | None) -> str | None:
    """A number for logs and lists: the country code and the last two digits."""
    if phone is None:
        return None
    digits = re.sub(r"\D", "", phone)
    return "+7" + "*" * max(len(digits) - 3, 0) + digits[-2:]

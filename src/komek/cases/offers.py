"""Proactive offers as data (offers.yaml): the events a newer extract may show and the measures
each may entitle to, the words a family replies with, and the reply's reading. The service
(services.offers) finds the events, computes the entitlements and records the answers."""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

from komek.errors import ParameterError

STATES = ("sent", "not_sent", "accepted", "declined", "lapsed")
OPEN = ("sent", "not_sent")             # waiting for the family's answer
CHANNELS = ("sms", "web")


@cache
def data() -> dict:
    return yaml.safe_load(files(__package__).joinpath("offers.yaml").read_text("utf-8"))


def events() -> dict[str, dict]:
    """Event kind -> its label, how it is read, its tables and the measures it may entitle to."""
    return data()["events"]


def check(benefits: tuple[str, ...] | list[str]) -> None:
    """Every measure an event names is a measure of the standard."""
    for kind, event in events().items():
        for m in event["measures"]:
            if m not in benefits:
                raise ParameterError(f"offers.yaml: event {kind} names {m!r}, not a measure of the standard")


def purpose(measure: str, month: str) -> str:
    return data()["purpose"].format(measure=measure, month=month)


def new_code(taken: set[str]) -> str:
    """A random code of `code_digits` digits not among `taken` (the codes of open offers)."""
    digits = data()["code_digits"]
    while (code := f"{secrets.randbelow(10 ** digits):0{digits}d}") in taken:
        pass
    return code


def reply_text(code: str, language: str) -> str:
    """What the SMS asks the family to reply: YES 123456, ИӘ 123456, ДА 123456."""
    return f"{data()['reply_word'][language]} {code}"


@dataclass(frozen=True)
class Reply:
    answer: str | None      # "yes", "no", or None: not understood
    code: str | None


def _words(kind: str) -> set[str]:
    return {unicodedata.normalize("NFC", w).casefold() for w in data()["replies"][kind]}


def read(text: str) -> Reply:
    """A reply as the family typed it: a yes or no word (any case, Latin or Cyrillic), then the code."""
    digits = data()["code_digits"]
    found = re.fullmatch(rf"\W*(\w+?)[\W_]*(\d{{{digits}}})\W*", unicodedata.normalize("NFC", text or ""))
    if found is None:
        return Reply(None, None)
    word, code = found.group(1).casefold(), found.group(2)
    if word in _words("yes"):
        return Reply("yes", code)
    if word in _words("no"):
        return Reply("no", code)
    return Reply(None, code)

"""The texts of notifications: one template per kind of message, its English text the message id
of the catalogs `locale/<lang>/LC_MESSAGES/notifications.po` (kk, ru), filled with the values the
writer gives and formatted in the language's locale by Babel. The text is made once, when the
notification is written, and stored: what is sent is what was written.

A template's placeholders are its values: each must be given and known (missing is unknown, and
a message does not guess), and nothing else may be. Dates are said in the language (5 декабря
2026 г.), an amount to the tiyn, a `measure` by its name in the standard's catalog; any other
text is put in as given. To add a template: its text here, then its translation in both catalogs
(tests/test_notifications.py checks that every template is translated with the same placeholders).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from string import Formatter
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from komek.errors import FieldError
from komek.kz.catalogs import LANGUAGES, N_, translations
from komek.kz.catalogs import translations as standard_words
from komek.kz.summary import MEASURES

DOMAIN = "notifications"
ZONE = ZoneInfo("Asia/Almaty")     # one time zone for the whole country since 1 March 2024 (UTC+5)

TEMPLATES = {
    "application_received": N_("Komek: your application {application} ({measure}) was received on {date}. "
                               "Decision by: {due}."),
    "application_granted": N_("Komek: application {application} ({measure}) is granted: {amount} tenge a month "
                              "from {start}."),
    "application_refused": N_("Komek: application {application} ({measure}) is refused. The decision and its "
                              "reasons are at your local office. Appeal by: {appeal_by}."),
    "application_needs_information": N_("Komek: application {application} ({measure}) needs more information: "
                                        "{asked}. The decision's term waits until it is given."),
    "application_withdrawn": N_("Komek: application {application} ({measure}) is withdrawn."),
    "application_reopened": N_("Komek: the decision on application {application} ({measure}) is being reviewed "
                               "again; the payment it assigned stops. You will be told of the new decision."),
    "appeal_received": N_("Komek: your appeal {appeal} was received on {date}. Decision by: {due}."),
    "appeal_decided": N_("Komek: your appeal {appeal} is decided: {outcome}. The decision and its reasons are at "
                         "your local office."),
    "offer": N_("Komek: your family may be entitled to: {measure}. To apply, reply {reply} to this message. "
                "Valid until: {due}."),
    "offer_accepted": N_("Komek: your consent is received. {measure} is assigned: {amount} tenge, application "
                         "{application}."),
    "offer_declined": N_("Komek: you declined the offer of {measure}. You may still apply at any time."),
    "appointment_booked": N_("Komek: your appointment: {when}, {place}."),
    "appointment_reminder": N_("Komek: a reminder of your appointment: {when}, {place}."),
    "appointment_hold_expired": N_("Komek: the time you held ({when}, {place}) was not confirmed in time and is "
                                   "released."),
    "appointment_cancelled": N_("Komek: your appointment is cancelled: {when}, {place}."),
    "appointment_fee_refunded": N_("Komek: the fee of {amount} tenge is refunded: {reason}."),
    "request_received": N_("Komek: your request {request} ({category}) was received on {date}. Answer by: {due}."),
    "request_repeat": N_("Komek: your request {request} ({category}) was received on {date}. The same problem was raised before (request {first}): you will be told of each step. Answer by: {due}."),
    "request_in_progress": N_("Komek: your request {request} ({category}) is being worked on."),
    "request_answered": N_("Komek: your request {request} ({category}) is answered: {note}"),
    "request_resolved": N_("Komek: the problem of your request {request} ({category}) is resolved. If it is not, the request may be reopened until: {until}."),
    "request_closed": N_("Komek: your request {request} ({category}) is closed."),
    "request_rejected": N_("Komek: your request {request} ({category}) is refused: {note}"),
    "request_withdrawn": N_("Komek: your request {request} ({category}) is withdrawn."),
    "request_reopened": N_("Komek: your request {request} ({category}) is open again and being worked on."),
}


@cache
def placeholders(template: str) -> tuple[str, ...]:
    """The values a template needs, in the order its text uses them."""
    return tuple(dict.fromkeys(f for _, f, _, _ in Formatter().parse(TEMPLATES[template]) if f))


def _said(name: str, value, lang: str) -> str:
    if value is None:
        raise FieldError(f"values.{name}", "not known: a notification says only what is known")
    if name == "measure":
        if value not in MEASURES:
            raise FieldError("values.measure", f"unknown measure {value!r} (one of {', '.join(MEASURES)})")
        return standard_words(lang).gettext(MEASURES[value])
    if isinstance(value, dt.datetime):
        local = value.astimezone(ZONE) if value.tzinfo else value
        return f"{format_date(local, 'long', locale=lang)}, {format_time(local, 'short', locale=lang)}"
    if isinstance(value, dt.date):
        return format_date(value, "long", locale=lang)
    if isinstance(value, bool | float):          # a float is not an exact amount
        raise FieldError(f"values.{name}", "a text, a whole number, an exact amount (Decimal) or a date")
    if isinstance(value, Decimal | int):         # an amount to the tiyn, a whole one without
        return format_decimal(value, "#,##0" if value == int(value) else "#,##0.00", locale=lang)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise FieldError(f"values.{name}", "a text, a whole number, an exact amount (Decimal) or a date")


def render(template: str, values: dict, lang: str) -> str:
    """The text of a template in a language, with its values; an error names the value that is wrong."""
    if template not in TEMPLATES:
        raise FieldError("template", f"unknown template {template!r} (one of {', '.join(TEMPLATES)})")
    if lang not in LANGUAGES:
        raise FieldError("language", f"unknown language {lang!r} (one of {', '.join(LANGUAGES)})")
    if not isinstance(values, dict):
        raise FieldError("values", "the template's values by name")
    needed = placeholders(template)
    for name in needed:
        if name not in values:
            raise FieldError(f"values.{name}", f"required by the template {template}")
    for name in values:
        if name not in needed:
            raise FieldError(f"values.{name}", f"not in the template {template} (its values: {', '.join(needed)})")
    text = translations(lang, "komek.cases.notifications", DOMAIN).gettext(TEMPLATES[template])
    text = text.format(**{name: _said(name, values[name], lang) for name in needed})
    text = re.sub(r"\.\.(?=\s|$)", ".", text)        # a sentence ending in an abbreviation (2026 г.) takes one period
    return re.sub("[\u00a0\u202f]", " ", text)       # CLDR's no-break spaces show as boxes on older phones

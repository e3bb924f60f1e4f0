"""The pages' languages: Kazakh, Russian and English, chosen per user (a cookie, switched on every
page; the browser's Accept-Language until then). The web's own messages are in
`locale/<lang>/LC_MESSAGES/web.po` (English is the message id), compiled at run time as the
summary's are (`komek.kz.catalogs`); numbers, money and dates are formatted in the language's
locale by Babel."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from importlib.resources import files

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape

from komek.cases.deadlines import KAZAKHSTAN
from komek.cases.requests import label as category
from komek.kz import region_name
from komek.kz.catalogs import LANGUAGES, N_, translations
from komek.kz.citations import cite
from komek.kz.iin import mask
from komek.kz.summary import MEASURES

COOKIE = "komek_lang"
DEFAULT = "kk"
NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}     # each language named in itself
STATES = {"submitted": N_("Submitted"), "in_review": N_("In review"), "needs_information": N_("Information asked"),
          "approved": N_("Approved"), "rejected": N_("Rejected"), "withdrawn": N_("Withdrawn"),
          # an appeal's
          "filed": N_("Filed"), "decided": N_("Decided"),
          # a citizen request's
          "received": N_("Received"), "in_progress": N_("In progress"), "answered": N_("Answered"),
          "resolved": N_("Resolved"), "closed": N_("Closed")}
# What a caseworker's move does, said on its button.
MOVES = {"in_review": N_("Take into review"), "approved": N_("Approve"), "rejected": N_("Reject"),
         "needs_information": N_("Ask for information"), "withdrawn": N_("Withdraw")}
OUTCOMES = {"upheld": N_("Upheld: the decision is changed in the appellant's favour"),
            "partly_upheld": N_("Partly upheld: the decision is changed in part"),
            "rejected": N_("Rejected: the decision stands"), "withdrawn": N_("Withdrawn by the appellant")}
# What a move of a citizen request does, said on its choice.
REQUEST_MOVES = {"in_progress": N_("Take it up"), "answered": N_("Answer"), "resolved": N_("Resolved"),
                 "rejected": N_("Refuse"), "closed": N_("Close"), "withdrawn": N_("Withdraw")}
FLAGS = {"nearly_due": N_("Nearly due"), "overdue": N_("Overdue"), "in_time": N_("In time")}
# The roles of accounts (komek.access): on the administrator's pages, in a history and in the access log a citizen reads.
ACCOUNT_ROLES = {"citizen": N_("Citizen"), "caseworker": N_("Caseworker"), "supervisor": N_("Supervisor"),
                 "auditor": N_("Auditor"), "analyst": N_("Analyst"), "administrator": N_("Administrator")}
ROLES = {"head": N_("head"), "spouse": N_("spouse"), "parent": N_("parent"), "child": N_("child"), "other": N_("other member")}


def chosen(cookie: str | None, accept: str | None) -> str:
    """The language of the cookie, else the first of Accept-Language the pages speak, else Kazakh."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def gettext(lang: str):
    """The web's catalog of `lang`, falling back to the summary's (measure names) for a message it lacks."""
    web = translations(lang, "komek.web", "web")
    rules = translations(lang)
    return lambda message: web.gettext(message) if web.gettext(message) != message else rules.gettext(message)


def money(value, lang: str) -> str:
    """Tenge with two decimals in the locale's digits and separators (None: not known)."""
    if value is None:
        return gettext(lang)("not known")
    return f"{format_decimal(Decimal(str(value)), '#,##0.00', locale=lang)} ₸"


def percent(value, lang: str) -> str:
    """A share as a percent with one decimal in the locale's format (None: not known)."""
    if value is None:
        return gettext(lang)("not known")
    return format_percent(value, "#,##0.0%", locale=lang)


def day(value, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value, "medium", locale=lang)
    return format_date(value, "long", locale=lang)


def moment(value, lang: str) -> str:
    """A moment (a slot's start, a read of the access log) on Kazakhstan's clock, to the minute; a naive one is UTC."""
    if value is None:
        return ""
    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    when = (when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when).astimezone(KAZAKHSTAN)
    return f"{format_date(when, 'long', locale=lang)}, {format_time(when, 'short', locale=lang)}"


@cache
def environment(lang: str) -> Environment:
    """The templates of one language: its catalog installed, its formats as filters."""
    env = Environment(loader=FileSystemLoader(str(files("komek.web").joinpath("templates"))),
                      autoescape=select_autoescape(["html"]), extensions=["jinja2.ext.i18n"], trim_blocks=True,
                      lstrip_blocks=True)
    say = gettext(lang)
    env.install_gettext_callables(say, lambda s, p, n: say(s if n == 1 else p), newstyle=True)
    env.filters.update(money=lambda v: money(v, lang), percent=lambda v: percent(v, lang), day=lambda v: day(v, lang),
                       moment=lambda v: moment(v, lang), number=lambda v: format_decimal(v, locale=lang),
                       measure=lambda m: say(MEASURES.get(m, m)), state=lambda s: say(STATES.get(s, s)),
                       move=lambda s: say(MOVES.get(s, s)), flag=lambda f: say(FLAGS.get(f, f)) if f else "",
                       role=lambda r: say(ROLES.get(r, r)), outcome=lambda o: say(OUTCOMES.get(o, o)) if o else "",
                       request_move=lambda m: say(REQUEST_MOVES.get(m, m)), category=lambda c: category(c, lang),
                       cite=lambda r: cite(r, lang) if r else "", mask=mask, region=lambda c: region_name(c, lang),
                       account_role=lambda r: say(ACCOUNT_ROLES.get(r, r)))
    env.globals.update(lang=lang, languages=NAMES)
    return env

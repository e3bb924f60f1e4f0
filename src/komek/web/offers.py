"""A citizen's offers: each measure the rules found them entitled to after an event in the
registry, its amount and until when it can be answered; consenting or declining online, the
consent record keeping the text the page showed, the time and the channel (web). The same
answer sent twice is applied once (the service's); an offer past its reply-by day says so."""
from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from komek.cases import deadlines
from komek.cases.offers import OPEN
from komek.errors import Conflict, FieldError
from komek.kz.catalogs import N_
from komek.kz.summary import MEASURES
from komek.services import offers
from komek.web import i18n, session
from komek.web.citizen import citizen
from komek.web.pages import client, language, render

router = APIRouter(prefix="/my")
# What the citizen answers, shown beside its button and kept with the consent as shown.
TEXTS = {"yes": N_("I consent: %(measure)s of %(amount)s for %(month)s is assigned to my family on the registry's data."),
         "no": N_("I decline: %(measure)s of %(amount)s for %(month)s is not assigned.")}
# The event each offer follows (cases/offers.yaml's labels) and where an offer stands, in the page's words.
EVENTS = {"birth": N_("A child born"), "disability": N_("A disability assigned"),
          "fourth_child": N_("A fourth child under 18 in the family"),
          "low_income": N_("The family's income fell below the poverty line")}
STATES = {"sent": N_("Waiting for your answer"), "not_sent": N_("Waiting for your answer"), "accepted": N_("Consented"),
          "declined": N_("Declined"), "lapsed": N_("Lapsed")}
ANSWERED = {"lapsed": N_("This offer could be answered until %(day)s: it has lapsed. Apply for the measure instead."),
            "other": N_("This offer was already answered otherwise: nothing was changed."),
            "choose": N_("Choose to consent or to decline.")}


def texts(offer: dict, lang: str) -> dict[str, str]:
    """The consent and the refusal of one offer, in the page's language."""
    say = i18n.gettext(lang)
    values = {"measure": say(MEASURES.get(offer["measure"], offer["measure"])), "amount": i18n.money(offer["amount"], lang),
              "month": offer["month"]}
    return {answer: say(text) % values for answer, text in TEXTS.items()}


def _listing(request: Request, actor) -> list[dict]:
    found = offers.listing(actor, request.app.state.settings.database, offers.MAX_PAGE, client(request))["items"]
    today, lang = deadlines.today(), language(request)
    for o in found:
        o["lapsed"] = o["state"] == "lapsed" or (o["state"] in OPEN and today.isoformat() > o["reply_by"])
        o["open"] = o["state"] in OPEN and not o["lapsed"]
        o["texts"] = texts(o, lang)
    return found


def _page(request: Request, actor, status: int = 200, **values):
    return render(request, "offers.html", status=status, actor=actor, items=_listing(request, actor), events=EVENTS,
                  states=STATES, **{"answered": None, "refused": {}, **values})


@router.get("/offers")
def mine(request: Request, answered: int | None = None):
    return _page(request, citizen(request), answered=answered)


@router.post("/offers/{offer_id}")
def answer(request: Request, offer_id: int, answer: str = Form(""), csrf: str = Form("")):
    session.check_csrf(request, csrf)
    actor, lang = citizen(request), language(request)
    say = i18n.gettext(lang)
    shown = next((o for o in _listing(request, actor) if o["id"] == offer_id), None)
    # Not the citizen's own, or no such offer: the service refuses it (and logs the refusal).
    text = shown["texts"].get(answer, "") if shown else "-"
    try:
        offers.consent(actor, request.app.state.settings.database, offer_id, answer, text, client(request))
    except FieldError:                 # neither button: nothing to record
        return _page(request, actor, status=422, refused={offer_id: say(ANSWERED["choose"])})
    except Conflict:
        why = say(ANSWERED["lapsed"]) % {"day": i18n.day(shown["reply_by"], lang)} if shown["lapsed"] else say(ANSWERED["other"])
        return _page(request, actor, status=409, refused={offer_id: why})
    return RedirectResponse(f"/my/offers?answered={offer_id}#offer-{offer_id}", status_code=303)

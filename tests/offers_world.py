"""What the citizen's offers, appointments and access-log pages need beyond the web world: offers
as a scan makes them (services.offers; tests/test_offers.py makes them from two extracts), free
slots a caseworker of the region adds, and a second citizen who takes a slot meanwhile."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from itertools import count

from komek import access
from komek.kz import iin as iins
from komek.registry.db import session
from komek.registry.models import Offer
from komek.services import appointments

BIRTH = Decimal(38 * 4325)          # the birth benefit: 38 MCI of 2026, a first to third child
KZ = dt.timezone(dt.timedelta(hours=5))
_codes = count(100001)


def offer(url: str, iin: str, household: str, region: str, reply_by: dt.date, state: str = "sent") -> int:
    """An offer of the birth benefit for October 2026 to `iin`, open until `reply_by`: its id."""
    code = f"{next(_codes):06d}"
    with session(url) as s:
        o = Offer(event_kind="birth", event_key=f"birth:{iin}:{code}", event_date=dt.date(2026, 10, 1), iin=iin,
                  household_id=household, region_code=region, measure="birth_benefit", month="2026-10",
                  amount_tiyn=int(BIRTH * 100), explanation=json.dumps({"summary": ["A child was born on 1 October 2026."]}),
                  rules_version="komek", extract_as_of=dt.date(2026, 11, 1), code=code, phone=None, language="kk",
                  state=state, why_not_sent="no phone is known", created=dt.datetime.now(dt.UTC), reply_by=reply_by)
        s.add(o)
        s.flush()
        return o.id


def slots(url: str, region: str, n: int, service: str = "mse_exam") -> tuple[list[dict], str]:
    """`n` free slots of `service` in `region` five days from now, an hour apart from 10:00 in
    Kazakhstan: the slots and their day."""
    day = (dt.datetime.now(KZ) + dt.timedelta(days=5)).date()
    case = access.Actor(-9, "slots", "caseworker", (region,))
    made = [appointments.add_slot(case, url, service, "MSE department", region,
                                  dt.datetime.combine(day, dt.time(10 + i), KZ), 30, None)[0] for i in range(n)]
    return made, day.isoformat()


def neighbour(url: str, name: str = "neighbour") -> access.Actor:
    """Another citizen, who takes a slot meanwhile."""
    made = next(i for n in range(500, 900) if (i := iins.make(dt.date(1985, 3, 14), "M", n)))
    return access.add(url, name, "correct horse battery", "citizen", iin=made)

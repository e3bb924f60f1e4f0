"""The world the web tests share: a small synthetic extract in a registry database, a citizen
whose family the rules give TSA, caseworkers of its region and of another, an auditor, and how a
test client signs in through the pages (the CSRF token read from the form, as a browser does)."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from fastapi.testclient import TestClient

from conftest import fresh_database
from komek import access
from komek.api import create_app
from komek.errors import NotFound
from komek.kz import registry_inputs
from komek.registry import db
from komek.services.card import card
from komek.services.extracts import generate_extract, ingest_extract
from komek.services.sources import source
from komek.settings import Settings
from komek.settings import settings as komek_settings

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parents[1]
ON = dt.date(2026, 10, 31)
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@contextmanager
def build(kind: str, tmp) -> Iterator[dict]:
    """The world in a fresh database of `kind`, dropped afterwards."""
    extract = tmp / "extract"
    generate_extract(extract, 300, 11, dt.date(2026, 11, 1), 12, irregularities=0.03)
    with fresh_database(kind, tmp) as url:
        db.migrate(url)
        ingest_extract(extract, komek_settings(data_dir=tmp / "data", database_url=url))
        registry = source(extract)
        living = registry_inputs.households_on(registry_inputs.tables_of(registry), ON).collect().sort("household_id")
        members = pl.read_parquet(extract / "households.parquet").filter(pl.col("to_date").is_null())
        single = members.group_by("iin").len().filter(pl.col("len") == 1)["iin"]
        members = members.filter(pl.col("iin").is_in(single.implode()))
        family = next(f for hid in living["household_id"].to_list() if (f := _caseworkers_measure(registry, hid)))
        region = family[1]["region_code"]
        other = living.filter(pl.col("region_code") != region)
        citizen = members.filter(pl.col("household_id") == family[0]).sort("iin")["iin"][0]
        actors = {"citizen": access.add(url, "citizen", PASSWORD, "citizen", iin=citizen),
                  "case": access.add(url, "case", PASSWORD, "caseworker", (region,)),
                  "elsewhere": access.add(url, "elsewhere", PASSWORD, "caseworker", (other["region_code"][0],)),
                  "auditor": access.add(url, "auditor", PASSWORD, "auditor")}
        app = create_app(Settings(data_dir=tmp / "data", database_url=url, secret_key="w" * 40))
        yield {"url": url, "db": source(database=url), "app": app, "actors": actors, "citizen": citizen,
                 "household": family[0], "card": family[1], "region": region, "other_household": other["household_id"][0]}


def _caseworkers_measure(registry, hid: str) -> tuple[str, dict] | None:
    """(household, its card) when the rules give it TSA, which a caseworker decides (cases/decisions.yaml)."""
    try:
        seen = card(registry, hid, ON)
    except NotFound:            # in the registry, but not living on the date
        return None
    return (hid, seen) if any(e["measure"] == "tsa" for e in seen["entitlements"]) else None


def token(page: str) -> str:
    return CSRF.search(page).group(1)


def signed_in(world: dict, username: str, lang: str | None = None) -> TestClient:
    """A browser-like client of `username`, signed in through the sign-in page."""
    client = TestClient(world["app"], follow_redirects=False)
    if lang:
        client.cookies.set("komek_lang", lang)
    form = client.get("/signin")
    answer = client.post("/signin", data={"username": username, "password": PASSWORD, "next": "/",
                                          "csrf": token(form.text)})
    assert answer.status_code == 303, answer.text
    return client

"""The administrator's pages, the language kept per account, sessions renewed and ended, and no
English left on the translated pages. On SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from komek import access
from komek.kz import iin, regions
from komek.registry.db import session
from komek.registry.models import AccessEntry, Account, Application
from komek.services import accounts, applications
from komek.web import session as web_session
from komek.web.i18n import STATES
from web_world import PASSWORD, ROOT, build, signed_in, token

VALID_IIN = next(i for n in range(1, 20) if (i := iin.make(dt.date(1990, 1, 1), "F", n)))
WRONG_IIN = VALID_IIN[:-1] + str((int(VALID_IIN[-1]) + 1) % 10)     # its check digit wrong


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    with build(request.param, tmp_path_factory.mktemp("admin")) as made:
        made["actors"]["admin"] = access.add(made["url"], "admin", PASSWORD, "administrator")
        yield made


def logged(world, *where) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(AccessEntry).where(*where))


def stored(world, username: str) -> Account:
    with session(world["url"]) as s:
        a = s.scalar(select(Account).where(Account.username == username))
        s.expunge(a)
        return a


def test_the_accounts_list_shows_every_account_with_role_regions_and_state(world):
    admin = signed_in(world, "admin", "ru")
    assert admin.get("/").headers["location"] == "/admin/accounts"
    page = admin.get("/admin/accounts").text
    with session(world["url"]) as s:
        usernames = s.scalars(select(Account.username)).all()
    assert f": {len(usernames)}<" in page and all(f">{u}</a>" in page for u in usernames)
    assert regions()[world["region"]]["name_ru"] in page                  # the region's name in Russian
    assert "Специалист" in page and world["citizen"] not in page            # the role named; the citizen's IIN masked
    assert world["citizen"][-4:] in page
    # Nobody else may: the page and the service refuse alike, and the refusal is logged.
    refused = logged(world, AccessEntry.allowed.is_(False), AccessEntry.actor == "case")
    assert signed_in(world, "case").get("/admin/accounts").status_code == 403
    with pytest.raises(Exception, match="administrator"):
        accounts.listing(world["actors"]["case"], world["url"])
    assert logged(world, AccessEntry.allowed.is_(False), AccessEntry.actor == "case") == refused + 2


def test_an_account_is_added_with_its_errors_beside_the_fields_and_the_password_drawn_shown_once(world):
    admin = signed_in(world, "admin", "ru")
    form = admin.get("/admin/accounts/new").text
    assert "Акмолинская" in form and 'value="71"' in form
    wrong = admin.post("/admin/accounts/new", data={"csrf": token(form), "username": "aigerim", "role": "citizen",
                                                    "iin": WRONG_IIN, "language": "kk"})
    assert wrong.status_code == 422 and "aigerim" not in [a["username"] for a in access.list_accounts(world["url"])]
    page = wrong.text
    assert f'id="iin" name="iin" value="{WRONG_IIN}"' in page and 'id="username" name="username" value="aigerim"' in page
    assert page.index('id="iin"') < page.index('id="iin-error"') < page.index('id="language"')
    assert 'aria-invalid="true" aria-describedby="iin-error iin-hint"' in page and "ИИН" in page
    assert '<option value="citizen" selected>' in page and '<option value="kk" lang="kk" selected>' in page
    no_region = admin.post("/admin/accounts/new", data={"csrf": token(form), "username": "daulet", "role": "caseworker"})
    assert no_region.status_code == 422 and 'id="region-error"' in no_region.text
    before = logged(world, AccessEntry.actor == "admin")
    made = admin.post("/admin/accounts/new", data={"csrf": token(form), "username": "aigerim", "role": "citizen",
                                                   "iin": VALID_IIN, "language": "kk"})
    assert made.status_code == 201
    drawn = re.search(r'<code id="password">([^<]+)</code>', made.text).group(1)
    assert access.authenticate(world["url"], "aigerim", drawn).iin == VALID_IIN
    assert stored(world, "aigerim").language == "kk" and drawn not in admin.get("/admin/accounts").text
    assert logged(world, AccessEntry.actor == "admin", AccessEntry.role == "administrator",
                  AccessEntry.subject_iin == VALID_IIN, AccessEntry.what.like("account aigerim added%")) == 1
    assert logged(world, AccessEntry.actor == "admin") == before + 1
    taken = admin.post("/admin/accounts/new", data={"csrf": token(form), "username": "aigerim", "role": "auditor"})
    assert taken.status_code == 422 and 'id="username-error"' in taken.text
    forged = admin.post("/admin/accounts/new", data={"csrf": "0" * 64, "username": "forged", "role": "auditor"})
    assert forged.status_code == 403 and "forged" not in [a["username"] for a in access.list_accounts(world["url"])]


def test_role_regions_and_language_are_changed_and_an_account_disabled_ends_its_session(world):
    admin = signed_in(world, "admin", "en")
    access.add(world["url"], "bolat", PASSWORD, "caseworker", (world["region"],))
    bolat = signed_in(world, "bolat", "en")
    assert bolat.get("/casework/queue").status_code == 200
    other = next(r for r in sorted(regions()) if r != world["region"])
    form = admin.get("/admin/accounts/bolat").text
    changed = admin.post("/admin/accounts/bolat", data={"csrf": token(form), "role": "supervisor",
                                                        "region": [world["region"], other], "language": "ru"})
    assert changed.status_code == 303
    a = stored(world, "bolat")
    assert (a.role, a.regions, a.language) == ("supervisor", f"{world['region']},{other}", "ru")
    assert logged(world, AccessEntry.actor == "admin", AccessEntry.what.like("account bolat changed: role supervisor%language ru")) == 1
    assert bolat.get("/casework/queue").status_code == 303                 # another role: signed in again
    only_language = admin.post("/admin/accounts/bolat", data={"csrf": token(form), "role": "supervisor",
                                                              "region": [world["region"], other], "language": "kk"})
    assert only_language.status_code == 303 and stored(world, "bolat").token_version == a.token_version
    access.set_role(world["url"], "bolat", "caseworker", (world["region"],))
    bolat = signed_in(world, "bolat")
    assert bolat.get("/casework/queue").status_code == 200
    disabled = admin.post("/admin/accounts/bolat/disable", data={"csrf": token(form)})
    assert disabled.status_code == 303 and stored(world, "bolat").disabled
    away = bolat.get("/casework/queue")
    assert away.status_code == 303 and away.headers["location"] == "/signin?next=%2Fcasework%2Fqueue"
    assert "disabled" in admin.get("/admin/accounts").text
    assert logged(world, AccessEntry.actor == "admin", AccessEntry.what == "account bolat disabled") == 1


def test_the_language_kept_on_the_account_beats_the_cookie_and_a_switch_keeps_it(world):
    access.add(world["url"], "saule", PASSWORD, "caseworker", (world["region"],), language="ru")
    saule = signed_in(world, "saule", "en")                                 # the cookie says English
    assert '<html lang="ru">' in saule.get("/casework/queue").text          # the account says Russian
    assert saule.get("/language/kk?next=/casework/queue").status_code == 303
    assert stored(world, "saule").language == "kk"
    again = signed_in(world, "saule", "ru")
    assert '<html lang="kk">' in again.get("/casework/queue").text
    # Without a language kept, the cookie decides, and a switch keeps the choice on the account.
    case = signed_in(world, "case", "ru")
    assert stored(world, "case").language is None and '<html lang="ru">' in case.get("/casework/queue").text
    case.get("/language/en?next=/")
    assert stored(world, "case").language == "en"
    access.set_language(world["url"], "case", None)
    with pytest.raises(Exception, match="language"):
        access.set_language(world["url"], "case", "de")


def test_a_session_past_half_its_lifetime_is_renewed_on_the_next_page(world):
    request = type("R", (), {"app": world["app"]})()
    client = TestClient(world["app"], follow_redirects=False)
    now = dt.datetime.now(dt.UTC)
    young = web_session.issue(request, world["actors"]["citizen"], now=now - web_session.LIFETIME / 4)
    client.cookies.set(web_session.SESSION, young)
    kept = client.get("/my/applications")
    assert kept.status_code == 200 and web_session.SESSION not in kept.cookies
    old = web_session.issue(request, world["actors"]["citizen"], now=now - web_session.LIFETIME * 3 / 4)
    client.cookies.set(web_session.SESSION, old)
    renewed = client.get("/my/applications")
    fresh = renewed.cookies.get(web_session.SESSION)
    assert renewed.status_code == 200 and fresh and fresh != old
    claims = web_session.jwt.decode(fresh, world["app"].state.settings.signing_key(), algorithms=["HS256"])
    assert claims["exp"] - now.timestamp() > web_session.LIFETIME.total_seconds() * 0.9
    cookie = next(c for c in renewed.headers.get_list("set-cookie") if c.startswith(web_session.SESSION + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


class Texts(HTMLParser):
    """The text nodes of a page (and its aria-labels) but those of elements marked lang="en" (what a service
    wrote) or translate="no" (a username)."""
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.english, self.found = [False], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        english = attrs["lang"] == "en" if "lang" in attrs else self.english[-1]
        english = english or attrs.get("translate") == "no"
        if attrs.get("aria-label") and not english:
            self.found.append(attrs["aria-label"])
        if tag not in self.VOID:
            self.english.append(english)

    def handle_endtag(self, tag):
        if tag not in self.VOID and len(self.english) > 1:
            self.english.pop()

    def handle_data(self, data):
        if data.strip() and not self.english[-1]:
            self.found.append(" ".join(data.split()))


# English the pages translate inside a longer text: the regions' names, the roles of accounts, the states.
WORDS = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(
    [r["name"] for r in regions().values()] + list(access.ROLES) + list(STATES), key=len, reverse=True)) + r")\b")


def english_ids() -> set[str]:
    web = ROOT / "src" / "komek" / "web"
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    return {m if isinstance(m, str) else m[0] for _, _, m, _, _ in extract_from_dir(
        web, method_map, keywords={"_": None, "N_": None}, options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}})}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_english_is_left_on_the_translated_pages(world, lang):
    with (ROOT / "src" / "komek" / "web" / "locale" / lang / "LC_MESSAGES" / "web.po").open("rb") as f:
        same = {m.id for m in read_po(f) if m.id and m.string == m.id}       # a name, written alike in every language
    ids = {m for m in english_ids() if re.search(r"[A-Za-z]{3}", m) and "%(" not in m} - same
    citizen, case, admin = (signed_in(world, who, lang) for who in ("citizen", "case", "admin"))
    form = citizen.get("/my/apply").text                  # an application, so that its pages are there to read
    key = re.search(r'name="key" value="([^"]+)"', form).group(1)
    citizen.post("/my/apply", data={"csrf": token(form), "key": key, "measure": "tsa", "month": "2026-10"})
    applications.assess(world["url"])
    pages = [(TestClient(world["app"], cookies={"komek_lang": lang}), "/signin"), (citizen, "/my/entitlements"),
             (citizen, "/my/apply"), (citizen, "/my/applications"), (case, "/casework/queue"), (case, "/casework/search"),
             (case, "/casework/search?iin=12"), (case, f"/casework/households/{world['household']}"),
             (case, f"/casework/households/{world['other_household']}"), (case, "/no/such/page"),
             (admin, "/admin/accounts"), (admin, "/admin/accounts/new"), (admin, "/admin/accounts/case")]
    with session(world["url"]) as s:
        filed = s.scalars(select(Application.id).where(Application.applicant_iin == world["citizen"])).all()
    pages += [(citizen, f"/my/applications/{i}") for i in filed] + [(case, f"/casework/applications/{i}") for i in filed]
    for client, path in pages:
        answer = client.get(path)
        assert f'<html lang="{lang}">' in answer.text, path
        parsed = Texts()
        parsed.feed(answer.text)
        left = sorted({t for t in parsed.found if t in ids or WORDS.search(t)})
        assert not left, (lang, path, left)

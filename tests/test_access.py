"""Who may see what, first part: accounts with roles (Argon2 hashes), sign-in with lockout,
short-lived signed tokens and refresh, disabling, and the citizen's own access log."""
from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from komek import access
from komek.api import create_app
from komek.cli import app as cli
from komek.errors import FieldError, SignInError
from komek.kz.iin import make
from komek.registry.db import session
from komek.registry.models import AccessEntry, Account, ApiKey
from komek.settings import Settings

PASSWORD = "correct horse battery"
CITIZEN_IIN = make(dt.date(1988, 5, 1), "F", 1234) or make(dt.date(1988, 5, 1), "F", 1236)


@pytest.fixture
def accounts(registry_url):
    access.add(registry_url, "aigerim", PASSWORD, "citizen", iin=CITIZEN_IIN)
    access.add(registry_url, "case", PASSWORD, "caseworker", ("75",))
    access.add(registry_url, "audit", PASSWORD, "auditor")
    return registry_url


def api(url: str, tmp_path) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path, database_url=url, secret_key="test-key-" + "x" * 32)))


def sign_in(client: TestClient, username: str, password: str = PASSWORD):
    return client.post("/api/v1/token", data={"username": username, "password": password})


def test_passwords_are_argon2_hashes_and_roles_are_checked(accounts):
    with session(accounts) as s:
        stored = s.scalar(select(Account.password_hash).where(Account.username == "case"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert access.authenticate(accounts, "case", PASSWORD).regions == ("75",)
    with pytest.raises(FieldError, match="role"):
        access.add(accounts, "x", PASSWORD, "superuser")
    with pytest.raises(FieldError, match="regions the caseworker serves"):
        access.add(accounts, "y", PASSWORD, "caseworker")
    with pytest.raises(FieldError, match="IIN"):
        access.add(accounts, "z", PASSWORD, "citizen", iin="123")
    with pytest.raises(FieldError, match="12 characters"):
        access.add(accounts, "w", "short", "auditor")
    with pytest.raises(FieldError, match="taken"):
        access.add(accounts, "case", PASSWORD, "auditor")


def test_five_wrong_passwords_lock_the_account(accounts):
    for _ in range(access.accounts.MAX_FAILURES):
        with pytest.raises(SignInError, match="wrong username or password"):
            access.authenticate(accounts, "audit", "wrong password!")
    with pytest.raises(SignInError, match="too many failed sign-ins"):
        access.authenticate(accounts, "audit", PASSWORD)           # even the right one, for now
    later = dt.datetime.now(dt.UTC) + access.accounts.LOCK + dt.timedelta(seconds=1)
    assert access.authenticate(accounts, "audit", PASSWORD, now=later).role == "auditor"
    with pytest.raises(SignInError, match="wrong username or password"):    # no hint that it does not exist
        access.authenticate(accounts, "nobody", PASSWORD)


def test_an_account_keeps_its_language_and_says_while_it_is_locked(accounts):
    assert access.account(accounts, "case")["language"] is None and access.find(accounts, 2).language is None
    access.set_language(accounts, "case", "ru")
    assert access.account(accounts, "case")["language"] == "ru" == access.authenticate(accounts, "case", PASSWORD).language
    version = access.authenticate(accounts, "case", PASSWORD).token_version
    access.set_language(accounts, "case", None)
    assert access.authenticate(accounts, "case", PASSWORD).token_version == version      # its sessions go on
    with pytest.raises(FieldError, match="language"):
        access.set_language(accounts, "case", "de")
    with pytest.raises(FieldError, match="username"):
        access.add(accounts, " ", PASSWORD, "auditor")
    assert access.add(accounts, "analyst", PASSWORD, "analyst", language="kk").language == "kk"
    now = dt.datetime.now(dt.UTC)
    for _ in range(access.accounts.MAX_FAILURES):
        with pytest.raises(SignInError):
            access.authenticate(accounts, "audit", "wrong", now=now)
    listed = {a["username"]: a for a in access.list_accounts(accounts)}
    assert listed["audit"]["locked_until"] == now + access.accounts.LOCK and listed["case"]["locked_until"] is None
    later = {a["username"]: a for a in access.list_accounts(accounts, now=now + access.accounts.LOCK * 2)}
    assert later["audit"]["locked_until"] is None


def test_tokens_expire_and_name_their_kind(accounts):
    tokens = access.Tokens("k" * 40)
    actor = access.authenticate(accounts, "case", PASSWORD)
    issued = tokens.issue(actor)
    assert tokens.read(issued["access_token"]) == (actor.id, actor.token_version)
    with pytest.raises(SignInError, match="not an access token"):
        tokens.read(issued["refresh_token"])
    old = tokens.issue(actor, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    with pytest.raises(SignInError, match="expired"):
        tokens.read(old["access_token"])
    with pytest.raises(SignInError, match="not a valid token"):
        access.Tokens("another key, so another signature on the token").read(issued["access_token"])


def test_sign_in_refresh_and_disable_over_the_api(accounts, tmp_path):
    client = api(accounts, tmp_path)
    assert client.get("/api/v1/me").status_code == 401
    assert sign_in(client, "case", "wrong password!").status_code == 401
    pair = sign_in(client, "case").json()
    who = client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert who.status_code == 200 and who.json() == {"username": "case", "role": "caseworker", "regions": ["75"]}
    again = client.post("/api/v1/token/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 200 and again.json()["access_token"]
    access.disable(accounts, "case")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"}).status_code == 401
    assert client.post("/api/v1/token/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert sign_in(client, "case").status_code == 401


def test_a_citizen_reads_who_looked_and_that_read_is_logged(accounts, tmp_path):
    client = api(accounts, tmp_path)
    caseworker = access.authenticate(accounts, "case", PASSWORD)
    access.record(accounts, caseworker, "household card", iin=CITIZEN_IIN, purpose="application 17")
    token = sign_in(client, "aigerim").json()["access_token"]
    seen = client.get("/api/v1/me/access-log", headers={"Authorization": f"Bearer {token}"})
    assert seen.status_code == 200
    assert [(e["who"], e["role"], e["what"], e["purpose"]) for e in seen.json()] == [
        ("case", "caseworker", "household card", "application 17")]
    again = client.get("/api/v1/me/access-log", headers={"Authorization": f"Bearer {token}"}).json()
    assert again[0]["what"] == "own access log"                       # reading the log is itself logged
    other = sign_in(client, "audit").json()["access_token"]
    assert client.get("/api/v1/me/access-log", headers={"Authorization": f"Bearer {other}"}).status_code == 403
    with session(accounts) as s:
        refused = s.scalars(select(AccessEntry).where(AccessEntry.allowed.is_(False))).all()
    assert [(r.actor, r.what) for r in refused] == [("audit", "access log of a citizen")]


def test_users_command(registry_url, tmp_path):
    runner = CliRunner()
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD)
    out = runner.invoke(cli, ["users", "add", "dana", "--role", "caseworker", "--region", "75", "--region", "79",
                              "--password-file", str(secret), "--database", registry_url])
    assert out.exit_code == 0, out.output
    prompted = runner.invoke(cli, ["users", "add", "erlan", "--role", "analyst", "--database", registry_url],
                             input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    out = runner.invoke(cli, ["users", "set-role", "dana", "--role", "auditor", "--database", registry_url])
    assert out.exit_code == 0 and "auditor" in out.output
    assert runner.invoke(cli, ["users", "disable", "erlan", "--database", registry_url]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list", "--database", registry_url])
    assert "dana" in listed.output and "auditor" in listed.output and "yes" in listed.output
    bad = runner.invoke(cli, ["users", "add", "x", "--role", "king", "--password-file", str(secret), "--database", registry_url])
    assert bad.exit_code == 2 and "--role" in bad.output and "Traceback" not in bad.output


def test_api_keys_for_systems(accounts, tmp_path):
    client = api(accounts, tmp_path)
    runner = CliRunner()
    made = runner.invoke(cli, ["users", "key", "add", "regional-office", "--role", "caseworker", "--region", "75",
                               "--database", accounts])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("kmk_") and len(key) > 40
    me = client.get("/api/v1/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json() == {"username": "key:regional-office", "role": "caseworker", "regions": ["75"]}
    assert client.get("/api/v1/me", headers={"X-API-Key": key[:-1] + "x"}).status_code == 401
    with session(accounts) as s:                      # only the hash is kept
        assert key not in {k.key_hash for k in s.scalars(select(ApiKey))}
    listed = runner.invoke(cli, ["users", "key", "list", "--database", accounts])
    assert "regional-office" in listed.output and key not in listed.output
    assert runner.invoke(cli, ["users", "key", "revoke", "regional-office", "--database", accounts]).exit_code == 0
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 401
    # A key is never a citizen's or an administrator's, and names a known region.
    for role, regions in (("citizen", ()), ("administrator", ()), ("caseworker", ("99",))):
        with pytest.raises(FieldError):
            access.add_key(accounts, f"sys-{role}", role, regions)
    assert runner.invoke(cli, ["users", "key", "add", "x", "--role", "citizen", "--database", accounts]).exit_code == 2

"""Notifications, exactly once: written in the writer's transaction (or not at all), with texts
made from the catalogs; claimed by one worker only; sent through the file sink or an HTTP SMS
provider (a loopback server here that fails as told), retried with backoff, dead after the last
attempt, and never delivered twice, also when the worker and the writer are killed mid-load."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from alembic import command
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from sqlalchemy import func, inspect, select, update
from typer.testing import CliRunner

from komek.cases.notifications import counts, listing, notify, retry, texts
from komek.cases.notifications import outbox as box
from komek.cases.notifications.gateways import FileSink, HttpSms, gateway
from komek.cases.notifications.relay import Policy, Relay
from komek.cli import app
from komek.errors import FieldError, KomekError
from komek.registry.db import alembic_config, engine, session
from komek.registry.models import Notification
from komek.settings import Settings

IIN = "900101300017"            # a valid IIN (kz.iin.make(1990-01-01, M, 1))
APPEAL = {"appeal": "AP-7", "date": dt.date(2026, 12, 5), "due": dt.date(2027, 1, 5)}
FAST = Policy(attempts=3, backoff=0.2, backoff_max=5.0, lease=2.0)


def cfg(url: str, tmp_path: Path, **kw) -> Settings:
    return Settings(database_url=url, data_dir=tmp_path / "data", **kw)


def write(url: str, n: int = 1, **kw) -> list[int]:
    with session(url) as s:
        return [notify(s, phone=f"+7 701 000 {i:04d}", template="appeal_received", values=APPEAL, about=f"appeal:{i}",
                       **kw).id for i in range(n)]


def rows(url: str) -> list[Notification]:
    with session(url) as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def drain(relay: Relay, url: str, seconds: float = 30) -> dict:
    """Relay steps until nothing is pending or being sent."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        relay.step()
        left = counts(url)
        if left["pending"] == left["sending"] == 0:
            return left
        time.sleep(0.01)
    raise AssertionError(f"still waiting: {counts(url)}")


def sink_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


# Writing ----------------------------------------------------------------------------------------

def test_a_notification_is_written_with_its_change_or_not_at_all(registry_url):
    with pytest.raises(RuntimeError), session(registry_url) as s:
        notify(s, phone="8 (701) 234-56-78", template="appeal_received", values=APPEAL, about="appeal:7")
        raise RuntimeError("the change failed")
    assert rows(registry_url) == []
    with session(registry_url) as s:
        first = notify(s, phone="8 (701) 234-56-78", iin=IIN, template="appeal_received", values=APPEAL,
                       about="appeal:7", language="ru", key="appeal:7:received")
    [n] = rows(registry_url)
    assert (n.id, n.phone, n.iin, n.state, n.attempts, n.channel) == (first.id, "+77012345678", IIN, "pending", 0, "sms")
    assert n.text == "Komek: ваша жалоба AP-7 принята 5 декабря 2026 г. Срок решения: 5 января 2027 г."
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", n.delivery_id)
    with session(registry_url) as s:           # the same change retried: applied once
        again = notify(s, phone="+77012345678", template="appeal_received", values=APPEAL, about="appeal:7",
                       key="appeal:7:received")
        assert again.id == n.id
        with pytest.raises(FieldError, match="key: 'appeal:7:received' was written for appeal_received about appeal:7"):
            notify(s, phone="+77012345678", template="appeal_received", values=APPEAL, about="appeal:8",
                   key="appeal:7:received")
    assert len(rows(registry_url)) == 1


BAD = [
    ({"phone": "+7 912 345 67 89"}, "phone"),
    ({"phone": "call me"}, "phone"),
    ({"template": "welcome"}, "template"),
    ({"values": {"appeal": "AP-7", "date": dt.date(2026, 12, 5)}}, "values.due"),
    ({"values": {**APPEAL, "amount": 5}}, "values.amount"),
    ({"values": {**APPEAL, "due": None}}, "values.due"),
    ({"values": {**APPEAL, "appeal": "  "}}, "values.appeal"),
    ({"language": "de"}, "language"),
    ({"about": "appeal 7"}, "about"),
    ({"iin": "900101300018"}, "iin"),
    ({"channel": "email"}, "channel"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f for _, f in BAD])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(registry_url, change, field):
    args = {"phone": "+77012345678", "template": "appeal_received", "values": APPEAL, "about": "appeal:7", **change}
    with pytest.raises(FieldError) as caught, session(registry_url) as s:
        notify(s, **args)
    assert caught.value.field == field
    assert "900101300018" not in str(caught.value)
    assert rows(registry_url) == []


def test_texts_in_each_language_hand_written():
    values = {"application": "A-17", "measure": "housing_assistance", "amount": Decimal("15259.50"),
              "start": dt.date(2027, 1, 1)}
    assert texts.render("application_granted", values, "en") == (
        "Komek: application A-17 (Housing assistance) is granted: 15,259.50 tenge a month from January 1, 2027.")
    assert texts.render("application_granted", values, "ru") == (
        "Komek: по заявлению A-17 (Жилищная помощь) назначено 15 259,50 тенге в месяц с 1 января 2027 г.")
    assert texts.render("application_granted", {**values, "amount": 20000}, "kk") == (
        "Komek: A-17 өтініш (Тұрғын үй көмегі) бойынша айына 20 000 теңге тағайындалды. Басталу күні: 2027 ж. 1 қаңтар.")
    when = dt.datetime(2026, 12, 7, 5, 30, tzinfo=dt.UTC)            # 10:30 in Kazakhstan (UTC+5)
    assert texts.render("appointment_reminder", {"when": when, "place": "ЦОН, Астана"}, "ru") == (
        "Komek: напоминаем о приёме: 7 декабря 2026 г., 10:30, ЦОН, Астана.")
    with pytest.raises(FieldError, match="values.amount: a text, a whole number, an exact amount"):
        texts.render("application_granted", {**values, "amount": 15259.5}, "en")
    with pytest.raises(FieldError, match="values.measure: unknown measure 'tsa_bonus'"):
        texts.render("application_granted", {**values, "measure": "tsa_bonus"}, "en")


def test_the_catalogs_translate_every_template_with_its_placeholders():
    source = Path(texts.__file__)
    ids = [m for _, m, _, _ in extract_from_file("python", str(source), keywords={"N_": None})]
    assert set(ids) == set(texts.TEMPLATES.values()) and len(ids) == len(texts.TEMPLATES)
    for lang in ("kk", "ru"):
        with open(source.parent / "locale" / lang / "LC_MESSAGES" / "notifications.po", "rb") as f:
            held = {m.id: m for m in read_po(f, locale=lang) if m.id}
        assert set(held) == set(ids), lang
        for m in held.values():
            assert m.string and not m.fuzzy, (lang, m.id)
            assert set(re.findall(r"\{\w+\}", m.id)) == set(re.findall(r"\{\w+\}", m.string)), (lang, m.id)
            assert not re.search(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}|Komek", "", m.string)), (lang, m.id)


# Claiming ---------------------------------------------------------------------------------------

def test_concurrent_workers_claim_each_notification_once(registry_url):
    write(registry_url, 200)
    claimed: list[list[int]] = [[] for _ in range(4)]

    def worker(i: int) -> None:
        while batch := box.claim(registry_url, f"w{i}", 7, dt.timedelta(minutes=5)):
            claimed[i].extend(d.id for d in batch)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for ids in claimed for i in ids]
    assert len(every) == len(set(every)) == 200
    with engine(registry_url).connect() as conn:
        assert conn.execute(select(Notification.state, Notification.attempts, func.count())
                            .group_by(Notification.state, Notification.attempts)).all() == [("sending", 1, 200)]


def test_a_lapsed_claim_is_taken_over_and_its_first_worker_changes_nothing(registry_url):
    write(registry_url, 1)
    [lost] = box.claim(registry_url, "killed", 10, dt.timedelta(0))       # its worker goes silent
    assert box.claim(registry_url, "other", 10, dt.timedelta(0))[0].attempt == 2 == lost.attempt + 1
    [taken] = box.claim(registry_url, "other", 10, dt.timedelta(minutes=5))
    assert box.claim(registry_url, "third", 10, dt.timedelta(minutes=5)) == []         # a live claim holds
    assert (box.delivered(registry_url, lost), box.failed(registry_url, lost, "late", None)) == (False, None)
    assert box.delivered(registry_url, taken)
    [n] = rows(registry_url)
    assert (n.state, n.attempts, n.claimed_by, n.next_attempt) == ("delivered", 3, "other", None)


def test_a_stopping_worker_gives_back_what_it_did_not_send(registry_url, tmp_path):
    write(registry_url, 5)
    relay = Relay(cfg(registry_url, tmp_path), policy=FAST)
    stop = threading.Event()
    stop.set()
    assert relay.step(stop) == 5
    assert [(n.state, n.attempts) for n in rows(registry_url)] == [("pending", 0)] * 5
    assert not (tmp_path / "data" / "notifications" / "sent.jsonl").exists()


# The file sink ---------------------------------------------------------------------------------

def test_the_file_sink_writes_each_delivery_once_across_processes_and_torn_lines(registry_url, tmp_path, caplog):
    write(registry_url, 3, iin=IIN)
    batch = box.claim(registry_url, "w", 10, dt.timedelta(minutes=5))
    path = tmp_path / "sent.jsonl"
    one, two = FileSink(path), FileSink(path)          # two workers' sinks on one file
    with caplog.at_level(logging.INFO, logger="komek.notifications"):
        one.send(batch[0])
        two.send(batch[0])
        one.send(batch[0])
    assert [line["delivery_id"] for line in sink_lines(path)] == [batch[0].delivery_id]
    assert IIN not in caplog.text and batch[0].phone not in caplog.text and "********0017" in caplog.text
    with open(path, "ab") as f:                        # a worker killed while writing
        f.write(b'{"delivery_id": "' + batch[1].delivery_id.encode())
    FileSink(path).send(batch[1])
    two.send(batch[2])
    two.send(batch[1])
    got = sink_lines(path)
    assert [line["delivery_id"] for line in got] == [d.delivery_id for d in batch]
    assert got[0] == {"delivery_id": batch[0].delivery_id, "sent": got[0]["sent"], "channel": "sms",
                      "phone": "+77010000000", "language": "kk", "template": "appeal_received", "about": "appeal:0",
                      "text": batch[0].text}


def test_a_crash_between_sending_and_marking_does_not_send_twice(registry_url, tmp_path):
    write(registry_url, 1)
    settings = cfg(registry_url, tmp_path)
    [d] = box.claim(registry_url, "killed", 10, dt.timedelta(0))
    gateway(settings).send(d)                          # sent; the worker dies before marking it
    drain(Relay(settings, policy=FAST), registry_url)
    [n] = rows(registry_url)
    assert (n.state, n.attempts) == ("delivered", 2)
    assert [line["delivery_id"] for line in sink_lines(tmp_path / "data" / "notifications" / "sent.jsonl")] == [n.delivery_id]


# The HTTP SMS provider ----------------------------------------------------------------------------

class Provider:
    """A loopback SMS provider: answers `status` to the first `failing` requests (after `delay`
    seconds), then 200; takes each Idempotency-Key once, as a provider must."""

    def __init__(self, failing: int = 0, status: int = 503, delay: float = 0.0):
        self.failing, self.status, self.delay = failing, status, delay
        self.requests: list[dict] = []
        self.taken: dict[str, dict] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                provider.requests.append({"at": time.monotonic(), "key": self.headers["Idempotency-Key"],
                                          "auth": self.headers["Authorization"], "body": body})
                if len(provider.requests) <= provider.failing:
                    time.sleep(provider.delay)
                    code = provider.status
                else:
                    provider.taken.setdefault(self.headers["Idempotency-Key"], body)
                    code = 200
                try:
                    self.send_response(code)
                    self.end_headers()
                except OSError:                        # the client gave up (a timeout)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider():
    made: list[Provider] = []

    def make(**kw) -> Provider:
        made.append(Provider(**kw))
        return made[-1]
    yield make
    for p in made:
        p.close()


def http(url: str, tmp_path: Path, p: Provider, policy: Policy = FAST, timeout: float = 0.5) -> Relay:
    return Relay(cfg(url, tmp_path, sms_gateway="http", sms_url=p.url, sms_token="t0ken", sms_timeout=timeout),
                 policy=policy)


def test_http_retries_with_backoff_until_the_provider_takes_it(registry_url, tmp_path, provider):
    p = provider(failing=2)
    [nid] = write(registry_url, 1, language="en")
    assert drain(http(registry_url, tmp_path, p), registry_url)["delivered"] == 1
    [n] = rows(registry_url)
    assert (n.state, n.attempts, n.last_error) == ("delivered", 3, None)
    assert [r["key"] for r in p.requests] == [n.delivery_id] * 3 and len(p.taken) == 1
    assert {r["auth"] for r in p.requests} == {"Bearer t0ken"}
    assert p.taken[n.delivery_id] == {"to": "+77010000000", "text": n.text, "delivery_id": n.delivery_id}
    gaps = [b["at"] - a["at"] for a, b in zip(p.requests, p.requests[1:])]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2          # at least half of 0.2 s, then of 0.4 s


def test_http_failing_every_attempt_is_dead_then_retried_once(registry_url, tmp_path, provider):
    p = provider(failing=3)
    [nid] = write(registry_url, 1)
    drain(http(registry_url, tmp_path, p), registry_url)
    [n] = rows(registry_url)
    assert (n.state, n.attempts, n.next_attempt) == ("dead", 3, None)
    assert n.last_error == "the SMS provider answered 503 Service Unavailable"
    assert len(p.requests) == 3 and p.taken == {}
    assert retry(registry_url, [nid]) == [nid]
    with pytest.raises(KomekError, match=f"notification {nid} is pending: only a dead one is retried"):
        retry(registry_url, [nid])
    drain(http(registry_url, tmp_path, p), registry_url)
    [n] = rows(registry_url)
    assert (n.state, n.attempts) == ("delivered", 1) and list(p.taken) == [n.delivery_id] and len(p.requests) == 4


def test_http_refusal_is_dead_at_once_and_a_timeout_is_retried(registry_url, tmp_path, provider):
    refusing = provider(failing=1, status=400)
    write(registry_url, 1)
    drain(http(registry_url, tmp_path, refusing), registry_url)
    [n] = rows(registry_url)
    assert (n.state, n.attempts, n.last_error) == ("dead", 1, "the SMS provider answered 400 Bad Request")
    slow = provider(failing=1, delay=1.0)
    with engine(registry_url).begin() as conn:
        conn.execute(update(Notification).values(state="pending", attempts=0, next_attempt=box._now()))
    drain(http(registry_url, tmp_path, slow, timeout=0.3), registry_url)
    [n] = rows(registry_url)
    assert (n.state, n.attempts) == ("delivered", 2) and len(slow.requests) == 2 and len(slow.taken) == 1


def test_http_a_repeated_attempt_carries_the_same_key(registry_url, tmp_path, provider):
    p = provider()
    write(registry_url, 1)
    relay = http(registry_url, tmp_path, p)
    [d] = box.claim(registry_url, "killed", 10, dt.timedelta(0))
    relay.gateway.send(d)                              # taken; the worker dies before marking it
    drain(relay, registry_url)
    assert [r["key"] for r in p.requests] == [d.delivery_id] * 2 and list(p.taken) == [d.delivery_id]
    assert rows(registry_url)[0].state == "delivered"


def test_an_unreachable_provider_is_retried(registry_url, tmp_path, provider):
    p = provider()
    p.close()                                          # nothing listens there any more
    write(registry_url, 1)
    drain(http(registry_url, tmp_path, p), registry_url)
    [n] = rows(registry_url)
    assert (n.state, n.attempts) == ("dead", 3) and n.last_error.startswith("the SMS provider could not be reached")


# Settings and policy ------------------------------------------------------------------------------

def test_backoff_doubles_with_jitter_up_to_the_ceiling():
    policy = Policy(attempts=8, backoff=10, backoff_max=3600, lease=60)
    for attempt, ceiling in ((1, 10), (2, 20), (4, 80), (9, 2560), (10, 3600), (500, 3600)):
        waits = [policy.wait(attempt).total_seconds() for _ in range(200)]
        assert ceiling / 2 <= min(waits) < max(waits) <= ceiling, attempt
        assert max(waits) - min(waits) > ceiling / 4       # spread: workers do not retry in step


def test_gateway_settings_are_checked_naming_the_variable(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    with pytest.raises(FieldError, match="KOMEK_SMS_URL: the SMS provider's http"):
        gateway(cfg(url, tmp_path, sms_gateway="http"))
    with pytest.raises(FieldError, match="KOMEK_NOTIFY_LEASE: a claim must outlast a send"):
        Relay(cfg(url, tmp_path, sms_gateway="http", sms_url="https://sms.example/send", sms_timeout=90))
    assert isinstance(gateway(cfg(url, tmp_path, sms_gateway="http", sms_url="https://sms.example/send")), HttpSms)
    monkeypatch.setenv("KOMEK_NOTIFY_ATTEMPTS", "0")
    result = CliRunner().invoke(app, ["worker", "--once", "--database", url])
    assert result.exit_code == 2 and "KOMEK_NOTIFY_ATTEMPTS: Input should be greater than or equal to 1" in result.output


# The operator's command -----------------------------------------------------------------------

def test_the_command_counts_lists_masked_and_retries(registry_url, tmp_path, provider):
    p = provider(failing=10, status=400)
    ids = write(registry_url, 3, iin=IIN)
    with engine(registry_url).begin() as conn:      # one is not due yet
        conn.execute(update(Notification).where(Notification.id == ids[2])
                     .values(next_attempt=box._now() + dt.timedelta(hours=1)))
    for _ in range(2):
        http(registry_url, tmp_path, p).step()
    assert counts(registry_url) == {"pending": 1, "sending": 0, "delivered": 0, "dead": 2}
    runner = CliRunner()
    shown = runner.invoke(app, ["notifications", "--database", registry_url, "--state", "dead"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert re.search(r"pending\W+sending\W+delivered\W+dead\W+\n.*\n│\s+1\s+│\s+0\s+│\s+0\s+│\s+2\s+│", shown.output)
    assert IIN not in shown.output and "+77010000000" not in shown.output and "********0017" in shown.output
    assert [n["id"] for n in listing(registry_url, "dead")] == ids[1::-1]
    refused = runner.invoke(app, ["notifications", "retry", str(ids[0]), str(ids[2]), "--database", registry_url])
    assert refused.exit_code == 2 and f"notification {ids[2]} is pending" in refused.output
    assert counts(registry_url)["dead"] == 2                        # all or nothing
    done = runner.invoke(app, ["notifications", "retry", str(ids[0]), str(ids[1]), "--database", registry_url])
    assert done.exit_code == 0 and counts(registry_url) == {"pending": 3, "sending": 0, "delivered": 0, "dead": 0}
    unknown = runner.invoke(app, ["notifications", "--database", registry_url, "--state", "lost"])
    assert unknown.exit_code == 2 and "--state: unknown state 'lost'" in unknown.output


def test_the_migration_adds_and_removes_the_table(database_url):
    from komek.registry.db import migrate
    migrate(database_url)
    with engine(database_url).begin() as conn:
        cfg_ = alembic_config()
        cfg_.attributes["connection"] = conn
        command.downgrade(cfg_, "0005")
    with engine(database_url).connect() as conn:
        assert "notifications" not in inspect(conn).get_table_names() and "jobs" in inspect(conn).get_table_names()
    migrate(database_url)


# Killed mid-load ---------------------------------------------------------------------------------

WRITER = """
import datetime as dt, sys, time
from komek.cases.notifications import notify
from komek.registry import session
url, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    time.sleep(0.003)                       # a steady stream, so the kill falls in its middle whatever the worker's start
    with session(url) as s:                 # one change, one transaction
        notify(s, phone=f"+7 701 {i:07d}", template="appeal_received", about=f"appeal:{i}", key=f"appeal:{i}:received",
               values={"appeal": f"AP-{i}", "date": dt.date(2026, 12, 5), "due": dt.date(2027, 1, 5)}, language="ru")
"""


def test_killed_writer_and_worker_deliver_every_notification_exactly_once(registry_url, tmp_path):
    n, data = 2000, tmp_path / "data"
    sink = data / "notifications" / "sent.jsonl"
    env = {**os.environ, "KOMEK_DATABASE_URL": registry_url, "KOMEK_DATA_DIR": str(data), "KOMEK_NOTIFY_LEASE": "2"}
    komek = Path(sys.executable).parent / "komek"

    def start() -> tuple[subprocess.Popen, subprocess.Popen]:
        logs = {"stdout": subprocess.DEVNULL, "env": env}
        with open(tmp_path / "writer.log", "ab") as w, open(tmp_path / "worker.log", "ab") as k:
            return (subprocess.Popen([sys.executable, "-c", WRITER, registry_url, str(n)], stderr=w, **logs),
                    subprocess.Popen([str(komek), "worker"], stderr=k, **logs))

    def written() -> int:
        with engine(registry_url).connect() as conn:
            return conn.scalar(select(func.count()).select_from(Notification))

    writer, worker = start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (written() >= n // 2 and len(sink_lines(sink)) >= n // 5):
            time.sleep(0.05)
        for p in (writer, worker):
            p.send_signal(signal.SIGKILL)
    finally:
        for p in (writer, worker):
            p.wait(30)
    at_kill = {"written": written(), "sent": len(sink_lines(sink)), **counts(registry_url)}
    assert 0 < at_kill["sent"] and at_kill["written"] < n, at_kill          # killed mid-load

    writer, worker = start()
    try:
        assert writer.wait(120) == 0, (tmp_path / "writer.log").read_text()[-3000:]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and counts(registry_url)["delivered"] < n:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        for p in (writer, worker):
            if p.poll() is None:
                p.kill()
                p.wait()
    assert counts(registry_url) == {"pending": 0, "sending": 0, "delivered": n, "dead": 0}
    lines = sink_lines(sink)
    notes = rows(registry_url)
    assert len(lines) == len({line["delivery_id"] for line in lines}) == n                # each once at the sink
    assert {line["delivery_id"] for line in lines} == {x.delivery_id for x in notes}
    assert sorted(line["about"] for line in lines) == sorted(f"appeal:{i}" for i in range(n))
    assert {x.key for x in notes} == {f"appeal:{i}:received" for i in range(n)}
    print(f"\n{registry_url.split(':')[0]}: at the kill {at_kill}; then every one of {n} delivered once, "
          f"{sum(x.attempts > 1 for x in notes)} after more than one attempt")

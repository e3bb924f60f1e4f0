"""Shared fixtures: a registry database on SQLite and, when one is reachable, on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from komek.registry import db

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@cache
def postgres_url() -> str | None:
    """KOMEK_TEST_POSTGRES_URL, else the local default; None when it cannot be reached."""
    url = db.normalize_url(os.environ.get("KOMEK_TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    probe = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with probe.connect():
            return url
    except Exception:
        return None
    finally:
        probe.dispose()


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """An empty database of `kind`: a SQLite file in `folder`, or on PostgreSQL a fresh schema,
    dropped afterwards. PostgreSQL not reachable skips the test, or fails it in CI
    (KOMEK_REQUIRE_POSTGRES), where a data-layer test may not skip it."""
    if kind == "sqlite":
        url = f"sqlite:///{(folder / 'registry.sqlite').as_posix()}"
        try:
            yield url
        finally:
            db.engine(url).dispose()
        return
    base = postgres_url()
    if base is None:
        if os.environ.get("KOMEK_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required (KOMEK_REQUIRE_POSTGRES) but not reachable")
        pytest.skip("PostgreSQL is not reachable (set KOMEK_TEST_POSTGRES_URL)")
    schema = f"komek_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        db.engine(url).dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty database. On PostgreSQL a fresh schema per test, dropped afterwards."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def extract(tmp_path_factory):
    """The synthetic extract most tests read: 2,500 households, a year of payments computed by
    the rules, every kind of irregularity planted at 3% (the answer key beside it)."""
    from komek.services.extracts import generate_extract
    folder = tmp_path_factory.mktemp("shared") / "extract"
    generate_extract(folder, 2500, 11, dt.date(2026, 11, 1), 12, irregularities=0.03)
    return folder


@pytest.fixture(scope="session")
def registry(extract):
    """The shared extract as a source."""
    from komek.services.sources import source
    return source(extract)


@pytest.fixture(scope="session")
def audited(registry, tmp_path_factory):
    """The audit of the shared extract (rule checks and anomalies)."""
    from komek.services.audit import run_audit
    return run_audit(registry, tmp_path_factory.mktemp("audit"))


@pytest.fixture
def registry_url(database_url):
    """An empty registry database at the schema's head (`komek migrate` run on it)."""
    db.migrate(database_url)
    return database_url

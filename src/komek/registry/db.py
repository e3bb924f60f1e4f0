"""Connecting to the registry database (SQLite embedded, PostgreSQL in production) and migrating it."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """psycopg 3 is the PostgreSQL driver we ship; a bare postgresql:// URL would ask for psycopg2."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url


@cache
def engine(url: str) -> Engine:
    """One engine (and pool) per database URL."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    eng = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(eng, "connect")
    def _pragmas(dbapi_conn, _record):
        # WAL lets readers (web, reports) work during an ingestion; NORMAL sync is safe under WAL.
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                       "temp_store=MEMORY", "cache_size=-65536"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()
        # Let SQLAlchemy issue BEGIN itself, so DDL and bulk loads share one real transaction.
        dbapi_conn.isolation_level = None

    @event.listens_for(eng, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")

    return eng


def alembic_config() -> Config:
    """The migrations ship inside the package: no alembic.ini is needed."""
    cfg = Config()
    cfg.set_main_option("script_location", "komek.registry:migrations")
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database schema to `revision` (a no-op when it is already there)."""
    cfg = alembic_config()
    with engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def sessions(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine(url), expire_on_commit=False)


@contextmanager
def session(url: str) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    with sessions(url)() as s, s.begin():
        yield s

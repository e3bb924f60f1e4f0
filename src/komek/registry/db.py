"""Connecting to the registry database (SQLite embedded, PostgreSQL in production) and migrating it.

The schema changes only through `migrate` (the `komek migrate` command): every other use
checks that the schema is current first (`require_current`) and says so when it is not.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from komek.errors import SchemaError, SourceError


def normalize_url(url: str) -> str:
    """psycopg 3 is the PostgreSQL driver we ship; a bare postgresql:// URL would ask for psycopg2."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url


def display(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(normalize_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def libpq(url: str) -> str:
    """A PostgreSQL URL as libpq takes it (for psycopg used without SQLAlchemy: the job queue)."""
    return make_url(normalize_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def backend(url: str) -> str:
    """postgresql or sqlite (or another SQLAlchemy backend's name)."""
    return make_url(normalize_url(url)).get_backend_name()


@cache
def engine(url: str) -> Engine:
    """One engine (and pool) per database URL."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10}
                                 if parsed.get_backend_name() == "postgresql" else {})
    except (ArgumentError, NoSuchModuleError):
        raise SourceError(f"database {url!r}: not a database URL (e.g. sqlite:///komek.sqlite or "
                          "postgresql+psycopg://USER@HOST:5432/NAME)") from None
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
        # A writer that reads first (`session(url, immediate=True)`) takes the write lock at once:
        # it then waits its turn, where a read lock upgraded later would fail as busy.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")

    return eng


def ours(name: str | None, type_: str, parent_names: dict) -> bool:
    """What the models describe, for Alembic's comparisons: every table but the job queue's
    (procrastinate's own schema on PostgreSQL, which migration 0005 applies as it is)."""
    return not (type_ == "table" and name and name.startswith("procrastinate_"))


def alembic_config() -> Config:
    """The migrations ship inside the package: no alembic.ini is needed."""
    cfg = Config()
    cfg.set_main_option("script_location", "komek.registry:migrations")
    return cfg


@contextmanager
def reaching(url: str) -> Iterator[None]:
    """Turn a database that cannot be reached (wrong host or port, no such database) into a SourceError."""
    try:
        yield
    except OperationalError as e:
        reason = " ".join(str(e.orig).split())[:240]
        raise SourceError(f"database {display(url)}: cannot connect ({reason})") from None


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database schema to `revision` (a no-op when it is already there)."""
    cfg = alembic_config()
    with reaching(url), engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@functools.cache
def code_head() -> str:
    """The head revision of the migrations shipped with this code: read once, since reading them
    compiles every migration script (about 20 ms, which every request checking the schema paid)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revisions(url: str) -> tuple[str | None, str]:
    """(the database's schema revision or None when it has none, the code's head revision)."""
    head = code_head()
    with reaching(url), engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision(), head


def require_current(url: str) -> None:
    """A SchemaError unless the database's schema is the code's head revision."""
    current, head = revisions(url)
    if current is None:
        raise SchemaError(f"database {display(url)} has no registry schema yet")
    if current != head:
        raise SchemaError(f"database {display(url)} schema is at revision {current}, this version needs {head}")


def sessions(url: str, immediate: bool = False) -> sessionmaker[Session]:
    bind = engine(url).execution_options(immediate=True) if immediate else engine(url)
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def session(url: str, immediate: bool = False) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error. `immediate`: a
    transaction that will write, so on SQLite it takes the write lock when it begins (PostgreSQL
    locks rows as it goes and ignores it)."""
    with sessions(url, immediate)() as s, s.begin():
        yield s

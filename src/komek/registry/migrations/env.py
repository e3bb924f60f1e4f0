"""Alembic environment: run by komek.registry.db.migrate with an open connection."""
from alembic import context

from komek.registry.db import engine, ours
from komek.registry.models import Base

config = context.config


def _configure(**kw) -> None:
    context.configure(target_metadata=Base.metadata, compare_type=True, include_name=ours, **kw)


if context.is_offline_mode():   # `alembic upgrade --sql`: print the DDL for a database administrator
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is None:
        with engine(config.get_main_option("sqlalchemy.url")).begin() as connection:
            _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
            context.run_migrations()
    else:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()

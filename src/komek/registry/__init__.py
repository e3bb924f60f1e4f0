"""The registry database: contract tables as SQL, migrations, and the ingestion of extracts."""
from komek.registry.db import engine, migrate, session
from komek.registry.ingest import ingest
from komek.registry.report import IngestionReport, TableReport

__all__ = ["IngestionReport", "TableReport", "engine", "ingest", "migrate", "session"]

"""The registry: extract folders and the registry database behind one source interface, the
database's schema and migrations, and the ingestion of extracts."""
from komek.registry.db import engine, migrate, require_current, session
from komek.registry.ingest import ingest
from komek.registry.report import IngestionReport, TableReport
from komek.registry.source import DatabaseSource, ExtractSource, FrameSource, Source, open_source, reopen

__all__ = ["DatabaseSource", "ExtractSource", "FrameSource", "IngestionReport", "Source", "TableReport", "engine", "ingest",
           "migrate", "open_source", "reopen", "require_current", "session"]

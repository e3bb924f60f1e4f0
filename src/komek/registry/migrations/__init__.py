"""Alembic migrations of the registry database (run with komek.registry.db.migrate)."""

"""Extract services: generate a synthetic one, validate one, ingest one into the registry."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from rich.table import Table as RichTable

from komek.contract.validate import MANIFEST, Extract, validate_extract
from komek.settings import Settings


def generate_extract(out: Path, households: int, seed: int, as_of: dt.date, months: int, progress=None):
    """Write a synthetic extract (with its manifest) into `out`."""
    from komek.synth import generate
    step = (lambda label, done, total: progress(f"generate: {label}", done, total)) if progress else None
    return generate(Path(out), households=households, seed=seed, as_of=as_of, months=months, progress=step)


def validate_folder(folder: Path) -> Extract:
    return validate_extract(Path(folder))


def validation_table(extract: Extract) -> RichTable:
    t = RichTable(title=f"Validation of {extract.folder}")
    for col in ("table", "rows", "valid", "quarantined", "main reasons"):
        t.add_column(col, justify="right" if col in ("rows", "valid", "quarantined") else "left")
    for name, r in extract.tables.items():
        reasons = ", ".join(f"{k} ({v})" for k, v in list(r.reasons().items())[:3])
        t.add_row(name, f"{r.rows_read:,}", f"{r.valid.height:,}", f"{r.rows_quarantined:,}", reasons)
    return t


def ingest_extract(folder: Path, cfg: Settings, progress=None):
    """Migrate the database to head, load the extract, save the report beside the data."""
    from komek.registry.db import migrate
    from komek.registry.ingest import ingest
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(cfg.database)
    report = ingest(Path(folder), cfg.database, progress=progress)
    saved = cfg.data_dir / "ingestion-report.json"
    saved.write_text(json.dumps(report.to_dict(), indent=2, default=str), "utf-8")
    return report, saved

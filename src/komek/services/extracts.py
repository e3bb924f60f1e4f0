"""Extract services: generate a synthetic one, validate one, ingest one into the registry."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.table import Table as RichTable

from komek.contract.validate import Extract, validate_extract
from komek.settings import Settings


# Incomes reach five months further back than the payments, so that each payment month's
# reference quarter (the quarter before it) is whole in the extract.
LOOKBACK_MONTHS = 5


def generate_extract(out: Path, households: int, seed: int, as_of: dt.date, months: int, progress=None,
                     with_payments: bool = True, irregularities: float | None = None):
    """Write a synthetic extract (with its manifest) into `out`, and `months` months of payments
    computed by the rules; with `irregularities`, plant them (answer key next to the extract)."""
    from komek.synth import generate
    from komek.synth.payments import write_payments
    step = (lambda label, done, total: progress(f"generate: {label}", done, total)) if progress else None
    summary = generate(Path(out), households=households, seed=seed, as_of=as_of, months=months + LOOKBACK_MONTHS,
                       progress=step)
    if with_payments:
        summary.rows["payments"] = write_payments(Path(out), as_of, months, seed, progress)
        if irregularities:
            from komek.audit.plant import plant
            summary.rows["answer key (apart)"] = plant(Path(out), irregularities, seed)[1].height
    return summary


def generation_table(summary) -> RichTable:
    t = RichTable(title=f"Synthetic extract: {summary.households:,} households, {summary.persons:,} people "
                        f"in {summary.seconds:.1f} s (payments not timed)")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for name, n in summary.rows.items():
        t.add_row(name, f"{n:,}")
    return t


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
    """Load the extract (migrating the database first); the report is saved in the data folder."""
    from komek.registry.ingest import ingest
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    report = ingest(Path(folder), cfg.database, progress=progress, report_dir=cfg.data_dir)
    return report, cfg.data_dir / "ingestion-report.json"

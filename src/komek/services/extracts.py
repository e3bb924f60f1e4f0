"""Extract services: generate a synthetic one, validate one, ingest one into the registry, and
say what cannot be computed without the optional tables an extract does not have."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from komek.audit.plant import plant
from komek.audit.run import not_run
from komek.contract.validate import Extract, validate_extract
from komek.kz import contract, registry_inputs
from komek.registry.ingest import ingest
from komek.registry.report import IngestionReport
from komek.scoring import index
from komek.settings import Settings
from komek.synth import generate
from komek.synth.contacts import write_contacts
from komek.synth.payments import write_payments

# Incomes reach five months further back than the payments, so that each payment month's
# reference quarter (the quarter before it) is whole in the extract.
LOOKBACK_MONTHS = 5


def generate_extract(out: Path, households: int, seed: int, as_of: dt.date, months: int, progress=None,
                     with_payments: bool = True, irregularities: float | None = None):
    """Write a synthetic extract (with its manifest) into `out`, and `months` months of payments
    computed by the rules; with `irregularities`, plant them (answer key next to the extract)."""
    step = (lambda label, done, total: progress(f"generate: {label}", done, total)) if progress else None
    summary = generate(Path(out), households=households, seed=seed, as_of=as_of, months=months + LOOKBACK_MONTHS,
                       progress=step)
    summary.rows["contacts"] = write_contacts(Path(out), as_of, seed)
    if with_payments:
        summary.rows["payments"] = write_payments(Path(out), as_of, months, seed, progress)
        if irregularities:
            summary.rows["answer key (apart)"] = plant(Path(out), irregularities, seed)[1].height
    return summary


def consequences(absent: list[str]) -> dict[str, list[str]]:
    """For each absent table, what cannot be computed without it: measures, score indicators
    (and so levels) and audit checks."""
    present = [t for t in contract().tables if t not in absent]
    cover = registry_inputs.coverage(present)
    out: dict[str, list[str]] = {t: [] for t in absent}
    for table in absent:
        tag = f"the {table} table"
        out[table] += [f"measure {m}" for m, why in cover.not_computed.items() if tag in why]
        out[table] += [f"score indicator {i}" for i, why in index.unknown(present).items() if tag in why]
        out[table] += [f"audit check {c}" for c, why in not_run([table]).items()]
    return out


@dataclass
class Validation:
    extract: Extract
    cannot_compute: dict[str, list[str]]      # absent table -> what cannot be computed without it


def validate_folder(folder: Path) -> Validation:
    extract = validate_extract(Path(folder), contract())
    return Validation(extract, consequences(extract.absent))


def ingest_extract(folder: Path, cfg: Settings, progress=None) -> tuple[IngestionReport, Path, dict[str, list[str]]]:
    """Load the extract into a database whose schema is current; the report is saved in the data folder."""
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    report = ingest(Path(folder), cfg.database, contract(), progress=progress, report_dir=cfg.data_dir)
    return report, cfg.data_dir / "ingestion-report.json", consequences(report.absent)

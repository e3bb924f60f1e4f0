"""What an ingestion did, table by table: as data, JSON and Markdown (the terminal's table is the CLI's)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

COUNTS = ("rows_read", "inserted", "updated", "unchanged", "quarantined", "unknown_persons")


@dataclass
class TableReport:
    table: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0          # identical to the stored row, or older than it
    quarantined: int = 0
    unknown_persons: int = 0    # valid rows whose iin is not in persons (a warning, they are loaded)
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class IngestionReport:
    folder: str
    database: str               # the URL without its password
    as_of: str
    extract_id: str | None = None
    ingestion_id: int | None = None
    status: str = "running"     # running, succeeded, failed
    error: str | None = None
    started: str = ""
    finished: str | None = None
    validation_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    tables: dict[str, TableReport] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)      # optional tables not sent: not known

    @property
    def totals(self) -> dict[str, int]:
        return {c: sum(getattr(t, c) for t in self.tables.values()) for c in COUNTS}

    @property
    def reasons(self) -> dict[str, int]:
        """Quarantined rows per problem over all tables, e.g. {'incomes: amount: negative amount': 3}."""
        return {f"{t.table}: {r}": n for t in self.tables.values() for r, n in t.reasons.items()}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tables"] = {name: asdict(t) for name, t in self.tables.items()}
        d["totals"] = self.totals
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_markdown(self) -> str:
        lines = [f"# Ingestion of `{self.folder}`", "",
                 f"- extract: {self.extract_id or 'no extract_id'}, as of {self.as_of}",
                 f"- database: `{self.database}`", f"- status: **{self.status}**"
                 + (f" ({self.error})" if self.error else ""),
                 f"- started {self.started}, finished {self.finished}", *[f"- {n}" for n in self.notes],
                 *([f"- not sent, so not known: {', '.join(self.absent)}"] if self.absent else []), "",
                 "| table | " + " | ".join(c.replace("_", " ") for c in COUNTS) + " |",
                 "|---|" + "---:|" * len(COUNTS)]
        for t in self.tables.values():
            lines.append(f"| {t.table} | " + " | ".join(f"{getattr(t, c):,}" for c in COUNTS) + " |")
        lines.append("| **total** | " + " | ".join(f"**{v:,}**" for v in self.totals.values()) + " |")
        if self.reasons:
            lines += ["", "## Quarantined rows by reason", "", "| table: column: problem | rows |", "|---|---:|"]
            lines += [f"| {r} | {n:,} |" for r, n in self.reasons.items()]
        return "\n".join(lines) + "\n"

    def save(self, folder: Path) -> Path:
        """Write ingestion-report.json and ingestion-report.md into `folder`; returns the JSON path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ingestion-report.md").write_text(self.to_markdown(), "utf-8")
        path = folder / "ingestion-report.json"
        path.write_text(self.to_json(), "utf-8")
        return path

"""The main job: a synthetic country through every capability, ending in one HTML report.

Each capability adds one step here and its section to the report.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from rich.table import Table as RichTable

from komek.report import Section, write_report
from komek.settings import settings


AS_OF = dt.date(2026, 11, 1)
MONTH_END = dt.date(2026, 10, 31)      # the last whole month of the extract


@dataclass
class DemoResult:
    report: Path
    facts: dict[str, str] = field(default_factory=dict)
    tables: list = field(default_factory=list)

    def summary(self) -> list:
        t = RichTable(title="Komek demo", show_header=False)
        for k, v in self.facts.items():
            t.add_row(k, v)
        return [*self.tables, t]


def run_demo(out: Path, households: int, seed: int, database: str | None, progress=None) -> DemoResult:
    from komek.registry.db import engine as make_engine
    from komek.report import population as sections
    from komek.report.measures import measures_section
    from komek.services.extracts import generate_extract, ingest_extract
    from komek.services.simulate import benefit_spending, simulate, summary_table

    out = Path(out)
    cfg = settings(data_dir=out, database_url=database)
    summary = generate_extract(out / "extract", households, seed, AS_OF, 12, progress)
    report, _ = ingest_extract(out / "extract", cfg, progress)
    engine = make_engine(cfg.database)
    pop, _ = sections.population_section(engine)
    pov, by_region = sections.poverty_section(engine, AS_OF)
    run = simulate(out / "extract", MONTH_END, progress=progress, out=out / "simulation")
    from komek.audit.review import review_summary
    from komek.report.audit import audit_section
    from komek.services.audit import audit_table, run_audit
    audited = run_audit(out / "extract", out / "audit", save_to=cfg.database, progress=progress)
    from komek.report.scoring import levels_section, targeting_section
    from komek.services.score import score_households, targeting, write_levels
    from komek.services.card import sample_cards, tables_for
    levels = score_households(out / "extract", MONTH_END)
    write_levels(levels, out / "score")
    cards = sample_cards(tables_for(out / "extract", None), levels, MONTH_END, out / "cards", cfg.database)
    links = {lv: path.relative_to(out).as_posix() for lv, path in cards.items()}
    parts: list[Section] = [pop, sections.demography_section(engine, AS_OF), pov, measures_section(run),
                            levels_section(levels, links), targeting_section(targeting(run, levels)),
                            audit_section(audited, review_summary(cfg.database)), sections.ingestion_section(report.to_dict())]
    poor, people = by_region["poor"].sum(), by_region["people"].sum()
    facts = {
        "Extract": f"synthetic Kazakhstan, seed {seed}, as of {AS_OF}",
        "Households": f"{summary.households:,}",
        "People": f"{summary.persons:,}",
        "Rows ingested": f"{sum(t['rows_read'] - t['quarantined'] for t in report.to_dict()['tables'].values()):,}",
        "Rows quarantined": f"{sum(t['quarantined'] for t in report.to_dict()['tables'].values()):,}",
        "Poverty rate": f"{100 * poor / people:.1f}% of people" if people else "n/a",
        f"Benefits, {MONTH_END:%B %Y}": f"{benefit_spending(run):,.0f} tenge",
        "Audit: amount at risk": f"{float(audited.findings['amount_at_risk'].cast(float).sum()):,.0f} tenge, "
                                 f"{audited.findings.height:,} findings",
        "Database": cfg.database_display,
    }
    path = write_report(out / "index.html", "Komek: synthetic Kazakhstan", parts, facts)
    engine.dispose()
    return DemoResult(path, facts, [report.render(), summary_table(run), audit_table(audited)])

"""The main job: a synthetic country through every capability, ending in one HTML report.

Each capability adds one step here and its section to the report. It is a face: it calls the
services in order and renders what they return as the report and the sample household cards.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from komek.audit.review import review_summary
from komek.engine.reform import Reform
from komek.registry.db import engine as make_engine
from komek.registry.db import migrate
from komek.registry.report import IngestionReport
from komek.report import Section, write_report
from komek.report import population as sections
from komek.report.audit import audit_section
from komek.report.card import write_card
from komek.report.measures import measures_section
from komek.report.monitoring import monitoring_section
from komek.report.reform import reform_section
from komek.report.scoring import levels_section, method2025_section, targeting_section
from komek.services.audit import planted, run_audit
from komek.services.card import card
from komek.services.casework import simulate_month
from komek.services.extracts import generate_extract, ingest_extract
from komek.services.impact import impact
from komek.services.monitoring import figures
from komek.services.population import household_members
from komek.services.score import cross_table, score_households, targeting, top_levels, write_categories, write_levels
from komek.services.simulate import SimulationRun, benefit_spending, compare, gainers_losers, simulate
from komek.services.sources import source
from komek.settings import settings

AS_OF = dt.date(2026, 11, 1)
MONTH_END = dt.date(2026, 10, 31)      # the last whole month of the extract
# Irregularities planted so that every audit check has real findings to show; labelled as
# planted wherever they appear.
PLANTED_RATE = 0.01
APPLICATIONS = 1500                    # the simulated month of casework: at most this many, one in five households
# The reform the demo shows: illustrative, as docs/examples/reform-tsa-line.yaml.
REFORM = {"name": "Raise the TSA poverty line to 40% of the median (illustrative)", "start": "2026-01-01",
          "source": "Illustrative reform for discussion (not a legal act)",
          "parameters": {"tsa.poverty_line.median_share": 0.40}}


@dataclass
class DemoResult:
    """What the demo did: the report's path, its key facts, and the results behind them."""
    report: Path
    facts: dict[str, str] = field(default_factory=dict)
    ingestion: IngestionReport | None = None
    simulation: SimulationRun | None = None
    audit: object = None
    people: pl.DataFrame | None = None          # the members every section after the registry's counts
    levels: pl.DataFrame | None = None
    impact: object = None
    services: dict | None = None                # the monitoring of the simulated month
    database: str | None = None
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)   # role -> (username, password), shown once


def demo_accounts(url: str) -> dict[str, tuple[str, str]]:
    """One account per role to try the pages with: a citizen who applied in the simulated month,
    a caseworker and a supervisor of that citizen's region, and a national auditor, analyst and
    administrator. Usernames and passwords are drawn anew on every run and only returned."""
    import secrets

    from sqlalchemy import select

    from komek import access
    from komek.registry.db import session
    from komek.registry.models import Application
    with session(url) as s:
        iin, region = s.execute(select(Application.applicant_iin, Application.region_code)
                                .where(Application.filed_by_role == "citizen").order_by(Application.id).limit(1)).one()
    tag = secrets.token_hex(2)
    made = {}
    for role, regions, who in (("citizen", (), iin), ("caseworker", (region,), None), ("supervisor", (region,), None),
                               ("auditor", (), None), ("analyst", (), None), ("administrator", (), None)):
        username, password = f"demo-{role}-{tag}", secrets.token_urlsafe(12)
        access.add(url, username, password, role, regions, who)
        made[role] = (username, password)
    return made


def analysts_runs(cfg) -> dict[str, int]:
    """The month's simulation and scoring run as the analyst's jobs (what `komek worker` runs for an
    analyst's request), so the analyst's pages show the demo's statistics, not "not known"."""
    from komek import access
    from komek.services import jobs
    analyst = access.Actor(0, "demo analyst", "analyst")
    done = {}
    for kind in ("simulation", "score"):
        done[kind] = jobs.submit(cfg.database, kind, {"month": f"{MONTH_END:%Y-%m}"}, analyst)["id"]
        jobs.run(cfg, done[kind])
    return done


def sample_cards(extract: Path, levels: pl.DataFrame, on: dt.date, folder: Path,
                 findings_from: str | None = None) -> dict[str, Path]:
    """One card per level (the household with the lowest id), written to `folder`: level -> file."""
    registry = source(extract)
    first = (levels.filter(pl.col("level").is_not_null()).sort("household_id")
             .group_by("level", maintain_order=True).first().sort("level"))
    return {lv: write_card(card(registry, hid, on, findings_from), Path(folder) / f"{hid}.html")
            for lv, hid in first.select("level", "household_id").iter_rows()}


def run_demo(out: Path, households: int, seed: int, database: str | None, progress=None) -> DemoResult:
    out = Path(out)
    cfg = settings(data_dir=out, database_url=database)
    summary = generate_extract(out / "extract", households, seed, AS_OF, 12, progress, irregularities=PLANTED_RATE)
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(cfg.database)                       # the demo's own database: the schema step, then the load
    report, _, _ = ingest_extract(out / "extract", cfg, progress)
    engine = make_engine(cfg.database)
    pop, _ = sections.population_section(engine)
    extract = source(out / "extract")
    # One population for every section after the registry's: the households living on the
    # month's last day and their members, as the rules count them.
    people = household_members(extract, MONTH_END)
    pov, by_region = sections.poverty_section(people, MONTH_END)
    run = simulate(extract, MONTH_END, progress=progress, out=out / "simulation")
    reform = Reform.from_spec(REFORM, "the demo's reform")
    reformed = simulate(extract, MONTH_END, progress=progress, reform=reform, out=out / "reform")
    effect = impact(extract, run, reformed)
    audited = run_audit(extract, out / "audit", save_to=cfg.database, progress=progress)
    levels = score_households(extract, MONTH_END)
    write_levels(levels, out / "score")
    categories = score_households(extract, MONTH_END, method="2025")
    write_categories(categories, out / "score")
    cards = sample_cards(out / "extract", levels, MONTH_END, out / "cards", cfg.database)
    links = {lv: path.relative_to(out).as_posix() for lv, path in cards.items()}
    month = f"{MONTH_END:%Y-%m}"
    worked = simulate_month(cfg.database, month, min(APPLICATIONS, households // 5), seed, progress)
    services = figures(cfg.database, month, now=worked["ended"])
    parts: list[Section] = [pop, sections.demography_section(people, MONTH_END), pov, measures_section(run),
                            levels_section(levels, links),
                            method2025_section(categories, cross_table(levels, categories), top_levels(run, levels, categories)),
                            targeting_section(targeting(run, levels)),
                            reform_section(reform.name, effect, compare(run, reformed),
                                           gainers_losers(run, reformed)),
                            audit_section(audited, review_summary(cfg.database), planted(out / "extract"), PLANTED_RATE),
                            monitoring_section(services, worked),
                            sections.ingestion_section(report.to_dict())]
    poor, people_n = by_region["poor"].sum(), by_region["people"].sum()
    facts = {
        "Extract": f"synthetic Kazakhstan, seed {seed}, as of {AS_OF}: {summary.households:,} households generated, "
                   f"{summary.persons:,} people ever recorded",
        f"Households living on {MONTH_END}": f"{run.counts['households']:,}",
        "Their members": f"{run.counts['persons']:,}",
        "Rows ingested": f"{sum(t['rows_read'] - t['quarantined'] for t in report.to_dict()['tables'].values()):,}",
        "Rows quarantined": f"{sum(t['quarantined'] for t in report.to_dict()['tables'].values()):,}",
        "Poverty rate": f"{100 * poor / people_n:.1f}% of members" if people_n else "n/a",
        f"Benefits, {MONTH_END:%B %Y}": f"{benefit_spending(run):,.0f} tenge",
        "Audit: amount at risk": f"{float(audited.findings['amount_at_risk'].cast(float).sum()):,.0f} tenge, "
                                 f"{audited.findings.height:,} findings on {audited.payments:,} payments, "
                                 f"irregularities planted at {100 * PLANTED_RATE:g}%",
        f"Applications, {month} (simulated)": f"{worked['filed']:,} filed by citizens, "
                                              f"{services['national']['offers_accepted']:,} from offers accepted, "
                                              f"{services['national']['decisions']:,} decided, {len(services['alerts'])} alerts",
        "Database": cfg.database_display,
    }
    path = write_report(out / "index.html", "Komek: synthetic Kazakhstan", parts, facts)
    analysts_runs(cfg)
    engine.dispose()
    return DemoResult(path, facts, report, run, audited, people, levels, effect, services, cfg.database,
                      demo_accounts(cfg.database))

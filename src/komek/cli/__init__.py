"""The `komek` command: a thin face over the services. No logic lives here: each command parses
its options, calls a service and renders what comes back (cli.render)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from komek import __version__
from komek.cli import render
from komek.cli.appeals import appeals_app
from komek.cli.appointments import appointments_app
from komek.cli.common import Database, DataDir, UserError, config, console, err, progress_bar, user_errors
from komek.cli.monitor import monitor
from komek.cli.notifications import notifications_app
from komek.cli.offers import offers_app
from komek.cli.score import score_app
from komek.cli.users import users_app
from komek.periods import month_end

app = typer.Typer(help="Komek: social support measures, scoring, audit and data integration.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


def _version(value: bool) -> None:
    if value:
        print(f"komek {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Print the version and exit")] = False) -> None:
    """Komek: social support measures, scoring, audit and data integration."""


def _print(lines) -> None:
    for line in lines:
        console.print(line)


@app.command()
def generate(
    households: Annotated[int, typer.Option(min=1, help="Number of households in the country")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same extract")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for the extract")] = Path("komek-data/extract"),
    as_of: Annotated[str, typer.Option(help="Extract date; monthly data covers the months before it")] = "2026-11-01",
    months: Annotated[int, typer.Option(min=1, max=36, help="Months of benefit payments (incomes cover 5 more)")] = 12,
    payments: Annotated[bool, typer.Option(help="Compute the benefit payments with the rules")] = True,
    irregularities: Annotated[Optional[float], typer.Option(help="Plant each kind of irregularity at this rate; the answer key goes next to the extract")] = None,
) -> None:
    """Write a synthetic Kazakhstan as a registry extract (Parquet, one file per table)."""
    with user_errors():
        from komek.services.extracts import generate_extract
        try:
            as_of_date = dt.date.fromisoformat(as_of)
        except ValueError:
            raise UserError(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD)") from None
        with progress_bar() as progress:
            summary = generate_extract(out, households, seed, as_of_date, months, progress, payments, irregularities)
        console.print(render.generation_table(summary))
        console.print(f"extract written to [bold]{out}[/]")


@app.command()
def validate(extract: Annotated[Path, typer.Argument(help="Extract folder")],
             quarantine: Annotated[Optional[Path], typer.Option(help="Write quarantined rows to this Parquet file")] = None) -> None:
    """Check an extract against the contract without loading it."""
    with user_errors():
        from komek.services.extracts import validate_folder
        result = validate_folder(extract)
        console.print(render.validation_table(result.extract))
        _print(render.absent_lines(result.cannot_compute))
        if quarantine is not None:
            result.extract.quarantine.write_parquet(quarantine)
            console.print(f"quarantined rows written to [bold]{quarantine}[/]")


@app.command()
def migrate(data_dir: DataDir = None, database: Database = None) -> None:
    """Create or upgrade the registry database schema (Alembic)."""
    with user_errors():
        from komek.registry.db import migrate as upgrade
        cfg = config(data_dir, database)
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(cfg.database)
        console.print(f"database at head: {cfg.database_display}")


@app.command()
def ingest(extract: Annotated[Path, typer.Argument(help="Extract folder")],
           data_dir: DataDir = None, database: Database = None) -> None:
    """Validate an extract and load it into the registry (idempotent; bad rows quarantined)."""
    with user_errors():
        from komek.services.extracts import ingest_extract
        cfg = config(data_dir, database)
        with progress_bar() as progress:
            report, saved, cannot = ingest_extract(extract, cfg, progress)
        console.print(render.ingestion_table(report))
        _print(render.absent_lines(cannot))
        console.print(f"ingestion report saved to [bold]{saved}[/]")


@app.command()
def calc(situation: Annotated[Path, typer.Argument(help="Situation JSON file (see docs/situation.schema.json)")],
         explain: Annotated[bool, typer.Option("--explain", help="Add the explanation: values, parameters, articles")] = False,
         text: Annotated[bool, typer.Option("--text", help="Print the explanation as a readable tree instead of JSON")] = False,
         what_if: Annotated[bool, typer.Option("--what-if", help="The nearest change that would turn each measure on or off")] = False,
         lang: Annotated[str, typer.Option("--lang", help="Language of the summary sentences: en, kk or ru")] = "en") -> None:
    """What one household is entitled to this month, per measure and member, and why (the
    explanation starts with a summary: the amount, the comparison that decided it, the article)."""
    with user_errors():
        from komek.services.calc import calculate
        if Path(situation).is_dir():
            raise UserError(f"{situation}: a folder, not a situation file (JSON, see docs/situation.schema.json)")
        try:
            data = json.loads(Path(situation).read_text("utf-8"))
        except FileNotFoundError:
            raise UserError(f"{situation}: no such situation file") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise UserError(f"{situation}: not valid JSON ({e})") from None
        if what_if:
            from komek.services.whatif import what_if as nearest
            print(json.dumps(nearest(data), ensure_ascii=False, indent=2))
            return
        result = calculate(data, with_explanation=explain or text, lang=lang)
        explanation = result.pop("explanation_text", None)
        if text:
            console.print(explanation, highlight=False, markup=False, soft_wrap=True)   # numbers keep their spaces
            for w in result["warnings"]:
                err.print(f"warning: {w}", highlight=False, markup=False)
        else:
            print(json.dumps(result, ensure_ascii=False, indent=2))


@app.command()
def simulate(
    extract: Annotated[Optional[Path], typer.Argument(help="Extract folder; without it, the registry database")] = None,
    month: Annotated[str, typer.Option(help="Month to compute, YYYY-MM (amounts as of its last day)")] = "2026-10",
    out: Annotated[Path, typer.Option(help="Folder for households.parquet, persons.parquet, summary.parquet")] = Path("komek-data/simulation"),
    scheduler: Annotated[Optional[str], typer.Option(help="Dask distributed scheduler address (tcp://host:8786)")] = None,
    reform: Annotated[Optional[Path], typer.Option(help="Reform YAML: run the baseline and the reform, compare them and write impact.json and impact.html")] = None,
    data_dir: DataDir = None, database: Database = None,
) -> None:
    """Every measure for every household of an extract (or the registry) for one month, region by region."""
    with user_errors():
        from komek.engine.reform import Reform
        from komek.kz.standard import standard
        from komek.services.simulate import compare, gainers_losers
        from komek.services.simulate import simulate as run
        from komek.services.sources import source
        on = month_end(month)
        change = Reform.load(reform) if reform else None
        if change:
            change.check(standard())
        registry = source(extract, None if extract else config(data_dir, database).database)
        with progress_bar() as progress:
            result = run(registry, on, scheduler, progress, out=out / "baseline" if change else out)
            reformed = run(registry, on, scheduler, progress, change, out=out / "reform") if change else None
        console.print(render.summary_table(result))
        _print(render.notes(result.not_computed, result.assumptions, result.warnings))
        if reformed is not None:
            from komek.report import write_report
            from komek.report.reform import reform_section
            from komek.services.impact import impact, published
            table = compare(result, reformed)
            table.write_parquet(out / "comparison.parquet")
            moved = gainers_losers(result, reformed)
            console.print(f"[bold]{change.name}[/]: households that gain, lose, stay the same: {moved}")
            console.print(render.comparison_table(table, f"Baseline and reform, {month}"))
            effect = impact(registry, result, reformed)
            (out / "impact.json").write_text(json.dumps(published(effect, suppress=False), ensure_ascii=False, indent=1), "utf-8")
            write_report(out / "impact.html", f"{change.name}: what it does", [reform_section(change.name, effect, table, moved)],
                         {"Reform": change.name, "Month": month, "Rules": change.source})
            _print(render.impact_lines(effect))
        console.print(f"results written to [bold]{out}[/]")


@app.command()
def audit(
    extract: Annotated[Optional[Path], typer.Argument(help="Extract folder; without it, the registry database")] = None,
    out: Annotated[Path, typer.Option(help="Folder for findings.parquet, anomalies.parquet, problems.parquet")] = Path("komek-data/audit"),
    save: Annotated[bool, typer.Option(help="Save the findings to the database for review")] = True,
    data_dir: DataDir = None, database: Database = None,
) -> None:
    """Find questionable payments with their evidence and amount at risk, for an auditor to review."""
    with user_errors():
        from komek.services.audit import run_audit
        from komek.services.sources import source
        cfg = config(data_dir, database)
        registry = source(extract, None if extract else cfg.database)
        if save:
            from komek.registry import require_current
            require_current(cfg.database)       # before the work, not after it
        with progress_bar() as progress:
            result = run_audit(registry, out, cfg.database if save else None, progress)
        console.print(render.audit_table(result))
        _print(render.notes(result.not_run, label="not run") + render.notes(result.partial, label="in part"))
        console.print(f"findings written to [bold]{out}[/]" + (f" and saved to {cfg.database_display}" if save else ""))


@app.command()
def review(
    finding: Annotated[str, typer.Argument(help="Finding id")],
    confirm: Annotated[Optional[str], typer.Option(help="Confirm, with the amount to recover in tenge")] = None,
    dismiss: Annotated[Optional[str], typer.Option(help="Dismiss, with the reason")] = None,
    reviewer: Annotated[str, typer.Option(help="Who reviews")] = "auditor",
    data_dir: DataDir = None, database: Database = None,
) -> None:
    """Record an auditor's review of a finding: confirmed with a recovery amount, or dismissed with a reason."""
    with user_errors():
        from komek.audit import review as reviews
        if (confirm is None) == (dismiss is None):
            raise UserError("give either --confirm AMOUNT or --dismiss REASON")
        url = config(data_dir, database).database
        if confirm is not None:
            reviews.confirm(url, finding, confirm, reviewer)
        else:
            reviews.dismiss(url, finding, dismiss, reviewer)
        console.print(f"finding {finding}: {'confirmed' if confirm is not None else 'dismissed'}")


@app.command()
def findings(
    check: Annotated[Optional[str], typer.Option(help="Only this check (as in checks.yaml; anomaly for the anomaly lane)")] = None,
    region: Annotated[Optional[str], typer.Option(help="Only payments by this region (KATO code)")] = None,
    state: Annotated[Optional[str], typer.Option(help="Only findings in this review state: open, confirmed, dismissed")] = None,
    severity: Annotated[Optional[str], typer.Option(help="Only this severity: high, medium, low, info")] = None,
    month: Annotated[Optional[str], typer.Option(help="Only payments for this month, YYYY-MM")] = None,
    lane: Annotated[Optional[str], typer.Option(help="Only this lane: rule or anomaly")] = None,
    household: Annotated[Optional[str], typer.Option(help="Only payments to this household")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="At most this many findings [default: 50 in the table, all in exports]")] = None,
    summary: Annotated[bool, typer.Option("--summary", help="Per check: findings, amount at risk, shares open, confirmed and dismissed")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table (IINs masked unless --full-iin)")] = False,
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Also write the list to this CSV file (IINs masked unless --full-iin)")] = None,
    full_iin: Annotated[bool, typer.Option("--full-iin", help="Exports only: full IINs, for an auditor who must identify the person. Masked by default; the table is always masked")] = False,
    data_dir: DataDir = None, database: Database = None,
) -> None:
    """Saved audit findings for review: filtered, most severe and largest amount at risk first."""
    with user_errors():
        from komek.audit import listing
        url = config(data_dir, database).database
        chosen = listing.Filters(check, region, state, severity, month, lane, household).validate()
        if summary:
            frame = listing.summary(url, chosen)
        else:
            exporting = as_json or csv is not None
            frame = listing.list_findings(url, chosen, limit or (None if exporting else 50), full_iin and exporting)
        if csv is not None:
            frame.write_csv(csv)
            err.print(f"{frame.height:,} rows written to {csv}")
        if as_json:
            print(listing.to_json(frame))
        elif summary:
            console.print(render.findings_summary_table(frame))
        elif csv is None:
            console.print(render.findings_table(frame, listing.count_findings(url, chosen)))


@app.command()
def card(
    household: Annotated[str, typer.Argument(help="Household id")],
    extract: Annotated[Optional[Path], typer.Argument(help="Extract folder; without it, the registry database")] = None,
    month: Annotated[str, typer.Option(help="The month, YYYY-MM (as of its last day)")] = "2026-10",
    out: Annotated[Optional[Path], typer.Option(help="Write the card as a self-contained HTML page to this file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the card as JSON")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of the summary sentences: en, kk or ru")] = "en",
    method: Annotated[str, typer.Option("--method", help="index (level A-E), or 2025: the 2025 method's category "
                                        "1-6 besides the level")] = "index",
    data_dir: DataDir = None, database: Database = None,
) -> None:
    """One household for a caseworker: members (IINs masked), level A-E and why (with --method
    2025 also its category 1-6), the support it is entitled to with the articles, and open audit
    findings as information."""
    with user_errors():
        from komek.services.card import card as household_card
        from komek.services.sources import source
        on = month_end(month)
        url = config(data_dir, database).database
        findings_from = url if extract is None or database is not None else None
        data = household_card(source(extract, None if extract else url), household, on, findings_from, lang=lang,
                              method=method)
        if out is not None:
            from komek.report.card import write_card
            write_card(data, out)
            err.print(f"card written to {out}")
        if as_json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
        elif out is None:
            _print(render.card_table(data))


@app.command()
def demo(
    households: Annotated[int, typer.Option(min=100, help="Households in the synthetic country")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    out: Annotated[Path, typer.Option(help="Output folder: extract, database, report")] = Path("komek-demo"),
    database: Database = None,
) -> None:
    """Generate a country, ingest it, run every capability and write OUT/index.html."""
    with user_errors():
        from komek.report.demo import run_demo
        with progress_bar() as progress:
            result = run_demo(out, households, seed, database, progress)
        _print([render.ingestion_table(result.ingestion), render.summary_table(result.simulation),
                render.audit_table(result.audit), render.facts_table("Komek demo", result.facts)])
        console.print(f"report: [bold]{result.report}[/]")
        from rich.table import Table
        t = Table(title="Demo accounts for the pages (`komek serve --data-dir " + str(out) + "`, then "
                         "http://127.0.0.1:8000/): shown this once")
        for col in ("role", "username", "password"):
            t.add_column(col)
        for role, (username, password) in result.accounts.items():
            t.add_row(role, username, password)
        console.print(t)


@app.command()
def serve(host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535, help="Port")] = 8000,
          workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
          data_dir: DataDir = None, database: Database = None) -> None:
    """The HTTP API (FastAPI on uvicorn) over the registry database: /api/v1, docs at /api/v1/docs; the web pages at /."""
    with user_errors():
        import os

        import uvicorn
        cfg = config(data_dir, database)
        # Workers build the app themselves (api.main) from the environment, so the settings go there.
        os.environ["KOMEK_DATA_DIR"], os.environ["KOMEK_DATABASE_URL"] = str(cfg.data_dir), cfg.database
        err.print(f"Komek on http://{host}:{port}/ (pages) and /api/v1 (API, docs /api/v1/docs), database {cfg.database_display}")
        uvicorn.run("komek.api.main:app", host=host, port=port, workers=workers, log_level="info")


@app.command()
def worker(concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at once")] = 1,
           once: Annotated[bool, typer.Option("--once", "--burst", help="Run the jobs queued and send the notifications due, then exit")] = False,
           stale: Annotated[float, typer.Option(min=0, help="Seconds without a heartbeat after which a running job has lost its worker and is run again")] = 60,
           data_dir: DataDir = None, database: Database = None) -> None:
    """Run the batch jobs submitted over the API (simulations, scores, audits) and deliver the
    notifications, until SIGTERM or SIGINT."""
    with user_errors():
        import logging

        from komek.api.logs import mask_logs
        from komek.services.worker import work
        cfg = config(data_dir, database)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        mask_logs()                    # no IIN reaches the log, whatever a job or a notification says
        err.print(f"Komek worker on {cfg.database_display}, {concurrency} at a time, notifications through the "
                  f"{cfg.sms_gateway} gateway" + (", until the queue is empty" if once else ""))
        work(cfg, concurrency, once, dt.timedelta(seconds=stale))


app.command()(monitor)
app.add_typer(appeals_app, name="appeals")
app.add_typer(appointments_app, name="appointments")
app.add_typer(score_app, name="score")
app.add_typer(users_app, name="users")
app.add_typer(notifications_app, name="notifications")
app.add_typer(offers_app, name="offers")


if __name__ == "__main__":
    app()

"""The `komek` command: every subcommand listed, the whole chain on a small country, user errors
as one line with no traceback."""
import json

import polars as pl
from typer.testing import CliRunner

from komek.cli import app

runner = CliRunner()


def test_help_lists_every_subcommand():
    out = runner.invoke(app, ["--help"])
    assert out.exit_code == 0
    for command in ("generate", "validate", "migrate", "ingest", "calc", "simulate", "audit", "review", "findings", "card", "demo"):
        assert command in out.output


def test_generate_validate_ingest_simulate(tmp_path):
    extract, data = tmp_path / "extract", tmp_path / "data"
    out = runner.invoke(app, ["generate", "--households", "400", "--seed", "2", "--months", "2", "--out", str(extract)])
    assert out.exit_code == 0, out.output
    assert json.loads((extract / "manifest.json").read_text())["as_of"] == "2026-11-01"
    # Corrupt one CSV row: it must be quarantined, the rest loaded.
    persons = pl.read_parquet(extract / "persons.parquet")
    (extract / "persons.parquet").unlink()
    persons.with_columns(pl.col("birth_date").cast(pl.String)).with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("1990-02-30")).otherwise(pl.col("birth_date")).alias("birth_date")
    ).write_csv(extract / "persons.csv")
    out = runner.invoke(app, ["validate", str(extract), "--quarantine", str(tmp_path / "q.parquet")])
    assert out.exit_code == 0, out.output
    q = pl.read_parquet(tmp_path / "q.parquet")
    assert q["reason"].to_list() == ["birth_date: not a real date (YYYY-MM-DD)"]
    out = runner.invoke(app, ["ingest", str(extract), "--data-dir", str(data)])
    assert out.exit_code == 0, out.output
    report = json.loads((data / "ingestion-report.json").read_text())
    assert report["tables"]["persons"]["quarantined"] == 1
    assert report["tables"]["persons"]["inserted"] == persons.height - 1
    out = runner.invoke(app, ["simulate", str(extract), "--month", "2026-10", "--out", str(tmp_path / "sim")])
    assert out.exit_code == 0, out.output
    assert pl.read_parquet(tmp_path / "sim" / "households" / "*.parquet").height > 0
    assert pl.read_parquet(tmp_path / "sim" / "summary.parquet")["spending"].sum() > 0


def test_user_errors_are_one_line():
    for args in (["ingest", "/nonexistent/extract"], ["simulate", "/nonexistent", "--month", "2026-13"],
                 ["calc", "/nonexistent.json"]):
        out = runner.invoke(app, args)
        assert out.exit_code == 2, (args, out.output)
        assert "error:" in out.output and "Traceback" not in out.output

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
    for command in ("generate", "validate", "migrate", "ingest", "calc", "simulate", "audit", "review", "findings", "card", "demo", "serve", "users", "worker", "notifications"):
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
    assert out.exit_code == 2 and "run `komek migrate` first" in out.output    # ingest never migrates
    assert runner.invoke(app, ["migrate", "--data-dir", str(data)]).exit_code == 0
    out = runner.invoke(app, ["ingest", str(extract), "--data-dir", str(data)])
    assert out.exit_code == 0, out.output
    report = json.loads((data / "ingestion-report.json").read_text())
    assert report["tables"]["persons"]["quarantined"] == 1
    assert report["tables"]["persons"]["inserted"] == persons.height - 1
    out = runner.invoke(app, ["simulate", str(extract), "--month", "2026-10", "--out", str(tmp_path / "sim")])
    assert out.exit_code == 0, out.output
    assert pl.read_parquet(tmp_path / "sim" / "households" / "*.parquet").height > 0
    assert pl.read_parquet(tmp_path / "sim" / "summary.parquet")["spending"].sum() > 0


def one_line_error(args: list[str], *expected: str) -> str:
    """Run a command that must fail on what it was given: exit code 2, one line, no traceback."""
    out = runner.invoke(app, args)
    assert out.exit_code == 2, (args, out.output)
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), (args, out.output)
    for text in expected:
        assert text in lines[0], (args, lines[0])
    return lines[0]


def test_user_errors_are_one_line(tmp_path):
    one_line_error(["ingest", "/nonexistent/extract", "--data-dir", str(tmp_path)], "no registry schema")
    one_line_error(["simulate", "/nonexistent", "--month", "2026-13"], "--month", "not a month")
    one_line_error(["calc", "/nonexistent.json"], "no such situation file")
    one_line_error(["calc", str(tmp_path)], "a folder, not a situation file")
    one_line_error(["simulate", str(tmp_path / "none")], "does not exist")


def test_a_broken_reform_is_one_line(extract, tmp_path):
    cases = {"unknown.yaml": ("start: 2026-01-01\nparameters: {tsa.no_such_thing: 1}\n", "tsa.no_such_thing: unknown parameter"),
             "text.yaml": ("start: 2026-01-01\nparameters: {mci: lots}\n", "mci: 'lots' is not a value"),
             "broken.yaml": ("start: 2026-01-01\nparameters: {mci: [1\n", "not a valid YAML file")}
    for name, (body, expected) in cases.items():
        (tmp_path / name).write_text(body)
        one_line_error(["simulate", str(extract), "--reform", str(tmp_path / name), "--out", str(tmp_path / "sim")], expected)


def test_a_bad_database_is_one_line(tmp_path):
    from conftest import postgres_url
    one_line_error(["findings", "--database", "foo"], "not a database URL")
    one_line_error(["simulate", "--database", "postgresql+psycopg://postgres@127.0.0.1:1/test"], "cannot connect")
    if postgres_url():
        one_line_error(["simulate", "--database", "postgresql+psycopg://postgres@127.0.0.1:5432/komek_no_such_database"],
                       "cannot connect", "komek_no_such_database")
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    one_line_error(["card", "H1", "--database", empty], "no registry schema", "run `komek migrate` first")


def test_an_unreachable_scheduler_is_one_line(extract):
    one_line_error(["simulate", str(extract), "--scheduler", "tcp://127.0.0.1:9"], "scheduler tcp://127.0.0.1:9", "cannot connect")


def test_an_empty_csv_is_one_line(tmp_path):
    from komek.synth import generate
    generate(tmp_path / "x", 50, seed=1)
    (tmp_path / "x" / "persons.parquet").unlink()
    (tmp_path / "x" / "persons.csv").write_text("")
    for command in ("validate", "simulate"):
        one_line_error([command, str(tmp_path / "x")], "persons.csv: the file is empty")


def test_version():
    from komek import __version__
    out = runner.invoke(app, ["--version"])
    assert out.exit_code == 0 and out.output.strip() == f"komek {__version__}"

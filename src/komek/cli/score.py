"""`komek score`: index levels for every household, and the proxy means test (train, evaluate,
explain; `survey` writes a sample survey to try them on). A thin face over komek.services.score
and komek.scoring; bad input is one line of error and exit code 2, and no model is written."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from komek.cli import render
from komek.cli.common import config, console, user_errors
from komek.periods import month_end


class ScoreGroup(TyperGroup):
    """`komek score EXTRACT --out DIR` scores; `komek score train|evaluate|explain ...` are subcommands."""
    VALUED = {"--out", "--database", "--data-dir", "--month", "--method"}

    def parse_args(self, ctx, args):
        if not any(a in self.commands for a in args):
            rewritten, value_next = [], False
            for a in args:
                if not value_next and not a.startswith("-") and "--extract" not in rewritten:
                    rewritten += ["--extract", a]
                    continue
                value_next = a in self.VALUED
                rewritten.append(a)
            args = rewritten
        return super().parse_args(ctx, args)


score_app = typer.Typer(cls=ScoreGroup, invoke_without_command=True, no_args_is_help=False,
                        help="Household vulnerability levels A-E (or the 2025 method's categories 1-6), and the proxy means test.")

Data = Annotated[Path, typer.Option("--data", help="Labelled survey CSV (household or person rows)")]
Target = Annotated[str, typer.Option("--target", help="Column of the welfare class (poverty class)")]
HouseholdId = Annotated[str, typer.Option("--household-id", help="Column of the household id")]
Weight = Annotated[Optional[str], typer.Option("--weight", help="Column of survey weights")]
Poor = Annotated[Optional[str], typer.Option("--poor-classes", help="Classes counted poor, comma-separated "
                                             "[default: the positive class of a yes/no target, else the lowest]")]
Threads = Annotated[int, typer.Option("--threads", min=0, help="Training threads [default: half the cores]")]
Age = Annotated[Optional[str], typer.Option("--age", help="Column of the members' age in years (age bands, dependency ratio)")]
Sex = Annotated[Optional[str], typer.Option("--sex", help="Column of the members' sex (age bands by sex)")]
Head = Annotated[Optional[str], typer.Option("--head", help="COLUMN=VALUE marking the head's row, e.g. role=head "
                                             "[default: the first row of each household]")]


@score_app.callback()
def score(ctx: typer.Context,
          extract: Annotated[Optional[Path], typer.Option("--extract", hidden=True)] = None,
          month: Annotated[str, typer.Option(help="Score as of the last day of this month, YYYY-MM")] = "2026-10",
          out: Annotated[Path, typer.Option(help="Folder for levels.parquet and levels_by_region.parquet")] = Path("komek-data/score"),
          data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="Data folder")] = None,
          database: Annotated[Optional[str], typer.Option("--database", help="SQLAlchemy URL of the registry")] = None,
          method: Annotated[str, typer.Option("--method", help="index (levels A-E) or 2025 (categories 1 extreme need "
                                              "... 6 high welfare)")] = "index") -> None:
    """Score every household of EXTRACT (or of the registry database): level A-E and why, or with
    --method 2025 the category 1-6 of the 2025 vulnerability and sustainability method."""
    if ctx.invoked_subcommand is not None:
        return
    with user_errors():
        from komek.services.score import method_of, not_computed, score_households, write_categories, write_levels
        from komek.services.sources import source
        method_of(method)
        registry = source(extract, None if extract else config(data_dir, database).database)
        levels = score_households(registry, month_end(month), method)
        unknown = not_computed(registry, method)
        if method == "2025":
            path = write_categories(levels, out, unknown)
            console.print(render.categories_table(levels))
        else:
            path = write_levels(levels, out, unknown)
            console.print(render.distribution_table(levels))
        for line in render.notes(unknown):
            console.print(line)
        console.print(f"levels written to [bold]{path}[/]")


@score_app.command()
def train(data: Data, target: Target, household_id: HouseholdId, weight: Weight = None, poor_classes: Poor = None,
          out: Annotated[Path, typer.Option(help="Folder for the model and its features")] = Path("komek-data/pmt"),
          threads: Threads = 0, age: Age = None, sex: Sex = None, head: Head = None) -> None:
    """Train the proxy means test on a labelled survey and save it."""
    with user_errors():
        from komek.scoring.pmt import train as fit
        info = fit(data, target, household_id, out, weight, poor_classes, threads, age, sex, head)
        console.print_json(json.dumps(info, ensure_ascii=False))


@score_app.command()
def evaluate(data: Data, target: Target, household_id: HouseholdId, weight: Weight = None, poor_classes: Poor = None,
             folds: Annotated[int, typer.Option("--folds", min=2, help="Stratified outer folds (each with 3 inner folds)")] = 5,
             income: Annotated[Optional[str], typer.Option("--income", help="Income column for the means-test baseline")] = None,
             group: Annotated[Optional[list[str]], typer.Option("--group", help="Column for the fairness report (repeatable)")] = None,
             threads: Threads = 0, age: Age = None, sex: Sex = None, head: Head = None) -> None:
    """Nested cross-validated F1, exclusion and inclusion errors of the model and the baselines on
    the same folds, and fairness, as JSON."""
    with user_errors():
        from komek.scoring.pmt import evaluate as run
        result = run(data, target, household_id, weight, folds, poor_classes, income, tuple(group or ()), threads,
                     age=age, sex=sex, head=head)
        print(json.dumps(result, ensure_ascii=False, indent=2))


@score_app.command()
def explain(data: Data, model: Annotated[Path, typer.Option(help="Folder of a trained model")] = Path("komek-data/pmt"),
            household: Annotated[Optional[list[str]], typer.Option("--household", help="Household id (repeatable)")] = None,
            top: Annotated[int, typer.Option(min=1, help="Contributions per household")] = 8) -> None:
    """Each feature's contribution to a household's poverty score (positive: towards poor)."""
    with user_errors():
        from komek.scoring.explain import explain as run
        print(run(model, data, household, top).write_json())


@score_app.command()
def survey(out: Annotated[Path, typer.Option(help="CSV file for the sample survey")] = Path("survey.csv"),
           households: Annotated[int, typer.Option(min=100, help="Households in the synthetic country it is drawn from")] = 3000,
           seed: Annotated[int, typer.Option(help="Random seed")] = 0) -> None:
    """Write a sample labelled household survey (person rows, poverty class 1-4 in `poverty`,
    household id `hhid`), drawn from a synthetic country, to try `score evaluate` and `score train` on."""
    with user_errors():
        from komek.services.score import sample_survey
        frame = sample_survey(out, households, seed)
        console.print(f"{frame.height:,} person rows of {frame['hhid'].n_unique():,} households written to [bold]{out}[/] "
                      "(target poverty, household id hhid)")

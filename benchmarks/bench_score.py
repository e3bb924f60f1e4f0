"""Scoring figures: the index on N households, PMT training on a large survey, and the
inclusion and exclusion errors next to the baselines on the synthetic survey.

    python benchmarks/bench_score.py index --households 1000000
    python benchmarks/bench_score.py extract --households 6200000 --extract /tmp/country
    python benchmarks/bench_score.py train --households 1000000
    python benchmarks/bench_score.py errors --households 4500 --folds 5 --threads 1
    python benchmarks/bench_score.py ceiling --households 45000 --threads 1

Households for `index` are drawn directly as input frames (the shape `registry_inputs.build`
returns), so the figure is the index alone; `extract` times `komek score` end to end over an
extract (generated first, not timed, if the folder has none); `errors` generates an extract and
its survey. `ceiling` says how far the model is from what the survey allows: on one survey of many
households, a fixed held-out part of 4,475, the model's exclusion error at the poor share when
trained on more and more of the rest, next to ranking by the survey's hidden truth
(`synthetic.survey(truth=True)`: consumption without the noise no proxy sees, and the common
factor the proxies follow).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from komek.kz.registry_inputs import HOUSEHOLD_COLUMNS, PERSON_COLUMNS

ON = dt.date(2026, 10, 31)


def input_frames(n: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 7, n)
    hid = np.repeat(np.arange(n), size)
    m = len(hid)
    born = (np.datetime64("2026-01-01") - rng.integers(0, 85 * 365, m).astype("timedelta64[D]"))
    persons = pl.DataFrame({
        "iin": pl.int_range(m, eager=True).cast(pl.String), "household_id": pl.Series(hid).cast(pl.String),
        "role": np.where(np.r_[True, hid[1:] != hid[:-1]], "head", "other"), "birth_date": born,
        "sex": rng.choice(["M", "F"], m), "disability_group": rng.choice(["", "", "", "", "", "", "", "", "", "3", "1"], m),
        "disability_cause": "", "children_born": 0, "participation_years": 0,
        **{c: np.where(rng.random(m) < .4, rng.lognormal(11.5, .8, m), 0.0) for c in PERSON_COLUMNS if c.startswith("income_")}})
    households = pl.DataFrame({"household_id": pl.int_range(n, eager=True).cast(pl.String),
                               "region_code": rng.choice(["10", "75", "71", "61"], n), "area_m2": rng.uniform(20, 150, n),
                               "tenure": rng.choice(["own", "private_rent", "state_rent", "other"], n, p=[.8, .12, .05, .03]),
                               "only_home": True, "utilities": rng.uniform(5e3, 4e4, n), "maintenance": 0.0,
                               "communication": 5000.0, "rent": 0.0})
    return persons.select(PERSON_COLUMNS), households.select(HOUSEHOLD_COLUMNS)


def bench_index(n: int) -> dict:
    from komek.scoring import index
    persons, households = input_frames(n)
    t = time.perf_counter()
    levels = index.score(persons, households, ON)
    seconds = time.perf_counter() - t
    return {"households": n, "persons": persons.height, "seconds": round(seconds, 2),
            "households_per_second": round(n / seconds), "projected_6_2M_seconds": round(6.2e6 / n * seconds, 1),
            "levels": dict(levels["level"].value_counts().sort("level").iter_rows())}


def bench_extract(n: int, folder: Path) -> dict:
    import resource
    import subprocess
    import sys

    from komek.scoring import index
    if not (folder / "persons.parquet").exists():
        subprocess.run([sys.executable, "-c", "import sys; from komek.synth import generate; "
                        f"generate(sys.argv[1], {n}, seed=1, months=17)", str(folder)], check=True)
    from komek.kz import registry_inputs
    from komek.services.sources import source
    t = time.perf_counter()
    persons, households = registry_inputs.build(registry_inputs.tables_of(source(folder)), ON)
    built = time.perf_counter()
    levels = index.score(persons, households, ON)
    seconds = time.perf_counter() - t
    shares = index.distribution(levels, by=None).row(0, named=True)
    return {"households": levels.height, "seconds": round(seconds, 1), "inputs_seconds": round(built - t, 1),
            "index_seconds": round(seconds - (built - t), 1),
            "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
            "levels_percent": {lv: round(shares[f"{lv} %"], 2) for lv in index.LEVELS}}


def survey_frame(n: int, folder: Path, seed: int = 1, truth: bool = False) -> pl.DataFrame:
    from komek.kz import registry_inputs
    from komek.scoring import synthetic
    from komek.services.sources import source
    from komek.synth import generate
    generate(folder / "extract", households=n, seed=seed)
    persons, households = registry_inputs.build(registry_inputs.tables_of(source(folder / "extract")), ON)
    return synthetic.survey(persons, households, ON, seed, truth=truth)


def survey_csv(n: int, folder: Path, seed: int = 1) -> Path:
    path = folder / "survey.csv"
    survey_frame(n, folder, seed).write_csv(path)
    return path


def bench_train(n: int, threads: int) -> dict:
    from komek.scoring import pmt
    with tempfile.TemporaryDirectory() as d:
        path = survey_csv(n, Path(d))
        t = time.perf_counter()
        info = pmt.train(path, "poverty_class", "household_id", Path(d) / "model", n_threads=threads)
        return {"households": info["households"], "features": info["features"], "threads": pmt.threads(threads),
                "train_seconds": round(time.perf_counter() - t, 1)}


def bench_errors(n: int, folds: int, threads: int) -> dict:
    from komek.scoring import pmt
    with tempfile.TemporaryDirectory() as d:
        path = survey_csv(n, Path(d))
        r = pmt.evaluate(path, "poverty_class", "household_id", folds=folds, poor="1,2", n_threads=threads,
                         age="age", sex="sex", head="role=head")
    rows = {"model": r["model"], **{k: v for k, v in r["baselines"].items() if "skipped" not in v}}
    return {"households": r["households"], "coverage": r["coverage"],
            "methods": {k: {f: v.get(f) for f in ("macro_f1", "per_class_f1", "at_poor_share", "at_20_percent")}
                        for k, v in rows.items()}}


def bench_ceiling(n: int, threads: int, held_out: int = 4475, seed: int = 3) -> dict:
    from komek.scoring import ordinal, pmt, synthetic
    from komek.scoring import survey as sv
    with tempfile.TemporaryDirectory() as d:
        frame, path = survey_frame(n, Path(d), seed, truth=True), Path(d) / "survey.csv"
        frame.drop(synthetic.HIDDEN).write_csv(path)
        s = sv.load(path, "poverty_class", "household_id", age="age", sex="sex", head="role=head")
    truth = frame.select(pl.col("household_id").cast(pl.String), *synthetic.HIDDEN).unique("household_id")
    truth = s.households.select(household_id="_hid").join(truth, on="household_id", how="left", maintain_order="left")
    classes = sv.classes(s.households["_y"])
    rank = np.array([classes.index(c) for c in s.households["_y"].to_numpy()])
    X, w = sv.as_numpy(s.X), np.ones(len(rank))
    order = np.random.default_rng(0).permutation(len(rank))
    test, rest = order[:held_out], order[held_out:]
    poor = rank[test] <= 1

    def exclusion(score: np.ndarray) -> float:       # higher score = poorer
        chosen = pmt.select(score, w[test], float(poor.mean()))
        return round(100 * pmt.errors(chosen, poor, w[test])["exclusion_error"], 1)

    out = {"households": len(rank), "held_out": held_out, "poor_share": round(float(poor.mean()), 4),
           "exclusion_percent": {"hidden consumption without noise": exclusion(-truth["true_log_consumption"].to_numpy()[test]),
                                 "the proxies' common factor": exclusion(-truth["proxy_factor"].to_numpy()[test])}}
    for size in (3600, 10_000, 20_000, 40_000):      # scores only: no cut points are needed for exclusion
        if size > len(rest):
            break
        t, fit = time.perf_counter(), rest[:size]
        models = ordinal._binaries(X[fit], rank[fit], w[fit], len(classes), pmt.threads(threads), ordinal.SEEDS)
        out["exclusion_percent"][f"model trained on {size:,}"] = exclusion(-ordinal._log_odds(models, X[test]))
        out.setdefault("train_seconds", {})[size] = round(time.perf_counter() - t, 1)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["index", "extract", "train", "errors", "ceiling"])
    ap.add_argument("--extract", type=Path, default=Path("/tmp/country"))
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    out = (bench_index(a.households) if a.what == "index" else bench_extract(a.households, a.extract)
           if a.what == "extract" else bench_train(a.households, a.threads)
           if a.what == "train" else bench_ceiling(a.households, a.threads)
           if a.what == "ceiling" else bench_errors(a.households, a.folds, a.threads))
    print(json.dumps(out, indent=2))

"""Komek and OpenFisca-Core side by side: the same four measures (TSA, housing assistance,
disability benefit, large-family benefit) for the same households, amounts compared to the tenge.

    python benchmarks/bench_openfisca.py --households 1000000 --seed 1 --month-end 2026-10-31 [--extract DIR]

Benchmark-only dependency: openfisca-core (measured with 46.0.1), not a dependency of Komek.

Untimed: generating the extract (when none is given) and writing OpenFisca's parameter files from
Komek's. Timed once and shared: reading the extract and building the input frames
(`registry_inputs.build`). Timed for each engine, each in its own fresh interpreter so the load is
cold and the peak memory its own (numpy, polars and the shared input code already imported):
  load       Komek: standard() (formula modules, parameters, checks); OpenFisca: importing
             openfisca-core and the system, TaxBenefitSystem construction with its parameters
  build      the frames as arrays (openfisca_kz/frames.py), then Simulation(...) / SimulationBuilder + set_input
  calculate  the four measures
Exits 1 if any household's amount differs between the engines.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MEASURES = ("tsa", "housing_assistance", "disability_benefit", "large_family_benefit")
ENGINES = ("komek", "openfisca")


def _status_gib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 2**20        # kB
    raise KeyError(field)


def reset_peak_rss() -> None:
    """Start the peak-RSS count afresh (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_gib() -> float:
    try:
        return _status_gib("VmHWM")
    except (OSError, KeyError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_engine(engine: str, frames: Path, on: dt.date, out: Path) -> dict:
    """In this process: load, build and calculate with one engine; amounts to `out` (npz)."""
    import polars as pl
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from openfisca_kz.frames import arrays

    persons = pl.read_parquet(frames / "persons.parquet")
    households = pl.read_parquet(frames / "households.parquet")
    import gc
    gc.collect()
    reset_peak_rss()
    rss_inputs = peak_rss_gib()      # the input frames, resident in both engines' runs
    t0 = time.perf_counter()
    if engine == "komek":
        from komek.engine import Simulation
        from komek.kz.standard import standard
        rules = standard()
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import openfisca_kz
        tbs = openfisca_kz.system(frames / "openfisca_parameters")
    t1 = time.perf_counter()
    p, h, group_of = arrays(persons, households)
    if engine == "komek":
        sim = Simulation(rules, on, p, h, group_of)
        amounts = lambda m: sim.calculate(m)        # noqa: E731
    else:
        period = f"{on:%Y-%m}"
        sim = openfisca_kz.simulation(tbs, p, h, group_of, period)
        amounts = lambda m: sim.calculate(m, period)    # noqa: E731
    t2 = time.perf_counter()
    values = {m: np.asarray(amounts(m)) for m in MEASURES}
    t3 = time.perf_counter()
    peak = peak_rss_gib()
    np.savez(out, group_of=group_of, **values)
    return {"load": t1 - t0, "build": t2 - t1, "calculate": t3 - t2, "total": t3 - t0,
            "peak_rss_gib": peak, "inputs_rss_gib": rss_inputs}


def household_amounts(npz: Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-household amounts (the disability benefit, a person's, summed over members) and the
    disability benefit of each person."""
    data = np.load(npz)
    group_of = data["group_of"]
    n = int(group_of.max(initial=-1)) + 1
    out = {}
    for m in MEASURES:
        v = data[m].astype(float)
        out[m] = np.bincount(group_of, weights=v, minlength=n) if m == "disability_benefit" else v
    return out, data["disability_benefit"].astype(float)


def compare(a: tuple[dict, np.ndarray], b: tuple[dict, np.ndarray]) -> tuple[int, float, dict]:
    """(households with any differing amount, largest absolute difference, per-measure counts)."""
    (ha, pa), (hb, pb) = a, b
    differs = np.zeros(len(ha[MEASURES[0]]), dtype=bool)
    worst, per_measure = 0.0, {}
    for m in MEASURES:
        diff = np.abs(ha[m] - hb[m])
        differs |= diff != 0
        worst = max(worst, float(diff.max(initial=0)))
        per_measure[m] = int((diff != 0).sum())
    per_measure["disability_benefit (persons)"] = int((pa != pb).sum())
    return int(differs.sum()), worst, per_measure


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--month-end", type=dt.date.fromisoformat, default=dt.date(2026, 10, 31))
    ap.add_argument("--extract", type=Path, help="an existing extract (default: generate one, untimed)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each engine, alternating; the median is shown")
    ap.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    ap.add_argument("--frames", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        stats = run_engine(args.worker, args.frames, args.month_end, args.frames / f"{args.worker}.npz")
        print(json.dumps(stats))
        return 0

    from komek.kz import registry_inputs
    from komek.services.sources import source
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from openfisca_kz import parameters as of_parameters

    with tempfile.TemporaryDirectory(prefix="bench_openfisca_") as tmp:
        tmp = Path(tmp)
        extract = args.extract
        if extract is None:
            from komek.synth import generate
            extract = tmp / "extract"
            t = time.perf_counter()
            generate(extract, args.households, seed=args.seed)
            print(f"extract generated in {time.perf_counter() - t:.1f} s (not timed below)", file=sys.stderr)
        t = time.perf_counter()
        persons, households = registry_inputs.build(registry_inputs.tables_of(source(extract)), args.month_end)
        shared = time.perf_counter() - t
        persons.write_parquet(tmp / "persons.parquet")
        households.write_parquet(tmp / "households.parquet")
        of_parameters.write(tmp / "openfisca_parameters")

        runs, amounts = {e: [] for e in ENGINES}, {}
        for _ in range(args.repeat):
            for engine in ENGINES:
                cmd = [sys.executable, __file__, "--worker", engine, "--frames", str(tmp),
                       "--month-end", args.month_end.isoformat()]
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode:
                    sys.stderr.write(done.stdout + done.stderr)
                    raise SystemExit(f"{engine} failed")
                runs[engine].append(json.loads(done.stdout.strip().splitlines()[-1]))
                amounts[engine] = household_amounts(tmp / f"{engine}.npz")
        stats = {e: {k: float(np.median([r[k] for r in runs[e]])) for k in runs[e][0]} for e in ENGINES}

    mismatches, worst, per_measure = compare(amounts["komek"], amounts["openfisca"])
    hh = len(amounts["komek"][0][MEASURES[0]])
    print(f"{hh:,} households, {persons.height:,} persons, month ending {args.month_end}")
    print(f"shared input frames (scan + registry_inputs.build): {shared:.2f} s")
    if args.repeat > 1:
        print(f"median of {args.repeat} runs of each engine")
    print(f"{'engine':<10}{'load s':>9}{'build s':>9}{'calc s':>9}{'total s':>9}{'peak RSS GiB':>14}")
    for engine in ENGINES:
        s = stats[engine]
        print(f"{engine:<10}{s['load']:>9.2f}{s['build']:>9.2f}{s['calculate']:>9.2f}{s['total']:>9.2f}"
              f"{s['peak_rss_gib']:>14.2f}")
    k, o = stats["komek"], stats["openfisca"]
    print("OpenFisca / Komek: " + "  ".join(f"{ph} {o[ph] / k[ph]:.2f}x" for ph in ("load", "build", "calculate", "total")))
    print(f"(peak RSS over load + build + calculate, counting the input frames already resident: "
          f"{k['inputs_rss_gib']:.2f} GiB)")
    for m in MEASURES:
        total = amounts["komek"][0][m]
        print(f"  {m:<22} recipients {int((total > 0).sum()):>9,}  tenge {total.sum():>18,.0f}")
    print(f"households with a differing amount: {mismatches:,}; largest difference {worst:,.2f} tenge; "
          + ", ".join(f"{m} {n}" for m, n in per_measure.items()))
    return 1 if mismatches or per_measure["disability_benefit (persons)"] else 0


if __name__ == "__main__":
    sys.exit(main())

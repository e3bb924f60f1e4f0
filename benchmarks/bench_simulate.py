"""Every measure for every household of a country-sized extract, one month: wall time and peak memory.
With --reform, the reform is simulated too and its impact computed (services.impact: deciles,
poverty, Gini, level moves), each step timed.

    python benchmarks/bench_simulate.py --households 6200000 --extract /tmp/country [--month 2026-10]
    python benchmarks/bench_simulate.py --households 100000 --extract /tmp/x --reform docs/examples/reform-tsa-line.yaml

The extract is generated first (in a separate process, not timed) if the folder has none.
"""
import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=6_200_000)
    ap.add_argument("--extract", type=Path, required=True)
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("/tmp/komek-country-simulation"))
    ap.add_argument("--reform", type=Path, help="a reform file: simulate it too and time its impact")
    args = ap.parse_args()
    if not (args.extract / "persons.parquet").exists():
        print(f"generating {args.households:,} households into {args.extract} (not timed)...", flush=True)
        subprocess.run([sys.executable, "-c", "import sys; from komek.synth import generate; "
                        f"generate(sys.argv[1], {args.households}, seed={args.seed}, months=17)", str(args.extract)],
                       check=True)
    from komek.periods import month_end
    from komek.services.simulate import national, simulate
    from komek.services.sources import source
    t0 = time.perf_counter()
    run = simulate(source(args.extract), month_end(args.month), out=args.out)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"{run.counts['households']:,} households, {run.counts['persons']:,} persons, all measures for {args.month}, "
          f"results streamed to {args.out}: {wall:.1f} s wall, peak RSS {peak:.2f} GiB")
    print(national(run.summary))
    for measure, why in run.not_computed.items():
        print(f"not computed {measure}: {why}")
    if args.reform:
        from komek.engine.reform import Reform
        from komek.services.impact import impact, moves
        t0 = time.perf_counter()
        reformed = simulate(source(args.extract), month_end(args.month), reform=Reform.load(args.reform), out=args.out / "reform")
        t1 = time.perf_counter()
        effect = impact(source(args.extract), run, reformed)
        t2 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        nat = effect.poverty.row(0, named=True)
        print(f"reform simulated in {t1 - t0:.1f} s; impact (deciles, poverty by region, Gini, level moves) in "
              f"{t2 - t1:.1f} s; peak RSS {peak:.2f} GiB")
        print(f"headcount {nat['headcount_before']:.2f}% -> {nat['headcount_after']:.2f}%, gap {nat['gap_before']:.3f}% -> "
              f"{nat['gap_after']:.3f}%, Gini {effect.gini['before']:.4f} -> {effect.gini['after']:.4f}, levels {moves(effect.levels)}")


if __name__ == "__main__":
    main()

"""The social audit over 12 months of payments for N households: wall time and peak memory.

    python benchmarks/bench_audit.py --households 1000000 --extract /tmp/audit-1m [--rate 0.01]
    python benchmarks/bench_audit.py --households 6200000 --extract /tmp/country --rate 0

The extract (12 months of payments, irregularities planted at RATE) is generated first, in a
separate process and not timed, if the folder has none. An extract with payments but no answer
key (a clean country: planting holds every table in memory, too much for a country on 24 GiB)
is audited and timed the same way, without precision and recall. The timed part reads the extract, runs
the rules engine for each month paid, every rule check and the anomaly lane, and writes the
findings to Parquet (not to a database). Precision and recall against the answer key follow.
"""
import argparse
import datetime as dt
import resource
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--extract", type=Path, required=True)
    ap.add_argument("--rate", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not (args.extract / "payments.parquet").exists():
        print(f"generating {args.households:,} households, 12 months of payments, irregularities {args.rate} "
              f"into {args.extract} (not timed)...", flush=True)
        subprocess.run([sys.executable, "-c", "import sys, datetime as dt; from komek.services.extracts import generate_extract; "
                        f"generate_extract(sys.argv[1], {args.households}, {args.seed}, dt.date(2026, 11, 1), 12, "
                        f"irregularities={args.rate})", str(args.extract)], check=True)
    import polars as pl

    from komek.audit.plant import anomaly_precision, answer_key_path, score
    from komek.services.audit import by_check, run_audit
    from komek.services.sources import source
    t0 = time.perf_counter()
    result = run_audit(source(args.extract), args.extract.parent / f"{args.extract.name}-audit")
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
    print(f"{args.households:,} households, {result.payments:,} payments over 12 months: {wall:.1f} s wall "
          f"({stages}), peak RSS {peak:.2f} GiB, {dt.datetime.now():%Y-%m-%d}")
    with pl.Config(tbl_rows=20, tbl_width_chars=160):
        print(by_check(result.findings))
        if not answer_key_path(args.extract).exists():
            print("no answer key next to the extract (nothing planted): precision and recall not measured")
            return
        key = pl.read_parquet(answer_key_path(args.extract))
        print(score(result.findings, key))
        n, share = anomaly_precision(result.anomalies, key)
        print(f"anomaly lane: {result.anomalies.height:,} unusual recipients; precision of the top {n}: {share}")


if __name__ == "__main__":
    main()

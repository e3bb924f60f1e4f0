"""Time the synthetic generator: `python benchmarks/bench_generate.py --households 1000000`.

Prints wall seconds, rows per second over all tables and the peak resident memory.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from komek.synth import generate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, help="keep the extract here (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        s = generate(out, args.households, seed=args.seed,
                     progress=lambda label, done, total: print(f"  {done:2}/{total} {label}", file=sys.stderr))
        wall = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in out.glob("*.parquet"))
    rows = sum(s.rows.values())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss      # kilobytes on Linux
    print(f"households {s.households:,}  persons {s.persons:,}")
    for t, n in s.rows.items():
        print(f"  {t:<17}{n:>13,}")
    print(f"wall {wall:.1f} s  rows {rows:,}  {rows / wall:,.0f} rows/s  "
          f"parquet {size / 2**20:,.0f} MiB  peak RSS {peak_kib / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()

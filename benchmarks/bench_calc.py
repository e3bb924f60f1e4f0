"""One household with its explanation and its summary sentences: the time `komek calc --explain`
spends computing, in each language of the summary (the catalogs are compiled once, when warm).

    python benchmarks/bench_calc.py [--repeat 500]
"""
import argparse
import json
import statistics
import time
from pathlib import Path

from komek.kz import summary
from komek.kz.standard import benefits, standard
from komek.services.calc import calculate, parse, simulation_for

SITUATION = json.loads((Path(__file__).parents[1] / "docs" / "examples" / "situation.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=500)
    args = ap.parse_args()
    t0 = time.perf_counter()
    standard()
    load = time.perf_counter() - t0
    for explain, lang in ((False, "en"), (True, "en"), (True, "kk"), (True, "ru")):
        calculate(SITUATION, with_explanation=explain, lang=lang)          # warm
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            calculate(SITUATION, with_explanation=explain, lang=lang)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        what = f"with explanation and summary ({lang})" if explain else "without explanation"
        print(f"{what}: median {statistics.median(times):.2f} ms, "
              f"p95 {times[int(0.95 * len(times))]:.2f} ms over {args.repeat} runs")
    sim = simulation_for(parse(SITUATION), standard())
    ids = [m["id"] for m in SITUATION["household"]["members"]]
    for lang in ("en", "kk", "ru"):
        summary.summary(sim, benefits(), 0, ids, lang)                    # warm: the catalog compiled
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            summary.summary(sim, benefits(), 0, ids, lang)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        print(f"the summary alone ({lang}, {len(benefits())} measures): median {statistics.median(times):.2f} ms, "
              f"p95 {times[int(0.95 * len(times))]:.2f} ms")
    print(f"rules loaded and checked once in {load * 1000:.0f} ms")


if __name__ == "__main__":
    main()

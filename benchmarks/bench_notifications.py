"""Notifications: how fast changes write them (one transaction each) and how fast one relay, or
several in parallel processes, delivers them through the file sink, on a fresh database.

    python benchmarks/bench_notifications.py [--count 5000] [--relays 2] [--database postgresql+psycopg://...]
"""
import argparse
import datetime as dt
import multiprocessing
import tempfile
import threading
import time
from pathlib import Path

from komek.cases.notifications import counts, notify
from komek.cases.notifications.relay import Relay
from komek.registry import migrate, session
from komek.settings import Settings

VALUES = {"appeal": "AP-1", "date": dt.date(2026, 12, 5), "due": dt.date(2027, 1, 5)}


def relay(cfg: Settings) -> None:
    Relay(cfg).run(threading.Event(), once=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--relays", type=int, default=1)
    ap.add_argument("--database")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="komek-bench-notifications-"))
    cfg = Settings(data_dir=folder, database_url=args.database)
    migrate(cfg.database)
    t = time.perf_counter()
    for i in range(args.count):
        with session(cfg.database) as s:
            notify(s, phone=f"+7 701 {i:07d}", template="appeal_received", values=VALUES, about=f"appeal:{i}", language="ru")
    wrote = time.perf_counter() - t
    t = time.perf_counter()
    workers = [multiprocessing.Process(target=relay, args=(cfg,)) for _ in range(args.relays)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    sent = time.perf_counter() - t
    lines = (folder / "notifications" / "sent.jsonl").read_text("utf-8").count("\n")
    print(f"{cfg.database_display.split(':')[0]}: {args.count:,} written in {wrote:.1f} s ({args.count / wrote:,.0f}/s, "
          f"one transaction each); delivered by {args.relays} relay(s) in {sent:.1f} s ({args.count / sent:,.0f}/s); "
          f"{counts(cfg.database)}; {lines:,} lines at the sink")


if __name__ == "__main__":
    main()

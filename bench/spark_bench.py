"""Spark local[2] against the embedded DuckDB engine on one generated log.

Not a test (pytest does not collect bench/). Generates a log (`govcheck fixtures generate`,
year 2022, seed 1) unless one is given, then times `govcheck check FILE --format json` with
each engine as a separate process (Spark's includes starting its JVM), compares the two
reports byte for byte, and, with ``--append``, adds a section to docs/benchmarks.md with the
machine's load average (the machine may be shared).

    .venv/bin/python bench/spark_bench.py --events 1000000 --rule GB-OGI-26-1 --append
    .venv/bin/python bench/spark_bench.py --log big.csv --master 'local[2]'

``--rule`` (repeatable) limits both engines to those rules: on a small machine Spark spends
seconds planning and scheduling each rule's query (docs/scale.md), so the whole library at
1M takes it far longer than DuckDB.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
GOVCHECK = [sys.executable, str(ROOT / "cli.py")]


def timed(cmd: list[str], out: Path) -> float:
    """Run ``cmd`` with stdout to ``out``; its wall time in seconds."""
    started = time.perf_counter()
    with open(out, "wb") as sink:
        subprocess.run(cmd, stdout=sink, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--log", help="an existing log instead of a generated one")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--rule", action="append", default=[])
    parser.add_argument("--append", action="store_true", help="add the result to docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(args.log) if args.log else Path(tmp) / "log.csv"
        if not args.log:
            subprocess.run(GOVCHECK + ["fixtures", "generate", "--events", str(args.events),
                                       "--seed", "1", "-o", str(log)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = GOVCHECK + ["check", str(log), "--city", "邵阳市", "--format", "json",
                           "--fail-on", "never"] + [x for r in args.rule for x in ("--rule", r)]
        load = os.getloadavg()
        duck = timed(base, Path(tmp) / "duckdb.json")
        spark = timed(base + ["--engine", "spark", "--spark-master", args.master],
                      Path(tmp) / "spark.json")
        same = (Path(tmp) / "duckdb.json").read_bytes() == (Path(tmp) / "spark.json").read_bytes()
        events = sum(1 for _ in open(log, encoding="utf-8")) - 1 if log.suffix == ".csv" else args.events
    rules = ", ".join(args.rule) or "the whole library"
    lines = [f"- {events:,} events, {rules}: DuckDB {duck:.1f} s, Spark {args.master} {spark:.1f} s "
             f"({spark / duck:.1f}×; {spark / events * 1e6:.1f} µs an event), reports "
             f"{'identical' if same else 'DIFFERENT'}; load average {load[0]:.1f} on "
             f"{os.cpu_count()} CPUs"]
    print("\n".join(lines))
    if args.append:
        with open(DOCS, "a", encoding="utf-8") as docs:
            docs.write(f"\n## Spark local against DuckDB ({dt.date.today()}, {platform.machine()}, "
                       f"`bench/spark_bench.py`)\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

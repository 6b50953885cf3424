"""Spark local against the embedded DuckDB engine on generated logs, and where Spark's time goes.

Not a test (pytest does not collect bench/). For each size it generates a log
(`govcheck fixtures generate`, year 2022, seed 1) unless one is given, times
`govcheck check LOG --city 邵阳市 --format json` with DuckDB as a separate process, then
checks the same log with Spark in this process (the engine's own session settings, as
`--engine spark` starts it), timing each phase: the session's start; reading the log
(parse, number the rows, drop copies, spread by case, cache); the questions the report
asks of the log (its latest time, units, event types, span, counts); the rules' queries
(wall time, and the thread-seconds of the rules run at once); the one evidence query; and
the report. The two JSON reports are compared byte for byte. ``--append`` adds a section
to docs/benchmarks.md with the load average before and after (the machine may be shared).

    .venv/bin/python bench/spark_bench.py --events 1000000 --append
    .venv/bin/python bench/spark_bench.py --events 1500 --events 1000000 --master 'local[2]'
    .venv/bin/python bench/spark_bench.py --log big.csv
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
GOVCHECK = [sys.executable, str(ROOT / "cli.py")]
CITY = "邵阳市"


def timed(cmd: list[str], out: Path) -> float:
    """Run ``cmd`` with stdout to ``out``; its wall time in seconds."""
    started = time.perf_counter()
    with open(out, "wb") as sink:
        subprocess.run(cmd, stdout=sink, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


class Phases:
    """Seconds spent in each wrapped function, summed over calls (and over the threads
    that call it at once)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, owner, name: str, phase: str) -> None:
        """Time ``owner.name`` (a module's function or a class's method) as ``phase``."""
        original = getattr(owner, name)

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - started

        setattr(owner, name, wrapper)


def spark_check(log: Path, master: str) -> tuple[bytes, dict[str, float], dict[str, float]]:
    """The JSON report of ``check --engine spark`` on ``log``, the seconds of its phases,
    and the megabytes the log took in Spark's cache (memory, disk) when the rules began."""
    from govcheck.engine import api
    from govcheck.engine.render import render
    from govcheck.engine.spark import database, ingest, run
    from govcheck.engine.spark.session import start

    phases = Phases()
    kept: dict[str, float] = {}
    answers = run.rule_answers

    def measured_answers(spark, *args, **kwargs):
        """The rules' answers, once the size of the log Spark keeps is noted."""
        kept.update(cached_megabytes(spark))
        return answers(spark, *args, **kwargs)

    run.rule_answers = measured_answers
    phases.wrap(ingest, "ingest", "read the log")
    phases.wrap(database.SparkDatabase, "execute", "questions")
    phases.wrap(run, "rule_answers", "rules (wall)")
    phases.wrap(run, "run_staged", "rules (thread-seconds)")
    phases.wrap(run, "gather_evidence", "evidence")
    started = time.perf_counter()
    start(master)
    phases.seconds["session start"] = time.perf_counter() - started
    started = time.perf_counter()
    report = api.check(api.Run(events=[str(log)], city=CITY, engine="spark", spark_master=master))
    text = render(report, "json")
    total = time.perf_counter() - started
    inside = ("read the log", "questions", "rules (wall)", "evidence")
    phases.seconds["the rest (rules loaded, report built)"] = total - sum(
        phases.seconds[p] for p in inside)
    phases.seconds["check"] = total
    return text, dict(phases.seconds), kept


def cached_megabytes(spark) -> dict[str, float]:
    """What Spark keeps of the log (the ``events`` view), in memory and on disk, in MB."""
    infos = spark.sparkContext._jsc.sc().getRDDStorageInfo()
    return {"memory": sum(i.memSize() for i in infos) / 2 ** 20,
            "disk": sum(i.diskSize() for i in infos) / 2 ** 20}


def measure(log: Path, events: int, master: str, tmp: Path) -> list[str]:
    """Both engines on ``log``: the lines of docs/benchmarks.md that say what they took."""
    load_before = os.getloadavg()
    duck_json = tmp / "duckdb.json"
    duck = timed(GOVCHECK + ["check", str(log), "--city", CITY, "--format", "json",
                             "--fail-on", "never"], duck_json)
    spark_json, phases, kept = spark_check(log, master)
    load_after = os.getloadavg()
    same = spark_json == duck_json.read_bytes()
    whole = phases["session start"] + phases["check"]
    lines = [f"- {events:,} events: DuckDB {duck:.1f} s (a process), Spark {master} "
             f"{whole:.1f} s ({whole / duck:.1f}×; {whole / events * 1e6:.1f} µs an event); "
             f"reports {'identical' if same else 'DIFFERENT'}; load average "
             f"{load_before[0]:.1f} → {load_after[0]:.1f} on {os.cpu_count()} CPUs"]
    lines += [f"  - {phase}: {seconds:.1f} s" for phase, seconds in phases.items()
              if phase != "check"]
    lines.append(f"  - the log as Spark keeps it: {kept['memory']:.0f} MB in memory, "
                 f"{kept['disk']:.0f} MB on disk")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, action="append",
                        help="generate a log of this many events (repeatable; default 1,000,000)")
    parser.add_argument("--log", help="an existing log instead of generated ones")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--append", action="store_true", help="add the result to docs/benchmarks.md")
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if args.log:
            log = Path(args.log)
            events = sum(1 for _ in open(log, encoding="utf-8")) - 1
            lines += measure(log, events, args.master, tmp)
            print("\n".join(lines), flush=True)
        for events in ([] if args.log else args.events or [1_000_000]):
            log = tmp / f"log-{events}.csv"
            subprocess.run(GOVCHECK + ["fixtures", "generate", "--events", str(events),
                                       "--seed", "1", "-o", str(log)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            found = measure(log, events, args.master, tmp)
            print("\n".join(found), flush=True)
            lines += found
    if args.append:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        with open(DOCS, "a", encoding="utf-8") as docs:
            docs.write(f"\n## Spark local against DuckDB (`bench/spark_bench.py`, {dt.date.today()}, "
                       f"commit {commit}, {platform.machine()})\n\nThe whole library with "
                       f"{CITY}'s packs on a generated 2022 log (seed 1); Spark's phases in "
                       f"one process.\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

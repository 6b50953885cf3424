"""How `govcheck check` scales: 1M and 10M generated events against the whole shipped library.

Not a test (pytest does not collect bench/). For each size it generates a log
(`govcheck fixtures generate`, year 2022, seed 1), times DuckDB's own bare scan of that file
(`SELECT count(*) FROM read_csv(...)`) and DuckDB's own copy of it into a table as text,
then `govcheck check FILE --format json`, each as a separate process whose peak resident
memory is read from its rusage, and appends a section to docs/benchmarks.md: events,
rules, seconds, ratios to the scan and to the copy, peak RSS, and the cost of 10M relative
to 1M. The machine may be shared: its load average is recorded too.

    .venv/bin/python bench/run.py                       # 1M and 10M, appends to the docs
    .venv/bin/python bench/run.py --sizes 1000000 --no-append
    .venv/bin/python bench/run.py --sizes 1000000 --profile   # where check's time goes
    .venv/bin/python bench/run.py --logs 1m.csv,10m.csv --city 邵阳市 \
        --rules GB-OGI-26-1,SY22-FW-32-1,SY22-FW-01-1 --repeat 2   # logs made once, one-rule rows

``--profile`` runs the check's steps in this process and prints the time of the log load
(ingest), of each rule's query and of its evidence query, summed by kind, and the slowest
rules. ``--logs`` reuses logs already generated (a city-year takes a while to make) instead
of generating them. ``--rules`` adds, for each log, one row per rule: the hand-written DuckDB
script of ``bench/handwritten/`` for it and ``govcheck check --rule RULE`` on the same file,
each a whole process, run alternately ``--repeat`` times, both judging at the full check's
``as_of``. Targets: one rule ≤ 1.5× its script's time and ≤ 2× its peak memory; the whole
library ≤ 6× the bare scan at 10M, peak RSS ≤ 2 GB, 10M ≤ 11× 1M.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
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

#: Runs a command and prints its wall time and its rusage (max RSS in KiB on Linux).
_MEASURE = """
import json, resource, subprocess, sys, time
cmd = json.loads(sys.argv[1])
t = time.perf_counter()
done = subprocess.run(cmd, capture_output=True, text=True)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": done.returncode, "wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime,
                  "maxrss_kb": ru.ru_maxrss, "stdout": done.stdout[-2000:], "stderr": done.stderr[-2000:]}))
"""

#: DuckDB's own bare scan of the file, and its own copy of the file into a table as text
#: (every column VARCHAR, nothing cleaned): the least any check that keeps the log's
#: attributes in a table must spend before its first rule runs.
_SCAN = """
import duckdb, sys, time
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
t = time.perf_counter()
n = con.execute("SELECT count(*) FROM read_csv(?)", [sys.argv[1]]).fetchone()[0]
scan = time.perf_counter() - t
t = time.perf_counter()
con.execute("CREATE TABLE copied AS SELECT * FROM read_csv(?, all_varchar = true)", [sys.argv[1]])
print(n, scan, time.perf_counter() - t)
"""


def measure(cmd: list[str]) -> dict:
    """Wall time, CPU time and peak RSS of ``cmd`` run as its own process."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, json.dumps(cmd)], capture_output=True,
                         text=True, check=True)
    result = json.loads(out.stdout)
    if result["rc"] not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({result['rc']}):\n{result['stderr']}")
    return result


def load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 2**20:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs{mem}, Python {platform.python_version()}"


def run_size(events: int, workdir: Path, seed: int, year: int, given: Path | None = None,
             city: str | None = None) -> dict:
    """Generate a log of ``events`` (or take the ``given`` one), then time the scan, the
    copy and the whole library's check of it."""
    log = given or workdir / f"events-{events}.csv"
    started_load = load()
    gen = {"wall": float("nan"), "user": float("nan"), "sys": float("nan")}
    if given is None:
        gen = measure(GOVCHECK + ["fixtures", "generate", "--events", str(events), "--seed",
                                  str(seed), "--year", str(year), "-o", str(log)])
    scan_proc = subprocess.run([sys.executable, "-c", _SCAN, str(log)], capture_output=True,
                               text=True, check=True)
    rows, scan, copy = scan_proc.stdout.split()[-3:]
    check = measure(GOVCHECK + ["check", str(log), "--format", "json", "-o", str(workdir / "report.json"),
                                "--fail-on", "never"] + (["--city", city] if city else []))
    report = json.loads((workdir / "report.json").read_text(encoding="utf-8"))
    row = {
        "events": int(rows), "log": str(log), "as_of": report["as_of"], "rows_scanned": int(rows), "rules": len(report["rules"]),
        "violations": len(report["violations"]), "file_mb": log.stat().st_size / 2**20,
        "generate_s": gen["wall"], "generate_cpu_s": gen["user"] + gen["sys"],
        "scan_s": float(scan), "copy_s": float(copy),
        "check_s": check["wall"], "check_cpu_s": check["user"] + check["sys"],
        "peak_rss_mb": check["maxrss_kb"] / 1024, "load": f"{started_load} → {load()}",
    }
    row["ratio"] = row["check_s"] / row["scan_s"]
    row["copy_ratio"] = row["check_s"] / row["copy_s"]
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


HANDWRITTEN = ROOT / "bench" / "handwritten.py"


def run_rule(rule: str, size: dict, workdir: Path, city: str | None, repeat: int) -> dict:
    """One rule on one log: its hand-written script and ``check --rule``, alternately,
    ``repeat`` times each; the best wall time and the highest peak RSS of each."""
    script, check = [], []
    started_load = load()
    for _ in range(repeat):
        script.append(measure([sys.executable, str(HANDWRITTEN), rule, size["log"], size["as_of"]]))
        check.append(measure(GOVCHECK + ["check", size["log"], "--rule", rule, "--as-of", size["as_of"],
                                         "--format", "json", "-o", str(workdir / f"{rule}.json"),
                                         "--fail-on", "never"] + (["--city", city] if city else [])))
    found = json.loads(script[-1]["stdout"])["findings"]
    report = json.loads((workdir / f"{rule}.json").read_text(encoding="utf-8"))
    row = {"rule": rule, "events": size["events"], "script_findings": found,
           "check_findings": len(report["violations"]) + len(report["warnings"]),
           "script_s": [round(m["wall"], 2) for m in script],
           "check_s": [round(m["wall"], 2) for m in check],
           "script_rss_mb": max(m["maxrss_kb"] for m in script) / 1024,
           "check_rss_mb": max(m["maxrss_kb"] for m in check) / 1024,
           "load": f"{started_load} → {load()}"}
    row["time_ratio"] = min(row["check_s"]) / min(row["script_s"])
    row["rss_ratio"] = row["check_rss_mb"] / row["script_rss_mb"]
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def profile(log: Path) -> str:
    """Where check's time goes: ingest, then each rule's query and evidence, by kind."""
    from govcheck.engine.api import connect, select_rules
    from govcheck.engine.batch.run import _evidence, gather_case_events, judge, table_columns
    from govcheck.engine.data.calendar import WorkCalendar
    from govcheck.engine.batch.compile import compile_rule
    from govcheck.engine.data.ingest import ingest

    rules, calendar = select_rules(None), WorkCalendar.load()
    con = connect()
    t = time.perf_counter()
    ingest(con, [str(log)])
    ingest_s = time.perf_counter() - t
    (as_of,) = con.execute('SELECT max("timestamp") FROM events').fetchone()
    calendar.load_into(con)
    columns = table_columns(con)
    compiled, found, queries = [], [], []
    for item in rules:
        compiled.append(compile_rule(item.rule, columns))
        t = time.perf_counter()
        found.append({r[1] for r in judge(con, compiled[-1], as_of, calendar).found if r[1]})
        queries.append(time.perf_counter() - t)
    t = time.perf_counter()
    gather_case_events(con, as_of, set().union(*found), columns)
    gather_s = time.perf_counter() - t
    timings = []
    for item, c, cases, query in zip(rules, compiled, found, queries):
        t = time.perf_counter()
        _evidence(con, c, as_of, cases)
        timings.append((item.rule.id, item.rule.kind, query, time.perf_counter() - t))
    con.close()
    kinds: dict[str, list[float]] = {}
    for _, kind, q, e in timings:
        acc = kinds.setdefault(kind, [0.0, 0.0, 0])
        acc[0] += q
        acc[1] += e
        acc[2] += 1
    lines = [f"ingest {ingest_s:.1f} s; rule queries {sum(t[2] for t in timings):.1f} s; "
             f"gathering the found cases' events {gather_s:.1f} s; "
             f"evidence queries {sum(t[3] for t in timings):.1f} s"]
    lines += [f"  {kind}: {n} rules, queries {q:.1f} s, evidence {e:.1f} s"
              for kind, (q, e, n) in sorted(kinds.items(), key=lambda kv: -kv[1][0] - kv[1][1])]
    lines += ["  slowest: " + ", ".join(f"{r} ({k}) {q + e:.2f} s" for r, k, q, e in
                                        sorted(timings, key=lambda t: -t[2] - t[3])[:6])]
    return "\n".join(lines)


def rule_table(rule_rows: list[dict]) -> list[str]:
    """The one-rule rows: script against ``check --rule``, time and peak memory."""
    out = ["", "One rule: the hand-written DuckDB script (`bench/handwritten/RULE.sql`) against "
           "`govcheck check LOG --rule RULE --as-of T --format json`, whole processes, alternately "
           "(every wall time given, the best compared; the highest peak RSS of each):", "",
           "| rule | events | findings (script / check) | script | check | check / script | "
           "script RSS | check RSS | check / script RSS | load |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rule_rows:
        out.append(f"| {r['rule']} | {r['events']:,} | {r['script_findings']:,} / {r['check_findings']:,} | "
                   f"{', '.join(f'{s:.1f}' for s in r['script_s'])} s | "
                   f"{', '.join(f'{s:.1f}' for s in r['check_s'])} s | {r['time_ratio']:.2f}× | "
                   f"{r['script_rss_mb']:,.0f} MB | {r['check_rss_mb']:,.0f} MB | {r['rss_ratio']:.2f}× | "
                   f"{r['load']} |")
    return out


def append(rows: list[dict], notes: list[str], rule_rows: list[dict] = (), city: str | None = None
           ) -> None:
    city = f" and `--city {city}`" if city else ""
    today = dt.date.today().isoformat()
    out = ["", f"## `govcheck check` at scale (`bench/run.py`, {today}, commit {commit()})", "",
           f"Logs from `govcheck fixtures generate`, checked against the whole "
           f"shipped library with `--format json`{city}. Scan = DuckDB's own `SELECT count(*) FROM "
           f"read_csv(...)` of the same file; copy = DuckDB's own `CREATE TABLE … AS SELECT * FROM "
           f"read_csv(..., all_varchar = true)` of it. Machine: {machine()}; load average "
           f"(1/5/15 min) before → after each size is given: the machine is shared.", "",
           "| events | rules | file | generate | scan | copy | check | check / scan | check / copy "
           "| check CPU | peak RSS | load |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        made = (f"{r['generate_s']:.1f} s ({r['events'] / r['generate_s']:,.0f}/s)"
                if r["generate_s"] == r["generate_s"] else "(made before)")
        out.append(f"| {r['events']:,} | {r['rules']} | {r['file_mb']:.0f} MB | {made} | "
                   f"{r['scan_s']:.2f} s | {r['copy_s']:.1f} s | "
                   f"{r['check_s']:.1f} s | {r['ratio']:.1f}× | {r['copy_ratio']:.1f}× | "
                   f"{r['check_cpu_s']:.1f} s | {r['peak_rss_mb']:,.0f} MB | {r['load']} |")
    by_size = {r["events"]: r for r in rows}
    if 1_000_000 in by_size and 10_000_000 in by_size:
        cost = by_size[10_000_000]["check_s"] / by_size[1_000_000]["check_s"]
        out += ["", f"10M / 1M cost: {cost:.1f}× (check wall time)."]
    out += rule_table(list(rule_rows)) if rule_rows else []
    out += ["", "Targets: one rule ≤ 1.5× its script's time and ≤ 2× its peak memory; the whole "
            "library ≤ 6× the scan at 10M, peak RSS ≤ 2 GB, 10M ≤ 11× 1M."]
    out += notes
    with open(DOCS, "a", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2022)
    parser.add_argument("--workdir", help="Where the logs go (default: a temporary folder).")
    parser.add_argument("--no-append", action="store_true", help="Do not write docs/benchmarks.md.")
    parser.add_argument("--profile", action="store_true", help="Also break the check's time down.")
    parser.add_argument("--logs", help="Logs already generated, comma-separated (instead of --sizes).")
    parser.add_argument("--city", help="check --city (the city's packs join the national ones).")
    parser.add_argument("--rules", help="Rules (comma-separated) timed against their hand-written script.")
    parser.add_argument("--repeat", type=int, default=2, help="Runs of each one-rule pair.")
    args = parser.parse_args()
    logs = [Path(p) for p in args.logs.split(",")] if args.logs else []
    sizes = [0] * len(logs) if logs else [int(s) for s in args.sizes.split(",")]
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="govcheck-bench-", dir=args.workdir) as tmp:
        rows, notes, rule_rows = [], [], []
        for i, events in enumerate(sizes):
            rows.append(run_size(events, Path(tmp), args.seed, args.year,
                                 logs[i] if logs else None, args.city))
            for rule in (args.rules.split(",") if args.rules else []):
                rule_rows.append(run_rule(rule, rows[-1], Path(tmp), args.city, args.repeat))
            if args.profile:
                text = profile(Path(rows[-1]["log"]))
                print(text, flush=True)
                notes += ["", f"Where the time goes at {rows[-1]['events']:,} events (in one process):", "",
                          "```", text, "```"]
    if not args.no_append:
        append(rows, notes, rule_rows, args.city)


if __name__ == "__main__":
    main()

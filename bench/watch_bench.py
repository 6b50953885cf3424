"""Benchmark (not a test) of ``govcheck watch``: sustained throughput and memory.

    .venv/bin/python bench/watch_bench.py                 # both scenarios, ~10 minutes
    .venv/bin/python bench/watch_bench.py --events 200000 # a quicker look
    .venv/bin/python bench/watch_bench.py --markdown docs/benchmarks.md   # append the results

Scenarios (each in its own process, so RSS is its own):

- ``steady``: 1,000,000 events (JSON lines, read from a file) of 10 rules: four deadline
  rules (one with pause/resume and extensions, three with ``warn_at``), a sequence with
  ``within``, a min_count with ``within``, a required_fields and a forbidden rule, plus
  events no rule reads. Each case stays open while the next ~25,000 cases open, so
  20,000+ cases are open at once for most of the run, then all close.
- ``hold``: the first event of each of 120,000 cases, one a minute, then the rest of each
  case: every case is open before any closes (over 100,000 open (rule, case) pairs; one
  case in seven has only a forbidden event and opens nothing).

Each scenario samples, every half second, how many events were judged and the process's
resident memory, and reports events/s over the whole run and per tenth of the input.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SOURCE = "source: {document: 基准测试, number: 基准〔2021〕1号, clause: 一、, quote: 基准条款}"
RULES = {
    "BENCH-DL-1": "kind: deadline\nstart: {event_type: 留言受理}\nend: {event_type: 留言答复}\n"
                  "within: {workdays: 5}\nwarn_at: 0.8\n",
    "BENCH-DL-2": "kind: deadline\nstart: {event_type: 办件受理}\nend: {event_type: 办件办结}\n"
                  "within: {workdays: 10}\npause: {event_type: 特别程序开始}\n"
                  "resume: {event_type: 特别程序结束}\n"
                  "extend: {event_type: 办件延期, workdays_from: 延长工作日}\nwarn_at: 0.7\n",
    "BENCH-DL-3": "kind: deadline\nstart: {event_type: 投诉受理, 渠道|ne: 电话}\n"
                  "end: {event_type: [投诉答复, 投诉办结]}\nwithin: {days: 15}\nwarn_at: 0.5\n",
    "BENCH-DL-4": "kind: deadline\nstart: {event_type: 依申请公开受理}\nend: {event_type: 依申请公开答复}\n"
                  "within: {workdays: 20}\n",
    "BENCH-SQ-1": "kind: sequence\ntrigger: {event_type: 工单受理}\n"
                  "steps: [{event_type: 工单交办}, {event_type: 工单办结}]\nordered: true\n"
                  "within: {workdays: 5}\n",
    "BENCH-MC-1": "kind: min_count\nsubject: {event_type: 文件印发}\ncount: {event_type: 解读发布}\n"
                  "at_least: 2\ndistinct: 解读形式\nwithin: {days: 10}\n",
    "BENCH-RF-1": "kind: required_fields\nevent: {event_type: 办件办结}\nfields: [办理结果, 经办人]\n",
    "BENCH-FB-1": "kind: forbidden\nevent: {event_type: 办件退件, 退件原因|exists: false}\n",
    "BENCH-SQ-2": "kind: sequence\ntrigger: {event_type: 投诉受理}\nsteps: [{event_type: 投诉回访}]\n"
                  "within: {workdays: 10}\n",
    "BENCH-FB-2": "kind: forbidden\nevent: {event_type: 超时办结, 等级|gte: 3}\n",
}
#: Case shapes: the events of a case, as (event type, extra attributes).
SHAPES = [
    [("留言受理", {}), ("内部流转", {}), ("留言答复", {})],
    [("办件受理", {}), ("特别程序开始", {}), ("特别程序结束", {}), ("办件延期", {"延长工作日": "5"}),
     ("办件办结", {"办理结果": "准予许可", "经办人": "张三"})],
    [("投诉受理", {"渠道": "网站"}), ("投诉回访", {}), ("投诉答复", {})],
    [("依申请公开受理", {}), ("依申请公开答复", {})],
    [("工单受理", {}), ("工单交办", {}), ("工单办结", {})],
    [("文件印发", {}), ("解读发布", {"解读形式": "图文"}), ("解读发布", {"解读形式": "视频"})],
    [("办件退件", {}), ("网站访问", {})],
]


def write_rules(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rid, body in RULES.items():
        (folder / f"{rid}.yaml").write_text(f"id: {rid}\ntitle: 基准{rid}\nseverity: error\n"
                                            f"{SOURCE}\n{body}", encoding="utf-8")
    return folder


def write_log(path: Path, events: int, open_span: int, seed: int = 1) -> int:
    """``events`` events; a case's last event comes ~``open_span`` case openings after its
    first. Times advance one minute per case opening (a few months in all). Returns the
    number of cases."""
    rng = random.Random(seed)
    t0 = dt.datetime(2021, 1, 4, 8, 0)
    pending: list[tuple[int, int, dict]] = []     # (when: opening index, order, event)
    cases = 0
    written = 0
    order = 0
    with open(path, "w", encoding="utf-8") as out:
        import heapq
        while written < events:
            shape = SHAPES[cases % len(SHAPES)]
            case_id = f"B{cases:07d}"
            unit = f"单位{cases % 37}"
            span = max(1, int(open_span * rng.uniform(0.6, 1.4)))
            for k, (etype, attrs) in enumerate(shape):
                when = cases + (span * k) // max(1, len(shape) - 1)
                order += 1
                heapq.heappush(pending, (when, order, {"case_id": case_id, "event_type": etype,
                                                       "unit": unit, **attrs}))
            while pending and pending[0][0] <= cases and written < events:
                when, _, event = heapq.heappop(pending)
                event["timestamp"] = (t0 + dt.timedelta(minutes=when)).strftime("%Y-%m-%d %H:%M:%S")
                out.write(json.dumps(event, ensure_ascii=False) + "\n")
                written += 1
            cases += 1
            if cases % 3 == 0 and written < events:       # an event no rule reads
                out.write(json.dumps({"case_id": f"N{cases}", "event_type": "网站访问",
                                      "timestamp": (t0 + dt.timedelta(minutes=cases)).strftime(
                                          "%Y-%m-%d %H:%M:%S")}, ensure_ascii=False) + "\n")
                written += 1
    return cases


def write_hold_log(path: Path, cases: int) -> int:
    """Every case's first event, one a minute, then the rest of every case: all cases are
    open at once before any closes. Returns the number of events."""
    t0 = dt.datetime(2021, 1, 4, 8, 0)
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        for phase in (0, 1):
            for i in range(cases):
                shape = SHAPES[i % len(SHAPES)]
                events = shape[:1] if phase == 0 else shape[1:]
                for k, (etype, attrs) in enumerate(events):
                    when = t0 + dt.timedelta(minutes=i + phase * (cases + 60))
                    out.write(json.dumps({"case_id": f"H{i:07d}", "event_type": etype,
                                          "unit": f"单位{i % 37}", **attrs,
                                          "timestamp": when.strftime("%Y-%m-%d %H:%M:%S")},
                                         ensure_ascii=False) + "\n")
                    written += 1
    return written


def rss_mb(pid: int | None = None) -> float:
    with open(f"/proc/{pid or 'self'}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_scenario(log: str, rules: str, shards: int) -> dict:
    """Run the monitor in this process, sampling progress and memory."""
    from govcheck.engine.watch.monitor import Monitor, WatchOptions

    out = open(os.devnull, "wb")
    err = io.StringIO()
    monitor = Monitor(WatchOptions(source=log, rules=[rules], status_every=0, shards=shards),
                      out, err)
    samples: list[tuple[float, int, float, int]] = []
    done = threading.Event()
    peak_open = [0]
    remembered = [0]

    def sample():
        t0 = time.perf_counter()
        while not done.wait(0.5):
            n_open = len(monitor.life.cases)
            peak_open[0] = max(peak_open[0], n_open)
            samples.append((time.perf_counter() - t0, monitor.stats.events, rss_mb(), n_open))
            remembered[0] = monitor.life.opened.size() + monitor.life.reported.size()

    monitor.start()
    start_rss = rss_mb()
    thread = threading.Thread(target=sample, daemon=True)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    thread.start()
    code = monitor.run()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    done.set()
    thread.join()
    samples.append((elapsed, monitor.stats.events, rss_mb(), len(monitor.life.cases)))
    s = monitor.stats
    return {"exit": code, "seconds": round(elapsed, 1), "events": s.events, "lines": s.lines,
            "events_per_s": round(s.events / elapsed), "peak_open": peak_open[0],
            "cpu_seconds": round(cpu, 1), "events_per_cpu_s": round(s.events / cpu),
            "load": os.getloadavg(),
            "start_rss_mb": round(start_rss), "peak_rss_mb": round(max(x[2] for x in samples)),
            "end_rss_mb": round(samples[-1][2]), "warnings": s.warnings,
            "violations": s.violations, "resolved": s.resolved,
            "remembered": monitor.life.opened.size() + monitor.life.reported.size(),
            "samples": [(round(a, 1), b, round(c), d) for a, b, c, d in samples],
            "status": err.getvalue().strip().splitlines()[-1]}


def windows(result: dict, parts: int = 10) -> list[tuple[int, int, int, int]]:
    """(events judged, events/s over the window, RSS MB, open cases) per tenth of the input."""
    samples = result["samples"]
    total = result["events"]
    out = []
    last_t, last_n = 0.0, 0
    for k in range(1, parts + 1):
        goal = total * k // parts
        row = next((s for s in samples if s[1] >= goal), samples[-1])
        t, n, rss, n_open = row
        rate = (n - last_n) / (t - last_t) if t > last_t else 0
        out.append((n, round(rate), rss, n_open))
        last_t, last_n = t, n
    return out


def child(args) -> None:
    print(json.dumps(run_scenario(args.log, args.rules, args.shards)), flush=True)


def markdown(results: dict[str, dict], args) -> str:
    import durable_rules_engine  # noqa: F401
    lines = [f"\n## govcheck watch ({dt.date.today().isoformat()})\n",
             f"`bench/watch_bench.py --events {args.events}`; Python {platform.python_version()}, "
             f"durable-rules 2.0.28, {os.cpu_count()} CPUs ({platform.machine()}), "
             f"{args.shards} shards. One process per scenario; input read from a JSON-lines "
             "file; findings written to /dev/null.\n",
             "| scenario | events | open (rule, case) at most | wall time | events/s (wall) | "
             "CPU time | events/CPU s | RSS start → peak → end | load (1/5/15 min) at the end |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        load = " / ".join(f"{x:.1f}" for x in r["load"])
        lines.append(f"| {name} | {r['events']:,} | {r['peak_open']:,} | {r['seconds']} s | "
                     f"{r['events_per_s']:,} | {r['cpu_seconds']} s | {r['events_per_cpu_s']:,} | "
                     f"{r['start_rss_mb']} → {r['peak_rss_mb']} → {r['end_rss_mb']} MB | {load} |")
    for name, r in results.items():
        lines.append(f"\n`{name}`, per tenth of the input (events judged, events/s in that "
                     "tenth, RSS, open cases):\n")
        lines.append("| events | events/s | RSS MB | open cases |")
        lines.append("|---|---|---|---|")
        for n, rate, rss, n_open in windows(r):
            lines.append(f"| {n:,} | {rate:,} | {rss} | {n_open:,} |")
        lines.append(f"\nFindings: {r['warnings']:,} warnings, {r['violations']:,} violations, "
                     f"{r['resolved']:,} resolved. Closed case ids remembered at the end "
                     f"(--remember-days): {r['remembered']:,}. Exit code {r['exit']}.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=25_000, help="cases open at once (steady)")
    parser.add_argument("--hold", type=int, default=120_000, help="cases opened before any closes")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--only", choices=["steady", "hold"])
    parser.add_argument("--markdown", help="append a Markdown section with the results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    parser.add_argument("--rules", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="govcheck-bench-") as tmp:
        rules = write_rules(Path(tmp) / "rules")
        plans = {"steady": (args.events, args.open), "hold": (None, args.hold)}
        for name, (events, span) in plans.items():
            if args.only and name != args.only:
                continue
            log = Path(tmp) / f"{name}.jsonl"
            t = time.perf_counter()
            if events is None:
                cases = span
                events = write_hold_log(log, cases)
            else:
                cases = write_log(log, events, span)
            print(f"{name}: wrote {events:,} events of {cases:,} cases in "
                  f"{time.perf_counter() - t:.0f} s", flush=True)
            proc = subprocess.run([sys.executable, __file__, "--child", "--log", str(log),
                                   "--rules", str(rules), "--shards", str(args.shards)],
                                  capture_output=True, text=True)
            if proc.returncode:
                print(proc.stderr[-2000:])
                raise SystemExit(f"{name} failed")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            results[name] = result
            print(f"{name}: {result['events']:,} events in {result['seconds']} s = "
                  f"{result['events_per_s']:,} events/s ({result['events_per_cpu_s']:,} per CPU s); "
                  f"open at most {result['peak_open']:,}; "
                  f"RSS {result['start_rss_mb']} → {result['peak_rss_mb']} → "
                  f"{result['end_rss_mb']} MB", flush=True)
            for row in windows(result):
                print("   ", row)
    text = markdown(results, args)
    print(text)
    if args.markdown:
        with open(args.markdown, "a", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()

"""Reproduce the durable-rules limits that `govcheck watch` is designed around.

Not a test: run it by hand and copy the numbers into docs/watch.md.

    .venv/bin/python bench/watch_limits.py            # all checks, about a minute
    .venv/bin/python bench/watch_limits.py collision  # one check

Each check runs in a child process, so a crash in the C extension is reported, not fatal.

- ``collision``: a message's identity in a session is the 32-bit FNV-1 hash of its id,
  compared by hash only. Two different ids with the same hash: the second is refused with
  ``MessageObservedException``. This is the "~49k pending events" limit: the first birthday
  collision among the ids of the stored events.
- ``pending``: events waiting for a partner, one session, until the first refusal; memory
  per stored event.
- ``sessions``: one session per case (``sid`` = case id) until the engine refuses one.
- ``timers``: a timer started in an action fires on the wall clock, whatever the events'
  own timestamps say.
- ``delete_state``: sessions freed after each match while the host's background threads
  run: how many runs of 12,000 cases end in a crash.
- ``py313``: build and import on Python 3.13 (``$PYTHON313``, ``python3.13`` on PATH or a pyenv
  3.13; skipped when none runs). Installs durable-rules from PyPI into a temporary venv.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FNV_OFFSET, FNV_PRIME = 0x811C9DC5, 16777619


def fnv1_32(text: str) -> int:
    """The engine's ``fnv1Hash32`` (C ``char`` is signed: bytes >= 0x80 are sign-extended)."""
    h = FNV_OFFSET
    for b in text.encode("utf-8"):
        h ^= b if b < 0x80 else (0xFFFFFF00 | b)
        h = (h * FNV_PRIME) & 0xFFFFFFFF
    return h


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _quiet_host(definitions):
    """A durable-rules host without its two background dispatch threads."""
    from durable import engine

    class Host(engine.Host):
        def _run(self):
            pass

    return Host(definitions)


# -- checks (each runs in a child) ------------------------------------------------

def check_collision() -> dict:
    from durable import engine
    seen: dict[int, str] = {}
    n = 0
    while True:
        mid = f"case-{n}"
        h = fnv1_32(mid)
        if h in seen:
            first, second = seen[h], mid
            break
        seen[h] = mid
        n += 1
    host = _quiet_host({"r": {"pair": {"all": [{"a": {"k": "accept"}},
                                               {"b": {"$and": [{"k": "reply"},
                                                               {"case": {"a": "case"}}]}}],
                                       "run": lambda c: None}}})
    host.assert_fact("r", {"id": first, "k": "accept", "case": first})
    try:
        host.assert_fact("r", {"id": second, "k": "accept", "case": second})
        refused = False
    except engine.MessageObservedException:
        refused = True
    return {"ids_tried": n + 1, "first": first, "second": second, "hash": f"{h:#010x}",
            "second_refused": refused}


def check_pending() -> dict:
    from durable import engine
    host = _quiet_host({"r": {"pair": {"all": [{"a": {"k": "accept"}},
                                               {"b": {"$and": [{"k": "reply"},
                                                               {"case": {"a": "case"}}]}}],
                                       "run": lambda c: None}}})
    before = rss_mb()
    start = time.perf_counter()
    n = 0
    error = None
    while n < 200_000:
        try:
            host.post("r", {"k": "accept", "case": f"C{n:07d}", "t": "2021-09-30 10:00"})
        except engine.MessageObservedException as exc:
            error = exc.message[:120]
            break
        n += 1
    elapsed = time.perf_counter() - start
    return {"accepted_before_refusal": n, "refusal": error,
            "kb_per_pending_event": round((rss_mb() - before) * 1024 / max(n, 1), 1),
            "events_per_s": round(n / elapsed)}


def check_sessions() -> dict:
    host = _quiet_host({"r": {"pair": {"all": [{"a": {"k": "accept"}}, {"b": {"k": "reply"}}],
                                       "run": lambda c: None}}})
    n = 0
    error = None
    while n < 5000:
        try:
            host.post("r", {"sid": f"C{n}", "k": "accept"})
        except Exception as exc:  # the engine raises MemoryError here
            error = f"{type(exc).__name__}: {exc}"[:120]
            break
        n += 1
    return {"sessions_before_refusal": n, "refusal": error}


def check_timers() -> dict:
    from durable.lang import m, post, ruleset, timeout, when_all
    fired: list[float] = []
    t0 = time.monotonic()
    with ruleset("timers"):
        @when_all(m.k == "accept")
        def accept(c):
            c.start_timer("due", 2)

        @when_all(timeout("due"))
        def due(c):
            fired.append(time.monotonic() - t0)

    from durable.engine import MessageNotHandledException
    post("timers", {"k": "accept", "t": "2021-09-30 10:00"})
    try:  # an event a whole year later does not move the engine's clock
        post("timers", {"k": "other", "t": "2022-09-30 10:00"})
    except MessageNotHandledException:
        pass
    time.sleep(0.5)
    early = list(fired)
    deadline = time.monotonic() + 6
    while not fired and time.monotonic() < deadline:
        time.sleep(0.05)
    return {"fired_within_0.5s_wall": bool(early),
            "fired_after_wall_seconds": round(fired[0], 2) if fired else None}


def check_delete_state() -> dict:
    from durable.lang import c, m, post, ruleset, when_all
    with ruleset("cases"):
        @when_all(c.a << (m.k == "accept"), c.b << ((m.k == "reply") & (m.case == c.a.case)))
        def paired(c):
            c.delete_state()

    # one session per case (sid = case id), ten cases open at a time
    for block in range(0, 12_000, 10):
        for n in range(block, block + 10):
            post("cases", {"sid": f"C{n}", "k": "accept", "case": f"C{n}"})
        for n in range(block, block + 10):
            post("cases", {"sid": f"C{n}", "k": "reply", "case": f"C{n}"})
    return {"completed": True}


CHECKS = {"collision": check_collision, "pending": check_pending, "sessions": check_sessions,
          "timers": check_timers, "delete_state": check_delete_state}


def run_child(name: str, timeout: float = 300) -> tuple[int, dict | None, str]:
    proc = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True,
                          text=True, timeout=timeout)
    out = None
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            out = json.loads(line)
    return proc.returncode, out, proc.stderr[-300:]


def check_py313() -> dict:
    candidates = [os.environ.get("PYTHON313"), shutil.which("python3.13"),
                  *sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.13*/bin/python3.13"))]
    py = next((c for c in candidates if c and subprocess.run(
        [c, "-V"], capture_output=True).returncode == 0), None)
    if not py:
        return {"skipped": "no working python3.13 (set PYTHON313=/path/to/python3.13)"}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([py, "-m", "venv", f"{tmp}/v"], check=True)
        pip = subprocess.run([f"{tmp}/v/bin/python", "-m", "pip", "install", "--quiet",
                              "durable-rules==2.0.28"], capture_output=True, text=True)
        if pip.returncode:
            return {"install": "failed", "stderr": pip.stderr[-300:]}
        imp = subprocess.run([f"{tmp}/v/bin/python", "-c", "import durable.lang"],
                             capture_output=True, text=True)
        return {"install": "ok", "import_exit": imp.returncode,
                "import_error": imp.stderr.strip().splitlines()[-1] if imp.stderr.strip() else None}


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        print(json.dumps(CHECKS[argv[1]](), ensure_ascii=False), flush=True)
        return
    wanted = argv or list(CHECKS) + ["py313"]
    print(f"python {sys.version.split()[0]}, durable-rules 2.0.28")
    for name in wanted:
        if name == "py313":
            print(f"py313: {check_py313()}")
            continue
        if name == "delete_state":
            results = [run_child(name) for _ in range(8)]
            crashes = [code for code, _, _ in results if code != 0]
            print(f"delete_state: {len(crashes)} of {len(results)} runs crashed "
                  f"(exit codes {sorted(set(crashes)) or '-'})")
            continue
        code, out, err = run_child(name)
        print(f"{name}: exit {code} {out}" + (f" stderr: {err!r}" if code else ""))


if __name__ == "__main__":
    main(sys.argv[1:])

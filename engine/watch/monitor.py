"""``govcheck watch``: the streaming monitor (实时在线监管, 红黄牌预警).

Reads JSON lines (the event log's canonical columns), compiles the case-level rules into
durable-rules rulesets (``watch.rulesets``), and writes one JSON line per finding as
soon as it is known:

- ``warning`` (黄牌): a ``deadline`` case is still open once ``warn_at`` of its time has passed;
- ``violation`` (红牌): a deadline passed while open, a case closed late, a step missing at
  its time (or at the end of the input without ``within``), too few counted events,
  a forbidden event, a missing field;
- ``resolved``: an earlier warning or violation no longer holds (closed in time, the clock
  stopped by a pause, an extension, a restart, the missing step or count arrived).

A finding is what ``check --as-of T`` says about the case at the clock's time T; a line that
replaces an earlier finding of the same case names it in ``supersedes``. So replaying a log
and running ``check --as-of <its last time>`` agree (tests/test_parity.py).

The clock is the events' time by default: it moves with their timestamps, and a line
``{"event_type": "_clock", "timestamp": T}`` moves it with no event. ``--clock wall`` uses
the time of day (Asia/Shanghai) for live use. Deadlines are counted with
``data.calendar.WorkCalendar`` and kept in a heap; durable-rules' own timers are not used.

With ``--state FILE`` the open cases, the clock and the input position are saved (atomic
write) every few seconds; a journal next to it records what was written since, so a
monitor killed and restarted resumes where it stopped and writes nothing twice.
docs/watch.md describes the design and the engine limits it avoids.
"""
from __future__ import annotations

import datetime as dt
import gc
import hashlib
import heapq
import json
import math
import os
import re
import select
import signal
import stat
import sys
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Sequence, TextIO

from ..data.calendar import WorkCalendar
from ..errors import CalendarError, GovcheckError, SourceLocation
from ..data.ingest import BLANKS, timestamp_steps
from ..model.loader import load_rules
from ..findings.labels import type_label
from ..findings.messages import describer
from ..model.rule import (CANONICAL_COLUMNS, DeadlineRule, MinCountRule, RequiredFieldsRule,
                          RuleBase, SequenceRule)
from ..resources import data_dir
from .cases import Case, CountCase, DeadlineCase, Positions, SequenceCase, Verdict, count_due
from .rulesets import (CompiledRule, Engine, EngineLimit, Plan, Role, Slot, compile_plan,
                       flag_value, from_us, sql_time_text, time_text, to_us)

STATE_VERSION = 1
CLOCK_EVENT = "_clock"
#: Effects at one time are applied in this order (then by arrival), as the SQL compares
#: times: a case opens before anything else at its start time counts for it, a pause
#: before a resume at the same time, and a case closes after everything else then.
PHASES = {"open": 0, "restart": 1, "pause": 1, "extend": 1, "step": 1, "count": 1,
          "count_pre": 1, "hit": 1, "resume": 2, "end": 3}
REASONS = {"end": "closed", "pause": "paused", "resume": "resumed", "restart": "restarted",
           "extend": "extended", "step": "step", "count": "counted", "count_pre": "counted",
           "open": "opened", None: "clock"}
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_AS_OF_MARK = dt.datetime(1, 1, 1)
_AS_OF_TEXT = _AS_OF_MARK.strftime("%Y-%m-%d %H:%M:%S")
_FAST_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?")
_MAX_FLOAT = 1.7976931348623157e308


def _first(item):
    return item[0]


def _open_fact(case) -> str:
    """The open-case fact that events of the case join."""
    return (f'{{"id":"{case.fact[0]}","t":"o","r":{case.rule},"c":{_ENCODE(case.case_id)},'
            f'"ts":{case.start},"k":{case.serial}}}')


class WatchStop(GovcheckError):
    """``watch`` cannot go on without losing or misjudging events (exit 2)."""


def durable_problem() -> str | None:
    """Why durable-rules cannot be used here, or None when it can."""
    try:
        import durable_rules_engine  # noqa: F401
    except ImportError as exc:
        return (f"govcheck watch needs durable-rules, which cannot be imported here ({exc}); "
                f"install govcheck[watch] on Python 3.12 or older "
                f"(pip install 'govcheck[watch]'); `govcheck check` works without it")
    return None


@dataclass
class WatchOptions:
    """Inputs of one ``watch`` run (see ``govcheck watch --help``)."""

    source: str = "-"
    rules: Sequence[str | Path] | None = None
    follow: bool = False
    clock: str = "event"
    state: str | Path | None = None
    bad_lines: str | Path | None = None
    calendars: Sequence[str | Path] = ()
    shards: int = 16
    session_cap: int = 40_000
    batch_lines: int = 2000
    status_every: float = 60.0
    checkpoint_every: float = 10.0
    remember_days: int = 400
    poll: float = 0.25


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

class Event:
    """One usable line: its canonical fields, attributes as text, time in microseconds."""

    __slots__ = ("serial", "line", "case_id", "event_type", "ts", "values", "proc", "facts",
                 "_fp")

    def __init__(self, serial: int, line: int, values: dict[str, str], ts: int):
        self.serial = serial
        self.line = line
        self.values = values
        self.case_id = values["case_id"]
        self.event_type = values["event_type"]
        self.ts = ts
        self.proc = ts
        self.facts: list[tuple[int, int, tuple[str, int]]] = []   # (group, shard, id)
        self._fp: bytes | None = None

    @property
    def unit(self) -> str | None:
        return self.values.get("unit")

    def fingerprint(self) -> bytes:
        """Identity for de-duplication, as ingest drops copies: the event_id when given,
        else every value and the time."""
        if self._fp is None:
            if "event_id" in self.values:
                key: Any = ("id", self.values["event_id"])
            else:
                key = (self.ts, sorted((k, v) for k, v in self.values.items() if k != "timestamp"))
            self._fp = hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
        return self._fp

    def dump(self) -> dict:
        return {"serial": self.serial, "line": self.line, "values": self.values, "ts": self.ts,
                "facts": [[g, s, list(mid)] for g, s, mid in self.facts]}

    @classmethod
    def load(cls, data: dict) -> "Event":
        ev = cls(data["serial"], data["line"], data["values"], data["ts"])
        ev.facts = [(g, s, tuple(mid)) for g, s, mid in data["facts"]]
        return ev


def _value_text(value: Any) -> str | None:
    """A JSON value as text, as DuckDB's JSON reader gives it, trimmed; blank → None."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.strip(BLANKS)
    return text or None


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


_DECODE = json.JSONDecoder(parse_constant=_no_constant).decode


def _show(text: str) -> str:
    flat = re.sub(r"\s+", " ", text)
    return "('" + flat[:60] + ("…" if len(flat) > 60 else "") + "')"


class Casts:
    """DuckDB's TRY_CAST to DOUBLE and INTEGER (the SQL engine's reading of numbers), cached."""

    def __init__(self, con):
        self.con = con
        self.cache: dict[str, tuple[float | None, int | None]] = {}

    def prefetch(self, texts: set[str]) -> None:
        wanted = [t for t in texts if t not in self.cache]
        if not wanted:
            return
        if len(self.cache) > 200_000:
            self.cache.clear()
        doubles, ints = self.con.execute(
            "SELECT list_transform($1, lambda x: TRY_CAST(x AS DOUBLE)), "
            "list_transform($1, lambda x: TRY_CAST(x AS INTEGER))", [wanted]).fetchone()
        for t, d, i in zip(wanted, doubles, ints):
            self.cache[t] = (d, i)

    def _get(self, text: str) -> tuple[float | None, int | None]:
        if text not in self.cache:
            self.prefetch({text})
        return self.cache[text]

    def double(self, text: str | None) -> float | None:
        return None if text is None else self._get(text)[0]

    def integer(self, text: str | None) -> int | None:
        return None if text is None else self._get(text)[1]


class Times:
    """Timestamps read exactly as ``data.ingest`` reads them (its DuckDB steps), with a
    shortcut for the plain ``YYYY-MM-DD HH:MM[:SS]`` form, which the steps read the same way."""

    def __init__(self, con):
        self.con = con
        expr = "$1"
        for step in timestamp_steps():
            expr = f"list_transform({expr}, lambda x: {step.replace('{x}', 'x')})"
        self.sql = f"SELECT list_transform({expr}, lambda x: epoch_us(x))"

    def parse(self, texts: list[str]) -> list[int | None]:
        out: list[int | None] = [None] * len(texts)
        slow: list[int] = []
        for i, text in enumerate(texts):
            if _FAST_TIME.fullmatch(text):
                try:
                    out[i] = to_us(dt.datetime.fromisoformat(text))
                    continue
                except ValueError:
                    pass
            slow.append(i)
        if slow:
            values = self.con.execute(self.sql, [[texts[i] for i in slow]]).fetchone()[0]
            for i, v in zip(slow, values):
                out[i] = v
        return out


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------

class LineSource:
    """Complete lines from a file (optionally followed as it grows) or from stdin."""

    def __init__(self, source: str, follow: bool, offset: int = 0, line: int = 0,
                 poll: float = 0.25):
        self.source = source
        self.follow = follow
        self.poll = poll
        self.offset = offset
        self.line = line
        self.eof = False
        self._buf = b""
        self._pos = 0
        self.stream = None
        if source == "-":
            self.file = None
            self.identity = None
            try:
                self.fd = sys.stdin.fileno()
            except (AttributeError, OSError, ValueError):   # not a real file (e.g. in tests)
                self.fd = None
                self.stream = getattr(sys.stdin, "buffer", sys.stdin)
        else:
            path = Path(source)
            if not path.exists():
                raise WatchStop("file not found", SourceLocation(source))
            if path.is_dir():
                raise WatchStop("is a directory, not an event log", SourceLocation(source))
            self.file = open(path, "rb")
            st = os.fstat(self.file.fileno())
            self.identity = (st.st_dev, st.st_ino)
            if offset:
                if st.st_size < offset:
                    raise WatchStop(f"the file is shorter ({st.st_size} bytes) than where the "
                                    f"saved state stopped ({offset} bytes): it was replaced or "
                                    "truncated; start without --state", SourceLocation(source))
                self.file.seek(offset)
            self.fd = self.file.fileno()

    def _read(self, wait: float) -> bytes | None:
        """Available bytes; b"" at the end; None when nothing came within ``wait``."""
        if self.stream is not None:
            return self.stream.read(1 << 16) or b""
        if self.file is None:
            ready, _, _ = select.select([self.fd], [], [], wait)
            if not ready:
                return None
            return os.read(self.fd, 1 << 16)
        data = self.file.read(1 << 20)
        if data:
            return data
        if not self.follow:
            return b""
        size = os.fstat(self.fd).st_size
        if size < self.offset + len(self._buf) - self._pos:
            raise WatchStop("the file shrank while it was followed (rotated or truncated); "
                            "restart watch on the new file", SourceLocation(self.source))
        time.sleep(wait)
        return None

    def batch(self, max_lines: int, wait: float) -> list[tuple[int, int, bytes]] | None:
        """Up to ``max_lines`` complete lines as (number, offset after it, bytes); [] when none
        came within ``wait``; None at the end of the input."""
        out: list[tuple[int, int, bytes]] = []
        first = True
        while len(out) < max_lines:
            buf, pos = self._buf, self._pos
            nl = buf.find(b"\n", pos)
            while nl >= 0 and len(out) < max_lines:
                self.line += 1
                self.offset += nl + 1 - pos
                out.append((self.line, self.offset, buf[pos:nl]))
                pos = nl + 1
                nl = buf.find(b"\n", pos)
            self._pos = pos
            if len(out) >= max_lines:
                break
            self._buf, self._pos = buf[pos:], 0
            if self.eof:
                break
            data = self._read(wait if first and not out else 0)
            first = False
            if data is None:
                break
            if data == b"":
                self.eof = True
                self._buf, self._pos = self._buf[self._pos:], 0
                if self._buf:                       # a last line without a newline
                    self.line += 1
                    self.offset += len(self._buf)
                    out.append((self.line, self.offset, self._buf))
                    self._buf = b""
                break
            self._buf += data
        if not out and self.eof:
            return None
        return out

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


# ---------------------------------------------------------------------------
# Memory of closed cases (bounded: two generations by the clock)
# ---------------------------------------------------------------------------

class Remembered:
    """Keys per rule (cases already opened, findings already given, early counts), kept for
    at least ``days`` of clock time and at most twice that, and dropped for good once the
    rule's effective window is over (nothing can open after it)."""

    def __init__(self, days: int):
        self.span = days * 86_400 * 1_000_000
        self.start: int | None = None
        self.current: dict[int, dict[str, Any]] = defaultdict(dict)
        self.previous: dict[int, dict[str, Any]] = defaultdict(dict)

    def get(self, rule: int, key: str, default=None):
        cur = self.current.get(rule)
        if cur is not None and key in cur:
            return cur[key]
        prev = self.previous.get(rule)
        if prev is not None and key in prev:
            return prev[key]
        return default

    def __contains__(self, item: tuple[int, str]) -> bool:
        rule, key = item
        return key in self.current.get(rule, ()) or key in self.previous.get(rule, ())

    def put(self, rule: int, key: str, value: Any = True) -> None:
        self.current[rule][key] = value

    def pop(self, rule: int, key: str, default=None):
        found = self.current.get(rule, {}).pop(key, None)
        older = self.previous.get(rule, {}).pop(key, None)
        return found if found is not None else (older if older is not None else default)

    def tick(self, clock: int) -> None:
        if self.start is None:
            self.start = clock
        elif clock - self.start >= self.span:
            self.previous = self.current
            self.current = defaultdict(dict)
            self.start = clock

    def forget_rule(self, rule: int) -> None:
        self.current.pop(rule, None)
        self.previous.pop(rule, None)

    def size(self) -> int:
        return sum(len(v) for v in self.current.values()) + sum(len(v) for v in self.previous.values())

    def dump(self, ids: list[str], encode=lambda v: v) -> dict:
        return {"start": self.start,
                "current": {ids[r]: {k: encode(v) for k, v in d.items()} for r, d in self.current.items() if d},
                "previous": {ids[r]: {k: encode(v) for k, v in d.items()} for r, d in self.previous.items() if d}}

    def load(self, data: dict, index: dict[str, int], decode=lambda v: v) -> None:
        self.start = data["start"]
        for name in ("current", "previous"):
            target = defaultdict(dict)
            for rid, d in data[name].items():
                target[index[rid]] = {k: decode(v) for k, v in d.items()}
            setattr(self, name, target)


# ---------------------------------------------------------------------------
# The monitor
# ---------------------------------------------------------------------------

@dataclass
class Stats:
    lines: int = 0
    events: int = 0
    bad: int = 0
    blank: int = 0
    ticks: int = 0
    late_arrivals: int = 0
    warnings: int = 0
    violations: int = 0
    resolved: int = 0


class Monitor:
    def __init__(self, options: WatchOptions, out: BinaryIO, err: TextIO):
        self.options = options
        self.out = out
        self.err = err
        rules = load_rules(list(options.rules) if options.rules else [data_dir("rules")])
        self.plan: Plan = compile_plan(rules)
        self.calendar = WorkCalendar.load(options.calendars)
        import duckdb
        self.con = duckdb.connect()
        self.casts = Casts(self.con)
        self.times = Times(self.con)
        self.compiled: list[CompiledRule] = self.plan.rules
        self.rule_of: list[RuleBase] = [r.rule for r in self.compiled]
        self.rule_ids = [r.rule.id for r in self.compiled]
        self.rule_index = {rid: i for i, rid in enumerate(self.rule_ids)}
        self.group_of = {r.index: g.index for g in self.plan.groups for r in g.rules}
        self.roles: dict[str, Role] = {}
        for r in self.compiled:
            self.roles.update(r.role_of)
        self.positions: dict[int, Positions] = {}
        self.within: dict[int, Any] = {}
        self.static: dict[int, dict[str, Any]] = {}     # the parts of a line fixed by the rule
        for r in self.compiled:
            within = getattr(r.rule, "within", None)
            self.within[r.index] = within
            if within is not None:
                self.positions[r.index] = Positions(self.calendar, within.unit)
            self.static[r.index] = _ENCODE({"title": r.rule.title, "source": r.rule.source.model_dump()})[1:-1]
        self.window_end: dict[int, int] = {}
        self.window: dict[int, tuple[int | None, int | None]] = {}
        for r in self.compiled:
            eff = r.rule.effective
            lo = to_us(dt.datetime.combine(eff.from_, dt.time())) if eff and eff.from_ else None
            hi = to_us(dt.datetime.combine(eff.to + dt.timedelta(days=1), dt.time())) if eff and eff.to else None
            self.window[r.index] = (lo, hi)
            if hi is not None:
                self.window_end[r.index] = hi
        self.cast_fields: set[str] = set()
        for slot in self.plan.slots.by_key.values():
            if slot.kind == "num":
                self.cast_fields.add(slot.field)
        for r in self.compiled:
            within = getattr(r.rule, "within", None)
            if within is not None and within.workdays_from:
                self.cast_fields.add(within.workdays_from)
            extend = getattr(r.rule, "extend", None)
            if extend is not None and extend.attribute:
                self.cast_fields.add(extend.attribute)
        self.layouts: dict[tuple[int, str], tuple[Slot, ...] | None] = {}

        self.engine: Engine | None = None
        self.clock: int | None = None           # the judging clock
        self.latest: int | None = None          # the latest event time seen
        self.serial = 0                         # events
        self.seq = 0                            # findings written
        self.cases: dict[int, Case] = {}
        self.open: dict[tuple[int, str], Case] = {}
        self.heap: list[tuple[int, int, int]] = []
        self.opened = Remembered(options.remember_days)      # (rule, case) opened once
        self.reported = Remembered(options.remember_days)    # event findings given
        self.early = Remembered(options.remember_days)       # counted before the subject
        self.expired: set[int] = set()
        self.retained: list[Event] = []
        self.dirty: dict[int, tuple[Case, str]] = {}     # changed at the current time
        self.retract_open: list[tuple[int, int, tuple[str, int]]] = []
        self.stats = Stats()
        self.pending: list[str] = []            # finding lines of the batch
        self.pending_keys: list[list] = []
        self.bad_pending: list[tuple[int, str, str]] = []
        self.suppress: Counter = Counter()      # findings written before a crash (wall clock)
        self.written: dict[int, tuple] = {}     # seq → finding written before a crash
        self.bad_seen: set[int] = set()
        self.source: LineSource | None = None
        self.journal_fd: int | None = None
        self.replay_lines: list[tuple[int, int, bytes]] = []
        self.stop_requested = False
        self._batch_events: dict[int, Event] = {}
        self._names: dict[str, str] = {}       # JSON key → column name
        self._describers: dict[tuple, Any] = {}
        self._clock_shown: tuple[int | None, str | None] = (None, None)

    # -- set-up ---------------------------------------------------------------------

    def start(self) -> None:
        self.engine = Engine(self.plan, self.options.shards, self.options.session_cap)
        offset, line = 0, 0
        if self.options.state and Path(self.options.state).exists():
            offset, line = self._restore()
        self.source = LineSource(self.options.source, self.options.follow, offset, line,
                                 self.options.poll)
        if self.options.state:
            self.journal_fd = os.open(self._journal_path(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            if not Path(self.options.state).exists():
                self.checkpoint()       # from now on a crash always finds a state to resume
        if self.plan.skipped:
            kinds = sorted({k for _, k in self.plan.skipped})
            self.err.write(f"govcheck watch: {len(self.plan.skipped)} rule(s) of kind "
                           f"{', '.join(kinds)} are judged over whole periods and are left to "
                           f"`govcheck check`: {', '.join(i for i, _ in self.plan.skipped)}\n")
            self.err.flush()

    # -- the main loop --------------------------------------------------------------

    def run(self) -> int:
        """Read to the end of the input (or until asked to stop); ``start`` first."""
        # The open cases are many long-lived objects and the events many short-lived ones
        # with no reference cycles: the cyclic collector, left as it is, spends a fifth of
        # the time walking them. Set the rules, calendar and engine aside, collect less often.
        thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        try:
            return self._run()
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()

    def _run(self) -> int:
        opts = self.options
        last_status = last_checkpoint = time.monotonic()
        ended = False
        try:
            if self.replay_lines:
                lines, self.replay_lines = self.replay_lines, []
                self._process(lines, journal=False)
                self._flush_output()
            while not self.stop_requested:
                lines = self.source.batch(opts.batch_lines, opts.poll)
                if lines is None:
                    ended = True
                    break
                if lines:
                    self._process(lines)
                elif self.dirty:
                    self._judge_changed()       # nothing more came: the time is complete
                    self._retract([])
                if opts.clock == "wall":
                    self._advance(self._wall_now())
                self._flush_output()
                now = time.monotonic()
                if opts.state and now - last_checkpoint >= opts.checkpoint_every:
                    self.checkpoint()
                    last_checkpoint = now
                if opts.status_every and now - last_status >= opts.status_every:
                    self.status()
                    last_status = now
            if ended:
                self._end_of_input()
                self._flush_output()
            if opts.state:
                self.checkpoint()
            self.status(final=True)
            return 0
        finally:
            self.close()

    def close(self) -> None:
        if self.source is not None:
            self.source.close()
            self.source = None
        if self.journal_fd is not None:
            os.close(self.journal_fd)
            self.journal_fd = None
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def _wall_now(self) -> int:
        from zoneinfo import ZoneInfo
        now = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
        return to_us(now)

    # -- one batch ------------------------------------------------------------------

    def _process(self, lines: list[tuple[int, int, bytes]], journal: bool = True) -> None:
        if journal and self.journal_fd is not None and self.source.file is None:
            # stdin cannot be read again: keep the lines until the next checkpoint
            os.write(self.journal_fd, "".join(
                json.dumps({"in": raw.decode("utf-8", "surrogateescape"), "n": n, "o": off},
                           ensure_ascii=False) + "\n" for n, off, raw in lines).encode("utf-8", "surrogateescape"))
        self.stats.lines += len(lines)
        events, ticks = self._parse(lines)
        if not events and not ticks:
            return
        self._batch_events = {ev.serial: ev for ev in events}
        records = self._match(events)
        self._apply(events, ticks, records)
        self._retract(events)
        self._batch_events = {}

    def _parse(self, lines) -> tuple[list[Event], list[tuple[int, int]]]:
        parsed: list[tuple[int, dict[str, str]]] = []
        for n, _off, raw in lines:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                self._bad(n, "not valid UTF-8 text", raw.decode("utf-8", "replace"))
                continue
            if text[:1] != "{" and not text.strip(BLANKS):
                self.stats.blank += 1
                continue
            try:
                obj = _DECODE(text)
            except ValueError:
                self._bad(n, f"not valid JSON {_show(text)}", text)
                continue
            if not isinstance(obj, dict):
                self._bad(n, f"not a {{field: value}} object {_show(text)}", text)
                continue
            values: dict[str, str] = {}
            names = self._names
            for key, value in obj.items():
                name = names.get(key)
                if name is None:
                    name = self._column(key, obj)
                if type(value) is str:
                    v = value.strip(BLANKS) or None
                else:
                    v = _value_text(value)
                if v is not None:
                    values[name] = v
            if not values:
                self.stats.blank += 1
                continue
            parsed.append((n, values, text))
        stamps = self.times.parse([v.get("timestamp", "") for _, v, _ in parsed])
        events: list[Event] = []
        ticks: list[tuple[int, int]] = []
        latest = self.latest
        event_clock = self.options.clock == "event"
        serial = self.serial
        late = 0
        for (n, values, text), ts in zip(parsed, stamps):
            is_tick = values.get("event_type") == CLOCK_EVENT
            if ts is None or "event_type" not in values or ("case_id" not in values and not is_tick):
                problems = []
                if not is_tick and "case_id" not in values:
                    problems.append("case_id is blank")
                if "event_type" not in values:
                    problems.append("event_type is blank")
                if "timestamp" not in values:
                    problems.append("timestamp is blank")
                elif ts is None:
                    problems.append(f"timestamp not understood {_show(values['timestamp'])}")
                self._bad(n, "; ".join(problems), text)
                continue
            if latest is not None and ts < latest:
                if not is_tick:
                    late += 1
            else:
                latest = ts
            if is_tick:
                self.stats.ticks += 1
                if event_clock:
                    ticks.append((latest, n))
                continue
            serial += 1
            ev = Event(serial, n, values, ts)
            ev.proc = latest if event_clock else max(ts, self.clock or ts)
            events.append(ev)
        self.latest = latest
        self.serial = serial
        self.stats.late_arrivals += late
        self.stats.events += len(events)
        if events and self.cast_fields:
            wanted = {ev.values[f] for ev in events for f in self.cast_fields if f in ev.values}
            self.casts.prefetch(wanted)
        return events, ticks

    def _column(self, key: str, obj: dict) -> str:
        """A JSON key as ingest names the column: trimmed, canonical names in lower case, a
        blank key named by its position."""
        name = key.strip(BLANKS)
        if not name:
            return f"column{list(obj).index(key) + 1}"
        if name.lower() in CANONICAL_COLUMNS:
            name = name.lower()
        if len(self._names) < 10_000:
            self._names[key] = name
        return name

    def _bad(self, line: int, reason: str, text: str) -> None:
        self.stats.bad += 1
        self.bad_pending.append((line, reason, text))

    # -- durable-rules: matching and correlation ---------------------------------------

    def _shard(self, case_id: str) -> int:
        return zlib.crc32(case_id.encode("utf-8")) % self.options.shards

    def _layout(self, group: int, event_type: str) -> tuple[Slot, ...] | None:
        key = (group, event_type)
        if key not in self.layouts:
            names = self.plan.groups[group].slots_for(event_type)
            self.layouts[key] = None if names is None else tuple(
                sorted((self.plan.slots.by_name[n] for n in names), key=lambda s: s.name))
        return self.layouts[key]

    def _fact(self, ev: Event, mid: str, layout: tuple[Slot, ...]) -> str:
        """The event as a fact: its id, number, case, time and the slots the rules read.
        Written out by hand: the slot names and ids are plain ASCII, values are encoded."""
        enc = _ENCODE
        parts = [f'{{"id":"{mid}","t":"e","i":{ev.serial},"c":{enc(ev.case_id)},"ts":{ev.ts}']
        values = ev.values
        for slot in layout:
            kind = slot.kind
            if kind == "text":
                v = values.get(slot.field)
                if v is not None:
                    parts.append(f',"{slot.name}":{enc(v)}')
            elif kind == "num":
                d = self.casts.double(values.get(slot.field))
                if d is not None and d == d:
                    d = d if math.isfinite(d) else math.copysign(_MAX_FLOAT, d)
                    parts.append(f',"{slot.name}":{d!r}')
            elif kind == "date":
                parts.append(f',"d":"{from_us(ev.ts).date().isoformat()}"')
            elif kind == "tstext":
                parts.append(f',"v":"{sql_time_text(ev.ts)}"')
            else:
                text = sql_time_text(ev.ts) if slot.field == "timestamp" else values.get(slot.field)
                if flag_value(slot, text):
                    parts.append(f',"{slot.name}":1')
        parts.append("}")
        return "".join(parts)

    def _collect(self, matches, out: list) -> list[tuple[int, Role]]:
        """Turn matches into records (event serial, role, case); return the openings."""
        opens: list[tuple[int, Role]] = []
        roles = self.roles
        cases = self.cases
        for name, frames in matches:
            role = roles[name]
            if role.name == "open":
                opens.extend((fr["e"]["i"], role) for fr in frames)
            elif role.name in ("hit", "count_pre"):
                out.extend((fr["e"]["i"], role, None) for fr in frames)
            else:
                at_or_after = role.name != "count"     # counted events may precede the subject
                for fr in frames:
                    e, o = fr["e"], fr["o"]
                    if at_or_after and e["ts"] < o["ts"]:
                        continue
                    case = cases.get(o["k"])
                    if case is not None:
                        out.append((e["i"], role, case))
        return opens

    def _match(self, events: list[Event]) -> list[tuple[int, Role, Case | None]]:
        engine = self.engine
        by_shard: dict[int, list[Event]] = defaultdict(list)
        for ev in events:
            by_shard[self._shard(ev.case_id)].append(ev)
        records: list[tuple[int, Role, Case | None]] = []
        for shard in sorted(by_shard):
            evs = by_shard[shard]
            opens: list[tuple[int, Role]] = []
            layouts = self.layouts
            for group in self.plan.groups:
                gi = group.index
                session = engine.sessions[gi][shard]
                facts = []
                for ev in evs:
                    layout = layouts.get((gi, ev.event_type), False)
                    if layout is False:
                        layout = self._layout(gi, ev.event_type)
                    if layout is None:
                        continue
                    mid = engine.new_id(session)
                    ev.facts.append((gi, shard, mid))
                    facts.append(self._fact(ev, mid[0], layout))
                if facts:
                    engine.room(session, 0)
                    opens += self._collect(engine.assert_facts(session, facts), records)
            if opens:
                new_facts: dict[int, list[str]] = defaultdict(list)
                for serial, role in sorted(opens, key=lambda x: (x[0], x[1].rule)):
                    case = self._open(self._batch_events[serial], role, shard)
                    if case is not None:
                        records.append((serial, role, case))
                        new_facts[case.group].append(_open_fact(case))
                for g, facts in new_facts.items():
                    session = engine.sessions[g][shard]
                    engine.room(session, 0)
                    more = self._collect(engine.assert_facts(session, facts), records)
                    if more:
                        raise EngineLimit("internal: an open-case fact matched an opening rule")
        return records

    def _open(self, ev: Event, role: Role, shard: int) -> Case | None:
        """The case this start/trigger/subject event opens, if it is the case's first."""
        r = role.rule
        key = (r, ev.case_id)
        if key in self.open or (r, ev.case_id) in self.opened or r in self.expired:
            return None
        self.opened.put(r, ev.case_id)
        lo, hi = self.window[r]
        if (lo is not None and ev.ts < lo) or (hi is not None and ev.ts >= hi):
            return None
        rule = self.compiled[r].rule
        within = self.within[r]
        limit: float | None = None
        if within is not None:
            if within.workdays_from:
                raw = ev.values.get(within.workdays_from)
                limit = self.casts.integer(raw)
                if limit is None:
                    self._bad(ev.line, f"rule {rule.id}: {within.workdays_from} "
                              f"{raw!r} is not a whole number of working days; case "
                              f"{ev.case_id!r} is not judged by this rule", json.dumps(
                                  ev.values, ensure_ascii=False))
                    return None
            else:
                limit = within.amount if within.unit == "hours" else int(within.amount)
        # numbered by the opening event, so that ties are broken the same way however the
        # input was cut into batches
        args = (ev.serial * 65_536 + r, r, ev.case_id, ev.unit, ev.ts, limit)
        if isinstance(rule, DeadlineRule):
            case: Case = DeadlineCase(*args)
        elif isinstance(rule, SequenceRule):
            case = SequenceCase(*args, n_steps=len(rule.steps))
        else:
            due = None
            if within is not None:
                due = self._calendar(rule, ev.case_id, lambda: count_due(
                    rule, self.positions[r], ev.ts, limit))
            case = CountCase(*args, due=due)
            for item in self.early.pop(r, ev.case_id, ()) or ():
                case.items.add(item)
        case.group = self.group_of[r]
        case.shard = shard
        case.fact = self.engine.new_id(self.engine.sessions[case.group][shard])
        self.cases[case.serial] = case
        self.open[key] = case
        return case

    def _calendar(self, rule: RuleBase, case_id: str, fn):
        try:
            return fn()
        except CalendarError as exc:
            raise WatchStop(f"rule {rule.id}, case {case_id!r}: {exc.message}") from None

    # -- effects in time order ----------------------------------------------------------

    def _apply(self, events: list[Event], ticks: list[tuple[int, int]], records) -> None:
        by_serial = {ev.serial: ev for ev in events}
        for ev in self.retained:
            by_serial.setdefault(ev.serial, ev)
        items = []
        for i, (serial, role, case) in enumerate(records):
            ev = by_serial[serial]
            items.append(((ev.proc, PHASES[role.name], serial, role.rule, role.step or 0, i),
                          role, case, ev))
        for i, (proc, n) in enumerate(ticks):
            items.append(((proc, -1, 0, n, 0, i), None, None, None))
        items.sort(key=_first)
        current = None
        dirty = self.dirty
        for key, role, case, ev in items:
            if key[0] != current:
                current = key[0]
                self._advance(current)
                dirty = self.dirty
            if role is None:
                continue
            changed = self._effect(role, case, ev)
            if changed is not None and changed.serial not in dirty:
                dirty[changed.serial] = (changed, REASONS[role.name])
        last = max([ev.proc for ev in events] + [proc for proc, _ in ticks])
        self._advance(last)         # events that matched nothing move the clock too
        # the cases changed at the last time stay unjudged: more events of that same time may
        # be in the next batch, and a time is judged once, whole (see _advance)

    def _effect(self, role: Role, case: Case | None, ev: Event) -> Case | None:
        name = role.name
        r = role.rule
        if name == "hit":
            self._hit(role, ev)
            return None
        if name == "count_pre":
            case = self.open.get((r, ev.case_id))
            if case is None:
                if (r, ev.case_id) not in self.opened and r not in self.expired:
                    item = self._count_item(r, ev)
                    if item is not None:
                        items = self.early.get(r, ev.case_id)
                        if items is None:
                            items = set()
                            self.early.put(r, ev.case_id, items)
                        items.add(item)
                return None
        if case is None or not case.alive:
            return None
        if name == "open":
            return case
        if name == "end":
            return case if case.on_end(ev.ts) else None
        if name == "resume":
            return case if case.on_resume(ev.ts) else None
        if name == "restart":
            return case if case.on_restart(ev.ts) else None
        if name == "step":
            return case if case.on_step(role.step, ev.ts) else None
        if name in ("count", "count_pre"):
            item = self._count_item(r, ev)
            return case if item is not None and case.on_count(ev.ts, item) else None
        fp = ev.fingerprint()
        if fp in case.seen:                 # a copy of an event already applied
            return None
        if name == "pause":
            case.seen.add(fp)
            return case if case.on_pause(ev.ts) else None
        if name == "extend":
            rule = self.compiled[r].rule
            raw = ev.values.get(rule.extend.attribute)
            days = self.casts.integer(raw)
            if days is None:
                if ev.ts >= case.start:
                    self._bad(ev.line, f"rule {rule.id}: {rule.extend.attribute} {raw!r} is not "
                              f"a whole number of working days; the extension is not counted",
                              json.dumps(ev.values, ensure_ascii=False))
                return None
            case.seen.add(fp)
            return case if case.on_extend(ev.ts, days) else None
        return None

    def _count_item(self, r: int, ev: Event):
        rule: MinCountRule = self.compiled[r].rule
        if rule.distinct:
            return ev.values.get(rule.distinct)      # COUNT(DISTINCT x) skips NULL
        return ev.fingerprint()

    def _hit(self, role: Role, ev: Event) -> None:
        r = role.rule
        if (r, ev.case_id) in self.reported or r in self.expired:
            return
        self.reported.put(r, ev.case_id)
        rule = self.compiled[r].rule
        if isinstance(rule, RequiredFieldsRule):
            problems = []
            for name in rule.fields:
                value = sql_time_text(ev.ts) if name == "timestamp" else ev.values.get(name)
                if value is None:
                    problems.append(f"{name}（缺失）")
                elif rule.allowed and name in rule.allowed and value not in {
                        str(v) for v in rule.allowed[name]}:
                    problems.append(f"{name}={value}")
            vtype, actual = "missing_field", "、".join(problems)
        else:
            vtype, actual = "forbidden", sql_time_text(ev.ts)
        self._emit("violation", rule, ev.case_id, ev.unit, vtype, None, actual)

    def _judge_changed(self) -> None:
        """Judge the cases whose events changed at the current time (by their number)."""
        dirty, self.dirty = self.dirty, {}
        for serial in sorted(dirty):
            case, reason = dirty[serial]
            if case.alive:
                self._judge(case, reason)

    def _judge(self, case: Case, reason: str, at_end: bool = False) -> None:
        rule = self.rule_of[case.rule]
        try:
            verdict: Verdict = case.judge(rule, self.positions.get(case.rule), self.clock, at_end)
        except CalendarError as exc:
            raise WatchStop(f"rule {rule.id}, case {case.case_id!r}: {exc.message}") from None
        old, new = case.announced, verdict.type
        if new != old:
            if new is None:
                self._emit("resolved", rule, case.case_id, case.unit, old, verdict.due,
                           verdict.actual, reason=reason)
            else:
                self._emit("warning" if new == "at_risk" else "violation", rule, case.case_id,
                           case.unit, new, verdict.due, verdict.actual, supersedes=old)
            case.announced = new
        if verdict.final:
            self._finish(case)
        else:
            case.version += 1
            if verdict.next_at is not None:
                heapq.heappush(self.heap, (verdict.next_at, case.serial, case.version))

    def _finish(self, case: Case) -> None:
        case.alive = False
        self.cases.pop(case.serial, None)
        self.open.pop((case.rule, case.case_id), None)
        self.retract_open.append((case.group, case.shard, case.fact))

    def _advance(self, t: int) -> None:
        """Move the clock to ``t`` and judge the cases whose time has come (before ``t``)."""
        if self.clock is not None and t <= self.clock:
            return
        self._judge_changed()       # the previous time is complete
        self.clock = t
        self.opened.tick(t)
        self.reported.tick(t)
        self.early.tick(t)
        for r, end in self.window_end.items():
            if t >= end and r not in self.expired:
                self.expired.add(r)
                self.opened.forget_rule(r)
                self.reported.forget_rule(r)
                self.early.forget_rule(r)
        due: list[Case] = []
        while self.heap and self.heap[0][0] < t:
            _at, serial, version = heapq.heappop(self.heap)
            case = self.cases.get(serial)
            if case is not None and case.version == version:
                due.append(case)
        for case in due:
            if case.alive:
                self._judge(case, "clock")

    def _end_of_input(self) -> None:
        """The end of the input is the ``as_of`` of a replay: cases that are judged only at
        ``as_of`` (a sequence or min_count without ``within``) are judged now."""
        self._judge_changed()
        for serial in sorted(self.cases):
            case = self.cases.get(serial)
            if case is None or not case.alive:
                continue
            if self.within[case.rule] is None:
                self._judge(case, "end of input", at_end=True)
        self._retract([])

    # -- retraction -------------------------------------------------------------------

    def _retract(self, events: list[Event]) -> None:
        engine = self.engine
        keep: list[Event] = []
        drop: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
        for ev in self.retained + events:
            if not ev.facts:
                continue
            if self.latest is not None and ev.ts >= self.latest:
                keep.append(ev)         # an opening at this same time may still join it
                continue
            for g, s, mid in ev.facts:
                drop[(g, s)].append(mid)
            ev.facts = []
        self.retained = keep
        for (g, s), ids in drop.items():
            engine.retract(engine.sessions[g][s], ids)
        closing: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
        for g, s, mid in self.retract_open:
            closing[(g, s)].append(mid)
        self.retract_open = []
        for (g, s), ids in closing.items():
            # a negated pattern may become true again for a retained event; those events
            # were counted when they came, so the matches are not needed
            engine.retract(engine.sessions[g][s], ids)

    # -- output -----------------------------------------------------------------------

    def _emit(self, finding: str, rule: RuleBase, case_id: str, unit: str | None, vtype: str,
              due: int | None, actual: Any, supersedes: str | None = None,
              reason: str | None = None) -> None:
        self.seq += 1
        due_text = time_text(due)
        if finding == "resolved":
            message = (f"{type_label(vtype)}已解除（{_REASON_CN.get(reason, reason)}）")
        else:
            say = self._describers.get(rule.id)
            if say is None:     # worded once per rule; the time "as of" is put in afterwards
                say = self._describers[rule.id] = describer(rule, _AS_OF_MARK)
            message = say(vtype, due_text, actual).replace(_AS_OF_TEXT, self._clock_text() or "")
        enc = _ENCODE
        at = self._clock_text()
        extra = (f',"supersedes":"{supersedes}"' if supersedes else "") + (
            f',"reason":{enc(reason)}' if reason and finding == "resolved" else "")
        text = (f'{{"finding":"{finding}","rule_id":{enc(rule.id)},"severity":"{rule.severity}",'
                f'"case_id":{enc(case_id)},"unit":{enc(unit)},"type":"{vtype}","due":{enc(due_text)},'
                f'"actual":{enc(actual)},"at":{enc(at)},"message":{enc(message)},'
                f'{self.static[self.rule_index[rule.id]]},"seq":{self.seq}{extra}}}\n')
        key = [rule.id, case_id, finding, vtype]
        if finding == "warning":
            self.stats.warnings += 1
        elif finding == "violation":
            self.stats.violations += 1
        else:
            self.stats.resolved += 1
        if self._written_before(tuple(key)):
            return
        self.pending.append(text)
        self.pending_keys.append(key + [self.seq])

    def _written_before(self, key: tuple) -> bool:
        """Whether this finding was written before a crash (replaying from a checkpoint).

        With the event clock a replay finds the same findings in the same order, so the
        journal's sequence numbers name them; with the wall clock they are matched by
        (rule, case, finding, type)."""
        if self.options.clock == "event":
            return self.written.pop(self.seq, None) == key
        if self.suppress[key] > 0:
            self.suppress[key] -= 1
            return True
        return False

    def _clock_text(self) -> str | None:
        if self._clock_shown[0] != self.clock:
            self._clock_shown = (self.clock, time_text(self.clock))
        return self._clock_shown[1]

    def _flush_output(self) -> None:
        if self.pending and self.journal_fd is None:
            self.out.write("".join(self.pending).encode("utf-8"))
            self.out.flush()
        elif self.pending:
            # one line per write (a pipe takes up to 4 KB whole), each followed by its
            # journal entry: a crash leaves no half line, and at most the one line written
            # just before it is unknown to the journal (see _restore)
            for text, key in zip(self.pending, self.pending_keys):
                self.out.write(text.encode("utf-8"))
                self.out.flush()
                os.write(self.journal_fd, (json.dumps({"out": key}, ensure_ascii=False)
                                           + "\n").encode("utf-8"))
        self.pending, self.pending_keys = [], []
        if self.bad_pending:
            fresh = [b for b in self.bad_pending if b[0] not in self.bad_seen]
            self.bad_pending = []
            for line, reason, _text in fresh:
                self.err.write(f"govcheck watch: line {line}: {reason}\n")
            self.err.flush()
            if fresh and self.options.bad_lines:
                with open(self.options.bad_lines, "a", encoding="utf-8") as f:
                    for line, reason, text in fresh:
                        f.write(json.dumps({"line": line, "reason": reason, "text": text},
                                           ensure_ascii=False) + "\n")
            if fresh and self.journal_fd is not None:
                os.write(self.journal_fd, "".join(
                    json.dumps({"bad": b[0]}) + "\n" for b in fresh).encode())
            self.bad_seen.update(b[0] for b in fresh)
            if len(self.bad_seen) > 100_000:
                self.bad_seen = set()

    def status(self, final: bool = False) -> None:
        s = self.stats
        facts = self.engine.fact_count() if self.engine else 0
        self.err.write(
            f"govcheck watch: {'done' if final else 'running'}: {s.lines} lines, {s.events} events, "
            f"{s.bad} bad, {s.ticks} clock lines, {s.late_arrivals} out of order; "
            f"{len(self.cases)} open cases ({facts} facts in durable-rules); "
            f"{s.warnings} warnings, {s.violations} violations, {s.resolved} resolved; "
            f"clock {time_text(self.clock) or '-'}\n")
        self.err.flush()

    # -- state ------------------------------------------------------------------------

    def _journal_path(self) -> str:
        return str(self.options.state) + ".journal"

    def _digest(self) -> dict[str, str]:
        return {r.rule.id: hashlib.sha256(r.rule.model_dump_json(exclude={"examples"}).encode()).hexdigest()[:16]
                for r in self.compiled}

    def checkpoint(self) -> None:
        """Save the state (atomic write), then start a fresh journal."""
        src = self.source
        data = {
            "version": STATE_VERSION, "rules": self._digest(), "clock": self.clock,
            "latest": self.latest, "serial": self.serial,
            "seq": self.seq, "stats": self.stats.__dict__,
            "input": {"source": self.options.source, "offset": src.offset if src else 0,
                      "line": src.line if src else 0,
                      "identity": list(src.identity) if src and src.identity else None},
            "cases": [c.dump() for c in self.cases.values()],
            "heap": [list(h) for h in self.heap
                     if h[1] in self.cases and self.cases[h[1]].version == h[2]],
            "opened": self.opened.dump(self.rule_ids),
            "reported": self.reported.dump(self.rule_ids),
            "early": self.early.dump(self.rule_ids, encode=lambda s: sorted(
                i.hex() if isinstance(i, bytes) else "v:" + i for i in s)),
            "expired": [self.rule_ids[r] for r in sorted(self.expired)],
            "retained": [ev.dump() for ev in self.retained],
            "dirty": [[serial, reason] for serial, (_c, reason) in sorted(self.dirty.items())],
        }
        path = Path(self.options.state)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        try:
            dir_fd = os.open(str(path.parent.resolve()), os.O_RDONLY)
            os.fsync(dir_fd)
            os.close(dir_fd)
        except OSError:
            pass
        if self.journal_fd is not None:
            os.ftruncate(self.journal_fd, 0)

    def _restore(self) -> tuple[int, int]:
        path = Path(self.options.state)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise WatchStop(f"cannot read the saved state: {exc}", SourceLocation(str(path))) from None
        if data.get("version") != STATE_VERSION:
            raise WatchStop("the saved state was written by another version of govcheck; "
                            "remove it to start over", SourceLocation(str(path)))
        if data["rules"] != self._digest():
            raise WatchStop("the rules changed since the state was saved (rules added, removed "
                            "or edited); remove the state file to start over",
                            SourceLocation(str(path)))
        inp = data["input"]
        if inp["source"] != self.options.source:
            raise WatchStop(f"the state was saved while reading {inp['source']!r}, not "
                            f"{self.options.source!r}", SourceLocation(str(path)))
        if self.options.source != "-" and inp["identity"] is not None:
            st = os.stat(self.options.source)
            if [st.st_dev, st.st_ino] != inp["identity"]:
                raise WatchStop("the input file was replaced since the state was saved",
                                SourceLocation(self.options.source))
        self.clock, self.latest = data["clock"], data["latest"]
        self.serial, self.seq = data["serial"], data["seq"]
        self.stats = Stats(**data["stats"])
        idx = self.rule_index
        self.opened.load(data["opened"], idx)
        self.reported.load(data["reported"], idx)
        self.early.load(data["early"], idx, decode=lambda s: {
            bytes.fromhex(i) if not i.startswith("v:") else i[2:] for i in s})
        self.expired = {idx[r] for r in data["expired"]}
        engine = self.engine
        facts: dict[tuple[int, int], list[str]] = defaultdict(list)
        for item in data["cases"]:
            case = Case.load(item)
            case.group = self.group_of[case.rule]
            case.shard = self._shard(case.case_id)
            case.fact = engine.new_id(engine.sessions[case.group][case.shard])
            self.cases[case.serial] = case
            self.open[(case.rule, case.case_id)] = case
            facts[(case.group, case.shard)].append(_open_fact(case))
        self.dirty = {serial: (self.cases[serial], reason) for serial, reason in data["dirty"]
                      if serial in self.cases}
        self.heap = [tuple(h) for h in data["heap"]]
        heapq.heapify(self.heap)
        for h in self.heap:
            case = self.cases.get(h[1])
            if case is not None:
                case.version = h[2]
        for item in data["retained"]:
            ev = Event.load(item)
            ev.facts = []
            shard = self._shard(ev.case_id)
            for group in self.plan.groups:
                layout = self._layout(group.index, ev.event_type)
                if layout is None:
                    continue
                mid = engine.new_id(engine.sessions[group.index][shard])
                ev.facts.append((group.index, shard, mid))
                facts[(group.index, shard)].append(self._fact(ev, mid[0], layout))
            self.retained.append(ev)
        for (g, s), texts in facts.items():
            # matches between restored facts were acted on before the state was saved
            engine.room(engine.sessions[g][s], 0)
            engine.assert_facts(engine.sessions[g][s], texts)
        offset, line = inp["offset"], inp["line"]
        journal = Path(self._journal_path())
        if journal.exists():
            for raw in journal.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
                try:
                    entry = json.loads(raw)
                except ValueError:
                    continue        # a line cut short by the crash
                if "out" in entry and entry["out"][4] > self.seq:
                    self.suppress[tuple(entry["out"][:4])] += 1
                    self.written[entry["out"][4]] = tuple(entry["out"][:4])
                elif "bad" in entry and entry["bad"] > line:
                    self.bad_seen.add(entry["bad"])
                elif "in" in entry and entry["n"] > line:
                    self.replay_lines.append((entry["n"], entry["o"], entry["in"].encode(
                        "utf-8", "surrogateescape")))
        self._output_tail(max(self.written, default=self.seq))
        if self.replay_lines:
            last = self.replay_lines[-1]
            line, offset = last[0], last[1]
        return offset, line

    def _output_tail(self, last_journaled: int) -> None:
        """When the findings go to a regular file, its last line may be the one written
        just before the crash and not journaled: read it, so it is not written again.
        A kill can also cut a write short where it crosses a page of the file: a last line
        without its newline was never journaled, and is cut off to be written again whole."""
        try:
            fd = self.out.fileno()
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return
            size = os.fstat(fd).st_size
            with open(f"/proc/self/fd/{fd}", "rb") as f:
                f.seek(max(0, size - 65536))
                data = f.read()
            if data and not data.endswith(b"\n"):
                torn = len(data) - (data.rfind(b"\n") + 1)
                os.ftruncate(fd, size - torn)
                data = data[:len(data) - torn]
            tail = data.splitlines()
        except (AttributeError, OSError, ValueError):
            return
        if not tail:
            return
        try:
            last = json.loads(tail[-1])
            seq = last["seq"]
            key = (last["rule_id"], last["case_id"], last["finding"], last["type"])
        except (ValueError, KeyError, TypeError):
            return
        if seq == last_journaled + 1:
            self.written[seq] = key
            self.suppress[key] += 1


_REASON_CN = {"closed": "已按期办结", "paused": "期限中止计算", "resumed": "恢复计算后重新判断",
              "restarted": "期限重新计算", "extended": "期限已延长", "step": "缺少的环节已补齐",
              "counted": "数量已达到要求", "clock": "重新判断", "opened": "重新判断",
              "end of input": "重新判断"}


def watch(options: WatchOptions, out: BinaryIO | None = None, err: TextIO | None = None) -> int:
    """Run the monitor until the input ends (or, following, until SIGINT/SIGTERM)."""
    problem = durable_problem()
    if problem:
        raise WatchStop(problem)
    monitor = Monitor(options, out or sys.stdout.buffer, err or sys.stderr)
    try:
        monitor.start()
    except BaseException:
        monitor.close()
        raise

    def stop(_signum, _frame):
        monitor.stop_requested = True

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, stop)
        except ValueError:      # not the main thread
            pass
    try:
        return monitor.run()
    except (EngineLimit, WatchStop, CalendarError) as exc:
        try:
            monitor.status()
        except Exception:
            pass
        raise WatchStop(f"STOPPED: {exc}") from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

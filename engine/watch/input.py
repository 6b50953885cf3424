"""What ``watch`` reads: complete lines from a file or stdin, turned into events as ``check``
reads a JSON-lines log, and the lines that cannot be used.

Values are read as ``data.ingest`` reads them: trimmed, blank = missing, keys of the
canonical columns in any case, times by ingest's own DuckDB steps, numbers by DuckDB's
``TRY_CAST``. A line ``{"event_type": "_clock", "timestamp": T}`` is a clock tick, not an
event. A bad line is named by its number and does not stop the monitor.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import select
import sys
import time
from pathlib import Path
from typing import Any, Callable, TextIO

from ..data.ingest import BLANKS, timestamp_steps
from ..errors import SourceLocation, WatchStop
from ..findings.masking import mask_text
from ..i18n import marked as N_, translate as _
from ..model.rule import CANONICAL_COLUMNS
from .output import Stats
from .times import to_us

CLOCK_EVENT = "_clock"

#: (line number, offset after the line, its bytes)
Line = tuple[int, int, bytes]


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
                raise WatchStop(_("file not found"), SourceLocation(source))
            if path.is_dir():
                raise WatchStop(_("is a directory, not an event log"), SourceLocation(source))
            self.file = open(path, "rb")
            st = os.fstat(self.file.fileno())
            self.identity = (st.st_dev, st.st_ino)
            if offset:
                if st.st_size < offset:
                    raise WatchStop(_("the file is shorter ({size} bytes) than where the saved "
                                      "state stopped ({offset} bytes): it was replaced or "
                                      "truncated; start without --state").format(
                                          size=st.st_size, offset=offset),
                                    SourceLocation(source))
                self.file.seek(offset)
            self.fd = self.file.fileno()

    def batch(self, max_lines: int, wait: float) -> list[Line] | None:
        """Up to ``max_lines`` complete lines as (number, offset after it, bytes); [] when none
        came within ``wait``; None at the end of the input."""
        out: list[Line] = []
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

    def _read(self, wait: float) -> bytes | None:
        """Available bytes; b"" at the end; None when nothing came within ``wait``."""
        if self.stream is not None:
            return self.stream.read(1 << 16) or b""
        if self.file is None:
            ready, _writable, _failed = select.select([self.fd], [], [], wait)
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
            raise WatchStop(_("the file shrank while it was followed (rotated or truncated); "
                              "restart watch on the new file"), SourceLocation(self.source))
        time.sleep(wait)
        return None


class EventParser:
    """Lines → events and clock ticks, numbered in arrival order.

    ``latest`` is the latest time seen, ``serial`` the number of the last event (both are
    saved with ``--state``). With the event clock an event is processed at the latest time
    seen (an event older than that is late, but judged by its own time); with the wall
    clock at its own time or the clock's, whichever is later.
    """

    def __init__(self, con, cast_fields: set[str], event_clock: bool, stats: Stats,
                 bad: BadLines):
        self.casts = Casts(con)
        self.times = TimeReader(con)
        self.cast_fields = cast_fields
        self.event_clock = event_clock
        self.stats = stats
        self.bad = bad
        self.latest: int | None = None
        self.serial = 0
        self._shapes: dict[tuple[str, ...], tuple[str, ...] | Reason] = {}     # see ``_columns``

    def parse(self, lines: list[Line], clock: int | None
              ) -> tuple[list[StreamEvent], list[tuple[int, int]]]:
        """The batch's events, and its ticks as (time, line number)."""
        self.stats.lines += len(lines)
        parsed = self._objects(lines)
        stamps = self.times.parse([v.get("timestamp", "") for _n, v, _text in parsed])
        events: list[StreamEvent] = []
        ticks: list[tuple[int, int]] = []
        latest = self.latest
        event_clock = self.event_clock
        serial = self.serial
        late = 0
        for (n, values, text), ts in zip(parsed, stamps):
            is_tick = values.get("event_type") == CLOCK_EVENT
            if ts is None or "event_type" not in values or ("case_id" not in values and not is_tick):
                self.bad.add(n, _problems(values, ts, is_tick), text)
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
            ev = StreamEvent(serial, n, values, ts)
            ev.proc = latest if event_clock else max(ts, clock or ts)
            events.append(ev)
        self.latest = latest
        self.serial = serial
        self.stats.late_arrivals += late
        self.stats.events += len(events)
        if events and self.cast_fields:
            wanted = {ev.values[f] for ev in events for f in self.cast_fields if f in ev.values}
            self.casts.prefetch(wanted)
        return events, ticks

    def dump(self) -> dict:
        return {"latest": self.latest, "serial": self.serial}

    def load(self, data: dict) -> None:
        self.latest, self.serial = data["latest"], data["serial"]

    def _objects(self, lines: list[Line]) -> list[tuple[int, dict[str, str], str]]:
        """Each usable line as (number, non-blank values by column name, text)."""
        parsed: list[tuple[int, dict[str, str], str]] = []
        for n, _off, raw in lines:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad.add(n, Reason.one(N_("not valid UTF-8 text")),
                             raw.decode("utf-8", "replace"))
                continue
            if text[:1] != "{" and not text.strip(BLANKS):
                self.stats.blank += 1
                continue
            try:
                obj = _DECODE(text)
            except ValueError:
                self.bad.add(n, Reason.one(N_("not valid JSON {value}"), value=_show(text)), text)
                continue
            if not isinstance(obj, dict):
                self.bad.add(n, Reason.one(N_("not a {{field: value}} object {value}"),
                                       value=_show(text)), text)
                continue
            columns = (self._columns(tuple(obj)) if type(obj) is not _Repeated
                       else _key_problem(obj.keys_in_order))
            if type(columns) is Reason:
                self.bad.add(n, columns, text)
                continue
            values: dict[str, str] = {}
            for name, value in zip(columns, obj.values()):
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
        return parsed

    def _columns(self, keys: tuple[str, ...]) -> tuple[str, ...] | Reason:
        """The column names of a line's keys, or why they do not name its fields once
        each; kept for each list of keys, as a log has a few dozen."""
        found = self._shapes.get(keys)
        if found is None:
            found = tuple(map(_column, keys))
            if "" in found or len(set(found)) < len(found):
                found = _key_problem(keys)
            if len(self._shapes) < 10_000:
                self._shapes[keys] = found
        return found


class Reason:
    """Why a line cannot be used: one or more messages marked in English, each with its
    values. ``--bad-lines`` records it in English, the same whatever the language of the run,
    as the JSON a program reads; stderr shows it to a person in the language in use, with
    身份证号 and mobile numbers in the quoted text masked."""

    __slots__ = ("parts",)

    def __init__(self, *parts: tuple[str, dict[str, str]]):
        self.parts = parts

    @classmethod
    def one(cls, message: str, **values: str) -> "Reason":
        return cls((message, values))

    def english(self) -> str:
        return "; ".join(message.format(**values) for message, values in self.parts)

    def shown(self) -> str:
        return mask_text("; ".join(_(message).format(**values) for message, values in self.parts))


class BadLines:
    """Lines that cannot be used: counted when found, reported once each when the batch's
    output is written (stderr, ``--bad-lines``, and the journal so a restart does not
    report them again)."""

    def __init__(self, stats: Stats, path: str | Path | None):
        self.stats = stats
        self.path = path
        self.pending: list[tuple[int, Reason, str]] = []
        self.seen: set[int] = set()

    def add(self, line: int, reason: Reason, text: str) -> None:
        self.stats.bad += 1
        self.pending.append((line, reason, text))

    def flush(self, err: TextIO, journal_bad: Callable[[list[int]], None] | None) -> None:
        if not self.pending:
            return
        fresh = [b for b in self.pending if b[0] not in self.seen]
        self.pending = []
        for line, reason, _text in fresh:
            err.write(_("govcheck watch: line {line}: {reason}").format(
                line=line, reason=reason.shown()) + "\n")
        err.flush()
        if fresh and self.path:
            with open(self.path, "a", encoding="utf-8") as f:
                for line, reason, text in fresh:
                    f.write(json.dumps({"line": line, "reason": reason.english(), "text": text},
                                       ensure_ascii=False) + "\n")
        if fresh and journal_bad is not None:
            journal_bad([b[0] for b in fresh])
        self.seen.update(b[0] for b in fresh)
        if len(self.seen) > 100_000:
            self.seen = set()


class StreamEvent:
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
    def load(cls, data: dict) -> "StreamEvent":
        ev = cls(data["serial"], data["line"], data["values"], data["ts"])
        ev.facts = [(g, s, tuple(mid)) for g, s, mid in data["facts"]]
        return ev


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

    def double(self, text: str | None) -> float | None:
        return None if text is None else self._get(text)[0]

    def integer(self, text: str | None) -> int | None:
        return None if text is None else self._get(text)[1]

    def _get(self, text: str) -> tuple[float | None, int | None]:
        if text not in self.cache:
            self.prefetch({text})
        return self.cache[text]


_FAST_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?")


class TimeReader:
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


def _problems(values: dict[str, str], ts: int | None, is_tick: bool) -> Reason:
    """Why a line with these values is not an event (nor a tick), worded as ``check``
    words a bad row."""
    blank = N_("{column} is blank")
    problems: list[tuple[str, dict[str, str]]] = []
    if not is_tick and "case_id" not in values:
        problems.append((blank, {"column": "case_id"}))
    if "event_type" not in values:
        problems.append((blank, {"column": "event_type"}))
    if "timestamp" not in values:
        problems.append((blank, {"column": "timestamp"}))
    elif ts is None:
        problems.append((N_("{column} not understood {value}"),
                         {"column": "timestamp", "value": _show(values["timestamp"])}))
    return Reason(*problems)


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


class _Repeated(dict):
    """A JSON object in which a key came twice (``check`` would read the first value,
    Python's dict keeps the last): its line is bad. ``keys_in_order``: all of them."""

    __slots__ = ("keys_in_order",)


def _object(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object as a dict, marked when one of its keys came twice."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        obj = _Repeated(obj)
        obj.keys_in_order = tuple(k for k, _value in pairs)
    return obj


def _column(key: str) -> str:
    """A JSON key as ingest names the column: trimmed, canonical names in lower case; ""
    for a blank key."""
    name = key.strip(BLANKS)
    return name.lower() if name.lower() in CANONICAL_COLUMNS else name


def _key_problem(keys: tuple[str, ...]) -> Reason:
    """Why a line's keys do not name its fields once each (a blank key, two keys for one
    column), worded as ``check`` words it (``data.ingest.readers.key_problem``)."""
    names = [_column(k) for k in keys]
    if "" in names:
        return Reason.one(N_("a key is blank"))
    seen: set[str] = set()
    twice = next(c for c in names if c in seen or seen.add(c))
    return Reason.one(N_("key {key} appears twice"), key=f"'{twice}'")


_DECODE = json.JSONDecoder(parse_constant=_no_constant, object_pairs_hook=_object).decode


def _show(text: str) -> str:
    """A value as a message quotes it, cut short (as ingest quotes a bad row's value)."""
    flat = re.sub(r"\s+", " ", text)
    return "('" + flat[:60] + ("…" if len(flat) > 60 else "") + "')"

"""Canonical logs as the oracle reads them: events in file order, copies counted once.

A log is in canonical form: ``case_id``, ``event_type``, ``timestamp``, ``unit``,
``event_id`` and attributes, blank values meaning missing ones (the contract's event log).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

#: The columns every event has (the contract's event log); the rest are attributes.
COLUMNS = ("case_id", "event_type", "timestamp", "unit", "event_id")


@dataclass(frozen=True)
class Event:
    """One event of a canonical log; ``order`` is its position in the log (file order)."""

    case_id: str
    event_type: str
    timestamp: dt.datetime
    unit: str | None
    attrs: tuple[tuple[str, str], ...]
    order: int
    event_id: str | None = None

    def get(self, name: str) -> Any:
        """The value of a column or attribute (None when the event has none)."""
        if name in COLUMNS:
            return getattr(self, name)
        for key, value in self.attrs:
            if key == name:
                return value
        return None

    @property
    def key(self) -> tuple:
        """Log order: by time, then by position in the file."""
        return (self.timestamp, self.order)


def make_event(record: dict[str, Any], order: int) -> Event:
    """An event from one record of a canonical log (values as text; blank = missing)."""
    def text(value: Any) -> str | None:
        if value is None:
            return None
        value = str(value).strip()
        return value or None

    ts = record["timestamp"]
    if not isinstance(ts, dt.datetime):
        ts = dt.datetime.fromisoformat(str(ts).strip())
    attrs = tuple((k, t) for k, v in record.items()
                  if k not in COLUMNS and (t := text(v)) is not None)
    return Event(str(record["case_id"]).strip(), str(record["event_type"]).strip(),
                 ts.replace(tzinfo=None), text(record.get("unit")), attrs, order,
                 text(record.get("event_id")))


def read_log(path: str | Path) -> list[Event]:
    """A canonical log written by ``testing.generator`` (CSV, JSON lines or Parquet)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            return [make_event(r, i) for i, r in enumerate(csv.DictReader(f))]
    if suffix in (".jsonl", ".ndjson"):
        with open(path, encoding="utf-8") as f:
            return [make_event(json.loads(line), i) for i, line in enumerate(f) if line.strip()]
    if suffix in (".parquet", ".pq"):
        import duckdb
        con = duckdb.connect()
        try:
            cur = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
            names = [d[0] for d in cur.description]
            return [make_event(dict(zip(names, row)), i) for i, row in enumerate(cur.fetchall())]
        finally:
            con.close()
    raise ValueError(f"cannot read {path}: expected .csv, .jsonl or .parquet")


def deduplicated(events: Iterable[Event]) -> list[Event]:
    """Copies of an event count once: same event_id, or (without one) the same values."""
    seen: set = set()
    out = []
    for e in events:
        key = ("id", e.event_id) if e.event_id is not None else \
            ("row", e.case_id, e.event_type, e.timestamp, e.unit, tuple(sorted(e.attrs)))
        if key in seen:
            continue
        seen.add(key)
        out.append(e)
    return out


class Log:
    """The events as they stood at as_of, in log order, by case and by event type."""

    def __init__(self, events: Sequence[Event], as_of: dt.datetime,
                 span: tuple[dt.datetime, dt.datetime] | None = None):
        kept = sorted((e for e in events if e.timestamp <= as_of), key=lambda e: e.key)
        self.events = kept
        #: the stretch of time the log covers (set by ``evaluate``)
        self.span = span or (dt.datetime.min, as_of)
        self.by_case: dict[str, list[Event]] = defaultdict(list)
        self.by_type: dict[str, list[Event]] = defaultdict(list)
        for e in kept:
            self.by_case[e.case_id].append(e)
            self.by_type[e.event_type].append(e)

    def covers(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Does the log cover all of ``start``…``end``?"""
        return self.span[0] <= start and end <= self.span[1]

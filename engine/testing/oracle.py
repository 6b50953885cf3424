"""A reference evaluator: the contract's meaning of each rule kind, case by case, in plain Python.

It exists to check the SQL engine, so it shares nothing with it but the rule model and the
working-day calendar: no SQL, no templates, no ingest. Each kind is written from
docs/contract.md (the table of kinds and "Meaning, where the contract is silent") as a
loop over the cases (or groups and periods) of a log that is already in canonical form:
``case_id``, ``event_type``, ``timestamp`` (a ``datetime``), ``unit``, ``event_id`` and
attributes, blank values meaning missing ones. It is slow on purpose — simple enough to
read against the contract line by line — and is used for the known answers of generated
logs (``testing.generator``) and in the truth tests.

``evaluate(rules, events, calendar, as_of)`` returns ``Finding``s: every violation and
every warning (type ``at_risk``) the contract says the rules give on that log.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..data.calendar import WorkCalendar
from ..errors import DataError
from ..model.rule import AGGREGATE_KINDS, CANONICAL_COLUMNS, Duration, Matcher, RuleBase

END_OF_DAY = dt.time(23, 59, 59)
TRUTH_COLUMNS = ("rule_id", "case_id", "unit", "period", "type")


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
        if name == "case_id":
            return self.case_id
        if name == "event_type":
            return self.event_type
        if name == "timestamp":
            return self.timestamp
        if name == "unit":
            return self.unit
        if name == "event_id":
            return self.event_id
        for key, value in self.attrs:
            if key == name:
                return value
        return None

    @property
    def key(self) -> tuple:
        return (self.timestamp, self.order)


@dataclass(frozen=True, order=True)
class Finding:
    """A violation or a warning, keyed as the truth file and the tests compare them."""

    rule_id: str
    case_id: str | None
    unit: str | None
    period: str | None
    type: str

    def row(self) -> tuple[str, str, str, str, str]:
        return (self.rule_id, self.case_id or "", self.unit or "", self.period or "", self.type)


# ---------------------------------------------------------------------------
# Reading a canonical log
# ---------------------------------------------------------------------------

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
                  if k not in CANONICAL_COLUMNS and (t := text(v)) is not None)
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


# ---------------------------------------------------------------------------
# Matchers
# ---------------------------------------------------------------------------

def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _number(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_moment(v: Any) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    return dt.datetime.combine(v, dt.time())


_COMPARE = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
            "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


def _equals(actual: Any, field: str, v: Any) -> bool:
    if actual is None:
        return False
    if field == "timestamp":
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return actual.date() == v
        return _text(actual) == _text(v)
    if _is_number(v):
        n = _number(actual)
        return n is not None and n == float(v)
    return str(actual) == _text(v)


def _holds(event: Event, field: str, op: str, values: tuple) -> bool:
    actual = event.get(field)
    if op == "exists":
        present = actual is not None and str(actual).strip() != ""
        return present if values[0] else not present
    if op == "eq":
        return any(_equals(actual, field, v) for v in values)
    if op == "ne":
        return not any(_equals(actual, field, v) for v in values)
    if actual is None:
        return False
    if op in _COMPARE:
        cmp = _COMPARE[op]
        for v in values:
            if field == "timestamp":
                if cmp(actual, _as_moment(v)):
                    return True
            elif _is_number(v):
                n = _number(actual)
                if n is not None and cmp(n, float(v)):
                    return True
            elif cmp(str(actual), _text(v)):
                return True
        return False
    text = _text(actual)
    if op == "contains":
        return any(str(v) in text for v in values)
    if op == "startswith":
        return any(text.startswith(str(v)) for v in values)
    if op == "re":
        return any(re.search(str(v), text) is not None for v in values)
    raise ValueError(f"unknown operator {op!r}")


def matches(matcher: Matcher | None, event: Event) -> bool:
    """Whether an event meets every condition of a matcher (no matcher: always)."""
    if matcher is None:
        return True
    return all(_holds(event, c.field, c.op, c.values) for c in matcher.conditions)


def matches_all(matchers: Sequence[Matcher | None], event: Event) -> bool:
    return all(matches(m, event) for m in matchers)


# ---------------------------------------------------------------------------
# Time: positions in the rule's unit, and the moment a position runs out
# ---------------------------------------------------------------------------

class _Clock:
    """Counts working days, days or hours as the contract says for a duration's unit."""

    def __init__(self, unit: str, calendar: WorkCalendar):
        self.unit = unit
        self.calendar = calendar

    def between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Units from ``a`` to ``b``: working days after a's date up to and including b's."""
        if self.unit == "workdays":
            return self.calendar.workdays_between(a.date(), b.date())
        if self.unit == "days":
            return (b.date() - a.date()).days
        return (b - a).total_seconds() / 3600

    def due(self, base: dt.datetime, n: float) -> dt.datetime:
        """The end of ``n`` units after ``base``: end of working day n (n = 0: end of base's
        date), end of calendar day n, or the instant n hours later."""
        if self.unit == "workdays":
            return self.calendar.deadline(base, int(n))
        if self.unit == "days":
            return dt.datetime.combine(base.date() + dt.timedelta(days=int(n)), END_OF_DAY)
        return base + dt.timedelta(hours=n)


def _limit(duration: Duration, start: Event, rule: RuleBase) -> float:
    if duration.workdays_from:
        raw = start.get(duration.workdays_from)
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            raise DataError(f"case {start.case_id!r}: {raw!r} must be a whole number of working "
                            f"days (rule {rule.id}, {duration.workdays_from})") from None
        return value
    return duration.amount  # type: ignore[return-value]


# ---------------------------------------------------------------------------
# The evaluator
# ---------------------------------------------------------------------------

class _Log:
    """The events as they stood at as_of, by case and by event type."""

    def __init__(self, events: Sequence[Event], as_of: dt.datetime):
        kept = sorted((e for e in events if e.timestamp <= as_of), key=lambda e: e.key)
        self.events = kept
        self.by_case: dict[str, list[Event]] = defaultdict(list)
        self.by_type: dict[str, list[Event]] = defaultdict(list)
        for e in kept:
            self.by_case[e.case_id].append(e)
            self.by_type[e.event_type].append(e)

    def candidates(self, matchers: Sequence[Matcher | None]) -> list[Event]:
        """Events that can meet ``matchers`` (narrowed by their event types), in log order."""
        for m in matchers:
            if m is None:
                continue
            for c in m.conditions:
                if c.field == "event_type" and c.op == "eq":
                    names = {_text(v) for v in c.values}
                    if len(names) == 1:
                        return self.by_type.get(next(iter(names)), [])
                    return sorted((e for n in names for e in self.by_type.get(n, [])),
                                  key=lambda e: e.key)
        return self.events


def _in_window(rule: RuleBase, ts: dt.datetime) -> bool:
    eff = rule.effective
    if eff is None:
        return True
    if eff.from_ and ts < dt.datetime.combine(eff.from_, dt.time()):
        return False
    if eff.to and ts >= dt.datetime.combine(eff.to + dt.timedelta(days=1), dt.time()):
        return False
    return True


def _openings(rule: RuleBase, log: _Log) -> list[Event]:
    """Per case, the first event meeting the opening matchers, if it falls in the window."""
    matchers = rule.opening()
    first: dict[str, Event] = {}
    for e in log.candidates(matchers):
        if e.case_id not in first and matches_all(matchers, e):
            first[e.case_id] = e
    return [e for e in first.values() if _in_window(rule, e.timestamp)]


def evaluate(rules: Sequence[RuleBase], events: Sequence[Event], calendar: WorkCalendar,
             as_of: dt.datetime | None = None) -> list[Finding]:
    """Every violation and warning the rules give on the log, as the contract means them.

    ``as_of`` defaults to the latest timestamp in the log; later events are ignored.
    """
    events = deduplicated(events)
    if as_of is None:
        if not events:
            return []
        as_of = max(e.timestamp for e in events)
    log = _Log(events, as_of)
    out: list[Finding] = []
    for rule in rules:
        out.extend(_KINDS[rule.kind](rule, log, as_of, calendar))
    return sorted(set(out))


def _deadline(rule, log: _Log, as_of: dt.datetime, calendar: WorkCalendar) -> Iterator[Finding]:
    clock = _Clock(rule.within.unit, calendar)
    for start in _openings(rule, log):
        case = log.by_case[start.case_id]
        limit = _limit(rule.within, start, rule)
        end = next((e for e in case if e.timestamp >= start.timestamp and matches(rule.end, e)),
                   None)
        end_ts = end.timestamp if end else None

        def before_close(e: Event, since: dt.datetime) -> bool:
            return e.timestamp >= since and (end_ts is None or e.timestamp <= end_ts)

        base = start.timestamp
        if rule.restart is not None:
            restarts = [e for e in case if before_close(e, start.timestamp) and matches(rule.restart, e)]
            if restarts:
                base = max(e.timestamp for e in restarts)
        extra = 0
        if rule.extend is not None:
            for e in case:
                if before_close(e, base) and matches(rule.extend.matcher, e):
                    extra += _limit(Duration(workdays_from=rule.extend.attribute), e, rule)
        paused, still_paused = 0.0, False
        if rule.pause is not None:
            for p in case:
                if not (before_close(p, base) and matches(rule.pause, p)):
                    continue
                resume = next((r for r in case if r.timestamp >= p.timestamp and matches(rule.resume, r)),
                              None)
                if resume is None:
                    still_paused = True
                else:
                    paused += clock.between(p.timestamp, resume.timestamp)
        total = limit + extra
        due = clock.due(base, total + paused)
        if still_paused:
            continue
        if end_ts is not None:
            if end_ts > due:
                yield Finding(rule.id, start.case_id, start.unit, None, "late")
        elif as_of > due:
            yield Finding(rule.id, start.case_id, start.unit, None, "overdue_open")
        elif rule.warn_at is not None:
            warn = clock.due(base, paused + math.ceil(rule.warn_at * total))
            if as_of > warn:
                yield Finding(rule.id, start.case_id, start.unit, None, "at_risk")


def _sequence(rule, log: _Log, as_of: dt.datetime, calendar: WorkCalendar) -> Iterator[Finding]:
    for start in _openings(rule, log):
        case = log.by_case[start.case_id]
        firsts: list[dt.datetime | None] = []
        for step in rule.steps:
            hit = next((e for e in case if e.timestamp >= start.timestamp and matches(step, e)), None)
            firsts.append(hit.timestamp if hit else None)
        complete = all(t is not None for t in firsts)
        due = None
        if rule.within is not None:
            due = _Clock(rule.within.unit, calendar).due(start.timestamp,
                                                         _limit(rule.within, start, rule))
            if not complete and not as_of > due:
                continue            # not judged before its time is up
        if not complete:
            found = "missing_step"
        elif rule.ordered and any(a > b for a, b in zip(firsts, firsts[1:])):
            found = "out_of_order"
        elif due is not None and max(firsts) > due:  # type: ignore[type-var]
            found = "late"
        else:
            continue
        yield Finding(rule.id, start.case_id, start.unit, None, found)


def _min_count(rule, log: _Log, as_of: dt.datetime, calendar: WorkCalendar) -> Iterator[Finding]:
    for start in _openings(rule, log):
        due = None
        if rule.within is not None:
            due = _Clock(rule.within.unit, calendar).due(start.timestamp,
                                                         _limit(rule.within, start, rule))
        counted = [e for e in log.by_case[start.case_id]
                   if matches(rule.count, e) and (due is None or e.timestamp <= due)]
        if rule.distinct:
            n = len({e.get(rule.distinct) for e in counted} - {None})
        else:
            n = len(counted)
        if n >= rule.at_least:
            continue
        if due is not None and not as_of > due:
            continue
        yield Finding(rule.id, start.case_id, start.unit, None, "insufficient")


def _due_by(rule, log: _Log, as_of: dt.datetime, calendar: WorkCalendar) -> Iterator[Finding]:
    due = dt.datetime.combine(rule.by, END_OF_DAY)
    if rule.subjects_list is not None:
        subjects = [(s.case_id, s.unit) for s in rule.subjects_list]
    else:
        subjects = [(e.case_id, e.unit) for e in _openings(rule, log)]
    for case_id, unit in subjects:
        done = next((e.timestamp for e in log.by_case.get(case_id, []) if matches(rule.required, e)),
                    None)
        if done is None:
            if as_of > due:
                yield Finding(rule.id, case_id, unit, None, "missing_by_date")
        elif done > due:
            yield Finding(rule.id, case_id, unit, None, "late")


def _required_fields(rule, log: _Log, as_of, calendar) -> Iterator[Finding]:
    allowed = {k: {_text(v) for v in values} for k, values in (rule.allowed or {}).items()}
    flagged: set[str] = set()
    matchers = rule.opening()
    for e in log.candidates(matchers):
        if e.case_id in flagged or not matches_all(matchers, e) or not _in_window(rule, e.timestamp):
            continue
        for name in rule.fields:
            value = e.get(name)
            if value is None or str(value).strip() == "" or \
                    (name in allowed and str(value) not in allowed[name]):
                flagged.add(e.case_id)
                yield Finding(rule.id, e.case_id, e.unit, None, "missing_field")
                break


def _forbidden(rule, log: _Log, as_of, calendar) -> Iterator[Finding]:
    flagged: set[str] = set()
    matchers = rule.opening()
    for e in log.candidates(matchers):
        if e.case_id not in flagged and matches_all(matchers, e) and _in_window(rule, e.timestamp):
            flagged.add(e.case_id)
            yield Finding(rule.id, e.case_id, e.unit, None, "forbidden")


# -- aggregate kinds ------------------------------------------------------------

def period_label(every: str, d: dt.date) -> str:
    if every == "year":
        return f"{d.year}"
    if every == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if every == "month":
        return f"{d.year}-{d.month:02d}"
    if every == "week":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}"
    return d.isoformat()


def period_bounds(every: str, d: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the period holding ``d``."""
    if every == "year":
        return dt.date(d.year, 1, 1), dt.date(d.year, 12, 31)
    if every in ("quarter", "month"):
        months = 3 if every == "quarter" else 1
        first_month = (d.month - 1) // months * months + 1
        start = dt.date(d.year, first_month, 1)
        end_month = first_month + months
        nxt = dt.date(d.year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
        return start, nxt - dt.timedelta(days=1)
    if every == "week":
        start = d - dt.timedelta(days=d.weekday())
        return start, start + dt.timedelta(days=6)
    return d, d


def _group(event: Event, names: Sequence[str]) -> str:
    """Group label: the values joined with '/', missing ones left out."""
    return "/".join(str(v) for v in (event.get(n) for n in names) if v is not None)


def _ratio(rule, log: _Log, as_of: dt.datetime, calendar) -> Iterator[Finding]:
    excluded: set[str] = set()
    if rule.exclude is not None:
        excluded = {e.case_id for e in log.candidates([rule.exclude]) if matches(rule.exclude, e)}
    if rule.condition is not None:
        satisfied = {e.case_id for e in log.candidates([rule.condition]) if matches(rule.condition, e)}
        members = [(e, 1.0 if e.case_id in satisfied else 0.0, 1.0) for e in _openings(rule, log)]
    else:
        matchers = rule.opening()
        members = []
        for e in log.candidates(matchers):
            if matches_all(matchers, e) and _in_window(rule, e.timestamp):
                num, den = _number(e.get(rule.value.numerator)), _number(e.get(rule.value.denominator))
                if num is None or den is None:
                    raise DataError(f"case {e.case_id!r}: {rule.value.numerator}/"
                                    f"{rule.value.denominator} must be numbers (rule {rule.id})")
                members.append((e, num, den))
    sums: dict[tuple, list[float]] = {}
    for e, num, den in members:
        if e.case_id in excluded:
            continue
        group = _group(e, rule.group_by) if rule.group_by else None
        if rule.period:
            period = period_label(rule.period, e.timestamp.date())
            end = period_bounds(rule.period, e.timestamp.date())[1]
        else:
            period = rule.effective.label() if rule.effective else None
            end = rule.effective.to if rule.effective else None
        acc = sums.setdefault((group, period), [0.0, 0.0, end])
        acc[0] += num
        acc[1] += den
    for (group, period), (num, den, end) in sums.items():
        if den <= 0:
            continue
        if end is not None and not as_of > dt.datetime.combine(end, END_OF_DAY):
            continue
        if num / den < rule.at_least:
            yield Finding(rule.id, None, group, period, "below_threshold")


def _periodic(rule, log: _Log, as_of: dt.datetime, calendar: WorkCalendar) -> Iterator[Finding]:
    matchers = rule.opening()
    matching = []
    for e in log.candidates(matchers):
        if not matches_all(matchers, e):
            continue
        if rule.period_of:
            raw = e.get(rule.period_of)
            label = None
            if raw is not None:
                try:
                    label = period_label(rule.every, dt.date.fromisoformat(str(raw).strip()))
                except ValueError:
                    label = str(raw).strip()
        else:
            label = period_label(rule.every, e.timestamp.date())
        matching.append((e, _group(e, rule.groups), label))
    if rule.units:
        groups = list(dict.fromkeys(rule.units))
    else:
        groups = sorted({g for _, g, _ in matching if g != ""})
    eff = rule.effective
    if eff and eff.from_:
        first = eff.from_
    elif matching:
        first = min(e.timestamp.date() for e, _, _ in matching)
    else:
        return
    last = min(eff.to, as_of.date()) if eff and eff.to else as_of.date()
    counts: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
    for e, g, label in matching:
        counts[(g, label)].append(e.timestamp)
    start = period_bounds(rule.every, first)[0]
    while start <= last:
        end = period_bounds(rule.every, start)[1]
        close = _close(rule, end, calendar)
        label = period_label(rule.every, start)
        if as_of > close:
            for g in groups:
                n = sum(1 for ts in counts.get((g, label), ()) if ts <= close)
                if n < rule.at_least:
                    yield Finding(rule.id, None, g, label, "missing_in_period")
        start = end + dt.timedelta(days=1)


def _close(rule, end: dt.date, calendar: WorkCalendar) -> dt.datetime:
    """When a period is judged: the end of its last day, plus the grace."""
    grace = rule.grace
    if grace is None:
        return dt.datetime.combine(end, END_OF_DAY)
    if grace.unit == "workdays":
        return calendar.deadline(dt.datetime.combine(end, dt.time()), int(grace.workdays))
    if grace.unit == "days":
        return dt.datetime.combine(end + dt.timedelta(days=int(grace.days)), END_OF_DAY)
    return dt.datetime.combine(end, END_OF_DAY) + dt.timedelta(seconds=1, hours=grace.hours)


_KINDS = {
    "deadline": _deadline, "sequence": _sequence, "min_count": _min_count, "due_by": _due_by,
    "required_fields": _required_fields, "forbidden": _forbidden, "ratio": _ratio,
    "periodic": _periodic,
}
assert set(_KINDS) >= set(AGGREGATE_KINDS)


# ---------------------------------------------------------------------------
# The truth file
# ---------------------------------------------------------------------------

def write_truth(findings: Iterable[Finding], path: str | Path) -> int:
    """The findings as CSV (``rule_id, case_id, unit, period, type``), sorted; returns the count."""
    rows = sorted(f.row() for f in findings)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        writer.writerows(rows)
    return len(rows)


def read_truth(path: str | Path) -> list[Finding]:
    with open(path, encoding="utf-8", newline="") as f:
        return [Finding(r["rule_id"], r["case_id"] or None, r["unit"] or None,
                        r["period"] or None, r["type"]) for r in csv.DictReader(f)]


def findings_of(report) -> list[Finding]:
    """The findings of an engine ``Report``, in the same shape (violations and warnings)."""
    return sorted({Finding(v.rule_id, v.case_id, v.unit, v.period, v.type)
                   for v in (*report.violations, *report.warnings)})

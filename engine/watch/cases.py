"""Open cases of the streaming monitor and how each kind judges them.

Every judgement here is the one ``check`` makes (``engine/batch/sql/<kind>.sql.j2`` and
docs/contract.md), restated for one case and one moment ``as_of``: what ``check --as-of T``
would say about this case, given the case's events up to T. ``watch.lifecycle`` calls
``judge`` whenever a case's events change or the clock passes a time the case named
(``next_at``), and announces the difference from what it announced before.

``CASE_CLASSES`` (at the end) names, for every kind, the class that judges it: a ``Case``
holds an open case until its verdict is final; an ``EventCase`` judges one event by itself;
None for the kinds judged only over whole periods, which ``watch`` leaves to ``check``.

Times are integers: microseconds since 1970-01-01 00:00, local (Asia/Shanghai) time.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from ..data.calendar import WorkCalendar
from ..errors import CalendarError
from ..i18n import marked as N_, translate as _
from ..model.rule import (DeadlineRule, ForbiddenRule, MinCountRule, RequiredFieldsRule, RuleBase,
                          SequenceRule, alternatives_label)
from .times import from_us, sql_time_text, time_text

DAY_US = 86_400 * 1_000_000
_EPOCH_DAY = dt.date(1970, 1, 1)
_END_OF_DAY_US = 86_399 * 1_000_000


def _round_half_away(x: float) -> int:
    """DuckDB's round(): halves go away from zero."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


class Positions:
    """A time as a count of a rule's unit, as ``_common.sql.j2``'s ``pos`` and ``time_at``."""

    def __init__(self, calendar: WorkCalendar, unit: str):
        self.calendar = calendar
        self.unit = unit
        self._wpos: dict[int, int] = {}     # day number → running count of working days
        self._end: dict[float, int] = {}    # working-day position → the end of that day

    def pos(self, us: int) -> float:
        if self.unit == "workdays":
            day = us // DAY_US
            found = self._wpos.get(day)
            if found is None:
                found = self._wpos[day] = self.calendar.wpos(_EPOCH_DAY + dt.timedelta(days=day))
            return found
        if self.unit == "days":
            return us // DAY_US
        return (us / 1_000_000) / 3600.0

    def time_at(self, p: float, base_pos: float, base_us: int) -> int:
        """The moment position ``p`` runs out (the end of that working day or day, or
        that instant for hours); ``p`` equal to ``base_pos`` is the end of the base date."""
        if self.unit == "workdays":
            if p == base_pos:
                return (base_us // DAY_US) * DAY_US + _END_OF_DAY_US
            found = self._end.get(p)        # the end of the working day numbered p
            if found is not None:
                return found
            base_day = from_us(base_us).date()
            steps = int(p - base_pos)
            if steps > 0:
                day = self.calendar.add_workdays(base_day, steps)
            else:
                day = self._workday_before(base_day, int(p))
            found = (day - _EPOCH_DAY).days * DAY_US + _END_OF_DAY_US
            if len(self._end) < 100_000:
                self._end[p] = found
            return found
        if self.unit == "days":
            return int(_round_half_away(p)) * DAY_US + _END_OF_DAY_US
        return _round_half_away(p * 3600 * 1_000_000)

    def _workday_before(self, day, target: int):
        """The working day whose running count is ``target`` (a negative limit)."""
        d = day
        while True:
            info = self.calendar.day(d)
            if info.is_workday and self.calendar.wpos(d) == target:
                return d
            if self.calendar.wpos(d) < target:
                raise CalendarError(_("no working day numbered {number}").format(number=target))
            d -= dt.timedelta(days=1)


#: Why a case cannot be judged, as ``check``'s data-quality findings give it: (reason,
#: detail, input line of the event at fault); reasons of ``findings.labels.DATA_QUALITY``.
Quality = tuple[str, "str | None", int]


@dataclass(slots=True)
class Verdict:
    """What ``check`` would say about a case at ``as_of``.

    ``type``: the finding (a violation type, ``at_risk``, or None); ``final``: nothing that
    can still happen changes it; ``due``/``actual``: as the report gives them; ``next_at``:
    the verdict may change once the clock is past this time, with no new event;
    ``quality``: why the case is not judged at all (then ``type`` is None).
    """

    type: str | None
    final: bool = False
    due: int | None = None
    actual: Any = None
    next_at: int | None = None
    quality: tuple[Quality, ...] = ()


class Case:
    """One open case of one rule."""

    kind = ""
    __slots__ = ("serial", "rule", "case_id", "unit", "start", "limit", "line", "fact", "group",
                 "shard", "announced", "noted", "version", "alive", "seen", "cancel")

    def __init__(self, serial: int, rule: int, case_id: str, unit: str | None, start: int,
                 limit: float | None, line: int):
        self.serial = serial
        self.rule = rule
        self.case_id = case_id
        self.unit = unit
        self.start = start
        self.limit = limit                         # None with ``within``: not readable
        self.line = line                           # input line of the opening event
        self.fact: tuple[str, int] | None = None   # durable-rules id of its open-case fact
        self.group = 0
        self.shard = 0
        self.announced: str | None = None          # the finding last announced, if any
        self.noted: tuple[str, ...] = ()           # data-quality reasons announced, standing
        self.version = 0
        self.alive = True
        self.seen: set[bytes] = set()              # events applied once only (duplicates)
        self.cancel: int | None = None             # the first cancel event at or after the start

    @classmethod
    def open(cls, rule: RuleBase, args: tuple, pos: Positions | None,
             early: set | list | None) -> Case:
        """The case an opening event starts. ``args`` are the constructor's (serial, rule
        number, case id, unit, start, limit, line); ``pos`` counts the rule's units;
        ``early`` holds what the case's events did before it opened (counted items, ends)."""
        return cls(*args)

    def unreadable_limit(self, rule: RuleBase) -> Quality | None:
        """A ``within`` (or ``settle``) read from the opening event's attribute that is blank
        or not a whole number: the case cannot be judged (``check``'s ``bad_limit``)."""
        timing = getattr(rule, "within", None) or getattr(rule, "settle", None)
        if timing is not None and self.limit is None:
            return ("bad_limit", timing.workdays_from, self.line)
        return None

    # -- persistence ------------------------------------------------------------------
    def dump(self) -> dict:
        out = {"kind": self.kind, "serial": self.serial, "rule": self.rule, "case": self.case_id,
               "unit": self.unit, "start": self.start, "limit": self.limit, "line": self.line,
               "announced": self.announced, "noted": list(self.noted),
               "seen": sorted(s.hex() for s in self.seen), "cancel": self.cancel}
        out.update(self._dump())
        return out

    def _dump(self) -> dict:
        return {}

    def _load(self, data: dict) -> None:
        pass

    @staticmethod
    def load(data: dict) -> "Case":
        cls = CASE_CLASSES[data["kind"]]
        case = cls(data["serial"], data["rule"], data["case"], data["unit"], data["start"],
                   data["limit"], data["line"])
        case.announced = data["announced"]
        case.noted = tuple(data["noted"])
        case.seen = {bytes.fromhex(s) for s in data["seen"]}
        case.cancel = data.get("cancel")
        case._load(data)
        return case

    def on_cancel(self, ts: int) -> bool:
        if self.cancel is None or ts < self.cancel:
            self.cancel = ts
            return True
        return False

    def cancelled(self, closed: int | None, due: int | None) -> bool:
        """Whether its cancel event closed the case without judgement: it came before the
        case closed at ``closed`` (which wins at the same instant) and no later than the
        due time (any time without one)."""
        return (self.cancel is not None and (closed is None or self.cancel < closed)
                and (due is None or self.cancel <= due))

    def judge(self, rule: RuleBase, pos: Positions | None, as_of: int, at_end: bool) -> Verdict:
        raise NotImplementedError


#: A pause's cap that is not a whole number (the case cannot be judged, as in ``check``).
BAD_CAP = -1


@dataclass(slots=True)
class _Stretch:
    """A deadline's count from its start or its last restart: what has moved it so far."""

    base: int
    base_pos: float
    added: float = 0.0           # pause time, overlaps counted once
    last_to: float | None = None  # the latest end of a pause so far
    days: int = 0                # working days granted by extensions
    stopped: bool = False        # a pause with neither resume nor cap stops the clock for good
    running_until: int | None = None   # a pause with no resume yet runs until its cap (or 0: open)
    #: what counted with a value that is not a whole number (time, line, attribute)
    unreadable: list[tuple[int, int, str]] = field(default_factory=list)


class DeadlineCase(Case):
    """``deadline.sql.j2``: start, first end, pauses (paired first in, first out with their
    resumes, capped, their union), extensions (capped in all), restarts, cancel, warn_at;
    each pause, extension and restart counts only if it came no later than the due time
    as it then stood (and every one before it did).

    Events are kept as times and paired when judged, so the order in which events of the
    same time arrive does not matter (a resume listed before its pause at the same time
    still resumes it, as in the SQL). An end before the start is kept apart (``early``):
    while no end at or after the start has come, the log contradicts itself and the case
    is not judged."""

    kind = "deadline"
    __slots__ = ("end", "early", "restarts", "pauses", "resumes", "extensions")

    def __init__(self, *args):
        super().__init__(*args)
        self.end: int | None = None
        self.early: int | None = None                # the first end before the start
        self.restarts: list[int] = []
        #: (time, pair, cap: None uncapped or BAD_CAP when unreadable, input line)
        self.pauses: list[tuple[int, int, int | None, int]] = []
        self.resumes: list[tuple[int, int]] = []              # (time, pair)
        #: (time, working days granted or None when unreadable, input line)
        self.extensions: list[tuple[int, int | None, int]] = []

    @classmethod
    def open(cls, rule: DeadlineRule, args: tuple, pos: Positions | None,
             early: list[int] | None) -> DeadlineCase:
        """``early``: the times of the case's end events seen before it opened."""
        case = cls(*args)
        for ts in early or ():
            case.on_end(ts)
        return case

    def _dump(self):
        return {"end": self.end, "early": self.early, "restarts": self.restarts,
                "pauses": [list(x) for x in self.pauses], "resumes": [list(x) for x in self.resumes],
                "extensions": [list(x) for x in self.extensions]}

    def _load(self, data):
        self.end = data["end"]
        self.early = data["early"]
        self.restarts = list(data["restarts"])
        self.pauses = [tuple(x) for x in data["pauses"]]
        self.resumes = [tuple(x) for x in data["resumes"]]
        self.extensions = [tuple(x) for x in data["extensions"]]

    def on_end(self, ts: int) -> bool:
        """The first end at or after the start closes the case; the first one before it
        only matters while none closes it."""
        if ts < self.start:
            if self.early is None or ts < self.early:
                self.early = ts
                return self.end is None
            return False
        if self.end is None or ts < self.end:
            self.end = ts
            return True
        return False

    def on_restart(self, ts: int) -> bool:
        self.restarts.append(ts)
        return True

    def on_pause(self, ts: int, pair: int, cap: int | None, line: int) -> bool:
        self.pauses.append((ts, pair, cap, line))
        return True

    def on_resume(self, ts: int, pair: int) -> bool:
        self.resumes.append((ts, pair))
        return True

    def on_extend(self, ts: int, days: int | None, line: int) -> bool:
        self.extensions.append((ts, days, line))
        return True

    def _within(self, ts: int) -> bool:
        return ts >= self.start and (self.end is None or ts <= self.end)

    def _intervals(self) -> list[tuple[int, int | None, int | None, int, int]]:
        """Each pause from the start on (time, resume, cap, pair, line): within a pair, in
        time order (a pause first at one instant), a resume ends the earliest pause still
        open; one that finds none open is ignored."""
        marks = sorted([(ts, 0, i) for i, (ts, *_rest) in enumerate(self.pauses) if ts >= self.start]
                       + [(ts, 1, pair) for ts, pair in self.resumes if ts >= self.start])
        open_: dict[int, list[int]] = {}
        resumed: dict[int, int] = {}
        for ts, mark, ref in marks:
            if mark == 0:
                open_.setdefault(self.pauses[ref][1], []).append(ref)
            elif open_.get(ref):
                resumed[open_[ref].pop(0)] = ts
        return [(ts, resumed.get(i), cap, pair, line)
                for i, (ts, pair, cap, line) in enumerate(self.pauses) if ts >= self.start]

    def _moving(self) -> list[tuple[int, int, int, str, Any]]:
        """Pauses, extensions and restarts up to the close, in time order (a restart first
        at one instant), each with its input line and what it carries."""
        out = [(ts, 1, line, "pause", (resume, cap, pair))
               for ts, resume, cap, pair, line in self._intervals() if self._within(ts)]
        out += [(ts, 0, 0, "restart", None) for ts in self.restarts if self._within(ts)]
        out += [(ts, 1, line, "extend", days) for ts, days, line in self.extensions
                if self._within(ts)]
        return sorted(out, key=lambda m: (m[0], m[1], m[2]))

    def _moved(self, rule: DeadlineRule, cap: int | None, pos: Positions, as_of: int) -> _Stretch:
        """The stretch the due time counts in, after every event that moved it in time. An
        unreadable value counts as 0 (more could only make more of what follows count) and
        is noted; with an unreadable limit every event counts (the case is not judged)."""
        s = _Stretch(self.start, pos.pos(self.start))
        for ts, _ord, line, what, data in self._moving():
            if self.limit is not None and not s.stopped:
                days = min(s.days, cap) if cap is not None else s.days
                if ts > pos.time_at(s.base_pos + self.limit + s.added + days, s.base_pos, s.base):
                    break           # too late: so is every event after it
            if what == "restart":
                s = _Stretch(ts, pos.pos(ts))
            elif what == "extend":
                if data is None:
                    s.unreadable.append((ts, line, rule.extend.attribute))
                s.days += data or 0
            else:
                resume, pause_cap, pair = data
                if pause_cap == BAD_CAP:
                    s.unreadable.append((ts, line, rule.pause_specs[pair].max.workdays_from))
                    pause_cap = 0
                self._add_pause(s, ts, resume, pause_cap, pos, as_of)
        return s

    @staticmethod
    def _add_pause(s: _Stretch, ts: int, resume: int | None, cap: int | None,
                   pos: Positions, as_of: int) -> None:
        start = pos.pos(ts)
        if resume is None and cap is None:
            s.stopped = True
            s.running_until = 0
            return
        ends = [pos.pos(resume)] if resume is not None else []
        if cap is not None:
            ends.append(start + cap)
            cap_end = pos.time_at(start + cap, start, ts)
            if resume is None and as_of <= cap_end and s.running_until != 0:
                s.running_until = max(s.running_until or 0, cap_end)
        to = min(ends)
        s.added += max(0, to - max(start, s.last_to if s.last_to is not None else start))
        s.last_to = to if s.last_to is None else max(s.last_to, to)

    def quality(self, rule: DeadlineRule, moved: _Stretch) -> tuple[Quality, ...]:
        """Why ``check`` would not judge the case (``deadline.sql.j2``, ``bad_limit`` and
        ``early``): its limit, or an extension or a pause's cap that counts, is unreadable
        (the first of them is named); it ended only before it started."""
        found: list[Quality] = []
        bad = moved.unreadable
        if self.limit is None or bad:      # named as the SQL names it: the limit first
            attribute = rule.within.workdays_from if self.limit is None else bad[0][2]
            found.append(("bad_limit", attribute, bad[0][1] if bad else self.line))
        if self.end is None and self.early is not None:
            found.append(("end_before_start", sql_time_text(self.early), self.line))
        return tuple(found)

    def judge(self, rule: DeadlineRule, pos: Positions, as_of: int, at_end: bool) -> Verdict:
        xcap = rule.extend_max.workdays if rule.extend_max is not None else None
        s = self._moved(rule, xcap, pos, as_of)
        quality = self.quality(rule, s)
        if quality:
            return Verdict(None, final=self.end is not None, quality=quality)
        total = self.limit + (min(s.days, xcap) if xcap is not None else s.days)
        due = pos.time_at(s.base_pos + total + s.added, s.base_pos, s.base)
        if self.cancelled(self.end, None if s.stopped else due):
            return Verdict(None, final=True, due=due)
        if s.running_until is not None:
            # the clock is stopped: neither judged nor warned, until the cap has passed
            return Verdict(None, next_at=s.running_until or None)
        if self.end is not None:
            late = self.end > due
            return Verdict("late" if late else None, final=True, due=due,
                           actual=time_text(self.end))
        if as_of > due:
            return Verdict("overdue_open", due=due)
        if rule.warn_at:
            warn = pos.time_at(s.base_pos + s.added + rule.warn_after(total),
                               s.base_pos, s.base)
            if as_of > warn:
                return Verdict("at_risk", due=due, actual=time_text(warn), next_at=due)
            return Verdict(None, due=due, next_at=warn)
        return Verdict(None, due=due, next_at=due)


class SequenceCase(Case):
    """``sequence.sql.j2``: the first time of each step at or after the trigger."""

    kind = "sequence"
    __slots__ = ("steps",)

    def __init__(self, *args, n_steps: int = 0):
        super().__init__(*args)
        self.steps: list[int | None] = [None] * n_steps

    @classmethod
    def open(cls, rule: SequenceRule, args: tuple, pos: Positions | None,
             early: set | None) -> SequenceCase:
        return cls(*args, n_steps=len(rule.steps))

    def _dump(self):
        return {"steps": self.steps}

    def _load(self, data):
        self.steps = list(data["steps"])

    def on_step(self, i: int, ts: int) -> bool:
        if self.steps[i] is None or ts < self.steps[i]:
            self.steps[i] = ts
            return True
        return False

    def judge(self, rule: SequenceRule, pos: Positions | None, as_of: int, at_end: bool) -> Verdict:
        bad = self.unreadable_limit(rule)
        if bad is not None:
            return Verdict(None, final=True, quality=(bad,))
        complete = all(s is not None for s in self.steps)
        if rule.settle is not None:
            return self._settled(rule, pos, as_of, complete)
        due = None
        if rule.within is not None:
            due = count_due(pos, self.start, self.limit)
        if self.cancelled(max(self.steps) if complete else None, due):
            return Verdict(None, final=True, due=due)
        labels = _labels(rule)
        if complete:
            last = max(self.steps)
            if rule.ordered and len(self.steps) > 1 and any(
                    a > b for a, b in zip(self.steps, self.steps[1:])):
                return Verdict("out_of_order", final=True, due=due, actual="；".join(
                    f"{m} {sql_time_text(s)}" for m, s in zip(labels, self.steps)))
            if due is not None and last > due:
                return Verdict("late", final=True, due=due, actual=sql_time_text(last))
            return Verdict(None, final=True, due=due)
        if due is not None and as_of <= due:
            return Verdict(None, due=due, next_at=due)
        missing = "、".join(m for m, s in zip(labels, self.steps) if s is None)
        if due is not None:
            return Verdict("missing_step", due=due, actual=missing)
        # without `within` an incomplete case is judged at as_of: the end of the input. In
        # between, what was said at the last end (with --state, before a restart) stands.
        return Verdict("missing_step" if at_end else self.announced, actual=missing)

    def _settled(self, rule: SequenceRule, pos: Positions, as_of: int, complete: bool) -> Verdict:
        """With ``settle``: incomplete, judged only once the fair time has passed (a step may
        still come, so never final); complete, judged then, never late."""
        labels = _labels(rule)
        settled = count_due(pos, self.start, self.limit)
        if self.cancelled(max(self.steps) if complete else None, settled):
            return Verdict(None, final=True)
        if complete:
            if rule.ordered and any(a > b for a, b in zip(self.steps, self.steps[1:])):
                return Verdict("out_of_order", final=True, actual="；".join(
                    f"{m} {sql_time_text(s)}" for m, s in zip(labels, self.steps)))
            return Verdict(None, final=True)
        if as_of <= settled:
            return Verdict(None, next_at=settled)
        return Verdict("missing_step", actual="、".join(
            m for m, s in zip(labels, self.steps) if s is None))


class CountCase(Case):
    """``min_count.sql.j2``: matching events of the case (any time) up to the deadline."""

    kind = "min_count"
    __slots__ = ("items", "due")

    def __init__(self, *args, due: int | None = None):
        super().__init__(*args)
        self.items: set = set()     # distinct values, or the events' fingerprints
        self.due = due

    @classmethod
    def open(cls, rule: MinCountRule, args: tuple, pos: Positions | None,
             early: set | None) -> CountCase:
        """With ``within``, counted events count up to the due time, fixed when it opens."""
        _serial, _rule, _case_id, _unit, start, limit, _line = args
        timed = rule.within is not None and limit is not None
        case = cls(*args, due=count_due(pos, start, limit) if timed else None)
        case.items.update(early or ())
        return case

    def _dump(self):
        return {"items": sorted(i.hex() if isinstance(i, bytes) else "v:" + i for i in self.items),
                "due": self.due}

    def _load(self, data):
        self.items = {bytes.fromhex(i) if not i.startswith("v:") else i[2:] for i in data["items"]}
        self.due = data["due"]

    @staticmethod
    def item(rule: MinCountRule, ev) -> Any:
        """What a counted event counts as: its ``distinct`` value (COUNT(DISTINCT x) skips
        NULL: None is not counted), else the event itself (a copy counts once)."""
        if rule.distinct:
            return ev.values.get(rule.distinct)
        return ev.fingerprint()

    def on_count(self, ts: int, item) -> bool:
        if self.due is not None and ts > self.due:
            return False
        if item in self.items:
            return False
        self.items.add(item)
        return True

    def judge(self, rule: MinCountRule, pos: Positions | None, as_of: int, at_end: bool) -> Verdict:
        """Judged as soon as the clock passes each of its events, so a cancel is judged
        with exactly the events up to its time."""
        bad = self.unreadable_limit(rule)
        if bad is not None:
            return Verdict(None, final=True, quality=(bad,))
        n = len(self.items)
        if n >= rule.at_least:
            return Verdict(None, final=True, due=self.due, actual=n)
        if rule.settle is not None:     # counted up to as_of, judged once the fair time passed
            settled = count_due(pos, self.start, self.limit)
            if self.cancelled(None, settled):
                return Verdict(None, final=True, actual=n)
            if as_of <= settled:
                return Verdict(None, next_at=settled)
            return Verdict("insufficient", actual=n)
        if self.cancelled(None, self.due):
            return Verdict(None, final=True, due=self.due, actual=n)
        if self.due is not None:
            if as_of > self.due:
                return Verdict("insufficient", final=True, due=self.due, actual=n)
            return Verdict(None, due=self.due, next_at=self.due)
        return Verdict("insufficient" if at_end else self.announced, actual=n)


_LABELS: dict[int, tuple[SequenceRule, list[str]]] = {}


def _labels(rule: SequenceRule) -> list[str]:
    found = _LABELS.get(id(rule))
    if found is None or found[0] is not rule:
        found = _LABELS[id(rule)] = (rule, [alternatives_label(m) for m in rule.steps])
    return found[1]


def count_due(pos: Positions, start: int, limit: float) -> int:
    """The end of a count's ``within``, from the subject's time."""
    base_pos = pos.pos(start)
    return pos.time_at(base_pos + limit, base_pos, start)


class EventCase:
    """A kind judged on each event by itself (the ``hit`` role): no case stays open; the
    first offending event of a case is its finding, given once."""

    @staticmethod
    def demands(rule: RuleBase) -> list[tuple[str, tuple[str, ...] | None]]:
        """What an event must carry not to be a finding: (field, its allowed texts or None
        for any); empty when the event is a finding whatever it carries."""
        return []

    @classmethod
    def finding(cls, rule: RuleBase, values: dict[str, str], ts: int) -> tuple[str, str]:
        """The violation type and ``actual`` of an offending event."""
        raise NotImplementedError


class RequiredFieldsCase(EventCase):
    """``required_fields.sql.j2``: every field given, and among its allowed values (compared
    as text with each value as Python prints it)."""

    @staticmethod
    def demands(rule: RequiredFieldsRule) -> list[tuple[str, tuple[str, ...] | None]]:
        allowed = rule.allowed or {}
        return [(name, tuple(str(v) for v in allowed[name]) if name in allowed else None)
                for name in rule.fields]

    @classmethod
    def finding(cls, rule: RequiredFieldsRule, values: dict[str, str], ts: int) -> tuple[str, str]:
        problems = []
        for name, allowed in cls.demands(rule):
            value = sql_time_text(ts) if name == "timestamp" else values.get(name)
            if value is None:
                problems.append(f"{name}（缺失）")
            elif allowed is not None and value not in allowed:
                problems.append(f"{name}={value}")
        return "missing_field", "、".join(problems)


class ForbiddenCase(EventCase):
    """``forbidden.sql.j2``: the event itself is the finding."""

    @classmethod
    def finding(cls, rule: ForbiddenRule, values: dict[str, str], ts: int) -> tuple[str, str]:
        return "forbidden", sql_time_text(ts)


#: kind → the class that judges its cases in ``watch``; None for the kinds judged only over
#: whole periods, which are left to ``check``.
CASE_CLASSES: dict[str, type[Case] | type[EventCase] | None] = {
    "deadline": DeadlineCase,
    "sequence": SequenceCase,
    "min_count": CountCase,
    "ratio": None,
    "due_by": None,
    "periodic": None,
    "required_fields": RequiredFieldsCase,
    "forbidden": ForbiddenCase,
}

#: Kinds ``watch`` judges; the others need a whole period of the log and stay with ``check``.
STREAM_KINDS = tuple(kind for kind, judge in CASE_CLASSES.items() if judge is not None)

#: Keys of the rule language ``watch`` does not run, and why (translated where it is said):
#: a rule that uses one is refused at start-up with a located line and left to ``check``
#: (never judged differently).
UNSUPPORTED_KEYS = {
    "only_if": N_("an event at any later time brings a case into scope, so no verdict would "
                  "ever be final"),
    "exclude": N_("an event at any later time takes a case out of scope, so no verdict would "
                  "ever be final"),
}


def unsupported_key(rule: RuleBase) -> str | None:
    """The first key of ``rule`` that ``watch`` does not run (None: it runs them all)."""
    return next((key for key in UNSUPPORTED_KEYS if getattr(rule, key, None) is not None), None)

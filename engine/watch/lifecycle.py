"""The life of every open case: opening it, applying its events in time order, judging it
when its events change or the clock passes a time it named, and letting it go once its
verdict is final.

The judging clock moves with the events' times (or the wall); a time is judged once,
whole: the cases changed at one time are judged when the clock moves past it (or when
no more input comes), so events of the same time may arrive in any order and in
different batches. Times a case named (its due time, its warning time) wait in a heap.
"""
from __future__ import annotations

import heapq
from typing import Sequence

from ..data.calendar import WorkCalendar
from ..errors import CalendarError, WatchStop
from ..i18n import translate as _
from ..model.rule import RuleBase
from ..plan import Limit
from .cases import BAD_CAP, CASE_CLASSES, Case, Positions, Verdict
from .input import Casts, StreamEvent
from .output import FindingWriter
from .remembered import Remembered
from .rulesets import KEPT_BEFORE_OPENING, RulesetRule, RulesetRole
from .times import to_us

#: Effects at one time are applied in this order (then by arrival), as the SQL compares
#: times: a case opens before anything else at its start time counts for it, a pause
#: before a resume at the same time, and a case closes after everything else then.
PHASES = {"open": 0, "restart": 1, "pause": 1, "extend": 1, "step": 1, "count": 1,
          "hit": 1, "cancel": 1, "resume": 2, "end": 3}
#: The reason a ``resolved`` line gives, by the role of the event that changed the case.
REASONS = {"end": "closed", "pause": "paused", "resume": "resumed", "restart": "restarted",
           "extend": "extended", "step": "step", "count": "counted", "cancel": "cancelled",
           "open": "opened", None: "clock"}

#: A match of an event with a role: (event serial, role, the case it joins or None).
Record = tuple[int, RulesetRole, "Case | None"]


class Lifecycle:
    """The open cases of every rule, the clock, and what is remembered of closed cases."""

    def __init__(self, compiled: Sequence[RulesetRule], calendar: WorkCalendar,
                 remember_days: int, casts: Casts, writer: FindingWriter):
        self.compiled = compiled
        self.rule_of: list[RuleBase] = [r.rule for r in compiled]
        self.rule_ids = [r.rule.id for r in compiled]
        self.judges = [CASE_CLASSES[r.kind] for r in compiled]     # by rule number
        self.casts = casts
        self.writer = writer
        self.positions: dict[int, Positions] = {}
        self.within: dict[int, Limit | None] = {}
        self.window: dict[int, tuple[int | None, int | None]] = {}
        self.window_end: dict[int, int] = {}
        for r in compiled:
            # how long a case has (within), or waits before it is judged (settle)
            within = self.within[r.index] = r.plan.within or r.plan.settle
            if within is not None:
                self.positions[r.index] = Positions(calendar, within.unit)
            window = r.plan.window
            lo = to_us(window.start) if window.start else None
            hi = to_us(window.end) if window.end else None
            self.window[r.index] = (lo, hi)
            if hi is not None:
                self.window_end[r.index] = hi
        self.clock: int | None = None           # the judging clock
        self.cases: dict[int, Case] = {}        # by serial
        self.open: dict[tuple[int, str], Case] = {}
        self.heap: list[tuple[int, int, int]] = []          # (time, case serial, version)
        self.opened = Remembered(remember_days)      # (rule, case) opened once
        self.reported = Remembered(remember_days)    # event findings given
        self.early = Remembered(remember_days)       # counted before the subject
        self.ended = Remembered(remember_days)       # ends (their times) before the start
        self.memories = (self.opened, self.reported, self.early, self.ended)
        self.expired: set[int] = set()               # rules whose window is over
        self.dirty: dict[int, tuple[Case, str]] = {}     # changed at the current time
        self.closed: list[tuple[int, int, tuple[str, int]]] = []   # their open-case facts

    # -- what the monitor calls -------------------------------------------------------

    def open_case(self, ev: StreamEvent, role: RulesetRole) -> Case | None:
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
        if within is not None:      # None when unreadable: the case is a data-quality finding
            if within.attribute:
                raw = ev.values.get(within.attribute)
                limit = within.default if raw is None else self.casts.integer(raw)
            else:
                limit = within.amount
        # numbered by the opening event, so that ties are broken the same way however the
        # input was cut into batches
        args = (ev.serial * 65_536 + r, r, ev.case_id, ev.unit, ev.ts, limit, ev.line)
        try:
            case = self.judges[r].open(rule, args, self.positions.get(r),
                                       self._before_opening(r, ev.case_id))
        except CalendarError as exc:
            raise _calendar_stop(rule, ev.case_id, exc) from None
        self.cases[case.serial] = case
        self.open[key] = case
        return case

    def apply(self, events: list[StreamEvent], ticks: list[tuple[int, int]], records: list[Record],
              retained: list[StreamEvent]) -> None:
        """Apply the batch's matches in time order, moving the clock as they go."""
        by_serial = {ev.serial: ev for ev in events}
        for ev in retained:
            by_serial.setdefault(ev.serial, ev)
        items = []
        for i, (serial, role, case) in enumerate(records):
            ev = by_serial[serial]
            items.append(((ev.proc, PHASES[role.name], serial, role.rule, role.step or 0, i),
                          role, case, ev))
        # every line moves the clock, an event that matched nothing as much as a clock line:
        # a time a case named is judged at the first line past it, however the input was
        # cut into batches
        for i, proc in enumerate([ev.proc for ev in events] + [proc for proc, _line in ticks]):
            items.append(((proc, -1, 0, 0, 0, i), None, None, None))
        items.sort(key=_first)
        current = None
        dirty = self.dirty
        for key, role, case, ev in items:
            if key[0] != current:
                current = key[0]
                self.advance(current)
                dirty = self.dirty
            if role is None:
                continue
            changed = self._effect(role, case, ev)
            # a change at a time before the case opened (an event of the batch that opened
            # it) is judged when it opens, as if it came then
            if changed is not None and changed.serial not in dirty and current >= changed.start:
                dirty[changed.serial] = (changed, REASONS[role.name])
        # the cases changed at the last time stay unjudged: more events of that same time may
        # be in the next batch, and a time is judged once, whole (see advance)

    def advance(self, t: int) -> None:
        """Move the clock to ``t`` and judge the cases whose time has come (before ``t``)."""
        if self.clock is not None and t <= self.clock:
            return
        self.judge_changed()        # the previous time is complete
        self.clock = t
        for memory in self.memories:
            memory.tick(t)
        for r, end in self.window_end.items():
            if t >= end and r not in self.expired:
                self.expired.add(r)
                for memory in self.memories:
                    memory.forget_rule(r)
        due: list[Case] = []
        while self.heap and self.heap[0][0] < t:
            _at, serial, version = heapq.heappop(self.heap)
            case = self.cases.get(serial)
            if case is not None and case.version == version:
                due.append(case)
        for case in due:
            if case.alive:
                self._judge(case, "clock")

    def judge_changed(self) -> None:
        """Judge the cases whose events changed at the current time (by their number)."""
        dirty, self.dirty = self.dirty, {}
        for serial in sorted(dirty):
            case, reason = dirty[serial]
            if case.alive:
                self._judge(case, reason)

    def end_of_input(self) -> None:
        """The end of the input is the ``as_of`` of a replay: cases that are judged only at
        ``as_of`` (a sequence or min_count with neither ``within`` nor ``settle``) are
        judged now."""
        self.judge_changed()
        for serial in sorted(self.cases):
            case = self.cases.get(serial)
            if case is None or not case.alive:
                continue
            if self.within[case.rule] is None:
                self._judge(case, "end of input", at_end=True)

    def take_closed(self) -> list[tuple[int, int, tuple[str, int]]]:
        """The open-case facts of the cases closed since the last call, to retract."""
        closed, self.closed = self.closed, []
        return closed

    def dump(self) -> dict:
        """The state to save: the clock, the open cases and their times, the memory."""
        ids = self.rule_ids
        return {
            "clock": self.clock,
            "cases": [c.dump() for c in self.cases.values()],
            "heap": [list(h) for h in self.heap
                     if h[1] in self.cases and self.cases[h[1]].version == h[2]],
            "opened": self.opened.dump(ids),
            "reported": self.reported.dump(ids),
            "early": self.early.dump(ids, encode=lambda s: sorted(
                i.hex() if isinstance(i, bytes) else "v:" + i for i in s)),
            "ended": self.ended.dump(ids),
            "expired": [ids[r] for r in sorted(self.expired)],
            "dirty": [[serial, reason] for serial, (_c, reason) in sorted(self.dirty.items())],
        }

    def load(self, data: dict) -> None:
        """Take back a saved state (the cases' facts are the caller's to assert)."""
        idx = {rid: i for i, rid in enumerate(self.rule_ids)}
        self.clock = data["clock"]
        self.opened.load(data["opened"], idx)
        self.reported.load(data["reported"], idx)
        self.early.load(data["early"], idx, decode=lambda s: {
            bytes.fromhex(i) if not i.startswith("v:") else i[2:] for i in s})
        self.ended.load(data["ended"], idx)
        self.expired = {idx[r] for r in data["expired"]}
        for item in data["cases"]:
            case = Case.load(item)
            self.cases[case.serial] = case
            self.open[(case.rule, case.case_id)] = case
        self.dirty = {serial: (self.cases[serial], reason) for serial, reason in data["dirty"]
                      if serial in self.cases}
        self.heap = [tuple(h) for h in data["heap"]]
        heapq.heapify(self.heap)
        for h in self.heap:
            case = self.cases.get(h[1])
            if case is not None:
                case.version = h[2]

    # -- effects and judgements -------------------------------------------------------

    def _effect(self, role: RulesetRole, case: Case | None, ev: StreamEvent) -> Case | None:
        """What the event does to its case; the case when it changed."""
        name = role.name
        r = role.rule
        if name == "hit":
            self._hit(role, ev)
            return None
        if name in KEPT_BEFORE_OPENING:     # matched alone: its case, open or not yet
            case = self.open.get((r, ev.case_id))
            if case is None:
                self._keep_for_opening(role, ev)
                return None
        if case is None or not case.alive:
            return None
        if name == "open":
            return case
        if name == "end":
            return case if case.on_end(ev.ts) else None
        if name == "restart":
            return case if case.on_restart(ev.ts) else None
        if name == "cancel":
            return case if case.on_cancel(ev.ts) else None
        if name == "step":
            return case if case.on_step(role.step, ev.ts) else None
        if name == "count":
            item = self.judges[r].item(self.rule_of[r], ev)
            return case if item is not None and case.on_count(ev.ts, item) else None
        fp = ev.fingerprint()
        if fp in case.seen:                 # a copy of an event already applied
            return None
        if name == "resume":            # pairs first in, first out: a copy would end two
            case.seen.add(fp)
            return case if case.on_resume(ev.ts, role.step or 0) else None
        if name == "pause":
            case.seen.add(fp)
            cap = self._pause_cap(r, role.step or 0, ev)
            return case if case.on_pause(ev.ts, role.step or 0, cap, ev.line) else None
        if name == "extend":        # days None when unreadable: a data-quality finding
            days = self.casts.integer(ev.values.get(self.compiled[r].plan.extension.attribute))
            case.seen.add(fp)
            return case if case.on_extend(ev.ts, days, ev.line) else None
        return None

    def _keep_for_opening(self, role: RulesetRole, ev: StreamEvent) -> None:
        """An event of a case not open yet, kept in case it opens later: a counted item (the
        subject may come after it), or an end (then the case ended before it started)."""
        r = role.rule
        if (r, ev.case_id) in self.opened or r in self.expired:
            return
        if role.name == "end":
            times = self.ended.setdefault(r, ev.case_id, [])
            if ev.ts not in times:
                times.append(ev.ts)
            return
        item = self.judges[r].item(self.rule_of[r], ev)
        if item is not None:
            self.early.setdefault(r, ev.case_id, set()).add(item)

    def _before_opening(self, r: int, case_id: str):
        """What the case's events did before it opened (``_keep_for_opening``): the items
        counted for a min_count case, the times of a deadline case's ends."""
        counted = self.early.pop(r, case_id)
        ended = self.ended.pop(r, case_id)
        return counted if counted is not None else ended

    def _pause_cap(self, r: int, pair: int, ev: StreamEvent) -> int | None:
        """The cap of a pause (None: uncapped), read from the pause event when the rule says
        so (blank: its default, or none); ``BAD_CAP`` when not a whole number."""
        cap = self.compiled[r].plan.pause_caps[pair]
        if cap is None or not cap.attribute:
            return None if cap is None else int(cap.amount)
        raw = ev.values.get(cap.attribute)
        if raw is None:
            return cap.default
        value = self.casts.integer(raw)
        return BAD_CAP if value is None else value

    def _hit(self, role: RulesetRole, ev: StreamEvent) -> None:
        """An event that is a finding by itself: the first of its case is reported."""
        r = role.rule
        if (r, ev.case_id) in self.reported or r in self.expired:
            return
        self.reported.put(r, ev.case_id)
        rule = self.compiled[r].rule
        vtype, actual = self.judges[r].finding(rule, ev.values, ev.ts)
        self.writer.emit("violation", rule, ev.case_id, ev.unit, vtype, None, actual, self.clock)

    def _judge(self, case: Case, reason: str, at_end: bool = False) -> None:
        """Judge the case as ``check --as-of <clock>`` would, and announce any change."""
        rule = self.rule_of[case.rule]
        try:
            verdict: Verdict = case.judge(rule, self.positions.get(case.rule), self.clock, at_end)
        except CalendarError as exc:
            raise _calendar_stop(rule, case.case_id, exc) from None
        standing = tuple(q[0] for q in verdict.quality)
        for gone in case.noted:
            if gone not in standing:
                self.writer.emit("resolved", rule, case.case_id, case.unit, gone, None, None,
                                 self.clock, reason=reason)
        old, new = case.announced, verdict.type
        if new != old:
            if new is None:
                self.writer.emit("resolved", rule, case.case_id, case.unit, old, verdict.due,
                                 verdict.actual, self.clock, reason=reason)
            else:
                self.writer.emit("warning" if new == "at_risk" else "violation", rule,
                                 case.case_id, case.unit, new, verdict.due, verdict.actual,
                                 self.clock, supersedes=old)
            case.announced = new
        for quality in verdict.quality:
            if quality[0] not in case.noted:
                self.writer.emit_quality(rule, case.case_id, case.unit, quality, self.clock)
        case.noted = standing
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
        self.closed.append((case.group, case.shard, case.fact))

def _calendar_stop(rule: RuleBase, case_id: str, exc: CalendarError) -> WatchStop:
    """A due time needs a year no calendar covers: ``watch`` stops, as ``check`` does."""
    return WatchStop(_("rule {rule}, case {case}: {problem}").format(
        rule=rule.id, case=repr(case_id), problem=exc.message))


def _first(item):
    return item[0]

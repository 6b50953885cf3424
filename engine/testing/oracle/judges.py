"""Each kind's meaning, written from docs/contract.md (the table of kinds and "Meaning, where
the contract is silent") as a loop over the cases, or the groups and periods, of a log.

``JUDGES`` maps every kind to its judge: the rule key whose matcher opens a case (or makes
a member) and the function that finds the kind's violations and warnings. A judge reads
only the rule's plain fields (matchers as raw mappings, durations' numbers, dates); what
they mean, from the effective window to the working days, is worked out here.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from ...model.rule import Duration, Matcher, RuleBase
from .log import Event, Log
from .matching import Criterion, candidates, criteria, meets, number, text
from .truth import DATA_QUALITY, Finding
from .workdays import END_OF_DAY, Workdays

#: A judge's function: (rule, log, as_of, working days) → its findings.
Find = Callable[[Any, Log, dt.datetime, Workdays], Iterator[Finding]]


@dataclass(frozen=True)
class Judge:
    """How the oracle judges one kind: what opens a case, and what it finds."""

    opens_with: str
    find: Find


# ---------------------------------------------------------------------------
# What every kind reads: the opening, the window, durations
# ---------------------------------------------------------------------------

def raw(matcher: Matcher | None) -> dict | None:
    """A matcher's mapping as written in the rule file (None: no matcher)."""
    return matcher.root if matcher is not None else None


def opening(rule: RuleBase) -> tuple[Criterion, ...]:
    """What the event that opens a case (or makes a member) must meet: the kind's opening
    matcher and the rule's ``where``."""
    return criteria(raw(getattr(rule, JUDGES[rule.kind].opens_with)), raw(rule.where))


def in_window(rule: RuleBase, ts: dt.datetime) -> bool:
    """Whether a moment falls on the rule's effective dates (both ends included)."""
    eff = rule.effective
    if eff is None:
        return True
    if eff.from_ and ts < dt.datetime.combine(eff.from_, dt.time()):
        return False
    if eff.to and ts >= dt.datetime.combine(eff.to + dt.timedelta(days=1), dt.time()):
        return False
    return True


def window_label(rule: RuleBase) -> str | None:
    """The period of a ratio without ``period``: the effective window (``2021`` when it is
    a calendar year, else ``from/to`` with an open end left blank)."""
    eff = rule.effective
    if eff is None or not (eff.from_ or eff.to):
        return None
    if eff.from_ and eff.to and (eff.from_.month, eff.from_.day) == (1, 1) \
            and eff.to == dt.date(eff.from_.year, 12, 31):
        return str(eff.from_.year)
    return f"{eff.from_ or ''}/{eff.to or ''}"


def openings(rule: RuleBase, log: Log) -> list[Event]:
    """Per case, the first event meeting the opening, if it falls in the window and in the
    span the log covers (a case opened outside the span is not judged), and if the case is
    in scope (``only_if``, ``exclude``)."""
    return first_openings(rule, log, lambda t: in_window(rule, t))


def first_openings(rule: RuleBase, log: Log, in_days) -> list[Event]:
    """Per case, the first event meeting the opening, kept if ``in_days`` holds for its
    time, the log's span covers it and the case is in scope."""
    tests = opening(rule)
    first: dict[str, Event] = {}
    for e in candidates(log, tests):
        if e.case_id not in first and meets(tests, e):
            first[e.case_id] = e
    return [e for e in first.values()
            if in_days(e.timestamp) and log.covers(e.timestamp, e.timestamp)
            and in_scope(rule, log, e.case_id)]


def any_of(value: Matcher | list | None) -> list[tuple[Criterion, ...]]:
    """The criteria of a key that takes a matcher or a list of them (any may hold)."""
    if value is None:
        return []
    return [criteria(raw(m)) for m in (value if isinstance(value, list) else [value])]


def meets_any(alternatives: list[tuple[Criterion, ...]], e: Event) -> bool:
    return any(meets(tests, e) for tests in alternatives)


def in_scope(rule: RuleBase, log: Log, case_id: str) -> bool:
    """A case with an ``exclude`` event, or without an ``only_if`` event, anywhere in it by
    as_of, is not judged."""
    case = log.by_case.get(case_id, [])
    excluded, wanted = any_of(getattr(rule, "exclude", None)), any_of(getattr(rule, "only_if", None))
    if excluded and any(meets_any(excluded, e) for e in case):
        return False
    return not wanted or any(meets_any(wanted, e) for e in case)


def first_cancel(rule: RuleBase, case: Sequence[Event], since: dt.datetime) -> dt.datetime | None:
    """The first ``cancel`` event of the case at or after ``since``."""
    tests = any_of(getattr(rule, "cancel", None))
    return next((e.timestamp for e in case if e.timestamp >= since and meets_any(tests, e)), None)


def cancelled(cancel: dt.datetime | None, closed: dt.datetime | None,
              due: dt.datetime | None) -> bool:
    """A cancel closes the case unjudged when it came before the case closed (the closing
    event wins at the same instant) and no later than the due time (None: any time)."""
    return cancel is not None and (closed is None or cancel < closed) and \
        (due is None or cancel <= due)


def unit_of(duration: Duration) -> str:
    """What a duration counts: calendar days, hours, months (a grace), or working days."""
    if duration.days is not None:
        return "days"
    if duration.hours is not None:
        return "hours"
    if getattr(duration, "months", None) is not None:
        return "months"
    return "workdays"


class Unjudgeable(Exception):
    """The log cannot support judging this case: a data-quality finding, not a violation."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def limit(duration: Duration, start: Event, rule: RuleBase) -> float:
    """The count a duration allows for a case: fixed, or read from its opening event (its
    ``default`` when the attribute is blank)."""
    if duration.workdays_from:
        value = start.get(duration.workdays_from)
        if duration.default is not None and (value is None or str(value).strip() == ""):
            return duration.default
        return _whole(value)
    return next(v for v in (duration.workdays, duration.days, duration.hours) if v is not None)


def _whole(raw_value: Any) -> int:
    """A number of working days read from the log; blank or not whole: the case cannot be
    judged."""
    try:
        return int(str(raw_value).strip())
    except (TypeError, ValueError):
        raise Unjudgeable("bad_limit") from None


def quality(rule, case: Event, reason: str) -> Finding:
    """A data-quality finding, typed as the truth compares it."""
    return Finding(rule.id, case.case_id, case.unit, None, DATA_QUALITY + reason)


class Clock:
    """Counts working days, days or hours as the contract says for a duration's unit."""

    def __init__(self, unit: str, workdays: Workdays):
        self.unit = unit
        self.workdays = workdays

    def between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Units from ``a`` to ``b``: working days after a's date up to and including b's."""
        if self.unit == "workdays":
            return self.workdays.between(a.date(), b.date())
        if self.unit == "days":
            return (b.date() - a.date()).days
        return (b - a).total_seconds() / 3600

    def due(self, base: dt.datetime, n: float) -> dt.datetime:
        """The end of ``n`` units after ``base``: end of working day n (n = 0: end of base's
        date), end of calendar day n, or the instant n hours later."""
        if self.unit == "workdays":
            return self.workdays.deadline(base, int(n))
        if self.unit == "days":
            return dt.datetime.combine(base.date() + dt.timedelta(days=int(n)), END_OF_DAY)
        return base + dt.timedelta(hours=n)


# ---------------------------------------------------------------------------
# Case kinds
# ---------------------------------------------------------------------------

def deadline(rule, log: Log, as_of: dt.datetime, workdays: Workdays) -> Iterator[Finding]:
    """The end event by the end of the limit, moved by the pauses, extensions and restarts
    that came in time: ``late`` when it came after, ``overdue_open`` when it has not come and
    the limit has passed, ``at_risk`` once ``ceil(warn_at × limit)`` has passed (the
    product rounded to 9 decimals first: 0.14 × 50 is 7, as on paper). Not judged:
    a case cancelled in time, or paused at as_of."""
    clock = Clock(unit_of(rule.within), workdays)
    end_test = criteria(raw(rule.end))
    for start in openings(rule, log):
        case = log.by_case[start.case_id]
        problems = []
        try:
            allowed = limit(rule.within, start, rule)
        except Unjudgeable as exc:
            problems.append(exc.reason)
            allowed = None
        end = next((e for e in case if e.timestamp >= start.timestamp and meets(end_test, e)),
                   None)
        end_ts = end.timestamp if end else None
        if end is None and any(e.timestamp < start.timestamp and meets(end_test, e) for e in case):
            problems.append("end_before_start")     # it ended before it started, never after
        moved = Moved(rule, start, clock, as_of)
        for ts, _order, what, data in moves(rule, case, start, end_ts):
            if not moved.in_time(ts, allowed):
                break               # too late: so is every move after it
            moved.apply(ts, what, data)
        if moved.unreadable and "bad_limit" not in problems:
            problems.insert(0, "bad_limit")
        if problems:
            for reason in problems:
                yield quality(rule, start, reason)
            continue
        total = allowed + moved.granted()
        due = clock.due(moved.base, total + moved.paused)
        if cancelled(first_cancel(rule, case, start.timestamp), end_ts,
                     None if moved.stopped else due):
            continue
        if moved.running:
            continue                # the clock is stopped at as_of: not judged
        if end_ts is not None:
            if end_ts > due:
                yield Finding(rule.id, start.case_id, start.unit, None, "late")
        elif as_of > due:
            yield Finding(rule.id, start.case_id, start.unit, None, "overdue_open")
        elif rule.warn_at is not None:
            warn = clock.due(moved.base, moved.paused + math.ceil(round(rule.warn_at * total, 9)))
            if as_of > warn:
                yield Finding(rule.id, start.case_id, start.unit, None, "at_risk")


def pause_pairs(rule) -> list[tuple[tuple, tuple, Duration | None]]:
    """Each pause pair: (pause criteria, resume criteria, cap), from ``pauses`` or from
    ``pause``/``resume``/``pause_max``."""
    if rule.pauses:
        return [(criteria(raw(p.pause)), criteria(raw(p.resume)), p.max) for p in rule.pauses]
    if rule.pause is not None:
        return [(criteria(raw(rule.pause)), criteria(raw(rule.resume)), rule.pause_max)]
    return []


def paired(case: Sequence[Event], start: Event, pause_test, resume_test) -> list[tuple[Event, Event | None]]:
    """The case's pauses from the start on, each with its resume: in time order (a pause
    before a resume at one instant), each resume ends the earliest pause still open, and
    one that finds none open is ignored."""
    marks = sorted([(e.timestamp, 0, e.order, e) for e in case
                    if e.timestamp >= start.timestamp and meets(pause_test, e)]
                   + [(e.timestamp, 1, e.order, e) for e in case
                      if e.timestamp >= start.timestamp and meets(resume_test, e)],
                   key=lambda m: m[:3])
    waiting: list[Event] = []
    resumed: dict[int, Event] = {}
    pauses: list[Event] = []
    for _ts, mark, _order, e in marks:
        if mark == 0:
            waiting.append(e)
            pauses.append(e)
        elif waiting:
            resumed[id(waiting.pop(0))] = e
    return [(p, resumed.get(id(p))) for p in pauses]


def moves(rule, case: Sequence[Event], start: Event, end_ts: dt.datetime | None) -> list:
    """What may move the due time, from the start up to the close, in time order (a restart
    first at one instant): (time, order, what, data)."""
    def before_close(e: Event) -> bool:
        return e.timestamp >= start.timestamp and (end_ts is None or e.timestamp <= end_ts)

    out = []
    for pause_test, resume_test, cap in pause_pairs(rule):
        for p, r in paired(case, start, pause_test, resume_test):
            if before_close(p):
                out.append((p.timestamp, (1, p.order), "pause", (p, r, cap)))
    if rule.restart is not None:
        tests = criteria(raw(rule.restart))
        out += [(e.timestamp, (0, e.order), "restart", e) for e in case
                if before_close(e) and meets(tests, e)]
    if rule.extend is not None:
        extension = dict(rule.extend.root)
        granted_by = extension.pop("workdays_from", None)
        tests = criteria(extension)
        out += [(e.timestamp, (1, e.order), "extend", e.get(granted_by)) for e in case
                if before_close(e) and meets(tests, e)]
    return sorted(out, key=lambda m: (m[0], m[1]))


class Moved:
    """A deadline's count since its start or its last restart: the paused time (the union of
    the pauses), the working days extensions granted, and whether the clock is stopped."""

    def __init__(self, rule, start: Event, clock: Clock, as_of: dt.datetime):
        self.rule, self.start, self.clock, self.as_of = rule, start, clock, as_of
        self.restart(start.timestamp)

    def restart(self, base: dt.datetime) -> None:
        self.base = base
        self.paused = 0.0                   # in the rule's units, overlaps once
        self.reach: float | None = None     # where the pauses so far end (from the start)
        self.extended = 0
        self.stopped = False                # a pause with neither resume nor cap
        self.running = False                # a pause still going at as_of
        self.unreadable = False             # something that counts is not a whole number

    def granted(self) -> int:
        cap = self.rule.extend_max
        return min(self.extended, cap.workdays) if cap is not None else self.extended

    def in_time(self, ts: dt.datetime, allowed: float | None) -> bool:
        """No later than the due time as it now stands (any time while the clock is
        stopped, or when the limit itself is unreadable)."""
        if allowed is None or self.stopped:
            return True
        return ts <= self.clock.due(self.base, allowed + self.paused + self.granted())

    def apply(self, ts: dt.datetime, what: str, data) -> None:
        if what == "restart":
            self.restart(ts)
        elif what == "extend":
            self.extended += self._whole_or_zero(data)
        else:
            self._pause(*data)

    def _whole_or_zero(self, value) -> int:
        """A number read from the log; one that is not whole counts as 0 and is noted."""
        try:
            return _whole(value)
        except Unjudgeable:
            self.unreadable = True
            return 0

    def _pause(self, p: Event, r: Event | None, cap: Duration | None) -> None:
        units = None
        if cap is not None:
            value = cap.workdays if cap.workdays is not None else cap.days if cap.days is not None \
                else cap.hours
            if cap.workdays_from:
                given = p.get(cap.workdays_from)
                value = cap.default if given is None or str(given).strip() == "" \
                    else self._whole_or_zero(given)
            units = value
        if r is None and units is None:
            self.stopped = self.running = True
            return
        start = self.clock.between(self.start.timestamp, p.timestamp)
        ends = [self.clock.between(self.start.timestamp, r.timestamp)] if r is not None else []
        if units is not None:
            ends.append(start + units)
            if r is None and self.as_of <= self.clock.due(p.timestamp, units):
                self.running = True
        reach = min(ends)
        self.paused += max(0.0, reach - max(start, self.reach if self.reach is not None else start))
        self.reach = reach if self.reach is None else max(self.reach, reach)


def timing(rule, start: Event, workdays: Workdays) -> dt.datetime | None:
    """The end of a case's limit (``within``) or fair time (``settle``), None without one;
    Unjudgeable when it is read from the log and unreadable."""
    duration = rule.within if rule.within is not None else rule.settle
    if duration is None:
        return None
    return Clock(unit_of(duration), workdays).due(start.timestamp, limit(duration, start, rule))


def sequence(rule, log: Log, as_of: dt.datetime, workdays: Workdays) -> Iterator[Finding]:
    """Every step at or after the trigger (at its first event matching it, or any of its
    alternatives), in order when ``ordered``, the last by the deadline when there is one.
    With ``settle``, an incomplete case is judged once the fair time has passed, and no
    step is late."""
    steps = [any_of(step) for step in rule.steps]
    for start in openings(rule, log):
        case = log.by_case[start.case_id]
        firsts: list[dt.datetime | None] = []
        for step in steps:
            hit = next((e for e in case if e.timestamp >= start.timestamp and meets_any(step, e)),
                       None)
            firsts.append(hit.timestamp if hit else None)
        complete = all(t is not None for t in firsts)
        try:
            due = timing(rule, start, workdays)
        except Unjudgeable as exc:
            yield quality(rule, start, exc.reason)
            continue
        if cancelled(first_cancel(rule, case, start.timestamp),
                     max(firsts) if complete else None, due):  # type: ignore[type-var]
            continue
        if due is not None and not complete and not as_of > due:
            continue            # not judged before its time is up
        if not complete:
            found = "missing_step"
        elif rule.ordered and any(a > b for a, b in zip(firsts, firsts[1:])):
            found = "out_of_order"
        elif rule.within is not None and max(firsts) > due:  # type: ignore[type-var]
            found = "late"
        else:
            continue
        yield Finding(rule.id, start.case_id, start.unit, None, found)


def min_count(rule, log: Log, as_of: dt.datetime, workdays: Workdays) -> Iterator[Finding]:
    """At least ``at_least`` counted events (different values if ``distinct``) by the
    deadline, or by as_of without one (with ``settle``: by as_of, judged once the fair time
    has passed)."""
    count_test = criteria(raw(rule.count))

    def tally(events: list[Event]) -> int:
        if rule.distinct:
            return len({e.get(rule.distinct) for e in events} - {None})
        return len(events)

    for start in openings(rule, log):
        try:
            due = timing(rule, start, workdays)
        except Unjudgeable as exc:
            yield quality(rule, start, exc.reason)
            continue
        counted = [e for e in log.by_case[start.case_id] if meets(count_test, e)
                   and (rule.within is None or e.timestamp <= due)]
        cancel = first_cancel(rule, log.by_case[start.case_id], start.timestamp)
        if cancel is not None and cancel <= (due or cancel) and \
                tally([e for e in counted if e.timestamp <= cancel]) < rule.at_least:
            continue            # cancelled before it had enough, and in time
        if tally(counted) >= rule.at_least:
            continue
        if due is not None and not as_of > due:
            continue
        yield Finding(rule.id, start.case_id, start.unit, None, "insufficient")


def due_by(rule, log: Log, as_of: dt.datetime, workdays: Workdays) -> Iterator[Finding]:
    """Each subject's required event by the end of ``by`` (with ``settle``, by the end of
    the fair time after the subject event when that is later): judged once it happened or
    once the due time has passed. Subjects are taken from ``subjects_window`` when given."""
    by_end = dt.datetime.combine(rule.by, END_OF_DAY)
    required = criteria(raw(rule.required))
    if rule.subjects_list is not None:
        eff = rule.effective
        since = dt.datetime.combine(eff.from_, dt.time()) if eff and eff.from_ else log.span[0]
        subjects = [(s.case_id, s.unit, since, by_end) for s in rule.subjects_list
                    if in_scope(rule, log, s.case_id)]
    else:
        subjects = []
        for e in subject_events(rule, log):
            try:
                due = by_end if rule.settle is None else \
                    max(by_end, Clock(unit_of(rule.settle), workdays).due(
                        e.timestamp, limit(rule.settle, e, rule)))
            except Unjudgeable as exc:
                yield quality(rule, e, exc.reason)
                continue
            subjects.append((e.case_id, e.unit, e.timestamp, due))
    for case_id, unit, since, due in subjects:
        case = log.by_case.get(case_id, [])
        done = next((e.timestamp for e in case if meets(required, e)), None)
        if cancelled(first_cancel(rule, case, since), done, due):
            continue
        if done is not None and done <= due:
            continue                      # done in time: whatever the span, it passes
        if not (log.covers(since, due) and as_of > due):
            continue                      # the log cannot show the whole window: not judged
        yield Finding(rule.id, case_id, unit, None, "missing_by_date" if done is None else "late")


def subject_events(rule, log: Log) -> list[Event]:
    """Per case, its first subject event, if it falls in ``subjects_window`` (``from`` a
    date or ``any``, ``to`` by default ``by``), else as ``openings`` takes them."""
    window = rule.subjects_window
    if window is None:
        return openings(rule, log)
    low = None if window.from_ == "any" else dt.datetime.combine(window.from_, dt.time())
    high = dt.datetime.combine((window.to or rule.by) + dt.timedelta(days=1), dt.time())
    return first_openings(rule, log, lambda t: (low is None or t >= low) and t < high)


def required_fields(rule, log: Log, as_of, workdays) -> Iterator[Finding]:
    """Each case's opening events carry every field, with an allowed value where listed
    (one finding per case)."""
    allowed = {k: {text(v) for v in values} for k, values in (rule.allowed or {}).items()}
    flagged: set[str] = set()
    tests = opening(rule)
    for e in candidates(log, tests):
        if e.case_id in flagged or not meets(tests, e) or not in_window(rule, e.timestamp) \
                or not log.covers(e.timestamp, e.timestamp) or not in_scope(rule, log, e.case_id):
            continue
        for name in rule.fields:
            value = e.get(name)
            if value is None or str(value).strip() == "" or \
                    (name in allowed and str(value) not in allowed[name]):
                flagged.add(e.case_id)
                yield Finding(rule.id, e.case_id, e.unit, None, "missing_field")
                break


def forbidden(rule, log: Log, as_of, workdays) -> Iterator[Finding]:
    """No event in the window may meet the matcher (one finding per case)."""
    flagged: set[str] = set()
    tests = opening(rule)
    for e in candidates(log, tests):
        if e.case_id not in flagged and meets(tests, e) and in_window(rule, e.timestamp) \
                and log.covers(e.timestamp, e.timestamp) and in_scope(rule, log, e.case_id):
            flagged.add(e.case_id)
            yield Finding(rule.id, e.case_id, e.unit, None, "forbidden")


# ---------------------------------------------------------------------------
# Aggregate kinds: groups and periods
# ---------------------------------------------------------------------------

def period_label(every: str, d: dt.date) -> str:
    """The name of the period holding ``d`` (2021, 2021-Q3, 2021-07, 2021-W09, 2021-07-15)."""
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


def ratio(rule, log: Log, as_of: dt.datetime, workdays) -> Iterator[Finding]:
    """Per group and period, the share of members with the condition (or numerator over
    denominator) at least ``at_least``, judged once the period (or window) is over."""
    excluded = {e.case_id for e in log.events if meets_any(any_of(rule.exclude), e)}
    if rule.condition is not None:
        tests = criteria(raw(rule.condition))
        met: dict[str, dt.datetime] = {}
        for e in candidates(log, tests):
            if meets(tests, e):
                met.setdefault(e.case_id, e.timestamp)
        members = []
        for e in openings(rule, log):
            close = member_close(rule, e, workdays)
            ok = e.case_id in met and (close is None or met[e.case_id] <= close)
            members.append((e, 1.0 if ok else 0.0, 1.0))
    else:
        tests = opening(rule)
        members = []
        for e in candidates(log, tests):
            if meets(tests, e) and in_window(rule, e.timestamp) and e.case_id not in excluded:
                num = number(e.get(rule.value.numerator))
                den = number(e.get(rule.value.denominator))
                if num is None or den is None:
                    yield Finding(rule.id, e.case_id, None, None, DATA_QUALITY + "bad_number")
                    continue
                members.append((e, num, den))
    sums: dict[tuple, list] = {}
    for e, num, den in members:
        if e.case_id in excluded:
            continue
        group = _group(e, rule.group_by) if rule.group_by else rule.lead_unit
        if rule.period:
            period = period_label(rule.period, e.timestamp.date())
            start, end = period_bounds(rule.period, e.timestamp.date())
            if rule.effective and rule.effective.from_:
                start = max(start, rule.effective.from_)
        else:
            period = window_label(rule)
            eff = rule.effective
            start, end = (eff.from_, eff.to) if eff else (None, None)
        acc = sums.setdefault((group, period), [0.0, 0.0, start, end])
        acc[0] += num
        acc[1] += den
    for (group, period), (num, den, start, end) in sums.items():
        if den <= 0:
            continue
        close = _close(rule, end, workdays) if end is not None else None
        if close is not None and not as_of > close:
            continue
        if not log.covers(dt.datetime.combine(start, dt.time()) if start else log.span[0],
                          close if close is not None else log.span[1]):
            continue                      # the log does not cover the whole period
        if num / den < rule.at_least:
            yield Finding(rule.id, None, group, period, "below_threshold")


def member_close(rule, member: Event, workdays: Workdays) -> dt.datetime | None:
    """When a ratio member's period closes: the end of its last day (of the effective
    window without ``period``), plus the grace; None for a window with no end."""
    if rule.period:
        end = period_bounds(rule.period, member.timestamp.date())[1]
    else:
        end = rule.effective.to if rule.effective else None
    return _close(rule, end, workdays) if end is not None else None


def periodic(rule, log: Log, as_of: dt.datetime, workdays: Workdays) -> Iterator[Finding]:
    """Every unit (or group) has ``at_least`` events in every period that has closed (its
    end plus the grace), counted by the period they report on."""
    tests = opening(rule)
    groups_by = rule.group_by or ["unit"]
    matching = []
    for e in candidates(log, tests):
        if not meets(tests, e):
            continue
        if rule.period_of:
            raw_value = e.get(rule.period_of)
            label = None
            if raw_value is not None:
                try:
                    label = period_label(rule.every, dt.date.fromisoformat(str(raw_value).strip()))
                except ValueError:
                    label = str(raw_value).strip()
        else:
            label = period_label(rule.every, e.timestamp.date())
        matching.append((e, rule.lead_unit or _group(e, groups_by), label))
    if rule.units or rule.lead_unit:
        groups = list(dict.fromkeys(rule.units or [rule.lead_unit]))
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
        close = _close(rule, end, workdays)
        label = period_label(rule.every, start)
        # the log must hold the whole period (from the day the rule applies, if later) and
        # its grace: an event that counts may come at any time in it
        since = max(start, eff.from_) if eff and eff.from_ else start
        if as_of > close and log.covers(dt.datetime.combine(since, dt.time()), close):
            for g in groups:
                n = sum(1 for ts in counts.get((g, label), ()) if ts <= close)
                if n < rule.at_least:
                    yield Finding(rule.id, None, g, label, "missing_in_period")
        start = end + dt.timedelta(days=1)


def _close(rule, end: dt.date, workdays: Workdays) -> dt.datetime:
    """When a period is judged: the end of its last day, plus the grace."""
    grace = rule.grace
    if grace is None:
        return dt.datetime.combine(end, END_OF_DAY)
    unit = unit_of(grace)
    if unit == "workdays":
        return workdays.deadline(dt.datetime.combine(end, dt.time()), int(grace.workdays))
    if unit == "days":
        return dt.datetime.combine(end + dt.timedelta(days=int(grace.days)), END_OF_DAY)
    if unit == "months":               # to the end of the month N calendar months later
        month = end.month - 1 + grace.months
        year, month = end.year + month // 12, month % 12 + 1
        return dt.datetime.combine(dt.date(year, month, calendar.monthrange(year, month)[1]),
                                   END_OF_DAY)
    return dt.datetime.combine(end, END_OF_DAY) + dt.timedelta(seconds=1, hours=grace.hours)


#: Every kind's judge. A new kind needs a row here (tests/test_kind_tables.py checks).
JUDGES: dict[str, Judge] = {
    "deadline": Judge("start", deadline),
    "sequence": Judge("trigger", sequence),
    "min_count": Judge("subject", min_count),
    "ratio": Judge("population", ratio),
    "due_by": Judge("subjects", due_by),
    "periodic": Judge("event", periodic),
    "required_fields": Judge("event", required_fields),
    "forbidden": Judge("event", forbidden),
}

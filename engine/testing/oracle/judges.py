"""Each kind's meaning, written from docs/contract.md (the table of kinds and "Meaning, where
the contract is silent") as a loop over the cases, or the groups and periods, of a log.

``JUDGES`` maps every kind to its judge: the rule key whose matcher opens a case (or makes
a member) and the function that finds the kind's violations and warnings. A judge reads
only the rule's plain fields (matchers as raw mappings, durations' numbers, dates); what
they mean, from the effective window to the working days, is worked out here.
"""
from __future__ import annotations

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
    span the log covers (a case opened outside the span is not judged)."""
    tests = opening(rule)
    first: dict[str, Event] = {}
    for e in candidates(log, tests):
        if e.case_id not in first and meets(tests, e):
            first[e.case_id] = e
    return [e for e in first.values()
            if in_window(rule, e.timestamp) and log.covers(e.timestamp, e.timestamp)]


def unit_of(duration: Duration) -> str:
    """What a duration counts: calendar days, hours, or working days (the default)."""
    if duration.days is not None:
        return "days"
    if duration.hours is not None:
        return "hours"
    return "workdays"


class Unjudgeable(Exception):
    """The log cannot support judging this case: a data-quality finding, not a violation."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def limit(duration: Duration, start: Event, rule: RuleBase) -> float:
    """The count a duration allows for a case: fixed, or read from its opening event."""
    if duration.workdays_from:
        return _whole(start.get(duration.workdays_from))
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
    """The end event by the end of the limit (after the last restart, plus extensions and
    paused time): ``late`` when it came after, ``overdue_open`` when it has not come and the
    limit has passed, ``at_risk`` once ``ceil(warn_at × limit)`` has passed (the product
    rounded to 9 decimals first: 0.14 × 50 is 7, as on paper)."""
    clock = Clock(unit_of(rule.within), workdays)
    end_test, restart_test = criteria(raw(rule.end)), criteria(raw(rule.restart))
    pause_test, resume_test = criteria(raw(rule.pause)), criteria(raw(rule.resume))
    extension = dict(rule.extend.root) if rule.extend is not None else {}
    granted_by = extension.pop("workdays_from", None)
    extend_test = criteria(extension)
    for start in openings(rule, log):
        case = log.by_case[start.case_id]
        problems = []
        try:
            allowed = limit(rule.within, start, rule)
        except Unjudgeable as exc:
            problems.append(exc.reason)
        end = next((e for e in case if e.timestamp >= start.timestamp and meets(end_test, e)),
                   None)
        end_ts = end.timestamp if end else None
        if end is None and any(e.timestamp < start.timestamp and meets(end_test, e) for e in case):
            problems.append("end_before_start")     # it ended before it started, never after

        def before_close(e: Event, since: dt.datetime) -> bool:
            return e.timestamp >= since and (end_ts is None or e.timestamp <= end_ts)

        base = start.timestamp
        if rule.restart is not None:
            restarts = [e for e in case
                        if before_close(e, start.timestamp) and meets(restart_test, e)]
            if restarts:
                base = max(e.timestamp for e in restarts)
        extra = 0
        if granted_by is not None:
            for e in case:
                if before_close(e, base) and meets(extend_test, e):
                    try:
                        extra += _whole(e.get(granted_by))
                    except Unjudgeable as exc:
                        if exc.reason not in problems:
                            problems.append(exc.reason)
        if problems:
            for reason in problems:
                yield quality(rule, start, reason)
            continue
        paused, still_paused = 0.0, False
        if rule.pause is not None:
            for p in case:
                if not (before_close(p, base) and meets(pause_test, p)):
                    continue
                resume = next((r for r in case
                               if r.timestamp >= p.timestamp and meets(resume_test, r)), None)
                if resume is None:
                    still_paused = True
                else:
                    paused += clock.between(p.timestamp, resume.timestamp)
        total = allowed + extra
        due = clock.due(base, total + paused)
        if still_paused:
            continue
        if end_ts is not None:
            if end_ts > due:
                yield Finding(rule.id, start.case_id, start.unit, None, "late")
        elif as_of > due:
            yield Finding(rule.id, start.case_id, start.unit, None, "overdue_open")
        elif rule.warn_at is not None:
            warn = clock.due(base, paused + math.ceil(round(rule.warn_at * total, 9)))
            if as_of > warn:
                yield Finding(rule.id, start.case_id, start.unit, None, "at_risk")


def sequence(rule, log: Log, as_of: dt.datetime, workdays: Workdays) -> Iterator[Finding]:
    """Every step at or after the trigger (at its first matching event), in order when
    ``ordered``, the last by the deadline when there is one."""
    steps = [criteria(raw(step)) for step in rule.steps]
    for start in openings(rule, log):
        case = log.by_case[start.case_id]
        firsts: list[dt.datetime | None] = []
        for step in steps:
            hit = next((e for e in case if e.timestamp >= start.timestamp and meets(step, e)),
                       None)
            firsts.append(hit.timestamp if hit else None)
        complete = all(t is not None for t in firsts)
        due = None
        if rule.within is not None:
            try:
                allowed = limit(rule.within, start, rule)
            except Unjudgeable as exc:
                yield quality(rule, start, exc.reason)
                continue
            due = Clock(unit_of(rule.within), workdays).due(start.timestamp, allowed)
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


def min_count(rule, log: Log, as_of: dt.datetime, workdays: Workdays) -> Iterator[Finding]:
    """At least ``at_least`` counted events (different values if ``distinct``) by the
    deadline, or by as_of without one."""
    count_test = criteria(raw(rule.count))
    for start in openings(rule, log):
        due = None
        if rule.within is not None:
            try:
                allowed = limit(rule.within, start, rule)
            except Unjudgeable as exc:
                yield quality(rule, start, exc.reason)
                continue
            due = Clock(unit_of(rule.within), workdays).due(start.timestamp, allowed)
        counted = [e for e in log.by_case[start.case_id]
                   if meets(count_test, e) and (due is None or e.timestamp <= due)]
        if rule.distinct:
            n = len({e.get(rule.distinct) for e in counted} - {None})
        else:
            n = len(counted)
        if n >= rule.at_least:
            continue
        if due is not None and not as_of > due:
            continue
        yield Finding(rule.id, start.case_id, start.unit, None, "insufficient")


def due_by(rule, log: Log, as_of: dt.datetime, workdays: Workdays) -> Iterator[Finding]:
    """Each subject's required event by the end of ``by``: judged once it happened or once
    the date has passed."""
    due = dt.datetime.combine(rule.by, END_OF_DAY)
    required = criteria(raw(rule.required))
    if rule.subjects_list is not None:
        eff = rule.effective
        since = dt.datetime.combine(eff.from_, dt.time()) if eff and eff.from_ else log.span[0]
        subjects = [(s.case_id, s.unit, since) for s in rule.subjects_list]
    else:
        subjects = [(e.case_id, e.unit, e.timestamp) for e in openings(rule, log)]
    for case_id, unit, since in subjects:
        done = next((e.timestamp for e in log.by_case.get(case_id, []) if meets(required, e)),
                    None)
        if done is not None and done <= due:
            continue                      # done in time: whatever the span, it passes
        if not (log.covers(since, due) and as_of > due):
            continue                      # the log cannot show the whole window: not judged
        yield Finding(rule.id, case_id, unit, None, "missing_by_date" if done is None else "late")


def required_fields(rule, log: Log, as_of, workdays) -> Iterator[Finding]:
    """Each case's opening events carry every field, with an allowed value where listed
    (one finding per case)."""
    allowed = {k: {text(v) for v in values} for k, values in (rule.allowed or {}).items()}
    flagged: set[str] = set()
    tests = opening(rule)
    for e in candidates(log, tests):
        if e.case_id in flagged or not meets(tests, e) or not in_window(rule, e.timestamp) \
                or not log.covers(e.timestamp, e.timestamp):
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
                and log.covers(e.timestamp, e.timestamp):
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
    excluded: set[str] = set()
    if rule.exclude is not None:
        tests = criteria(raw(rule.exclude))
        excluded = {e.case_id for e in candidates(log, tests) if meets(tests, e)}
    if rule.condition is not None:
        tests = criteria(raw(rule.condition))
        satisfied = {e.case_id for e in candidates(log, tests) if meets(tests, e)}
        members = [(e, 1.0 if e.case_id in satisfied else 0.0, 1.0) for e in openings(rule, log)]
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
        group = _group(e, rule.group_by) if rule.group_by else None
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
        if end is not None and not as_of > dt.datetime.combine(end, END_OF_DAY):
            continue
        if not log.covers(dt.datetime.combine(start, dt.time()) if start else log.span[0],
                          dt.datetime.combine(end, END_OF_DAY) if end else log.span[1]):
            continue                      # the log does not cover the whole period
        if num / den < rule.at_least:
            yield Finding(rule.id, None, group, period, "below_threshold")


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
        matching.append((e, _group(e, groups_by), label))
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

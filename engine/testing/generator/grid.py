"""The explicit grid: events that periodic rules, ratio rules with a ``value`` and listed
``due_by`` subjects ask for, unit by unit and period by period.

These rules judge units and periods, not cases, so their events are laid out on a grid
(unit × period) rather than drawn: each cell gets its events, or fewer at the rule's miss
rate (a ratio's weak units fall below its threshold). A period that closed before the year
is left missing: a log of the year cannot hold it.
"""
from __future__ import annotations

import datetime as dt
import math
import random

from ...model.rule import DueByRule, Matcher, PeriodicRule, RatioRule, RuleBase
from .city import COUNTIES, OFFICE_SPAN, OFFICE_START, UNITS, case_prefix
from .kinds import STRATEGIES
from .matching import satisfy
from .rates import MISS_PERIOD, RATES, WEAK_UNITS
from .values import rule_event_types
from .year import Year

#: (time, case id, unit, attributes, intended finding) of one grid event; a cell left
#: missing on purpose has no time.
GridEvent = tuple[dt.datetime | None, str | None, str | None, dict[str, str],
                  tuple[str, str] | None]


class Grid:
    """The grid of a year, made once; case numbers and the units of periodic rules are
    drawn when first asked for."""

    def __init__(self, year: Year):
        self.year = year
        self._events: list[GridEvent] | None = None
        self._serial = 0
        self._periodic_units: dict[str, list[str]] = {}

    def events(self) -> list[GridEvent]:
        """Every grid event of the year, the cells left missing on purpose last."""
        if self._events is None:
            self._events = self._make()
        return self._events

    def _make(self) -> list[GridEvent]:
        out: list[GridEvent] = []
        for rule in self.year.grid_rules:
            out += STRATEGIES[rule.kind].lay(self, rule)
        return out

    def periodic_units(self, rule: PeriodicRule) -> list[str]:
        """The units a periodic rule's grid reports for (its ``units``, or its lead unit, else
        a sample)."""
        if rule.units or rule.lead_unit:
            return list(rule.units or [rule.lead_unit])
        if rule.id not in self._periodic_units:
            fixed = self.periodic_base(rule).get("unit") if self.periodic_base(rule) else None
            many = {"day": 2, "week": 3}.get(rule.every, 8)
            self._periodic_units[rule.id] = [fixed] if fixed else sorted(
                self.year.rng.sample(UNITS, many), key=UNITS.index)
        return self._periodic_units[rule.id]

    def periodic_base(self, rule: PeriodicRule) -> dict[str, str] | None:
        """The attributes every event of a periodic rule's grid starts from."""
        year = self.year
        for t in year.opening_types(rule):
            base = satisfy(rule.opening(), {"event_type": t}, year.lexicon, random.Random(t),
                           year.when)
            if base is not None:
                return base
        return None

    def periodic(self, rule: PeriodicRule) -> list[GridEvent]:
        """Every unit (or group) in every period judged while the log runs: at_least events,
        or fewer at the rule's miss rate (and at least once). Periods that closed before the
        year are left out (a log of the year cannot hold them)."""
        year = self.year
        rng = year.rng
        base = self.periodic_base(rule)
        if base is None:
            return []
        combos: list[dict[str, str]] = []
        for unit in self.periodic_units(rule):
            combo = {"unit": unit}
            for g in (g for g in rule.groups if g != "unit"):
                values = [v for v in year.lexicon.values.get(g, []) if v] or [f"{g}甲", f"{g}乙"]
                combo[g] = base.get(g) or rng.choice(values)
            combos.append(combo)
        eff = rule.effective
        earliest = max(eff.from_, dt.date(min(year.calendar.years), 1, 1)) \
            if eff and eff.from_ else year.year_lo
        last = min(eff.to, year.horizon.date()) if eff and eff.to else year.horizon.date()
        opens = dt.datetime.combine(year.year_lo, dt.time())
        miss = MISS_PERIOD[rule.every]
        prefix = self._prefix(rule)
        out: list[GridEvent] = []
        periods: list[tuple[dt.date, dt.date]] = []
        start = _period(rule.every, earliest)[0]
        while start <= last:
            periods.append(_period(rule.every, start))
            start = periods[-1][1] + dt.timedelta(days=1)
        # the rule is broken somewhere on purpose: the last period judged in the log misses
        # for its last unit, unless some unit missed one by chance already
        judged_periods = [p for p in periods if opens <= self._close(rule, p[1]) < year.horizon]
        forced = (judged_periods[-1], len(combos) - 1) if judged_periods else None
        missed = False
        for p_lo, p_hi in periods:
            close = self._close(rule, p_hi)
            judged = close < year.horizon
            if close < opens:                    # closed before the log begins: missing
                out += [(None, None, u, {}, (rule.id, "missing_in_period"))
                        for u in self.periodic_units(rule)]
                continue
            label = _label(rule.every, p_lo)
            inside = (max(p_lo, earliest, year.year_lo), min(p_hi, last))
            grace = (max(p_hi + dt.timedelta(days=1), year.year_lo),
                     min(close.date(), year.horizon.date()))
            for c, combo in enumerate(combos):
                n, intended = rule.at_least, None
                if rng.random() < miss or (not missed and forced == ((p_lo, p_hi), c)):
                    n, intended = rng.randrange(rule.at_least), (rule.id, "missing_in_period")
                    if judged:
                        missed = True
                        out.append((None, None, combo["unit"], {}, intended))
                for _ in range(n):
                    window = inside
                    if rule.period_of and rule.grace is not None and \
                            (rng.random() < 0.5 or inside[0] > inside[1]):
                        window = grace
                    if window[0] > window[1]:
                        continue
                    when = min(self._moment(self._workday_in(*window)), close, year.horizon)
                    attrs = {**base, **combo}
                    if rule.period_of:
                        attrs[rule.period_of] = label if rng.random() < 0.7 else p_lo.isoformat()
                    attrs = year.complete(attrs, keep=list(rule.opening()) + [Matcher(dict(combo))],
                                          skip=None)
                    out.append((when, self._case(prefix, "P"), attrs.get("unit"), attrs, None))
        return [o for o in out if o[0] is not None] + [o for o in out if o[0] is None]

    def _close(self, rule: PeriodicRule, end: dt.date) -> dt.datetime:
        """When a period ending on ``end`` is judged: the end of that day, plus the grace."""
        grace = rule.grace
        end_of_day = dt.datetime.combine(end, dt.time(23, 59, 59))
        if grace is None:
            return end_of_day
        if grace.unit == "workdays":
            return self.year.calendar.deadline(dt.datetime.combine(end, dt.time()),
                                               int(grace.workdays))
        if grace.unit == "days":
            return dt.datetime.combine(end + dt.timedelta(days=int(grace.days)),
                                       dt.time(23, 59, 59))
        if grace.unit == "months":          # to the end of the month N months later
            month = end.month - 1 + grace.months
            year, month = end.year + month // 12, month % 12 + 1
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
            return dt.datetime.combine(nxt - dt.timedelta(days=1), dt.time(23, 59, 59))
        return end_of_day + dt.timedelta(seconds=1, hours=grace.hours)

    def ratio_values(self, rule: RatioRule) -> list[GridEvent]:
        """One event per unit and period with the two numbers; weak units below the rule."""
        year = self.year
        rng = year.rng
        types = year.opening_types(rule)
        if not types:
            return []
        base = satisfy(rule.opening(), {"event_type": types[0]}, year.lexicon, rng, year.when)
        eff = rule.effective
        lo = max(year.year_lo, eff.from_) if eff and eff.from_ else year.year_lo
        hi = min(year.year_hi, eff.to) if eff and eff.to else year.year_hi
        groups = rule.group_by or []
        units = [base["unit"]] if base.get("unit") else \
            list(COUNTIES if "unit" in groups else UNITS[:1])
        weak = set(rng.sample(units, max(1, round(len(units) * WEAK_UNITS))))
        prefix = self._prefix(rule)
        out: list[GridEvent] = []
        periods: list[tuple[dt.date, dt.date]] = []
        if rule.period:
            start = _period(rule.period, lo)[0]
            while start <= hi:
                periods.append(_period(rule.period, start))
                start = periods[-1][1] + dt.timedelta(days=1)
        else:
            periods.append((lo, hi))
        big = any(w in rule.value.denominator for w in ("人口", "户", "人"))
        for p_lo, p_hi in periods:
            p_lo, p_hi = max(p_lo, lo), min(p_hi, hi)
            for unit in units:
                den = rng.randint(200_000, 1_400_000) if big else rng.randint(50, 2000)
                if unit in weak:
                    share = rule.at_least * rng.uniform(0.3, 0.9)
                    num = math.floor(den * share)
                    intended = (rule.id, "below_threshold")
                else:
                    share = min(1.0, rule.at_least + rng.uniform(0.02, 0.3))
                    num = min(den, math.ceil(den * share))
                    intended = None
                back = rng.randint(0, min(10, (p_hi - p_lo).days))
                day = max(p_lo, p_hi - dt.timedelta(days=back))
                attrs = {**base, "unit": unit, rule.value.numerator: str(num),
                         rule.value.denominator: str(den)}
                attrs = year.complete(attrs, keep=list(rule.opening()), skip=None)
                out.append((self._moment(day), self._case(prefix, "R"), unit, attrs, intended))
        return out

    def listed(self, rule: DueByRule) -> list[GridEvent]:
        """Each listed subject's required event: by the date, after it, or missing."""
        year = self.year
        rng = year.rng
        base = satisfy([rule.required], {}, year.lexicon, rng, year.when) or {}
        if "event_type" not in base:
            return []
        missing, late = RATES[("due_by", "missing_by_date")], RATES[("due_by", "late")]
        out: list[GridEvent] = []
        for subject in rule.subjects_list:
            r = rng.random()
            attrs = year.complete({**base, **({"unit": subject.unit} if subject.unit else {})},
                                  keep=[rule.required], skip=None)
            if r < missing * 3:
                out.append((None, subject.case_id, subject.unit, {}, (rule.id, "missing_by_date")))
                continue
            if r < (missing + late) * 3:
                day = rule.by + dt.timedelta(days=rng.randint(1, 15))
                intended = (rule.id, "late")
            else:
                day = rule.by - dt.timedelta(days=rng.randint(0, 60))
                intended = None
            when = self._moment(day)
            if when <= year.horizon:
                out.append((when, subject.case_id, subject.unit, attrs, intended))
        return out

    def _moment(self, day: dt.date, office: bool = True) -> dt.datetime:
        """A time on ``day``: in office hours, or at any hour."""
        rng = self.year.rng
        seconds = OFFICE_START + rng.randrange(OFFICE_SPAN) if office else rng.randrange(86400)
        return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)

    def _workday_in(self, lo: dt.date, hi: dt.date) -> dt.date:
        """A working day from ``lo`` to ``hi`` (any day there if none is one)."""
        calendar = self.year.calendar
        days = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
        work = [d for d in days if calendar.covers(d.year) and calendar.day(d).is_workday]
        return self.year.rng.choice(work or days)

    def _case(self, prefix: str, letter: str) -> str:
        """The next grid case id: ``P`` for periodic events, ``R`` for ratio values."""
        self._serial += 1
        return f"{prefix}{letter}{self._serial:06d}"

    def _prefix(self, rule: RuleBase) -> str:
        """Grid case ids start with the system of the first event type the rule names."""
        types = rule_event_types(rule)
        system = self.year.lexicon.system(types[0]) if types else ""
        return case_prefix(system, self.year.year)


#: Months in a period of each length that counts in months.
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _period(every: str, d: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the period of length ``every`` that holds ``d``."""
    if every == "day":
        return d, d
    if every == "week":                          # ISO weeks, Monday to Sunday
        monday = d - dt.timedelta(days=d.weekday())
        return monday, monday + dt.timedelta(days=6)
    months = _MONTHS[every]
    first_month = (d.month - 1) // months * months + 1
    month_after = first_month + months - 1       # counted from 0 in the year
    following = dt.date(d.year + month_after // 12, month_after % 12 + 1, 1)
    return dt.date(d.year, first_month, 1), following - dt.timedelta(days=1)


def _label(every: str, first: dt.date) -> str:
    """How a report names the period that starts on ``first`` (2021, 2021-Q3, 2021-07,
    2021-W27, 2021-07-05)."""
    if every == "week":
        iso_year, week, _ = first.isocalendar()
        return f"{iso_year}-W{week:02d}"
    return {"year": f"{first.year}", "quarter": f"{first.year}-Q{(first.month + 2) // 3}",
            "month": f"{first:%Y-%m}", "day": first.isoformat()}[every]

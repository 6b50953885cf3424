"""Scenarios: the kinds of case a year's log is drawn from, each with its weight.

Case rules (and ratio rules with a ``condition``) are grouped into families by the event
type that opens their cases; each rule of a family gives a *profile*, an opening that meets
its matchers and is judged by every rule of the family it happens to meet. Each profile has
one compliant scenario and one per (rule, violation type) the rule's kind can be broken in,
plus the procedure cases of deadline rules (pause, restart, extension). Event types no rule
of the year uses come from compliant cases of other years' rules, or alone.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Sequence

from ...model.rule import KIND_TYPES, DueByRule, Duration, PeriodicRule, RuleBase
from .cases import Cases
from .city import PUBLIC_SYSTEMS, VOLUME, case_prefix
from .grid import Grid
from .matching import meets, satisfy
from .kinds import STRATEGIES
from .rates import MAX_BROKEN, RATES
from .specs import START, Scenario, Spec
from .year import Year


class Scenarios:
    """Every scenario of the year, made once."""

    def __init__(self, year: Year, cases: Cases, grid: Grid):
        self.year = year
        self.cases = cases
        self.grid = grid
        self._made: list[Scenario] | None = None

    def all(self) -> list[Scenario]:
        """Every scenario of the year; then, for event types no rule of the year uses, the
        compliant cases of rules of other years (realistic pairs such as 受理→答复, judged
        by no rule of this year) and finally single events, so every type appears."""
        if self._made is None:
            year = self.year
            case_kinds = year.case_rules + year.condition_ratios
            out = self._scenarios_of(self.families(case_kinds), background=False)
            used = {spec.event_type for s in out for spec in s.specs}
            used.update(attrs["event_type"] for _, _, _, attrs, _ in self.grid.events() if attrs)
            others = [r for r in year.others if r.kind in ("deadline", "sequence", "min_count")
                      and not set(year.opening_types(r)) & used]
            background = self._scenarios_of(self.families(others), background=True)
            out += background
            used.update(spec.event_type for s in background for spec in s.specs)
            for etype in year.lexicon.order:
                if etype in used:
                    continue
                attrs = year.complete({"event_type": etype}, keep=[], skip=None)
                system = year.lexicon.system(etype)
                out.append(Scenario(f"{etype} (background)", etype, None, 0.2,
                                    [Spec(attrs, (START, 0, 0, 0))], year.year_lo, year.year_hi,
                                    False, system in PUBLIC_SYSTEMS, None,
                                    case_prefix(system, year.year)))
            self._made = out
        return self._made

    def families(self, rules: Sequence[RuleBase]) -> dict[str, list[RuleBase]]:
        """Rules grouped by the event type that opens their cases."""
        out: dict[str, list[RuleBase]] = {}
        for rule in rules:
            for t in self.year.opening_types(rule):
                out.setdefault(t, []).append(rule)
        return out

    def window(self, rules: Iterable[RuleBase]) -> tuple[dt.date, dt.date]:
        """Days a case of these rules may open: the year and the rules' windows (a rule with
        no end, a national one, keeps opening cases until the horizon)."""
        lo, hi = self.year.year_lo, self.year.horizon.date()
        for r in rules:
            if not (r.effective and r.effective.to):
                continue
            hi = min(hi, max(self.year.year_hi, r.effective.to))
        for r in rules:
            frm, to = _subject_days(r)
            if frm and frm > lo:
                lo = frm
            if to and to < hi:
                hi = to
            for m in r.opening():
                for c in m.conditions:
                    if c.field == "timestamp" and c.op in ("gt", "gte", "lt", "lte", "eq"):
                        for v in c.values:
                            d = v.date() if isinstance(v, dt.datetime) else v
                            if not isinstance(d, dt.date):
                                continue
                            if c.op in ("gt", "gte", "eq"):
                                lo = max(lo, d + dt.timedelta(days=1 if c.op == "gt" else 0))
                            if c.op in ("lt", "lte", "eq"):
                                hi = min(hi, d - dt.timedelta(days=1 if c.op == "lt" else 0))
            if isinstance(r, DueByRule):
                hi = min(hi, r.by)
        return lo, hi

    def _scenarios_of(self, families: dict[str, list[RuleBase]],
                      background: bool) -> list[Scenario]:
        """The scenarios of each family's profiles, weighted by the volume of its system
        (background families, of other years' rules, at a third of it)."""
        year = self.year
        out: list[Scenario] = []
        for etype, members in sorted(families.items(), key=lambda kv: self._type_order(kv[0])):
            profiles = self.profiles(etype, members)
            system = year.lexicon.system(etype)
            volume = VOLUME.get(system, 1.0) * (0.3 if background else 1.0)
            for attrs, driver in profiles:
                applicable = [r for r in members if meets(r.opening(), attrs, year.when)]
                if not applicable:
                    continue
                if background:
                    lo, hi = year.year_lo, year.year_hi
                    made = [self.cases.build(etype, attrs, applicable, None,
                                             f"{etype} {driver.id} (background)", None, 1.0)]
                else:
                    lo, hi = self.window([driver] + [r for r in applicable
                                                     if isinstance(r, DueByRule)])
                    made = self.profile_scenarios(etype, attrs, applicable, driver)
                if lo > hi:
                    continue
                reporting = [u for r in year.covered if isinstance(r, PeriodicRule) and not r.units
                             and meets(r.opening(), attrs, year.when)
                             for u in self.grid.periodic_units(r)]
                share = volume / len(profiles)
                for s in made:
                    if s is None:
                        continue
                    s.weight *= share
                    s.date_lo, s.date_hi = lo, hi
                    s.bias = any(isinstance(getattr(r, "within", None), Duration)
                                 and r.within.unit == "workdays" for r in applicable)
                    s.anytime = system in PUBLIC_SYSTEMS
                    s.unit = attrs.get("unit") or \
                        (year.rng.choice(reporting) if reporting else None)
                    s.prefix = case_prefix(system, year.year)
                    out.append(s)
        return out

    def _type_order(self, etype: str) -> tuple[int, str]:
        """Families in the vocabulary's order, then the types only rules name."""
        order = self.year.lexicon.order
        return (order.index(etype) if etype in order else len(order), etype)

    def profiles(self, etype: str,
                 members: list[RuleBase]) -> list[tuple[dict[str, str], RuleBase]]:
        """Opening events of this type: one per rule (meeting its opening matchers)."""
        year = self.year
        out: list[tuple[dict[str, str], RuleBase]] = []
        seen: set[tuple] = set()
        for rule in members:
            attrs = satisfy(rule.opening(), {"event_type": etype}, year.lexicon, year.rng,
                            year.when)
            if attrs is None:
                continue
            key = tuple(sorted(attrs.items()))
            if key in seen:
                continue
            seen.add(key)
            out.append((attrs, rule))
        return out

    def profile_scenarios(self, etype: str, attrs: dict[str, str], applicable: list[RuleBase],
                          driver: RuleBase) -> list[Scenario]:
        """A profile's compliant scenario and one per way to break each applicable rule;
        the broken ones share at most ``MAX_BROKEN`` of the profile's weight."""
        variants: list[tuple[str, tuple[str, str] | None, float, Any]] = []
        for rule in applicable:
            strategy = STRATEGIES[rule.kind]
            for vtype in KIND_TYPES[rule.kind]:
                rate = RATES.get((rule.kind, vtype))
                if rate is None or not strategy.can_break(rule, vtype):
                    continue
                variants.append((f"{rule.id} {vtype}", (rule.id, vtype), rate, (rule, vtype)))
            for name, intended, rate in strategy.procedures(rule):
                variants.append((f"{rule.id} {name}", intended, rate, (rule, name)))
        broken = sum(v[2] for v in variants)
        scale = min(1.0, MAX_BROKEN / broken) if broken else 1.0
        out = [self.cases.build(etype, attrs, applicable, None, f"{etype} {driver.id} comply",
                                None, 1.0 - broken * scale)]
        for name, intended, rate, how in variants:
            scenario = self.cases.build(etype, attrs, applicable, how, f"{etype} {name}",
                                        intended, rate * scale)
            if scenario is not None:
                out.append(scenario)
        return [s for s in out if s is not None]


def _subject_days(rule: RuleBase) -> tuple[dt.date | None, dt.date | None]:
    """The days a case of ``rule`` may open on: its effective window, or for a ``due_by``
    with ``subjects_window`` that window (subjects listed before the plan year are due too)."""
    window = getattr(rule, "subjects_window", None)
    if window is not None:
        frm = None if window.from_ == "any" else window.from_
        return frm, window.to or rule.by
    if rule.effective:
        return rule.effective.from_, rule.effective.to
    return None, None

"""One case: the opening, the events the applicable rules ask for, and the violation.

A scenario starts from an opening event (a profile) and the rules it meets. Each rule asks
for events after it (a reply, the steps, the forms); one event serves several rules where it
can. A violation is made on those events themselves (moved, dropped, swapped, left blank), so
a rule's twin is broken with it; a procedure case adds a pause, a restart or an extension.
"""
from __future__ import annotations

import random
from typing import Any, Sequence

from ...model.rule import (DeadlineRule, DueByRule, Duration, ForbiddenRule, Matcher,
                           MinCountRule, RatioRule, RequiredFieldsRule, RuleBase, SequenceRule)
from .matching import avoid, meets, satisfy
from .rates import PROCEDURES
from .specs import ABS_DAYS, START, Need, Scenario, Spec, day_number
from .timing import merge, rank, relative, schedule
from .year import Year


class Cases:
    """Builds the scenario of one case from an opening and the rules it meets."""

    def __init__(self, year: Year):
        self.year = year

    def needs(self, rule: RuleBase, opening: dict[str, str]) -> list[Need]:
        """The events ``rule`` asks for after this opening, each within its limit."""
        limit = self.year.limit
        if isinstance(rule, DeadlineRule):
            return [Need(rule, [rule.end], bound=(rule.within.unit, limit(rule.within, opening)))]
        if isinstance(rule, SequenceRule):
            bound = (rule.within.unit, limit(rule.within, opening)) if rule.within else None
            # steps happen in the order listed even when the rule does not require it
            return [Need(rule, [step], bound=bound, chain=(rule.id, i))
                    for i, step in enumerate(rule.steps)]
        if isinstance(rule, MinCountRule):
            bound = (rule.within.unit, limit(rule.within, opening)) if rule.within else None
            values = self.distinct_values(rule, rule.at_least)
            return [Need(rule, [rule.count], bound=bound, separate=True,
                         extra={rule.distinct: values[i]} if rule.distinct else {})
                    for i in range(rule.at_least)]
        if isinstance(rule, DueByRule):
            return [Need(rule, [rule.required], anchor=rule.by)]
        if isinstance(rule, RatioRule) and rule.condition is not None:
            return [Need(rule, [rule.condition], drop=rule.id)]
        return []

    def distinct_values(self, rule: MinCountRule, n: int) -> list[str]:
        """``n`` different values of the rule's ``distinct`` attribute (the forms counted)."""
        if not rule.distinct:
            return [""] * n
        pool = [v for v in self.year.lexicon.values.get(rule.distinct, []) if v]
        pool = pool + [f"{rule.distinct}{i}" for i in range(1, n + 2)]
        return self.year.rng.sample(pool[:max(n, len(pool))], n) if len(pool) >= n else pool[:n]

    def build(self, etype: str, profile: dict[str, str], applicable: list[RuleBase], how: Any,
              name: str, intended: tuple[str, str] | None, weight: float) -> Scenario | None:
        """One scenario: the opening, the events the applicable rules ask for (shared where
        one event serves several), the violation (or procedure) made on those events, their
        times, and the events of rules that a follow-up event opens in turn."""
        year = self.year
        rng, lexicon, when = year.rng, year.lexicon, year.when
        opening = dict(profile)
        target, vtype = how if how else (None, None)
        year.give_limits(applicable, opening)
        kept_forbidden: set[str] = set()
        if isinstance(target, ForbiddenRule):
            kept_forbidden.add(target.id)
            opening = satisfy(target.opening(), opening, lexicon, rng, when) or opening
        else:                                    # a compliant opening is a near miss
            keep = [m for r in applicable if not isinstance(r, ForbiddenRule) for m in r.opening()]
            for rule in applicable:
                if isinstance(rule, ForbiddenRule):
                    avoid(rule.opening(), opening, lexicon, rng,
                          keep + [Matcher({"event_type": etype})], when)
        needs = [n for rule in applicable for n in self.needs(rule, opening)]
        if isinstance(target, RatioRule) and vtype == "excluded":
            merged = satisfy([target.exclude], opening, lexicon, rng, when)
            if merged is not None and meets(target.opening(), merged, when):
                opening = merged
            else:
                needs.append(Need(target, [target.exclude], separate=True))
        end_time = None
        if isinstance(target, DeadlineRule) and vtype in PROCEDURES:
            more, end_time = self.procedure(target, vtype, opening)
            needs += more
        specs = merge(year, needs)
        if specs is None:
            return None
        first = Spec(opening, (START, 0, 0, 0))
        first.matchers = [m for r in applicable
                          if not isinstance(r, ForbiddenRule) or r.id in kept_forbidden
                          for m in r.opening()]
        dropped: list[list[Matcher]] = []
        if target is not None:
            self.violate(target, vtype, first, specs, dropped, end_time)
        schedule(year, specs)
        if isinstance(target, SequenceRule) and vtype == "out_of_order":
            self.swap(target, specs)
        first.attrs = year.complete(first.attrs, keep=first.matchers, skip=kept_forbidden)
        for spec in specs:
            spec.attrs = year.complete(spec.attrs, keep=spec.matchers, skip=set(), step=True)
        self.join_opened(first, specs, applicable, dropped)
        if isinstance(target, RequiredFieldsRule):
            self.blank(target, [first] + specs)
        all_specs = [first] + specs
        rank(all_specs)
        return Scenario(name, etype, intended, weight, all_specs, year.year_lo, year.year_hi,
                        False, False, None, "")

    def _hits(self, matchers: Sequence[Matcher], specs: list[Spec]) -> list[Spec]:
        """The specs whose events meet every matcher."""
        return [s for s in specs if meets(matchers, s.attrs, self.year.when)]

    def violate(self, rule: RuleBase, vtype: str, first: Spec, specs: list[Spec],
                dropped: list[list[Matcher]], end_time: tuple[str, float] | None) -> None:
        """Break ``rule`` as ``vtype`` says, on every event that would otherwise keep it (an
        event a twin rule asked for is removed or moved too, so the rule is really broken)."""
        year = self.year
        rng = year.rng

        def drop(matchers: list[Matcher]) -> None:
            for s in self._hits(matchers, specs):
                specs.remove(s)
            dropped.append(matchers)
            avoid(matchers, first.attrs, year.lexicon, rng, first.matchers, year.when)

        def move(matchers: list[Matcher], when: tuple[int, int, int, int]) -> None:
            for s in self._hits(matchers, specs):
                s.fixed, s.when = True, when

        def past(duration: Duration, extra: int) -> tuple[int, int, int, int]:
            unit, limit = duration.unit, year.limit(duration, first.attrs)
            return relative((unit, limit + extra * (1 if unit != "hours" else 0.5)))

        if isinstance(rule, DeadlineRule):
            if vtype == "late":
                move([rule.end], past(rule.within, rng.choice((1, 1, 2, 3, 5))))
            elif vtype in ("overdue_open", "still_paused"):
                drop([rule.end])
            elif end_time is not None:
                move([rule.end], relative(end_time))
        elif isinstance(rule, SequenceRule):
            if vtype == "missing_step":
                drop([rng.choice(rule.steps)])
            elif vtype == "late":
                move([rule.steps[-1]], past(rule.within, rng.choice((1, 2, 3))))
        elif isinstance(rule, MinCountRule):
            avoid([rule.count], first.attrs, year.lexicon, rng, first.matchers, year.when)
            counted = self._hits([rule.count], specs)
            way = rng.randrange(3)
            if way == 1 and rule.distinct and rule.at_least >= 2:
                for s in counted:                      # the same form every time
                    s.attrs[rule.distinct] = counted[0].attrs.get(rule.distinct, "")
            elif way == 2 and rule.within is not None:
                for s in counted[rule.at_least - 1:]:  # the last one after the deadline
                    s.fixed, s.when = True, past(rule.within, 1 + rng.randrange(3))
            else:
                while counted and self._distinct(rule, counted) >= rule.at_least:
                    specs.remove(counted.pop())
        elif isinstance(rule, DueByRule):
            if vtype == "missing_by_date":
                drop([rule.required])
            else:
                move([rule.required], (ABS_DAYS, rng.randint(1, 15), day_number(rule.by), 0))

    @staticmethod
    def _distinct(rule: MinCountRule, counted: list[Spec]) -> int:
        """How many of the counted events the rule counts (different forms, if distinct)."""
        if rule.distinct:
            return len({s.attrs.get(rule.distinct) for s in counted} - {None})
        return len(counted)

    def swap(self, rule: SequenceRule, specs: list[Spec]) -> None:
        """Two consecutive steps of an ordered rule, the later one first."""
        j = self.year.rng.randrange(len(rule.steps) - 1)
        a = self._hits([rule.steps[j]], specs)
        b = self._hits([rule.steps[j + 1]], specs)
        if a and b and a[0] is not b[0]:
            a, b = a[0], b[0]
            a.when, b.when = b.when, a.when
            a.order, b.order = b.order, a.order
            a.value, b.value = b.value, a.value
            a.fixed = b.fixed = True

    def blank(self, rule: RequiredFieldsRule, specs: list[Spec]) -> None:
        """Leave one field of the first event the rule applies to blank (or not allowed)."""
        name = self.year.rng.choice(list(rule.fields))
        for spec in specs:
            if meets(rule.opening(), spec.attrs, self.year.when):
                allowed = (rule.allowed or {}).get(name)
                if allowed and self.year.rng.random() < 0.5:
                    spec.attrs[name] = "其他"
                else:
                    spec.attrs.pop(name, None)
                return

    def procedure(self, rule: DeadlineRule, how: str,
                  opening: dict[str, str]) -> tuple[list[Need], tuple[str, float] | None]:
        """The pause/resume, restart or extension events of a procedure case, and when the
        end comes (on the last allowed day, or after it for the ``_late`` ones)."""
        rng, unit = self.year.rng, rule.within.unit
        limit = self.year.limit(rule.within, opening)
        step = 1 if unit != "hours" else 0.25
        on_time = -0.05 if unit == "hours" else 0
        late = rng.choice((1, 2)) * step if how.endswith("_late") else on_time
        if how.startswith(("paused", "still")):
            at = rng.randint(0, max(0, int(limit) - 1)) if unit != "hours" else limit * 0.3
            gap = rng.randint(1, 5) * step
            out = [Need(rule, [rule.pause], fixed=(unit, at), separate=True)]
            if how == "still_paused":
                return out, None
            out.append(Need(rule, [rule.resume], fixed=(unit, at + gap), separate=True))
            return out, (unit, limit + gap + late)
        if how.startswith("restarted"):
            at = rng.randint(1, max(1, int(limit))) if unit != "hours" else limit * 0.5
            restart = Need(rule, [rule.restart], fixed=(unit, at), separate=True)
            return [restart], (unit, at + limit + late)
        at = rng.randint(1, max(1, int(limit))) if unit != "hours" else limit * 0.5
        granted = rng.choice((3, 5, 10))
        return ([Need(rule, [rule.extend.matcher], fixed=(unit, at), separate=True,
                      extra={rule.extend.attribute: str(granted)})],
                (unit, limit + granted + late))

    def join_opened(self, first: Spec, specs: list[Spec], applicable: list[RuleBase],
                    dropped: list[list[Matcher]]) -> None:
        """A follow-up event can open a case of another rule (办件办结 opens 办结→评价邀请):
        add what that rule asks for after it, unless it is what the case is about missing."""
        year = self.year
        when = year.when
        joined = {id(r) for r in applicable}
        for _ in range(3):
            new: list[Need] = []
            for spec in [first] + sorted(specs, key=lambda s: s.order):
                for rule in year.secondary_rules:
                    if id(rule) in joined or \
                            not meets(rule.opening(), spec.attrs, when):
                        continue
                    joined.add(id(rule))
                    year.give_limits([rule], spec.attrs)
                    for need in self.needs(rule, spec.attrs):
                        sample = satisfy(need.matchers, {}, year.lexicon, random.Random(0), when)
                        if sample is not None and any(meets(d, sample, when)
                                                      for d in dropped):
                            continue
                        later = [s for s in [first] + specs
                                 if s.value >= spec.value and meets(need.matchers, s.attrs, when)]
                        if later and need.drop is None:
                            continue
                        need.floor = spec.value
                        if need.bound is not None:
                            need.bound = (need.bound[0], spec.value + need.bound[1])
                        new.append(need)
            if not new:
                return
            added = merge(year, new) or []
            schedule(year, added, order_from=len(specs) + 1)
            for s in added:
                s.attrs = year.complete(s.attrs, keep=s.matchers, skip=set(), step=True)
            specs.extend(added)


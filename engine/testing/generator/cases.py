"""One case: the opening, the events the applicable rules ask for, and the violation.

A scenario starts from an opening event (a profile) and the rules it meets. Each rule asks
for events after it (a reply, the steps, the forms); one event serves several rules where it
can. A violation is made on those events themselves (moved, dropped, swapped, left blank), so
a rule's twin is broken with it; a procedure case adds a pause, a restart or an extension.
"""
from __future__ import annotations

import random
from typing import Any

from ...model.rule import Matcher, RuleBase
from .kinds import STRATEGIES, Draft, Hook
from .matching import avoid, meets, satisfy
from .specs import START, Need, Scenario, Spec
from .timing import merge, rank, schedule
from .year import Year


class Cases:
    """Builds the scenario of one case from an opening and the rules it meets."""

    def __init__(self, year: Year):
        self.year = year

    def build(self, etype: str, profile: dict[str, str], applicable: list[RuleBase], how: Any,
              name: str, intended: tuple[str, str] | None, weight: float) -> Scenario | None:
        """One scenario: the opening, the events the applicable rules ask for (shared where
        one event serves several), the violation (or procedure) made on those events, their
        times, and the events of rules that a follow-up event opens in turn."""
        year = self.year
        rng, lexicon, when = year.rng, year.lexicon, year.when
        target, vtype = how if how else (None, None)
        strategy = STRATEGIES[target.kind] if target is not None else None
        draft = Draft(dict(profile), [])
        year.give_limits(applicable, draft.opening)
        kept_forbidden: set[str] = set()
        if strategy is not None and strategy.opening_breaks:
            kept_forbidden.add(target.id)
            draft.opening = satisfy(target.opening(), draft.opening, lexicon, rng, when) \
                or draft.opening
        else:                                    # a compliant opening is a near miss
            keep = [m for r in applicable if not _opening_breaks(r) for m in r.opening()]
            for rule in applicable:
                if _opening_breaks(rule):
                    avoid(rule.opening(), draft.opening, lexicon, rng,
                          keep + [Matcher({"event_type": etype})], when)
        draft.needs = [n for rule in applicable
                       for n in STRATEGIES[rule.kind].needs(year, rule, draft.opening)]
        self._stage(strategy and strategy.with_procedure, target, vtype, draft)
        specs = merge(year, draft.needs)
        if specs is None:
            return None
        draft.specs = specs
        draft.first = first = Spec(draft.opening, (START, 0, 0, 0))
        first.matchers = [m for r in applicable
                          if not _opening_breaks(r) or r.id in kept_forbidden
                          for m in r.opening()]
        self._stage(strategy and strategy.on_events, target, vtype, draft)
        schedule(year, specs)
        self._stage(strategy and strategy.on_times, target, vtype, draft)
        first.attrs = year.complete(first.attrs, keep=first.matchers, skip=kept_forbidden)
        for spec in specs:
            spec.attrs = year.complete(spec.attrs, keep=spec.matchers, skip=set(), step=True)
        self.join_opened(first, specs, applicable, draft.dropped)
        self._stage(strategy and strategy.on_fields, target, vtype, draft)
        all_specs = [first] + specs
        rank(all_specs)
        return Scenario(name, etype, intended, weight, all_specs, year.year_lo, year.year_hi,
                        False, False, None, "")

    def _stage(self, hook: Hook | None, target: RuleBase | None, how: str | None,
               draft: Draft) -> None:
        """Run one stage of breaking the case's target rule, if its kind has that stage."""
        if hook:
            hook(self.year, target, how, draft)

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
                    if id(rule) in joined or not meets(rule.opening(), spec.attrs, when):
                        continue
                    joined.add(id(rule))
                    year.give_limits([rule], spec.attrs)
                    for need in STRATEGIES[rule.kind].needs(year, rule, spec.attrs):
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


def _opening_breaks(rule: RuleBase) -> bool:
    """Whether meeting the rule's opening is already breaking it (``forbidden``)."""
    return STRATEGIES[rule.kind].opening_breaks

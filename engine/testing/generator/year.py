"""The year a log covers: its rules sorted by the part each plays in making events, the
calendar, the vocabulary, and the one random stream every draw of the plan comes from.

Every event a scenario or the grid makes is finished here (``complete``): it gets what the
``required_fields`` rules ask of it, the numbers other rules read from it, and keeps clear
of the ``forbidden`` rules, unless breaking one of them is the point of its case.
"""
from __future__ import annotations

import datetime as dt
import random
from typing import Iterable, Sequence

from ...data.calendar import WorkCalendar
from ...model.rule import (DeadlineRule, DueByRule, Duration, Matcher, RatioRule,
                           RequiredFieldsRule, RuleBase)
from .city import UNITS
from .kinds import CASE, GRID, MEMBER, STRATEGIES
from .matching import avoid, meets, satisfy
from .rates import LIMIT_CHOICES, WEAK_UNITS
from .values import Lexicon, filler, number_text, scalar


class Year:
    """The rules of one year and what every part of the plan shares."""

    def __init__(self, covered: Sequence[RuleBase], lexicon: Lexicon, calendar: WorkCalendar,
                 year: int, seed: int, others: Sequence[RuleBase] = ()):
        self.covered = list(covered)
        self.others = [r for r in others if r not in self.covered]
        self.lexicon = lexicon
        self.calendar = calendar
        self.year = year
        self.rng = random.Random(f"govcheck-generate-{seed}-{year}")
        self.year_lo = dt.date(year, 1, 1)
        self.year_hi = dt.date(year, 12, 31)
        self.horizon = dt.datetime(year + 1, 1, 20, 18, 0, 0)
        self.when = dt.datetime(year, 7, 1, 10, 0)
        # where each rule's events come from (its kind's strategy says)
        self.case_rules = [r for r in covered if STRATEGIES[r.kind].makes(r) == CASE]
        self.condition_ratios = [r for r in covered if STRATEGIES[r.kind].makes(r) == MEMBER]
        self.grid_rules = [r for r in covered if STRATEGIES[r.kind].makes(r) == GRID]
        self.field_rules = [r for r in covered if isinstance(r, RequiredFieldsRule)]
        self.extenders = [r for r in list(covered) + self.others
                          if isinstance(r, DeadlineRule) and r.extend is not None]
        self.readers = [r for r in list(covered) + self.others
                        if (isinstance(r, RatioRule) and r.value) or
                        (isinstance(getattr(r, "within", None), Duration) and r.within.workdays_from)]
        self.forbidden_rules = [r for r in covered if STRATEGIES[r.kind].opening_breaks]
        self.opening_rules = [r for r in covered if r.kind in ("deadline", "sequence", "min_count",
                                                               "due_by", "ratio")
                              and not (isinstance(r, DueByRule) and r.subjects_list is not None)]
        self.secondary_rules = [r for r in self.opening_rules
                                if not (isinstance(r, RatioRule) and r.condition is None)]
        self.weak: dict[str, set[str]] = {}
        for r in self.condition_ratios:
            k = max(1, round(len(UNITS) * WEAK_UNITS))
            self.weak[r.id] = set(self.rng.sample(UNITS, k))

    def opening_types(self, rule: RuleBase) -> list[str]:
        """The event types that can open a case of ``rule`` (or make a member)."""
        matchers = rule.opening()
        named: list[str] | None = None
        for m in matchers:
            for c in m.conditions:
                if c.field == "event_type" and c.op == "eq":
                    texts = [scalar(v) for v in c.values]
                    named = texts if named is None else [t for t in named if t in texts]
        candidates = named if named is not None else list(self.lexicon.order)
        return [t for t in candidates
                if satisfy(matchers, {"event_type": t}, self.lexicon, random.Random(0), self.when)]

    def limit(self, duration: Duration, opening: dict[str, str]) -> float:
        """The count a duration allows for a case with this opening (its default when the
        opening leaves the attribute blank)."""
        if duration.workdays_from:
            given = opening.get(duration.workdays_from)
            return int(given) if given or duration.default is None else duration.default
        return duration.amount  # type: ignore[return-value]

    def give_limits(self, rules: Iterable[RuleBase], attrs: dict[str, str]) -> None:
        """Give the opening the limits the rules read from it (承诺时限, 法定时限, a fair
        time), as whole numbers; one with a default is left blank a third of the time. Every
        limit of a case gets the same number, so a case made to meet one rule's limit meets
        the others' (a 承诺时限 is never longer than the 法定时限 it shortens)."""
        value = str(self.rng.choice(LIMIT_CHOICES))
        for rule in rules:
            for key in ("within", "settle"):
                d = getattr(rule, key, None)
                if isinstance(d, Duration) and d.workdays_from and \
                        not str(attrs.get(d.workdays_from, "")).isdigit():
                    if d.default is not None and self.rng.random() < 0.33:
                        attrs.pop(d.workdays_from, None)
                    else:
                        attrs[d.workdays_from] = value

    def complete(self, attrs: dict[str, str], keep: Sequence[Matcher], skip: set[str] | None,
                 step: bool = False) -> dict[str, str]:
        """Fill what ``required_fields`` rules ask of this event and steer it clear of the
        ``forbidden`` ones (and, for a follow-up event, of opening a case of its own)."""
        out = dict(attrs)
        rng = self.rng
        keep = list(keep) + [Matcher({"event_type": out["event_type"]})]
        for _ in range(2):
            before = dict(out)          # the field rules judge the event as it came
            for rule in self.field_rules:
                if skip and rule.id in skip:
                    continue
                if meets(rule.opening(), before, self.when):
                    allowed = rule.allowed or {}
                    for name in rule.fields:
                        value = out.get(name)
                        if name in allowed:
                            texts = [scalar(v) for v in allowed[name]]
                            if value not in texts:
                                out[name] = rng.choice(texts)
                        elif value is None or not str(value).strip():
                            out[name] = filler(name, self.lexicon, rng)
            # numbers some rule (of any year) reads from this event: without them the log
            # would be bad input for that rule
            for rule in self.extenders:
                if meets([rule.extend.matcher], out, self.when) and \
                        not str(out.get(rule.extend.attribute, "")).isdigit():
                    out[rule.extend.attribute] = str(rng.choice((3, 5, 10)))
            for rule in self.readers:
                if not meets(rule.opening(), out, self.when):
                    continue
                if isinstance(rule, RatioRule):
                    if number_text(out.get(rule.value.denominator)) is None:
                        out[rule.value.denominator] = str(rng.randint(100, 5000))
                    if number_text(out.get(rule.value.numerator)) is None:
                        out[rule.value.numerator] = out[rule.value.denominator]
                else:
                    self.give_limits([rule], out)
            for rule in self.forbidden_rules:
                if skip is not None and rule.id in skip:
                    continue
                avoid(rule.opening(), out, self.lexicon, rng, keep, self.when)
            if step:
                for rule in self.opening_rules:
                    if meets(rule.opening(), out, self.when):
                        avoid(rule.opening(), out, self.lexicon, rng, keep, self.when)
        return out

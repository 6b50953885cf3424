"""What both engines compute from a rule and must agree on, computed once: the roles of its
matchers, the event types it reads, its effective window and its limits.

The batch engine (``batch/compile.py``: SQL) and the streaming monitor (``watch/``:
durable-rules rulesets and Python cases) compile the same rule model in different ways,
and ``tests/test_parity.py`` holds them to the same answers. Where an answer does not
depend on how an engine runs (which events open a case, which event types a rule can
look at, when a rule's window opens and closes, how long a case has), it is computed
here, so that the two engines cannot drift apart on it. The oracle (``testing/oracle.py``)
keeps its own reading of the contract on purpose: it checks this one.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from .model.rule import (DeadlineRule, Duration, DueByRule, Matcher, MinCountRule, PeriodicRule,
                         RatioRule, RuleBase, SequenceRule, alternatives, value_text)


@dataclass(frozen=True)
class RulePlan:
    """A rule with what both engines read from it."""

    rule: RuleBase
    roles: tuple[Role, ...]
    event_types: tuple[str, ...] | None     # sorted; None: any type (some role names none)
    window: Window
    within: Limit | None                    # how long a case has
    extension: Limit | None                 # what a deadline's extension event grants
    grace: Limit | None                     # how long after a period its events may come
    #: each pause pair's cap (None: uncapped), read from the pause event when an attribute
    pause_caps: tuple[Limit | None, ...] = ()
    extension_cap: Limit | None = None      # the most all extensions of a case may add
    settle: Limit | None = None             # how long an incomplete case waits to be judged

    @property
    def limits(self) -> tuple[Limit, ...]:
        return tuple(x for x in (self.within, self.extension, self.grace, self.extension_cap,
                                 self.settle, *self.pause_caps) if x is not None)


def plan_rule(rule: RuleBase) -> RulePlan:
    """Everything in ``RulePlan`` for one rule."""
    roles = tuple(ROLES[rule.kind](rule))
    within = getattr(rule, "within", None)
    extend = getattr(rule, "extend", None)
    grace = getattr(rule, "grace", None)
    extend_max = getattr(rule, "extend_max", None)
    settle = getattr(rule, "settle", None)
    return RulePlan(
        rule, roles, _event_types(roles), window_of(rule),
        within=limit_of(within) if within is not None else None,
        extension=Limit("workdays", attribute=extend.attribute) if extend is not None else None,
        grace=limit_of(grace) if grace is not None else None,
        pause_caps=tuple(limit_of(s.max) if s.max is not None else None
                         for s in getattr(rule, "pause_specs", ())),
        extension_cap=limit_of(extend_max) if extend_max is not None else None,
        settle=limit_of(settle) if settle is not None else None)


# ---------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Role:
    """One way an event takes part in a rule, and the matcher it must meet.

    ``name``: ``open`` (the event that opens a case, or makes a ratio member: the kind's
    opening matcher, with the rule's ``where``), the deadline's ``end``, ``pause`` and
    ``resume`` (``step`` numbers the pair when ``pauses`` lists several), ``restart`` and
    ``extend``, a sequence's ``step`` (``step`` is its index), ``count`` (an event counted for a case, or in a period), ``hit`` (an event that
    is a finding by itself: forbidden, or with fields missing), a ratio's ``meets`` and
    ``exclude``, the event a ``due_by`` case ``required``, and ``cancel`` (an event that
    closes a case without judgement), ``only_if`` and ``exclude`` (an event anywhere in the
    case that brings it into scope or takes it out). A key that lists several matchers (any of them) gives
    one role per matcher, numbered by ``alt``.
    """

    name: str
    matcher: Matcher
    step: int | None = None
    where: Matcher | None = None            # the rule's where, on the role it narrows
    alt: int | None = None                  # which of a key's matchers (a list of them)

    @property
    def matchers(self) -> tuple[Matcher, ...]:
        """What an event must meet to play the role (all of them)."""
        return (self.matcher,) if self.where is None else (self.matcher, self.where)

    @property
    def event_types(self) -> frozenset[str] | None:
        """The event types an event of this role can have (None: any): those named by the
        first of its matchers that names some."""
        for m in self.matchers:
            types = matcher_types(m)
            if types is not None:
                return types
        return None


def matcher_types(matcher: Matcher) -> frozenset[str] | None:
    """Event types the matcher can match: its first ``event_type`` equality (None: any type)."""
    for c in matcher.conditions:
        if c.field == "event_type" and c.op == "eq":
            return frozenset(value_text(v) for v in c.values)
    return None


def _opening(rule: RuleBase, matcher: Matcher, name: str = "open") -> Role:
    return Role(name, matcher, where=rule.where)


def _any_of(name: str, value) -> list[Role]:
    """One role per matcher of a matcher-or-list key (none when the key is absent)."""
    found = alternatives(value)
    if len(found) == 1:
        return [Role(name, found[0])]
    return [Role(name, m, alt=i) for i, m in enumerate(found)]


def _case_filters(rule: RuleBase) -> list[Role]:
    """The roles of the keys that take a case out of judgement: ``only_if`` and ``exclude``
    (an event anywhere in the case), ``cancel`` (an event that closes it in time)."""
    return [role for name in ("only_if", "exclude", "cancel")
            for role in _any_of(name, getattr(rule, name, None))]


def _deadline_roles(rule: DeadlineRule) -> list[Role]:
    out = [_opening(rule, rule.start), Role("end", rule.end)]
    numbered = rule.pauses is not None
    for i, spec in enumerate(rule.pause_specs):
        out += [Role("pause", spec.pause, i if numbered else None),
                Role("resume", spec.resume, i if numbered else None)]
    if rule.restart is not None:
        out.append(Role("restart", rule.restart))
    if rule.extend is not None:
        out.append(Role("extend", rule.extend.matcher))
    return out + _case_filters(rule)


def _sequence_roles(rule: SequenceRule) -> list[Role]:
    steps = [Role("step", m, i, alt=j if isinstance(step, list) else None)
             for i, step in enumerate(rule.steps) for j, m in enumerate(alternatives(step))]
    return [_opening(rule, rule.trigger)] + steps + _case_filters(rule)


def _min_count_roles(rule: MinCountRule) -> list[Role]:
    return [_opening(rule, rule.subject), Role("count", rule.count)] + _case_filters(rule)


def _ratio_roles(rule: RatioRule) -> list[Role]:
    out = [_opening(rule, rule.population)]
    if rule.condition is not None:
        out.append(Role("meets", rule.condition))
    return out + _any_of("exclude", rule.exclude)


def _due_by_roles(rule: DueByRule) -> list[Role]:
    opening = [_opening(rule, rule.subjects)] if rule.subjects is not None else []
    return opening + [Role("required", rule.required)] + _case_filters(rule)


def _periodic_roles(rule: PeriodicRule) -> list[Role]:
    return [_opening(rule, rule.event, "count")]


def _event_roles(rule) -> list[Role]:
    return [_opening(rule, rule.event, "hit")] + _case_filters(rule)


#: kind → the roles of its matchers, in the order the kind lists its matchers.
ROLES: dict[str, Callable[[RuleBase], list[Role]]] = {
    "deadline": _deadline_roles,
    "sequence": _sequence_roles,
    "min_count": _min_count_roles,
    "ratio": _ratio_roles,
    "due_by": _due_by_roles,
    "periodic": _periodic_roles,
    "required_fields": _event_roles,
    "forbidden": _event_roles,
}


def _event_types(roles: tuple[Role, ...]) -> tuple[str, ...] | None:
    """Every event type some role can match, sorted; None when some role matches any type."""
    found: set[str] = set()
    for role in roles:
        types = role.event_types
        if types is None:
            return None
        found |= types
    return tuple(sorted(found))


# ---------------------------------------------------------------------------
# Window and limits
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """The effective window as a half-open interval of local times: an opening event counts
    when ``start <= its time < end`` (None: no bound). ``effective`` names whole days, so
    ``end`` is the midnight after ``effective.to``."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None

    @property
    def first_day(self) -> dt.date | None:
        return self.start.date() if self.start is not None else None

    @property
    def last_day(self) -> dt.date | None:
        return (self.end - dt.timedelta(days=1)).date() if self.end is not None else None


def window_of(rule: RuleBase) -> Window:
    """When an opening event counts: the ``effective`` window, or for a ``due_by`` rule its
    ``subjects_window`` when given (subjects listed before the plan year are still due)."""
    subjects = getattr(rule, "subjects_window", None)
    if subjects is not None:
        start = subjects.from_ if isinstance(subjects.from_, dt.date) else None
        return _days(start, subjects.to or rule.by)
    eff = rule.effective
    return Window() if eff is None else _days(eff.from_, eff.to)


def _days(first: dt.date | None, last: dt.date | None) -> Window:
    """The window of whole days from ``first`` to ``last`` (None: no bound)."""
    return Window(dt.datetime.combine(first, dt.time()) if first else None,
                  dt.datetime.combine(last + dt.timedelta(days=1), dt.time()) if last else None)


@dataclass(frozen=True)
class Limit:
    """A number of ``unit``s (workdays, days, hours, months): fixed (``amount``), or read
    from the ``attribute`` of the event that opens the case or grants it (whole working
    days), ``default`` when that attribute is blank or absent."""

    unit: str
    amount: int | float | None = None
    attribute: str | None = None
    default: int | None = None


def limit_of(duration: Duration) -> Limit:
    if duration.workdays_from:
        return Limit(duration.unit, attribute=duration.workdays_from, default=duration.default)
    amount = duration.amount
    return Limit(duration.unit, float(amount) if duration.unit == "hours" else int(amount))

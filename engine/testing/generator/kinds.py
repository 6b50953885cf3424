"""The generator's kind table: for each kind of rule, how its events are made and how a case
breaks it.

``STRATEGIES`` maps every kind to a ``Strategy``. ``makes`` says where a rule's events come
from: its own cases (``CASE``), cases that are members of it (``MEMBER``: a ratio with a
``condition``), or the explicit grid (``GRID``: periodic rules, ratios with a ``value``,
``due_by`` with listed subjects). ``needs`` is what a compliant case of the rule asks for
after its opening. The rest says how a case breaks the rule, at the stage of building it
where that happens: by its opening alone (``forbidden``), with procedure events (a
deadline's pause, restart or extension; a ratio member that is excluded), on the events
before they are timed (moved or dropped), on their times (ordered steps swapped), or on
their fields (``required_fields``). A new kind needs a row here (tests/test_kind_tables.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ...model.rule import Duration, Matcher, RuleBase, alternatives
from .matching import avoid, meets, satisfy
from .rates import FILTERS, LIMIT_CHOICES, PROCEDURES
from .specs import ABS_DAYS, Need, Spec, day_number
from .timing import relative

if TYPE_CHECKING:
    from .grid import Grid, GridEvent
    from .year import Year

#: Where a rule's events come from.
CASE, MEMBER, GRID = "case", "member", "grid"


@dataclass
class Draft:
    """A case being built: its opening, what its rules ask for, and its events once made."""

    opening: dict[str, str]
    needs: list[Need]
    end_time: tuple[str, float] | None = None     # when a procedure case's end comes
    first: Spec | None = None                      # the opening event
    specs: list[Spec] = field(default_factory=list)
    dropped: list[list[Matcher]] = field(default_factory=list)


#: A stage of breaking a rule: (year, rule, violation or procedure, the case) → None.
Hook = Callable[["Year", RuleBase, str, Draft], None]


def _never(rule: RuleBase) -> list:
    return []


def _always(rule: RuleBase, vtype: str) -> bool:
    return True


@dataclass(frozen=True)
class Strategy:
    """How the generator covers the rules of one kind."""

    makes: Callable[[RuleBase], str]
    needs: Callable[[Year, RuleBase, dict[str, str]], list[Need]] = \
        lambda year, rule, opening: []
    can_break: Callable[[RuleBase, str], bool] = _always
    #: Cases that use the rule's procedures: (name, intended finding, rate).
    procedures: Callable[[RuleBase], list[tuple[str, tuple[str, str] | None, float]]] = _never
    #: Meeting the opening is the violation (the compliant opening is a near miss).
    opening_breaks: bool = False
    with_procedure: Hook | None = None             # adds a procedure case's events
    on_events: Hook | None = None                  # before the events are timed
    on_times: Hook | None = None                   # once they are timed
    on_fields: Hook | None = None                  # once they are complete
    lay: Callable[[Grid, RuleBase], list[GridEvent]] | None = None


# ---------------------------------------------------------------------------
# What a case asks for
# ---------------------------------------------------------------------------

def _bound(year: Year, duration: Duration | None,
           opening: dict[str, str]) -> tuple[str, float] | None:
    return (duration.unit, year.limit(duration, opening)) if duration else None


def _in_scope(rule) -> list[Need]:
    """The event ``only_if`` asks for, which every case in scope has."""
    wanted = alternatives(getattr(rule, "only_if", None))
    return [Need(rule, [wanted[0]], separate=True)] if wanted else []


def _deadline_needs(year: Year, rule, opening: dict[str, str]) -> list[Need]:
    return [Need(rule, [rule.end], bound=_bound(year, rule.within, opening))] + _in_scope(rule)


def _one_of(year: Year, step) -> Matcher:
    """The matcher a case meets a step with: the step, or one of its alternatives."""
    found = alternatives(step)
    return found[0] if len(found) == 1 else year.rng.choice(found)


def _sequence_needs(year: Year, rule, opening: dict[str, str]) -> list[Need]:
    bound = _bound(year, rule.within, opening)
    # steps happen in the order listed even when the rule does not require it
    return [Need(rule, [_one_of(year, step)], bound=bound, chain=(rule.id, i))
            for i, step in enumerate(rule.steps)] + _in_scope(rule)


def _min_count_needs(year: Year, rule, opening: dict[str, str]) -> list[Need]:
    bound = _bound(year, rule.within, opening)
    values = _distinct_values(year, rule, rule.at_least)
    return [Need(rule, [rule.count], bound=bound, separate=True,
                 extra={rule.distinct: values[i]} if rule.distinct else {})
            for i in range(rule.at_least)] + _in_scope(rule)


def _distinct_values(year: Year, rule, n: int) -> list[str]:
    """``n`` different values of the rule's ``distinct`` attribute (the forms counted)."""
    if not rule.distinct:
        return [""] * n
    pool = [v for v in year.lexicon.values.get(rule.distinct, []) if v]
    pool = pool + [f"{rule.distinct}{i}" for i in range(1, n + 2)]
    return year.rng.sample(pool[:max(n, len(pool))], n) if len(pool) >= n else pool[:n]


def _scope_needs(year: Year, rule, opening: dict[str, str]) -> list[Need]:
    return _in_scope(rule)


def _due_by_needs(year: Year, rule, opening: dict[str, str]) -> list[Need]:
    return [Need(rule, [rule.required], anchor=rule.by)] + _in_scope(rule)


def _ratio_needs(year: Year, rule, opening: dict[str, str]) -> list[Need]:
    return [Need(rule, [rule.condition], drop=rule.id)] if rule.condition is not None else []


# ---------------------------------------------------------------------------
# Procedure cases
# ---------------------------------------------------------------------------

#: Each deadline procedure and the key of the rule it needs.
_PROCEDURE_KEYS = {"paused": "pause_specs", "still": "pause_specs", "restarted": "restart",
                   "extended": "extend"}


def _deadline_procedures(rule) -> list[tuple[str, tuple[str, str] | None, float]]:
    """Pause/resume, restart and extension cases, each on time and late (the rule has it);
    an extension granted after the limit has passed, which does not count. Then the case
    filters (``_filter_procedures``)."""
    return [(name, (rule.id, "late") if name.endswith(("_late", "_after")) else None, rate)
            for name, rate in PROCEDURES.items()
            if getattr(rule, _PROCEDURE_KEYS[name.split("_")[0]])] + _filter_procedures(rule)


def _pause_pair(year: Year, rule):
    """The pause pair a procedure case uses (one of them when ``pauses`` lists several)."""
    specs = rule.pause_specs
    return specs[0] if len(specs) == 1 else year.rng.choice(specs)


def _deadline_procedure(year: Year, rule, how: str, draft: Draft) -> None:
    """The pause/resume, restart or extension events of a procedure case, and when the
    end comes (on the last allowed day, or after it for the ``_late`` ones; for
    ``extended_after``, on the day the extension would allow, had it counted)."""
    if how not in PROCEDURES:
        return
    rng, unit = year.rng, rule.within.unit
    limit = year.limit(rule.within, draft.opening)
    step = 1 if unit != "hours" else 0.25
    on_time = -0.05 if unit == "hours" else 0
    late = rng.choice((1, 2)) * step if how.endswith("_late") else on_time
    if how.startswith(("paused", "still")):
        pair = _pause_pair(year, rule)
        at = rng.randint(0, max(0, int(limit) - 1)) if unit != "hours" else limit * 0.3
        gap = rng.randint(1, 5) * step
        cap = pair.max
        extra = {cap.workdays_from: str(rng.choice(LIMIT_CHOICES[:4]))} \
            if cap is not None and cap.workdays_from else {}
        draft.needs.append(Need(rule, [pair.pause], fixed=(unit, at), separate=True, extra=extra))
        if how == "still_paused":
            return
        draft.needs.append(Need(rule, [pair.resume], fixed=(unit, at + gap), separate=True))
        draft.end_time = (unit, limit + gap + late)
    elif how.startswith("restarted"):
        at = rng.randint(1, max(1, int(limit))) if unit != "hours" else limit * 0.5
        draft.needs.append(Need(rule, [rule.restart], fixed=(unit, at), separate=True))
        draft.end_time = (unit, at + limit + late)
    else:
        at = rng.randint(1, max(1, int(limit))) if unit != "hours" else limit * 0.5
        if how == "extended_after":
            at = limit + rng.choice((1, 2))
        granted = rng.choice((3, 5, 10))
        draft.needs.append(Need(rule, [rule.extend.matcher], fixed=(unit, at), separate=True,
                                extra={rule.extend.attribute: str(granted)}))
        draft.end_time = (unit, limit + granted + late)


# ---------------------------------------------------------------------------
# Cases taken out of judgement: cancelled, excluded, out of scope
# ---------------------------------------------------------------------------

def _filter_procedures(rule) -> list[tuple[str, tuple[str, str] | None, float]]:
    """Cases a rule's ``cancel`` closes (in time, or too late to save a failure), that its
    ``exclude`` takes out, or that lack the event its ``only_if`` asks for; each fails the
    rule otherwise, so only a filter that works keeps them from being findings."""
    out = []
    if getattr(rule, "cancel", None) is not None:
        out.append(("cancelled", None, FILTERS["cancelled"]))
        failure = _failure_of(rule)
        if failure is not None:
            out.append(("cancelled_late", (rule.id, failure), FILTERS["cancelled_late"]))
    if getattr(rule, "exclude", None) is not None:
        out.append(("excluded", None, FILTERS["excluded"]))
    if getattr(rule, "only_if", None) is not None:
        out.append(("out_of_scope", None, FILTERS["out_of_scope"]))
    return out


def _failure_of(rule) -> str | None:
    """The failure an open case of the rule comes to once its time is up (None: never)."""
    timed = rule.kind == "due_by" or getattr(rule, "within", None) is not None \
        or getattr(rule, "settle", None) is not None
    return {"deadline": "overdue_open", "sequence": "missing_step", "min_count": "insufficient",
            "due_by": "missing_by_date"}.get(rule.kind) if timed else None


def _timing(year: Year, rule, opening: dict[str, str]) -> tuple[str, float]:
    """(unit, count): the limit or fair time of a case (a working day when it has none)."""
    duration = getattr(rule, "within", None) or getattr(rule, "settle", None)
    if duration is None:
        return ("workdays", 1)
    return (duration.unit, year.limit(duration, opening))


def _filter_events(year: Year, rule, how: str, draft: Draft) -> None:
    """The event of a filter case: a cancel early (well before the limit) or late (after
    it), an excluding event; or no ``only_if`` event."""
    if how in ("cancelled", "cancelled_late"):
        unit, limit = _timing(year, rule, draft.opening)
        step = 1 if unit != "hours" else 0.25
        at = year.rng.randint(0, max(0, int(limit) - 1)) * step if how == "cancelled" \
            else limit + year.rng.choice((1, 2)) * step
        need = Need(rule, [alternatives(rule.cancel)[0]], separate=True)
        if rule.kind == "due_by":
            need.anchor = rule.by if how == "cancelled" else None
        else:
            need.fixed = (unit, at)
        draft.needs.append(need)
    elif how == "excluded":
        draft.needs.append(Need(rule, [alternatives(rule.exclude)[0]], separate=True))
    elif how == "out_of_scope":
        wanted = alternatives(rule.only_if)[0]
        draft.needs = [n for n in draft.needs if not (n.rule is rule and n.matchers == [wanted])]


def _unclosed(year: Year, rule, how: str, draft: Draft) -> bool:
    """A filter case of ``rule`` never closes: what would close it is dropped (a late
    cancel of a due_by subject moved after the date). True when ``how`` was one."""
    if how not in ("cancelled", "cancelled_late", "excluded", "out_of_scope"):
        return False
    closing = {"deadline": lambda r: [[r.end]], "due_by": lambda r: [[r.required]],
               "min_count": lambda r: [[r.count]],
               "sequence": lambda r: [[m] for m in alternatives(r.steps[-1])]}.get(rule.kind)
    for matchers in closing(rule) if closing else ():
        _drop(year, draft, matchers)
    if rule.kind == "due_by" and how == "cancelled_late":
        _move(year, draft, [alternatives(rule.cancel)[0]],
              (ABS_DAYS, year.rng.randint(1, 15), day_number(rule.by), 0))
    if rule.kind == "required_fields":
        _blank_field(year, rule, "missing_field", draft)
    return True


def _ratio_procedures(rule) -> list[tuple[str, tuple[str, str] | None, float]]:
    """Members the rule excludes (they count neither way)."""
    return [("excluded", None, PROCEDURES["paused"])] if rule.exclude is not None else []


def _exclude_member(year: Year, rule, how: str, draft: Draft) -> None:
    """An excluded member: its opening meets ``exclude`` when it can, else an event does."""
    if how != "excluded":
        return
    merged = satisfy([rule.exclude], draft.opening, year.lexicon, year.rng, year.when)
    if merged is not None and meets(rule.opening(), merged, year.when):
        draft.opening = merged
    else:
        draft.needs.append(Need(rule, [rule.exclude], separate=True))


# ---------------------------------------------------------------------------
# Breaking a rule on a case's events
# ---------------------------------------------------------------------------

def hits(year: Year, matchers: list[Matcher], specs: list[Spec]) -> list[Spec]:
    """The specs whose events meet every matcher."""
    return [s for s in specs if meets(matchers, s.attrs, year.when)]


def _drop(year: Year, draft: Draft, matchers: list[Matcher]) -> None:
    """Remove every event that meets ``matchers`` (a twin rule's too), and keep the opening
    from meeting them."""
    for s in hits(year, matchers, draft.specs):
        draft.specs.remove(s)
    draft.dropped.append(matchers)
    avoid(matchers, draft.first.attrs, year.lexicon, year.rng, draft.first.matchers, year.when)


def _move(year: Year, draft: Draft, matchers: list[Matcher],
          when: tuple[int, int, int, int]) -> None:
    """Fix every event that meets ``matchers`` at ``when``."""
    for s in hits(year, matchers, draft.specs):
        s.fixed, s.when = True, when


def _past(year: Year, draft: Draft, duration: Duration, extra: int) -> tuple[int, int, int, int]:
    """``extra`` units (half hours for hours) after the limit of ``duration``."""
    unit, limit = duration.unit, year.limit(duration, draft.first.attrs)
    return relative((unit, limit + extra * (1 if unit != "hours" else 0.5)))


def _break_deadline(year: Year, rule, how: str, draft: Draft) -> None:
    """The end late or missing; a procedure case's end where the procedure puts it; a
    filter case's end dropped."""
    rng = year.rng
    if _unclosed(year, rule, how, draft):
        return
    if how == "late":
        _move(year, draft, [rule.end], _past(year, draft, rule.within, rng.choice((1, 1, 2, 3, 5))))
    elif how in ("overdue_open", "still_paused"):
        _drop(year, draft, [rule.end])
    elif draft.end_time is not None:
        _move(year, draft, [rule.end], relative(draft.end_time))


def _break_sequence(year: Year, rule, how: str, draft: Draft) -> None:
    """A step missing (every alternative of it), or the last one after the deadline."""
    rng = year.rng
    if _unclosed(year, rule, how, draft):
        return
    if how == "missing_step":
        for matcher in alternatives(rng.choice(rule.steps)):
            _drop(year, draft, [matcher])
    elif how == "late":
        past = _past(year, draft, rule.within, rng.choice((1, 2, 3)))
        for matcher in alternatives(rule.steps[-1]):
            _move(year, draft, [matcher], past)


def _sequence_can_break(rule, vtype: str) -> bool:
    """Out of order needs ordered steps to swap; late needs a limit."""
    if vtype == "out_of_order":
        return rule.ordered and len(rule.steps) > 1
    if vtype == "late":
        return rule.within is not None
    return True


def _swap_steps(year: Year, rule, how: str, draft: Draft) -> None:
    """Two consecutive steps of an ordered rule, the later one first."""
    if how != "out_of_order":
        return
    j = year.rng.randrange(len(rule.steps) - 1)
    a = [s for m in alternatives(rule.steps[j]) for s in hits(year, [m], draft.specs)]
    b = [s for m in alternatives(rule.steps[j + 1]) for s in hits(year, [m], draft.specs)]
    if a and b and a[0] is not b[0]:
        a, b = a[0], b[0]
        a.when, b.when = b.when, a.when
        a.order, b.order = b.order, a.order
        a.value, b.value = b.value, a.value
        a.fixed = b.fixed = True


def _break_min_count(year: Year, rule, how: str, draft: Draft) -> None:
    """Too few counted events: one removed, the same form twice, or the last one late."""
    rng = year.rng
    if _unclosed(year, rule, how, draft):
        return
    first = draft.first
    avoid([rule.count], first.attrs, year.lexicon, rng, first.matchers, year.when)
    counted = hits(year, [rule.count], draft.specs)
    way = rng.randrange(3)
    if way == 1 and rule.distinct and rule.at_least >= 2:
        for s in counted:                      # the same form every time
            s.attrs[rule.distinct] = counted[0].attrs.get(rule.distinct, "")
    elif way == 2 and rule.within is not None:
        for s in counted[rule.at_least - 1:]:  # the last one after the deadline
            s.fixed, s.when = True, _past(year, draft, rule.within, 1 + rng.randrange(3))
    else:
        while counted and _counted(rule, counted) >= rule.at_least:
            draft.specs.remove(counted.pop())


def _counted(rule, specs: list[Spec]) -> int:
    """How many of the events the rule counts (different forms, if distinct)."""
    if rule.distinct:
        return len({s.attrs.get(rule.distinct) for s in specs} - {None})
    return len(specs)


def _break_due_by(year: Year, rule, how: str, draft: Draft) -> None:
    """The required event missing, or after the date."""
    if _unclosed(year, rule, how, draft):
        return
    if how == "missing_by_date":
        _drop(year, draft, [rule.required])
    else:
        _move(year, draft, [rule.required],
              (ABS_DAYS, year.rng.randint(1, 15), day_number(rule.by), 0))


def _fields_or_scope(year: Year, rule, how: str, draft: Draft) -> None:
    """A field left blank, or a filter case (out of scope with a field blank)."""
    if not _unclosed(year, rule, how, draft):
        _blank_field(year, rule, how, draft)


def _both(first: Hook, then: Hook) -> Hook:
    """Two stages in one: ``first``, then ``then``."""
    def run(year: Year, rule, how: str, draft: Draft) -> None:
        first(year, rule, how, draft)
        then(year, rule, how, draft)
    return run


def _ratio_procedures_all(rule) -> list[tuple[str, tuple[str, str] | None, float]]:
    """Excluded members, and members that meet the condition only after their period."""
    out = _ratio_procedures(rule)
    if rule.condition is not None:
        out.append(("met_late", None, FILTERS["met_late"]))
    return out


def _late_condition(year: Year, rule, how: str, draft: Draft) -> None:
    """A member that meets the condition only after its period closed: a year (or window)
    period just after its last day, a quarter or month a season later."""
    if how != "met_late":
        return
    condition = [rule.condition]
    if rule.period in ("quarter", "month"):
        when = relative(("days", 100 if rule.period == "quarter" else 40))
    else:
        last = rule.effective.to if rule.effective and rule.effective.to else year.year_hi
        when = (ABS_DAYS, year.rng.randint(1, 15), day_number(last), 0)
    for s in hits(year, condition, draft.specs):
        s.fixed, s.when = True, when


def _blank_field(year: Year, rule, how: str, draft: Draft) -> None:
    """Leave one field of the first event the rule applies to blank (or not allowed)."""
    name = year.rng.choice(list(rule.fields))
    for spec in [draft.first] + draft.specs:
        if meets(rule.opening(), spec.attrs, year.when):
            allowed = (rule.allowed or {}).get(name)
            if allowed and year.rng.random() < 0.5:
                spec.attrs[name] = "其他"
            else:
                spec.attrs.pop(name, None)
            return


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

STRATEGIES: dict[str, Strategy] = {
    "deadline": Strategy(makes=lambda rule: CASE, needs=_deadline_needs,
                         procedures=_deadline_procedures,
                         with_procedure=_both(_deadline_procedure, _filter_events),
                         on_events=_break_deadline),
    "sequence": Strategy(makes=lambda rule: CASE, needs=_sequence_needs,
                         can_break=_sequence_can_break, procedures=_filter_procedures,
                         with_procedure=_filter_events, on_events=_break_sequence,
                         on_times=_swap_steps),
    "min_count": Strategy(makes=lambda rule: CASE, needs=_min_count_needs,
                          procedures=_filter_procedures, with_procedure=_filter_events,
                          on_events=_break_min_count),
    "ratio": Strategy(makes=lambda rule: MEMBER if rule.condition is not None else GRID,
                      needs=_ratio_needs, procedures=_ratio_procedures_all,
                      with_procedure=_exclude_member, on_events=_late_condition,
                      lay=lambda grid, rule: grid.ratio_values(rule)),
    "due_by": Strategy(makes=lambda rule: GRID if rule.subjects_list is not None else CASE,
                       needs=_due_by_needs, procedures=_filter_procedures,
                       with_procedure=_filter_events, on_events=_break_due_by,
                       lay=lambda grid, rule: grid.listed(rule)),
    "periodic": Strategy(makes=lambda rule: GRID, lay=lambda grid, rule: grid.periodic(rule)),
    "required_fields": Strategy(makes=lambda rule: CASE, needs=_scope_needs,
                                procedures=_filter_procedures, with_procedure=_filter_events,
                                on_fields=_fields_or_scope),
    "forbidden": Strategy(makes=lambda rule: CASE, needs=_scope_needs, opening_breaks=True,
                          procedures=_filter_procedures, with_procedure=_filter_events),
}

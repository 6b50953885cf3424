"""Scenarios: cases described relative to their opening, before any date is drawn.

A scenario is a list of event specs, each placed ``when`` relative to the case's opening (a
count of working days, days or hours, or a day of its own); DuckDB later draws the opening's
date for each case and turns every spec into an event.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ...model.rule import Matcher, RuleBase

#: When kinds (the ``kind`` column of the steps table).
START, REL_WORKDAYS, REL_DAYS, ABS_DAYS, BETWEEN, HOURS, GRID = range(7)


@dataclass
class Spec:
    """One event of a scenario. ``when``: (kind, k, anchor day number, seconds)."""

    attrs: dict[str, str]
    when: tuple[int, int, int, int]
    matchers: list[Matcher] = field(default_factory=list)
    bound: tuple[str, float] | None = None       # (unit, last allowed count) to comply
    fixed: bool = False
    droppable: set[str] = field(default_factory=set)
    needed: bool = False                          # some rule other than a ratio needs it
    chains: list[tuple[str, int]] = field(default_factory=list)
    owners: list["Need"] = field(default_factory=list)
    floor: float = 0                              # not before this count (a joined rule's)
    value: float = 0                              # the count it was given
    slot: tuple[int, int] = (0, 1)
    rank: int = 0
    order: int = 0

    @property
    def event_type(self) -> str:
        return self.attrs["event_type"]


@dataclass
class Scenario:
    """A kind of case: its events, how often it is drawn, the days it may open on."""

    name: str
    family: str
    intended: tuple[str, str] | None
    weight: float
    specs: list[Spec]
    date_lo: dt.date
    date_hi: dt.date
    bias: bool
    anytime: bool
    unit: str | None
    prefix: str


@dataclass
class Need:
    """An event some rule asks for after the opening."""

    rule: RuleBase
    matchers: list[Matcher]
    bound: tuple[str, float] | None = None
    chain: tuple[str, int] | None = None
    anchor: dt.date | None = None                 # due_by: the date it is due by
    drop: str | None = None                       # ratio condition: may be dropped
    separate: bool = False                        # never shared with another need
    fixed: tuple[str, float] | None = None        # (unit, count) after the opening
    floor: float = 0                              # not before this count
    extra: dict[str, str] = field(default_factory=dict)



def day_number(d: dt.date) -> int:
    """Days since 1970-01-01: how the SQL of the expansion names a day."""
    return (d - dt.date(1970, 1, 1)).days

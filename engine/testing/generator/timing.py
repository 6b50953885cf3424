"""Events for what the rules ask, and their times: which needs share one event, how many
working days (or days, hours) after the opening each event comes, and in what order.

The counts keep every limit on an event and the order of every sequence; a violation has
already fixed the events it moved, and those keep their place.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from ...model.rule import Matcher
from .matching import meets, satisfy
from .specs import (ABS_DAYS, BETWEEN, HOURS, REL_DAYS, REL_WORKDAYS, START, Need, Spec,
                    day_number)

if TYPE_CHECKING:
    from .year import Year


def merge(year: Year, needs: list[Need]) -> list[Spec] | None:
    """Events for the needs: a need shares an event with an earlier one when one event
    can meet both (one reply for the 5-day and the 1-day rule)."""
    specs: list[Spec] = []
    for need in needs:
        if not need.matchers:
            continue
        kept = list(need.matchers) + ([Matcher(dict(need.extra))] if need.extra else [])
        placed = False
        if not need.separate and need.fixed is None:
            for spec in specs:
                if any(n.separate or n.fixed is not None for n in spec.owners):
                    continue
                if any(n.rule is need.rule and n.chain is not None and need.chain is not None
                       for n in spec.owners):
                    continue
                attrs = satisfy(kept, dict(spec.attrs), year.lexicon, year.rng, year.when)
                if attrs is None or attrs["event_type"] != spec.event_type or \
                        not meets(spec.matchers, attrs, year.when):
                    continue
                spec.attrs = attrs
                spec.matchers += kept
                spec.owners.append(need)
                placed = True
                break
        if placed:
            continue
        attrs = None
        types = [t for m in need.matchers for t in m.event_types()] or list(year.lexicon.order)
        for t in types:
            attrs = satisfy(kept, {"event_type": t, **need.extra}, year.lexicon, year.rng,
                            year.when)
            if attrs is not None:
                break
        if attrs is None:
            return None
        specs.append(Spec(attrs, (REL_WORKDAYS, 0, 0, 0), kept, owners=[need]))
    for spec in specs:
        group = spec.owners
        bounds = [n.bound for n in group if n.bound is not None]
        spec.bound = min(bounds, key=lambda b: b[1]) if bounds else None
        spec.floor = max([n.floor for n in group], default=0)
        spec.needed = any(n.drop is None for n in group)
        spec.droppable = set() if spec.needed else {n.drop for n in group if n.drop}
        spec.chains = [n.chain for n in group if n.chain is not None]
        fixed = next((n for n in group if n.fixed is not None), None)
        anchored = next((n for n in group if n.anchor is not None), None)
        if fixed is not None:
            spec.fixed, spec.when = True, relative(fixed.fixed)
        elif anchored is not None:
            spec.fixed, spec.when = True, (BETWEEN, 0, day_number(anchored.anchor), 0)
    return specs


def relative(fixed: tuple[str, float]) -> tuple[int, int, int, int]:
    """A spec's ``when`` for (unit, count) after the opening."""
    unit, n = fixed
    if unit == "hours":
        return (HOURS, 0, 0, max(1, round(n * 3600)))
    return ((REL_WORKDAYS if unit == "workdays" else REL_DAYS), int(n), 0, 0)


def schedule(year: Year, specs: list[Spec], order_from: int = 0) -> None:
    """Give each free event a count of working days (or days, hours) after the opening
    that keeps every limit on it and the order of every sequence (the last allowed day
    about a third of the time)."""
    rng = year.rng
    succ: dict[int, list[int]] = defaultdict(list)
    pred: dict[int, list[int]] = defaultdict(list)
    chains: dict[str, dict[int, int]] = defaultdict(dict)
    for i, s in enumerate(specs):
        for chain_id, pos in s.chains:
            chains[chain_id].setdefault(pos, i)
    for positions in chains.values():
        ordered = [positions[p] for p in sorted(positions)]
        for a, b in zip(ordered, ordered[1:]):
            if a != b:
                succ[a].append(b)
                pred[b].append(a)
    order = _topo(len(specs), succ, pred)
    cap: dict[int, float] = {}
    for i in reversed(order):
        s = specs[i]
        bound = math.inf if s.fixed or s.bound is None else s.bound[1]
        for j in succ[i]:
            bound = min(bound, cap[j])
        cap[i] = bound
    for i in order:
        s = specs[i]
        low = max([specs[j].value for j in pred[i]] + [s.floor])
        if s.fixed:
            s.value = _count(year, s)
            continue
        unit = s.bound[0] if s.bound else "workdays"
        high = cap[i] if not math.isinf(cap[i]) else low + rng.randint(1, 10)
        if unit == "hours":
            seconds = int(max(low * 3600 + 60, min(high * 3600 - 60, rng.uniform(low, high) * 3600)))
            s.when, s.value = (HOURS, 0, 0, max(1, seconds)), seconds / 3600
            continue
        high_i, low_i = int(math.floor(high)), int(math.ceil(low))
        if low_i > high_i:
            k = low_i
        elif rng.random() < 0.3:
            k = high_i                              # on the last allowed day
        else:
            k = rng.randint(max(low_i, min(1, high_i)), high_i)
        s.when, s.value = (REL_WORKDAYS if unit == "workdays" else REL_DAYS, k, 0, 0), k
    for position, i in enumerate(order):
        specs[i].order = order_from + position



def _count(year: Year, s: Spec) -> float:
    """The count of a fixed event, roughly, in working days (its successors come after)."""
    kind, k, anchor, seconds = s.when
    if kind == HOURS:
        return seconds / 3600
    if kind in (REL_WORKDAYS, REL_DAYS):
        return k
    if kind == ABS_DAYS:
        return max(0, anchor + k - day_number(year.year_lo)) / 1.4
    return s.floor


def _topo(n: int, succ, pred) -> list[int]:
    """The specs in an order that keeps every sequence's steps (creation order otherwise)."""
    indeg = {i: len(set(pred[i])) for i in range(n)}
    ready = [i for i in range(n) if indeg[i] == 0]
    out: list[int] = []
    while ready:
        ready.sort()
        i = ready.pop(0)
        out.append(i)
        for j in set(succ[i]):
            indeg[j] -= 1
            if indeg[j] == 0:
                ready.append(j)
    out += [i for i in range(n) if i not in out]      # a cycle: keep creation order
    return out


def rank(specs: list[Spec]) -> None:
    """Chronological rank of each event and its slot among the events of its day."""
    def day_key(s: Spec) -> tuple:
        kind, k, anchor, seconds = s.when
        if kind == START:
            return (0, 0.0)
        if kind == HOURS:
            return (1, seconds / 86400)
        if kind == REL_WORKDAYS:
            return (1, k * 1.4)
        if kind == REL_DAYS:
            return (1, float(k))
        if kind == ABS_DAYS:
            return (2, float(anchor + k))
        return (1, 5.0)
    ordered = sorted(specs, key=lambda s: (day_key(s), s.order))
    for r, s in enumerate(ordered):
        s.rank = r
    groups: dict[tuple, list[Spec]] = defaultdict(list)
    for s in ordered:
        if s.when[0] not in (START, HOURS):
            groups[(s.when[0], s.when[1], s.when[2])].append(s)
    for members in groups.values():
        for j, s in enumerate(members):
            s.slot = (j, len(members))


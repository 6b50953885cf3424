"""Events and open cases as durable-rules facts: asserting them, reading back the matches,
retracting them once the clock has moved past them.

An event becomes one fact per ruleset group that can use its type (only the slots that
group's rules read), in the session of its case's shard. A case that opens becomes an
*open-case fact* in the same shard, which the events of the case join. The matches come
back as records (event, role, case) for ``lifecycle`` to apply in time order.
"""
from __future__ import annotations

import json
import math
import zlib
from collections import defaultdict
from typing import Callable, Iterable

from .cases import Case
from .input import Casts, StreamEvent
from .lifecycle import Record
from .rulesets import (MATCHED_ALONE, Engine, EngineLimit, Rulesets, RulesetRole, Slot,
                       flag_value)
from .times import from_us, sql_time_text

_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_MAX_FLOAT = 1.7976931348623157e308

#: (group, shard, fact id): where a fact is stored
FactRef = tuple[int, int, tuple[str, int]]


class Facts:
    """The facts of the events still held and of the open cases, in ``groups × shards``
    sessions of one ``Engine``."""

    def __init__(self, rulesets: Rulesets, engine: Engine, shards: int, casts: Casts):
        self.rulesets = rulesets
        self.engine = engine
        self.shards = shards
        self.casts = casts
        self.group_of = {r.index: g.index for g in rulesets.groups for r in g.rules}
        self.roles: dict[str, RulesetRole] = {}
        for r in rulesets.rules:
            self.roles.update(r.role_of)
        self.layouts: dict[tuple[int, str], tuple[Slot, ...] | None] = {}
        self.retained: list[StreamEvent] = []     # events of the latest time: still asserted

    def match(self, events: list[StreamEvent],
              open_case: Callable[[StreamEvent, RulesetRole], Case | None],
              cases: dict[int, Case]) -> list[Record]:
        """Assert the batch's events; open the cases they start (``open_case``) and assert
        those, so that events of the batch join them; return every match as a record."""
        engine = self.engine
        batch = {ev.serial: ev for ev in events}
        by_shard: dict[int, list[StreamEvent]] = defaultdict(list)
        for ev in events:
            by_shard[self.shard(ev.case_id)].append(ev)
        records: list[Record] = []
        for shard in sorted(by_shard):
            evs = by_shard[shard]
            opens: list[tuple[int, RulesetRole]] = []
            layouts = self.layouts
            for group in self.rulesets.groups:
                gi = group.index
                session = engine.sessions[gi][shard]
                facts = []
                for ev in evs:
                    layout = layouts.get((gi, ev.event_type), False)
                    if layout is False:
                        layout = self._layout(gi, ev.event_type)
                    if layout is None:
                        continue
                    mid = engine.new_id(session)
                    ev.facts.append((gi, shard, mid))
                    facts.append(self._event_fact(ev, mid[0], layout))
                if facts:
                    engine.room(session, 0)
                    opens += self._collect(engine.assert_facts(session, facts), records, cases)
            if opens:
                new_facts: dict[int, list[str]] = defaultdict(list)
                for serial, role in sorted(opens, key=lambda x: (x[0], x[1].rule)):
                    case = open_case(batch[serial], role)
                    if case is not None:
                        self._place(case, shard)
                        records.append((serial, role, case))
                        new_facts[case.group].append(_open_fact(case))
                for g, facts in new_facts.items():
                    session = engine.sessions[g][shard]
                    engine.room(session, 0)
                    more = self._collect(engine.assert_facts(session, facts), records, cases)
                    if more:
                        raise EngineLimit("internal: an open-case fact matched an opening rule")
        return records

    def retract(self, events: list[StreamEvent], latest: int | None, closed: list[FactRef]) -> None:
        """Retract the events the clock has moved past (those of the ``latest`` time stay:
        an opening at that same time may still join them) and the closed cases' facts."""
        engine = self.engine
        keep: list[StreamEvent] = []
        drop: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
        for ev in self.retained + events:
            if not ev.facts:
                continue
            if latest is not None and ev.ts >= latest:
                keep.append(ev)
                continue
            for g, s, mid in ev.facts:
                drop[(g, s)].append(mid)
            ev.facts = []
        self.retained = keep
        for (g, s), ids in drop.items():
            engine.retract(engine.sessions[g][s], ids)
        closing: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
        for g, s, mid in closed:
            closing[(g, s)].append(mid)
        for (g, s), ids in closing.items():
            engine.retract(engine.sessions[g][s], ids)

    def restore(self, cases: Iterable[Case], retained: list[dict]) -> None:
        """Assert again the facts of a saved state: its open cases and held events."""
        engine = self.engine
        facts: dict[tuple[int, int], list[str]] = defaultdict(list)
        for case in cases:
            self._place(case, self.shard(case.case_id))
            facts[(case.group, case.shard)].append(_open_fact(case))
        for item in retained:
            ev = StreamEvent.load(item)
            ev.facts = []
            shard = self.shard(ev.case_id)
            for group in self.rulesets.groups:
                layout = self._layout(group.index, ev.event_type)
                if layout is None:
                    continue
                mid = engine.new_id(engine.sessions[group.index][shard])
                ev.facts.append((group.index, shard, mid))
                facts[(group.index, shard)].append(self._event_fact(ev, mid[0], layout))
            self.retained.append(ev)
        for (g, s), texts in facts.items():
            # matches between restored facts were acted on before the state was saved
            engine.room(engine.sessions[g][s], 0)
            engine.assert_facts(engine.sessions[g][s], texts)

    def dump(self) -> list[dict]:
        return [ev.dump() for ev in self.retained]

    def shard(self, case_id: str) -> int:
        return zlib.crc32(case_id.encode("utf-8")) % self.shards

    # -- facts ------------------------------------------------------------------------

    def _place(self, case: Case, shard: int) -> None:
        """Give a case its session and an id for its open-case fact."""
        case.group = self.group_of[case.rule]
        case.shard = shard
        case.fact = self.engine.new_id(self.engine.sessions[case.group][shard])

    def _layout(self, group: int, event_type: str) -> tuple[Slot, ...] | None:
        key = (group, event_type)
        if key not in self.layouts:
            names = self.rulesets.groups[group].slots_for(event_type)
            self.layouts[key] = None if names is None else tuple(
                sorted((self.rulesets.slots.by_name[n] for n in names), key=lambda s: s.name))
        return self.layouts[key]

    def _event_fact(self, ev: StreamEvent, mid: str, layout: tuple[Slot, ...]) -> str:
        """The event as a fact: its id, number, case, time and the slots the rules read.
        Written out by hand: the slot names and ids are plain ASCII, values are encoded."""
        enc = _ENCODE
        parts = [f'{{"id":"{mid}","t":"e","i":{ev.serial},"c":{enc(ev.case_id)},"ts":{ev.ts}']
        values = ev.values
        for slot in layout:
            kind = slot.kind
            if kind == "text":
                v = values.get(slot.field)
                if v is not None:
                    parts.append(f',"{slot.name}":{enc(v)}')
            elif kind == "num":
                d = self.casts.double(values.get(slot.field))
                if d is not None and d == d:
                    d = d if math.isfinite(d) else math.copysign(_MAX_FLOAT, d)
                    parts.append(f',"{slot.name}":{d!r}')
            elif kind == "date":
                parts.append(f',"d":"{from_us(ev.ts).date().isoformat()}"')
            elif kind == "tstext":
                parts.append(f',"v":"{sql_time_text(ev.ts)}"')
            else:
                text = sql_time_text(ev.ts) if slot.field == "timestamp" else values.get(slot.field)
                if flag_value(slot, text):
                    parts.append(f',"{slot.name}":1')
        parts.append("}")
        return "".join(parts)

    def _collect(self, matches, out: list[Record],
                 cases: dict[int, Case]) -> list[tuple[int, RulesetRole]]:
        """Turn matches into records (event serial, role, case); return the openings."""
        opens: list[tuple[int, RulesetRole]] = []
        roles = self.roles
        for name, frames in matches:
            role = roles[name]
            if role.name == "open":
                opens.extend((fr["e"]["i"], role) for fr in frames)
            elif role.name in MATCHED_ALONE:     # the case, if any, is found in Python
                out.extend((fr["e"]["i"], role, None) for fr in frames)
            else:
                for fr in frames:
                    e, o = fr["e"], fr["o"]
                    if e["ts"] < o["ts"]:           # at or after the start only
                        continue
                    case = cases.get(o["k"])
                    if case is not None:
                        out.append((e["i"], role, case))
        return opens


def _open_fact(case: Case) -> str:
    """The open-case fact that events of the case join."""
    return (f'{{"id":"{case.fact[0]}","t":"o","r":{case.rule},"c":{_ENCODE(case.case_id)},'
            f'"ts":{case.start},"k":{case.serial}}}')

"""How an event becomes text: the pieces of each line that do not change from case to case.

The expansion's SQL only glues a case id, a time and a unit between these fixed fragments,
so a million events are written without Python touching each one.
"""
from __future__ import annotations

import json

from ...model.rule import CANONICAL_COLUMNS
from .grid import GridEvent
from .specs import Scenario
from .values import Lexicon


def csv_field(value: str | None) -> str:
    """A CSV field, quoted only when it must be."""
    if value is None:
        return ""
    if any(ch in value for ch in ',"\n\r') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def json_text(value: str) -> str:
    """A JSON string literal, Chinese kept as it is."""
    return json.dumps(value, ensure_ascii=False)


class Writer:
    """How an event becomes text: the fixed pieces of each step's line, computed once."""

    def __init__(self, scenarios: list[Scenario], grid: list[GridEvent], attributes: list[str],
                 fmt: str):
        self.scenarios = scenarios
        self.grid = grid
        self.attributes = attributes
        self.fmt = fmt

    def fragments(self, attrs: dict[str, str]) -> tuple[str, str]:
        """The text between case id and time, and the text after the unit."""
        etype = attrs["event_type"]
        if self.fmt == "jsonl":
            mid = f'","event_type":{json_text(etype)},"timestamp":"'
            tail = "".join(f",{json_text(a)}:{json_text(attrs[a])}" for a in self.attributes
                           if attrs.get(a) is not None) + "}"
            return mid, tail
        tail = "".join("," + csv_field(attrs.get(a)) for a in self.attributes)
        return f",{csv_field(etype)},", tail

    def unit_text(self, unit: str | None) -> str:
        """The unit as it follows the time: ``,U`` in CSV, ``","unit":"U"`` in JSON lines."""
        if self.fmt == "jsonl":
            return '"' + (f",\"unit\":{json_text(unit)}" if unit is not None else "")
        return "," + csv_field(unit)

    def case_text(self, case_id: str) -> str:
        """A whole case id as the line spells it (a grid case's id is written in full)."""
        return json_text(case_id)[1:-1] if self.fmt == "jsonl" else csv_field(case_id)

    def header(self) -> str:
        """The CSV header: the canonical columns, then the attributes."""
        return ",".join(["case_id", "event_type", "timestamp", "unit"] + self.attributes)


def attribute_order(scenarios: list[Scenario], grid: list[GridEvent],
                    lexicon: Lexicon) -> list[str]:
    """The attribute columns: those the vocabulary lists, in its order, then the others."""
    used: set[str] = set()
    for s in scenarios:
        for spec in s.specs:
            used.update(k for k in spec.attrs if k not in CANONICAL_COLUMNS)
    for _, _, _, attrs, _ in grid:
        used.update(k for k in attrs if k not in CANONICAL_COLUMNS)
    known = [a for a in lexicon.attributes if a in used]
    return known + sorted(used - set(known))


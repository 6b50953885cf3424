"""Matchers read straight from a rule's raw mapping (``{field: value, field|op: value}``):
every entry must hold, several values mean any of them (docs/contract.md, *Matchers*).

The oracle parses the mapping itself (``Matcher.root``), so a mistake in the rule model's
reading of matchers, shared by both engines, shows up as a difference from the truth.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable, Mapping

from .log import Event, Log

#: One ``field|op: values`` entry of a matcher.
Criterion = tuple[str, str, tuple]

_COMPARE = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
            "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


def criteria(*mappings: Mapping[str, Any] | None) -> tuple[Criterion, ...]:
    """Every entry of the raw matcher mappings given (None: no matcher), in order."""
    out = []
    for mapping in mappings:
        for key, value in (mapping or {}).items():
            field, _, op = key.partition("|")
            out.append((field, op or "eq", tuple(value) if isinstance(value, list) else (value,)))
    return tuple(out)


def meets(tests: Iterable[Criterion], event: Event) -> bool:
    """Whether an event meets every criterion (none: always)."""
    return all(_holds(event, field, op, values) for field, op, values in tests)


def candidates(log: Log, tests: tuple[Criterion, ...]) -> list[Event]:
    """Events that can meet ``tests`` (narrowed by their first event-type equality), in
    log order."""
    for field, op, values in tests:
        if field == "event_type" and op == "eq":
            names = {text(v) for v in values}
            if len(names) == 1:
                return log.by_type.get(next(iter(names)), [])
            return sorted((e for n in names for e in log.by_type.get(n, [])), key=lambda e: e.key)
    return log.events


def number(value: Any) -> float | None:
    """The number a value's text holds, or None."""
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def text(value: Any) -> str:
    """A value as a log's text: ``true``/``false``, ``5`` for 5.0, times to the second."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_moment(v: Any) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    return dt.datetime.combine(v, dt.time())


def _equals(actual: Any, field: str, v: Any) -> bool:
    if actual is None:
        return False
    if field == "timestamp":
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return actual.date() == v
        return text(actual) == text(v)
    if _is_number(v):
        n = number(actual)
        return n is not None and n == float(v)
    return str(actual) == text(v)


def _holds(event: Event, field: str, op: str, values: tuple) -> bool:
    actual = event.get(field)
    if op == "exists":
        present = actual is not None and str(actual).strip() != ""
        return present if values[0] else not present
    if op == "eq":
        return any(_equals(actual, field, v) for v in values)
    if op == "ne":
        return not any(_equals(actual, field, v) for v in values)
    if actual is None:
        return False
    if op in _COMPARE:
        cmp = _COMPARE[op]
        for v in values:
            if field == "timestamp":
                if cmp(actual, _as_moment(v)):
                    return True
            elif _is_number(v):
                n = number(actual)
                if n is not None and cmp(n, float(v)):
                    return True
            elif cmp(str(actual), text(v)):
                return True
        return False
    shown = text(actual)
    if op == "contains":
        return any(str(v) in shown for v in values)
    if op == "startswith":
        return any(shown.startswith(str(v)) for v in values)
    if op == "re":
        return any(re.search(str(v), shown) is not None for v in values)
    raise ValueError(f"unknown operator {op!r}")

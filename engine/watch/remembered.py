"""Memory of closed cases: what ``watch`` must still know about a case after its facts
are gone, bounded by the clock.

A case opens once (a later start of the same case is ignored, as in ``check``), an
event finding is given once per case, and a counted event or an end may come before its
case's subject or start; so the keys of cases already opened, of findings already given,
of early counts and of ends before the start are kept, per rule, for at least
``--remember-days`` of clock time, in two generations.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any


class Remembered:
    """Keys per rule (cases already opened, findings already given, early counts and ends),
    kept for at least ``days`` of clock time and at most twice that, and dropped for good
    once the rule's effective window is over (nothing can open after it)."""

    def __init__(self, days: int):
        self.span = days * 86_400 * 1_000_000
        self.start: int | None = None
        self.current: dict[int, dict[str, Any]] = defaultdict(dict)
        self.previous: dict[int, dict[str, Any]] = defaultdict(dict)

    def get(self, rule: int, key: str, default=None):
        cur = self.current.get(rule)
        if cur is not None and key in cur:
            return cur[key]
        prev = self.previous.get(rule)
        if prev is not None and key in prev:
            return prev[key]
        return default

    def __contains__(self, item: tuple[int, str]) -> bool:
        rule, key = item
        return key in self.current.get(rule, ()) or key in self.previous.get(rule, ())

    def put(self, rule: int, key: str, value: Any = True) -> None:
        self.current[rule][key] = value

    def setdefault(self, rule: int, key: str, default: Any) -> Any:
        """The value kept for ``key``, or ``default``, now kept."""
        found = self.get(rule, key)
        if found is None:
            self.put(rule, key, default)
            return default
        return found

    def pop(self, rule: int, key: str, default=None):
        found = self.current.get(rule, {}).pop(key, None)
        older = self.previous.get(rule, {}).pop(key, None)
        return found if found is not None else (older if older is not None else default)

    def tick(self, clock: int) -> None:
        if self.start is None:
            self.start = clock
        elif clock - self.start >= self.span:
            self.previous = self.current
            self.current = defaultdict(dict)
            self.start = clock

    def forget_rule(self, rule: int) -> None:
        self.current.pop(rule, None)
        self.previous.pop(rule, None)

    def size(self) -> int:
        return sum(len(v) for v in self.current.values()) + sum(len(v) for v in self.previous.values())

    def dump(self, ids: list[str], encode=lambda v: v) -> dict:
        return {"start": self.start,
                "current": {ids[r]: {k: encode(v) for k, v in d.items()} for r, d in self.current.items() if d},
                "previous": {ids[r]: {k: encode(v) for k, v in d.items()} for r, d in self.previous.items() if d}}

    def load(self, data: dict, index: dict[str, int], decode=lambda v: v) -> None:
        self.start = data["start"]
        for name in ("current", "previous"):
            target = defaultdict(dict)
            for rid, d in data[name].items():
                target[index[rid]] = {k: decode(v) for k, v in d.items()}
            setattr(self, name, target)

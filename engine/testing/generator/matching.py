"""Matchers, the generator's way: whether a planned event meets them, and how to change its
attributes so that it meets them, or misses them while still meeting others.

A planned event is a dict of texts (``event_type``, ``unit`` and attributes) judged at a
fixed moment of the year (dates are the business of the scenario's window); it has no case
id or event id yet. The generator reads matchers through the rule model
(``Matcher.conditions``) and judges them here, on its own: the oracle, which computes the
known answers, shares none of this code.
"""
from __future__ import annotations

import datetime as dt
import operator
import random
import re
from typing import Any, Sequence

from ...model.rule import Condition, Matcher
from .values import Lexicon, filler, number_text, scalar

#: Tests of a text against one matcher value, for the text operators.
TEXT_TESTS = {"contains": lambda t, v: str(v) in t,
              "startswith": lambda t, v: t.startswith(str(v)),
              "re": lambda t, v: re.search(str(v), t) is not None}
_ORDER = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def meets(matchers: Sequence[Matcher | None], attrs: dict[str, str], when: dt.datetime) -> bool:
    """Whether the event ``attrs`` describe, at ``when``, meets every matcher."""
    return all(holds(c, attrs, when) for m in matchers if m is not None for c in m.conditions)


def holds(c: Condition, attrs: dict[str, str], when: dt.datetime) -> bool:
    """Whether one condition holds for the planned event."""
    actual = _column(c.field, attrs, when)
    if c.op == "exists":
        return (actual is not None and str(actual).strip() != "") == bool(c.values[0])
    if c.op in ("eq", "ne"):
        equal = actual is not None and any(_same(actual, c.field, v) for v in c.values)
        return equal if c.op == "eq" else not equal
    if actual is None:
        return False
    if c.op in _ORDER:
        return any(_ordered(c.op, actual, c.field, v) for v in c.values)
    return any(TEXT_TESTS[c.op](scalar(actual), v) for v in c.values)


def _column(name: str, attrs: dict[str, str], when: dt.datetime) -> Any:
    """The planned event's value for a column: its moment, no ids yet, else its text."""
    if name == "timestamp":
        return when
    if name in ("case_id", "event_id"):
        return None
    return attrs.get(name)


def _numeric(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _same(actual: Any, field: str, v: Any) -> bool:
    """Equality as a log holds it: a time by its date or its text, a number by value."""
    if field == "timestamp":
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return actual.date() == v
        return scalar(actual) == scalar(v)
    if _numeric(v):
        return number_text(actual) == float(v)
    return str(actual) == scalar(v)


def _ordered(op: str, actual: Any, field: str, v: Any) -> bool:
    """A comparison: times with times, numbers with numbers, else texts."""
    if field == "timestamp":
        moment = v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time())
        return _ORDER[op](actual, moment.replace(tzinfo=None))
    if _numeric(v):
        number = number_text(actual)
        return number is not None and _ORDER[op](number, float(v))
    return _ORDER[op](str(actual), scalar(v))


def _meet_condition(attrs: dict[str, str], c: Condition, lexicon: Lexicon, rng: random.Random) -> bool:
    """Change ``attrs`` so that condition ``c`` holds; False if it cannot."""
    name, op, values = c.field, c.op, c.values
    if name == "timestamp":
        return True                                  # dates are handled by the window
    current = attrs.get(name)
    candidates = [v for v in lexicon.values.get(name, []) if v]
    if op == "exists":
        if values[0]:
            attrs.setdefault(name, filler(name, lexicon, rng))
        else:
            attrs.pop(name, None)
        return True
    if op == "eq":
        texts = [scalar(v) for v in values]
        if current in texts:
            return True
        if name == "event_type" and current is not None:
            return False
        attrs[name] = rng.choice(texts)
        return True
    if op == "ne":
        texts = {scalar(v) for v in values}
        if current is None or current not in texts:
            if current is None and name != "event_type":
                others = [v for v in candidates if v not in texts]
                if others:
                    attrs[name] = rng.choice(others)
            return True
        if name == "event_type":
            return False
        others = [v for v in candidates if v not in texts] or ["其他"]
        attrs[name] = rng.choice(others)
        return True
    if op in ("contains", "startswith", "re"):
        test = TEXT_TESTS[op]
        if current is not None and any(test(current, v) for v in values):
            return True
        good = [x for x in candidates if any(test(x, v) for v in values)]
        if good:
            attrs[name] = rng.choice(good)
            return True
        v = str(values[0])
        guess = {"contains": f"{v}专栏", "startswith": f"{v}事项"}.get(op)
        if guess is None:
            guess = re.sub(r"[\^\$\\\.\*\+\?\(\)\[\]\{\}\|]", "", v)
        if test(guess, values[0]):
            attrs[name] = guess
            return True
        return False
    if op in ("gt", "gte", "lt", "lte"):
        v = values[0]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            step = {"gt": 1, "gte": 0, "lt": -1, "lte": 0}[op]
            attrs[name] = scalar(v + step) if isinstance(v, int) else scalar(v + step * 0.5)
            return True
        text = str(v)
        if op in ("gte", "lte"):
            attrs[name] = text
        elif op == "gt":
            attrs[name] = text + "0"                 # a longer text sorts after its prefix
        elif len(text) > 1:
            attrs[name] = text[:-1]                  # and a prefix sorts before it
        else:
            return False
        return True
    return False


def satisfy(matchers: Sequence[Matcher | None], attrs: dict[str, str], lexicon: Lexicon,
            rng: random.Random, when: dt.datetime) -> dict[str, str] | None:
    """``attrs`` changed as little as needed to meet every matcher, or None if impossible."""
    for _ in range(3):
        out = dict(attrs)
        ok = all(_meet_condition(out, c, lexicon, rng)
                 for m in matchers if m is not None for c in m.conditions)
        if ok and meets(matchers, out, when):
            return out
    return None


def _break_condition(attrs: dict[str, str], c: Condition, lexicon: Lexicon, rng: random.Random,
                     keep: Sequence[Matcher], when: dt.datetime) -> bool:
    """Change ``attrs`` so that condition ``c`` fails while ``keep`` still holds."""
    name, op, values = c.field, c.op, c.values
    if name in ("event_type", "timestamp", "case_id"):
        return False
    texts = {scalar(v) for v in values}
    candidates = [v for v in lexicon.values.get(name, []) if v]
    options: list[str | None] = []
    if op == "eq":
        options = [v for v in candidates if v not in texts] + ["其他", None]
    elif op == "ne":
        options = [scalar(values[0])]
    elif op == "exists":
        options = [None] if values[0] else [filler(name, lexicon, rng)]
    elif op in ("contains", "startswith", "re"):
        options = [v for v in candidates if not holds(c, {name: v}, when)] + ["其他", None]
    elif op in ("gt", "gte", "lt", "lte"):
        v = values[0]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            options = [scalar(v - 1 if op in ("gt", "gte") else v + 1)]
    for option in options:
        trial = dict(attrs)
        if option is None:
            trial.pop(name, None)
        else:
            trial[name] = option
        if not holds(c, trial, when) and meets(keep, trial, when):
            attrs.clear()
            attrs.update(trial)
            return True
    return False


def avoid(matcher_set: Sequence[Matcher | None], attrs: dict[str, str], lexicon: Lexicon,
          rng: random.Random, keep: Sequence[Matcher], when: dt.datetime) -> bool:
    """Make ``attrs`` miss the conjunction ``matcher_set`` (break one condition), keeping
    ``keep`` met. True when the event no longer meets the set."""
    if not meets(matcher_set, attrs, when):
        return True
    conditions = [c for m in matcher_set if m is not None for c in m.conditions]
    rng.shuffle(conditions)
    return any(_break_condition(attrs, c, lexicon, rng, keep, when) for c in conditions)



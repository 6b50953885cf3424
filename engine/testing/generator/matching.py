"""Meeting and breaking matchers: the attributes an event needs to meet a rule's matchers,
or to miss them while still meeting others.

An event is built as a dict of texts (``event_type``, ``unit`` and attributes); it is judged
at a fixed moment of the year, since dates are the business of the scenario's window.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from typing import Sequence

from ...model.rule import CANONICAL_COLUMNS, Matcher
from ..oracle import Event, matches, matches_all
from .values import Lexicon, filler, scalar


def probe(attrs: dict[str, str], when: dt.datetime) -> Event:
    """The event ``attrs`` describe, at ``when``, to judge it against matchers."""
    return Event(case_id="probe", event_type=attrs.get("event_type", ""), timestamp=when,
                 unit=attrs.get("unit"),
                 attrs=tuple((k, v) for k, v in attrs.items() if k not in CANONICAL_COLUMNS),
                 order=0)


def _meet_condition(attrs: dict[str, str], c, lexicon: Lexicon, rng: random.Random) -> bool:
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
        test = {"contains": lambda t, v: str(v) in t, "startswith": lambda t, v: t.startswith(str(v)),
                "re": lambda t, v: re.search(str(v), t) is not None}[op]
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
        if ok and matches_all(matchers, probe(out, when)):
            return out
    return None


def _break_condition(attrs: dict[str, str], c, lexicon: Lexicon, rng: random.Random,
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
        options = [v for v in candidates if not matches(Matcher({f"{name}|{op}": list(values)}),
                                                        probe({name: v}, when))] + ["其他", None]
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
        event = probe(trial, when)
        if not _holds_one(c, event) and matches_all(keep, event):
            attrs.clear()
            attrs.update(trial)
            return True
    return False


def _holds_one(c, event: Event) -> bool:
    key = c.field if c.op == "eq" else f"{c.field}|{c.op}"
    return matches(Matcher({key: list(c.values) if len(c.values) > 1 else c.values[0]}), event)


def avoid(matcher_set: Sequence[Matcher | None], attrs: dict[str, str], lexicon: Lexicon,
          rng: random.Random, keep: Sequence[Matcher], when: dt.datetime) -> bool:
    """Make ``attrs`` miss the conjunction ``matcher_set`` (break one condition), keeping
    ``keep`` met. True when the event no longer meets the set."""
    if not matches_all(matcher_set, probe(attrs, when)):
        return True
    conditions = [c for m in matcher_set if m is not None for c in m.conditions]
    rng.shuffle(conditions)
    return any(_break_condition(attrs, c, lexicon, rng, keep, when) for c in conditions)



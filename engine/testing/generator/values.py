"""Values: what the vocabulary says an attribute holds, and plausible text for the rest.

An attribute's example values come from its description in ``rules/vocabulary.yaml``
(quoted words, a list in brackets, "如…") and from the values the rules themselves name, so
an event built to meet ``问题类别: 简单常见`` or to miss it has a value a real log could hold.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from typing import Any, Sequence

from ...model.rule import RuleBase
from ...model.vocabulary import Vocabulary
from .city import NAMES
from .rates import LIMIT_CHOICES

_QUOTED = re.compile(r"[“\"]([^”\"]{1,20})[”\"]")
_PAREN = re.compile(r"[（(]([^）)]{1,80})[）)]")
_SAYS = re.compile(r"如([^；。（(]{1,80})")
_SPLIT = re.compile(r"[、，,/]")


class Lexicon:
    """The words of a log as the generator draws them: every event type in order (the
    vocabulary's, then those only rules name) with its system, the vocabulary's attributes,
    and example values for attributes (from their descriptions and from the rules)."""

    def __init__(self, vocabulary: Vocabulary | None, rules: Sequence[RuleBase]):
        self.vocabulary = vocabulary
        self.order: list[str] = list(vocabulary.event_types) if vocabulary else []
        self.attributes: list[str] = list(vocabulary.attributes) if vocabulary else []
        self.values: dict[str, list[str]] = defaultdict(list)
        for term in (vocabulary.attributes.values() if vocabulary else ()):
            self.values[term.name].extend(_examples(term.description))
        for rule in rules:          # values the rules themselves name are values too
            for _, m in rule.matchers():
                for c in m.conditions:
                    if c.op in ("eq", "ne") and c.field not in ("event_type", "timestamp"):
                        for v in c.values:
                            if not isinstance(v, bool) and str(v) not in self.values[c.field]:
                                self.values[c.field].append(scalar(v))
            for name, values in (getattr(rule, "allowed", None) or {}).items():
                for v in values:
                    if scalar(v) not in self.values[name]:
                        self.values[name].append(scalar(v))
        named = set(self.order)
        for rule in rules:
            for t in rule_event_types(rule):
                if t not in named:
                    named.add(t)
                    self.order.append(t)

    def system(self, event_type: str) -> str:
        """The system that records an event type ("" when the vocabulary does not say)."""
        known = self.vocabulary.system(event_type) if self.vocabulary else None
        return known or ""


def _examples(description: str) -> list[str]:
    """The example values a description gives: quoted words, a bracketed list, "如…"."""
    found: list[str] = []
    for pattern in (_QUOTED, _PAREN, _SAYS):
        for group in pattern.findall(description):
            for item in _SPLIT.split(group):
                item = item.strip().removesuffix("等").strip("“”\"' ")
                if 0 < len(item) <= 20 and " " not in item and item not in found:
                    found.append(item)
    return found


def number_text(value: str | None) -> float | None:
    """The number a text holds, or None (a value some rule reads must be a number)."""
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def scalar(v: Any) -> str:
    """A matcher value as the text an event holds (``5`` for 5.0, ``true`` for True)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return str(v)


def rule_event_types(rule: RuleBase) -> list[str]:
    """The event types a rule names anywhere, in the order it names them."""
    out: list[str] = []
    for _, m in rule.matchers():
        for t in m.event_types():
            if t not in out:
                out.append(t)
    return out


def filler(name: str, lexicon: Lexicon, rng: random.Random) -> str:
    """A plausible non-blank value for an attribute no condition looks at."""
    if "电话" in name:
        return f"0739-{rng.randint(5000000, 5999999)}"
    if name.endswith("人") or name.endswith("人员"):
        return rng.choice(NAMES)
    if any(w in name for w in ("人口", "用户数", "余额", "限额", "数")):
        return str(rng.randint(1000, 90000))
    values = [v for v in lexicon.values.get(name, []) if v]
    if values:
        return rng.choice(values)
    if "时限" in name or "期限" in name:
        return f"{rng.choice(LIMIT_CHOICES)}个工作日"
    if "意见" in name or "结论" in name or "结果" in name:
        return rng.choice(("同意公开", "符合要求", "已审核通过"))
    return f"{name}（已载明）"

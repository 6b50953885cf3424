"""Synthetic event logs of a city (邵阳) with violations injected at known rates.

``govcheck fixtures generate`` writes a log that exercises every rule of the library that
applies in a year: for each rule it builds cases whose events meet or break the rule's
matchers and limits, counted on the working-day calendar. Nothing here knows a particular
rule: the cases are built from the rule model (``model.rule``), kind by kind, so a new
YAML rule is covered without new Python.

How a log is built
------------------
1. **Families.** Case rules (deadline, sequence, min_count, due_by, required_fields,
   forbidden) and ratio rules with a ``condition`` are grouped by the event type that opens
   their cases (``咨询受理``, ``工单受理``…). For each rule of a family a *profile* is
   made: an opening event whose attributes meet that rule's opening matchers. A profile is
   judged by every rule of the family it happens to meet (a 简单常见 question by both the
   5-day and the 1-day rule), as in a real log.
2. **Scenarios.** For each profile: one compliant case (every applicable rule kept, its
   follow-up events placed within the tightest limit, on working days, in the order the
   steps are listed), and one case per (rule, violation type) that breaks that rule as its
   kind allows: a reply one to five working days late or missing, a step dropped or two
   ordered steps swapped, one interpretation form too few (or two of the same form), the
   required event after the date, a field left blank, a forbidden attribute value.
   Deadline rules with a pause, restart or extension get cases that use them. Events that
   several rules ask for are shared (one reply serves the 5-day and the 1-day rule), and a
   violation is made on the events themselves: the shared reply is moved or removed, so a
   rule's twin (the same requirement in another city's document) is broken with it, and
   the 1-day rule with the 5-day one. A follow-up event that opens a case of another rule
   (办件办结 opening 办结→评价邀请) brings that rule's events too. Every event is completed
   so that it meets the ``required_fields`` rules and avoids the ``forbidden`` ones that
   apply to it, unless breaking that rule is the point of the case, and carries the
   numbers any rule of the library reads from it (承诺时限, 延长工作日, a ratio's values).
   Event types no rule of the year uses come from compliant cases of other years' rules
   (受理→答复 pairs), or alone.
3. **Ratios** with a ``condition``: each member's condition event is dropped with a
   probability that depends on its unit; about a third of the units are *weak* for each
   rule and fall below its threshold. **Periodic** rules, ratio rules with a ``value`` and
   ``due_by`` rules with ``subjects_list`` get an explicit grid (unit × period), with
   periods missed at known rates; a period that closed before the year is left missing (a
   log of the year cannot hold it).
4. **Volume.** Cases are drawn by weight (comply mostly, each violation at a few per
   cent), after a first pass that runs every scenario once so a small log still covers
   everything. Start dates fall in the year (national rules, with no end date, keep opening
   cases into January; timed rules start more often just before a holiday or on a 调休
   working day), times of day in office hours (any hour for citizens' messages), units among
   邵阳's counties, districts and 市直 departments. The draws are hashes of (seed, case)
   evaluated by DuckDB, which also expands cases into events, sorts them by time and
   writes the file, so millions of events are written per second. The log runs to
   ``horizon`` (20 January of the next year) and holds exactly ``events`` rows: the
   latest ones are left out.

The known answers (``--truth``) are not taken from the scenarios: several rules judge the
same events, so the expected findings are computed by ``testing.oracle`` (an independent,
per-case reading of the contract) over the file actually written. ``Summary.intended``
counts the cases each scenario broke on purpose, per (rule, type); twins and interactions
make the truth larger. A seed gives the same bytes with the same library and DuckDB version
(the draws use DuckDB's ``hash``).
"""
from __future__ import annotations

import datetime as dt
import math
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import duckdb

from ..data.calendar import WorkCalendar
from ..data.sqltext import quote_ident, quote_string
from ..errors import GovcheckError
from ..model.loader import load_rules
from ..model.rule import (CANONICAL_COLUMNS, KIND_TYPES, DeadlineRule, DueByRule, Duration,
                          ForbiddenRule, LoadedRule, Matcher, MinCountRule, PeriodicRule,
                          RatioRule, RequiredFieldsRule, RuleBase, SequenceRule)
from .oracle import Event, matches, matches_all, period_bounds, period_label
from ..model.yamlsource import load_yaml

__all__ = ["Options", "Summary", "generate", "covered_rules", "UNITS", "GeneratorError"]

# ---------------------------------------------------------------------------
# The city
# ---------------------------------------------------------------------------

#: 邵阳's counties, county-level cities, districts and the development zone named in the
#: work-point documents (../shared/seeds), and the 市直 departments they name.
COUNTIES = ("邵东市", "武冈市", "新邵县", "邵阳县", "隆回县", "洞口县", "绥宁县", "新宁县",
            "城步县", "大祥区", "邵阳经开区")
DEPARTMENTS = ("市行政审批服务局", "市发改委", "市教育局", "市工信局", "市公安局", "市民政局",
               "市司法局", "市财政局", "市人社局", "市自然资源和规划局", "市生态环境局",
               "市住建局", "市城市管理局", "市交通运输局", "市农业农村局", "市商务局",
               "市文旅广体局", "市卫健委", "市应急管理局", "市市场监管局", "市医保局",
               "市税务局", "市科技局", "市乡村振兴局")
UNITS = COUNTIES + DEPARTMENTS

#: Systems whose cases citizens open, at any hour of any day.
PUBLIC_SYSTEMS = ("留言板/市长信箱", "12345热线", "好差评系统")
#: Case id prefixes by recording system.
SYSTEM_CODES = {"留言板/市长信箱": "LY", "12345热线": "RX", "审批系统": "SP",
                "电子监察(红黄牌)": "JC", "政务公开平台": "GK", "财政": "CZ", "好差评系统": "PJ",
                "网站管理": "WZ"}
#: How many cases a system produces relative to the others (a city-year's proportions).
VOLUME = {"12345热线": 8.0, "留言板/市长信箱": 6.0, "审批系统": 4.0, "好差评系统": 2.0}

#: Share of a profile's cases that break one rule in one way, by kind and violation type.
RATES = {
    ("deadline", "late"): 0.06, ("deadline", "overdue_open"): 0.02,
    ("sequence", "missing_step"): 0.04, ("sequence", "out_of_order"): 0.03,
    ("sequence", "late"): 0.03, ("min_count", "insufficient"): 0.06,
    ("due_by", "missing_by_date"): 0.05, ("due_by", "late"): 0.04,
    ("required_fields", "missing_field"): 0.03, ("forbidden", "forbidden"): 0.02,
}
#: Deadline cases that use a rule's pause, restart or extension (share of the profile).
PROCEDURES = {"paused": 0.04, "paused_late": 0.015, "still_paused": 0.01,
              "restarted": 0.04, "restarted_late": 0.015,
              "extended": 0.04, "extended_late": 0.015}
#: At most this share of a profile's cases break something.
MAX_BROKEN = 0.5
#: Share of the units that fall below each ratio rule's threshold.
WEAK_UNITS = 0.3
#: Chance that a periodic rule's unit misses a period, by period length.
MISS_PERIOD = {"day": 0.02, "week": 0.04, "month": 0.06, "quarter": 0.12, "year": 0.2}
#: Limits read from the log (承诺时限) are drawn from these working-day counts.
LIMIT_CHOICES = (1, 3, 5, 7, 10, 15, 20)

OFFICE_START = 8 * 3600 + 30 * 60       # 08:30
OFFICE_SPAN = 9 * 3600                  # to 17:30
BUCKETS = 1 << 20
#: Added to case numbers in the sort key so that the grid's (negative) cases sort first.
GRID_OFFSET = 1 << 22
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周婷", "吴刚",
         "徐丽", "孙浩", "胡军", "朱琳", "高峰", "林雪", "何勇", "郭靖", "马超", "罗敏")


class GeneratorError(GovcheckError):
    """The log asked for cannot be generated (too few events, a year no calendar covers)."""


@dataclass(frozen=True)
class Options:
    events: int
    seed: int = 1
    year: int = 2022
    format: str = "csv"                      # csv | parquet | jsonl
    rules: Sequence[str | Path] = ()         # default: the shipped library
    calendars: Sequence[str | Path] = ()


@dataclass
class Summary:
    """What a generation produced, for the command line and the tests."""

    path: str
    events: int
    cases: int
    scenarios: int
    rules_covered: tuple[str, ...]
    as_of: str
    seconds: float
    intended: dict[tuple[str, str], int] = field(default_factory=dict)
    truth_path: str | None = None
    truth_findings: int | None = None
    truth_seconds: float | None = None

    def lines(self) -> list[str]:
        rate = self.events / self.seconds if self.seconds else 0
        out = [f"{self.path}: {self.events} events, {self.cases} cases, {self.scenarios} "
               f"scenarios over {len(self.rules_covered)} rules, up to {self.as_of} "
               f"({self.seconds:.2f} s, {rate:,.0f} events/s)"]
        if self.truth_path is not None:
            out.append(f"{self.truth_path}: {self.truth_findings} expected findings "
                       f"({self.truth_seconds:.2f} s)")
        return out


# ---------------------------------------------------------------------------
# Values: what the vocabulary says an attribute holds
# ---------------------------------------------------------------------------

_QUOTED = re.compile(r"[“\"]([^”\"]{1,20})[”\"]")
_PAREN = re.compile(r"[（(]([^）)]{1,80})[）)]")
_SAYS = re.compile(r"如([^；。（(]{1,80})")
_SPLIT = re.compile(r"[、，,/]")


class Vocabulary:
    """Event types (with their system) and attributes (with example values)."""

    def __init__(self, path: Path | None, rules: Sequence[RuleBase]):
        self.systems: dict[str, str] = {}
        self.order: list[str] = []
        self.values: dict[str, list[str]] = defaultdict(list)
        self.attributes: list[str] = []
        if path is not None and path.is_file():
            data = load_yaml(path).data or {}
            for name, info in (data.get("event_types") or {}).items():
                self.order.append(str(name))
                self.systems[str(name)] = str((info or {}).get("system", ""))
            for name, info in (data.get("attributes") or {}).items():
                self.attributes.append(str(name))
                self.values[str(name)].extend(_examples(str((info or {}).get("description", ""))))
        for rule in rules:          # values the rules themselves name are values too
            for _, m in rule.matchers():
                for c in m.conditions:
                    if c.op in ("eq", "ne") and c.field not in ("event_type", "timestamp"):
                        for v in c.values:
                            if not isinstance(v, bool) and str(v) not in self.values[c.field]:
                                self.values[c.field].append(_scalar(v))
            for name, values in (getattr(rule, "allowed", None) or {}).items():
                for v in values:
                    if _scalar(v) not in self.values[name]:
                        self.values[name].append(_scalar(v))
        for rule in rules:
            for t in _rule_event_types(rule):
                if t not in self.systems:
                    self.systems[t] = ""
                    self.order.append(t)

    def system(self, event_type: str) -> str:
        return self.systems.get(event_type, "")


def _examples(description: str) -> list[str]:
    found: list[str] = []
    for pattern in (_QUOTED, _PAREN, _SAYS):
        for group in pattern.findall(description):
            for item in _SPLIT.split(group):
                item = item.strip().removesuffix("等").strip("“”\"' ")
                if 0 < len(item) <= 20 and " " not in item and item not in found:
                    found.append(item)
    return found


def _number_text(value: str | None) -> float | None:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return str(v)


def _rule_event_types(rule: RuleBase) -> list[str]:
    out: list[str] = []
    for _, m in rule.matchers():
        for t in m.event_types():
            if t not in out:
                out.append(t)
    return out


def _filler(name: str, vocab: Vocabulary, rng: random.Random) -> str:
    """A plausible non-blank value for an attribute no condition looks at."""
    if "电话" in name:
        return f"0739-{rng.randint(5000000, 5999999)}"
    if name.endswith("人") or name.endswith("人员"):
        return rng.choice(NAMES)
    if any(w in name for w in ("人口", "用户数", "余额", "限额", "数")):
        return str(rng.randint(1000, 90000))
    values = [v for v in vocab.values.get(name, []) if v]
    if values:
        return rng.choice(values)
    if "时限" in name or "期限" in name:
        return f"{rng.choice(LIMIT_CHOICES)}个工作日"
    if "意见" in name or "结论" in name or "结果" in name:
        return rng.choice(("同意公开", "符合要求", "已审核通过"))
    return f"{name}（已载明）"


# ---------------------------------------------------------------------------
# Meeting and breaking matchers
# ---------------------------------------------------------------------------

def _probe(attrs: dict[str, str], when: dt.datetime) -> Event:
    return Event(case_id="probe", event_type=attrs.get("event_type", ""), timestamp=when,
                 unit=attrs.get("unit"),
                 attrs=tuple((k, v) for k, v in attrs.items() if k not in CANONICAL_COLUMNS),
                 order=0)


def _meet_condition(attrs: dict[str, str], c, vocab: Vocabulary, rng: random.Random) -> bool:
    """Change ``attrs`` so that condition ``c`` holds; False if it cannot."""
    name, op, values = c.field, c.op, c.values
    if name == "timestamp":
        return True                                  # dates are handled by the window
    current = attrs.get(name)
    candidates = [v for v in vocab.values.get(name, []) if v]
    if op == "exists":
        if values[0]:
            attrs.setdefault(name, _filler(name, vocab, rng))
        else:
            attrs.pop(name, None)
        return True
    if op == "eq":
        texts = [_scalar(v) for v in values]
        if current in texts:
            return True
        if name == "event_type" and current is not None:
            return False
        attrs[name] = rng.choice(texts)
        return True
    if op == "ne":
        texts = {_scalar(v) for v in values}
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
            attrs[name] = _scalar(v + step) if isinstance(v, int) else _scalar(v + step * 0.5)
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


def satisfy(matchers: Sequence[Matcher | None], attrs: dict[str, str], vocab: Vocabulary,
            rng: random.Random, when: dt.datetime) -> dict[str, str] | None:
    """``attrs`` changed as little as needed to meet every matcher, or None if impossible."""
    for _ in range(3):
        out = dict(attrs)
        ok = all(_meet_condition(out, c, vocab, rng)
                 for m in matchers if m is not None for c in m.conditions)
        if ok and matches_all(matchers, _probe(out, when)):
            return out
    return None


def _break_condition(attrs: dict[str, str], c, vocab: Vocabulary, rng: random.Random,
                     keep: Sequence[Matcher], when: dt.datetime) -> bool:
    """Change ``attrs`` so that condition ``c`` fails while ``keep`` still holds."""
    name, op, values = c.field, c.op, c.values
    if name in ("event_type", "timestamp", "case_id"):
        return False
    texts = {_scalar(v) for v in values}
    candidates = [v for v in vocab.values.get(name, []) if v]
    options: list[str | None] = []
    if op == "eq":
        options = [v for v in candidates if v not in texts] + ["其他", None]
    elif op == "ne":
        options = [_scalar(values[0])]
    elif op == "exists":
        options = [None] if values[0] else [_filler(name, vocab, rng)]
    elif op in ("contains", "startswith", "re"):
        options = [v for v in candidates if not matches(Matcher({f"{name}|{op}": list(values)}),
                                                        _probe({name: v}, when))] + ["其他", None]
    elif op in ("gt", "gte", "lt", "lte"):
        v = values[0]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            options = [_scalar(v - 1 if op in ("gt", "gte") else v + 1)]
    for option in options:
        trial = dict(attrs)
        if option is None:
            trial.pop(name, None)
        else:
            trial[name] = option
        probe = _probe(trial, when)
        if not _holds_one(c, probe) and matches_all(keep, probe):
            attrs.clear()
            attrs.update(trial)
            return True
    return False


def _holds_one(c, event: Event) -> bool:
    key = c.field if c.op == "eq" else f"{c.field}|{c.op}"
    return matches(Matcher({key: list(c.values) if len(c.values) > 1 else c.values[0]}), event)


def avoid(matcher_set: Sequence[Matcher | None], attrs: dict[str, str], vocab: Vocabulary,
          rng: random.Random, keep: Sequence[Matcher], when: dt.datetime) -> bool:
    """Make ``attrs`` miss the conjunction ``matcher_set`` (break one condition), keeping
    ``keep`` met. True when the event no longer meets the set."""
    if not matches_all(matcher_set, _probe(attrs, when)):
        return True
    conditions = [c for m in matcher_set if m is not None for c in m.conditions]
    rng.shuffle(conditions)
    return any(_break_condition(attrs, c, vocab, rng, keep, when) for c in conditions)


# ---------------------------------------------------------------------------
# Scenarios: cases described relative to their opening
# ---------------------------------------------------------------------------

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


class Planner:
    """Builds the scenarios and the explicit grid of a year from the rule model."""

    def __init__(self, covered: Sequence[RuleBase], vocab: Vocabulary, calendar: WorkCalendar,
                 year: int, seed: int, others: Sequence[RuleBase] = ()):
        self.covered = list(covered)
        self.others = [r for r in others if r not in self.covered]
        self._scenarios: list[Scenario] | None = None
        self.vocab = vocab
        self.calendar = calendar
        self.year = year
        self.rng = random.Random(f"govcheck-generate-{seed}-{year}")
        self.year_lo = dt.date(year, 1, 1)
        self.year_hi = dt.date(year, 12, 31)
        self.horizon = dt.datetime(year + 1, 1, 20, 18, 0, 0)
        self.when = dt.datetime(year, 7, 1, 10, 0)
        self.case_rules = [r for r in covered if r.kind in
                           ("deadline", "sequence", "min_count", "due_by", "required_fields",
                            "forbidden")
                           and not (isinstance(r, DueByRule) and r.subjects_list is not None)]
        self.condition_ratios = [r for r in covered if isinstance(r, RatioRule) and r.condition]
        self.field_rules = [r for r in covered if isinstance(r, RequiredFieldsRule)]
        self.extenders = [r for r in list(covered) + self.others
                          if isinstance(r, DeadlineRule) and r.extend is not None]
        self.readers = [r for r in list(covered) + self.others
                        if (isinstance(r, RatioRule) and r.value) or
                        (isinstance(getattr(r, "within", None), Duration) and r.within.workdays_from)]
        self.forbidden_rules = [r for r in covered if isinstance(r, ForbiddenRule)]
        self.opening_rules = [r for r in covered if r.kind in ("deadline", "sequence", "min_count",
                                                               "due_by", "ratio")
                              and not (isinstance(r, DueByRule) and r.subjects_list is not None)]
        self.secondary_rules = [r for r in self.opening_rules
                                if not (isinstance(r, RatioRule) and r.condition is None)]
        self._grid = None
        self._grid_serial = 0
        self._periodic_units: dict[str, list[str]] = {}
        self.weak: dict[str, set[str]] = {}
        for r in self.condition_ratios:
            k = max(1, round(len(UNITS) * WEAK_UNITS))
            self.weak[r.id] = set(self.rng.sample(UNITS, k))

    # -- families -------------------------------------------------------------

    def opening_types(self, rule: RuleBase) -> list[str]:
        matchers = rule.opening()
        named: list[str] | None = None
        for m in matchers:
            for c in m.conditions:
                if c.field == "event_type" and c.op == "eq":
                    texts = [_scalar(v) for v in c.values]
                    named = texts if named is None else [t for t in named if t in texts]
        candidates = named if named is not None else list(self.vocab.order)
        return [t for t in candidates
                if satisfy(matchers, {"event_type": t}, self.vocab, random.Random(0), self.when)]

    def families(self, rules: Sequence[RuleBase]) -> dict[str, list[RuleBase]]:
        """Rules grouped by the event type that opens their cases."""
        out: dict[str, list[RuleBase]] = {}
        for rule in rules:
            for t in self.opening_types(rule):
                out.setdefault(t, []).append(rule)
        return out

    def window(self, rules: Iterable[RuleBase]) -> tuple[dt.date, dt.date]:
        """Days a case of these rules may open: the year and the rules' windows (a rule with
        no end, a national one, keeps opening cases until the horizon)."""
        lo, hi = self.year_lo, self.horizon.date()
        for r in rules:
            if not (r.effective and r.effective.to):
                continue
            hi = min(hi, max(self.year_hi, r.effective.to))
        for r in rules:
            if r.effective:
                if r.effective.from_ and r.effective.from_ > lo:
                    lo = r.effective.from_
                if r.effective.to and r.effective.to < hi:
                    hi = r.effective.to
            for m in r.opening():
                for c in m.conditions:
                    if c.field == "timestamp" and c.op in ("gt", "gte", "lt", "lte", "eq"):
                        for v in c.values:
                            d = v.date() if isinstance(v, dt.datetime) else v
                            if not isinstance(d, dt.date):
                                continue
                            if c.op in ("gt", "gte", "eq"):
                                lo = max(lo, d + dt.timedelta(days=1 if c.op == "gt" else 0))
                            if c.op in ("lt", "lte", "eq"):
                                hi = min(hi, d - dt.timedelta(days=1 if c.op == "lt" else 0))
            if isinstance(r, DueByRule):
                hi = min(hi, r.by)
        return lo, hi

    # -- scenarios ------------------------------------------------------------

    def scenarios(self) -> list[Scenario]:
        """Every scenario of the year; then, for event types no rule of the year uses, the
        compliant cases of rules of other years (realistic pairs such as 受理→答复, judged
        by no rule of this year) and finally single events, so every type appears."""
        if self._scenarios is None:
            case_kinds = self.case_rules + self.condition_ratios
            out = self._scenarios_of(self.families(case_kinds), background=False)
            used = {spec.event_type for s in out for spec in s.specs}
            used.update(attrs["event_type"] for _, _, _, attrs, _ in self.grid() if attrs)
            others = [r for r in self.others if r.kind in ("deadline", "sequence", "min_count")
                      and not set(self.opening_types(r)) & used]
            background = self._scenarios_of(self.families(others), background=True)
            out += background
            used.update(spec.event_type for s in background for spec in s.specs)
            for etype in self.vocab.order:
                if etype in used:
                    continue
                attrs = self.complete({"event_type": etype}, keep=[], skip=None)
                system = self.vocab.system(etype)
                out.append(Scenario(f"{etype} (background)", etype, None, 0.2,
                                    [Spec(attrs, (START, 0, 0, 0))], self.year_lo, self.year_hi,
                                    False, system in PUBLIC_SYSTEMS, None,
                                    f"{SYSTEM_CODES.get(system, 'SJ')}{self.year}"))
            self._scenarios = out
        return self._scenarios

    def _scenarios_of(self, families: dict[str, list[RuleBase]], background: bool) -> list[Scenario]:
        out: list[Scenario] = []
        for etype, members in sorted(families.items(), key=lambda kv: self._type_order(kv[0])):
            profiles = self.profiles(etype, members)
            system = self.vocab.system(etype)
            volume = VOLUME.get(system, 1.0) * (0.3 if background else 1.0)
            for attrs, driver in profiles:
                applicable = [r for r in members if matches_all(r.opening(), _probe(attrs, self.when))]
                if not applicable:
                    continue
                if background:
                    lo, hi = self.year_lo, self.year_hi
                    made = [self.build(etype, attrs, applicable, None,
                                       f"{etype} {driver.id} (background)", None, 1.0)]
                else:
                    lo, hi = self.window([driver] + [r for r in applicable if isinstance(r, DueByRule)])
                    made = self.profile_scenarios(etype, attrs, applicable, driver)
                if lo > hi:
                    continue
                reporting = [u for r in self.covered if isinstance(r, PeriodicRule) and not r.units
                             and matches_all(r.opening(), _probe(attrs, self.when))
                             for u in self.periodic_units(r)]
                share = volume / len(profiles)
                for s in made:
                    if s is None:
                        continue
                    s.weight *= share
                    s.date_lo, s.date_hi = lo, hi
                    s.bias = any(isinstance(r, (DeadlineRule, SequenceRule, MinCountRule))
                                 and getattr(r, "within", None) is not None
                                 and r.within.unit == "workdays" for r in applicable)
                    s.anytime = system in PUBLIC_SYSTEMS
                    s.unit = attrs.get("unit") or (self.rng.choice(reporting) if reporting else None)
                    s.prefix = f"{SYSTEM_CODES.get(system, 'SJ')}{self.year}"
                    out.append(s)
        return out

    def _type_order(self, etype: str) -> tuple[int, str]:
        order = self.vocab.order
        return (order.index(etype) if etype in order else len(order), etype)

    def profiles(self, etype: str, members: list[RuleBase]) -> list[tuple[dict[str, str], RuleBase]]:
        """Opening events of this type: one per rule (meeting its opening matchers)."""
        out: list[tuple[dict[str, str], RuleBase]] = []
        seen: set[tuple] = set()
        for rule in members:
            attrs = satisfy(rule.opening(), {"event_type": etype}, self.vocab, self.rng, self.when)
            if attrs is None:
                continue
            key = tuple(sorted(attrs.items()))
            if key in seen:
                continue
            seen.add(key)
            out.append((attrs, rule))
        return out

    def profile_scenarios(self, etype: str, attrs: dict[str, str], applicable: list[RuleBase],
                          driver: RuleBase) -> list[Scenario]:
        variants: list[tuple[str, tuple[str, str] | None, float, Any]] = []
        for rule in applicable:
            for vtype in KIND_TYPES[rule.kind]:
                rate = RATES.get((rule.kind, vtype))
                if rate is None or not self._can_break(rule, vtype):
                    continue
                variants.append((f"{rule.id} {vtype}", (rule.id, vtype), rate, (rule, vtype)))
            if isinstance(rule, DeadlineRule):
                for name, rate in PROCEDURES.items():
                    base = name.split("_")[0]
                    key = {"paused": "pause", "still": "pause", "restarted": "restart",
                           "extended": "extend"}[base]
                    if getattr(rule, key) is None:
                        continue
                    intended = (rule.id, "late") if name.endswith("_late") else None
                    variants.append((f"{rule.id} {name}", intended, rate, (rule, name)))
            if isinstance(rule, RatioRule) and rule.exclude is not None:
                variants.append((f"{rule.id} excluded", None, PROCEDURES["paused"], (rule, "excluded")))
        broken = sum(v[2] for v in variants)
        scale = min(1.0, MAX_BROKEN / broken) if broken else 1.0
        out = [self.build(etype, attrs, applicable, None, f"{etype} {driver.id} comply",
                          None, 1.0 - broken * scale)]
        for name, intended, rate, how in variants:
            scenario = self.build(etype, attrs, applicable, how, f"{etype} {name}", intended,
                                  rate * scale)
            if scenario is not None:
                out.append(scenario)
        return [s for s in out if s is not None]

    def _can_break(self, rule: RuleBase, vtype: str) -> bool:
        if isinstance(rule, SequenceRule):
            if vtype == "out_of_order":
                return rule.ordered and len(rule.steps) > 1
            if vtype == "late":
                return rule.within is not None
        return True

    # -- one case ---------------------------------------------------------------

    def needs(self, rule: RuleBase, opening: dict[str, str]) -> list[Need]:
        if isinstance(rule, DeadlineRule):
            return [Need(rule, [rule.end], bound=(rule.within.unit, self.limit(rule.within, opening)))]
        if isinstance(rule, SequenceRule):
            bound = (rule.within.unit, self.limit(rule.within, opening)) if rule.within else None
            # steps happen in the order listed even when the rule does not require it
            return [Need(rule, [step], bound=bound, chain=(rule.id, i))
                    for i, step in enumerate(rule.steps)]
        if isinstance(rule, MinCountRule):
            bound = (rule.within.unit, self.limit(rule.within, opening)) if rule.within else None
            values = self.distinct_values(rule, rule.at_least)
            return [Need(rule, [rule.count], bound=bound, separate=True,
                         extra={rule.distinct: values[i]} if rule.distinct else {})
                    for i in range(rule.at_least)]
        if isinstance(rule, DueByRule):
            return [Need(rule, [rule.required], anchor=rule.by)]
        if isinstance(rule, RatioRule) and rule.condition is not None:
            return [Need(rule, [rule.condition], drop=rule.id)]
        return []

    def distinct_values(self, rule: MinCountRule, n: int) -> list[str]:
        if not rule.distinct:
            return [""] * n
        pool = [v for v in self.vocab.values.get(rule.distinct, []) if v]
        pool = pool + [f"{rule.distinct}{i}" for i in range(1, n + 2)]
        return self.rng.sample(pool[:max(n, len(pool))], n) if len(pool) >= n else pool[:n]

    def limit(self, duration: Duration, opening: dict[str, str]) -> float:
        if duration.workdays_from:
            return int(opening[duration.workdays_from])
        return duration.amount  # type: ignore[return-value]

    def build(self, etype: str, profile: dict[str, str], applicable: list[RuleBase], how: Any,
              name: str, intended: tuple[str, str] | None, weight: float) -> Scenario | None:
        """One scenario: the opening, the events the applicable rules ask for (shared where
        one event serves several), the violation (or procedure) made on those events, their
        times, and the events of rules that a follow-up event opens in turn."""
        rng = self.rng
        opening = dict(profile)
        target, vtype = how if how else (None, None)
        self._limits(applicable, opening)
        kept_forbidden: set[str] = set()
        if isinstance(target, ForbiddenRule):
            kept_forbidden.add(target.id)
            opening = satisfy(target.opening(), opening, self.vocab, rng, self.when) or opening
        else:                                    # a compliant opening is a near miss
            keep = [m for r in applicable if not isinstance(r, ForbiddenRule) for m in r.opening()]
            for rule in applicable:
                if isinstance(rule, ForbiddenRule):
                    avoid(rule.opening(), opening, self.vocab, rng,
                          keep + [Matcher({"event_type": etype})], self.when)
        needs = [n for rule in applicable for n in self.needs(rule, opening)]
        if isinstance(target, RatioRule) and vtype == "excluded":
            merged = satisfy([target.exclude], opening, self.vocab, rng, self.when)
            if merged is not None and matches_all(target.opening(), _probe(merged, self.when)):
                opening = merged
            else:
                needs.append(Need(target, [target.exclude], separate=True))
        end_time = None
        if isinstance(target, DeadlineRule) and vtype in PROCEDURES:
            more, end_time = self.procedure(target, vtype, opening)
            needs += more
        specs = self.merge(needs)
        if specs is None:
            return None
        first = Spec(opening, (START, 0, 0, 0))
        first.matchers = [m for r in applicable if not isinstance(r, ForbiddenRule) or r.id in kept_forbidden
                          for m in r.opening()]
        dropped: list[list[Matcher]] = []
        if target is not None:
            self.violate(target, vtype, first, specs, dropped, end_time)
        self.schedule(specs)
        if isinstance(target, SequenceRule) and vtype == "out_of_order":
            self.swap(target, specs)
        first.attrs = self.complete(first.attrs, keep=first.matchers, skip=kept_forbidden)
        for spec in specs:
            spec.attrs = self.complete(spec.attrs, keep=spec.matchers, skip=set(), step=True)
        self.join_opened(first, specs, applicable, dropped)
        if isinstance(target, RequiredFieldsRule):
            self.blank(target, [first] + specs)
        all_specs = [first] + specs
        self.rank(all_specs)
        return Scenario(name, etype, intended, weight, all_specs, self.year_lo, self.year_hi,
                        False, False, None, "")

    def _limits(self, rules: Iterable[RuleBase], attrs: dict[str, str]) -> None:
        """Give the opening the limits the rules read from it (承诺时限), as whole numbers."""
        for rule in rules:
            d = getattr(rule, "within", None)
            if isinstance(d, Duration) and d.workdays_from and \
                    not str(attrs.get(d.workdays_from, "")).isdigit():
                attrs[d.workdays_from] = str(self.rng.choice(LIMIT_CHOICES))

    def _hits(self, matchers: Sequence[Matcher], specs: list[Spec]) -> list[Spec]:
        return [s for s in specs if matches_all(matchers, _probe(s.attrs, self.when))]

    def violate(self, rule: RuleBase, vtype: str, first: Spec, specs: list[Spec],
                dropped: list[list[Matcher]], end_time: tuple[str, float] | None) -> None:
        """Break ``rule`` as ``vtype`` says, on every event that would otherwise keep it (an
        event a twin rule asked for is removed or moved too, so the rule is really broken)."""
        rng = self.rng

        def drop(matchers: list[Matcher]) -> None:
            for s in self._hits(matchers, specs):
                specs.remove(s)
            dropped.append(matchers)
            avoid(matchers, first.attrs, self.vocab, rng, first.matchers, self.when)

        def move(matchers: list[Matcher], when: tuple[int, int, int, int]) -> None:
            for s in self._hits(matchers, specs):
                s.fixed, s.when = True, when

        def past(duration: Duration, extra: int) -> tuple[int, int, int, int]:
            unit, limit = duration.unit, self.limit(duration, first.attrs)
            return self._rel((unit, limit + extra * (1 if unit != "hours" else 0.5)))

        if isinstance(rule, DeadlineRule):
            if vtype == "late":
                move([rule.end], past(rule.within, rng.choice((1, 1, 2, 3, 5))))
            elif vtype in ("overdue_open", "still_paused"):
                drop([rule.end])
            elif end_time is not None:
                move([rule.end], self._rel(end_time))
        elif isinstance(rule, SequenceRule):
            if vtype == "missing_step":
                drop([rng.choice(rule.steps)])
            elif vtype == "late":
                move([rule.steps[-1]], past(rule.within, rng.choice((1, 2, 3))))
        elif isinstance(rule, MinCountRule):
            avoid([rule.count], first.attrs, self.vocab, rng, first.matchers, self.when)
            counted = self._hits([rule.count], specs)
            way = rng.randrange(3)
            if way == 1 and rule.distinct and rule.at_least >= 2:
                for s in counted:                      # the same form every time
                    s.attrs[rule.distinct] = counted[0].attrs.get(rule.distinct, "")
            elif way == 2 and rule.within is not None:
                for s in counted[rule.at_least - 1:]:  # the last one after the deadline
                    s.fixed, s.when = True, past(rule.within, 1 + rng.randrange(3))
            else:
                while counted and self._distinct(rule, counted) >= rule.at_least:
                    specs.remove(counted.pop())
        elif isinstance(rule, DueByRule):
            if vtype == "missing_by_date":
                drop([rule.required])
            else:
                move([rule.required], (ABS_DAYS, rng.randint(1, 15), _day(rule.by), 0))

    @staticmethod
    def _distinct(rule: MinCountRule, counted: list[Spec]) -> int:
        if rule.distinct:
            return len({s.attrs.get(rule.distinct) for s in counted} - {None})
        return len(counted)

    def swap(self, rule: SequenceRule, specs: list[Spec]) -> None:
        """Two consecutive steps of an ordered rule, the later one first."""
        j = self.rng.randrange(len(rule.steps) - 1)
        a = self._hits([rule.steps[j]], specs)
        b = self._hits([rule.steps[j + 1]], specs)
        if a and b and a[0] is not b[0]:
            a, b = a[0], b[0]
            a.when, b.when = b.when, a.when
            a.order, b.order = b.order, a.order
            a.value, b.value = b.value, a.value
            a.fixed = b.fixed = True

    def blank(self, rule: RequiredFieldsRule, specs: list[Spec]) -> None:
        """Leave one field of the first event the rule applies to blank (or not allowed)."""
        name = self.rng.choice(list(rule.fields))
        for spec in specs:
            if matches_all(rule.opening(), _probe(spec.attrs, self.when)):
                allowed = (rule.allowed or {}).get(name)
                if allowed and self.rng.random() < 0.5:
                    spec.attrs[name] = "其他"
                else:
                    spec.attrs.pop(name, None)
                return

    def procedure(self, rule: DeadlineRule, how: str,
                  opening: dict[str, str]) -> tuple[list[Need], tuple[str, float] | None]:
        """The pause/resume, restart or extension events of a procedure case, and when the
        end comes (on the last allowed day, or after it for the ``_late`` ones)."""
        rng, unit = self.rng, rule.within.unit
        limit = self.limit(rule.within, opening)
        step = 1 if unit != "hours" else 0.25
        late = rng.choice((1, 2)) * step if how.endswith("_late") else (-0.05 if unit == "hours" else 0)
        if how.startswith(("paused", "still")):
            at = rng.randint(0, max(0, int(limit) - 1)) if unit != "hours" else limit * 0.3
            gap = rng.randint(1, 5) * step
            out = [Need(rule, [rule.pause], fixed=(unit, at), separate=True)]
            if how == "still_paused":
                return out, None
            out.append(Need(rule, [rule.resume], fixed=(unit, at + gap), separate=True))
            return out, (unit, limit + gap + late)
        if how.startswith("restarted"):
            at = rng.randint(1, max(1, int(limit))) if unit != "hours" else limit * 0.5
            return [Need(rule, [rule.restart], fixed=(unit, at), separate=True)], (unit, at + limit + late)
        at = rng.randint(1, max(1, int(limit))) if unit != "hours" else limit * 0.5
        granted = rng.choice((3, 5, 10))
        return ([Need(rule, [rule.extend.matcher], fixed=(unit, at), separate=True,
                      extra={rule.extend.attribute: str(granted)})],
                (unit, limit + granted + late))

    def merge(self, needs: list[Need]) -> list[Spec] | None:
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
                    attrs = satisfy(kept, dict(spec.attrs), self.vocab, self.rng, self.when)
                    if attrs is None or attrs["event_type"] != spec.event_type or \
                            not matches_all(spec.matchers, _probe(attrs, self.when)):
                        continue
                    spec.attrs = attrs
                    spec.matchers += kept
                    spec.owners.append(need)
                    placed = True
                    break
            if placed:
                continue
            attrs = None
            types = [t for m in need.matchers for t in m.event_types()] or list(self.vocab.order)
            for t in types:
                attrs = satisfy(kept, {"event_type": t, **need.extra}, self.vocab, self.rng, self.when)
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
                spec.fixed, spec.when = True, self._rel(fixed.fixed)
            elif anchored is not None:
                spec.fixed, spec.when = True, (BETWEEN, 0, _day(anchored.anchor), 0)
        return specs

    def _rel(self, fixed: tuple[str, float]) -> tuple[int, int, int, int]:
        unit, n = fixed
        if unit == "hours":
            return (HOURS, 0, 0, max(1, round(n * 3600)))
        return ((REL_WORKDAYS if unit == "workdays" else REL_DAYS), int(n), 0, 0)

    def schedule(self, specs: list[Spec], order_from: int = 0) -> None:
        """Give each free event a count of working days (or days, hours) after the opening
        that keeps every limit on it and the order of every sequence (the last allowed day
        about a third of the time)."""
        rng = self.rng
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
        order = self._topo(len(specs), succ, pred)
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
                s.value = self._count(s)
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

    def join_opened(self, first: Spec, specs: list[Spec], applicable: list[RuleBase],
                    dropped: list[list[Matcher]]) -> None:
        """A follow-up event can open a case of another rule (办件办结 opens 办结→评价邀请):
        add what that rule asks for after it, unless it is what the case is about missing."""
        joined = {id(r) for r in applicable}
        for _ in range(3):
            new: list[Need] = []
            for spec in [first] + sorted(specs, key=lambda s: s.order):
                for rule in self.secondary_rules:
                    if id(rule) in joined or not matches_all(rule.opening(), _probe(spec.attrs, self.when)):
                        continue
                    joined.add(id(rule))
                    self._limits([rule], spec.attrs)
                    for need in self.needs(rule, spec.attrs):
                        probe = satisfy(need.matchers, {}, self.vocab, random.Random(0), self.when)
                        if probe is not None and any(matches_all(d, _probe(probe, self.when))
                                                     for d in dropped):
                            continue
                        later = [s for s in [first] + specs
                                 if s.value >= spec.value and matches_all(need.matchers,
                                                                           _probe(s.attrs, self.when))]
                        if later and need.drop is None:
                            continue
                        need.floor = spec.value
                        if need.bound is not None:
                            need.bound = (need.bound[0], spec.value + need.bound[1])
                        new.append(need)
            if not new:
                return
            added = self.merge(new) or []
            self.schedule(added, order_from=len(specs) + 1)
            for s in added:
                s.attrs = self.complete(s.attrs, keep=s.matchers, skip=set(), step=True)
            specs.extend(added)

    def _count(self, s: Spec) -> float:
        kind, k, anchor, seconds = s.when
        if kind == HOURS:
            return seconds / 3600
        if kind in (REL_WORKDAYS, REL_DAYS):
            return k
        if kind == ABS_DAYS:
            return max(0, anchor + k - _day(self.year_lo)) / 1.4
        return s.floor

    @staticmethod
    def _topo(n: int, succ, pred) -> list[int]:
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

    def rank(self, specs: list[Spec]) -> None:
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

    def complete(self, attrs: dict[str, str], keep: Sequence[Matcher], skip: set[str] | None,
                 step: bool = False) -> dict[str, str]:
        """Fill what ``required_fields`` rules ask of this event and steer it clear of the
        ``forbidden`` ones (and, for a follow-up event, of opening a case of its own)."""
        out = dict(attrs)
        rng = self.rng
        keep = list(keep) + [Matcher({"event_type": out["event_type"]})]
        for _ in range(2):
            probe = _probe(out, self.when)
            for rule in self.field_rules:
                if skip and rule.id in skip:
                    continue
                if matches_all(rule.opening(), probe):
                    allowed = rule.allowed or {}
                    for name in rule.fields:
                        value = out.get(name)
                        if name in allowed:
                            texts = [_scalar(v) for v in allowed[name]]
                            if value not in texts:
                                out[name] = rng.choice(texts)
                        elif value is None or not str(value).strip():
                            out[name] = _filler(name, self.vocab, rng)
            # numbers some rule (of any year) reads from this event: without them the log
            # would be bad input for that rule
            for rule in self.extenders:
                if matches(rule.extend.matcher, _probe(out, self.when)) and \
                        not str(out.get(rule.extend.attribute, "")).isdigit():
                    out[rule.extend.attribute] = str(rng.choice((3, 5, 10)))
            for rule in self.readers:
                if not matches_all(rule.opening(), _probe(out, self.when)):
                    continue
                if isinstance(rule, RatioRule):
                    if _number_text(out.get(rule.value.denominator)) is None:
                        out[rule.value.denominator] = str(rng.randint(100, 5000))
                    if _number_text(out.get(rule.value.numerator)) is None:
                        out[rule.value.numerator] = out[rule.value.denominator]
                else:
                    self._limits([rule], out)
            for rule in self.forbidden_rules:
                if skip is not None and rule.id in skip:
                    continue
                avoid(rule.opening(), out, self.vocab, rng, keep, self.when)
            if step:
                for rule in self.opening_rules:
                    if matches_all(rule.opening(), _probe(out, self.when)):
                        avoid(rule.opening(), out, self.vocab, rng, keep, self.when)
        return out

    # -- the explicit grid ----------------------------------------------------------

    def grid(self) -> list[tuple[dt.datetime, str, str | None, dict[str, str], tuple[str, str] | None]]:
        """(time, case id, unit, attributes, intended finding) of the events that periodic
        rules, ratio rules with a value and listed due_by subjects ask for."""
        if self._grid is None:
            self._grid = self._make_grid()
        return self._grid

    def _make_grid(self):
        out = []
        for rule in self.covered:
            if isinstance(rule, PeriodicRule):
                out += self.periodic(rule)
            elif isinstance(rule, RatioRule) and rule.value is not None:
                out += self.ratio_values(rule)
            elif isinstance(rule, DueByRule) and rule.subjects_list is not None:
                out += self.listed(rule)
        return out

    def _moment(self, day: dt.date, office: bool = True) -> dt.datetime:
        seconds = OFFICE_START + self.rng.randrange(OFFICE_SPAN) if office else self.rng.randrange(86400)
        return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)

    def _workday_in(self, lo: dt.date, hi: dt.date) -> dt.date:
        days = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
        work = [d for d in days if self.calendar.covers(d.year) and self.calendar.day(d).is_workday]
        return self.rng.choice(work or days)

    def _grid_case(self, prefix: str, letter: str) -> str:
        self._grid_serial += 1
        return f"{prefix}{letter}{self._grid_serial:06d}"

    def _grid_prefix(self, rule: RuleBase) -> str:
        types = _rule_event_types(rule)
        system = self.vocab.system(types[0]) if types else ""
        return f"{SYSTEM_CODES.get(system, 'SJ')}{self.year}"

    def periodic_units(self, rule: PeriodicRule) -> list[str]:
        """The units a periodic rule's grid reports for (its ``units``, else a sample)."""
        if rule.units:
            return list(rule.units)
        if rule.id not in self._periodic_units:
            fixed = self.periodic_base(rule).get("unit") if self.periodic_base(rule) else None
            many = {"day": 2, "week": 3}.get(rule.every, 8)
            self._periodic_units[rule.id] = [fixed] if fixed else sorted(
                self.rng.sample(UNITS, many), key=UNITS.index)
        return self._periodic_units[rule.id]

    def periodic_base(self, rule: PeriodicRule) -> dict[str, str] | None:
        for t in self.opening_types(rule):
            base = satisfy(rule.opening(), {"event_type": t}, self.vocab, random.Random(t), self.when)
            if base is not None:
                return base
        return None

    def periodic(self, rule: PeriodicRule):
        """Every unit (or group) in every period judged while the log runs: at_least events,
        or fewer at the rule's miss rate. Periods that closed before the year are left out
        (a log of the year cannot hold them)."""
        rng = self.rng
        base = self.periodic_base(rule)
        if base is None:
            return []
        combos: list[dict[str, str]] = []
        for unit in self.periodic_units(rule):
            combo = {"unit": unit}
            for g in (g for g in rule.groups if g != "unit"):
                values = [v for v in self.vocab.values.get(g, []) if v] or [f"{g}甲", f"{g}乙"]
                combo[g] = base.get(g) or rng.choice(values)
            combos.append(combo)
        eff = rule.effective
        earliest = max(eff.from_, dt.date(min(self.calendar.years), 1, 1)) if eff and eff.from_ \
            else self.year_lo
        last = min(eff.to, self.horizon.date()) if eff and eff.to else self.horizon.date()
        opens = dt.datetime.combine(self.year_lo, dt.time())
        miss = MISS_PERIOD[rule.every]
        prefix = self._grid_prefix(rule)
        out = []
        start = period_bounds(rule.every, earliest)[0]
        while start <= last:
            p_lo, p_hi = period_bounds(rule.every, start)
            start = p_hi + dt.timedelta(days=1)
            close = self._close(rule, p_hi)
            judged = close < self.horizon
            if close < opens:                    # closed before the log begins: missing
                out += [(None, None, u, {}, (rule.id, "missing_in_period"))
                        for u in self.periodic_units(rule)]
                continue
            label = period_label(rule.every, p_lo)
            inside = (max(p_lo, earliest, self.year_lo), min(p_hi, last))
            grace = (max(p_hi + dt.timedelta(days=1), self.year_lo),
                     min(close.date(), self.horizon.date()))
            for combo in combos:
                n, intended = rule.at_least, None
                if rng.random() < miss:
                    n, intended = rng.randrange(rule.at_least), (rule.id, "missing_in_period")
                    if judged:
                        out.append((None, None, combo["unit"], {}, intended))
                for _ in range(n):
                    window = inside
                    if rule.period_of and rule.grace is not None and \
                            (rng.random() < 0.5 or inside[0] > inside[1]):
                        window = grace
                    if window[0] > window[1]:
                        continue
                    when = min(self._moment(self._workday_in(*window)), close, self.horizon)
                    attrs = {**base, **combo}
                    if rule.period_of:
                        attrs[rule.period_of] = label if rng.random() < 0.7 else p_lo.isoformat()
                    attrs = self.complete(attrs, keep=list(rule.opening()) + [Matcher(dict(combo))],
                                          skip=None)
                    out.append((when, self._grid_case(prefix, "P"), attrs.get("unit"), attrs, None))
        return [o for o in out if o[0] is not None] + [o for o in out if o[0] is None]

    def _close(self, rule: PeriodicRule, end: dt.date) -> dt.datetime:
        grace = rule.grace
        if grace is None:
            return dt.datetime.combine(end, dt.time(23, 59, 59))
        if grace.unit == "workdays":
            return self.calendar.deadline(dt.datetime.combine(end, dt.time()), int(grace.workdays))
        if grace.unit == "days":
            return dt.datetime.combine(end + dt.timedelta(days=int(grace.days)), dt.time(23, 59, 59))
        return dt.datetime.combine(end, dt.time(23, 59, 59)) + dt.timedelta(seconds=1, hours=grace.hours)

    def ratio_values(self, rule: RatioRule):
        rng = self.rng
        types = self.opening_types(rule)
        if not types:
            return []
        base = satisfy(rule.opening(), {"event_type": types[0]}, self.vocab, rng, self.when)
        eff = rule.effective
        lo = max(self.year_lo, eff.from_) if eff and eff.from_ else self.year_lo
        hi = min(self.year_hi, eff.to) if eff and eff.to else self.year_hi
        groups = rule.group_by or []
        units = [base["unit"]] if base.get("unit") else list(COUNTIES if "unit" in groups else UNITS[:1])
        weak = set(rng.sample(units, max(1, round(len(units) * WEAK_UNITS))))
        prefix = self._grid_prefix(rule)
        out = []
        periods: list[tuple[dt.date, dt.date]] = []
        if rule.period:
            start = period_bounds(rule.period, lo)[0]
            while start <= hi:
                periods.append(period_bounds(rule.period, start))
                start = periods[-1][1] + dt.timedelta(days=1)
        else:
            periods.append((lo, hi))
        big = any(w in rule.value.denominator for w in ("人口", "户", "人"))
        for p_lo, p_hi in periods:
            p_lo, p_hi = max(p_lo, lo), min(p_hi, hi)
            for unit in units:
                den = rng.randint(200_000, 1_400_000) if big else rng.randint(50, 2000)
                if unit in weak:
                    share = rule.at_least * rng.uniform(0.3, 0.9)
                    num = math.floor(den * share)
                    intended = (rule.id, "below_threshold")
                else:
                    share = min(1.0, rule.at_least + rng.uniform(0.02, 0.3))
                    num = min(den, math.ceil(den * share))
                    intended = None
                day = max(p_lo, p_hi - dt.timedelta(days=rng.randint(0, min(10, (p_hi - p_lo).days))))
                attrs = {**base, "unit": unit, rule.value.numerator: str(num),
                         rule.value.denominator: str(den)}
                attrs = self.complete(attrs, keep=list(rule.opening()), skip=None)
                out.append((self._moment(day), self._grid_case(prefix, "R"), unit, attrs, intended))
        return out

    def listed(self, rule: DueByRule):
        rng = self.rng
        base = satisfy([rule.required], {}, self.vocab, rng, self.when) or {}
        if "event_type" not in base:
            return []
        out = []
        for subject in rule.subjects_list:
            r = rng.random()
            attrs = self.complete({**base, **({"unit": subject.unit} if subject.unit else {})},
                                  keep=[rule.required], skip=None)
            if r < RATES[("due_by", "missing_by_date")] * 3:
                out.append((None, subject.case_id, subject.unit, {}, (rule.id, "missing_by_date")))
                continue
            if r < (RATES[("due_by", "missing_by_date")] + RATES[("due_by", "late")]) * 3:
                day = rule.by + dt.timedelta(days=rng.randint(1, 15))
                intended = (rule.id, "late")
            else:
                day = rule.by - dt.timedelta(days=rng.randint(0, 60))
                intended = None
            when = self._moment(day)
            if when <= self.horizon:
                out.append((when, subject.case_id, subject.unit, attrs, intended))
        return out


# ---------------------------------------------------------------------------
# Choosing the rules
# ---------------------------------------------------------------------------

def covered_rules(rules: Sequence[LoadedRule], year: int) -> list[RuleBase]:
    """The rules a log of ``year`` covers: those in effect during the year, and those with
    no effective window (national regulations)."""
    lo, hi = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out = []
    for item in rules:
        eff = item.rule.effective
        if eff is None or ((eff.from_ is None or eff.from_ <= hi) and (eff.to is None or eff.to >= lo)):
            out.append(item.rule)
    return out


def _vocabulary_path(rule_paths: Sequence[str | Path]) -> Path | None:
    from ..validate import find_vocabulary
    return find_vocabulary([str(p) for p in rule_paths])


# ---------------------------------------------------------------------------
# Writing: DuckDB expands the cases into events and writes the file
# ---------------------------------------------------------------------------

def _csv_field(value: str | None) -> str:
    if value is None:
        return ""
    if any(ch in value for ch in ',"\n\r') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def _json_text(value: str) -> str:
    import json
    return json.dumps(value, ensure_ascii=False)


class _Writer:
    """How an event becomes text: the fixed pieces of each step's line, computed once."""

    def __init__(self, scenarios: list[Scenario], grid, attributes: list[str], fmt: str):
        self.scenarios = scenarios
        self.grid = grid
        self.attributes = attributes
        self.fmt = fmt

    def fragments(self, attrs: dict[str, str]) -> tuple[str, str]:
        """The text between case id and time, and the text after the unit."""
        etype = attrs["event_type"]
        if self.fmt == "jsonl":
            mid = f'","event_type":{_json_text(etype)},"timestamp":"'
            tail = "".join(f",{_json_text(a)}:{_json_text(attrs[a])}" for a in self.attributes
                           if attrs.get(a) is not None) + "}"
            return mid, tail
        return f",{_csv_field(etype)},", "".join("," + _csv_field(attrs.get(a)) for a in self.attributes)

    def unit_text(self, unit: str | None) -> str:
        """The unit as it follows the time: ``,U`` in CSV, ``","unit":"U"`` in JSON lines."""
        if self.fmt == "jsonl":
            return '"' + (f",\"unit\":{_json_text(unit)}" if unit is not None else "")
        return "," + _csv_field(unit)

    def case_text(self, case_id: str) -> str:
        return _json_text(case_id)[1:-1] if self.fmt == "jsonl" else _csv_field(case_id)

    def header(self) -> str:
        return ",".join(["case_id", "event_type", "timestamp", "unit"] + self.attributes)


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

def generate(options: Options, out: str | Path, truth: str | Path | None = None,
             loaded: Sequence[LoadedRule] | None = None) -> Summary:
    """Write a synthetic log of exactly ``options.events`` events to ``out``; with
    ``truth``, also the expected findings (computed by ``testing.oracle``). ``loaded``:
    the rules of ``options.rules`` already loaded (saves reading them again)."""
    started = time.perf_counter()
    if options.events < 1:
        raise GeneratorError("--events must be at least 1")
    if options.format not in ("csv", "parquet", "jsonl"):
        raise GeneratorError(f"unknown format {options.format!r}: use csv, parquet or jsonl")
    from ..api import default_rules_dir
    rule_paths = list(options.rules) or [default_rules_dir()]
    if loaded is None:
        loaded = load_rules(rule_paths)
    calendar = WorkCalendar.load(options.calendars)
    year = options.year
    for needed in (year, year + 1):
        if not calendar.covers(needed):
            raise GeneratorError(f"no working-day calendar covers {needed}: a log of {year} runs "
                                 f"into {year + 1} (add one with --calendar, or pick another year)")
    covered = covered_rules(loaded, year)
    if not covered:
        raise GeneratorError(f"no rule in {', '.join(map(str, rule_paths))} applies in {year}")
    vocab = Vocabulary(_vocabulary_path(rule_paths), [r.rule for r in loaded])
    planner = Planner(covered, vocab, calendar, year, options.seed, [r.rule for r in loaded])
    scenarios = planner.scenarios()
    grid = planner.grid()
    writer = _Writer(scenarios, grid, _attribute_order(scenarios, grid, vocab), options.format)

    con = duckdb.connect()
    try:
        expansion = _Expansion(con, planner, writer, calendar, options.seed)
        minimum = expansion.count(len(scenarios))
        if minimum > options.events:
            raise GeneratorError(
                f"{options.events} events cannot cover the {len(covered)} rules of {year}: every "
                f"scenario once and the periodic grid take {minimum}; ask for at least that many")
        n_cases = expansion.cases_for(options.events)
        while True:
            written = expansion.write(Path(out), n_cases, options)
            if written >= options.events:
                break
            n_cases = int(n_cases * (1 + 1.5 * (options.events - written) / options.events)) + 16
        intended = expansion.intended(n_cases)
        as_of, cases = expansion.as_of(), expansion.cases_written()
    finally:
        con.close()
    seconds = time.perf_counter() - started
    summary = Summary(str(out), options.events, cases, len(scenarios),
                      tuple(r.id for r in covered), as_of, seconds, intended)
    if truth is not None:
        from . import oracle
        t0 = time.perf_counter()
        events = oracle.read_log(out)
        findings = oracle.evaluate([item.rule for item in loaded], events, calendar)
        summary.truth_findings = oracle.write_truth(findings, truth)
        summary.truth_path = str(truth)
        summary.truth_seconds = time.perf_counter() - t0
    return summary


def _attribute_order(scenarios: list[Scenario], grid, vocab: Vocabulary) -> list[str]:
    used: set[str] = set()
    for s in scenarios:
        for spec in s.specs:
            used.update(k for k in spec.attrs if k not in CANONICAL_COLUMNS)
    for _, _, _, attrs, _ in grid:
        used.update(k for k in attrs if k not in CANONICAL_COLUMNS)
    known = [a for a in vocab.attributes if a in used]
    return known + sorted(used - set(known))


def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _drop_probability(planner: Planner, rule_id: str, unit: str) -> float:
    """Chance that a member's condition event is missing: high in the rule's weak units."""
    rule = next(r for r in planner.condition_ratios if r.id == rule_id)
    a = rule.at_least
    if unit in planner.weak.get(rule_id, set()):
        return min(0.9, (1 - a) + 0.25 * a)
    return (1 - a) * 0.4


def _pre_holiday_days(calendar: WorkCalendar, year: int) -> list[int]:
    """The last three working days before three or more days off, and the 调休 days."""
    out = []
    d = dt.date(year, 1, 1)
    while d.year == year:
        info = calendar.day(d)
        if info.kind == "makeup_workday":
            out.append(_day(d))
        if info.is_workday:
            off = 0
            for i in range(1, 8):
                nxt = d + dt.timedelta(days=i)
                if not calendar.covers(nxt.year) or calendar.day(nxt).is_workday:
                    break
                off += 1
            if off >= 3:
                back, x = 0, d
                while back < 3 and x.year == year:
                    if calendar.day(x).is_workday:
                        out.append(_day(x))
                        back += 1
                    x -= dt.timedelta(days=1)
        d += dt.timedelta(days=1)
    return sorted(set(out))


class _Expansion:
    """The SQL that turns the first n cases into events, then counts or writes them.

    Two steps keep the sort narrow: the events' keys (time, case, rank, step, unit) are
    sorted and cut to the number asked for, then each key is joined to its step's fixed
    pieces of text, on one thread, so the sorted keys stream through the join in order.
    """

    def __init__(self, con, planner: Planner, writer: _Writer, calendar: WorkCalendar, seed: int):
        self.con = con
        self.planner = planner
        self.writer = writer
        self.seed = int(seed)
        self.n_scen = len(writer.scenarios)
        self.horizon = int((planner.horizon - dt.datetime(1970, 1, 1)).total_seconds())
        self._tables(calendar)

    # -- tables -------------------------------------------------------------------

    def _tables(self, calendar: WorkCalendar) -> None:
        con, planner, writer = self.con, self.planner, self.writer
        units: dict[str | None, int] = {u: i for i, u in enumerate(UNITS)}

        def unit_index(unit: str | None) -> int:
            return units.setdefault(unit, len(units))

        drops: dict[tuple[str, ...], int] = {}
        scen_rows, step_rows, grid_keys = [], [], []
        for sid, s in enumerate(writer.scenarios):
            lo, hi = _day(s.date_lo), _day(s.date_hi)
            fixed = unit_index(s.unit) if s.unit is not None else None
            scen_rows.append((sid, lo, hi - lo + 1, s.bias, s.anytime, fixed))
            for spec in s.specs:
                mid, tail = writer.fragments(spec.attrs)
                kind, k, anchor, seconds = spec.when
                drop = drops.setdefault(tuple(sorted(spec.droppable)), len(drops)) \
                    if spec.droppable else None
                step_rows.append((len(step_rows), sid, spec.rank, kind, k, anchor, seconds,
                                  spec.slot[0], spec.slot[1], drop, s.prefix, None, mid, tail,
                                  spec.event_type, [spec.attrs.get(a) for a in writer.attributes]))
        for index, (when, case_id, unit, attrs, _) in enumerate(writer.grid):
            if when is None:
                continue
            mid, tail = writer.fragments(attrs)
            grid_keys.append((int((when - dt.datetime(1970, 1, 1)).total_seconds()), -1 - index, 0,
                              len(step_rows), unit_index(unit)))
            step_rows.append((len(step_rows), None, 0, GRID, 0, 0, 0, 0, 1, None,
                              writer.case_text(case_id), None, mid, tail, attrs["event_type"],
                              [attrs.get(a) for a in writer.attributes]))
        self.grid_events = len(grid_keys)
        _table(con, "g_scen", "sid INTEGER, lo INTEGER, span INTEGER, bias BOOLEAN, "
               "anytime BOOLEAN, unit_i INTEGER", scen_rows)
        _table(con, "g_step", "step_id INTEGER, sid INTEGER, rank INTEGER, kind INTEGER, k INTEGER, "
               "anchor INTEGER, seconds INTEGER, slot_j INTEGER, slot_n INTEGER, drop_id INTEGER, "
               "prefix VARCHAR, case_text VARCHAR, mid VARCHAR, tail VARCHAR, event_type VARCHAR, "
               "attrs VARCHAR[]", step_rows)
        _table(con, "g_gridkey", "ts BIGINT, i BIGINT, rank INTEGER, step_id INTEGER, unit_i INTEGER",
               grid_keys)
        _table(con, "g_unit", "unit_i INTEGER, unit VARCHAR, unit_text VARCHAR",
               [(i, u, writer.unit_text(u)) for u, i in units.items()])
        _table(con, "g_drop", "drop_id INTEGER, unit_i INTEGER, p DOUBLE",
               [(d, i, max(_drop_probability(planner, key, u) for key in keys))
                for keys, d in drops.items() for i, u in enumerate(UNITS)])
        # the weighted choice: 2^20 buckets, a run of them per scenario (largest remainders);
        # the first cases take the scenarios in turn through the keys -1 - sid
        weights = [max(s.weight, 0.0) for s in writer.scenarios]
        total = sum(weights) or 1.0
        counts = [int(w / total * BUCKETS) for w in weights]
        rest = BUCKETS - sum(counts)
        for i in sorted(range(len(weights)), key=lambda i: counts[i] - weights[i] / total * BUCKETS)[:rest]:
            counts[i] += 1
        ranges, at = [], 0
        for sid, c in enumerate(counts):
            ranges.append((sid, at, at + c))
            at += c
        _table(con, "g_range", "sid INTEGER, lo INTEGER, hi INTEGER", ranges)
        con.execute("CREATE TABLE g_bucket AS SELECT CAST(unnest(range(lo, hi)) AS INTEGER) AS b, sid "
                    "FROM g_range UNION ALL SELECT -1 - sid, sid FROM g_scen")
        # the calendar: each day's working-day position and next working day, each position's day
        year = planner.year
        first = dt.date(year - 1, 1, 1)
        last = dt.date(min(year + 3, max(calendar.years)), 12, 31)
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        days = [d for d in days if calendar.covers(d.year)]
        upcoming, next_work = None, {}
        for d in reversed(days):
            if calendar.day(d).is_workday:
                upcoming = _day(d)
            next_work[d] = upcoming if upcoming is not None else _day(d)
        _table(con, "g_day", "day INTEGER, wpos INTEGER, next_work INTEGER",
               [(_day(d), calendar.wpos(d), next_work[d]) for d in days])
        _table(con, "g_pos", "wpos INTEGER, day INTEGER",
               [(calendar.wpos(d), _day(d)) for d in days if calendar.day(d).is_workday])
        pre = _pre_holiday_days(calendar, year) or [_day(dt.date(year, 9, 30))]
        _table(con, "g_pre", "pre_i INTEGER, day INTEGER", list(enumerate(pre)))
        self.n_pre = len(pre)

    # -- queries ------------------------------------------------------------------

    def cases_sql(self, n_cases: int) -> str:
        """One row per case: its scenario, start day and time of day, unit. Two hashes of
        (case, seed) give every draw: each draw takes its own bits."""
        seed = self.seed
        return f"""
            SELECT c.i, b.sid, s.anytime, s.lo, s.span,
                   s.lo + CAST((c.h1 >> 20) % s.span AS INTEGER) AS raw_day,
                   s.bias AND (c.h1 >> 36) % 100 < 35 AS biased,
                   CAST(c.h2 % {self.n_pre} AS INTEGER) AS pre_i,
                   CASE WHEN s.anytime THEN CAST((c.h1 >> 43) % 86400 AS INTEGER)
                        ELSE {OFFICE_START} + CAST((c.h1 >> 43) % {OFFICE_SPAN} AS INTEGER) END AS tod0,
                   coalesce(s.unit_i, CAST((c.h2 >> 20) % {len(UNITS)} AS INTEGER)) AS unit_i
            FROM (SELECT i, CAST(hash(i, {seed}) >> 1 AS BIGINT) AS h1,
                         CAST(hash(i, {seed}, 1) >> 1 AS BIGINT) AS h2
                  FROM range({int(n_cases)}) r(i)) c
            JOIN g_bucket b ON b.b = CASE WHEN c.i < {self.n_scen} THEN CAST(-1 - c.i AS INTEGER)
                                          ELSE CAST(c.h1 % {BUCKETS} AS INTEGER) END
            JOIN g_scen s ON s.sid = b.sid"""

    def keys_sql(self, n_cases: int) -> str:
        """(key, step_id, unit_i) of every event of the first ``n_cases`` cases up to the
        horizon, and of the grid. ``key`` orders events by time, then case, then rank:
        seconds since 1970 × 2^32 + (case + 2^22) × 2^5 + rank (grid cases are negative)."""
        seed = self.seed
        return f"""
            WITH cases AS ({self.cases_sql(n_cases)}),
            started AS (
                SELECT c.i, c.sid, c.unit_i, c.tod0,
                       CASE WHEN c.biased AND p.day BETWEEN c.lo AND c.lo + c.span - 1 THEN p.day
                            WHEN c.anytime THEN c.raw_day
                            ELSE least(d.next_work, c.lo + c.span - 1) END AS day0
                FROM cases c JOIN g_pre p ON p.pre_i = c.pre_i JOIN g_day d ON d.day = c.raw_day),
            based AS (
                SELECT s.*, d.wpos AS wpos0, CAST(s.day0 AS BIGINT) * 86400 + s.tod0 AS t0
                FROM started s JOIN g_day d ON d.day = s.day0),
            timed AS (
                SELECT c.i, c.unit_i, c.t0, c.day0, st.step_id, st.rank, st.kind, st.k, st.anchor,
                       st.seconds, st.slot_j, st.slot_n, pd.day AS wday, dp.p,
                       CAST(hash(c.i, st.rank, {seed}) >> 1 AS BIGINT) AS h3
                FROM based c JOIN g_step st ON st.sid = c.sid
                LEFT JOIN g_pos pd ON pd.wpos = c.wpos0 + st.k
                LEFT JOIN g_drop dp ON dp.drop_id = st.drop_id AND dp.unit_i = c.unit_i),
            placed AS (
                SELECT i, rank, step_id, unit_i,
                       CASE kind WHEN {START} THEN t0
                                 WHEN {HOURS} THEN t0 + seconds
                                 ELSE greatest(CAST(CASE kind
                                     WHEN {REL_WORKDAYS} THEN CASE WHEN k = 0 THEN day0 ELSE wday END
                                     WHEN {REL_DAYS} THEN day0 + k
                                     WHEN {ABS_DAYS} THEN anchor + k
                                     ELSE day0 + CAST(floor(greatest(anchor - day0 + 1, 1)
                                          * ((h3 >> 14) % 1000) / 1000.0) AS INTEGER) END AS BIGINT) * 86400
                                   + {OFFICE_START} + ({OFFICE_SPAN} * slot_j + CAST((h3 >> 24) % {OFFICE_SPAN} AS INTEGER)) // slot_n,
                                   t0 + rank) END AS ts
                FROM timed
                WHERE p IS NULL OR (h3 % 10000) / 10000.0 >= p)
            SELECT CAST(ts AS BIGINT) * {1 << 32} + (i + {GRID_OFFSET}) * 32 + rank AS key,
                   step_id, unit_i
            FROM placed WHERE ts <= {self.horizon}
            UNION ALL
            SELECT ts * {1 << 32} + (i + {GRID_OFFSET}) * 32 + rank, step_id, unit_i FROM g_gridkey"""

    def count(self, n_cases: int) -> int:
        (n,) = self.con.execute(f"SELECT count(*) FROM ({self.keys_sql(n_cases)})").fetchone()
        return n

    def cases_for(self, events: int) -> int:
        """Cases needed for ``events`` events: the fewest, counted, for small logs; else from
        a sample of 200,000 cases (a little over: the latest events are left out)."""
        (per_case,) = self.con.execute(
            "SELECT sum(s.n * (r.hi - r.lo)) / sum(r.hi - r.lo) FROM g_range r "
            "JOIN (SELECT sid, count(*) AS n FROM g_step GROUP BY sid) s USING (sid)").fetchone()
        grid = self.grid_events
        n = max(self.n_scen, math.ceil((events - grid) / float(per_case)))
        probe = 200_000
        if n > probe:
            per_case = (self.count(probe) - grid) / probe
            n = math.ceil((events - grid) / per_case * 1.002)
        else:
            low = self.n_scen
            while self.count(n) < events:
                low, n = n, max(n + 1, math.ceil(n * 1.05))
            while low < n:
                mid = (low + n) // 2
                if self.count(mid) >= events:
                    n = mid
                else:
                    low = mid + 1
        if n + GRID_OFFSET >= 1 << 27:
            raise GeneratorError(f"{events} events need {n} cases; at most {(1 << 27) - GRID_OFFSET} "
                                 "fit in one log")
        return n

    def write(self, out: Path, n_cases: int, options: Options) -> int:
        """Write the first ``options.events`` events by time; returns how many there were."""
        con, n = self.con, int(options.events)
        for table in ("g_keys", "g_sorted"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"CREATE TEMP TABLE g_keys AS {self.keys_sql(n_cases)}")
        # the n-th key in time order: find its day from a histogram, then sort that day only
        days = con.execute("SELECT (key >> 32) // 86400 AS d, count(*) FROM g_keys "
                           "GROUP BY d ORDER BY d").fetchall()
        total, cutoff, before = sum(c for _, c in days), None, 0
        for day, c in days:
            if before + c >= n:
                (cutoff,) = con.execute(
                    f"SELECT key FROM g_keys WHERE (key >> 32) // 86400 = {int(day)} "
                    f"ORDER BY key LIMIT 1 OFFSET {n - before - 1}").fetchone()
                break
            before += c
        where = f"WHERE key <= {cutoff}" if cutoff is not None else ""
        con.execute(f"CREATE TEMP TABLE g_sorted AS SELECT * FROM g_keys {where} ORDER BY key")
        con.execute("DROP TABLE g_keys")
        # a case id is the step's prefix and the case number, zero-padded (a grid event's
        # step holds its whole case id as the prefix, and its case number is negative)
        width = max(6, len(str(n_cases)))
        number = f"(((k.key >> 5) & {(1 << 27) - 1}) - {GRID_OFFSET})"
        digits = (f"CASE WHEN {number} >= 0 THEN substr(CAST({number} + {10 ** width} AS VARCHAR), 2) "
                  f"ELSE '' END")
        case = f"concat(st.prefix, {digits})"
        stamp = "CAST(make_timestamp((k.key >> 32) * 1000000) AS VARCHAR)"
        joined = ("FROM g_sorted k JOIN g_step st ON st.step_id = k.step_id "
                  "JOIN g_unit u ON u.unit_i = k.unit_i")
        attrs = self.writer.attributes
        if options.format == "parquet":
            cols = ", ".join([f"{case} AS case_id", "st.event_type",
                              'make_timestamp((k.key >> 32) * 1000000) AS "timestamp"', "u.unit"]
                             + [f"st.attrs[{j + 1}] AS {quote_ident(a)}"
                                for j, a in enumerate(attrs)])
            query, target = f"SELECT {cols} {joined}", "(FORMAT parquet)"
        else:
            if options.format == "jsonl":
                line = f"concat('{{\"case_id\":\"', st.prefix, {digits}, st.mid, {stamp}, u.unit_text, st.tail)"
                header, head = "line", "false"
            else:
                line = f"concat(st.prefix, {digits}, st.mid, {stamp}, u.unit_text, st.tail)"
                header, head = self.writer.header(), "true"
            query = f"SELECT {line} AS {quote_ident(header)} {joined}"
            target = f"(FORMAT csv, HEADER {head}, QUOTE '', ESCAPE '', DELIMITER '\x1f')"
        # One thread: the join then streams the sorted keys in order (DuckDB keeps the order
        # of a join only when nothing runs in parallel), and it is the cheapest way anyway.
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        con.execute("SET threads = 1")
        try:
            con.execute(f"COPY ({query}) TO {quote_string(str(out))} {target}")
        finally:
            con.execute(f"SET threads = {int(threads)}")
        return min(total, n)

    def as_of(self) -> str:
        (last,) = self.con.execute("SELECT max(key) >> 32 FROM g_sorted").fetchone()
        return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(last))).strftime("%Y-%m-%d %H:%M:%S")

    def cases_written(self) -> int:
        # a case's first event is its rank 0 (the cut only drops the latest events)
        (n,) = self.con.execute("SELECT count(*) FROM g_sorted WHERE key & 31 = 0").fetchone()
        return int(n)

    def intended(self, n_cases: int) -> dict[tuple[str, str], int]:
        """Cases (and grid cells) given each injected violation; several rules may find
        more, so the truth comes from the oracle."""
        out: dict[tuple[str, str], int] = defaultdict(int)
        rows = self.con.execute("SELECT st.sid, count(*) FROM g_sorted k JOIN g_step st "
                                "ON st.step_id = k.step_id WHERE k.key & 31 = 0 AND st.sid IS NOT NULL "
                                "GROUP BY st.sid").fetchall()
        for sid, n in rows:
            intended = self.writer.scenarios[sid].intended
            if intended:
                out[intended] += n
        for _, _, _, _, intended in self.writer.grid:
            if intended:
                out[intended] += 1
        planner = self.planner
        for rule in planner.condition_ratios:    # each weak unit, in each period of the year
            if "unit" not in (rule.group_by or ()):
                continue
            periods = 1
            if rule.period:
                periods = {"year": 1, "quarter": 4, "month": 12}[rule.period]
            out[(rule.id, "below_threshold")] += len(planner.weak.get(rule.id, ())) * periods
        return dict(sorted(out.items()))


def _table(con, name: str, columns: str, rows: list[tuple]) -> None:
    """Create ``name`` and fill it with ``rows`` in one statement (column lists unnested)."""
    con.execute(f"CREATE TABLE {name} ({columns})")
    if not rows:
        return
    types = [c.strip().split(" ", 1)[1] for c in columns.split(",")]
    cols = list(zip(*rows))
    select = ", ".join(f"unnest(${j + 1}::{t}[])" for j, t in enumerate(types))
    con.execute(f"INSERT INTO {name} SELECT {select}", [list(c) for c in cols])

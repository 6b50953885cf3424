"""The rule language as typed, frozen objects: the one model both engines compile from.

A rule file is validated into one of eight kinds (``deadline``, ``sequence``,
``min_count``, ``ratio``, ``due_by``, ``periodic``, ``required_fields``,
``forbidden``). The pydantic models here are the single source of truth: the loader
validates YAML against them, ``rules/rule.schema.json`` is generated from them, and
the SQL compiler and the streaming monitor read them. Checks that involve several
keys return ``(key path, message)`` pairs from ``Rule.problems()`` so the loader
can point at the offending key in the file.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, RootModel, WithJsonSchema,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

from ..i18n import translate as _, translate_plural as ngettext
from .regex import PatternError, compile_pattern

# ---------------------------------------------------------------------------
# Vocabulary of the language
# ---------------------------------------------------------------------------

KINDS = ("deadline", "sequence", "min_count", "ratio", "due_by", "periodic",
         "required_fields", "forbidden")
CASE_KINDS = ("deadline", "sequence", "min_count", "due_by", "required_fields", "forbidden")
AGGREGATE_KINDS = ("ratio", "periodic")

#: Violation types, in the order DESIGN lists them.
VIOLATION_TYPES = ("late", "overdue_open", "missing_step", "out_of_order", "insufficient",
                   "below_threshold", "missing_by_date", "missing_in_period",
                   "missing_field", "forbidden")
#: The type a warning (an at-risk case before its deadline) carries.
WARNING_TYPE = "at_risk"

#: Which violation types each kind can give, in precedence order (first wins).
KIND_TYPES: dict[str, tuple[str, ...]] = {
    "deadline": ("late", "overdue_open"),
    "sequence": ("missing_step", "out_of_order", "late"),
    "min_count": ("insufficient",),
    "ratio": ("below_threshold",),
    "due_by": ("missing_by_date", "late"),
    "periodic": ("missing_in_period",),
    "required_fields": ("missing_field",),
    "forbidden": ("forbidden",),
}

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "contains", "startswith", "re", "exists")
#: Columns every event has; everything else in a log is an attribute.
CANONICAL_COLUMNS = ("case_id", "event_type", "timestamp", "unit", "event_id")
PERIODS = ("day", "week", "month", "quarter", "year")

Scalar = Union[str, int, float, dt.date]
_KEY = re.compile(r"^(?P<field>[^|\s][^|]*?)(?:\|(?P<op>[a-z]+))?$")


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?$")


def _iso_date(text: str) -> dt.date | None:
    """The date ``text`` writes as YYYY-MM-DD, None for any other text or no such day."""
    if not _ISO_DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _date_from_text(value: Any) -> Any:
    """A date written as text is that date: JSON, and so the schema, can write a date only
    as ``"2022-01-01"``, and YAML reads a quoted date as text. Anything else is left for
    the strict check to refuse, except a date that is no day of the calendar."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return value
    day = _iso_date(value)
    if day is None:
        raise PydanticCustomError("date_not_in_calendar", "{text} is not a day of the calendar",
                                  {"text": repr(value)})
    return day


def _text_as_date(value: Any) -> Any:
    """``value``, or the date it writes as YYYY-MM-DD."""
    return (_iso_date(value) or value) if isinstance(value, str) else value


def _moment_from_text(value: Any) -> Any:
    """``as_of``: a date or a date and time, as YAML reads it or as ISO text."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        day = _iso_date(value)
        if day is not None:
            return day
        if _ISO_MOMENT.match(value):
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
    raise PydanticCustomError("moment_type", "expected a date (YYYY-MM-DD) or a date and time "
                              "(YYYY-MM-DD HH:MM[:SS]), got {text}", {"text": repr(value)})


_DATE_SCHEMA = {"type": "string", "format": "date", "pattern": _ISO_DATE.pattern}
#: A date: ``2022-01-01`` (a YAML date) or ``"2022-01-01"`` (text).
Date = Annotated[dt.date, BeforeValidator(_date_from_text), WithJsonSchema(_DATE_SCHEMA)]
#: A moment: a date (its end) or a date and time, as YAML values or ISO text.
Moment = Annotated[Union[dt.datetime, dt.date], BeforeValidator(_moment_from_text),
                   WithJsonSchema({"anyOf": [_DATE_SCHEMA,
                                             {"type": "string", "pattern": _ISO_MOMENT.pattern}]})]


class _Strict(BaseModel):
    """Frozen, strict (no silent type coercion) and closed (unknown keys are errors). The
    string under each field is its description in the JSON Schema (rules/rule.schema.json),
    in Chinese: an editor shows it to the rule's author."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True,
                              use_attribute_docstrings=True)


# ---------------------------------------------------------------------------
# Matchers and durations
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Condition:
    """One ``field|op: value`` entry of a matcher; several values mean any of them."""

    field: str
    op: str
    values: tuple[Any, ...]


def value_text(value: Any) -> str:
    """A matcher value as both engines compare it with an event's text: ``true``/``false``
    for booleans, ``5`` for 5.0 (a YAML number matches the text a log holds)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value_date(value: dt.date) -> dt.date:
    """A matcher's date value (a datetime counts by its date)."""
    return value.date() if isinstance(value, dt.datetime) else value


def value_timestamp(value: Any) -> dt.datetime:
    """A matcher's time value, naive local time (a date is its midnight)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.combine(value, dt.time())


class Matcher(RootModel[dict[str, Union[Scalar, bool, list[Union[Scalar, bool]]]]]):
    """``{field: value, field|op: value, ...}``: all entries must hold (Sigma style)."""

    model_config = ConfigDict(frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _time_bounds(cls, data: Any) -> Any:
        """``timestamp|gt: "2021-01-01"`` compares times with that date, as if unquoted (any
        other text is left for ``problems`` to refuse at its key)."""
        if not isinstance(data, dict):
            return data
        out = {}
        for key, value in data.items():
            m = _KEY.match(key) if isinstance(key, str) else None
            if m and m["field"] == "timestamp" and m["op"] in ("gt", "gte", "lt", "lte"):
                value = ([_text_as_date(v) for v in value] if isinstance(value, list)
                         else _text_as_date(value))
            out[key] = value
        return out

    @property
    def conditions(self) -> tuple[Condition, ...]:
        out = []
        for key, value in self.root.items():
            m = _KEY.match(key)
            name, op = (m["field"], m["op"] or "eq") if m else (key, "eq")
            values = tuple(value) if isinstance(value, list) else (value,)
            out.append(Condition(name, op, values))
        return tuple(out)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.field for c in self.conditions))

    def event_types(self) -> tuple[str, ...]:
        """Event types this matcher can match by equality (for the vocabulary lint)."""
        return tuple(str(v) for c in self.conditions
                     if c.field == "event_type" and c.op == "eq" for v in c.values)

    def scope(self) -> "Matcher | None":
        """Only the ``event_type`` equality of this matcher: the events a rule looks at,
        whatever their attributes (None when the matcher names no event type)."""
        kept = {k: v for k, v in self.root.items()
                if (m := _KEY.match(k)) and m["field"] == "event_type" and (m["op"] or "eq") == "eq"}
        return Matcher(kept) if kept else None

    def label(self) -> str:
        """A short human name: its event type(s), then any other condition in brackets,
        e.g. ``政务服务事项发布（依申请=是）``."""
        types = "/".join(self.event_types())
        others = [_condition_text(c) for c in self.conditions
                  if not (c.field == "event_type" and c.op == "eq")]
        if not others:
            return types
        return f"{types}（{'，'.join(others)}）" if types else "，".join(others)

    def problems(self) -> list[tuple[tuple[Any, ...], str]]:
        out: list[tuple[tuple[Any, ...], str]] = []
        if not self.root:
            out.append(((), _("a matcher needs at least one field")))
        for key, value in self.root.items():
            m = _KEY.match(key)
            if not m:
                out.append(((key,), _("bad matcher key {key}: expected 'field' or 'field|op'")
                            .format(key=repr(key))))
                continue
            op = m["op"] or "eq"
            if op not in OPERATORS:
                out.append(((key,), _("unknown operator {op} in {key}: use one of {ops}").format(
                    op=repr(op), key=repr(key), ops=", ".join(OPERATORS))))
                continue
            values = value if isinstance(value, list) else [value]
            if not values:
                out.append(((key,), _("{key} has an empty list: give at least one value").format(
                    key=repr(key))))
            for v in values:
                if op == "exists":
                    if not isinstance(v, bool):
                        out.append(((key,), _("{key} takes true or false").format(key=repr(key))))
                elif isinstance(v, bool):
                    out.append(((key,), _("{key}: true/false only makes sense with |exists; "
                                          "quote the value if you mean the text").format(
                                              key=repr(key))))
                elif op == "re":
                    try:
                        compile_pattern(str(v))
                    except PatternError as exc:
                        out.append(((key,), _("bad regular expression {pattern}: {problem}")
                                    .format(pattern=repr(v), problem=exc)))
                elif op in ("gt", "gte", "lt", "lte") and m["field"] == "timestamp" \
                        and not isinstance(v, dt.date):
                    out.append(((key,), _("{key} compares times: give a date such as 2021-01-01")
                                .format(key=repr(key))))
        return out


def _found(given: list[str]) -> str:
    """`` (found workdays, days)``: the keys a duration gave, when it gave too many."""
    return _(" (found {keys})").format(keys=", ".join(given)) if given else ""


_OP_WORDS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤",
             "contains": "含", "re": "匹配"}


def _matchers_in(value: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Matcher]]:
    """The matchers a key's value holds, with their key paths: a matcher, a list of them
    (or of lists: step alternatives), an extension's matcher, a pause pair's two."""
    if isinstance(value, Matcher):
        return [(path, value)]
    if isinstance(value, Extend):
        return [(path, value.matcher)]
    if isinstance(value, PauseSpec):
        return [(path + ("pause",), value.pause), (path + ("resume",), value.resume)]
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in _matchers_in(item, path + (i,))]
    return []


def _condition_text(c: Condition) -> str:
    if c.op == "exists":
        return f"{'有' if c.values[0] else '无'}{c.field}"
    if c.op == "startswith":
        return f"{c.field}以{'/'.join(map(str, c.values))}开头"
    return f"{c.field}{_OP_WORDS[c.op]}{'/'.join(map(str, c.values))}"


#: Largest durations a rule may give (about a hundred years).
MAX_DAYS = 36_600
MAX_WORKDAYS = 25_000


#: A matcher, or a list of matchers any of which may hold (``cancel: [{…}, {…}]``).
AnyMatcher = Union[Matcher, Annotated[list[Matcher], Field(min_length=1)]]


def alternatives(value: Matcher | list[Matcher] | None) -> tuple[Matcher, ...]:
    """The matchers of a matcher-or-list key, any of which may hold (none for no key)."""
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def alternatives_label(value: Matcher | list[Matcher]) -> str:
    """``A或B``: the labels of a matcher-or-list key."""
    return "或".join(m.label() for m in alternatives(value))


class Duration(_Strict):
    """``{workdays: N}``, ``{days: N}``, ``{hours: N}`` or ``{workdays_from: ATTR}``, the
    last optionally with ``default: N``: the working days when the attribute is blank or
    absent (法律、法规另有规定的 read from the case, the general limit otherwise)."""

    # at most about a hundred years: a limit beyond that is a typo, and a count that large
    # overflows the date arithmetic of both engines
    workdays: Annotated[int, Field(ge=0, le=MAX_WORKDAYS)] | None = None
    """工作日数（按法定节假日和调休计算）"""
    days: Annotated[int, Field(ge=0, le=MAX_DAYS)] | None = None
    """自然日数"""
    hours: Annotated[float, Field(ge=0, le=MAX_DAYS * 24)] | None = None
    """小时数"""
    workdays_from: Annotated[str, Field(min_length=1)] | None = None
    """从起算事件的这个属性读取工作日数（如 承诺时限）"""
    default: Annotated[int, Field(ge=0)] | None = None
    """读取的属性为空或缺失时的工作日数（法律、法规另有规定的从案件读取，否则取一般时限）"""

    @property
    def unit(self) -> str:
        """``workdays``, ``days`` or ``hours``: what the count is measured in."""
        if self.days is not None:
            return "days"
        if self.hours is not None:
            return "hours"
        return "workdays"

    @property
    def amount(self) -> float | None:
        """The fixed count, or None when it is read from an attribute."""
        for value in (self.workdays, self.days, self.hours):
            if value is not None:
                return value
        return None

    def describe(self) -> str:
        """The duration in words, in the language in use: ``3个工作日``, ``3 working days``."""
        if self.workdays_from:
            if self.default is None:
                return _("the working days in {attribute}").format(attribute=self.workdays_from)
            return _("the working days in {attribute} ({default} working days where it is "
                     "blank)").format(attribute=self.workdays_from, default=self.default)
        n = self.amount
        count = int(n) if n == int(n) else 2       # a fraction of a day reads as plural
        if self.unit == "workdays":
            words = ngettext("{n} working day", "{n} working days", count)
        elif self.unit == "days":
            words = ngettext("{n} day", "{n} days", count)
        else:
            words = ngettext("{n} hour", "{n} hours", count)
        return words.format(n=f"{n:g}")

    def problems(self) -> list[tuple[tuple[Any, ...], str]]:
        given = [k for k in ("workdays", "days", "hours", "workdays_from")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            return [((), _("a duration has exactly one of workdays, days, hours, workdays_from")
                     + _found(given))]
        if self.default is not None and self.workdays_from is None:
            return [(("default",), _("default is the number when workdays_from's attribute is "
                                     "blank: give workdays_from"))]
        return []


class Grace(Duration):
    """How long after a period's end its events may still come: a duration, or
    ``{months: N}`` — the period's last day plus N calendar months, to the end of that month
    (12-31 + 1 → 01-31; a quarter ending 06-30 + 3 → 09-30), which no count of days reaches
    in every year."""

    months: Annotated[int, Field(ge=0)] | None = None
    """月数：周期最后一天加 N 个月，至该月末"""

    @property
    def unit(self) -> str:
        return "months" if self.months is not None else super().unit

    @property
    def amount(self) -> float | None:
        return self.months if self.months is not None else super().amount

    def describe(self) -> str:
        if self.months is not None:
            return ngettext("{months} month (to the end of that month)",
                            "{months} months (to the end of that month)",
                            self.months).format(months=self.months)
        return super().describe()

    def problems(self) -> list[tuple[tuple[Any, ...], str]]:
        given = [k for k in ("workdays", "days", "hours", "workdays_from", "months")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            return [((), _("a grace has exactly one of workdays, days, hours, months")
                     + _found(given))]
        if self.workdays_from or self.default is not None:
            return [(("workdays_from" if self.workdays_from else "default",),
                     _("grace is a fixed duration (workdays, days, hours or months)"))]
        return []


class Settle(Duration):
    """A stated fair time (``settle``): an incomplete case is judged only once this much has
    passed since its opening event; not a deadline (a step done later is not late)."""

    reason: Annotated[str, Field(min_length=1)]
    """为什么这段时间是合理的（至少10个字）"""


class Extend(RootModel[dict[str, Union[Scalar, bool, list[Union[Scalar, bool]]]]]):
    """An extension: a matcher for the extension event plus ``workdays_from: ATTR``."""

    model_config = ConfigDict(frozen=True, strict=True)

    @property
    def attribute(self) -> str | None:
        value = self.root.get("workdays_from")
        return value if isinstance(value, str) else None

    @property
    def matcher(self) -> Matcher:
        return Matcher({k: v for k, v in self.root.items() if k != "workdays_from"})

    def problems(self) -> list[tuple[tuple[Any, ...], str]]:
        if self.attribute is None:
            return [((), _("extend needs workdays_from: the attribute that holds the granted "
                           "working days"))]
        return self.matcher.problems()


class PauseSpec(_Strict):
    """One pair of events that stop a deadline's clock (``pauses:`` lists several): each
    pause lasts until its resume, or until ``max`` has passed, whichever comes first."""

    pause: Matcher
    """暂停计时的事件（匹配条件）"""
    resume: Matcher
    """恢复计时的事件（匹配条件）"""
    max: Duration | None = None
    """这组暂停每次最长多久，如 {workdays: 15}"""


# ---------------------------------------------------------------------------
# Common parts of a rule
# ---------------------------------------------------------------------------

class Source(_Strict):
    """The clause a rule enforces, quoted exactly."""

    document: Annotated[str, Field(min_length=1)]
    """所依据文件的名称，如 邵阳市2021年政务管理服务工作要点"""
    number: Annotated[str, Field(min_length=1)]
    """文号，如 邵市政办函〔2021〕21号；原文未载文号时写（原文未载文号）"""
    clause: Annotated[str, Field(min_length=1)]
    """条款序号，如 八、（二十八）"""
    quote: Annotated[str, Field(min_length=1)]
    """原文：照抄文件中规定这项要求的句子，一字不改"""


class Effective(_Strict):
    """Dates (inclusive) in which the opening event of a case must fall."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=True)

    from_: Date | None = Field(default=None, alias="from")
    """适用起始日期（含），如 2021-01-01"""
    to: Date | None = None
    """适用截止日期（含），如 2021-12-31；不写表示长期有效"""

    def label(self) -> str | None:
        """The period label of the whole window (``2021`` for a calendar year)."""
        if self.from_ and self.to and self.from_ == dt.date(self.from_.year, 1, 1) \
                and self.to == dt.date(self.from_.year, 12, 31):
            return str(self.from_.year)
        if self.from_ or self.to:
            return f"{self.from_ or ''}/{self.to or ''}"
        return None


class SubjectsWindow(_Strict):
    """Dates (inclusive) in which a ``due_by`` subject event must fall: ``from`` a date or
    ``any`` (however long ago it was listed), ``to`` a date (default: the rule's ``by``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=True)

    from_: Union[Literal["any"], Date] = Field(alias="from")
    """起始日期，或 any（不论多早列入）"""
    to: Date | None = None
    """截止日期（含当日；不写为规则的 by）"""


class Expectation(_Strict):
    """One expected finding of an example: ``{case_id, type}`` or ``{unit, period, type}``."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    case_id: str | None = None
    """应查出违规的案件编号（按案件判定的规则）"""
    unit: str | None = None
    """应查出违规的单位（按单位和期间汇总判定的规则）"""
    period: str | None = None
    """应查出违规的期间，如 2021、2021-Q3、2021-07"""
    type: Literal[VIOLATION_TYPES + (WARNING_TYPE,)]  # type: ignore[valid-type]
    """违规类型，如 late（逾期办结）、overdue_open（逾期未办结）、at_risk（临近期限预警）"""

    @field_validator("case_id", "unit", "period", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        # ``period: 2021`` and ``case_id: 7`` are read by YAML as numbers; mean the text.
        if isinstance(value, bool):
            raise ValueError("expected text")
        return str(value) if isinstance(value, int) else value


class ExampleSpan(_Strict):
    """The span an example's log stands for (dates, inclusive): what happened before
    ``from`` or after ``to`` is not in the log, so it cannot be judged."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=True)

    from_: Date | None = Field(default=None, alias="from")
    """示例日志覆盖的起始日期（含）"""
    to: Date | None = None
    """示例日志覆盖的截止日期（含）"""


class Example(_Strict):
    """A small log and exactly what the rule must find in it (a test of the rule)."""

    name: Annotated[str, Field(min_length=1)]
    """示例名称：一句话说明这个示例演示的情形"""
    events: list[dict[str, Any]]
    """示例事件，每条至少有 case_id、event_type、timestamp，可加 unit 和属性"""
    as_of: Moment | None = None
    """判定时点（默认：最后一条事件的时间）"""
    span: ExampleSpan | None = None
    """示例日志覆盖的期间（默认：从规则适用起始日到判定时点）"""
    expect: list[Expectation]
    """规则应查出的全部违规，不多不少；[] 表示应当合规"""


@dataclass(frozen=True)
class Subject:
    """One entry of ``due_by.subjects_list``."""

    case_id: str
    unit: str | None = None


class SubjectEntry(_Strict):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    case_id: str
    """对象的编号"""
    unit: str | None = None
    """对象的责任单位"""

    @field_validator("case_id", "unit", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class RatioValue(_Strict):
    """Ratio from two numeric attributes of the population events."""

    numerator: Annotated[str, Field(min_length=1)]
    """分子所在的数值属性"""
    denominator: Annotated[str, Field(min_length=1)]
    """分母所在的数值属性"""


# ---------------------------------------------------------------------------
# The eight kinds
# ---------------------------------------------------------------------------

class RuleBase(_Strict):
    """Keys every rule has, in the order rule files list them."""

    id: Annotated[str, Field(pattern=r"^[A-Z0-9-]+$")]
    """规则编号：大写字母、数字和连字符，如 SY21-FW-28-1；一经使用不再改动，文件名与之相同"""
    title: Annotated[str, Field(min_length=1)]
    """标题：一句话说明这项要求"""
    kind: str
    """规则类型：deadline、sequence、min_count、ratio、due_by、periodic、required_fields、forbidden"""
    severity: Literal["error", "warning"]
    """级别：error（确保、必须、一律、达到等刚性要求）或 warning（力争、原则上、探索等）"""
    source: Source
    """出处：文件名称、文号、条款和原文"""
    notes: Annotated[str, Field(min_length=1)] | None = None
    """解读说明：原文的读法不显然时（时限取自法规、存疑之处如何决定）写明，引用原文处一并显示"""
    effective: Effective | None = None
    """适用期间：案件的起算事件须落在这段日期内"""
    where: Matcher | None = None
    """适用范围：只检查符合这个条件的事件（匹配条件，如 {event_type: 留言受理}）"""
    examples: list[Example] = Field(default_factory=list)
    """示例：小段日志及规则应查出的结果；至少一个合规示例和一个违规示例，govcheck validate 逐一运行"""

    #: Names of the matcher-valued keys of this kind (for lints and evidence).
    matcher_keys: ClassVar[tuple[str, ...]] = ()

    def opening(self) -> tuple[Matcher, ...]:
        """Matchers (all must hold) of the event that opens a case or makes a member."""
        raise NotImplementedError

    def matchers(self) -> list[tuple[tuple[Any, ...], Matcher]]:
        """Every matcher in the rule with its key path."""
        out: list[tuple[tuple[Any, ...], Matcher]] = []
        if self.where is not None:
            out.append((("where",), self.where))
        for key in self.matcher_keys:
            out.extend(_matchers_in(getattr(self, key), (key,)))
        return out

    #: Names of the duration-valued keys of this kind.
    duration_keys: ClassVar[tuple[str, ...]] = ("within", "settle", "grace")

    def durations(self) -> list[tuple[tuple[Any, ...], Duration]]:
        out = [((k,), getattr(self, k)) for k in self.duration_keys
               if isinstance(getattr(self, k, None), Duration)]
        for i, spec in enumerate(getattr(self, "pauses", None) or ()):
            if spec.max is not None:
                out.append((("pauses", i, "max"), spec.max))
        return out

    def attributes(self) -> tuple[str, ...]:
        """Every log column the rule reads (for evidence and the vocabulary lint)."""
        names: list[str] = []
        for _path, m in self.matchers():
            names.extend(m.fields)
        for _path, d in self.durations():
            if d.workdays_from:
                names.append(d.workdays_from)
        names.extend(self._extra_attributes())
        return tuple(dict.fromkeys(names))

    def _extra_attributes(self) -> list[str]:
        return []

    def with_where(self, matcher: Matcher) -> tuple[Matcher, ...]:
        return (matcher,) if self.where is None else (matcher, self.where)

    def problems(self) -> list[tuple[tuple[Any, ...], str]]:
        """Checks across keys, as (key path, message); empty when the rule is sound."""
        out: list[tuple[tuple[Any, ...], str]] = []
        for path, matcher in self.matchers():
            out.extend((path + p, msg) for p, msg in matcher.problems())
        extend = getattr(self, "extend", None)
        if isinstance(extend, Extend) and extend.attribute is None:
            out.append((("extend",), extend.problems()[0][1]))
        for path, duration in self.durations():
            out.extend((path + p, msg) for p, msg in duration.problems())
        eff = self.effective
        if eff and eff.from_ and eff.to and eff.from_ > eff.to:
            out.append((("effective", "to"), _("effective.to is before effective.from")))
        out.extend(self._kind_problems())
        out.extend(self._example_problems())
        return out

    def _kind_problems(self) -> list[tuple[tuple[Any, ...], str]]:
        return []

    def _example_problems(self) -> list[tuple[tuple[Any, ...], str]]:
        out = []
        allowed = KIND_TYPES[self.kind] + ((WARNING_TYPE,) if self.kind == "deadline" else ())
        for i, example in enumerate(self.examples):
            for j, item in enumerate(example.expect):
                path = ("examples", i, "expect", j)
                if item.type not in allowed:
                    out.append((path + ("type",), _("a {kind} rule cannot give {type}; it gives "
                                                    "{types}").format(
                        kind=self.kind, type=repr(item.type), types=", ".join(allowed))))
                if self.kind in CASE_KINDS and (item.case_id is None or item.unit or item.period):
                    out.append((path, _("a case rule expects {case_id, type}")))
                if self.kind in AGGREGATE_KINDS and item.case_id is not None:
                    out.append((path, _("an aggregate rule expects {unit, period, type}")))
        return out


class DeadlineRule(RuleBase):
    kind: Literal["deadline"]
    """时限（deadline）：起算事件之后，须在 within 内出现办结事件"""
    start: Matcher
    """起算事件（匹配条件，如 {event_type: 留言受理}）"""
    end: Matcher
    """办结事件（匹配条件，如 {event_type: 留言受理}）"""
    within: Duration
    """时限，如 {workdays: 5}"""
    pause: Matcher | None = None
    """暂停计时的事件，与 resume 成对（匹配条件，如 {event_type: 留言受理}）"""
    resume: Matcher | None = None
    """恢复计时的事件，与 pause 成对（匹配条件，如 {event_type: 留言受理}）"""
    pause_max: Duration | None = None
    """每次暂停最长多久（如征求第三方意见最长15个工作日），超过即恢复计时"""
    pauses: Annotated[list[PauseSpec], Field(min_length=1)] | None = None
    """多组暂停/恢复事件，每组可有自己的最长暂停时间 max"""
    restart: Matcher | None = None
    """重新起算的事件：从最后一次重新起算时计时（匹配条件，如 {event_type: 留言受理}）"""
    extend: Extend | None = None
    """延期事件：匹配条件，另加 workdays_from: 属性名（延长的工作日数）"""
    extend_max: Duration | None = None
    """延期合计最多多久（如延长的期限最长不得超过20个工作日）"""
    warn_at: Annotated[float, Field(gt=0, lt=1)] | None = None
    """预警比例（0 到 1 之间）：已用去这一比例的时限（向上取整）仍未办结时预警"""
    only_if: AnyMatcher | None = None
    """只检查其中出现过这类事件的案件（匹配条件，可为列表，任一符合即可）"""
    exclude: AnyMatcher | None = None
    """出现这类事件的案件不检查（匹配条件，可为列表，任一符合即可）"""
    cancel: AnyMatcher | None = None
    """不作判断而结束案件的事件（撤回、视为放弃申请、不予受理等），在时限内出现则不检查（匹配条件）"""

    matcher_keys: ClassVar = ("start", "end", "pause", "resume", "pauses", "restart", "extend",
                              "only_if", "exclude", "cancel")
    duration_keys: ClassVar = ("within", "pause_max", "extend_max")

    def opening(self) -> tuple[Matcher, ...]:
        return self.with_where(self.start)

    @property
    def pause_specs(self) -> tuple[PauseSpec, ...]:
        """Every pause pair: ``pauses``, or the one pair ``pause``/``resume``/``pause_max``."""
        if self.pauses:
            return tuple(self.pauses)
        if self.pause is not None and self.resume is not None:
            return (PauseSpec(pause=self.pause, resume=self.resume, max=self.pause_max),)
        return ()

    def _extra_attributes(self) -> list[str]:
        return [self.extend.attribute] if self.extend and self.extend.attribute else []

    def warn_after(self, total: float) -> int:
        """How many units of a ``total``-unit limit pass before ``at_risk``: ``warn_at ×
        total`` rounded up, the product first rounded to 9 decimals so that a float such as
        0.14 × 50 = 7.000000000000001 warns after 7 days, not 8 (``deadline.sql.j2`` rounds
        the same way)."""
        return math.ceil(round(self.warn_at * total, 9))

    def _kind_problems(self):
        out = []
        if (self.pause is None) != (self.resume is None):
            out.append((("pause" if self.pause else "resume",), _("pause and resume go together")))
        if self.pause_max is not None and self.pause is None:
            out.append((("pause_max",), _("pause_max caps the pause of pause and resume: give "
                                          "them")))
        if self.pauses is not None and (self.pause or self.resume or self.pause_max):
            out.append((("pauses",), _("give the pauses either as pauses or as one pause and "
                                       "resume (with pause_max), not both")))
        if self.extend is not None and self.within.unit != "workdays":
            out.append((("extend",), _("extend grants working days: within must count "
                                       "workdays")))
        if self.extend_max is not None and self.extend is None:
            out.append((("extend_max",), _("extend_max caps what extend grants: give extend")))
        if self.extend_max is not None and (self.extend_max.unit != "workdays"
                                            or self.extend_max.workdays_from):
            out.append((("extend_max",), _("extend_max is a fixed number of working days")))
        caps = [(("pause_max",), self.pause_max)] + [
            (("pauses", i, "max"), spec.max) for i, spec in enumerate(self.pauses or ())]
        for path, cap in caps:
            if cap is not None and cap.unit != self.within.unit:
                out.append((path, _("a pause's cap counts in the unit of within ({unit})").format(
                    unit=self.within.unit)))
        return out


def _within_or_settle(rule: RuleBase) -> list[tuple[tuple[Any, ...], str]]:
    """A case has a limit (``within``) or a fair time before it is judged (``settle``), not both."""
    if getattr(rule, "within", None) is not None and getattr(rule, "settle", None) is not None:
        return [(("settle",), _("give within (a limit) or settle (a fair time before judging), "
                                "not both"))]
    return []


class SequenceRule(RuleBase):
    kind: Literal["sequence"]
    """环节（sequence）：触发事件之后，须有 steps 所列的全部环节"""
    trigger: Matcher
    """触发事件（匹配条件，如 {event_type: 留言受理}）"""
    steps: Annotated[list[Union[Matcher, Annotated[list[Matcher], Field(min_length=2)]]],
                     Field(min_length=1)]
    """须有的环节，每项一个匹配条件，或几个可互相替代的匹配条件组成的列表"""
    ordered: bool = False
    """为 true 时各环节须按所列顺序"""
    within: Duration | None = None
    """各环节须在触发后多久内完成，如 {workdays: 10}"""
    settle: Settle | None = None
    """原文未定时限时，判定前留出的合理时间，并写明理由 reason（不是时限：之后完成不算逾期）"""
    only_if: AnyMatcher | None = None
    """只检查其中出现过这类事件的案件（匹配条件，可为列表，任一符合即可）"""
    exclude: AnyMatcher | None = None
    """出现这类事件的案件不检查（匹配条件，可为列表，任一符合即可）"""
    cancel: AnyMatcher | None = None
    """不作判断而结束案件的事件（撤回、视为放弃申请、不予受理等），在时限内出现则不检查（匹配条件）"""

    matcher_keys: ClassVar = ("trigger", "steps", "only_if", "exclude", "cancel")

    def opening(self) -> tuple[Matcher, ...]:
        return self.with_where(self.trigger)

    def _kind_problems(self):
        return _within_or_settle(self)


class MinCountRule(RuleBase):
    kind: Literal["min_count"]
    """最低数量（min_count）：每个对象至少有 at_least 个计数事件"""
    subject: Matcher
    """对象事件，每个案件一个对象（匹配条件，如 {event_type: 留言受理}）"""
    count: Matcher
    """计数事件（匹配条件，如 {event_type: 留言受理}）"""
    at_least: Annotated[int, Field(ge=1)]
    """至少几个"""
    distinct: Annotated[str, Field(min_length=1)] | None = None
    """按这个属性计不同取值的个数（如 解读形式）"""
    within: Duration | None = None
    """计数事件须在对象事件后多久内出现"""
    settle: Settle | None = None
    """原文未定时限时，判定前留出的合理时间，并写明理由 reason（不是时限：之后完成不算逾期）"""
    only_if: AnyMatcher | None = None
    """只检查其中出现过这类事件的案件（匹配条件，可为列表，任一符合即可）"""
    exclude: AnyMatcher | None = None
    """出现这类事件的案件不检查（匹配条件，可为列表，任一符合即可）"""
    cancel: AnyMatcher | None = None
    """不作判断而结束案件的事件（撤回、视为放弃申请、不予受理等），在时限内出现则不检查（匹配条件）"""

    matcher_keys: ClassVar = ("subject", "count", "only_if", "exclude", "cancel")

    def opening(self) -> tuple[Matcher, ...]:
        return self.with_where(self.subject)

    def _kind_problems(self):
        return _within_or_settle(self)

    def _extra_attributes(self) -> list[str]:
        return [self.distinct] if self.distinct else []


class RatioRule(RuleBase):
    kind: Literal["ratio"]
    """比例（ratio）：达标的比例不低于 at_least"""
    population: Matcher
    """总体：计入分母的事件（匹配条件，如 {event_type: 留言受理}）"""
    condition: Matcher | None = None
    """达标条件：案件中有符合这个条件的事件即达标（匹配条件，如 {event_type: 留言受理}）"""
    value: RatioValue | None = None
    """或由两个数值属性相除得出比例"""
    at_least: Annotated[float, Field(ge=0, le=1)]
    """比例下限（0 到 1），如 0.9 表示 90%"""
    group_by: Annotated[list[str], Field(min_length=1)] | None = None
    """分组计算比例的属性，如 [unit]"""
    lead_unit: Annotated[str, Field(min_length=1)] | None = None
    """牵头单位：整体比例或定期要求由它负责时，违规记在它名下"""
    period: Literal["year", "quarter", "month"] | None = None
    """按年（year）、季度（quarter）或月（month）分期计算"""
    grace: Grace | None = None
    """周期结束后的宽限，如 {workdays: 10} 或 {months: 1}（至该月末）"""
    exclude: AnyMatcher | None = None
    """不计入总体的事件（匹配条件，如 {event_type: 留言受理}）"""

    matcher_keys: ClassVar = ("population", "condition", "exclude")

    def opening(self) -> tuple[Matcher, ...]:
        return self.with_where(self.population)

    def _extra_attributes(self) -> list[str]:
        names = list(self.group_by or [])
        if self.value:
            names += [self.value.numerator, self.value.denominator]
        return names

    def _kind_problems(self):
        out = []
        if (self.condition is None) == (self.value is None):
            out.append(((), _("a ratio rule has exactly one of condition or value")))
        if self.lead_unit is not None and self.group_by is not None:
            out.append((("lead_unit",), _("lead_unit makes one city-wide group: not with "
                                          "group_by")))
        return out


class DueByRule(RuleBase):
    kind: Literal["due_by"]
    """截止日期（due_by）：每个对象须在 by 当日24时前完成 required"""
    subjects: Matcher | None = None
    """对象：日志中符合这个条件的事件（匹配条件，如 {event_type: 留言受理}）"""
    subjects_list: Annotated[list[SubjectEntry], Field(min_length=1)] | None = None
    """或直接列出对象：[{case_id, unit}]"""
    required: Matcher
    """须完成的事件（匹配条件，如 {event_type: 留言受理}）"""
    by: Date
    """截止日期（当日24时前），如 2021-06-30"""
    subjects_window: SubjectsWindow | None = None
    """对象事件的日期范围（如计划年度之前列入的对象也须完成）"""
    settle: Settle | None = None
    """原文未定时限时，判定前留出的合理时间，并写明理由 reason（不是时限：之后完成不算逾期）"""
    only_if: AnyMatcher | None = None
    """只检查其中出现过这类事件的案件（匹配条件，可为列表，任一符合即可）"""
    exclude: AnyMatcher | None = None
    """出现这类事件的案件不检查（匹配条件，可为列表，任一符合即可）"""
    cancel: AnyMatcher | None = None
    """不作判断而结束案件的事件（撤回、视为放弃申请、不予受理等），在时限内出现则不检查（匹配条件）"""

    matcher_keys: ClassVar = ("subjects", "required", "only_if", "exclude", "cancel")

    def opening(self) -> tuple[Matcher, ...]:
        assert self.subjects is not None
        return self.with_where(self.subjects)

    def _kind_problems(self):
        out = []
        if (self.subjects is None) == (self.subjects_list is None):
            out.append(((), _("a due_by rule has exactly one of subjects or subjects_list")))
        if self.subjects_list is not None and self.where is not None:
            out.append((("where",), _("where applies to subject events; subjects_list has none")))
        if self.subjects_list is not None and self.settle is not None:
            out.append((("settle",), _("settle counts from the subject event; subjects_list has "
                                       "none")))
        if self.subjects_list is not None and self.subjects_window is not None:
            out.append((("subjects_window",), _("subjects_window places subject events; "
                                                "subjects_list has none")))
        window = self.subjects_window
        if window is not None and isinstance(window.from_, dt.date) \
                and window.from_ > (window.to or self.by):
            out.append((("subjects_window", "to" if window.to else "from"),
                        _("subjects_window ends before it starts")))
        if self.subjects_list:
            seen = set()
            for i, s in enumerate(self.subjects_list):
                if s.case_id in seen:
                    out.append((("subjects_list", i, "case_id"),
                                _("case {id} is listed twice").format(id=repr(s.case_id))))
                seen.add(s.case_id)
        return out


class PeriodicRule(RuleBase):
    kind: Literal["periodic"]
    """定期（periodic）：每个周期至少 at_least 次"""
    event: Matcher
    """应定期出现的事件（匹配条件，如 {event_type: 留言受理}）"""
    every: Literal[PERIODS]  # type: ignore[valid-type]
    """周期：day、week、month、quarter、year"""
    at_least: Annotated[int, Field(ge=1)] = 1
    """每个周期至少几次（默认 1）"""
    group_by: Annotated[list[str], Field(min_length=1)] | None = None
    """分组计次的属性，如 [unit]"""
    units: Annotated[list[str], Field(min_length=1)] | None = None
    """须履行的单位（不写：日志中出现过这类事件的单位）"""
    lead_unit: Annotated[str, Field(min_length=1)] | None = None
    """牵头单位：整体比例或定期要求由它负责时，违规记在它名下"""
    period_of: Annotated[str, Field(min_length=1)] | None = None
    """事件所报告的周期写在这个属性里（如 报告期），而不按事件时间"""
    grace: Grace | None = None
    """周期结束后的宽限，如 {workdays: 10}"""

    matcher_keys: ClassVar = ("event",)

    def opening(self) -> tuple[Matcher, ...]:
        return self.with_where(self.event)

    @property
    def groups(self) -> list[str]:
        """The attributes a group is made of (none: one city-wide group, ``lead_unit``)."""
        return [] if self.lead_unit is not None else (self.group_by or ["unit"])

    def _extra_attributes(self) -> list[str]:
        return list(self.groups) + ([self.period_of] if self.period_of else [])

    def _kind_problems(self):
        out = []
        if self.units is not None and self.groups != ["unit"]:
            out.append((("units",), _("units lists units: it needs group_by [unit] (the "
                                      "default)")))
        if self.lead_unit is not None and (self.group_by is not None or self.units is not None):
            out.append((("lead_unit",), _("lead_unit makes one city-wide group: not with group_by "
                                          "or units")))
        return out


class RequiredFieldsRule(RuleBase):
    kind: Literal["required_fields"]
    """必填字段（required_fields）：事件须填写 fields 所列字段"""
    event: Matcher
    """要检查的事件（匹配条件，如 {event_type: 留言受理}）"""
    fields: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    """必填字段"""
    allowed: dict[str, Annotated[list[Scalar], Field(min_length=1)]] | None = None
    """字段的允许取值，如 {公开方式: [主动公开, 依申请公开]}"""
    only_if: AnyMatcher | None = None
    """只检查其中出现过这类事件的案件（匹配条件，可为列表，任一符合即可）"""
    exclude: AnyMatcher | None = None
    """出现这类事件的案件不检查（匹配条件，可为列表，任一符合即可）"""

    matcher_keys: ClassVar = ("event", "only_if", "exclude")

    def opening(self) -> tuple[Matcher, ...]:
        return self.with_where(self.event)

    def _extra_attributes(self) -> list[str]:
        return list(self.fields) + list(self.allowed or {})

    def _kind_problems(self):
        return [(("allowed", name), _("allowed names {name}, which is not in fields").format(
            name=repr(name)))
                for name in (self.allowed or {}) if name not in self.fields]


class ForbiddenRule(RuleBase):
    kind: Literal["forbidden"]
    """禁止（forbidden）：不得出现这类事件"""
    event: Matcher
    """不得出现的事件（匹配条件，如 {event_type: 留言受理}）"""
    only_if: AnyMatcher | None = None
    """只检查其中出现过这类事件的案件（匹配条件，可为列表，任一符合即可）"""
    exclude: AnyMatcher | None = None
    """出现这类事件的案件不检查（匹配条件，可为列表，任一符合即可）"""

    matcher_keys: ClassVar = ("event", "only_if", "exclude")

    def opening(self) -> tuple[Matcher, ...]:
        return self.with_where(self.event)


Rule = Annotated[
    Union[DeadlineRule, SequenceRule, MinCountRule, RatioRule, DueByRule, PeriodicRule,
          RequiredFieldsRule, ForbiddenRule],
    Field(discriminator="kind"),
]
RULE_CLASSES: dict[str, type[RuleBase]] = {
    "deadline": DeadlineRule, "sequence": SequenceRule, "min_count": MinCountRule,
    "ratio": RatioRule, "due_by": DueByRule, "periodic": PeriodicRule,
    "required_fields": RequiredFieldsRule, "forbidden": ForbiddenRule,
}


class RuleDocument(RootModel[Rule]):
    """A whole rule file (the root of the JSON Schema)."""


@dataclass(frozen=True)
class LoadedRule:
    """A rule plus where it came from (for messages and reports)."""

    rule: RuleBase
    path: str

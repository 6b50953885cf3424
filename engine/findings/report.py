"""What a run produces: findings with their evidence, and the report every renderer reads.

A ``Violation`` is a unit's failed duty (or, in ``Report.warnings``, a case at risk before its
deadline); ``RuleResult`` and ``UnitResult`` count what each rule and unit had judged. Both
engines produce these and every renderer is a function of one ``Report``.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: How every time in a report is written.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: Keys an evidence event lists first, in this order; its other attributes follow by name.
EVIDENCE_FIRST = ("event_type", "timestamp", "case_id", "unit", "event_id")


class Evidence(Sequence):
    """A finding's evidence events as the database wrote them: the JSON text the JSON
    report prints (``EVIDENCE_FIRST`` keys, then the others by name, separated by ``, ``
    and ``: ``), parsed into dicts only when something reads them. A city-year has
    hundreds of thousands of findings; parsing and re-encoding their evidence cost more
    than the rest of writing the JSON report."""

    __slots__ = ("json", "_items")

    def __init__(self, text: str):
        self.json = text
        self._items: tuple[dict[str, Any], ...] | None = None

    def _parsed(self) -> tuple[dict[str, Any], ...]:
        if self._items is None:
            self._items = tuple(json.loads(self.json))
        return self._items

    def __getitem__(self, index):
        return self._parsed()[index]

    def __len__(self) -> int:
        return len(self._parsed())

    def __bool__(self) -> bool:
        return self.json != "[]"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Evidence, tuple, list)):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (dicts inside: never hashable)

    def __repr__(self) -> str:
        return f"Evidence({self.json!r})"


class Worded:
    """A finding with a ``message`` in Chinese (``i18n.RECORD``) and, when the run speaks
    another language, its ``translation``."""

    message: str
    translation: str | None

    @property
    def shown_message(self) -> str:
        """The message in the language the run speaks, for the reports people read."""
        return self.message if self.translation is None else self.translation


@dataclass(frozen=True)
class Violation(Worded):
    """A finding (or, in ``Report.warnings``, an at-risk case) with its evidence."""

    rule_id: str
    severity: str
    case_id: str | None
    unit: str | None
    period: str | None
    type: str
    due: str | None
    actual: str | float | None
    #: in Chinese (``i18n.RECORD``), as the JSON report and the notices give it
    message: str
    evidence: Sequence[dict[str, Any]] = ()
    #: ``message`` in the language the run speaks, for the reports people read, when that
    #: is not Chinese (``--lang en``); None: ``message`` itself
    translation: str | None = field(default=None, compare=False)

    def sort_key(self) -> tuple:
        return (self.rule_id, self.case_id or "", self.unit or "", self.period or "", self.type)


@dataclass(frozen=True)
class DataQuality(Worded):
    """A case a rule could not judge because the log is impossible or incomplete there (a
    blank limit, an end before the start): never a violation, never a stop. ``reason`` is a
    code of ``findings.labels.DATA_QUALITY``; ``file`` and ``row`` locate the event."""

    rule_id: str
    case_id: str | None
    unit: str | None
    file: str | None
    row: int | None
    reason: str
    detail: str | None
    #: in Chinese (``i18n.RECORD``), as the JSON report gives it
    message: str
    #: ``message`` in the language the run speaks, when that is not Chinese
    translation: str | None = field(default=None, compare=False)

    def sort_key(self) -> tuple:
        return (self.rule_id, self.case_id or "", self.file or "", self.row or 0, self.reason)


@dataclass(frozen=True)
class RuleResult:
    """How one rule fared: how many cases or groups it judged, how many failed."""

    id: str
    title: str
    kind: str
    severity: str
    source: dict[str, str]
    checked: int
    violations: int
    warnings: int
    path: str = ""
    #: cases or groups the rule did not judge, by reason (``findings.labels.NOT_JUDGED``)
    not_judged: dict[str, int] = field(default_factory=dict)
    #: ``judged``; ``not_applicable`` (the log holds no event of a system the rule reads:
    #: ``status_reason`` names them; the rule was not run); ``no_data`` (it read no event)
    status: str = "judged"
    status_reason: str | None = None
    #: how the rule reads its sentence (the rule's ``notes``), shown under the quote
    notes: str | None = None


@dataclass(frozen=True)
class UnitResult:
    """How one unit fared over all rules: cases or groups judged, findings against it."""

    unit: str | None
    checked: int
    violations: int
    warnings: int


@dataclass(frozen=True)
class Span:
    """The stretch of time the logs cover, ``YYYY-MM-DD HH:MM:SS`` at both ends: a finding
    speaks only to what happened inside it. ``declared``: given by the user (``--period``,
    ``--from``, ``--to``), not read off the log (first event's date to ``as_of``)."""

    start: str
    end: str
    declared: bool = False

    @classmethod
    def of(cls, start: dt.datetime, end: dt.datetime, declared: bool = False) -> "Span":
        return cls(start.strftime(TIME_FORMAT), end.strftime(TIME_FORMAT), declared)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return (dt.datetime.strptime(self.start, TIME_FORMAT),
                dt.datetime.strptime(self.end, TIME_FORMAT))


@dataclass(frozen=True)
class PackUse:
    """A rule pack a run used: its folder name and the document it encodes."""

    name: str
    title: str


@dataclass(frozen=True)
class Report:
    """Everything a run found; every renderer is a function of this alone."""

    as_of: str | None
    events: int
    cases: int
    rules: tuple[RuleResult, ...]
    violations: tuple[Violation, ...]
    warnings: tuple[Violation, ...]
    bad_rows: int
    duplicates: int = 0
    files: tuple[str, ...] = ()
    calendar_years: tuple[int, ...] = field(default_factory=tuple)
    units: tuple[UnitResult, ...] = ()
    span: Span | None = None
    packs: tuple[PackUse, ...] = ()
    data_quality: tuple[DataQuality, ...] = ()

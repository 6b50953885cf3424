"""Run compiled rules over the ``events`` and ``cal`` tables in embedded DuckDB.

Each rule is one set-based query (see ``batch/compile.py``); Python only turns the
rows it returns (findings, not input rows) into ``Violation`` objects with their
messages and evidence.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ..data.calendar import WorkCalendar
from ..data.sqltext import quote_ident
from .compile import CASE_EVENTS, EVIDENCE_TEXT, CompiledRule, compile_rule, evidence_event_sql
from ..errors import CalendarError
from ..i18n import RECORD, in_use, speaking, translate as _
from ..findings.report import DataQuality, Evidence, Violation
from ..model.rule import LoadedRule, RuleBase
from ..findings.messages import data_quality_message, describer

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule found: how many cases or groups it judged, its findings, and how many
    it did not judge, by reason (``findings.labels.NOT_JUDGED``)."""

    loaded: LoadedRule
    checked: int
    checked_by_unit: dict[str | None, int]
    violations: tuple[Violation, ...]
    warnings: tuple[Violation, ...]
    #: (reason, unit) → how many cases or groups were not judged
    not_judged: dict[tuple[str, str | None], int] = field(default_factory=dict)
    data_quality: tuple[DataQuality, ...] = ()


def table_columns(con, table: str = "events") -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {quote_ident(table)}").fetchall()]


def run_rules(con, rules: Iterable[LoadedRule], as_of: dt.datetime, calendar: WorkCalendar,
              span: tuple[dt.datetime, dt.datetime], files: tuple[str, ...] = (),
              progress: Callable[[int, int], None] | None = None,
              evidence: frozenset[str] | None = None) -> list[RuleOutcome]:
    """Evaluate every rule against the log as it stood at ``as_of``, judging only what
    happened inside ``span``, the stretch of time the logs cover.

    Every rule's query runs first; then the events of all the cases found are copied
    once into ``case_events``, so that each rule's evidence reads that small table
    rather than the whole log again. ``progress(done, total)`` is told of each query run.
    ``evidence``: the attributes every finding's evidence shows besides its rule's own
    (None: every column).
    """
    columns = table_columns(con)
    loaded = list(rules)
    compiled = [compile_rule(item.rule, columns, evidence) for item in loaded]
    moments = {"as_of": as_of, "span_from": span[0], "span_to": span[1]}
    judged = []
    for c in compiled:
        judged.append(judge(con, c, moments, calendar, files))
        if progress:
            progress(len(judged), len(compiled))
    gather_case_events(con, as_of, {row[1] for j in judged for row in j.found if row[1] is not None},
                       columns if evidence is None else None)
    try:
        outcomes = []
        for i, (c, item) in enumerate(zip(compiled, loaded)):
            outcomes.append(outcome(con, c, item, judged[i], as_of))
            judged[i] = None    # its rows are findings now: not held twice (a city-year has
                                # hundreds of thousands)
        return outcomes
    finally:
        con.execute(f"DROP TABLE IF EXISTS {CASE_EVENTS}")


def execute(con, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Run ``sql`` binding only the parameters it names (DuckDB rejects extra ones)."""
    used = set(_PARAM.findall(sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in used}).fetchall()


@dataclass(frozen=True)
class Judged:
    """A rule's query result: checked counts per unit, its violation and warning rows, and
    the counts it did not judge, by reason."""

    checked_by_unit: dict[str | None, int]
    found: list[tuple]
    not_judged: dict[tuple[str, str | None], int] = field(default_factory=dict)
    data_quality: tuple[DataQuality, ...] = ()


def judge(con, compiled: CompiledRule, moments: dict[str, dt.datetime], calendar: WorkCalendar,
          files: tuple[str, ...] = ()) -> Judged:
    """Run one rule's query (``moments``: ``as_of``, ``span_from``, ``span_to``). A calendar
    gap stops the run (a year no calendar covers is never guessed); what the log cannot
    support (a blank limit, an end before the start) is a data-quality finding."""
    return read_rows(compiled, execute(con, compiled.sql, {**compiled.params, **moments}),
                     calendar, files)


def read_rows(compiled: CompiledRule, rows: Iterable[tuple], calendar: WorkCalendar,
              files: tuple[str, ...] = ()) -> Judged:
    """What a rule's query returned (``compile.OUTPUT_COLUMNS``, whichever engine ran it):
    counts by unit and reason, located data-quality findings, and the finding rows."""
    rule = compiled.rule
    checked_by_unit: dict[str | None, int] = {}
    not_judged: dict[tuple[str, str | None], int] = {}
    quality: list[DataQuality] = []
    found: list[tuple] = []
    for row in rows:
        row_kind, case_id, unit, _period, vtype, _due, actual, src, line = row
        if row_kind == "checked":
            checked_by_unit[unit] = int(actual)
        elif row_kind == "not_judged":
            not_judged[(vtype, unit)] = not_judged.get((vtype, unit), 0) + int(actual)
        elif row_kind == "gap":
            _calendar_gap(calendar, dt.date.fromisoformat(actual), rule, case_id)
        elif row_kind == "data_quality":
            record, translation = _in_both(lambda: data_quality_message(vtype, actual))
            quality.append(DataQuality(
                rule_id=rule.id, case_id=case_id, unit=unit,
                file=files[src] if files and src is not None and src < len(files) else None,
                row=line, reason=vtype, detail=actual,
                message=record, translation=translation))
        else:
            found.append(row)
    return Judged(checked_by_unit, found, not_judged, tuple(sorted(quality, key=DataQuality.sort_key)))


def gather_case_events(con, as_of: dt.datetime, cases: set[str], columns: list[str] | None) -> None:
    """Copy the events (up to ``as_of``) of the cases some rule found into ``case_events``;
    given the ``columns`` it shows (every one), each with its evidence text, which is then
    the same whichever rule lists the event (else each rule writes its own)."""
    text = f", {evidence_event_sql(columns)} AS {EVIDENCE_TEXT}" if columns is not None else ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CASE_EVENTS} AS "
                f"SELECT e.*{text} "
                f"FROM events e SEMI JOIN (SELECT unnest($cases) AS case_id) c "
                f"ON e.case_id = c.case_id WHERE e.\"timestamp\" <= $as_of",
                {"cases": sorted(cases), "as_of": as_of})


def outcome(con, compiled: CompiledRule, loaded: LoadedRule, judged: Judged,
            as_of: dt.datetime) -> RuleOutcome:
    """Turn a rule's findings into ``Violation``s with messages and evidence
    (``case_events`` must hold their cases' events)."""
    cases = {r[1] for r in judged.found if r[1] is not None}
    return outcome_of(compiled, loaded, judged, as_of, _evidence(con, compiled, as_of, cases))


def outcome_of(compiled: CompiledRule, loaded: LoadedRule, judged: Judged, as_of: dt.datetime,
               evidence: dict[str, Evidence]) -> RuleOutcome:
    """A rule's findings as ``Violation``s with their messages and ``evidence`` (by case),
    whichever engine found them."""
    rule = compiled.rule
    found = judged.found
    say, translate = _in_both(lambda: describer(rule, as_of))
    violations, warnings = [], []
    for row_kind, case_id, unit, period, vtype, due, actual, _src, _line in found:
        value = _number(actual) if compiled.numeric_actual else actual
        item = Violation(
            rule_id=rule.id, severity=rule.severity, case_id=case_id, unit=unit,
            period=period, type=vtype, due=due, actual=value,
            message=say(vtype, due, value),
            evidence=evidence.get(case_id, ()),
            translation=translate and translate(vtype, due, value))
        (warnings if row_kind == "warning" else violations).append(item)
    violations.sort(key=Violation.sort_key)
    warnings.sort(key=Violation.sort_key)
    checked = judged.checked_by_unit
    return RuleOutcome(loaded, sum(checked.values()), checked, tuple(violations), tuple(warnings),
                       judged.not_judged, judged.data_quality)


def _in_both(make: Callable[[], Any]) -> tuple[Any, Any]:
    """``make()`` in Chinese (``i18n.RECORD``: the JSON report's) and, when the run speaks
    another language, in that one too (for the reports people read); else None."""
    with speaking(RECORD):
        record = make()
    return record, (make() if in_use() != RECORD else None)


def _evidence(con, compiled: CompiledRule, as_of: dt.datetime,
              cases: set[str]) -> dict[str, Evidence]:
    """Each violating case's events as the database lists them (one JSON array per case,
    each event with only the attributes it has), kept as text until something reads it."""
    if not cases:
        return {}
    rows = execute(con, compiled.evidence_sql,
                   {**compiled.params, "as_of": as_of, "cases": sorted(cases)})
    return evidence_by_case(rows)


def evidence_by_case(rows: Iterable[tuple[str, str]]) -> dict[str, Evidence]:
    """(case, JSON list) rows of an evidence query as each case's ``Evidence``."""
    return {case_id: Evidence(_python_escapes(text)) for case_id, text in rows}


_UPPER_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u00([0-9A-F]{2})")


def _python_escapes(text: str) -> str:
    """DuckDB writes a control character as ``\\u001F``, Python's json as ``\\u001f``: the
    JSON report must be the same bytes whichever wrote the evidence."""
    if "\\u00" not in text:
        return text
    return _UPPER_ESCAPE.sub(lambda m: f"{m.group(1)}\\u00{m.group(2).lower()}", text)


def _calendar_gap(calendar: WorkCalendar, day: dt.date, rule: RuleBase, case_id: str) -> None:
    """Name the year a working-day count needed and no calendar covers."""
    year = day.year
    while year in calendar.years:
        year += 1
    try:
        calendar.require_year(year)
    except CalendarError as exc:
        raise CalendarError(_("rule {rule}, case {case}: counting working days from {day} needs "
                              "{year}: {problem}").format(rule=rule.id, case=repr(case_id),
                                                          day=day, year=year,
                                                          problem=exc.message)) from None
    raise CalendarError(_("rule {rule}, case {case}: counting working days from {day} needs a "
                          "year no calendar covers").format(rule=rule.id, case=repr(case_id),
                                                            day=day))


def _number(value: str | None) -> int | float | str | None:
    """Counts and shares come back as text; report them as numbers."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value else round(number, 4)

"""Run compiled rules over the ``events`` and ``cal`` tables in embedded DuckDB.

Each rule is one set-based query (see ``compile/sql.py``); Python only turns the
rows it returns (findings, not input rows) into ``Violation`` objects with their
messages and evidence.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable

from .calendar import WorkCalendar
from .compile.sql import CompiledRule, compile_rule
from .errors import CalendarError, DataError, SourceLocation
from .model import LoadedRule, RuleBase, Violation
from .messages import describer

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule found: how many cases or groups it judged, and its findings."""

    loaded: LoadedRule
    checked: int
    checked_by_unit: dict[str | None, int]
    violations: tuple[Violation, ...]
    warnings: tuple[Violation, ...]


def table_columns(con, table: str = "events") -> list[str]:
    return [row[0] for row in con.execute(f'DESCRIBE "{table}"').fetchall()]


def run_rules(con, rules: Iterable[LoadedRule], as_of: dt.datetime, calendar: WorkCalendar,
              files: tuple[str, ...] = ()) -> list[RuleOutcome]:
    """Evaluate every rule against the log as it stood at ``as_of``."""
    columns = table_columns(con)
    return [run_rule(con, compile_rule(item.rule, columns), item, as_of, calendar, files)
            for item in rules]


def execute(con, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Run ``sql`` binding only the parameters it names (DuckDB rejects extra ones)."""
    used = set(_PARAM.findall(sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in used}).fetchall()


def run_rule(con, compiled: CompiledRule, loaded: LoadedRule, as_of: dt.datetime,
             calendar: WorkCalendar, files: tuple[str, ...] = ()) -> RuleOutcome:
    rule = compiled.rule
    rows = execute(con, compiled.sql, {**compiled.params, "as_of": as_of})
    checked_by_unit: dict[str | None, int] = {}
    found: list[tuple] = []
    for row in rows:
        row_kind, case_id, unit, _period, _type, _due, actual, src, line = row
        if row_kind == "checked":
            checked_by_unit[unit] = int(actual)
        elif row_kind == "gap":
            _calendar_gap(calendar, dt.date.fromisoformat(actual), rule, case_id)
        elif row_kind == "bad_value":
            where = SourceLocation(files[src] if files and src is not None and src < len(files)
                                   else "<log>", row=line)
            raise DataError(f"case {case_id!r}: {actual!r} must be a whole number of working days "
                            f"(rule {rule.id})", where)
        else:
            found.append(row)
    evidence = _evidence(con, compiled, as_of, {r[1] for r in found if r[1] is not None})
    numeric = rule.kind in ("min_count", "ratio", "periodic")
    say = describer(rule, as_of)
    violations, warnings = [], []
    for row_kind, case_id, unit, period, vtype, due, actual, _src, _line in found:
        value = _number(actual) if numeric else actual
        item = Violation(
            rule_id=rule.id, severity=rule.severity, case_id=case_id, unit=unit,
            period=period, type=vtype, due=due, actual=value,
            message=say(vtype, due, value),
            evidence=evidence.get(case_id, ()))
        (warnings if row_kind == "warning" else violations).append(item)
    violations.sort(key=Violation.sort_key)
    warnings.sort(key=Violation.sort_key)
    return RuleOutcome(loaded, sum(checked_by_unit.values()), checked_by_unit,
                       tuple(violations), tuple(warnings))


def _evidence(con, compiled: CompiledRule, as_of: dt.datetime,
              cases: set[str]) -> dict[str, tuple[dict[str, Any], ...]]:
    """Each violating case's events as the database lists them (one JSON array per case)."""
    if not cases:
        return {}
    rows = execute(con, compiled.evidence_sql,
                   {**compiled.params, "as_of": as_of, "cases": sorted(cases)})
    return {case_id: tuple({k: v for k, v in event.items() if v is not None}
                           for event in json.loads(text))
            for case_id, text in rows}


def _calendar_gap(calendar: WorkCalendar, day: dt.date, rule: RuleBase, case_id: str) -> None:
    """Name the year a working-day count needed and no calendar covers."""
    year = day.year
    while year in calendar.years:
        year += 1
    try:
        calendar.require_year(year)
    except CalendarError as exc:
        raise CalendarError(f"rule {rule.id}, case {case_id!r}: counting working days from "
                            f"{day} needs {year}: {exc.message}") from None
    raise CalendarError(f"rule {rule.id}, case {case_id!r}: counting working days from {day} "
                        f"needs a year no calendar covers")


def _number(value: str | None) -> int | float | str | None:
    """Counts and shares come back as text; report them as numbers."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value else round(number, 4)

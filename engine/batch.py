"""Run compiled rules over the ``events`` and ``cal`` tables in embedded DuckDB.

Each rule is one set-based query (see ``compile/sql.py``); Python only turns the
rows it returns (findings, not input rows) into ``Violation`` objects with their
messages and evidence.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable

from .calendar import WorkCalendar
from .compile.sql import CompiledRule, compile_rule
from .errors import CalendarError, DataError, SourceLocation
from .model import LoadedRule, RuleBase, Violation
from .messages import describe

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
#: Evidence kept per finding: enough to see the case, bounded for huge cases.
MAX_EVIDENCE = 50


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule found: how many cases or groups it judged, and its findings."""

    loaded: LoadedRule
    checked: int
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
    checked = 0
    found: list[tuple] = []
    for row_kind, case_id, unit, period, vtype, due, actual, src, row in rows:
        if row_kind == "checked":
            checked = int(actual)
        elif row_kind == "gap":
            _calendar_gap(calendar, dt.date.fromisoformat(actual), rule, case_id)
        elif row_kind == "bad_value":
            where = SourceLocation(files[src] if files and src is not None and src < len(files)
                                   else "<log>", row=row)
            raise DataError(f"case {case_id!r}: {actual!r} must be a whole number of working days "
                            f"(rule {rule.id})", where)
        else:
            found.append((row_kind, case_id, unit, period, vtype, due, actual))
    evidence = _evidence(con, compiled, as_of, {f[1] for f in found if f[1] is not None})
    violations, warnings = [], []
    for row_kind, case_id, unit, period, vtype, due, actual in found:
        item = Violation(
            rule_id=rule.id, severity=rule.severity, case_id=case_id, unit=unit,
            period=period, type=vtype, due=_time_text(due), actual=_actual(actual),
            message=describe(rule, vtype, _time_text(due), _actual(actual), as_of),
            evidence=tuple(evidence.get(case_id, ())))
        (warnings if row_kind == "warning" else violations).append(item)
    violations.sort(key=Violation.sort_key)
    warnings.sort(key=Violation.sort_key)
    return RuleOutcome(loaded, checked, tuple(violations), tuple(warnings))


def _evidence(con, compiled: CompiledRule, as_of: dt.datetime,
              cases: set[str]) -> dict[str, list[dict[str, Any]]]:
    if not cases:
        return {}
    cursor = con.execute(compiled.evidence_sql, {
        **{k: v for k, v in compiled.params.items()
           if k in set(_PARAM.findall(compiled.evidence_sql))},
        "as_of": as_of, "cases": sorted(cases)})
    names = [d[0] for d in cursor.description]
    out: dict[str, list[dict[str, Any]]] = {}
    for values in cursor.fetchall():
        record = dict(zip(names, values))
        case_id = record.pop("case_id")
        items = out.setdefault(case_id, [])
        if len(items) < MAX_EVIDENCE:
            items.append({k: _time_text(v) if isinstance(v, dt.datetime) else v
                          for k, v in record.items() if v is not None and v != ""})
    return out


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


def _time_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _actual(value: Any) -> str | int | float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if re.fullmatch(r"-?\d+", str(value)):
        return int(number)
    if re.fullmatch(r"-?\d+\.\d+", str(value)):
        return round(number, 4)
    return str(value)

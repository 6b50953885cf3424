"""The one place that knows the order of a run: load rules → ingest → evaluate → report.

``cli.py``, the tests and the Gherkin steps call these functions; nothing here
prints or exits, every user-caused problem is raised as a ``GovcheckError``.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .batch.run import RuleOutcome, run_rules
from .data.calendar import WorkCalendar
from .errors import DataError, GovcheckError, RuleError, RuleErrors, SourceLocation
from .data.ingest import IngestResult, ingest
from .model.loader import load_rules
from .model.rule import LoadedRule
from .findings.report import Report, RuleResult, UnitResult
from .resources import data_dir

#: The memory DuckDB may use before it spills to a temporary folder (which it removes on
#: close). Its own default, 80 % of the machine, let a city-year (10M events) peak at 5.2 GB;
#: capped at 3 GB the same check peaks at 3.9 GB and takes 9 % longer (docs/benchmarks.md).
DEFAULT_MEMORY_LIMIT_MB = 3 * 1024

_UNITS = {"B": 0, "KiB": 10, "MiB": 20, "GiB": 30, "TiB": 40, "KB": 10, "MB": 20, "GB": 30,
          "TB": 40}


def default_memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    """3 GB, or DuckDB's own default where that is less (80 % of the memory it finds for
    this process, container limits included)."""
    text = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    number, _, unit = str(text).partition(" ")
    try:
        own_mb = int(float(number) * 2 ** _UNITS[unit] // 2**20)
    except (ValueError, KeyError):
        return f"{DEFAULT_MEMORY_LIMIT_MB}MB"
    return f"{max(1, min(DEFAULT_MEMORY_LIMIT_MB, own_mb))}MB"


def connect(memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """An embedded database for one run. DuckDB's progress bar is off: it would write into
    the report when stdout is the report. ``memory_limit`` is DuckDB's (e.g. ``8GB``)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    limit = memory_limit or default_memory_limit(con)
    try:
        con.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
    except duckdb.Error:
        con.close()
        raise GovcheckError(f"--memory-limit {limit!r} is not an amount of memory "
                            "(e.g. 3GB or 800MB)") from None
    spill = Path(tempfile.gettempdir()) / f"govcheck-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    con.execute(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
    return con


def default_rules_dir() -> Path:
    """The shipped rule library: ``rules/`` of the checkout (or of the installed copy)."""
    return data_dir("rules")


def select_rules(rule_paths: Sequence[str | Path] | None,
                 rule_ids: Sequence[str] = ()) -> list[LoadedRule]:
    """Load the rule files (default: the shipped library), keeping only ``rule_ids`` if given."""
    rules = load_rules(list(rule_paths) if rule_paths else [default_rules_dir()])
    if rule_ids:
        known = {r.rule.id for r in rules}
        unknown = [i for i in rule_ids if i not in known]
        if unknown:
            raise RuleError(f"no rule with id {', '.join(map(repr, unknown))} in the rules loaded")
        rules = [r for r in rules if r.rule.id in set(rule_ids)]
    return rules


_AS_OF_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                  "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H时%M分", "%Y年%m月%d日 %H:%M")


def parse_as_of(text: str | dt.date | dt.datetime) -> dt.datetime:
    """``--as-of``: a date means the end of that day; a time is taken as given."""
    if isinstance(text, dt.datetime):
        return text.replace(tzinfo=None)
    if isinstance(text, dt.date):
        return dt.datetime.combine(text, dt.time(23, 59, 59))
    value = str(text).strip()
    for fmt in _AS_OF_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.combine(dt.datetime.strptime(value, fmt).date(), dt.time(23, 59, 59))
        except ValueError:
            pass
    raise GovcheckError(f"--as-of {value!r} is not a date or time (e.g. 2021-12-31 or "
                        "2021-12-31 18:00)")


@dataclass(frozen=True)
class Run:
    """Inputs of one ``check``."""

    events: Sequence[str | Path]
    rules: Sequence[str | Path] | None = None
    mapping: str | Path | None = None
    as_of: str | dt.datetime | None = None
    calendars: Sequence[str | Path] = ()
    rule_ids: Sequence[str] = ()
    units: Sequence[str] = ()
    bad_rows: str | Path | None = None
    memory_limit: str | None = None


def check(run: Run) -> Report:
    """Evaluate event logs against rules and return the report."""
    rules = select_rules(run.rules, run.rule_ids)
    calendar = WorkCalendar.load(run.calendars)
    con = connect(run.memory_limit)
    try:
        loaded = ingest(con, run.events, mapping=run.mapping, bad_rows_path=run.bad_rows)
        return evaluate(con, rules, calendar, loaded, run.as_of, run.units)
    finally:
        con.close()


def evaluate(con, rules: Sequence[LoadedRule], calendar: WorkCalendar, loaded: IngestResult,
             as_of: str | dt.datetime | None = None, units: Sequence[str] = ()) -> Report:
    """Run ``rules`` over the ``events`` table already in ``con``."""
    if as_of is None:
        latest = con.execute('SELECT max("timestamp") FROM events').fetchone()[0]
        if latest is None:
            raise DataError("the log holds no events", SourceLocation(", ".join(loaded.files)))
        moment = latest
    else:
        moment = parse_as_of(as_of)
    calendar.load_into(con)
    outcomes = run_rules(con, rules, moment, calendar, loaded.files)
    events, cases, first, last = con.execute(
        'SELECT count(*), count(DISTINCT case_id), min("timestamp"), max("timestamp") '
        'FROM events WHERE "timestamp" <= $as_of', {"as_of": moment}).fetchone()
    years = tuple(y for y in range(first.year, moment.year + 1) if calendar.covers(y)) if first else ()
    return _report(outcomes, moment, events, cases, loaded, years, set(units))


def _report(outcomes: list[RuleOutcome], as_of: dt.datetime, events: int, cases: int,
            loaded: IngestResult, years: tuple[int, ...], units: set[str]) -> Report:
    def keep(unit: str | None) -> bool:
        return not units or unit in units

    results, violations, warnings = [], [], []
    per_unit: dict[str | None, list[int]] = {}   # unit → [checked, violations, warnings]
    for o in outcomes:
        rule = o.loaded.rule
        found = [v for v in o.violations if keep(v.unit)]
        warned = [v for v in o.warnings if keep(v.unit)]
        violations.extend(found)
        warnings.extend(warned)
        results.append(RuleResult(
            id=rule.id, title=rule.title, kind=rule.kind, severity=rule.severity,
            source=rule.source.model_dump(), checked=o.checked, violations=len(found),
            warnings=len(warned), path=shown_path(o.loaded.path)))
        for unit, n in o.checked_by_unit.items():
            if keep(unit):
                per_unit.setdefault(unit, [0, 0, 0])[0] += n
    for index, findings in ((1, violations), (2, warnings)):
        for v in findings:
            per_unit.setdefault(v.unit, [0, 0, 0])[index] += 1
    key = lambda v: v.sort_key()  # noqa: E731
    return Report(
        as_of=as_of.strftime("%Y-%m-%d %H:%M:%S"), events=events, cases=cases,
        rules=tuple(sorted(results, key=lambda r: r.id)),
        violations=tuple(sorted(violations, key=key)), warnings=tuple(sorted(warnings, key=key)),
        bad_rows=loaded.bad_rows, duplicates=loaded.duplicates, files=tuple(loaded.files),
        calendar_years=years,
        units=tuple(UnitResult(u, *counts) for u, counts in
                    sorted(per_unit.items(), key=lambda item: (item[0] is None, item[0] or ""))))


def shown_path(path: str) -> str:
    """A rule file's path as a reader knows it: ``rules/…`` for the shipped library, where
    ever it is installed (a virtual environment in the working folder included), else
    relative to the working folder, never a machine-specific absolute path."""
    full = Path(path).resolve()
    try:
        return (Path("rules") / full.relative_to(default_rules_dir().resolve())).as_posix()
    except ValueError:
        pass
    try:
        return full.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path


def exit_code(report: Report, fail_on: str) -> int:
    """1 when a violation at or above ``fail_on`` was found, else 0."""
    if fail_on == "never":
        return 0
    levels = {"error": {"error"}, "warning": {"error", "warning"}}[fail_on]
    return 1 if any(v.severity in levels for v in report.violations) else 0


__all__ = ["Run", "check", "evaluate", "select_rules", "default_rules_dir", "parse_as_of",
           "exit_code", "GovcheckError", "RuleErrors"]

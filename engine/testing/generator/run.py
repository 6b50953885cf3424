"""``govcheck fixtures generate``: the options, the one entry point, and what it reports.

``generate`` plans the year (scenarios and the grid, from the rule model), has DuckDB expand
and write exactly the events asked for, and, with ``truth``, has the oracle judge the file
actually written.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import duckdb

from ...data.calendar import WorkCalendar
from ...errors import GovcheckError
from ...i18n import translate as _
from ...model.loader import load_rules
from ...model.rule import LoadedRule, RuleBase
from ...model.vocabulary import find_vocabulary, load_vocabulary
from .cases import Cases
from .expansion import MAX_CASES, Expansion
from .grid import Grid
from .scenarios import Scenarios
from .values import Lexicon
from .writing import Writer, attribute_order
from .year import Year


@dataclass(frozen=True)
class Options:
    """What to generate: how many events, from which seed, for which year, in which format."""

    events: int
    seed: int = 1
    year: int = 2022
    format: str = "csv"                      # csv | parquet | jsonl
    rules: Sequence[str | Path] = ()         # default: the shipped library
    calendars: Sequence[str | Path] = ()


def generate(options: Options, out: str | Path, truth: str | Path | None = None,
             loaded: Sequence[LoadedRule] | None = None) -> Summary:
    """Write a synthetic log of exactly ``options.events`` events to ``out``; with
    ``truth``, also the expected findings (computed by ``testing.oracle``). ``loaded``:
    the rules of ``options.rules`` already loaded (saves reading them again)."""
    started = time.perf_counter()
    if options.events < 1:
        raise GeneratorError(_("--events must be at least 1"))
    if options.format not in ("csv", "parquet", "jsonl"):
        raise GeneratorError(_("unknown format {format}: use csv, parquet or jsonl").format(
            format=repr(options.format)))
    from ...api import default_rules_dir
    rule_paths = list(options.rules) or [default_rules_dir()]
    if loaded is None:
        loaded = load_rules(rule_paths)
    calendar = WorkCalendar.load(options.calendars)
    year = _plan_year(options, rule_paths, loaded, calendar)
    grid = Grid(year)
    scenarios = Scenarios(year, Cases(year), grid).all()
    events = grid.events()
    writer = Writer(scenarios, events, attribute_order(scenarios, events, year.lexicon),
                    options.format)
    con = duckdb.connect()
    try:
        expansion = Expansion(con, year, writer, calendar, options.seed)
        n_cases = _write(expansion, Path(out), options, len(year.covered))
        intended = expansion.intended(n_cases)
        as_of, cases = expansion.as_of(), expansion.cases_written()
    finally:
        con.close()
    seconds = time.perf_counter() - started
    summary = Summary(str(out), options.events, cases, len(scenarios),
                      tuple(r.id for r in year.covered), as_of, seconds, intended)
    if truth is not None:
        _write_truth(summary, out, truth, loaded, options.calendars)
    return summary


class GeneratorError(GovcheckError):
    """The log asked for cannot be generated (too few events, a year no calendar covers)."""


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
        """What the command line prints: the log, and the truth file if one was written."""
        rate = self.events / self.seconds if self.seconds else 0
        out = [_("{path}: {events} events, {cases} cases, {scenarios} scenarios over {rules} "
                 "rules, up to {as_of} ({seconds:.2f} s, {rate:,.0f} events/s)").format(
            path=self.path, events=self.events, cases=self.cases, scenarios=self.scenarios,
            rules=len(self.rules_covered), as_of=self.as_of, seconds=self.seconds, rate=rate)]
        if self.truth_path is not None:
            out.append(_("{path}: {count} expected findings ({seconds:.2f} s)").format(
                path=self.truth_path, count=self.truth_findings, seconds=self.truth_seconds))
        return out


def covered_rules(rules: Sequence[LoadedRule], year: int) -> list[RuleBase]:
    """The rules a log of ``year`` covers: those in effect during the year, and those with
    no effective window (national regulations)."""
    lo, hi = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out = []
    for item in rules:
        eff = item.rule.effective
        if eff is None or ((eff.from_ is None or eff.from_ <= hi)
                           and (eff.to is None or eff.to >= lo)):
            out.append(item.rule)
    return out


def _plan_year(options: Options, rule_paths: list, loaded: Sequence[LoadedRule],
               calendar: WorkCalendar) -> Year:
    """The year to plan, once the calendar covers it and some rule applies in it."""
    year = options.year
    for needed in (year, year + 1):
        if not calendar.covers(needed):
            raise GeneratorError(_("no working-day calendar covers {needed}: a log of {year} "
                                   "runs into {next} (add one with --calendar, or pick another "
                                   "year)").format(needed=needed, year=year, next=year + 1))
    covered = covered_rules(loaded, year)
    if not covered:
        raise GeneratorError(_("no rule in {paths} applies in {year}").format(
            paths=", ".join(map(str, rule_paths)), year=year))
    path = find_vocabulary(rule_paths)
    lexicon = Lexicon(load_vocabulary(path) if path else None, [r.rule for r in loaded])
    return Year(covered, lexicon, calendar, year, options.seed, [r.rule for r in loaded])


def _write(expansion: Expansion, out: Path, options: Options, n_rules: int) -> int:
    """Write exactly ``options.events`` events; returns how many cases that took (more
    cases when the first estimate falls short: the latest events are left out)."""
    minimum = expansion.count(expansion.n_scen)
    if minimum > options.events:
        raise GeneratorError(_(
            "{events} events cannot cover the {rules} rules of {year}: every scenario once and "
            "the periodic grid take {minimum}; ask for at least that many").format(
                events=options.events, rules=n_rules, year=options.year, minimum=minimum))
    n_cases = expansion.cases_for(options.events)
    if n_cases >= MAX_CASES:
        raise GeneratorError(_("{events} events need {cases} cases; at most {most} fit in one "
                               "log").format(events=options.events, cases=n_cases, most=MAX_CASES))
    while True:
        written = expansion.write(out, n_cases, options.events, options.format)
        if written >= options.events:
            return n_cases
        n_cases = int(n_cases * (1 + 1.5 * (options.events - written) / options.events)) + 16


def _write_truth(summary: Summary, log: str | Path, truth: str | Path,
                 loaded: Sequence[LoadedRule], calendars: Sequence[str | Path]) -> None:
    """The oracle's findings on the log as written, into ``truth`` (and the summary). The
    oracle reads the calendars itself: it shares no working-day count with the engines."""
    from .. import oracle
    started = time.perf_counter()
    events = oracle.read_log(log)
    workdays = oracle.Workdays.load(calendars)
    findings = oracle.evaluate([item.rule for item in loaded], events, workdays)
    summary.truth_findings = oracle.write_truth(findings, truth)
    summary.truth_path = str(truth)
    summary.truth_seconds = time.perf_counter() - started

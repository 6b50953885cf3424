"""``govcheck validate``: lint rule files and run every rule's own examples.

The schema is the loader's; here are the checks across the library (vocabulary: the
shipped one, with a rules repository's own ``vocabulary.yaml`` added as ``check`` does;
examples present) and the examples themselves, run through the same batch engine
that ``check`` uses, so a rule file that passes here behaves as its examples say.
Every problem is collected, located at ``file:line:column``, and returned together.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .api import connect, log_span, parse_as_of, vocabulary_for
from .batch.run import run_rules
from .data.calendar import WorkCalendar
from .errors import GovcheckError, RuleError, RuleErrors
from .i18n import translate as _
from .data.ingest import ingest_records
from .model.lints import RuleFile, lint
from .model.loader import load_rules, rule_files
from .model.rule import AGGREGATE_KINDS, CANONICAL_COLUMNS, WARNING_TYPE, Example, LoadedRule
from .model.vocabulary import Vocabulary
from .model.yamlsource import YamlDocument, load_yaml

#: Rule files checked at once, each worker with its own database. An example's queries are
#: tiny: their time is DuckDB planning them (the library's 599 examples run some 22,000
#: statements), which one thread per database does best, and DuckDB lets go of Python's
#: lock while it works, so workers run side by side.
MAX_WORKERS = 8


def validate(paths: Sequence[str | Path], calendar_files: Sequence[str | Path] = ()) -> list[GovcheckError]:
    """Every problem in the rule files under ``paths``; an empty list means all hold."""
    problems: list[GovcheckError] = []
    try:
        rules = load_rules(paths)
    except RuleErrors as exc:
        problems.extend(exc.errors)
        rules = _loadable(paths)
    vocabulary = None
    try:
        vocabulary = vocabulary_for(paths)
    except RuleErrors as exc:
        problems.extend(exc.errors)
    except RuleError as exc:
        problems.append(exc)
    calendar = WorkCalendar.load(calendar_files)

    def check(con, item: LoadedRule) -> list[GovcheckError]:
        doc = load_yaml(item.path, error_cls=RuleError)
        found: list[GovcheckError] = list(lint(RuleFile(item.rule, Path(item.path), doc)))
        if vocabulary is not None:
            found.extend(_vocabulary_problems(item, doc, vocabulary))
        found.extend(_example_problems(con, item, doc, calendar))
        return found

    for found in _each_with_a_database(rules, calendar, check):
        problems.extend(found)
    return problems


def _each_with_a_database(rules: list[LoadedRule], calendar: WorkCalendar,
                          check: Callable[..., list[GovcheckError]]) -> list[list[GovcheckError]]:
    """``check(con, rule)`` for every rule, in the rules' order, by a few workers each with
    one database holding the calendar (an example's events replace its ``events``)."""
    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(rules)))

    def work(share: range) -> list[list[GovcheckError]]:
        con = connect()
        try:
            con.execute("SET threads = 1")
            calendar.load_into(con)
            return [check(con, rules[i]) for i in share]
        finally:
            con.close()

    shares = [range(w, len(rules), workers) for w in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(work, shares))
    return [done[i % workers][i // workers] for i in range(len(rules))]


def _loadable(paths: Sequence[str | Path]) -> list[LoadedRule]:
    """The rules that load on their own, so their examples still run when others are broken."""
    from .model.loader import load_rule_file
    out, seen = [], set()
    try:
        files = rule_files(paths)
    except RuleError:
        return []
    for path in files:
        try:
            item = load_rule_file(path)
        except GovcheckError:
            continue
        if item.rule.id not in seen:
            seen.add(item.rule.id)
            out.append(item)
    return out


def _vocabulary_problems(item: LoadedRule, doc: YamlDocument, vocab: Vocabulary) -> list[RuleError]:
    out = []
    rule = item.rule
    for path, matcher in rule.matchers():
        for event_type in matcher.event_types():
            if event_type not in vocab.event_types:
                out.append(RuleError(_("event type {name} is not declared in {path}").format(
                    name=repr(event_type), path=vocab.path), doc.location(path)))
    for name in rule.attributes():
        if name not in CANONICAL_COLUMNS and name not in vocab.attributes:
            out.append(RuleError(_("attribute {name} is not declared in {path} (attributes:)")
                                 .format(name=repr(name), path=vocab.path), doc.location()))
    for i, example in enumerate(rule.examples):
        for j, event in enumerate(example.events):
            event_type = event.get("event_type") if isinstance(event, dict) else None
            if event_type is not None and str(event_type) not in vocab.event_types:
                out.append(RuleError(_("example event type {name} is not declared in {path}")
                                     .format(name=repr(event_type), path=vocab.path),
                                     doc.location(("examples", i, "events", j))))
    return out


def _example_problems(con, item: LoadedRule, doc: YamlDocument,
                      calendar: WorkCalendar) -> list[GovcheckError]:
    out: list[GovcheckError] = []
    for i, example in enumerate(item.rule.examples):
        problem = example_mismatch(con, item, example, calendar)
        if problem is not None:
            out.append(RuleError(problem, doc.location(("examples", i))))
    return out


def example_mismatch(con, item: LoadedRule, example: Example, calendar: WorkCalendar) -> str | None:
    """Why ``example`` does not hold (it cannot run, or the engine finds other than its
    ``expect``), or None when it holds. Warnings count only in examples that expect one."""
    try:
        produced = run_example(con, item, example, calendar)
    except GovcheckError as exc:
        return _("example {name} cannot run: {problem}").format(name=repr(example.name),
                                                                problem=exc)
    expected = {_expect_key(item.rule.kind, x) for x in example.expect}
    wants_warnings = any(x[-1] == WARNING_TYPE for x in expected)
    got = {k for k in produced if wants_warnings or k[-1] != WARNING_TYPE}
    if got != expected:
        return _("example {name}: expected {expected}, the engine found {found}").format(
            name=repr(example.name), expected=_show(expected), found=_show(got))
    return None


def run_example(con, item: LoadedRule, example: Example, calendar: WorkCalendar) -> set[tuple]:
    """What the batch engine finds in an example's events: (case_id | unit, period, type).

    ``con`` already holds the calendar table; the example's events replace ``events``.
    """
    ingest_records(con, list(example.events), name=_("{path} example {name}").format(
        path=item.path, name=repr(example.name)))
    as_of = example.as_of
    if as_of is None:
        as_of = con.execute('SELECT max("timestamp") FROM events').fetchone()[0]
    moment = parse_as_of(as_of)
    outcome = run_rules(con, [item], moment, calendar, example_span(con, item, example, moment))[0]
    found = list(outcome.violations) + list(outcome.warnings)
    if item.rule.kind in AGGREGATE_KINDS:
        return {(v.unit, v.period, v.type) for v in found}
    return {(v.case_id, v.type) for v in found}


def example_span(con, item: LoadedRule, example: Example,
                 as_of: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The span an example's log stands for: its ``span`` when given, else the whole story
    its events tell (``story_span``)."""
    given = example.span
    start, end = story_span(con, item, as_of)
    if given and given.from_:
        start = dt.datetime.combine(given.from_, dt.time())
    if given and given.to:
        end = min(dt.datetime.combine(given.to, dt.time(23, 59, 59)), as_of)
    return start, end


def story_span(con, item: LoadedRule, as_of: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """From the start of the rule's effective window (or the first event's date, if that is
    earlier or there is no window) to ``as_of``: a small log written to show a rule's reading
    stands for everything the rule looks at, not just the days its events fall on."""
    start = log_span(con, as_of).bounds()[0]
    eff = item.rule.effective
    if eff and eff.from_:
        start = min(start, dt.datetime.combine(eff.from_, dt.time()))
    return start, as_of


def _expect_key(kind: str, x: Any) -> tuple:
    if kind in AGGREGATE_KINDS:
        return (x.unit, x.period, x.type)
    return (x.case_id, x.type)


def _show(items: set[tuple]) -> str:
    if not items:
        return _("nothing")
    return "; ".join(" ".join("-" if p is None else str(p) for p in k) for k in sorted(items, key=str))



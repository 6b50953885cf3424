"""The oracle: a reference evaluator, the contract's meaning of each rule kind, case by case,
in plain Python.

It exists to check the engines (the DuckDB batch engine and the streaming monitor), so it
shares nothing with them that decides an answer. What it shares is exactly this:

- the loaded rule objects (``model.rule``), of which it reads only plain fields: ``id``,
  ``kind``, ``effective.from_``/``to``, each matcher's raw mapping (``Matcher.root``, as
  written in the rule file), each duration's ``workdays``/``days``/``hours``/
  ``workdays_from``/``default``/``months``, and the kinds' own keys (``steps``,
  ``at_least``, ``by``, ``pauses``, ``cancel``, ``subjects_window``…). No method or
  derived property of the model: matchers are parsed in ``matching``, the opening (with
  ``where``), the effective window and its label, durations' units, the pause pairs and
  the periods are worked out in ``judges``;
- ``errors`` (``DataError``, ``CalendarError``) for bad input;
- the holiday data itself: the ``chinese_calendar`` package's tables and the YAML
  calendar files, read here directly (``workdays``), not through ``data.calendar``.

``tests/test_layers.py`` checks these imports. Each kind is written from docs/contract.md
(the table of kinds and "Meaning, where the contract is silent") as a loop over the cases
(or groups and periods) of a log that is already in canonical form: ``case_id``,
``event_type``, ``timestamp`` (a ``datetime``), ``unit``, ``event_id`` and attributes,
blank values meaning missing ones. It is slow on purpose (simple enough to read against
the contract line by line) and gives the known answers of generated logs
(``testing.generator``) and of the truth tests.

``evaluate(rules, events, workdays, as_of)`` returns ``Finding``s: every violation and
every warning (type ``at_risk``) the contract says the rules give on that log.
"""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from ...model.rule import RuleBase
from .judges import JUDGES, Judge
from .log import Event, Log, deduplicated, read_log
from .truth import TRUTH_COLUMNS, Finding, findings_of, read_truth, write_truth
from .workdays import Workdays

__all__ = ["evaluate", "JUDGES", "Judge", "Workdays", "Event", "Finding", "read_log",
           "read_truth", "write_truth", "findings_of", "TRUTH_COLUMNS"]


def evaluate(rules: Sequence[RuleBase], events: Sequence[Event], workdays: Workdays | None = None,
             as_of: dt.datetime | None = None,
             span: tuple[dt.datetime, dt.datetime] | None = None) -> list[Finding]:
    """Every violation, warning and data-quality finding the rules give on the log, as the
    contract means them.

    ``workdays`` defaults to chinese_calendar and the shipped calendars; ``as_of`` to the
    latest timestamp in the log (later events are ignored); ``span``, the stretch of time
    the log covers (only what happened inside it is judged), to the first event's date up
    to ``as_of``.
    """
    events = deduplicated(events)
    if as_of is None:
        if not events:
            return []
        as_of = max(e.timestamp for e in events)
    if workdays is None:
        workdays = Workdays.load()
    log = Log(events, as_of)
    if span is None:
        seen = [e.timestamp for e in events if e.timestamp <= as_of]
        span = (dt.datetime.combine(min(seen).date() if seen else as_of.date(), dt.time()), as_of)
    log.span = span
    out: list[Finding] = []
    for rule in rules:
        out.extend(JUDGES[rule.kind].find(rule, log, as_of, workdays))
    return sorted(set(out))

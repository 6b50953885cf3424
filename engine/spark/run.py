"""Run the compiled rules on Spark: each rule's query over ``events``, then the evidence
of the cases found. Only the rows of the findings and counts, and the evidence of the
cases found, come back to the driver; ``batch.run`` reads them into outcomes exactly as it
reads DuckDB's.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable

from ..batch.compile import CASE_EVENTS, EVIDENCE_TEXT, CompiledRule, compile_rule, evidence_event_sql
from ..batch.run import Judged, RuleOutcome, evidence_by_case, outcome_of, read_rows
from ..data.calendar import WorkCalendar
from ..findings.report import Evidence
from ..model.rule import LoadedRule
from .calendar import load_calendar
from .sql import frame, run
from .stages import run_staged

#: What the views of a rule's steps are named before the step's own name.
STEP_PREFIX = "__gc_step_"


def run_rules(spark, rules: Iterable[LoadedRule], as_of: dt.datetime, calendar: WorkCalendar,
              span: tuple[dt.datetime, dt.datetime], files: tuple[str, ...] = (),
              progress: Callable[[int, int], None] | None = None,
              evidence: frozenset[str] | None = None) -> list[RuleOutcome]:
    """``batch.run.run_rules`` on Spark's ``events`` view: the same outcomes."""
    load_calendar(spark, calendar)
    columns = spark.table("events").columns
    loaded = list(rules)
    compiled = [compile_rule(item.rule, columns, evidence, "spark") for item in loaded]
    moments = {"as_of": as_of, "span_from": span[0], "span_to": span[1]}
    judged = []
    for c in compiled:
        rows = run_staged(spark, c.sql, {**c.params, **moments}, STEP_PREFIX)
        judged.append(read_rows(c, rows, calendar, files))
        if progress:
            progress(len(judged), len(compiled))
    found = {row[1] for j in judged for row in j.found if row[1] is not None}
    gather_case_events(spark, as_of, found, columns if evidence is None else None)
    try:
        return [outcome_of(c, item, j, as_of, _evidence(spark, c, j, as_of))
                for c, item, j in zip(compiled, loaded, judged)]
    finally:
        spark.catalog.dropTempView(CASE_EVENTS)


def gather_case_events(spark, as_of: dt.datetime, cases: set[str],
                       columns: list[str] | None) -> None:
    """``case_events``: the events (up to ``as_of``) of the cases some rule found, kept by
    Spark; given the ``columns`` it shows (every one), each with its evidence text (as
    ``batch.run.gather_case_events``). The cases go out as a small broadcast table."""
    from pyspark.sql import functions as F

    found = spark.createDataFrame([(c,) for c in sorted(cases)], "case_id STRING")
    found.createOrReplaceTempView("__gc_found")
    text = f", {evidence_event_sql(columns, 'spark')} AS {EVIDENCE_TEXT}" if columns is not None else ""
    events = frame(spark, f"SELECT e.*{text} FROM events e WHERE e.\"timestamp\" <= $as_of",
                   {"as_of": as_of})
    events.join(F.broadcast(found), "case_id", "left_semi").persist() \
        .createOrReplaceTempView(CASE_EVENTS)


def _evidence(spark, compiled: CompiledRule, judged: Judged,
              as_of: dt.datetime) -> dict[str, Evidence]:
    cases = sorted({r[1] for r in judged.found if r[1] is not None})
    if not cases:
        return {}
    return evidence_by_case(run(spark, compiled.evidence_sql,
                                {**compiled.params, "as_of": as_of, "cases": cases}))

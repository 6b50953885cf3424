"""Run the compiled rules on Spark: each rule's query over ``events``, then the evidence
of the cases found. Only the rows of the findings and counts, and the evidence of the
cases found, come back to the driver; ``batch.run`` reads them into outcomes exactly as it
reads DuckDB's.
"""
from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable, Iterable

from ..batch.compile import (CASE_EVENTS, EVIDENCE_TEXT, CompiledRule, compile_rule,
                             evidence_event_sql, found_evidence_sql)
from ..batch.run import Judged, RuleOutcome, evidence_by_case, outcome_of, read_rows
from ..data.calendar import WorkCalendar
from ..findings.report import Evidence
from ..model.rule import LoadedRule
from .calendar import load_calendar
from .sql import frame, run
from .stages import run_staged

#: The most rules run at once (at most one a CPU of the driver's): while Spark runs one
#: rule's tasks, the driver plans the next (docs/scale.md).
AT_ONCE = 4

#: The (rule, case) pairs whose evidence is gathered: the findings, sent back to Spark.
FOUND = "__gc_found"


def run_rules(spark, rules: Iterable[LoadedRule], as_of: dt.datetime, calendar: WorkCalendar,
              span: tuple[dt.datetime, dt.datetime], files: tuple[str, ...] = (),
              progress: Callable[[int, int], None] | None = None,
              evidence: frozenset[str] | None = None) -> list[RuleOutcome]:
    """``batch.run.run_rules`` on Spark's ``events`` view: the same outcomes (``evidence``:
    the attributes each finding's evidence shows besides its rule's own; None: every
    column). Rule ``n``'s parameters are named ``r{n}_…``, so that one query can gather
    every rule's evidence."""
    load_calendar(spark, calendar)
    columns = spark.table("events").columns
    loaded = list(rules)
    compiled = [compile_rule(item.rule, columns, evidence, "spark", prefix=f"r{n}_")
                for n, item in enumerate(loaded)]
    moments = {"as_of": as_of, "span_from": span[0], "span_to": span[1]}
    answers = rule_answers(spark, compiled, moments, progress)
    judged = [read_rows(c, rows, calendar, files) for c, rows in zip(compiled, answers)]
    shown = gather_evidence(spark, compiled, judged, as_of, columns if evidence is None else None)
    return [outcome_of(c, item, j, as_of, e)
            for c, item, j, e in zip(compiled, loaded, judged, shown)]


def rule_answers(spark, compiled: list[CompiledRule], moments: dict[str, Any],
             progress: Callable[[int, int], None] | None) -> list[list[tuple]]:
    """Each rule's rows (``stages.run_staged``, its steps' views named ``__gc_r{n}_…``),
    a few rules at once; the first failure stops the rest."""
    workers = max(1, min(AT_ONCE, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(run_staged, spark, c.sql, {**c.params, **moments}, f"__gc_r{n}_")
                   for n, c in enumerate(compiled)]
        for done, future in enumerate(as_completed(futures), start=1):
            if future.exception() is not None:
                pool.shutdown(cancel_futures=True)
                raise future.exception()
            if progress:
                progress(done, len(compiled))
        return [f.result() for f in futures]


def gather_evidence(spark, compiled: list[CompiledRule], judged: list[Judged],
                    as_of: dt.datetime, columns: list[str] | None) -> list[dict[str, Evidence]]:
    """Each rule's evidence, by case, in one query: the (rule, case) pairs found go to Spark
    as a small table, the events of those cases (up to ``as_of``; each with its text of
    every one of ``columns`` when the evidence shows them all) are kept as ``case_events``,
    and ``found_evidence_sql`` lists each finding's."""
    from pyspark.sql import functions as F

    found = [(n, case) for n, j in enumerate(judged)
             for case in sorted({row[1] for row in j.found if row[1] is not None})]
    by_rule: list[dict[str, Evidence]] = [{} for _ in compiled]
    if not found:
        return by_rule
    pairs = spark.createDataFrame(found, "rule INT, case_id STRING")
    pairs.createOrReplaceTempView(FOUND)
    text = f", {evidence_event_sql(columns, 'spark')} AS {EVIDENCE_TEXT}" if columns is not None else ""
    events = frame(spark, f"SELECT e.*{text} FROM events e WHERE e.\"timestamp\" <= $as_of",
                   {"as_of": as_of})
    kept = events.join(F.broadcast(pairs.select("case_id").distinct()), "case_id", "left_semi")
    kept.persist().createOrReplaceTempView(CASE_EVENTS)
    try:
        rules = sorted({n for n, _case in found})
        params = {"as_of": as_of}
        for n in rules:
            params.update(compiled[n].params)
        sql = found_evidence_sql({n: compiled[n] for n in rules}, FOUND, "spark")
        for rule, case_id, listed in run(spark, sql, params):
            by_rule[rule].update(evidence_by_case([(case_id, listed)]))
    finally:
        kept.unpersist()
        spark.catalog.dropTempView(CASE_EVENTS)
        spark.catalog.dropTempView(FOUND)
    return by_rule

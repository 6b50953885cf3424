"""The questions ``api`` asks of a loaded log (its latest time, its units, its event
types, the summary counts), asked of Spark in the same SQL it asks DuckDB.

``SparkDatabase.execute`` answers like a DuckDB connection (``fetchone``/``fetchall``) so
that ``api`` words each question once for both engines; only aggregates come back.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Sequence

from ..batch.run import RuleOutcome
from ..data.calendar import WorkCalendar
from ..model.rule import LoadedRule
from .run import run_rules
from .sql import run


class _Rows:
    def __init__(self, rows: list[tuple]):
        self.rows = rows

    def fetchall(self) -> list[tuple]:
        return self.rows

    def fetchone(self) -> tuple | None:
        return self.rows[0] if self.rows else None


class SparkDatabase:
    """A Spark session holding the ``events`` view, asked as ``api`` asks DuckDB."""

    def __init__(self, spark):
        self.spark = spark

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> _Rows:
        return _Rows(run(self.spark, sql, params or {}))

    def run_rules(self, rules: Sequence[LoadedRule], as_of: dt.datetime,
                  calendar: WorkCalendar, span: tuple[dt.datetime, dt.datetime],
                  files: tuple[str, ...] = (),
                  progress: Callable[[int, int], None] | None = None,
                  evidence: frozenset[str] | None = None) -> list[RuleOutcome]:
        return run_rules(self.spark, rules, as_of, calendar, span, files, progress, evidence)

    def close(self) -> None:
        """Let go of the log (the session stays: a test may share it, a run exits)."""
        self.spark.catalog.dropTempView("events")
        self.spark.catalog.dropTempView("blank_times")
        self.spark.catalog.clearCache()

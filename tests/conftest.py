"""Fixtures: the working-day calendar, and ``run`` (a rule over events → Report)."""
from __future__ import annotations

import duckdb
import pytest

from support import rule_from
from govcheck.engine.api import evaluate
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.data.ingest import ingest_records


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return WorkCalendar.load()


@pytest.fixture
def run(calendar):
    """``run(rule_yaml, events, as_of=None)`` → the Report of that rule over those events."""

    def _run(rule_text: str, events: list[dict], as_of=None):
        loaded = rule_from(rule_text)
        con = duckdb.connect()
        try:
            result = ingest_records(con, events, name="inline events")
            return evaluate(con, [loaded], calendar, result, as_of)
        finally:
            con.close()

    return _run

"""Shared helpers: run a rule written inline over inline events through the real engine."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.api import evaluate  # noqa: E402
from engine.calendar import WorkCalendar  # noqa: E402
from engine.ingest import ingest_records  # noqa: E402
from engine.loader import load_rule_file  # noqa: E402

SOURCE = "source: {document: 测试文件, number: 测试〔2021〕1号, clause: 一、, quote: 测试条款}\n"


@pytest.fixture(scope="session")
def calendar() -> WorkCalendar:
    return WorkCalendar.load()


def rule_from(text: str, tmp_path: Path | None = None):
    """A loaded rule from YAML text; ``source`` is filled in when the text has none."""
    body = textwrap.dedent(text)
    if "source:" not in body:
        body = body.replace("severity:", SOURCE + "severity:", 1)
    return load_rule_file("inline.yaml", body)


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


def found(report) -> set[tuple]:
    """(case_id or unit, period, type) of every violation in a report."""
    return {(v.case_id, v.type) if v.case_id is not None else (v.unit, v.period, v.type)
            for v in report.violations}


def warned(report) -> set[tuple]:
    return {(v.case_id, v.type) for v in report.warnings}

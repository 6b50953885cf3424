"""Cutting a log to a window never makes a finding that the whole log would not have made
for that window (issue: "only what the log can show").

A supervisor often holds only part of a year. Whatever the cut, each finding of the part
must be one the whole log gives when it is judged over the same window: a case opened in
the window whose end was cut away is not "overdue", a period only partly in the window is
not "missing", a task whose window began before the cut is not "not done". The logs are
generated (every rule of a year broken on purpose); hypothesis draws the windows.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from govcheck.engine.api import evaluate
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.data.ingest import ingest
from govcheck.engine.findings.report import Span
from govcheck.engine.model.loader import load_rules
from govcheck.engine.testing.generator import Options, generate
from govcheck.engine.testing.oracle import findings_of
from support import ROOT

YEAR = 2021


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("span")
    log = folder / "log.csv"
    rules = load_rules([ROOT / "rules"])
    generate(Options(events=6000, seed=11, year=YEAR), log, None, rules)
    with log.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = reader.fieldnames
    return {"folder": folder, "log": log, "rows": rows, "header": header, "rules": rules,
            "calendar": WorkCalendar.load()}


def judged(log: Path, world, start: dt.datetime, end: dt.datetime) -> set:
    con = duckdb.connect()
    try:
        loaded = ingest(con, [str(log)])
        report = evaluate(con, world["rules"], world["calendar"], loaded, end,
                          span=Span.of(start, end, declared=True))
        return set(findings_of(report))
    finally:
        con.close()


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=st.integers(0, 300), length=st.integers(20, 380))
def test_a_cut_log_finds_nothing_the_whole_log_does_not(first, length, world):
    start = dt.datetime(YEAR, 1, 1) + dt.timedelta(days=first)
    end = start + dt.timedelta(days=length, hours=23, minutes=59, seconds=59)
    cut = world["folder"] / f"cut-{first}-{length}.csv"
    with cut.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=world["header"])
        writer.writeheader()
        writer.writerows(r for r in world["rows"]
                         if start <= dt.datetime.fromisoformat(r["timestamp"]) <= end)
    whole, part = judged(world["log"], world, start, end), judged(cut, world, start, end)
    extra = sorted(part - whole)
    assert not extra, f"window {start:%Y-%m-%d}…{end:%Y-%m-%d}: only the cut log finds {extra[:10]}"

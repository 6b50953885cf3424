"""Steps for the Chinese feature files: a rule in YAML, events in a table, the findings in a table."""
from __future__ import annotations

import os

os.environ["GOVCHECK_LANG"] = "en"  # messages in English, as tests/conftest.py has them

import duckdb
import pytest
from pytest_bdd import given, parsers, then, when

from govcheck.engine.api import evaluate, parse_as_of, select_rules
from govcheck.engine.findings.report import Span
from govcheck.engine.validate import story_span
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.data.ingest import ingest_records
from govcheck.engine.model.loader import load_rule_file


@pytest.fixture(scope="session")
def work_calendar() -> WorkCalendar:
    return WorkCalendar.load()


@pytest.fixture
def world() -> dict:
    return {"rules": [], "events": []}


def _table(datatable) -> list[dict[str, str]]:
    header, *rows = datatable
    return [{k: v for k, v in zip(header, row) if v != ""} for row in rows]


@given(parsers.parse("规则"), target_fixture="world")
@given(parsers.parse("规则："), target_fixture="world")
def a_rule(world, docstring):
    world["rules"].append(load_rule_file("feature.yaml", docstring))
    return world


@given(parsers.re(r"规则库中的规则 (?P<ids>[A-Z0-9, -]+)"), target_fixture="world")
def shipped_rules(world, ids):
    """Rules of the shipped library, by id (e.g. ``规则库中的规则 SY21-FW-28-1``)."""
    wanted = [i.strip() for i in ids.split(",") if i.strip()]
    world["rules"].extend(select_rules(None, wanted))
    return world


@given(parsers.parse("事件"))
@given(parsers.parse("事件："))
def events(world, datatable):
    world["events"].extend(_table(datatable))


def _check(world, work_calendar, as_of):
    con = duckdb.connect()
    try:
        loaded = ingest_records(con, world["events"], name="feature events")
        moment = parse_as_of(as_of) if as_of else \
            con.execute('SELECT max("timestamp") FROM events').fetchone()[0]
        # a scenario's events tell the whole story of its rules: the log covers their windows
        start = min(story_span(con, r, moment)[0] for r in world["rules"])
        world["report"] = evaluate(con, world["rules"], work_calendar, loaded, moment,
                                   span=Span.of(start, moment))
    finally:
        con.close()


@when(parsers.parse('截至 "{as_of}" 检查'))
def check_as_of(world, work_calendar, as_of):
    _check(world, work_calendar, as_of)


@when("检查")
def check_latest(world, work_calendar):
    _check(world, work_calendar, None)


def _findings(items) -> set[tuple]:
    return {(v.case_id if v.case_id is not None else v.unit, v.period or "", v.type) for v in items}


def _expected(datatable) -> set[tuple]:
    return {(row.get("case_id") or row.get("unit"), row.get("period", ""), row["type"])
            for row in _table(datatable)}


@then("违规为")
@then("违规为：")
def violations_are(world, datatable):
    assert _findings(world["report"].violations) == _expected(datatable)


@then("没有违规")
def no_violation(world):
    assert _findings(world["report"].violations) == set()


@then("预警为")
@then("预警为：")
def warnings_are(world, datatable):
    assert _findings(world["report"].warnings) == _expected(datatable)


@then("未判定为")
@then("未判定为：")
def not_judged_are(world, datatable):
    """How many cases (or groups) each rule did not judge, by reason (``reason``, ``count``)."""
    got: dict[str, int] = {}
    for rule in world["report"].rules:
        for reason, n in rule.not_judged.items():
            got[reason] = got.get(reason, 0) + n
    assert got == {row["reason"]: int(row["count"]) for row in _table(datatable)}


@then(parsers.parse('案件 {case_id} 的期限是 "{due}"'))
def due_is(world, case_id, due):
    dues = {v.due for v in world["report"].violations + world["report"].warnings if v.case_id == case_id}
    assert dues == {due}

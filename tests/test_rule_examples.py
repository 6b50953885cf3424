"""Every example of every shipped rule is its own test case.

A rule's examples are its reading made concrete (docs/coverage.md says how each sentence
was read; the examples show it on a small log). Each runs here through the batch engine as
``govcheck validate`` runs it, under an id such as ``GB-OGI-26-1/第21个工作日才公开``, so a
broken example fails CI by name, not only when someone runs ``validate``.
"""
from __future__ import annotations

import pytest

from support import ROOT
from govcheck.engine.api import connect
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.model.loader import load_rules
from govcheck.engine.validate import example_mismatch

LIBRARY = load_rules([ROOT / "rules"])
CASES = [(item, example) for item in LIBRARY for example in item.rule.examples]


@pytest.fixture(scope="module")
def database():
    """One database holding the calendar for every example: only ``events`` changes."""
    calendar = WorkCalendar.load(())
    con = connect()
    calendar.load_into(con)
    yield con, calendar
    con.close()


@pytest.mark.parametrize("item, example", CASES,
                         ids=[f"{item.rule.id}/{example.name}" for item, example in CASES])
def test_example_holds(database, item, example):
    con, calendar = database
    problem = example_mismatch(con, item, example, calendar)
    assert problem is None, f"{item.path}: {problem}"


def test_every_rule_has_examples_to_run():
    assert {item.rule.id for item, _ in CASES} == {item.rule.id for item in LIBRARY}

"""``subjects_window``: the dates a ``due_by`` subject event must fall in (default: the rule's
``effective``), so that items listed before the plan year are judged by its date."""
from __future__ import annotations

import datetime as dt

import pytest

from govcheck.engine.errors import RuleErrors
from support import ev, found, rule_from

RULE = """
id: T-SUBJECTS
title: 第三批事项4月1日前上线
kind: due_by
severity: error
effective: {from: 2021-01-01, to: 2021-12-31}
subjects: {event_type: 事项公布}
required: {event_type: 事项上线}
by: 2021-04-01
"""


EVENTS = [ev("OLD", "事项公布", "2020-12-15 09:00"), ev("OLD", "事项上线", "2021-04-02 09:00"),
          ev("EARLY", "事项公布", "2020-05-10 09:00"),
          ev("NEW", "事项公布", "2021-02-01 09:00"), ev("NEW", "事项上线", "2021-03-01 09:00"),
          ev("AFTER", "事项公布", "2021-04-05 09:00")]


def test_by_default_only_subjects_listed_in_the_effective_window_are_due(run):
    report = run(RULE, EVENTS, as_of="2021-05-01")
    assert found(report) == {("AFTER", "missing_by_date")} and report.rules[0].checked == 2


def test_from_any_takes_every_subject_listed_up_to_by(run):
    report = run(RULE + "subjects_window: {from: any}\n", EVENTS, as_of="2021-05-01")
    assert found(report) == {("OLD", "late"), ("EARLY", "missing_by_date")}
    assert report.rules[0].checked == 3


def test_a_window_with_both_ends(run):
    rule = RULE + "subjects_window: {from: 2020-06-01, to: 2021-04-30}\n"
    assert found(run(rule, EVENTS, as_of="2021-05-01")) == {("OLD", "late"),
                                                            ("AFTER", "missing_by_date")}


def test_a_subject_listed_before_the_logs_span_is_not_judged_unless_done_in_time(run):
    rule = RULE + "subjects_window: {from: any}\n"
    span = (dt.datetime(2021, 1, 1), dt.datetime(2021, 5, 1))
    report = run(rule, EVENTS, as_of="2021-05-01", span=span)
    assert found(report) == set()
    assert dict(report.rules[0].not_judged) == {"outside_span": 2}


def test_the_window_must_make_sense():
    with pytest.raises(RuleErrors, match="ends before it starts"):
        rule_from(RULE + "subjects_window: {from: 2021-06-01}\n")
    with pytest.raises(RuleErrors, match="subjects_list has none"):
        rule_from(RULE.replace("subjects: {event_type: 事项公布}", "subjects_list: [{case_id: A}]")
                  + "subjects_window: {from: any}\n")


def test_rules_show_says_which_subjects_are_due(chinese):
    from govcheck.engine.findings.messages import rule_lines
    assert "对象事件的时间：不限，至2021-04-01" in rule_lines(rule_from(RULE + "subjects_window: {from: any}\n").rule)

"""``settle``: a stated fair time before an incomplete case is judged — never a deadline —
and the lint that asks every untimed case rule of severity error for a limit or a fair time.

March 2021 has no holiday: 5 working days from Mon 03-01 end on Mon 03-08.
"""
from __future__ import annotations

import pytest

from govcheck.engine.errors import RuleErrors
from support import ev, found, not_judged, rule_from

SEQUENCE = """
id: T-SETTLE
title: 工单办结后回访
kind: sequence
severity: error
trigger: {event_type: 办结}
steps: [{event_type: 回访}, {event_type: 反馈}]
settle: {workdays: 5, reason: 原文未规定时限，判定前留出5个工作日}
"""


class TestSequence:
    def test_a_case_opened_minutes_before_as_of_is_not_judged(self, run):
        report = run(SEQUENCE, [ev("A", "办结", "2021-03-01 16:55")], as_of="2021-03-01 17:00")
        assert found(report) == set() and not_judged(report) == {"not_due": 1}

    def test_after_the_fair_time_a_missing_step_is_found(self, run):
        events = [ev("A", "办结", "2021-03-01 09:00"), ev("A", "回访", "2021-03-02 09:00")]
        assert found(run(SEQUENCE, events, as_of="2021-03-08 23:59:59")) == set()
        report = run(SEQUENCE, events, as_of="2021-03-09 00:00")
        assert found(report) == {("A", "missing_step")} and report.violations[0].due is None

    def test_a_step_done_after_the_fair_time_is_not_late(self, run):
        events = [ev("A", "办结", "2021-03-01 09:00"), ev("A", "回访", "2021-03-02 09:00"),
                  ev("A", "反馈", "2021-03-20 09:00")]
        report = run(SEQUENCE, events)
        assert found(report) == set() and report.rules[0].checked == 1

    def test_a_complete_case_out_of_order_is_judged_at_once(self, run):
        events = [ev("A", "办结", "2021-03-01 09:00"), ev("A", "反馈", "2021-03-01 10:00"),
                  ev("A", "回访", "2021-03-01 11:00")]
        assert found(run(SEQUENCE + "ordered: true\n", events)) == {("A", "out_of_order")}

    def test_a_cancel_before_the_fair_time_has_passed_closes_the_case(self, run):
        rule = SEQUENCE + "cancel: {event_type: 撤销}\n"
        in_time = [ev("A", "办结", "2021-03-01 09:00"), ev("A", "撤销", "2021-03-08 18:00")]
        late = [ev("A", "办结", "2021-03-01 09:00"), ev("A", "撤销", "2021-03-09 09:00")]
        assert not_judged(run(rule, in_time, as_of="2021-04-01")) == {"cancelled": 1}
        assert found(run(rule, late, as_of="2021-04-01")) == {("A", "missing_step")}

    def test_the_fair_time_read_from_the_opening_event(self, run):
        rule = SEQUENCE.replace("{workdays: 5,", "{workdays_from: 办理时限,")
        events = [ev("A", "办结", "2021-03-01 09:00", 办理时限=2), ev("B", "办结", "2021-03-01 09:00")]
        report = run(rule, events, as_of="2021-03-04 00:00")
        assert found(report) == {("A", "missing_step")}
        assert not_judged(report) == {"data_quality": 1}


MIN_COUNT = """
id: T-SETTLE-MIN
title: 至少两种解读
kind: min_count
severity: error
subject: {event_type: 发布}
count: {event_type: 解读}
at_least: 2
settle: {days: 10, reason: 原文未规定时限，判定前留出10日}
"""


class TestMinCount:
    def test_counted_up_to_as_of_and_judged_after_the_fair_time(self, run):
        events = [ev("A", "发布", "2021-03-01 09:00"), ev("A", "解读", "2021-03-02 09:00"),
                  ev("A", "解读", "2021-03-25 09:00"),
                  ev("B", "发布", "2021-03-01 09:00"), ev("B", "解读", "2021-03-02 09:00"),
                  ev("C", "发布", "2021-03-20 09:00")]
        report = run(MIN_COUNT, events, as_of="2021-03-26 00:00")
        assert found(report) == {("B", "insufficient")}
        assert report.rules[0].checked == 2 and not_judged(report) == {"not_due": 1}


DUE_BY = """
id: T-SETTLE-DUE
title: 年底前进专栏（12月印发的有20个工作日）
kind: due_by
severity: error
effective: {from: 2022-01-01, to: 2022-12-31}
subjects: {event_type: 文件印发}
required: {event_type: 进专栏}
by: 2022-12-31
settle: {workdays: 20, reason: 12月印发的文件按条例第二十六条有20个工作日公开}
"""


class TestDueBy:
    def test_a_subject_listed_late_has_its_fair_time_and_then_a_due_time(self, run):
        # 2022-12-28 + 20 working days = 2023-01-31 (春节 01-21..27 off, 01-28/29 worked)
        events = [ev("A", "文件印发", "2022-12-28 09:00"), ev("A", "进专栏", "2023-01-10 09:00"),
                  ev("B", "文件印发", "2022-12-28 09:00"), ev("B", "进专栏", "2023-02-01 09:00"),
                  ev("C", "文件印发", "2022-03-01 09:00"), ev("C", "进专栏", "2023-01-03 09:00")]
        report = run(DUE_BY, events, as_of="2023-02-10")
        assert found(report) == {("B", "late"), ("C", "late")}
        due = {v.case_id: v.due for v in report.violations}
        assert due == {"B": "2023-01-31 23:59:59", "C": "2022-12-31 23:59:59"}

    def test_before_its_fair_time_a_subject_is_not_judged(self, run):
        report = run(DUE_BY, [ev("A", "文件印发", "2022-12-28 09:00")], as_of="2023-01-20")
        assert found(report) == set() and not_judged(report) == {"not_due": 1}


class TestTheModel:
    def test_within_and_settle_exclude_each_other(self):
        with pytest.raises(RuleErrors, match="not both"):
            rule_from(SEQUENCE + "within: {workdays: 5}\n")

    def test_settle_needs_a_subject_event(self):
        text = DUE_BY.replace("subjects: {event_type: 文件印发}", "subjects_list: [{case_id: A}]")
        with pytest.raises(RuleErrors, match="subjects_list has none"):
            rule_from(text)

    def test_settle_needs_a_reason(self):
        with pytest.raises(RuleErrors, match="reason"):
            rule_from(SEQUENCE.replace(", reason: 原文未规定时限，判定前留出5个工作日", ""))


def test_rules_show_says_the_fair_time_and_why(chinese):
    from govcheck.engine.findings.messages import rule_lines
    assert rule_lines(rule_from(SEQUENCE).rule)[-1] == \
        "判定前等待：5个工作日（原文未规定时限，判定前留出5个工作日）；此后补做的不算逾期"

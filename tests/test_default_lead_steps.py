"""A limit read from the case with a ``default``, ``lead_unit`` (one city-wide figure
addressed to the lead unit) and sequence steps given as alternatives.

2021-09-01 (Wed): 15 working days end on 09-23 (Saturday 09-18 is worked, 中秋 09-19..21
off), 20 on 09-29, 30 on 10-19 (国庆 10-01..07 off, 09-26 and 10-09 worked).
"""
from __future__ import annotations

import pytest

from govcheck.engine.errors import RuleErrors
from support import ev, found, rule_from

DEADLINE = """
id: T-DEFAULT
title: 许可决定20日内作出（法律另有规定的从其规定）
kind: deadline
severity: error
start: {event_type: 办件受理}
end: {event_type: 许可决定}
within: {workdays_from: 法定时限, default: 20}
"""


def due_of(report, case) -> str:
    return next(v.due for v in report.violations if v.case_id == case)


class TestDefault:
    def test_the_limit_the_case_carries_or_the_default(self, run):
        events = [ev("A", "办件受理", "2021-09-01 09:00", 法定时限=30), ev("A", "许可决定", "2021-10-19 17:00"),
                  ev("B", "办件受理", "2021-09-01 09:00", 法定时限=15), ev("B", "许可决定", "2021-09-24 10:00"),
                  ev("C", "办件受理", "2021-09-01 09:00"), ev("C", "许可决定", "2021-09-30 09:00")]
        report = run(DEADLINE, events)
        assert found(report) == {("B", "late"), ("C", "late")}
        assert due_of(report, "B") == "2021-09-23 23:59:59" and due_of(report, "C") == "2021-09-29 23:59:59"

    def test_a_value_that_is_not_a_whole_number_is_still_a_data_quality_finding(self, run):
        report = run(DEADLINE, [ev("A", "办件受理", "2021-09-01 09:00", 法定时限="三十日")],
                     as_of="2021-12-01")
        assert found(report) == set() and dict(report.rules[0].not_judged) == {"data_quality": 1}
        assert [q.reason for q in report.data_quality] == ["bad_limit"]

    def test_a_pause_cap_with_a_default(self, run):
        rule = (DEADLINE + "pause: {event_type: 特别程序开始}\nresume: {event_type: 特别程序结束}\n"
                "pause_max: {workdays_from: 所需工作日, default: 5}\n")
        # blank: capped at 5 working days (09-02 → 09-09), due 20 + 5 working days = 10-12
        report = run(rule, [ev("A", "办件受理", "2021-09-01 09:00"), ev("A", "特别程序开始", "2021-09-02 09:00")],
                     as_of="2021-10-13 00:00")
        assert found(report) == {("A", "overdue_open")} and due_of(report, "A") == "2021-10-12 23:59:59"

    def test_default_needs_an_attribute(self):
        with pytest.raises(RuleErrors, match="give workdays_from"):
            rule_from(DEADLINE.replace("{workdays_from: 法定时限, default: 20}", "{workdays: 20, default: 5}"))

    def test_rules_show_names_the_default(self, chinese):
        from govcheck.engine.findings.messages import rule_lines
        assert "时限：法定时限所载工作日（未载的按20个工作日）" in rule_lines(rule_from(DEADLINE).rule)


RATIO = """
id: T-LEAD
title: 依申请事项办理结果电子化50%以上
kind: ratio
severity: warning
effective: {from: 2021-01-01, to: 2021-12-31}
population: {event_type: 事项发布, 依申请: 是}
condition: {event_type: 结果电子化}
at_least: 0.5
lead_unit: 市行政审批服务局
period: year
"""


def item(case, unit, met=None):
    out = [ev(case, "事项发布", "2021-02-01 09:00", unit=unit, 依申请="是")]
    return out + ([ev(case, "结果电子化", met, unit=unit)] if met else [])


class TestLeadUnit:
    def test_one_city_figure_whatever_each_department_has(self, run):
        events = (item("A1", "交通局", "2021-05-01 09:00") + item("A2", "交通局") + item("A3", "交通局")
                  + item("B1", "住建局", "2021-05-01 09:00") + item("B2", "住建局", "2021-05-01 09:00"))
        report = run(RATIO, events, as_of="2022-03-01")
        assert found(report) == set() and report.rules[0].checked == 1

    def test_a_city_figure_below_the_target_is_addressed_to_the_lead_unit(self, run):
        events = item("A1", "住建局", "2021-05-01 09:00") + item("A2", "住建局", "2022-02-10 09:00") \
            + item("A3", "住建局")
        report = run(RATIO, events, as_of="2022-03-01")
        assert found(report) == {("市行政审批服务局", "2021", "below_threshold")}

    def test_a_periodic_rule_counts_every_unit_for_the_lead_unit(self, run):
        rule = """
id: T-LEAD-P
title: 每季度至少两次通报
kind: periodic
severity: error
effective: {from: 2021-01-01, to: 2021-12-31}
event: {event_type: 通报}
every: quarter
at_least: 2
lead_unit: 市政务服务中心
"""
        events = [ev("N1", "通报", "2021-01-10 09:00", unit="甲局"), ev("N2", "通报", "2021-02-10 09:00", unit="乙局"),
                  ev("N3", "通报", "2021-04-10 09:00", unit="甲局")]
        report = run(rule, events, as_of="2021-07-01")
        assert found(report) == {("市政务服务中心", "2021-Q2", "missing_in_period")}

    def test_lead_unit_is_one_group(self):
        with pytest.raises(RuleErrors, match="not with group_by"):
            rule_from(RATIO + "group_by: [unit]\n")

    def test_rules_show_names_the_lead_unit(self, chinese):
        from govcheck.engine.findings.messages import rule_lines
        assert "全市一个比例，结果写给牵头单位：市行政审批服务局" in rule_lines(rule_from(RATIO).rule)


SEQUENCE = """
id: T-ALTERNATIVES
title: 超时红牌每牌必查，超时必究
kind: sequence
severity: error
trigger: {event_type: 红牌发出}
steps: [{event_type: 红牌核查}, [{event_type: 红牌追责}, {event_type: 红牌核查, 核查结论: 误报}]]
ordered: true
within: {workdays: 10}
"""


class TestStepAlternatives:
    def test_a_step_is_done_by_the_first_event_matching_any_alternative(self, run):
        events = [ev("A", "红牌发出", "2021-06-01 09:00"), ev("A", "红牌核查", "2021-06-02 09:00", 核查结论="属实"),
                  ev("A", "红牌追责", "2021-06-03 09:00"),
                  ev("B", "红牌发出", "2021-06-01 09:00"), ev("B", "红牌核查", "2021-06-02 09:00", 核查结论="误报"),
                  ev("C", "红牌发出", "2021-06-01 09:00"), ev("C", "红牌核查", "2021-06-02 09:00", 核查结论="属实")]
        report = run(SEQUENCE, events, as_of="2021-07-15")
        assert found(report) == {("C", "missing_step")} and report.rules[0].checked == 3
        assert report.violations[0].actual == "红牌追责或红牌核查（核查结论=误报）"

    def test_a_step_list_needs_two_alternatives(self):
        with pytest.raises(RuleErrors):
            rule_from(SEQUENCE.replace("[{event_type: 红牌追责}, {event_type: 红牌核查, 核查结论: 误报}]",
                                       "[{event_type: 红牌追责}]"))

    def test_rules_show_lists_the_alternatives(self, chinese):
        from govcheck.engine.findings.messages import rule_lines
        assert "须有环节：红牌核查 → 红牌追责或红牌核查（核查结论=误报）（按顺序）" in rule_lines(rule_from(SEQUENCE).rule)

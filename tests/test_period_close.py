"""When a period closes: a ratio's condition must be met by the end of the member's period
(plus ``grace``), and ``grace: {months: N}`` reaches the end of the month N calendar months
after a period's last day (periodic and ratio)."""
from __future__ import annotations

import pytest

from govcheck.engine.errors import RuleErrors
from support import ev, found, not_judged, rule_from

RATIO = """
id: T-RATIO-END
title: 事项网上可办
kind: ratio
severity: error
effective: {from: 2021-01-01, to: 2021-12-31}
population: {event_type: 事项发布}
condition: {event_type: 网办开通}
at_least: 1.0
group_by: [unit]
period: year
"""


def item(case, met=None, listed="2021-02-01 09:00"):
    out = [ev(case, "事项发布", listed)]
    return out + ([ev(case, "网办开通", met)] if met else [])


class TestRatioCondition:
    def test_a_condition_met_after_the_period_does_not_count_for_it(self, run):
        report = run(RATIO, item("A", "2021-05-01 09:00") + item("B", "2022-01-04 09:00"),
                     as_of="2022-01-10")
        assert found(report) == {("甲局", "2021", "below_threshold")}
        assert report.violations[0].due == "2021-12-31 23:59:59"

    def test_the_last_second_of_the_period_counts_the_next_does_not(self, run):
        on_time = run(RATIO, item("A", "2021-12-31 23:59:59"), as_of="2022-01-10")
        after = run(RATIO, item("A", "2022-01-01 00:00:00"), as_of="2022-01-10")
        assert found(on_time) == set() and found(after) == {("甲局", "2021", "below_threshold")}

    def test_a_grace_in_days_counts_later_conditions_and_waits_for_them(self, run):
        rule = RATIO + "grace: {days: 10}\n"
        events = item("A", "2022-01-04 09:00")
        waiting = run(rule, events, as_of="2022-01-10 23:00")
        assert found(waiting) == set() and not_judged(waiting) == {"not_due": 1}
        closed = run(rule, events, as_of="2022-01-11 00:00")
        assert found(closed) == set() and closed.rules[0].checked == 1

    def test_a_grace_in_months_runs_to_the_end_of_that_month(self, run):
        rule = RATIO + "grace: {months: 1}\n"
        assert found(run(rule, item("A", "2022-01-31 18:00"), as_of="2022-02-05")) == set()
        late = run(rule, item("A", "2022-02-01 09:00"), as_of="2022-02-05")
        assert found(late) == {("甲局", "2021", "below_threshold")}
        assert late.violations[0].due == "2022-01-31 23:59:59"

    def test_without_period_the_effective_window_is_the_period(self, run):
        rule = RATIO.replace("period: year\n", "")
        report = run(rule, item("A", "2022-01-04 09:00"), as_of="2022-01-10")
        assert found(report) == {("甲局", "2021", "below_threshold")}

    def test_a_window_with_no_end_counts_the_condition_by_as_of(self, run):
        rule = RATIO.replace("period: year\n", "").replace(", to: 2021-12-31", "")
        assert found(run(rule, item("A", "2022-01-04 09:00"), as_of="2022-01-10")) == set()

    def test_quarters_close_with_their_own_grace(self, run):
        rule = RATIO.replace("period: year", "period: quarter") + "grace: {months: 3}\n"
        # Q1 (to 03-31) + 3 months → 06-30; Q2 (to 06-30) + 3 months → 09-30
        events = item("A", "2021-06-30 10:00", listed="2021-02-01 09:00") + \
            item("B", "2021-07-01 10:00", listed="2021-03-01 09:00") + \
            item("C", "2021-09-30 10:00", listed="2021-05-01 09:00")
        report = run(rule, events, as_of="2021-12-31")
        assert found(report) == {("甲局", "2021-Q1", "below_threshold")}


PERIODIC = """
id: T-PERIODIC-MONTHS
title: 年报3月31日前发布
kind: periodic
severity: error
effective: {from: 2021-01-01, to: 2021-12-31}
event: {event_type: 年报发布}
every: year
period_of: 报告年度
units: [甲局, 乙局]
grace: {months: 3}
"""


class TestPeriodicMonths:
    def test_a_report_by_march_31_counts_for_the_year_before(self, run):
        events = [ev("R1", "年报发布", "2022-03-31 17:00", 报告年度="2021"),
                  ev("R2", "年报发布", "2022-04-01 09:00", unit="乙局", 报告年度="2021")]
        report = run(PERIODIC, events, as_of="2022-04-02")
        assert found(report) == {("乙局", "2021", "missing_in_period")}
        assert report.violations[0].due == "2022-03-31 23:59:59"

    def test_before_march_ends_the_year_is_not_judged(self, run):
        report = run(PERIODIC, [ev("R1", "年报发布", "2022-01-20 17:00", 报告年度="2021")],
                     as_of="2022-03-31 12:00")
        assert found(report) == set() and not_judged(report) == {"not_due": 2}


class TestTheModel:
    @pytest.mark.parametrize("grace, message", [
        ("{workdays_from: 宽限}", "grace is a fixed duration"),
        ("{months: 1, days: 3}", "exactly one of")])
    def test_a_grace_is_one_fixed_duration(self, grace, message):
        with pytest.raises(RuleErrors, match=message):
            rule_from(RATIO + f"grace: {grace}\n")

    def test_rules_show_says_when_the_condition_must_be_met(self, chinese):
        from govcheck.engine.findings.messages import rule_lines
        assert "达标条件须在周期结束后1个月（至该月末）内满足" in rule_lines(rule_from(RATIO + "grace: {months: 1}\n").rule)
        assert "达标条件须在周期结束前满足" in rule_lines(rule_from(RATIO).rule)

"""Each rule kind over small logs whose right answer is worked out by hand.

Dates use the official schedule: 2021 National Day 10-01..10-07 off, Saturday 10-09 a
调休 working day; 2021 Spring Festival 02-11..02-17 off, Sunday 02-07 and Saturday 02-20
调休 working days.
"""
from __future__ import annotations

import datetime as dt

import pytest

from govcheck.engine.errors import CalendarError
from support import found, warned

DEADLINE = """
id: T-DEADLINE
title: 5个工作日内答复
kind: deadline
severity: error
effective: {from: 2021-01-01, to: 2021-12-31}
start: {event_type: 留言受理}
end: {event_type: 留言答复}
within: {workdays: 5}
warn_at: 0.8
"""


def ev(case, event_type, ts, **attrs):
    return {"case_id": case, "event_type": event_type, "timestamp": ts, **attrs}


def pair(case, start, end=None, unit="市政务服务中心", **attrs):
    out = [ev(case, "留言受理", start, unit=unit, **attrs)]
    if end:
        out.append(ev(case, "留言答复", end, unit=unit))
    return out


class TestDeadline:
    def test_national_day_and_makeup_saturday(self, run):
        report = run(DEADLINE, pair("C1", "2021-09-30 10:00", "2021-10-13 17:00")
                     + pair("C2", "2021-09-30 10:00", "2021-10-14 09:00"))
        assert found(report) == {("C2", "late")}
        late = report.violations[0]
        assert late.due == "2021-10-13 23:59:59"
        assert late.actual == "2021-10-14 09:00:00"
        assert [e["event_type"] for e in late.evidence] == ["留言受理", "留言答复"]
        assert report.rules[0].checked == 2

    def test_spring_festival_with_makeup_weekends(self, run):
        # day 1 = 02-18, 2 = 02-19, 3 = Sat 02-20 (调休), 4 = 02-22, 5 = 02-23
        report = run(DEADLINE, pair("A", "2021-02-10 09:00", "2021-02-23 17:00")
                     + pair("B", "2021-02-10 09:00", "2021-02-24 08:00"))
        assert found(report) == {("B", "late")}

    def test_event_on_a_makeup_saturday_counts_from_the_next_working_day(self, run):
        # opened Sat 10-09 (a working day): day 1 = Mon 10-11 … day 5 = Fri 10-15
        report = run(DEADLINE, pair("A", "2021-10-09 10:00", "2021-10-15 18:00")
                     + pair("B", "2021-10-09 10:00", "2021-10-16 09:00"))
        assert found(report) == {("B", "late")}

    def test_zero_days_means_the_end_of_the_same_date(self, run):
        rule = DEADLINE.replace("{workdays: 5}", "{workdays: 0}")
        report = run(rule, pair("A", "2021-10-16 10:00", "2021-10-16 20:00")
                     + pair("B", "2021-10-16 10:00", "2021-10-17 08:00"))
        assert found(report) == {("B", "late")}
        assert report.violations[0].due == "2021-10-16 23:59:59"

    def test_pending_versus_overdue_at_as_of(self, run):
        events = pair("OPEN", "2021-09-30 10:00")
        before = run(DEADLINE, events, as_of="2021-10-13 23:00")
        assert found(before) == set()
        assert warned(before) == {("OPEN", "at_risk")}  # 4 of 5 working days (to 10-12) passed
        assert before.rules[0].checked == 0
        after = run(DEADLINE, events, as_of="2021-10-14 00:00:01")
        assert found(after) == {("OPEN", "overdue_open")}
        assert warned(after) == set()

    def test_events_after_as_of_are_ignored(self, run):
        report = run(DEADLINE, pair("A", "2021-09-30 10:00", "2021-10-20 10:00"), as_of="2021-10-15")
        assert found(report) == {("A", "overdue_open")}

    def test_no_warning_before_the_share_has_passed(self, run):
        report = run(DEADLINE, pair("OPEN", "2021-09-30 10:00"), as_of="2021-10-12 12:00")
        assert warned(report) == set() and found(report) == set()

    def test_effective_window_applies_to_the_start_event(self, run):
        report = run(DEADLINE, pair("OLD", "2020-12-31 10:00", "2021-02-01 10:00")
                     + pair("NEW", "2021-01-04 10:00", "2021-02-01 10:00"))
        assert found(report) == {("NEW", "late")}

    def test_where_filters_the_start_event(self, run):
        rule = DEADLINE.replace("start:", "where: {unit: 大祥区}\nstart:")
        report = run(rule, pair("A", "2021-03-01 10:00", "2021-03-20 10:00", unit="大祥区")
                     + pair("B", "2021-03-01 10:00", "2021-03-20 10:00", unit="双清区"))
        assert found(report) == {("A", "late")}
        assert report.violations[0].unit == "大祥区"

    def test_pause_adds_the_working_days_until_resume(self, run):
        # start Mon 03-01 → 03-08; paused Tue 03-02, resumed Thu 03-04: +2 → Wed 03-10
        rule = DEADLINE + "pause: {event_type: 中止}\nresume: {event_type: 恢复}\n"
        mid = [ev("A", "中止", "2021-03-02 10:00"), ev("A", "恢复", "2021-03-04 10:00")]
        ok = run(rule, pair("A", "2021-03-01 09:00", "2021-03-10 17:00") + mid)
        late = run(rule, pair("A", "2021-03-01 09:00", "2021-03-11 09:00") + mid)
        assert found(ok) == set()
        assert found(late) == {("A", "late")}
        assert late.violations[0].due == "2021-03-10 23:59:59"

    def test_a_case_still_paused_is_not_overdue(self, run):
        rule = DEADLINE + "pause: {event_type: 中止}\nresume: {event_type: 恢复}\n"
        report = run(rule, pair("A", "2021-03-01 09:00") + [ev("A", "中止", "2021-03-02 10:00")],
                     as_of="2021-04-30")
        assert found(report) == set()

    def test_restart_counts_again_from_the_restart(self, run):
        # 补正 on Fri 03-05: 5 working days from then → Fri 03-12
        rule = DEADLINE + "restart: {event_type: 补正}\n"
        fix = [ev("A", "补正", "2021-03-05 10:00")]
        assert found(run(rule, pair("A", "2021-03-01 09:00", "2021-03-12 17:00") + fix)) == set()
        assert found(run(rule, pair("A", "2021-03-01 09:00", "2021-03-15 09:00") + fix)) == {("A", "late")}

    def test_extension_adds_the_granted_working_days(self, run):
        rule = DEADLINE + "extend: {event_type: 延期告知, workdays_from: 延长工作日}\n"
        ext = [ev("A", "延期告知", "2021-03-05 10:00", 延长工作日="3")]
        assert found(run(rule, pair("A", "2021-03-01 09:00", "2021-03-11 17:00") + ext)) == set()
        report = run(rule, pair("A", "2021-03-01 09:00", "2021-03-12 09:00") + ext)
        assert found(report) == {("A", "late")}
        assert report.violations[0].due == "2021-03-11 23:59:59"

    def test_limit_read_from_the_start_event(self, run):
        rule = DEADLINE.replace("{workdays: 5}", "{workdays_from: 承诺时限}")
        report = run(rule, pair("A", "2021-03-01 09:00", "2021-03-04 17:00", 承诺时限="3")
                     + pair("B", "2021-03-01 09:00", "2021-03-05 09:00", 承诺时限="3"))
        assert found(report) == {("B", "late")}

    def test_a_limit_that_is_not_a_number_is_a_data_quality_finding(self, run):
        """One case without a usable 承诺时限 is not judged and does not stop the others."""
        rule = DEADLINE.replace("{workdays: 5}", "{workdays_from: 承诺时限}")
        report = run(rule, pair("A", "2021-03-01 09:00", "2021-03-04 17:00", 承诺时限="三天")
                     + pair("B", "2021-03-01 09:00", "2021-03-05 09:00", 承诺时限="3")
                     + pair("C", "2021-03-01 09:00", "2021-03-05 09:00", 承诺时限=""))
        assert found(report) == {("B", "late")}
        assert [(q.case_id, q.reason, q.detail, q.row) for q in report.data_quality] == \
            [("A", "bad_limit", "承诺时限", 1), ("C", "bad_limit", "承诺时限", 5)]
        assert "承诺时限为空或不是整数" in report.data_quality[0].message
        assert report.rules[0].checked == 1 and report.rules[0].not_judged == {"data_quality": 2}

    def test_an_end_before_the_start_is_a_data_quality_finding_not_overdue(self, run):
        events = [ev("A", "留言答复", "2021-03-01 09:00"), ev("A", "留言受理", "2021-03-02 09:00"),
                  ev("B", "留言答复", "2021-03-01 09:00"), ev("B", "留言受理", "2021-03-02 09:00"),
                  ev("B", "留言答复", "2021-03-03 09:00")]
        report = run(DEADLINE, events, as_of="2021-06-01")
        assert found(report) == set()
        assert [(q.case_id, q.reason, q.detail) for q in report.data_quality] == \
            [("A", "end_before_start", "2021-03-01 09:00:00")]
        assert report.rules[0].checked == 1

    def test_only_cases_opened_in_the_span_are_judged(self, run):
        events = pair("A", "2021-03-01 09:00", "2021-03-20 09:00") + \
            pair("B", "2021-04-01 09:00", "2021-04-20 09:00")
        span = (dt.datetime(2021, 3, 15), dt.datetime(2021, 6, 1))
        report = run(DEADLINE, events, as_of="2021-06-01", span=span)
        assert found(report) == {("B", "late")}
        assert report.rules[0].not_judged == {"outside_span": 1}

    def test_open_cases_before_their_deadline_are_counted_as_not_due(self, run):
        report = run(DEADLINE, [ev("A", "留言受理", "2021-03-01 09:00")], as_of="2021-03-02 09:00")
        assert found(report) == set() and report.rules[0].not_judged == {"not_due": 1}

    def test_calendar_days_and_hours_count_plainly(self, run):
        days = DEADLINE.replace("{workdays: 5}", "{days: 3}")
        assert found(run(days, pair("A", "2021-03-01 10:00", "2021-03-04 23:00")
                         + pair("B", "2021-03-01 10:00", "2021-03-05 00:30"))) == {("B", "late")}
        hours = DEADLINE.replace("{workdays: 5}", "{hours: 24}").replace("warn_at: 0.8\n", "")
        assert found(run(hours, pair("A", "2021-03-01 10:00", "2021-03-02 10:00")
                         + pair("B", "2021-03-01 10:00", "2021-03-02 10:01"))) == {("B", "late")}

    def test_a_deadline_past_the_calendar_names_the_year(self, run):
        rule = DEADLINE.replace("to: 2021-12-31", "to: 2026-12-31")
        with pytest.raises(CalendarError, match="2027"):
            run(rule, pair("A", "2026-12-28 10:00", "2027-01-10 10:00"))

    def test_only_the_first_start_opens_the_case(self, run):
        events = pair("A", "2021-03-01 09:00") + pair("A", "2021-03-10 09:00", "2021-03-10 10:00")
        assert found(run(DEADLINE, events)) == {("A", "late")}


SEQUENCE = """
id: T-SEQ
title: 差评核实整改反馈
kind: sequence
severity: error
trigger: {event_type: 差评}
steps: [{event_type: 差评核实}, {event_type: 差评整改}, {event_type: 差评反馈}]
ordered: true
within: {workdays: 5}
"""


class TestSequence:
    def steps(self, case, *items):
        return [ev(case, "差评", "2021-03-01 09:00", unit="市民政局")] + [ev(case, t, ts) for t, ts in items]

    def test_each_finding_type(self, run):
        events = (self.steps("OK", ("差评核实", "2021-03-02 10:00"), ("差评整改", "2021-03-03 10:00"),
                             ("差评反馈", "2021-03-08 10:00"))
                  + self.steps("MISS", ("差评核实", "2021-03-02 10:00"), ("差评反馈", "2021-03-03 10:00"))
                  + self.steps("ORDER", ("差评整改", "2021-03-02 10:00"), ("差评核实", "2021-03-03 10:00"),
                               ("差评反馈", "2021-03-04 10:00"))
                  + self.steps("LATE", ("差评核实", "2021-03-02 10:00"), ("差评整改", "2021-03-03 10:00"),
                               ("差评反馈", "2021-03-09 10:00")))
        report = run(SEQUENCE, events, as_of="2021-03-20")
        assert found(report) == {("MISS", "missing_step"), ("ORDER", "out_of_order"), ("LATE", "late")}
        miss = next(v for v in report.violations if v.case_id == "MISS")
        assert miss.actual == "差评整改"
        assert report.rules[0].checked == 4

    def test_missing_step_waits_for_the_deadline(self, run):
        events = self.steps("A", ("差评核实", "2021-03-02 10:00"))
        assert found(run(SEQUENCE, events, as_of="2021-03-08 12:00")) == set()
        assert found(run(SEQUENCE, events, as_of="2021-03-09 00:00:01")) == {("A", "missing_step")}

    def test_without_within_judged_at_as_of(self, run):
        rule = SEQUENCE.replace("within: {workdays: 5}\n", "").replace("ordered: true\n", "")
        events = (self.steps("A", ("差评反馈", "2021-03-02 10:00"), ("差评整改", "2021-03-03 10:00"),
                             ("差评核实", "2021-03-04 10:00"))
                  + self.steps("B", ("差评核实", "2021-03-02 10:00")))
        assert found(run(rule, events)) == {("B", "missing_step")}


MIN_COUNT = """
id: T-MIN
title: 每个规范性文件至少2种形式解读
kind: min_count
severity: error
subject: {event_type: 规范性文件发布}
count: {event_type: 政策解读发布}
at_least: 2
distinct: 解读形式
"""


class TestMinCount:
    def test_distinct_forms(self, run):
        events = [ev("D1", "规范性文件发布", "2021-03-01 09:00", unit="市财政局"),
                  ev("D1", "政策解读发布", "2021-03-01 09:00", 解读形式="文字"),
                  ev("D1", "政策解读发布", "2021-03-02 09:00", 解读形式="图解"),
                  ev("D2", "规范性文件发布", "2021-03-01 09:00", unit="市教育局"),
                  ev("D2", "政策解读发布", "2021-03-01 09:00", 解读形式="文字"),
                  ev("D2", "政策解读发布", "2021-03-05 09:00", 解读形式="文字")]
        report = run(MIN_COUNT, events)
        assert found(report) == {("D2", "insufficient")}
        assert report.violations[0].actual == 1
        assert report.violations[0].unit == "市教育局"

    def test_within_counts_only_until_the_deadline(self, run):
        rule = MIN_COUNT + "within: {workdays: 3}\n"
        events = [ev("D1", "规范性文件发布", "2021-03-01 09:00"),
                  ev("D1", "政策解读发布", "2021-03-01 09:00", 解读形式="文字"),
                  ev("D1", "政策解读发布", "2021-03-05 09:00", 解读形式="图解")]
        assert found(run(rule, events, as_of="2021-03-04 12:00")) == set()  # not yet due
        assert found(run(rule, events, as_of="2021-03-10")) == {("D1", "insufficient")}


RATIO = """
id: T-RATIO
title: 电子证照发放率不低于50%
kind: ratio
severity: error
effective: {from: 2021-01-01, to: 2021-12-31}
population: {event_type: 办件办结}
condition: {event_type: 电子证照发放}
at_least: 0.5
group_by: [unit]
period: quarter
"""


class TestRatio:
    def test_below_threshold_per_unit_and_quarter(self, run):
        events = [ev("A1", "办件办结", "2021-02-01 09:00", unit="甲局"),
                  ev("A1", "电子证照发放", "2021-02-01 10:00"),
                  ev("A2", "办件办结", "2021-02-02 09:00", unit="甲局"),
                  ev("B1", "办件办结", "2021-02-01 09:00", unit="乙局"),
                  ev("B2", "办件办结", "2021-03-31 09:00", unit="乙局"),
                  ev("B3", "办件办结", "2021-04-02 09:00", unit="乙局")]  # Q2 not over yet
        report = run(RATIO, events, as_of="2021-05-01")
        assert found(report) == {("乙局", "2021-Q1", "below_threshold")}
        assert report.violations[0].actual == 0
        assert report.rules[0].checked == 2

    def test_value_mode(self, run):
        rule = RATIO.replace("condition: {event_type: 电子证照发放}",
                             "value: {numerator: 电子发证数, denominator: 发证总数}").replace(
            "period: quarter", "period: month").replace("办件办结", "月度统计")
        events = [ev("S1", "月度统计", "2021-01-31 09:00", unit="甲局", 电子发证数="30", 发证总数="100"),
                  ev("S2", "月度统计", "2021-01-31 09:00", unit="乙局", 电子发证数="60", 发证总数="100")]
        report = run(rule, events, as_of="2021-02-05")
        assert found(report) == {("甲局", "2021-01", "below_threshold")}
        assert report.violations[0].actual == pytest.approx(0.3)


DUE_BY = """
id: T-DUE
title: 城乡规划领域目录9月底前编制完成
kind: due_by
severity: error
subjects_list: [{case_id: 城乡规划, unit: 大祥区}, {case_id: 户籍管理, unit: 双清区}, {case_id: 税收管理, unit: 北塔区}]
required: {event_type: 标准目录编制完成}
by: 2020-09-30
"""


class TestDueBy:
    def test_missing_late_and_on_time(self, run):
        events = [ev("城乡规划", "标准目录编制完成", "2020-09-30 20:00"),
                  ev("户籍管理", "标准目录编制完成", "2020-10-05 09:00")]
        report = run(DUE_BY, events, as_of="2020-10-10")
        assert found(report) == {("户籍管理", "late"), ("税收管理", "missing_by_date")}
        assert {v.unit for v in report.violations} == {"双清区", "北塔区"}

    def test_not_judged_before_the_date(self, run):
        report = run(DUE_BY, [ev("X", "其他", "2020-09-01 09:00")], as_of="2020-09-30 12:00")
        assert found(report) == set()


PERIODIC = """
id: T-PERIODIC
title: 每月更新公开专栏
kind: periodic
severity: warning
effective: {from: 2021-01-01, to: 2021-12-31}
event: {event_type: 专栏更新}
every: month
units: [甲局, 乙局]
"""


class TestPeriodic:
    def test_missing_months_for_listed_units(self, run):
        events = [ev("u1", "专栏更新", "2021-01-10 09:00", unit="甲局"),
                  ev("u2", "专栏更新", "2021-02-10 09:00", unit="甲局"),
                  ev("u3", "专栏更新", "2021-01-12 09:00", unit="乙局"),
                  ev("u4", "专栏更新", "2021-03-01 09:00", unit="乙局")]
        report = run(PERIODIC, events, as_of="2021-03-15")
        assert found(report) == {("乙局", "2021-02", "missing_in_period")}
        assert report.rules[0].checked == 4  # 2 units × 2 finished months

    def test_grace_and_period_of(self, run):
        rule = PERIODIC.replace("every: month", "every: quarter\nperiod_of: 报告期\ngrace: {workdays: 5}")
        events = [ev("r1", "专栏更新", "2021-04-06 09:00", unit="甲局", 报告期="2021-Q1"),
                  ev("r2", "专栏更新", "2021-04-20 09:00", unit="乙局", 报告期="2021-Q1")]
        # Q1 ends 03-31; 5 working days after: 04-01, 02, 06, 07, 08 (清明 04-03..05 off)
        assert found(run(rule, events, as_of="2021-04-08 12:00")) == set()
        assert found(run(rule, events, as_of="2021-04-30")) == {("乙局", "2021-Q1", "missing_in_period")}

    def test_zero_grace_ends_with_the_period_even_on_a_sunday(self, run):
        # January 2021 ends on a Sunday: a report that day is in time
        rule = PERIODIC.replace("units: [甲局, 乙局]", "units: [甲局]\ngrace: {workdays: 0}")
        events = [ev("r1", "专栏更新", "2021-01-31 10:00", unit="甲局")]
        assert found(run(rule, events, as_of="2021-02-10")) == set()


REQUIRED_FIELDS = """
id: T-FIELDS
title: 受理登记要素齐全
kind: required_fields
severity: error
event: {event_type: 办件受理}
fields: [申请人, 是否网办]
allowed: {是否网办: [是, 否]}
"""


class TestRequiredFieldsAndForbidden:
    def test_required_fields(self, run):
        events = [ev("A", "办件受理", "2021-03-01 09:00", 申请人="张三", 是否网办="是"),
                  ev("B", "办件受理", "2021-03-01 09:00", 申请人="", 是否网办="是"),
                  ev("C", "办件受理", "2021-03-01 09:00", 申请人="李四", 是否网办="可能")]
        report = run(REQUIRED_FIELDS, events)
        assert found(report) == {("B", "missing_field"), ("C", "missing_field")}
        assert {v.actual for v in report.violations} == {"申请人（缺失）", "是否网办=可能"}

    def test_a_case_is_named_by_its_first_incomplete_event(self, run):
        events = [ev("A", "办件受理", "2021-03-01 09:00", 申请人="", 是否网办="是"),
                  ev("A", "办件受理", "2021-03-01 10:00", 申请人="张三", 是否网办="可能")]
        report = run(REQUIRED_FIELDS, events)
        assert [(v.case_id, v.actual) for v in report.violations] == [("A", "申请人（缺失）")]

    def test_forbidden(self, run):
        rule = """
        id: T-FORBID
        title: 不得出现红牌
        kind: forbidden
        severity: error
        event: {event_type: 红牌, 原因|contains: 超时}
        """
        events = [ev("A", "红牌", "2021-03-01 09:00", 原因="超时办结"),
                  ev("B", "红牌", "2021-03-01 09:00", 原因="材料不全"),
                  ev("C", "办件受理", "2021-03-01 09:00")]
        report = run(rule, events)
        assert found(report) == {("A", "forbidden")}
        assert report.rules[0].checked == 2      # every case with a 红牌, not only A


#: Each operator in a forbidden rule's matcher, and the cases of OPERATOR_EVENTS it finds
#: (tests/test_truth.py holds the oracle to the same answers).
OPERATORS = [
    ("{event_type: 事件, 分值|gte: 3}", {"hi"}),
    ("{event_type: 事件, 分值|lt: 3}", {"lo"}),
    ("{event_type: 事件, 分值|lt: 10}", {"hi", "lo"}),     # as numbers: "5" > "10" as text
    ("{event_type: 事件, 渠道|ne: 网站}", {"lo", "none"}),
    ("{event_type: 事件, 渠道: [网站, 电话]}", {"hi", "lo"}),
    ("{event_type: 事件, 渠道|startswith: 网}", {"hi"}),
    ("{event_type: 事件, 渠道|contains: 站}", {"hi"}),
    ("{event_type: 事件, 渠道|re: '^电.$'}", {"lo"}),
    ("{event_type: 事件, 渠道|re: 话}", {"lo"}),          # found anywhere in the text
    ("{event_type: 事件, 渠道|exists: false}", {"none"}),
    ("{event_type: 事件, timestamp|gte: 2021-03-02}", {"lo", "none"}),
]

OPERATOR_EVENTS = [ev("hi", "事件", "2021-03-01 09:00", 分值="5", 渠道="网站"),
                   ev("lo", "事件", "2021-03-02 09:00", 分值="1", 渠道="电话"),
                   ev("none", "事件", "2021-03-03 09:00", 分值="")]


def operator_rule(matcher: str) -> str:
    return f"""
    id: T-OPS
    title: 运算符
    kind: forbidden
    severity: error
    event: {matcher}
    """


class TestMatcherOperators:
    @pytest.mark.parametrize("matcher, expected", OPERATORS)
    def test_operators(self, run, matcher, expected):
        assert {c for c, _ in found(run(operator_rule(matcher), OPERATOR_EVENTS))} == expected

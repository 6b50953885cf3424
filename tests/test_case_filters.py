"""Keys that take a case out of judgement: ``cancel`` (closed without judgement, if in time),
``exclude`` and ``only_if`` (out of scope by an outcome recorded any time by as_of).

Dates: 2021-03-01 is a Monday; 5 working days from it end on Monday 03-08.
"""
from __future__ import annotations

from support import ev, found, not_judged, warned

DEADLINE = """
id: T-CANCEL
title: 5个工作日内答复
kind: deadline
severity: error
effective: {from: 2021-01-01, to: 2021-12-31}
start: {event_type: 申请}
end: {event_type: 答复}
within: {workdays: 5}
warn_at: 0.6
cancel: [{event_type: 撤回}, {event_type: 视为放弃}]
"""


class TestCancelDeadline:
    def test_a_withdrawal_before_the_due_time_closes_the_case_unjudged(self, run):
        report = run(DEADLINE, [ev("A", "申请", "2021-03-01 09:00"), ev("A", "撤回", "2021-03-05 10:00")],
                     as_of="2021-04-01")
        assert found(report) == set() and warned(report) == set()
        assert report.rules[0].checked == 0 and not_judged(report) == {"cancelled": 1}

    def test_any_of_the_listed_matchers_cancels(self, run):
        report = run(DEADLINE, [ev("A", "申请", "2021-03-01 09:00"), ev("A", "视为放弃", "2021-03-03 10:00")],
                     as_of="2021-04-01")
        assert found(report) == set() and not_judged(report) == {"cancelled": 1}

    def test_a_cancel_on_the_last_day_is_in_time(self, run):
        report = run(DEADLINE, [ev("A", "申请", "2021-03-01 09:00"), ev("A", "撤回", "2021-03-08 23:59:59")],
                     as_of="2021-04-01")
        assert found(report) == set() and not_judged(report) == {"cancelled": 1}

    def test_a_cancel_after_the_due_time_leaves_the_case_overdue(self, run):
        report = run(DEADLINE, [ev("A", "申请", "2021-03-01 09:00"), ev("A", "撤回", "2021-03-09 00:00")],
                     as_of="2021-04-01")
        assert found(report) == {("A", "overdue_open")}
        assert [e["event_type"] for e in report.violations[0].evidence] == ["申请", "撤回"]

    def test_a_late_cancel_then_a_late_answer_is_late(self, run):
        report = run(DEADLINE, [ev("A", "申请", "2021-03-01 09:00"), ev("A", "撤回", "2021-03-10 09:00"),
                                ev("A", "答复", "2021-03-11 09:00")])
        assert found(report) == {("A", "late")}

    def test_an_answer_before_the_cancel_judges_the_case(self, run):
        events = [ev("A", "申请", "2021-03-01 09:00"), ev("A", "答复", "2021-03-04 09:00"),
                  ev("A", "撤回", "2021-03-05 09:00"),
                  ev("B", "申请", "2021-03-01 09:00"), ev("B", "答复", "2021-03-09 09:00"),
                  ev("B", "撤回", "2021-03-10 09:00")]
        report = run(DEADLINE, events)
        assert found(report) == {("B", "late")} and report.rules[0].checked == 2

    def test_at_the_same_instant_the_end_wins(self, run):
        events = [ev("A", "申请", "2021-03-01 09:00"), ev("A", "撤回", "2021-03-09 09:00"),
                  ev("A", "答复", "2021-03-09 09:00"),
                  ev("B", "申请", "2021-03-01 09:00"), ev("B", "答复", "2021-03-05 09:00"),
                  ev("B", "撤回", "2021-03-05 09:00")]
        report = run(DEADLINE, events)
        assert found(report) == {("A", "late")} and not_judged(report) == {}

    def test_a_cancel_after_as_of_is_not_seen(self, run):
        events = [ev("A", "申请", "2021-03-01 09:00"), ev("A", "撤回", "2021-03-05 09:00")]
        assert warned(run(DEADLINE, events, as_of="2021-03-05 08:00")) == {("A", "at_risk")}
        assert found(run(DEADLINE, events[:1], as_of="2021-03-09")) == {("A", "overdue_open")}

    def test_a_cancel_before_the_opening_event_does_not_count(self, run):
        report = run(DEADLINE, [ev("A", "撤回", "2021-03-01 08:00"), ev("A", "申请", "2021-03-01 09:00")],
                     as_of="2021-04-01")
        assert found(report) == {("A", "overdue_open")}

    def test_any_cancel_while_the_clock_is_stopped_is_in_time(self, run):
        rule = DEADLINE + "pause: {event_type: 补正告知}\nresume: {event_type: 补正收到}\n"
        report = run(rule, [ev("A", "申请", "2021-03-01 09:00"), ev("A", "补正告知", "2021-03-02 09:00"),
                            ev("A", "视为放弃", "2021-04-20 09:00")], as_of="2021-05-01")
        assert found(report) == set() and not_judged(report) == {"cancelled": 1}

    def test_a_pause_moves_the_due_time_a_cancel_is_held_to(self, run):
        # paused Tue 03-02 → Thu 03-04 (+2 working days): due Wed 03-10
        rule = DEADLINE + "pause: {event_type: 补正告知}\nresume: {event_type: 补正收到}\n"
        events = [ev("A", "申请", "2021-03-01 09:00"), ev("A", "补正告知", "2021-03-02 09:00"),
                  ev("A", "补正收到", "2021-03-04 09:00")]
        in_time = run(rule, events + [ev("A", "撤回", "2021-03-10 18:00")], as_of="2021-04-01")
        late = run(rule, events + [ev("A", "撤回", "2021-03-11 08:00")], as_of="2021-04-01")
        assert found(in_time) == set() and not_judged(in_time) == {"cancelled": 1}
        assert found(late) == {("A", "overdue_open")}


SEQUENCE = """
id: T-CANCEL-SEQ
title: 受理后交办、办结
kind: sequence
severity: error
trigger: {event_type: 受理}
steps: [{event_type: 交办}, {event_type: 办结}]
within: {workdays: 5}
cancel: {event_type: 撤销}
"""


class TestCancelSequence:
    def test_a_cancel_in_time_before_the_steps_closes_the_case(self, run):
        events = [ev("A", "受理", "2021-03-01 09:00"), ev("A", "交办", "2021-03-02 09:00"),
                  ev("A", "撤销", "2021-03-03 09:00"), ev("A", "办结", "2021-03-04 09:00")]
        report = run(SEQUENCE, events, as_of="2021-04-01")
        assert found(report) == set() and not_judged(report) == {"cancelled": 1}

    def test_a_cancel_after_the_due_time_leaves_the_step_missing(self, run):
        events = [ev("A", "受理", "2021-03-01 09:00"), ev("A", "撤销", "2021-03-09 09:00")]
        assert found(run(SEQUENCE, events, as_of="2021-04-01")) == {("A", "missing_step")}

    def test_a_case_complete_before_or_at_the_cancel_is_judged(self, run):
        events = [ev("A", "受理", "2021-03-01 09:00"), ev("A", "办结", "2021-03-02 09:00"),
                  ev("A", "交办", "2021-03-03 09:00"), ev("A", "撤销", "2021-03-03 09:00")]
        report = run(SEQUENCE + "ordered: true\n", events, as_of="2021-04-01")
        assert found(report) == {("A", "out_of_order")} and not_judged(report) == {}

    def test_without_a_limit_any_cancel_before_completion_counts(self, run):
        rule = SEQUENCE.replace("within: {workdays: 5}\n", "")
        events = [ev("A", "受理", "2021-03-01 09:00"), ev("A", "撤销", "2021-06-01 09:00")]
        report = run(rule, events)
        assert found(report) == set() and not_judged(report) == {"cancelled": 1}


MIN_COUNT = """
id: T-CANCEL-MIN
title: 至少两种解读
kind: min_count
severity: error
subject: {event_type: 发布}
count: {event_type: 解读}
at_least: 2
distinct: 形式
within: {workdays: 5}
cancel: {event_type: 废止}
"""


class TestCancelMinCount:
    def test_a_cancel_in_time_before_enough_closes_the_case(self, run):
        events = [ev("A", "发布", "2021-03-01 09:00"), ev("A", "解读", "2021-03-02 09:00", 形式="图文"),
                  ev("A", "废止", "2021-03-03 09:00"), ev("A", "解读", "2021-03-04 09:00", 形式="视频")]
        report = run(MIN_COUNT, events, as_of="2021-04-01")
        assert found(report) == set() and not_judged(report) == {"cancelled": 1}

    def test_enough_at_the_cancels_instant_judges_the_case(self, run):
        events = [ev("A", "发布", "2021-03-01 09:00"), ev("A", "解读", "2021-03-02 09:00", 形式="图文"),
                  ev("A", "解读", "2021-03-03 09:00", 形式="视频"), ev("A", "废止", "2021-03-03 09:00")]
        report = run(MIN_COUNT, events, as_of="2021-04-01")
        assert found(report) == set() and report.rules[0].checked == 1 and not_judged(report) == {}

    def test_a_late_cancel_leaves_the_case_insufficient(self, run):
        events = [ev("A", "发布", "2021-03-01 09:00"), ev("A", "解读", "2021-03-02 09:00", 形式="图文"),
                  ev("A", "废止", "2021-03-09 09:00")]
        assert found(run(MIN_COUNT, events, as_of="2021-04-01")) == {("A", "insufficient")}


DUE_BY = """
id: T-CANCEL-DUE
title: 年底前进专栏
kind: due_by
severity: error
effective: {from: 2022-01-01, to: 2022-12-31}
subjects: {event_type: 文件印发}
required: {event_type: 进专栏}
by: 2022-12-31
cancel: {event_type: 文件废止}
"""


class TestCancelDueBy:
    def test_a_subject_repealed_before_the_date_is_not_judged(self, run):
        events = [ev("A", "文件印发", "2022-02-01 09:00"), ev("A", "文件废止", "2022-09-01 09:00"),
                  ev("B", "文件印发", "2022-02-01 09:00")]
        report = run(DUE_BY, events, as_of="2023-01-10")
        assert found(report) == {("B", "missing_by_date")} and not_judged(report) == {"cancelled": 1}

    def test_a_repeal_after_the_date_or_after_it_was_done_changes_nothing(self, run):
        events = [ev("A", "文件印发", "2022-02-01 09:00"), ev("A", "文件废止", "2023-01-05 09:00"),
                  ev("B", "文件印发", "2022-02-01 09:00"), ev("B", "进专栏", "2022-03-01 09:00"),
                  ev("B", "文件废止", "2022-09-01 09:00")]
        report = run(DUE_BY, events, as_of="2023-01-10")
        assert found(report) == {("A", "missing_by_date")} and report.rules[0].checked == 2


def test_rules_show_names_what_closes_a_case_unjudged(chinese):
    from govcheck.engine.findings.messages import rule_lines
    from support import rule_from
    assert rule_lines(rule_from(DEADLINE).rule)[-1] == "结案不判：撤回或视为放弃（须在期限届满前、办结之前）"


RED_CARD = """
id: T-EXCLUDE
title: 红牌须追责
kind: sequence
severity: error
trigger: {event_type: 红牌发出}
steps: [{event_type: 红牌追责}]
within: {workdays: 5}
exclude: [{event_type: 红牌核查, 核查结论: 误报}, {event_type: 红牌撤销}]
"""


class TestExclude:
    def test_an_outcome_recorded_any_time_takes_the_case_out_of_scope(self, run):
        events = [ev("A", "红牌发出", "2021-03-01 09:00"),
                  ev("A", "红牌核查", "2021-03-20 09:00", 核查结论="误报"),   # after the due time
                  ev("B", "红牌撤销", "2021-02-20 09:00"),                      # before the card
                  ev("B", "红牌发出", "2021-03-01 09:00"),
                  ev("C", "红牌发出", "2021-03-01 09:00"),
                  ev("C", "红牌核查", "2021-03-02 09:00", 核查结论="属实")]
        report = run(RED_CARD, events, as_of="2021-04-01")
        assert found(report) == {("C", "missing_step")}
        assert report.rules[0].checked == 1 and not_judged(report) == {"excluded": 2}

    def test_an_outcome_after_as_of_is_not_seen(self, run):
        events = [ev("A", "红牌发出", "2021-03-01 09:00"),
                  ev("A", "红牌核查", "2021-03-20 09:00", 核查结论="误报")]
        assert found(run(RED_CARD, events, as_of="2021-03-19")) == {("A", "missing_step")}

    def test_a_deadline_case_excluded_after_it_closed_late(self, run):
        rule = DEADLINE.replace("cancel:", "exclude: {event_type: 不予受理}\ncancel:")
        events = [ev("A", "申请", "2021-03-01 09:00"), ev("A", "答复", "2021-03-10 09:00"),
                  ev("A", "不予受理", "2021-03-11 09:00")]
        report = run(rule, events)
        assert found(report) == set() and not_judged(report) == {"excluded": 1}

    def test_a_due_by_subject_excluded(self, run):
        rule = DUE_BY.replace("cancel:", "exclude: {event_type: 文件废止}\ncancel:")
        events = [ev("A", "文件印发", "2022-02-01 09:00"), ev("A", "文件废止", "2023-01-02 09:00"),
                  ev("B", "文件印发", "2022-02-01 09:00")]
        report = run(rule, events, as_of="2023-01-10")
        assert found(report) == {("B", "missing_by_date")} and not_judged(report) == {"excluded": 1}

    def test_a_forbidden_event_of_an_excluded_case_is_not_a_finding(self, run):
        rule = """
id: T-EXCLUDE-FB
title: 不得退件
kind: forbidden
severity: error
event: {event_type: 退件}
exclude: {event_type: 申请撤回}
"""
        events = [ev("A", "退件", "2021-03-01 09:00"), ev("A", "申请撤回", "2021-03-02 09:00"),
                  ev("B", "退件", "2021-03-01 09:00")]
        report = run(rule, events)
        assert found(report) == {("B", "forbidden")}
        assert report.rules[0].checked == 1 and not_judged(report) == {"excluded": 1}


ONLY_IF = """
id: T-ONLY-IF
title: 补正告知7个工作日内发出
kind: deadline
severity: error
start: {event_type: 申请}
end: {event_type: 补正告知}
within: {workdays: 7}
only_if: {event_type: 补正告知}
"""


class TestOnlyIf:
    def test_only_cases_with_the_event_are_judged_so_an_open_case_is_never_overdue(self, run):
        # 7 working days from Mon 03-01 end on Wed 03-10
        events = [ev("A", "申请", "2021-03-01 09:00"), ev("A", "补正告知", "2021-03-10 17:00"),
                  ev("B", "申请", "2021-03-01 09:00"), ev("B", "补正告知", "2021-03-11 09:00"),
                  ev("C", "申请", "2021-03-01 09:00")]
        report = run(ONLY_IF, events, as_of="2021-04-01")
        assert found(report) == {("B", "late")}
        assert report.rules[0].checked == 2 and not_judged(report) == {"out_of_scope": 1}

    def test_excluded_comes_before_out_of_scope(self, run):
        rule = ONLY_IF + "exclude: {event_type: 撤回}\n"
        events = [ev("A", "申请", "2021-03-01 09:00"), ev("A", "撤回", "2021-03-02 09:00"),
                  ev("B", "申请", "2021-03-01 09:00")]
        report = run(rule, events, as_of="2021-04-01")
        assert not_judged(report) == {"excluded": 1, "out_of_scope": 1}

    def test_required_fields_of_the_cases_in_scope_only(self, run):
        rule = """
id: T-ONLY-IF-RF
title: 本级政府年报载评估结果
kind: required_fields
severity: error
event: {event_type: 年报发布}
fields: [评估结果]
only_if: {event_type: 年报发布, 报告类型: 本级政府}
"""
        events = [ev("A", "年报发布", "2022-03-01 09:00", 报告类型="本级政府"),
                  ev("B", "年报发布", "2022-03-01 09:00", 报告类型="部门")]
        report = run(rule, events)
        assert found(report) == {("A", "missing_field")} and not_judged(report) == {"out_of_scope": 1}

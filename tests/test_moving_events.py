"""What moves a deadline: pauses (paired first in, first out, capped, counted once where they
overlap), extensions (capped in all) and restarts — each only if it came no later than the
due time as it then stood, and every one before it did (the prefix rule).

March 2021 has no holiday: Mon 03-01; 5 working days from it end on Mon 03-08. A position
is a working day: a pause from Tue 03-02 to Thu 03-04 stops the clock for 2 of them.
"""
from __future__ import annotations

from support import ev, found, warned

BASE = """
id: T-MOVE
title: 5个工作日内办结
kind: deadline
severity: error
start: {event_type: 受理}
end: {event_type: 办结}
within: {workdays: 5}
"""
PAUSE = BASE + "pause: {event_type: 中止}\nresume: {event_type: 恢复}\n"
EXTEND = BASE + "extend: {event_type: 延期, workdays_from: 延长工作日}\n"


def case(*events, name="A"):
    return [ev(name, "受理", "2021-03-01 09:00")] + [ev(name, t, ts, **a) for t, ts, *rest in events
                                                      for a in (rest[0] if rest else {},)]


def due_of(report) -> str:
    (v,) = report.violations
    return v.due


class TestExtensions:
    def test_an_extension_granted_on_the_last_day_counts(self, run):
        report = run(EXTEND, case(("延期", "2021-03-08 16:00", {"延长工作日": 3}),
                                  ("办结", "2021-03-12 09:00")))
        assert due_of(report) == "2021-03-11 23:59:59"

    def test_an_extension_granted_after_the_due_time_does_not_count(self, run):
        report = run(EXTEND, case(("延期", "2021-03-09 00:00", {"延长工作日": 3}),
                                  ("办结", "2021-03-10 09:00")))
        assert found(report) == {("A", "late")} and due_of(report) == "2021-03-08 23:59:59"

    def test_at_the_due_instant_it_still_counts(self, run):
        report = run(EXTEND, case(("延期", "2021-03-08 23:59:59", {"延长工作日": 3}),
                                  ("办结", "2021-03-11 09:00")))
        assert found(report) == set()

    def test_a_weekend_after_the_last_working_day_is_after_the_due_time(self, run):
        # 4 working days end on Fri 03-05: Saturday 03-06 has the same position, yet is later
        rule = EXTEND.replace("{workdays: 5}", "{workdays: 4}")
        report = run(rule, case(("延期", "2021-03-06 10:00", {"延长工作日": 3}),
                                ("办结", "2021-03-08 09:00")))
        assert found(report) == {("A", "late")} and due_of(report) == "2021-03-05 23:59:59"

    def test_each_extension_is_held_to_the_due_time_the_ones_before_it_left(self, run):
        # +2 on 03-05 moves the due time to 03-10; one on 03-11 is too late
        report = run(EXTEND, case(("延期", "2021-03-05 09:00", {"延长工作日": 2}),
                                  ("延期", "2021-03-11 09:00", {"延长工作日": 5}),
                                  ("办结", "2021-03-12 09:00")))
        assert found(report) == {("A", "late")} and due_of(report) == "2021-03-10 23:59:59"

    def test_extend_max_caps_what_all_extensions_add(self, run):
        rule = EXTEND + "extend_max: {workdays: 4}\n"
        events = case(("延期", "2021-03-02 09:00", {"延长工作日": 3}),
                      ("延期", "2021-03-03 09:00", {"延长工作日": 3}))
        assert found(run(rule, events + [ev("A", "办结", "2021-03-12 17:00")])) == set()
        late = run(rule, events + [ev("A", "办结", "2021-03-15 09:00")])
        assert due_of(late) == "2021-03-12 23:59:59"


class TestPauses:
    def test_a_pause_begun_in_time_counts_whole_though_it_ends_after_the_due_time(self, run):
        # 03-05 → 03-12 stops 5 working days: due 03-15
        report = run(PAUSE, case(("中止", "2021-03-05 09:00"), ("恢复", "2021-03-12 09:00"),
                                 ("办结", "2021-03-16 09:00")))
        assert due_of(report) == "2021-03-15 23:59:59"

    def test_once_one_is_too_late_no_later_one_counts(self, run):
        # the pause of 03-09 is after the due time (03-08); the extension of 03-10 would be in
        # time by a due time that counted that pause, but nothing after a late one counts
        rule = PAUSE + "extend: {event_type: 延期, workdays_from: 延长工作日}\n"
        report = run(rule, case(("中止", "2021-03-09 09:00"), ("延期", "2021-03-10 09:00", {"延长工作日": 9}),
                                ("恢复", "2021-03-19 09:00"), ("办结", "2021-03-15 09:00")))
        assert found(report) == {("A", "late")} and due_of(report) == "2021-03-08 23:59:59"

    def test_a_resume_ends_the_earliest_open_pause(self, run):
        # (03-02, 03-04] and (03-03, 03-09]: together 03-02 → 03-09, 5 working days: due 03-15
        report = run(PAUSE, case(("中止", "2021-03-02 09:00"), ("中止", "2021-03-03 09:00"),
                                 ("恢复", "2021-03-04 09:00"), ("恢复", "2021-03-09 09:00"),
                                 ("办结", "2021-03-16 09:00")))
        assert due_of(report) == "2021-03-15 23:59:59"

    def test_a_resume_with_no_open_pause_is_ignored(self, run):
        report = run(PAUSE, case(("恢复", "2021-03-02 09:00"), ("中止", "2021-03-03 09:00"),
                                 ("恢复", "2021-03-05 09:00"), ("办结", "2021-03-11 09:00")))
        assert due_of(report) == "2021-03-10 23:59:59"

    def test_overlapping_pauses_of_two_pairs_count_once(self, run):
        rule = BASE + ("pauses:\n"
                       "  - {pause: {event_type: 征求意见}, resume: {event_type: 意见收回}}\n"
                       "  - {pause: {event_type: 中止}, resume: {event_type: 恢复}}\n")
        # (03-02, 03-05] and (03-03, 03-04] inside it: 3 working days, due 03-11
        report = run(rule, case(("征求意见", "2021-03-02 09:00"), ("中止", "2021-03-03 09:00"),
                                ("恢复", "2021-03-04 09:00"), ("意见收回", "2021-03-05 09:00"),
                                ("办结", "2021-03-12 09:00")))
        assert due_of(report) == "2021-03-11 23:59:59"

    def test_a_pause_and_its_resume_at_one_instant_stop_nothing(self, run):
        report = run(PAUSE, case(("恢复", "2021-03-03 09:00"), ("中止", "2021-03-03 09:00"),
                                 ("办结", "2021-03-09 09:00")))
        assert due_of(report) == "2021-03-08 23:59:59"

    def test_an_uncapped_pause_never_resumed_leaves_the_case_unjudged(self, run):
        report = run(PAUSE, case(("中止", "2021-03-02 09:00")), as_of="2021-06-01")
        assert found(report) == set() and dict(report.rules[0].not_judged) == {"paused": 1}


class TestPauseCaps:
    CAPPED = PAUSE + "pause_max: {workdays: 2}\n"

    def test_a_pause_never_resumed_ends_at_its_cap(self, run):
        report = run(self.CAPPED, case(("中止", "2021-03-02 09:00")), as_of="2021-03-11 00:00")
        assert found(report) == {("A", "overdue_open")} and due_of(report) == "2021-03-10 23:59:59"

    def test_before_as_of_passes_the_cap_the_case_is_paused(self, run):
        # capped at the end of 03-04: at 03-04 noon the clock is still stopped, no warning
        rule = self.CAPPED + "warn_at: 0.2\n"
        report = run(rule, case(("中止", "2021-03-02 09:00")), as_of="2021-03-04 12:00")
        assert found(report) == set() and warned(report) == set()
        assert dict(report.rules[0].not_judged) == {"paused": 1}
        after = run(rule, case(("中止", "2021-03-02 09:00")), as_of="2021-03-05 00:00")
        assert warned(after) == {("A", "at_risk")}

    def test_the_resume_or_the_cap_whichever_comes_first(self, run):
        early = run(self.CAPPED, case(("中止", "2021-03-02 09:00"), ("恢复", "2021-03-03 09:00"),
                                      ("办结", "2021-03-10 09:00")))
        late = run(self.CAPPED, case(("中止", "2021-03-02 09:00"), ("恢复", "2021-03-09 09:00"),
                                     ("办结", "2021-03-11 09:00")))
        assert due_of(early) == "2021-03-09 23:59:59" and due_of(late) == "2021-03-10 23:59:59"

    def test_a_resume_after_as_of_is_not_seen(self, run):
        events = case(("中止", "2021-03-02 09:00"), ("恢复", "2021-03-03 09:00"))
        report = run(self.CAPPED, events, as_of="2021-03-02 18:00")
        assert dict(report.rules[0].not_judged) == {"paused": 1}

    def test_the_cap_read_from_the_pause_event(self, run):
        rule = PAUSE + "pause_max: {workdays_from: 所需工作日}\n"
        capped = run(rule, case(("中止", "2021-03-02 09:00", {"所需工作日": 3})), as_of="2021-03-12")
        blank = run(rule, case(("中止", "2021-03-02 09:00")), as_of="2021-03-12")
        bad = run(rule, case(("中止", "2021-03-02 09:00", {"所需工作日": "三天"})), as_of="2021-03-12")
        assert due_of(capped) == "2021-03-11 23:59:59"
        assert found(blank) == set() and dict(blank.rules[0].not_judged) == {"paused": 1}
        assert found(bad) == set() and dict(bad.rules[0].not_judged) == {"data_quality": 1}
        (problem,) = bad.data_quality
        assert (problem.reason, problem.detail) == ("bad_limit", "所需工作日")

    def test_a_cap_in_hours(self, run):
        rule = ("id: T-HOURS\ntitle: 30小时内答复\nkind: deadline\nseverity: error\n"
                "start: {event_type: 受理}\nend: {event_type: 办结}\nwithin: {hours: 30}\n"
                "pause: {event_type: 中止}\nresume: {event_type: 恢复}\npause_max: {hours: 4}\n")
        report = run(rule, case(("中止", "2021-03-01 10:00"), ("办结", "2021-03-02 20:00")))
        assert due_of(report) == "2021-03-02 19:00:00"


class TestRestarts:
    RESTART = EXTEND + "restart: {event_type: 补正}\n"

    def test_a_restart_in_time_counts_again_and_drops_what_came_before(self, run):
        # +3 on 03-02 is dropped by the restart of 03-05: 5 working days from 03-05 → 03-12
        report = run(self.RESTART, case(("延期", "2021-03-02 09:00", {"延长工作日": 3}),
                                        ("补正", "2021-03-05 09:00"), ("办结", "2021-03-15 09:00")))
        assert due_of(report) == "2021-03-12 23:59:59"

    def test_a_restart_after_the_due_time_does_not_rescue_the_case(self, run):
        report = run(self.RESTART, case(("补正", "2021-03-09 09:00"), ("办结", "2021-03-10 09:00")))
        assert found(report) == {("A", "late")} and due_of(report) == "2021-03-08 23:59:59"

    def test_an_extension_at_the_restarts_instant_counts_from_it(self, run):
        report = run(self.RESTART, case(("延期", "2021-03-05 09:00", {"延长工作日": 2}),
                                        ("补正", "2021-03-05 09:00"), ("办结", "2021-03-17 09:00")))
        assert due_of(report) == "2021-03-16 23:59:59"


def test_rules_show_names_the_caps_and_the_timeliness(chinese):
    from govcheck.engine.findings.messages import rule_lines
    from support import rule_from
    rule = rule_from(EXTEND + "extend_max: {workdays: 20}\n" + "pauses:\n"
                     "  - {pause: {event_type: 征求意见}, resume: {event_type: 意见收回}, max: {workdays: 15}}\n"
                     "  - {pause: {event_type: 补正告知}, resume: {event_type: 补正收到}}\n").rule
    assert rule_lines(rule)[3:] == [
        "不计入期限：征求意见 至 意见收回，最长15个工作日",
        "不计入期限：补正告知 至 补正收到",
        "延长：延期（延长天数见 延长工作日，合计最长20个工作日）",
        "中止、重新起算、延长须在当时的期限届满前发生，否则不计"]


def test_pause_keys_are_checked_together():
    import pytest
    from govcheck.engine.errors import RuleErrors
    from support import rule_from
    for extra, message in (
            ("pause_max: {workdays: 2}\n", "pause_max caps the pause of pause and resume"),
            ("extend_max: {workdays: 2}\n", "extend_max caps what extend grants"),
            ("pause: {event_type: 中止}\nresume: {event_type: 恢复}\npause_max: {days: 2}\n",
             "counts in the unit of within"),
            ("pause: {event_type: 中止}\nresume: {event_type: 恢复}\n"
             "pauses: [{pause: {event_type: 甲}, resume: {event_type: 乙}}]\n", "not both")):
        with pytest.raises(RuleErrors, match=message):
            rule_from(BASE + extra)


class TestUnreadableValues:
    """A value that is not a whole number leaves the case unjudged only when it counts:
    the due time depends on it."""

    RESTART = EXTEND + "restart: {event_type: 补正}\n"

    def test_one_that_counts_leaves_the_case_unjudged(self, run):
        report = run(EXTEND, case(("延期", "2021-03-03 09:00", {"延长工作日": "若干"}),
                                  ("办结", "2021-03-20 09:00")))
        assert found(report) == set()
        assert [(q.reason, q.detail) for q in report.data_quality] == [("bad_limit", "延长工作日")]

    def test_a_restart_in_time_whatever_it_granted_drops_it(self, run):
        # the restart of 03-04 is in time even if the extension granted nothing
        report = run(self.RESTART, case(("延期", "2021-03-03 09:00", {"延长工作日": "若干"}),
                                        ("补正", "2021-03-04 09:00"), ("办结", "2021-03-12 09:00")))
        assert found(report) == {("A", "late")} and report.data_quality == ()

    def test_a_restart_that_counts_only_if_it_granted_enough_leaves_it_unjudged(self, run):
        report = run(self.RESTART, case(("延期", "2021-03-03 09:00", {"延长工作日": "若干"}),
                                        ("补正", "2021-03-22 09:00"), ("办结", "2021-03-23 09:00")))
        assert found(report) == set() and len(report.data_quality) == 1

    def test_one_after_the_due_time_does_not_count_so_does_not_matter(self, run):
        report = run(EXTEND, case(("延期", "2021-03-09 09:00", {"延长工作日": "若干"}),
                                  ("办结", "2021-03-20 09:00")))
        assert found(report) == {("A", "late")} and report.data_quality == ()

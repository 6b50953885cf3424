"""Boundaries where deliberate bugs went unnoticed, in both engines.

* ``warn_at`` whose share of the working days is not whole: the warning comes once
  ``ceil(warn_at × days)`` working days have fully passed (docs/contract.md), so rounding
  down, or warning a second early, is caught; ``0.67 × 3`` rounds up to the deadline itself
  and never warns; a product that is whole on paper (0.14 × 50 = 7) is whole in both
  engines, though floating point makes it 7.000000000000001.
* ordered sequence steps at the same instant are in order, whatever order the log lists
  them in; one second apart the wrong way round they are not.
* the last second of a limit (a deadline's, a count's), of the effective window, of the
  span the logs cover, of a period and of its grace is inside it, the next second is not;
  of two opening events at one instant the first the log lists opens the case; no period
  after the effective window is judged. Each was a mutant of ``bench/mutants.py`` that
  no hand-written test noticed.

Each case runs through ``check`` (the ``run`` fixture) and, where ``watch`` can judge it
(not periods, nor the span, which only ``check`` has), through ``watch`` (JSON lines, with
``_clock`` lines moving its clock to the boundary and one second past it).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest

from support import SOURCE, found, rule_from, warned
from test_kinds import MIN_COUNT, SEQUENCE
from govcheck.engine.testing import oracle
from govcheck.engine.testing.oracle.log import make_event


def ev(case, event_type, ts, **attrs):
    return {"case_id": case, "event_type": event_type, "timestamp": ts, **attrs}


def tick(ts):
    return {"event_type": "_clock", "timestamp": ts}


@pytest.fixture
def stream(tmp_path):
    """``stream(rule_yaml, events)`` → ``(finding, case_id, type)`` of each line ``watch``
    writes (``keys``: other fields of the line instead)."""
    pytest.importorskip("durable_rules_engine")
    from govcheck.engine.watch.monitor import WatchOptions, watch

    def _stream(rule_text: str, events: list[dict],
                keys: tuple[str, ...] = ("finding", "case_id", "type")) -> list[tuple]:
        folder = tmp_path / "rules"
        folder.mkdir(exist_ok=True)
        rule_id = re.search(r"^id: (\S+)$", rule_text, re.M)[1]
        (folder / f"{rule_id}.yaml").write_text(
            rule_text.replace("severity:", SOURCE + "severity:"), encoding="utf-8")
        log = tmp_path / "in.jsonl"
        log.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events),
                       encoding="utf-8")
        out = io.BytesIO()
        assert watch(WatchOptions(source=str(log), rules=[str(folder)], status_every=0),
                     out=out, err=io.StringIO()) == 0
        return [tuple(x[k] for k in keys)
                for x in map(json.loads, out.getvalue().decode("utf-8").splitlines())]

    return _stream


# ---------------------------------------------------------------------------
# warn_at
# ---------------------------------------------------------------------------

DEADLINE = """
id: T-RULE
title: 限时答复
kind: deadline
severity: error
start: {event_type: 留言受理}
end: {event_type: 留言答复}
within: {workdays: DAYS}
warn_at: SHARE
"""

START = "2021-03-01 10:00:00"     # a Monday: working days 03-02, 03-03, 03-04, 03-05, 03-08

# (warn_at, working days, the last moment nothing is said, the next second, what it says)
WARN_AT = [
    # ceil(1.8) = 2: the warning follows working day 2 (03-03); rounded down it would follow day 1
    (0.6, 3, "2021-03-03 23:59:59", "2021-03-04 00:00:00", "at_risk"),
    # ceil(2.01) = 3, the deadline itself: never a warning, the next second it is overdue
    (0.67, 3, "2021-03-04 23:59:59", "2021-03-05 00:00:00", "overdue_open"),
    # 4.0, whole: the warning follows working day 4 (Friday 03-05), not day 3 or day 5
    (0.8, 5, "2021-03-05 23:59:59", "2021-03-06 00:00:00", "at_risk"),
    # ceil(0.5) = 1, the one working day: no warning either
    (0.5, 1, "2021-03-02 23:59:59", "2021-03-03 00:00:00", "overdue_open"),
    # ceil(1.02) = 2
    (0.34, 3, "2021-03-03 23:59:59", "2021-03-04 00:00:00", "at_risk"),
    # 0.14 × 50 is 7.000000000000001 in floating point: still 7 working days (03-10), not 8
    (0.14, 50, "2021-03-10 23:59:59", "2021-03-11 00:00:00", "at_risk"),
    (0.07, 100, "2021-03-10 23:59:59", "2021-03-11 00:00:00", "at_risk"),
]


WARN_IDS = [f"{share}x{days}" for share, days, *_ in WARN_AT]


def warn_rule(share: float, days: int) -> str:
    return DEADLINE.replace("DAYS", str(days)).replace("SHARE", str(share))


@pytest.mark.parametrize("share, days, quiet, then, said", WARN_AT, ids=WARN_IDS)
def test_warn_at_in_check(run, share, days, quiet, then, said):
    events = [ev("A", "留言受理", START)]
    before = run(warn_rule(share, days), events, as_of=quiet)
    assert (warned(before), found(before)) == (set(), set())
    after = run(warn_rule(share, days), events, as_of=then)
    assert warned(after) | found(after) == {("A", said)}


@pytest.mark.parametrize("share, days, quiet, then, said", WARN_AT, ids=WARN_IDS)
def test_warn_at_in_watch(stream, share, days, quiet, then, said):
    lines = stream(warn_rule(share, days), [ev("A", "留言受理", START), tick(quiet)])
    assert lines == []
    lines = stream(warn_rule(share, days), [ev("A", "留言受理", START), tick(quiet), tick(then)])
    assert lines == [("violation" if said == "overdue_open" else "warning", "A", said)]


# ---------------------------------------------------------------------------
# Ordered steps at the same instant (test_kinds.SEQUENCE: three ordered steps)
# ---------------------------------------------------------------------------

AT = "2021-03-02 10:00:00"
STEPS = ("差评核实", "差评整改", "差评反馈")

SAME_INSTANT = {
    # every step at one instant, listed in the rule's order and the other way round
    "LISTED-IN-ORDER": [ev("LISTED-IN-ORDER", t, AT) for t in STEPS],
    "LISTED-REVERSED": [ev("LISTED-REVERSED", t, AT) for t in reversed(STEPS)],
    # two steps at one instant, the third after them
    "TWO-AT-ONCE": [ev("TWO-AT-ONCE", "差评整改", AT), ev("TWO-AT-ONCE", "差评核实", AT),
                    ev("TWO-AT-ONCE", "差评反馈", "2021-03-03 10:00:00")],
    # the steps at the instant of the trigger itself
    "WITH-TRIGGER": [ev("WITH-TRIGGER", t, "2021-03-01 09:00:00") for t in STEPS],
}
# one second apart, the wrong way round: out of order
ONE_SECOND = [ev("ONE-SECOND", "差评整改", AT), ev("ONE-SECOND", "差评核实", "2021-03-02 10:00:01"),
              ev("ONE-SECOND", "差评反馈", "2021-03-02 10:00:01")]


def sequence_log() -> list[dict]:
    events = []
    for case, steps in list(SAME_INSTANT.items()) + [("ONE-SECOND", ONE_SECOND)]:
        events += [ev(case, "差评", "2021-03-01 09:00:00", unit="市民政局")] + steps
    return events


def test_ordered_steps_at_one_instant_in_check(run):
    report = run(SEQUENCE, sequence_log(), as_of="2021-03-20")
    assert found(report) == {("ONE-SECOND", "out_of_order")}
    assert report.rules[0].checked == len(SAME_INSTANT) + 1


def test_ordered_steps_at_one_instant_in_watch(stream):
    lines = stream(SEQUENCE, sequence_log() + [tick("2021-03-20 00:00:00")])
    assert lines == [("violation", "ONE-SECOND", "out_of_order")]


# ---------------------------------------------------------------------------
# The last second of a limit, of the effective window and of the span
# ---------------------------------------------------------------------------

PLAIN = warn_rule(0.5, 5).replace("warn_at: 0.5\n", "")
DUE = "2021-03-08 23:59:59"       # the end of working day 5 after START
NEXT = "2021-03-09 00:00:00"

EDGE_OF_LIMIT = [ev("IN-TIME", "留言受理", START), ev("IN-TIME", "留言答复", DUE),
                 ev("LATE", "留言受理", START), ev("LATE", "留言答复", NEXT)]


def test_an_end_in_the_last_second_of_the_limit_is_in_time_in_check(run):
    report = run(PLAIN, EDGE_OF_LIMIT)
    assert found(report) == {("LATE", "late")}
    assert report.violations[0].due == DUE


def test_an_end_in_the_last_second_of_the_limit_is_in_time_in_watch(stream):
    lines = stream(PLAIN, EDGE_OF_LIMIT)
    # LATE is overdue the moment the clock reaches NEXT, then late when its end is read
    assert [x for x in lines if x[1] == "IN-TIME"] == []
    assert lines[-1] == ("violation", "LATE", "late")


WINDOWED = PLAIN.replace("start:", "effective: {from: 2021-01-01, to: 2021-03-01}\nstart:")
# effective.to is 03-01: its last second opens a case, the next second does not
EDGE_OF_WINDOW = [ev("LAST-SECOND", "留言受理", "2021-03-01 23:59:59"),
                  ev("NEXT-DAY", "留言受理", "2021-03-02 00:00:00")]


def test_the_last_second_of_the_effective_window_is_in_it_in_check(run):
    report = run(WINDOWED, EDGE_OF_WINDOW, as_of="2021-04-01")
    assert found(report) == {("LAST-SECOND", "overdue_open")}


def test_the_last_second_of_the_effective_window_is_in_it_in_watch(stream):
    lines = stream(WINDOWED, EDGE_OF_WINDOW + [tick("2021-04-01 00:00:00")])
    assert lines == [("violation", "LAST-SECOND", "overdue_open")]


def test_the_last_second_of_the_effective_window_is_in_it_in_the_oracle():
    """The oracle keeps its own effective window: a hand-worked answer, not agreement."""
    rule = rule_from(WINDOWED).rule
    events = [make_event(e, i) for i, e in enumerate(EDGE_OF_WINDOW)]
    findings = oracle.evaluate([rule], events, as_of=dt.datetime(2021, 4, 1))
    assert {(f.case_id, f.type) for f in findings} == {("LAST-SECOND", "overdue_open")}


def test_the_oracle_counts_a_makeup_saturday_as_a_working_day():
    """2021 National Day: 10-01 to 10-07 off, Sunday 09-26 and Saturday 10-09 worked."""
    workdays = oracle.Workdays.load()
    assert workdays.nth_after(dt.date(2021, 9, 30), 1) == dt.date(2021, 10, 8)
    assert workdays.nth_after(dt.date(2021, 10, 8), 1) == dt.date(2021, 10, 9)
    assert workdays.between(dt.date(2021, 9, 25), dt.date(2021, 9, 26)) == 1
    assert workdays.between(dt.date(2021, 9, 30), dt.date(2021, 10, 7)) == 0


def test_cases_opened_at_either_end_of_the_span_are_judged(run):
    """``check`` only: ``watch`` judges whatever it reads."""
    first, last = dt.datetime(2021, 3, 1, 10), dt.datetime(2021, 3, 31, 23, 59, 59)
    events = [ev("FIRST", "留言受理", str(first)), ev("LAST", "留言受理", str(last)),
              ev("BEFORE", "留言受理", str(first - dt.timedelta(seconds=1)))]
    report = run(PLAIN, events, as_of="2021-04-30", span=(first, last))
    assert found(report) == {("FIRST", "overdue_open"), ("LAST", "overdue_open")}
    assert report.rules[0].not_judged == {"outside_span": 1}


# two opening events at one instant: the first the log lists opens the case
SAME_INSTANT_OPENINGS = [ev("A", "留言受理", START, unit="甲局"),
                         ev("A", "留言受理", START, unit="乙局")]


def test_of_two_openings_at_one_instant_the_first_listed_opens_the_case_in_check(run):
    report = run(PLAIN, SAME_INSTANT_OPENINGS, as_of="2021-04-01")
    assert [(v.case_id, v.unit) for v in report.violations] == [("A", "甲局")]


def test_of_two_openings_at_one_instant_the_first_listed_opens_the_case_in_watch(stream):
    lines = stream(PLAIN, SAME_INSTANT_OPENINGS + [tick("2021-04-01 00:00:00")],
                   keys=("case_id", "unit"))
    assert lines == [("A", "甲局")]


# test_kinds.MIN_COUNT: two distinct 解读形式, here within 3 working days of the document
# (Monday 03-01: the last second is Thursday 03-04 23:59:59)
COUNTED = MIN_COUNT + "within: {workdays: 3}\n"


def document(doc: str, second_form_at: str) -> list[dict]:
    return [ev(doc, "规范性文件发布", "2021-03-01 09:00:00"),
            ev(doc, "政策解读发布", "2021-03-01 10:00:00", 解读形式="文字"),
            ev(doc, "政策解读发布", second_form_at, 解读形式="图解")]


EDGE_OF_COUNT = (document("IN-TIME", "2021-03-04 23:59:59")
                 + document("TOO-LATE", "2021-03-05 00:00:00"))


def test_an_event_counted_in_the_last_second_of_the_limit_counts_in_check(run):
    assert found(run(COUNTED, EDGE_OF_COUNT, as_of="2021-03-10")) == {("TOO-LATE", "insufficient")}


def test_an_event_counted_in_the_last_second_of_the_limit_counts_in_watch(stream):
    lines = stream(COUNTED, EDGE_OF_COUNT + [tick("2021-03-10 00:00:00")])
    assert lines == [("violation", "TOO-LATE", "insufficient")]


MONTHLY = """
id: T-MONTHLY
title: 每月更新
effective: {from: 2021-01-01}
kind: periodic
severity: error
event: {event_type: 专栏更新}
every: month
units: [甲局]
"""


@pytest.mark.parametrize("at, said", [("2021-01-31 23:59:59", set()),
                                      ("2021-02-01 00:00:00", {("甲局", "2021-01", "missing_in_period")})],
                         ids=["last-second", "next-second"])
def test_a_report_in_the_last_second_of_its_month_counts(run, at, said):
    events = [ev("r", "专栏更新", at, unit="甲局"), ev("x", "其他", "2021-01-01 00:00:00")]
    report = run(MONTHLY, events, as_of="2021-02-01 00:00:00",
                 span=(dt.datetime(2021, 1, 1), dt.datetime(2021, 2, 28, 23, 59, 59)))
    assert found(report) == said
    assert {v.due for v in report.violations} <= {"2021-01-31 23:59:59"}


@pytest.mark.parametrize("at, said", [("2021-02-01 23:59:59", set()),
                                      ("2021-02-02 00:00:00", {("甲局", "2021-01", "missing_in_period")})],
                         ids=["last-second", "next-second"])
def test_a_report_in_the_last_second_of_its_grace_counts(run, at, said):
    rule = MONTHLY.replace("units:", "period_of: 报告期\ngrace: {days: 1}\nunits:")
    events = [ev("r", "专栏更新", at, unit="甲局", 报告期="2021-01")]
    report = run(rule, events, as_of="2021-02-10",
                 span=(dt.datetime(2021, 1, 1), dt.datetime(2021, 2, 28, 23, 59, 59)))
    assert found(report) == said


def test_no_period_after_the_effective_window_is_judged(run):
    rule = MONTHLY.replace("{from: 2021-01-01}", "{from: 2021-01-01, to: 2021-01-31}")
    events = [ev("r", "专栏更新", "2021-01-10 09:00", unit="甲局")]
    report = run(rule, events, as_of="2021-04-01",
                 span=(dt.datetime(2021, 1, 1), dt.datetime(2021, 3, 31, 23, 59, 59)))
    assert found(report) == set()
    assert report.rules[0].checked == 1      # January only: February and March are after it

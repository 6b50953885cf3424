"""Working-day deadlines end to end, against a count made straight from chinese_calendar.

For every start date of five years (each holiday, each bridge and 调休 working weekend of
2019–2023), a ``deadline`` of N working days goes through the batch engine (ingest, the
``cal`` table, the SQL) and its due date is compared with one counted here day by day with
``chinese_calendar.is_workday``, sharing nothing with ``WorkCalendar``. It needs nothing
outside the checkout, so it runs in a fresh clone too.
"""
from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

RULE = """
id: T-WORKDAYS
title: N个工作日内答复
kind: deadline
severity: error
start: {event_type: 留言受理}
end: {event_type: 留言答复}
within: {workdays: N}
"""

FIRST, LAST = dt.date(2019, 1, 1), dt.date(2023, 12, 31)


def due_date(start: dt.date, n: int) -> dt.date:
    """The n-th working day after ``start`` (``start`` itself for n = 0)."""
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            counted += 1
    return day


def every_day():
    day = FIRST
    while day <= LAST:
        yield day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("n", [0, 1, 3, 5, 7])
def test_every_start_date_of_five_years(run, n):
    """A reply in the last minute of the due date is in time; one a minute later is late."""
    events, expected = [], {}
    for day in every_day():
        due = due_date(day, n)
        for case, reply in ((f"{day}-in", f"{due} 23:59:00"),
                            (f"{day}-late", f"{due + dt.timedelta(days=1)} 00:00:59")):
            events += [{"case_id": case, "event_type": "留言受理", "timestamp": f"{day} 09:00:00"},
                       {"case_id": case, "event_type": "留言答复", "timestamp": reply}]
        expected[f"{day}-late"] = f"{due} 23:59:59"
    report = run(RULE.replace("N}", f"{n}}}"), events, as_of="2024-03-01")
    assert {v.case_id: v.due for v in report.violations} == expected
    assert {v.type for v in report.violations} == {"late"}

"""Working-day counting: official holidays, 调休 weekends, YAML years, uncovered years."""
from __future__ import annotations

import re

import datetime as dt
import textwrap
import time
from pathlib import Path

import chinese_calendar
import duckdb
import pytest

from govcheck.engine.data.calendar import RUN_GAP, DayInfo, WorkCalendar, read_calendar_file
from govcheck.engine.errors import CalendarError

D = dt.date
FICTIONAL_2028 = Path(__file__).parent / "data" / "calendars" / "fictional-2028.yaml"


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar.load(shipped_dir=None)


@pytest.fixture(scope="module")
def cal_2028() -> WorkCalendar:
    return WorkCalendar.load([FICTIONAL_2028], shipped_dir=None)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """1-based number of the last line containing ``needle``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [number for number, line in enumerate(lines, 1) if needle in line]
    assert found, f"{needle!r} not in {path}"
    return found[-1]


def yaml_year(year: int, holidays: dict[str, str], workdays: dict[str, str]) -> str:
    body = [f"year: {year}", "holidays:"] + [f"  {d}: {n}" for d, n in holidays.items()]
    body += ["workdays:" if workdays else "workdays: {}"] + [f"  {d}: {n}" for d, n in workdays.items()]
    return "\n".join(body) + "\n"


# A complete but made-up 2027 (not the official schedule), for tests that need 2027 covered.
FICTIONAL_2027 = {
    "holidays": {"2027-01-01": "元旦", "2027-02-06": "春节", "2027-02-07": "春节",
                 "2027-02-08": "春节", "2027-04-05": "清明节", "2027-05-03": "劳动节",
                 "2027-06-09": "端午节", "2027-09-15": "中秋节", "2027-10-01": "国庆节",
                 "2027-10-04": "国庆节"},
    "workdays": {"2027-02-13": "春节"},
}


# -- the official schedule (chinesecalendar years) ---------------------------------------

def test_national_day_2021_five_working_days(cal):
    assert cal.add_workdays(D(2021, 9, 30), 5) == D(2021, 10, 13)
    assert cal.deadline(dt.datetime(2021, 9, 30, 10, 0), 5) == dt.datetime(2021, 10, 13, 23, 59, 59)
    assert cal.add_workdays(D(2021, 9, 30), 6) == D(2021, 10, 14)
    # the 调休 Saturday is what makes day 2 fall on 10-09
    assert cal.add_workdays(D(2021, 9, 30), 2) == D(2021, 10, 9)


def test_day_kinds_and_names(cal):
    assert cal.day(D(2021, 10, 1)) == DayInfo(D(2021, 10, 1), False, "holiday", "国庆节")
    saturday = cal.day(D(2021, 10, 9))
    assert (saturday.is_workday, saturday.kind, saturday.name) == (True, "makeup_workday", "国庆节")
    assert (cal.day(D(2021, 10, 10)).kind, cal.day(D(2021, 10, 10)).is_workday) == ("weekend", False)
    assert (cal.day(D(2021, 10, 8)).kind, cal.day(D(2021, 10, 8)).name) == ("workday", None)
    # chinesecalendar's short names (清明, 端午, 中秋) come out as the statutory names
    assert cal.day(D(2021, 4, 5)).name == "清明节"
    assert cal.day(D(2021, 6, 14)).name == "端午节"
    assert cal.day(D(2021, 9, 21)).name == "中秋节"


def test_spring_festival_2021_with_its_two_makeup_weekends(cal):
    assert [cal.day(D(2021, 2, d)).kind for d in range(11, 18)] == ["holiday"] * 7
    assert {cal.day(D(2021, 2, d)).name for d in range(11, 18)} == {"春节"}
    for sunday_or_saturday in (D(2021, 2, 7), D(2021, 2, 20)):
        info = cal.day(sunday_or_saturday)
        assert sunday_or_saturday.weekday() >= 5
        assert (info.is_workday, info.kind, info.name) == (True, "makeup_workday", "春节")
    # Friday 02-05: next working day is Sunday 02-07
    assert cal.add_workdays(D(2021, 2, 5), 1) == D(2021, 2, 7)
    # Wednesday 02-10 before the holiday: 02-18 Thu, 02-19 Fri, 02-20 Sat (调休)
    assert [cal.add_workdays(D(2021, 2, 10), n) for n in (1, 2, 3, 4)] == [
        D(2021, 2, 18), D(2021, 2, 19), D(2021, 2, 20), D(2021, 2, 22)]


def test_event_on_a_makeup_saturday_counts_from_the_next_working_day(cal):
    assert cal.add_workdays(D(2021, 10, 9), 1) == D(2021, 10, 11)
    assert cal.add_workdays(D(2021, 2, 20), 1) == D(2021, 2, 22)
    assert cal.deadline(dt.datetime(2021, 10, 9, 16, 30), 3) == dt.datetime(2021, 10, 13, 23, 59, 59)


def test_event_on_a_holiday_counts_from_the_first_working_day_after_it(cal):
    assert cal.add_workdays(D(2021, 10, 3), 1) == D(2021, 10, 8)


def test_zero_working_days_ends_the_same_day(cal):
    assert cal.add_workdays(D(2021, 10, 1), 0) == D(2021, 10, 1)
    assert cal.deadline(dt.datetime(2021, 10, 1, 8, 0), 0) == dt.datetime(2021, 10, 1, 23, 59, 59)
    assert cal.explain(D(2021, 10, 1), 0) == []


def test_deadline_keeps_the_time_zone(cal):
    tz = dt.timezone(dt.timedelta(hours=8))
    assert cal.deadline(dt.datetime(2021, 9, 30, 10, tzinfo=tz), 5) == dt.datetime(
        2021, 10, 13, 23, 59, 59, tzinfo=tz)


def test_negative_count_is_a_programming_error(cal):
    with pytest.raises(ValueError):
        cal.add_workdays(D(2021, 9, 30), -1)


def test_2020_mid_autumn_and_national_day_merged(cal):
    assert [cal.day(D(2020, 10, d)).kind for d in range(1, 9)] == ["holiday"] * 8
    assert cal.day(D(2020, 9, 27)).kind == "makeup_workday"    # a Sunday
    assert cal.day(D(2020, 10, 10)).kind == "makeup_workday"   # a Saturday
    assert cal.add_workdays(D(2020, 9, 30), 1) == D(2020, 10, 9)
    assert cal.add_workdays(D(2020, 9, 30), 2) == D(2020, 10, 10)
    assert cal.add_workdays(D(2020, 9, 25), 1) == D(2020, 9, 27)


def test_workdays_between_matches_add_workdays(cal):
    assert cal.workdays_between(D(2021, 9, 30), D(2021, 10, 13)) == 5
    assert cal.workdays_between(D(2021, 10, 1), D(2021, 10, 7)) == 0
    assert cal.workdays_between(D(2021, 10, 13), D(2021, 9, 30)) == 0


def test_covers_2004_to_2026_from_the_package(cal):
    assert cal.years == tuple(range(2004, 2027))
    assert cal.source(2021) == "chinesecalendar"


# -- years nothing covers ------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda c: c.day(D(2027, 3, 1)),
    lambda c: c.require_year(2027),
    lambda c: c.add_workdays(D(2027, 3, 1), 0),
    lambda c: c.deadline(dt.datetime(2027, 3, 1, 9), 2),
    lambda c: c.add_workdays(D(2026, 12, 30), 5),           # the count runs into 2027
    lambda c: c.explain_text(D(2026, 12, 30), 5),
])
def test_uncovered_year_is_an_error_naming_it(cal, call):
    with pytest.raises(CalendarError) as err:
        call(cal)
    assert "no working-day calendar covers 2027" in str(err.value)
    assert "--calendar FILE" in str(err.value)


def test_years_before_the_package_are_not_guessed(cal):
    with pytest.raises(CalendarError, match="covers 2003"):
        cal.day(D(2003, 6, 2))


def test_count_that_stays_inside_2026_still_works(cal):
    # 2026-12-30 Wed, 12-31 Thu: one working day left in the year
    assert cal.add_workdays(D(2026, 12, 30), 1) == D(2026, 12, 31)


# -- YAML years ------------------------------------------------------------------------------

def test_complete_yaml_year_is_accepted_and_used(cal_2028):
    assert cal_2028.years[-2:] == (2026, 2028)
    assert cal_2028.source(2028) == "govcheck test fixture (fictional)"
    oct1 = cal_2028.day(D(2028, 10, 1))
    assert (oct1.kind, oct1.name) == ("holiday", "中秋节、国庆节")
    assert cal_2028.day(D(2028, 9, 30)).kind == "makeup_workday"
    assert cal_2028.day(D(2028, 10, 9)).kind == "workday"
    # Fri 09-29, Sat 09-30 (调休), then the 8-day holiday, then Mon 10-09
    assert cal_2028.add_workdays(D(2028, 9, 29), 1) == D(2028, 9, 30)
    assert cal_2028.add_workdays(D(2028, 9, 29), 2) == D(2028, 10, 9)
    assert cal_2028.deadline(dt.datetime(2028, 9, 29, 9), 2) == dt.datetime(2028, 10, 9, 23, 59, 59)


def test_package_data_is_never_modified(cal_2028):
    assert not any(d.year == 2028 for d in chinese_calendar.constants.holidays)
    assert not any(d.year == 2028 for d in chinese_calendar.constants.workdays)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2028, 3, 1))


def test_gap_between_covered_runs_cannot_be_crossed(cal_2028):
    rows = {r[0]: r for r in cal_2028.rows()}
    assert D(2027, 6, 1) not in rows
    assert rows[D(2028, 1, 4)][2] - rows[D(2026, 12, 31)][2] > RUN_GAP   # first working day of 2028
    with pytest.raises(CalendarError, match="covers 2027"):
        cal_2028.add_workdays(D(2026, 12, 30), 5)
    with pytest.raises(CalendarError, match="covers 2027"):
        cal_2028.workdays_between(D(2026, 12, 30), D(2028, 1, 5))
    with pytest.raises(CalendarError, match="covers 2027"):
        cal_2028.day(D(2027, 6, 1))
    assert cal_2028.add_workdays(D(2028, 1, 1), 1) == D(2028, 1, 4)


def test_contiguous_yaml_year_continues_the_count(tmp_path):
    path = write(tmp_path, "fictional-2027.yaml", yaml_year(2027, **FICTIONAL_2027))
    cal = WorkCalendar.load([path], shipped_dir=None)
    assert cal.years[-1] == 2027
    # 12-31 Thu (day 1), 2027-01-01 holiday, 01-04 Mon (day 2) … 01-07 Thu (day 5)
    assert cal.add_workdays(D(2026, 12, 30), 5) == D(2027, 1, 7)
    assert cal.wpos(D(2027, 1, 4)) == cal.wpos(D(2026, 12, 31)) + 1
    assert cal.day(D(2027, 2, 13)).kind == "makeup_workday"


def test_a_folder_of_calendar_files_can_be_given(tmp_path):
    write(tmp_path, "fictional-2027.yaml", yaml_year(2027, **FICTIONAL_2027))
    (tmp_path / "notes.txt").write_text("not a calendar", encoding="utf-8")
    assert WorkCalendar.load([tmp_path], shipped_dir=None).years[-1] == 2027
    assert WorkCalendar.load(shipped_dir=tmp_path).years[-1] == 2027


def test_shipped_folder_loads_by_default():
    cal = WorkCalendar.load()
    assert set(range(2004, 2027)) <= set(cal.years)


def test_same_file_twice_is_read_once():
    cal = WorkCalendar.load([FICTIONAL_2028, str(FICTIONAL_2028)], shipped_dir=None)
    assert cal.years.count(2028) == 1


def test_yaml_that_repeats_a_package_year_exactly_is_accepted(tmp_path):
    hol = {d.isoformat(): "节日" for d in chinese_calendar.constants.holidays if d.year == 2021}
    hol["2021-01-01"] = "元旦、春节、清明节、劳动节、端午节、中秋节、国庆节"
    work = {d.isoformat(): "调休" for d in chinese_calendar.constants.workdays if d.year == 2021}
    path = write(tmp_path, "2021.yaml", yaml_year(2021, hol, work))
    cal = WorkCalendar.load([path], shipped_dir=None)
    assert cal.source(2021) == "chinesecalendar"
    assert cal.day(D(2021, 10, 1)).name == "国庆节"


def test_yaml_that_contradicts_a_package_year_is_refused(tmp_path):
    hol = {d.isoformat(): "节日" for d in chinese_calendar.constants.holidays if d.year == 2021}
    hol["2021-01-01"] = "元旦、春节、清明节、劳动节、端午节、中秋节、国庆节"
    hol["2021-10-08"] = "国庆节"   # not a holiday in the official 2021 schedule
    work = {d.isoformat(): "调休" for d in chinese_calendar.constants.workdays if d.year == 2021}
    path = write(tmp_path, "2021.yaml", yaml_year(2021, hol, work))
    with pytest.raises(CalendarError) as err:
        WorkCalendar.load([path], shipped_dir=None)
    assert str(err.value).startswith(f"{path}:{line_of(path, '2021-10-08')}:3: ")
    assert "already covered by chinesecalendar" in str(err.value)


def test_yaml_missing_a_package_day_is_refused_at_the_year(tmp_path):
    hol = {d.isoformat(): "节日" for d in chinese_calendar.constants.holidays if d.year == 2021}
    hol["2021-01-01"] = "元旦、春节、清明节、劳动节、端午节、中秋节、国庆节"
    work = {d.isoformat(): "调休" for d in chinese_calendar.constants.workdays
            if d.year == 2021 and d != D(2021, 10, 9)}
    path = write(tmp_path, "2021.yaml", yaml_year(2021, hol, work))
    with pytest.raises(CalendarError, match=r"2021-10-09 \(国庆节\)") as err:
        WorkCalendar.load([path], shipped_dir=None)
    assert str(err.value).startswith(f"{path}:1:7: ")


def test_two_files_for_one_year_must_agree(tmp_path):
    first = write(tmp_path, "a.yaml", yaml_year(2027, **FICTIONAL_2027))
    other = dict(FICTIONAL_2027["workdays"], **{"2027-02-14": "春节"})
    second = write(tmp_path, "b.yaml", yaml_year(2027, FICTIONAL_2027["holidays"], other))
    with pytest.raises(CalendarError, match="already covered by") as err:
        WorkCalendar.load([first, second], shipped_dir=None)
    assert str(err.value).startswith(f"{second}:{line_of(second, '2027-02-14')}:3: ")


def test_partial_year_is_refused_with_file_and_line(tmp_path):
    holidays = {d: n for d, n in FICTIONAL_2027["holidays"].items() if n != "国庆节"}
    path = write(tmp_path, "2027.yaml", yaml_year(2027, holidays, FICTIONAL_2027["workdays"]))
    with pytest.raises(CalendarError) as err:
        WorkCalendar.load([path], shipped_dir=None)
    message = str(err.value)
    assert message.startswith(f"{path}:2:1: partial calendar for 2027")
    assert "国庆节" in message and "中秋节" not in message.split(";")[0]


def test_merged_festival_names_count_for_both(tmp_path):
    holidays = {d: n for d, n in FICTIONAL_2027["holidays"].items() if n not in ("国庆节", "中秋节")}
    holidays["2027-10-01"] = "中秋节、国庆节"
    path = write(tmp_path, "2027.yaml", yaml_year(2027, holidays, {}))
    assert read_calendar_file(path).holidays[D(2027, 10, 1)] == "中秋节、国庆节"


@pytest.mark.parametrize("change, needle, column, message", [
    ({"holidays": {"2026-12-31": "元旦"}}, "2026-12-31", 3, "outside 2027"),
    ({"workdays": {"2027-02-09": "春节"}}, "2027-02-09", 3, "is a 星期二: only a Saturday or Sunday"),
    ({"workdays": {"2027-02-07": "春节"}}, "2027-02-07: 春节", 3, "listed twice (already under holidays)"),
    ({"holidays": {"'2027-01-01'": "元旦"}}, "'2027-01-01'", 3, "listed twice"),
    ({"holidays": {"2027-01-02 09:00:00": "元旦"}}, "2027-01-02 09", 3, "is not a date"),
    ({"holidays": {"2027-01-02": "''"}}, "2027-01-02", 15, "needs the festival's Chinese name"),
])
def test_bad_entries_are_located(tmp_path, change, needle, column, message):
    holidays = dict(FICTIONAL_2027["holidays"], **change.get("holidays", {}))
    workdays = dict(FICTIONAL_2027["workdays"], **change.get("workdays", {}))
    path = write(tmp_path, "2027.yaml", yaml_year(2027, holidays, workdays))
    with pytest.raises(CalendarError) as err:
        WorkCalendar.load([path], shipped_dir=None)
    text = str(err.value)
    assert text.startswith(f"{path}:{line_of(path, needle)}:{column}: "), text
    assert message in text


@pytest.mark.parametrize("text, where, message", [
    ("year: 2027\nholidays: {}\nworkdays: {}\nnote: x\n", ":4:1: ", "unknown key 'note'"),
    ("year: 2027\nworkdays: {}\n", ":1:1: ", "missing key 'holidays'"),
    ("year: '2027'\nholidays: {}\nworkdays: {}\n", ":1:7: ", "four-digit year"),
    ("year: 2027\nholidays: [2027-01-01]\nworkdays: {}\n", ":2:11: ", "mapping of date"),
    ("- 2027\n", ":1:1: ", "a calendar file is a mapping"),
    ("year: 2027\nholidays:\n  2027-01-01: 元旦\n  2027-01-01: 元旦\nworkdays: {}\n", ":4:3: ",
     "duplicate key"),
])
def test_malformed_files_are_located(tmp_path, text, where, message):
    path = write(tmp_path, "2027.yaml", text)
    with pytest.raises(CalendarError) as err:
        read_calendar_file(path)
    assert str(err.value).startswith(f"{path}{where}"), str(err.value)
    assert message in str(err.value)


def test_impossible_date_is_an_error_not_a_crash(tmp_path):
    path = write(tmp_path, "2027.yaml", yaml_year(2027, dict(FICTIONAL_2027["holidays"],
                                                             **{"2027-13-01": "元旦"}), {}))
    with pytest.raises(CalendarError, match="month must be in 1..12") as err:
        read_calendar_file(path)
    assert re.match(re.escape(str(path)) + r":\d+:\d+: invalid value '2027-13-01'", str(err.value))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(CalendarError, match="file not found"):
        WorkCalendar.load([tmp_path / "2027.yaml"], shipped_dir=None)


# -- explain ---------------------------------------------------------------------------------

def test_explain_counts_every_day_and_says_why(cal):
    steps = cal.explain(D(2021, 9, 30), 5)
    assert [s.info.date for s in steps] == [D(2021, 10, d) for d in range(1, 14)]
    assert [s.k for s in steps] == [None] * 7 + [1, 2, None, 3, 4, 5]
    assert steps[8].info.kind == "makeup_workday"


def test_explain_text_national_day_2021(cal, chinese):
    assert cal.explain_text(D(2021, 9, 30), 5).splitlines() == [
        "起算日 2021-09-30 星期四，期限 5 个工作日（次日起算）",
        "2021-10-01 星期五 国庆节放假",
        "2021-10-02 星期六 国庆节放假",
        "2021-10-03 星期日 国庆节放假",
        "2021-10-04 星期一 国庆节放假",
        "2021-10-05 星期二 国庆节放假",
        "2021-10-06 星期三 国庆节放假",
        "2021-10-07 星期四 国庆节放假",
        "2021-10-08 星期五 工作日第1天",
        "2021-10-09 星期六 调休上班(国庆节) 工作日第2天",
        "2021-10-10 星期日 周末",
        "2021-10-11 星期一 工作日第3天",
        "2021-10-12 星期二 工作日第4天",
        "2021-10-13 星期三 工作日第5天",
        "截止时间 2021-10-13 23:59:59",
    ]


def test_explain_text_zero_days(cal, chinese):
    assert cal.explain_text(D(2021, 10, 1), 0).splitlines() == [
        "起算日 2021-10-01 星期五，期限 0 个工作日（当日结束）",
        "截止时间 2021-10-01 23:59:59",
    ]


# -- the `cal` table -------------------------------------------------------------------------

def test_rows_cover_every_date_once(cal):
    rows = cal.rows()
    assert len(rows) == (D(2027, 1, 1) - D(2004, 1, 1)).days
    assert [r[0] for r in rows] == sorted({r[0] for r in rows})
    assert rows[0] == (D(2004, 1, 1), False, 0, "holiday", "元旦")
    assert all(kind in ("workday", "weekend", "holiday", "makeup_workday") for *_, kind, _ in rows)


def test_load_into_duckdb_counts_like_python(cal_2028):
    con = duckdb.connect()
    started = time.perf_counter()
    cal_2028.load_into(con)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0   # one set-based insert; ~0.03 s on a laptop
    assert con.execute("SELECT count(*) FROM cal").fetchone()[0] == len(cal_2028.rows())
    assert [c[:2] for c in con.execute("DESCRIBE cal").fetchall()] == [
        ("d", "DATE"), ("is_workday", "BOOLEAN"), ("wpos", "INTEGER"), ("kind", "VARCHAR"),
        ("name", "VARCHAR")]
    due = con.execute(
        "SELECT c2.d FROM cal c1 JOIN cal c2 ON c2.wpos = c1.wpos + 5 AND c2.is_workday "
        "WHERE c1.d = DATE '2021-09-30'").fetchall()
    assert due == [(D(2021, 10, 13),)]
    # a count that would cross 2027 finds no day at all
    crossing = con.execute(
        "SELECT c2.d FROM cal c1 JOIN cal c2 ON c2.wpos = c1.wpos + 5 AND c2.is_workday "
        "WHERE c1.d = DATE '2026-12-30'").fetchall()
    assert crossing == []
    assert con.execute("SELECT kind, name FROM cal WHERE d = DATE '2021-10-09'").fetchone() == (
        "makeup_workday", "国庆节")
    cal_2028.load_into(con)   # replaces, never appends
    assert con.execute("SELECT count(*) FROM cal").fetchone()[0] == len(cal_2028.rows())


def test_load_into_another_table_name(cal):
    con = duckdb.connect()
    cal.load_into(con, table="work cal")
    assert con.execute('SELECT count(*) FROM "work cal"').fetchone()[0] == len(cal.rows())


# ---------------------------------------------------------------------------
# govcheck calendar template YEAR
# ---------------------------------------------------------------------------

def test_a_template_as_written_is_refused_naming_every_festival(tmp_path):
    from click.testing import CliRunner
    from govcheck.cli import main

    path = tmp_path / "2027.yaml"
    result = CliRunner().invoke(main, ["calendar", "template", "2027", "-o", str(path)])
    assert result.exit_code == 0 and result.stdout == f"{path}\n"
    text = path.read_text(encoding="utf-8")
    assert "《国务院办公厅关于2027年部分节假日安排的通知》" in text
    assert "七、国庆节：10月1日（周X）至7日（周X）放假调休，共7天。" in text
    assert "  # 2027-04-05: 清明节    # 星期一" in text        # the day of the 清明 solar term
    weekends = [line for line in text.splitlines() if re.match(r"  # 2027-\d\d-\d\d:    # 星期[六日]$", line)]
    assert len(weekends) == 104
    with pytest.raises(CalendarError) as caught:
        WorkCalendar.load([path])
    holidays_line = text.splitlines().index("holidays:") + 1
    assert str(caught.value).startswith(f"{path}:{holidays_line}:1: partial calendar for 2027: "
                                        "no holiday named 元旦、春节、清明节、劳动节、端午节、中秋节、国庆节")
    again = CliRunner().invoke(main, ["calendar", "template", "2027", "-o", str(path)])
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_a_template_completed_from_the_notice_is_a_calendar(tmp_path):
    """Fill in the 2025 template as a person would from the notice (here: the schedule
    chinesecalendar holds): uncomment the statutory days and the 调休 weekends it lists,
    write in the other days off; the result agrees with chinesecalendar day for day, which
    --calendar checks."""
    from govcheck.engine.data.calendar import calendar_template

    official = WorkCalendar.load()
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    holidays = {d: official.day(d).name for d in days if official.day(d).kind == "holiday"}
    makeup = {d: official.day(d).name for d in days if official.day(d).kind == "makeup_workday"}
    lines, section, uncommented = [], None, set()
    for line in calendar_template(2025).splitlines():
        section = line[:-1] if line in ("holidays:", "workdays:") else section
        m = re.match(r"  # (2025-\d\d-\d\d):(.*?)(?:    # 星期.)?$", line)
        day = dt.date.fromisoformat(m[1]) if m else None
        if section == "holidays" and day in holidays:
            line = f"  {day}:{m[2]}"                   # the template's own festival name
            assert m[2].strip() in holidays[day]
            uncommented.add(day)
        elif section == "workdays" and day in makeup:
            line = f"  {day}: {makeup[day]}"
        elif section == "workdays" and line == "workdays:":
            lines += [f"  {d}: {n}" for d, n in sorted(holidays.items()) if d not in uncommented]
        lines.append(line)
    assert uncommented       # 元旦, 劳动节, 国庆节 and 清明 days were written out in the template
    path = tmp_path / "2025.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    schedule = read_calendar_file(path)
    assert set(schedule.holidays) == set(holidays) and set(schedule.workdays) == set(makeup)
    WorkCalendar.load([path])        # agrees with chinesecalendar day for day, or raises

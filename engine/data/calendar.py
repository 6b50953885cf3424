"""Working days: which dates count when a rule says "N个工作日".

Every deadline in the rules is counted in working days, and the PRC schedule moves them: the
State Council announces each year's holidays, and some weekends become 调休 working days. A
wrong calendar shifts deadlines without any visible error, so this module never guesses. A
year is covered only by the ``chinesecalendar`` data (2004–2026, copied, never modified) or
by a complete YAML calendar file; any other year is a ``CalendarError`` that names it.

The same day table is loaded into DuckDB as ``cal`` (docs/architecture.md), so the SQL engine
and the Python helpers here (``add_workdays``, ``deadline``, ``explain``) count the same way.
"""
from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..errors import CalendarError, SourceLocation
from ..i18n import marked as N_, translate as _, translate_plural as ngettext
from ..resources import data_dir
from ..model.yamlsource import YamlDocument, load_yaml
from .sqltext import quote_ident

#: Years taken from the chinesecalendar package. The package treats any year as Mon–Fri
#: once a single date of it is present, so only these years are trusted from it.
PACKAGE_YEARS = range(2004, 2027)

#: Calendar files that ship with govcheck (one YAML file per year).
SHIPPED_DIR = data_dir("fixtures/calendars")

#: The seven festivals of 《全国年节及纪念日放假办法》: a year without all of them is partial.
STATUTORY_FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")

#: Added to the running working-day count at the start of each run of covered years that
#: does not follow the previous one, so that no count can reach across an uncovered year.
RUN_GAP = 1_000_000

#: The days of the week as the calendar files' comments name them (in Chinese, as the State
#: Council's notices do).
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

#: The days of the week as an explained count names them, in the language in use.
WEEKDAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
                 N_("Saturday"), N_("Sunday"))

KINDS = ("workday", "weekend", "holiday", "makeup_workday")

# chinesecalendar's Chinese names use short forms for three festivals.
_FULL_NAME = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}
_NAME_PARTS = re.compile(r"[、，,/／\s]+")
_FILE_KEYS = ("year", "source", "holidays", "workdays")
_END_OF_DAY = dt.time(23, 59, 59)


@dataclass(frozen=True)
class DayInfo:
    """One calendar day: whether it counts as a working day, and why."""

    date: dt.date
    is_workday: bool
    kind: str           # 'workday' | 'weekend' | 'holiday' | 'makeup_workday'
    name: str | None    # festival (Chinese) for 'holiday' and 'makeup_workday', else None

    @property
    def weekday(self) -> str:
        """The day of the week, in the language in use."""
        return _(WEEKDAY_NAMES[self.date.weekday()])

    def describe(self) -> str:
        """``国庆节放假``, ``调休上班(国庆节)``, ``周末`` or ``工作日``, in the language in use."""
        if self.kind == "holiday":
            return _("{festival} holiday").format(festival=self.name)
        if self.kind == "makeup_workday":
            return _("swapped working day ({festival})").format(festival=self.name)
        return _("weekend") if self.kind == "weekend" else _("working day")


@dataclass(frozen=True)
class CountedDay:
    """A day in an explained count: ``k`` is its working-day number, None if it is not one."""

    info: DayInfo
    k: int | None

    def text(self) -> str:
        info = self.info
        head = f"{info.date.isoformat()} {info.weekday}"
        if self.k is None:
            return f"{head} {info.describe()}"
        if info.kind == "makeup_workday":
            head = f"{head} {info.describe()}"
        return _("{day} working day {number}").format(day=head, number=self.k)


@dataclass(frozen=True)
class YearSchedule:
    """One year's official exceptions to Mon–Fri: holidays and 调休 working weekend days."""

    year: int
    holidays: Mapping[dt.date, str]
    workdays: Mapping[dt.date, str]
    source: str                                   # 'chinesecalendar' or the file's path
    origin: SourceLocation | None = None          # the file's `year:` line
    where: Mapping[dt.date, SourceLocation] = field(default_factory=dict)  # each entry's key

    def day(self, d: dt.date) -> DayInfo:
        if d in self.holidays:
            return DayInfo(d, False, "holiday", self.holidays[d])
        if d in self.workdays:
            return DayInfo(d, True, "makeup_workday", self.workdays[d])
        if d.weekday() >= 5:
            return DayInfo(d, False, "weekend", None)
        return DayInfo(d, True, "workday", None)


@lru_cache(maxsize=1)
def _package_schedules() -> tuple[YearSchedule, ...]:
    """chinesecalendar's 2004–2026 data, copied into our own tables with Chinese names."""
    from chinese_calendar import constants

    names = {h.value: _FULL_NAME.get(h.chinese, h.chinese) for h in constants.Holiday}
    tables: dict[int, tuple[dict[dt.date, str], dict[dt.date, str]]] = {
        year: ({}, {}) for year in PACKAGE_YEARS}
    for slot, source in enumerate((constants.holidays, constants.workdays)):
        for d, name in source.items():
            if d.year in tables:
                tables[d.year][slot][d] = names.get(name, name)
    return tuple(YearSchedule(year, hol, work, "chinesecalendar")
                 for year, (hol, work) in tables.items() if hol)


def read_calendar_file(path: str | Path) -> YearSchedule:
    """Read and check one YAML calendar file (one complete year); errors are located."""
    try:
        doc = load_yaml(path, error_cls=CalendarError)
    except ValueError as exc:   # a scalar YAML reads as a date but is none, e.g. 2027-13-01
        raise CalendarError(_("invalid value: {problem}").format(problem=exc),
                            SourceLocation(str(path))) from None
    return _parse(doc)


def _parse(doc: YamlDocument) -> YearSchedule:
    data = doc.data
    if not isinstance(data, dict):
        raise CalendarError(_("a calendar file is a mapping with the keys year, holidays and "
                              "workdays (see fixtures/calendars/README.md)"), doc.location())
    for key in data:
        if key not in _FILE_KEYS:
            raise CalendarError(_("unknown key {key} (expected: {keys})").format(
                key=repr(key), keys=", ".join(_FILE_KEYS)), doc.key_location((key,)))
    for key in ("year", "holidays", "workdays"):
        if key not in data:
            raise CalendarError(_("missing key {key}").format(key=repr(key)), doc.location())
    year = data["year"]
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
        raise CalendarError(_("year must be a four-digit year, not {value}").format(
            value=repr(year)), doc.location(("year",)))
    source = data.get("source", str(doc.path))
    if not isinstance(source, str) or not source.strip():
        raise CalendarError(_("source must name the notice the schedule comes from"),
                            doc.location(("source",)))

    seen: dict[dt.date, str] = {}
    where: dict[dt.date, SourceLocation] = {}
    tables: dict[str, dict[dt.date, str]] = {}
    for section in ("holidays", "workdays"):
        entries = data[section]
        if entries is None:
            entries = {}
        if not isinstance(entries, dict):
            raise CalendarError(_("{section} must be a mapping of date: festival name").format(
                section=section), doc.location((section,)))
        table: dict[dt.date, str] = {}
        for key, name in entries.items():
            at = doc.key_location((section, key))
            d = _as_date(key)
            if d is None:
                shown = repr(key) if isinstance(key, str) else str(key)
                raise CalendarError(_("{value} is not a date (write YYYY-MM-DD)").format(
                    value=shown), at)
            if d.year != year:
                raise CalendarError(_("{date} is outside {year}, the year this file describes")
                                    .format(date=d, year=year), at)
            if d in seen:
                raise CalendarError(_("{date} is listed twice (already under {section})").format(
                    date=d, section=seen[d]), at)
            if not isinstance(name, str) or not name.strip():
                raise CalendarError(_("{date} needs the festival's Chinese name, e.g. 国庆节")
                                    .format(date=d), doc.location((section, key)))
            if section == "workdays" and d.weekday() < 5:
                raise CalendarError(_("{date} is a {weekday}: only a Saturday or Sunday can be a "
                                      "调休 working day").format(date=d,
                                                               weekday=WEEKDAYS[d.weekday()]), at)
            seen[d] = section
            where[d] = at
            table[d] = name.strip()
        tables[section] = table

    named = {_FULL_NAME.get(part, part)
             for name in tables["holidays"].values() for part in _NAME_PARTS.split(name)}
    missing = [f for f in STATUTORY_FESTIVALS if f not in named]
    if missing:
        raise CalendarError(
            _("partial calendar for {year}: no holiday named {missing}; a calendar file gives "
              "the whole year as the State Council published it ({festivals})").format(
                  year=year, missing="、".join(missing), festivals="、".join(STATUTORY_FESTIVALS)),
            doc.key_location(("holidays",)))
    return YearSchedule(year, tables["holidays"], tables["workdays"], source.strip(),
                        doc.location(("year",)), where)


#: How a State Council notice words each festival (《国务院办公厅关于20XX年部分节假日安排的通知》),
#: with the days 《全国年节及纪念日放假办法》 gives it, for the comments of a calendar template.
NOTICE_WORDING = (
    ("元旦", "一、元旦：1月1日（周X）放假，与周末连休。", "法定1天：1月1日"),
    ("春节", "二、春节：X月X日（农历除夕、周X）至X月X日（农历正月初X、周X）放假调休，共X天。"
             "X月X日（周X）、X月X日（周X）上班。", "法定4天：农历除夕、正月初一至初三"),
    ("清明节", "三、清明节：4月X日（周X）至X日（周X）放假调休，共X天。", "法定1天：农历清明当日"),
    ("劳动节", "四、劳动节：5月1日（周X）至5日（周X）放假调休，共5天。X月X日（周X）、X月X日（周X）上班。",
             "法定2天：5月1日、2日"),
    ("端午节", "五、端午节：X月X日（周X）至X日（周X）放假调休，共X天。", "法定1天：农历端午当日"),
    ("中秋节", "六、中秋节：X月X日（周X）至X日（周X）放假调休，共X天。", "法定1天：农历中秋当日"),
    ("国庆节", "七、国庆节：10月1日（周X）至7日（周X）放假调休，共7天。X月X日（周X）、X月X日（周X）上班。",
             "法定3天：10月1日至3日"),
)


def calendar_template(year: int) -> str:
    """A calendar file for ``year`` to complete from the State Council's notice: each
    festival with the notice's usual wording and its statutory days (dates certain without
    the notice, 清明 from its solar term, written out but commented), and every Saturday
    and Sunday listed, commented, to uncomment where the notice makes one a working day.
    As written it is refused as partial; completed, ``--calendar`` checks it."""
    fixed = {"元旦": [(1, 1)], "劳动节": [(5, 1), (5, 2)], "国庆节": [(10, 1), (10, 2), (10, 3)]}
    qingming = [d for d, term in _solar_terms(year) if term == "清明"]
    lines = [
        f"# {year}年工作日历：照《国务院办公厅关于{year}年部分节假日安排的通知》填写，",
        f"# 通知通常在{year - 1}年11月发布。只写通知公布的安排，不要凭推测填写。",
        "#",
        "# holidays：通知写明放假的每一天（含其中的周六、周日），写“日期: 节日名”；",
        "# workdays：通知写明上班的周六、周日（调休），写“日期: 所补的节日名”；",
        "# 其余日期不必列出：周一至周五是工作日，周六、周日是周末。",
        "# 删去行首的“# ”即启用一行。七个节日缺一个，文件都会被拒绝并列出所缺的节日。",
        f"# 填好后检查：govcheck calendar explain {year}-09-30 5 --calendar 本文件",
        f"year: {year}",
        f"source: 国务院办公厅关于{year}年部分节假日安排的通知",
        "holidays:",
    ]
    for festival, wording, statutory in NOTICE_WORDING:
        lines += ["", f"  # {wording}", f"  # （{statutory}）"]
        days = [dt.date(year, m, d) for m, d in fixed.get(festival, [])] + \
            (qingming if festival == "清明节" else [])
        lines += [f"  # {d}: {festival}    # {WEEKDAYS[d.weekday()]}" for d in days] or \
            [f"  # {year}-MM-DD: {festival}"]
    lines += ["", "workdays:", "  # 调休上班的周末：删去行首的“# ”，在冒号后写所补的节日名"]
    day = dt.date(year, 1, 1)
    while day.year == year:
        if day.weekday() >= 5:
            lines.append(f"  # {day}:    # {WEEKDAYS[day.weekday()]}")
        day += dt.timedelta(days=1)
    return "\n".join(lines) + "\n"


def _solar_terms(year: int) -> list[tuple[dt.date, str]]:
    """The solar terms of ``year`` (清明节 is the day of 清明), from chinesecalendar."""
    import chinese_calendar
    try:
        return chinese_calendar.get_solar_terms(dt.date(year, 1, 1), dt.date(year, 12, 31))
    except NotImplementedError:   # outside 1900–2100, the years it computes terms for
        return []


def _as_date(key: Any) -> dt.date | None:
    if isinstance(key, dt.datetime):
        return None
    if isinstance(key, dt.date):
        return key
    if isinstance(key, str):
        try:
            return dt.date.fromisoformat(key.strip())
        except ValueError:
            return None
    return None


def _check_same(known: YearSchedule, new: YearSchedule) -> None:
    """A file may repeat a covered year only with exactly the same days off and on."""
    label = {"holidays": _("holiday"), "workdays": _("调休 working day")}
    for section in ("holidays", "workdays"):
        theirs, mine = getattr(known, section), getattr(new, section)
        for d in sorted(mine):
            if d not in theirs:
                raise CalendarError(
                    _("{year} is already covered by {source}, where {date} is not a {what}")
                    .format(year=new.year, source=known.source, date=d, what=label[section]),
                    new.where.get(d, new.origin))
        for d in sorted(theirs):
            if d not in mine:
                raise CalendarError(
                    _("{year} is already covered by {source}, which has {date} ({name}) as a "
                      "{what}; this file does not").format(
                          year=new.year, source=known.source, date=d, name=theirs[d],
                          what=label[section]), new.origin)


def _calendar_files(shipped_dir: Path | None, extra_files: Sequence[str | Path]) -> list[Path]:
    def yaml_in(folder: Path) -> list[Path]:
        return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())

    files: list[Path] = []
    if shipped_dir is not None and Path(shipped_dir).is_dir():
        files += yaml_in(Path(shipped_dir))
    for item in extra_files:
        path = Path(item)
        files += yaml_in(path) if path.is_dir() else [path]
    return files


class WorkCalendar:
    """The covered days, in date order, with their running working-day count (``wpos``)."""

    def __init__(self, schedules: Iterable[YearSchedule]):
        by_year = {s.year: s for s in schedules}
        self.years: tuple[int, ...] = tuple(sorted(by_year))
        self._sources = {y: by_year[y].source for y in self.years}
        self._days: list[DayInfo] = []
        self._wpos: list[int] = []
        self._year_start: dict[int, int] = {}
        self._runs: list[tuple[int, int, int]] = []   # (last year, first index, last index)
        base = -RUN_GAP
        for first, last in self._year_runs():
            start = len(self._days)
            for year in range(first, last + 1):
                self._year_start[year] = len(self._days)
                jan1 = dt.date(year, 1, 1)
                length = (dt.date(year + 1, 1, 1) - jan1).days
                self._days += [by_year[year].day(jan1 + dt.timedelta(i)) for i in range(length)]
            base += RUN_GAP
            counts = accumulate(info.is_workday for info in self._days[start:])
            self._wpos += [base + c for c in counts]
            base = self._wpos[-1]
            self._runs.append((last, start, len(self._days) - 1))
        # working days only, in order: their wpos is strictly increasing
        self._run_ends = [end for _last, _start, end in self._runs]
        self._work_index = [i for i, info in enumerate(self._days) if info.is_workday]
        self._work_wpos = [self._wpos[i] for i in self._work_index]

    @classmethod
    def load(cls, extra_files: Sequence[str | Path] = (),
             shipped_dir: Path | None = SHIPPED_DIR) -> "WorkCalendar":
        """chinesecalendar years, then the shipped YAML files, then ``extra_files``
        (files or folders, e.g. from ``--calendar``). A file for a year that is already
        covered must agree with it day for day."""
        schedules = {s.year: s for s in _package_schedules()}
        read: set[Path] = set()
        for path in _calendar_files(shipped_dir, extra_files):
            if path.resolve() in read:
                continue
            read.add(path.resolve())
            new = read_calendar_file(path)
            if new.year in schedules:
                _check_same(schedules[new.year], new)
            else:
                schedules[new.year] = new
        return cls(schedules.values())

    # -- coverage -----------------------------------------------------------------

    def covers(self, year: int) -> bool:
        return year in self._year_start

    def require_year(self, year: int) -> None:
        if not self.covers(year):
            raise self._uncovered(year)

    def source(self, year: int) -> str:
        """Where the year's schedule comes from: 'chinesecalendar' or a file's source."""
        self.require_year(year)
        return self._sources[year]

    def _uncovered(self, year: int, why: str = "") -> CalendarError:
        return CalendarError(
            _("no working-day calendar covers {year}{why}; add one with --calendar FILE (the "
              "year's complete holiday schedule as the State Council published it, format in "
              "fixtures/calendars/README.md); covered: {covered}").format(
                  year=year, why=why, covered=self._coverage()))

    def _coverage(self) -> str:
        parts = []
        for last, start, _end in self._runs:
            first = self._days[start].date.year
            parts.append(str(first) if first == last else f"{first}–{last}")
        return ", ".join(parts) or _("none")

    def _index(self, d: dt.date) -> int:
        self.require_year(d.year)
        return self._year_start[d.year] + (d - dt.date(d.year, 1, 1)).days

    def _run_end(self, index: int) -> tuple[int, int]:
        """(last covered year, last index) of the run of years holding ``index``."""
        last, _start, end = self._runs[bisect_left(self._run_ends, index)]
        return last, end

    # -- counting -----------------------------------------------------------------

    def day(self, d: dt.date) -> DayInfo:
        return self._days[self._index(d)]

    def wpos(self, d: dt.date) -> int:
        """Working days counted up to and including ``d`` (the ``cal.wpos`` column)."""
        return self._wpos[self._index(d)]

    def add_workdays(self, d: dt.date, n: int) -> dt.date:
        """The date of working day ``n`` after ``d`` (day 1 is the first working day after
        ``d``; ``n`` = 0 gives ``d``). ``d``'s year must be covered even for ``n`` = 0, as in SQL."""
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}")
        i = self._index(d)
        if n == 0:
            return d
        target = self._wpos[i] + n
        j = bisect_left(self._work_wpos, target)
        last_year, end = self._run_end(i)
        if j == len(self._work_wpos) or self._work_index[j] > end:
            raise self._uncovered(last_year + 1, _(" (needed to count {count} working days after "
                                                   "{date})").format(count=n, date=d))
        return self._days[self._work_index[j]].date

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        i, j = self._index(start), self._index(end)
        if j <= i:
            return 0
        last_year, run_end = self._run_end(i)
        if j > run_end:
            raise self._uncovered(last_year + 1, _(" (needed to count from {start} to {end})")
                                  .format(start=start, end=end))
        return self._wpos[j] - self._wpos[i]

    def deadline(self, t: dt.datetime, n: int) -> dt.datetime:
        """End (23:59:59) of working day ``n`` after ``t``'s date; ``n`` = 0: end of that date."""
        start = t.date() if isinstance(t, dt.datetime) else t
        return dt.datetime.combine(self.add_workdays(start, n), _END_OF_DAY,
                                   tzinfo=getattr(t, "tzinfo", None))

    # -- explaining ---------------------------------------------------------------

    def explain(self, d: dt.date, n: int) -> list[CountedDay]:
        """Every calendar day from ``d`` + 1 to the deadline, with its working-day number."""
        end = self.add_workdays(d, n)
        i, j = self._index(d), self._index(end)
        base = self._wpos[i]
        return [CountedDay(self._days[x], self._wpos[x] - base if self._days[x].is_workday else None)
                for x in range(i + 1, j + 1)]

    def explain_text(self, d: dt.date, n: int) -> str:
        """What ``govcheck calendar explain DATE N`` prints."""
        steps = self.explain(d, n)
        rule = _("counted from the next day") if n else _("ends the same day")
        lines = [ngettext("Start {date} {weekday}, limit {n} working day ({rule})",
                          "Start {date} {weekday}, limit {n} working days ({rule})", n).format(
            date=d.isoformat(), weekday=_(WEEKDAY_NAMES[d.weekday()]), n=n, rule=rule)]
        lines += [step.text() for step in steps]
        deadline = self.deadline(dt.datetime.combine(d, dt.time()), n)
        lines.append(_("Deadline {time}").format(time=f"{deadline:%Y-%m-%d %H:%M:%S}"))
        return "\n".join(lines)

    # -- the `cal` table ----------------------------------------------------------

    def rows(self) -> list[tuple[dt.date, bool, int, str, str | None]]:
        """(d, is_workday, wpos, kind, name) for every covered date, in date order."""
        return [(info.date, info.is_workday, w, info.kind, info.name)
                for info, w in zip(self._days, self._wpos)]

    def load_into(self, con: Any, table: str = "cal") -> None:
        """(Re)create ``table`` in a DuckDB connection from these days, in one INSERT."""
        name = quote_ident(table)
        days = self._days
        columns = [[x.date for x in days], [x.is_workday for x in days], self._wpos,
                   [x.kind for x in days], [x.name for x in days]]
        con.execute(f"CREATE OR REPLACE TABLE {name} (d DATE NOT NULL, is_workday BOOLEAN "
                    f"NOT NULL, wpos INTEGER NOT NULL, kind VARCHAR NOT NULL, name VARCHAR)")
        con.execute(f"INSERT INTO {name} SELECT unnest($1::DATE[]), unnest($2::BOOLEAN[]), "
                    f"unnest($3::INTEGER[]), unnest($4::VARCHAR[]), unnest($5::VARCHAR[])",
                    columns)

    def _year_runs(self) -> list[tuple[int, int]]:
        runs: list[tuple[int, int]] = []
        for year in self.years:
            if runs and runs[-1][1] == year - 1:
                runs[-1] = (runs[-1][0], year)
            else:
                runs.append((year, year))
        return runs

    def __repr__(self) -> str:
        return f"WorkCalendar({self._coverage()})"

"""Working days read straight from the holiday data, not from the engines' calendar.

A date is a working day when the State Council's schedule says so: a holiday is a day off,
a 调休 weekend day is a working day, and otherwise Monday to Friday work. The schedules
come from the ``chinese_calendar`` package's own tables for the years it has, and from the
complete-year YAML calendars (``fixtures/calendars``, and any given like ``--calendar``)
for the others. Counting is done day by day, as a person counts on a wall calendar; a count
that needs a year no schedule covers is an error, never a guess.
"""
from __future__ import annotations

import datetime as dt
from importlib.resources import files
from pathlib import Path
from typing import Any, Sequence

import yaml

from ...errors import CalendarError

END_OF_DAY = dt.time(23, 59, 59)
#: The shipped YAML calendars, beside the code (``engine/`` and ``fixtures/`` share a parent).
SHIPPED = Path(str(files(__package__))).parents[2] / "fixtures" / "calendars"


class Workdays:
    """The days off, the 调休 working days and the years they cover."""

    def __init__(self, days_off: set[dt.date], days_on: set[dt.date], years: set[int]):
        self.days_off = frozenset(days_off)
        self.days_on = frozenset(days_on)
        self.years = frozenset(years)
        self._nth: dict[tuple[dt.date, int], dt.date] = {}

    @classmethod
    def load(cls, calendar_files: Sequence[str | Path] = (),
             shipped: Path | None = SHIPPED) -> "Workdays":
        """chinese_calendar's years, then the YAML calendars (shipped, then
        ``calendar_files``: files or folders); a year already read is kept as it was."""
        from chinese_calendar import constants

        days_off, days_on = set(constants.holidays), set(constants.workdays)
        years = {d.year for d in days_off}
        for path in _yaml_files([shipped] if shipped else [], calendar_files):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if data["year"] in years:
                continue
            years.add(data["year"])
            days_off.update(_date(key) for key in data.get("holidays") or {})
            days_on.update(_date(key) for key in data.get("workdays") or {})
        return cls(days_off, days_on, years)

    def is_workday(self, d: dt.date) -> bool:
        """Whether people work on ``d`` by the schedule of its year."""
        if d.year not in self.years:
            raise CalendarError(f"no working-day calendar covers {d.year} (needed for {d})")
        if d in self.days_off:
            return False
        return d in self.days_on or d.weekday() < 5

    def between(self, a: dt.date, b: dt.date) -> int:
        """Working days after ``a`` up to and including ``b`` (0 when b is not after a)."""
        days = (a + dt.timedelta(days=i) for i in range(1, (b - a).days + 1))
        return sum(1 for d in days if self.is_workday(d))

    def nth_after(self, d: dt.date, n: int) -> dt.date:
        """The date of the n-th working day after ``d`` (``d`` itself for n = 0)."""
        key = (d, n)
        if key not in self._nth:
            self.is_workday(d)                   # d's own year must be covered too
            day, left = d, n
            while left > 0:
                day += dt.timedelta(days=1)
                if self.is_workday(day):
                    left -= 1
            self._nth[key] = day
        return self._nth[key]

    def deadline(self, t: dt.datetime, n: int) -> dt.datetime:
        """The end of the n-th working day after ``t``'s date (of that date for n = 0)."""
        return dt.datetime.combine(self.nth_after(t.date(), n), END_OF_DAY)


def _yaml_files(folders: list[Path], given: Sequence[str | Path]) -> list[Path]:
    """The calendar files in reading order: each folder's, sorted, then the ones given."""
    out: list[Path] = []
    for item in [*(f for f in folders if f.is_dir()), *map(Path, given)]:
        if item.is_dir():
            out += sorted(p for p in item.iterdir()
                          if p.suffix in (".yaml", ".yml") and p.is_file())
        else:
            out.append(item)
    return list(dict.fromkeys(p.resolve() for p in out))


def _date(key: Any) -> dt.date:
    """A calendar file's date key (YAML reads an unquoted one as a date already)."""
    return key if isinstance(key, dt.date) else dt.date.fromisoformat(str(key).strip())

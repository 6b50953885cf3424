"""Times in ``watch``: integers, microseconds since 1970-01-01 00:00 in local (Asia/Shanghai)
time, and the texts a finding gives them.

Integers, because the monitor compares, sorts and heaps millions of times; the texts are
cached, because findings repeat the same few times.
"""
from __future__ import annotations

import datetime as dt

EPOCH = dt.datetime(1970, 1, 1)
_US = 1_000_000


def to_us(value: dt.datetime) -> int:
    """A naive local time as microseconds since 1970-01-01 00:00."""
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def from_us(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


def wall_now() -> int:
    """The time of day in Asia/Shanghai (``--clock wall``)."""
    from zoneinfo import ZoneInfo
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    return to_us(now)


_TEXTS: dict[int, str] = {}


def time_text(us: int | None) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` (the report's form for due and actual times)."""
    if us is None:
        return None
    found = _TEXTS.get(us)
    if found is None:
        if len(_TEXTS) > 50_000:
            _TEXTS.clear()
        found = _TEXTS[us] = from_us(us).strftime("%Y-%m-%d %H:%M:%S")
    return found


def sql_time_text(us: int) -> str:
    """A time as DuckDB prints a TIMESTAMP cast to text (fractions only when present)."""
    value = from_us(us)
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    return text + (f".{value.microsecond:06d}" if value.microsecond else "")

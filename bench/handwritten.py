"""Run one hand-written DuckDB script of bench/handwritten/ over a log, as its own process.

The reference a `govcheck check --rule RULE` run is timed against (bench/run.py
--rules): what DuckDB alone takes to answer one rule's question over the same file, read
once, with a working-day calendar table built from chinesecalendar. Prints the findings'
count and the seconds taken, as JSON.

    .venv/bin/python bench/handwritten.py GB-OGI-26-1 LOG.csv "2023-01-18 14:23:00"
"""
from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import chinese_calendar
import duckdb

HERE = Path(__file__).resolve().parent / "handwritten"


def calendar(con, first: int, last: int) -> None:
    """``cal(d, is_workday, wpos)``: every day of the years, the running count of working
    days up to and including each."""
    days, flags, positions, pos = [], [], [], 0
    day = dt.date(first, 1, 1)
    while day.year <= last:
        work = chinese_calendar.is_workday(day)
        pos += work
        days.append(day)
        flags.append(work)
        positions.append(pos)
        day += dt.timedelta(days=1)
    con.execute("CREATE TABLE cal AS SELECT unnest($1::DATE[]) AS d, unnest($2::BOOLEAN[]) "
                "AS is_workday, unnest($3::INTEGER[]) AS wpos", [days, flags, positions])


def main() -> None:
    rule, log, as_of = sys.argv[1], sys.argv[2], dt.datetime.fromisoformat(sys.argv[3])
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    sql = (HERE / f"{rule}.sql").read_text(encoding="utf-8")
    if "cal " in sql:
        calendar(con, 2019, 2024)
    params = {k: v for k, v in {"log": log, "as_of": as_of}.items() if f"${k}" in sql}
    rows = con.execute(sql, params).fetchall()
    print(json.dumps({"rule": rule, "findings": len(rows), "seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()

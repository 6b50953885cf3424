"""The working-day calendar on Spark: the ``cal`` view, and two maps every task carries.

A working-day count looks up a date's position and a position's date. DuckDB does it
with a scalar subquery on ``cal``; Spark cannot join a subquery that refers to a query
two levels out (a due time from a pause's position), so the lookups read two session
variables instead, ``gc_wpos`` (date → position) and ``gc_wday`` (position of a working
day → date): a few thousand entries, shipped with each task like a broadcast table, and
no join at all.
"""
from __future__ import annotations

from ..data.calendar import WorkCalendar


def load_calendar(spark, calendar: WorkCalendar) -> None:
    """Register ``cal`` (docs/architecture.md's columns) and set ``gc_wpos`` and ``gc_wday``."""
    frame = spark.createDataFrame(
        calendar.rows(), "d DATE, is_workday BOOLEAN, wpos INT, kind STRING, name STRING")
    frame.createOrReplaceTempView("cal")
    spark.sql("DECLARE OR REPLACE VARIABLE gc_wpos MAP<DATE, INT>")
    spark.sql("SET VARIABLE gc_wpos = (SELECT map_from_entries(collect_list(struct(d, wpos))) "
              "FROM cal)")
    spark.sql("DECLARE OR REPLACE VARIABLE gc_wday MAP<INT, DATE>")
    spark.sql("SET VARIABLE gc_wday = (SELECT map_from_entries(collect_list(struct(wpos, d))) "
              "FROM cal WHERE is_workday)")

"""The expansion: DuckDB turns the first n cases into events, sorts them and writes the file.

Each case's scenario, start day, time of day and unit are drawn from two hashes of (case,
seed), so the same seed gives the same log (with the same DuckDB version) and no Python
runs per case.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

from ...data.calendar import WorkCalendar
from ...data.sqltext import quote_ident, quote_string
from .city import OFFICE_SPAN, OFFICE_START, UNITS
from .specs import ABS_DAYS, GRID, HOURS, REL_DAYS, REL_WORKDAYS, START, day_number
from .writing import Writer
from .year import Year

BUCKETS = 1 << 20
#: Added to case numbers in the sort key so that the grid's (negative) cases sort first.
GRID_OFFSET = 1 << 22
#: Case numbers have 27 bits of the sort key, the offset included.
MAX_CASES = (1 << 27) - GRID_OFFSET


class Expansion:
    """The SQL that turns the first n cases into events, then counts or writes them.

    Two steps keep the sort narrow: the events' keys (time, case, rank, step, unit) are
    sorted and cut to the number asked for, then each key is joined to its step's fixed
    pieces of text, on one thread, so the sorted keys stream through the join in order.
    """

    def __init__(self, con, year: Year, writer: Writer, calendar: WorkCalendar, seed: int):
        self.con = con
        self.year = year
        self.writer = writer
        self.seed = int(seed)
        self.n_scen = len(writer.scenarios)
        self.horizon = int((year.horizon - dt.datetime(1970, 1, 1)).total_seconds())
        self._tables(calendar)

    # -- tables -------------------------------------------------------------------

    def _tables(self, calendar: WorkCalendar) -> None:
        con, writer = self.con, self.writer
        units: dict[str | None, int] = {u: i for i, u in enumerate(UNITS)}

        def unit_index(unit: str | None) -> int:
            return units.setdefault(unit, len(units))

        drops: dict[tuple[str, ...], int] = {}
        scen_rows, step_rows, grid_keys = [], [], []
        for sid, s in enumerate(writer.scenarios):
            lo, hi = day_number(s.date_lo), day_number(s.date_hi)
            fixed = unit_index(s.unit) if s.unit is not None else None
            scen_rows.append((sid, lo, hi - lo + 1, s.bias, s.anytime, fixed))
            for spec in s.specs:
                mid, tail = writer.fragments(spec.attrs)
                kind, k, anchor, seconds = spec.when
                drop = drops.setdefault(tuple(sorted(spec.droppable)), len(drops)) \
                    if spec.droppable else None
                step_rows.append((len(step_rows), sid, spec.rank, kind, k, anchor, seconds,
                                  spec.slot[0], spec.slot[1], drop, s.prefix, None, mid, tail,
                                  spec.event_type, [spec.attrs.get(a) for a in writer.attributes]))
        for index, (when, case_id, unit, attrs, _) in enumerate(writer.grid):
            if when is None:
                continue
            mid, tail = writer.fragments(attrs)
            grid_keys.append((int((when - dt.datetime(1970, 1, 1)).total_seconds()), -1 - index, 0,
                              len(step_rows), unit_index(unit)))
            step_rows.append((len(step_rows), None, 0, GRID, 0, 0, 0, 0, 1, None,
                              writer.case_text(case_id), None, mid, tail, attrs["event_type"],
                              [attrs.get(a) for a in writer.attributes]))
        self.grid_events = len(grid_keys)
        _table(con, "g_scen", "sid INTEGER, lo INTEGER, span INTEGER, bias BOOLEAN, "
               "anytime BOOLEAN, unit_i INTEGER", scen_rows)
        _table(con, "g_step", "step_id INTEGER, sid INTEGER, rank INTEGER, kind INTEGER, k INTEGER, "
               "anchor INTEGER, seconds INTEGER, slot_j INTEGER, slot_n INTEGER, drop_id INTEGER, "
               "prefix VARCHAR, case_text VARCHAR, mid VARCHAR, tail VARCHAR, event_type VARCHAR, "
               "attrs VARCHAR[]", step_rows)
        _table(con, "g_gridkey", "ts BIGINT, i BIGINT, rank INTEGER, step_id INTEGER, unit_i INTEGER",
               grid_keys)
        _table(con, "g_unit", "unit_i INTEGER, unit VARCHAR, unit_text VARCHAR",
               [(i, u, writer.unit_text(u)) for u, i in units.items()])
        _table(con, "g_drop", "drop_id INTEGER, unit_i INTEGER, p DOUBLE",
               [(d, i, max(_drop_probability(self.year, key, u) for key in keys))
                for keys, d in drops.items() for i, u in enumerate(UNITS)])
        # the weighted choice: 2^20 buckets, a run of them per scenario (largest remainders);
        # the first cases take the scenarios in turn through the keys -1 - sid
        weights = [max(s.weight, 0.0) for s in writer.scenarios]
        total = sum(weights) or 1.0
        counts = [int(w / total * BUCKETS) for w in weights]
        rest = BUCKETS - sum(counts)
        for i in sorted(range(len(weights)), key=lambda i: counts[i] - weights[i] / total * BUCKETS)[:rest]:
            counts[i] += 1
        ranges, at = [], 0
        for sid, c in enumerate(counts):
            ranges.append((sid, at, at + c))
            at += c
        _table(con, "g_range", "sid INTEGER, lo INTEGER, hi INTEGER", ranges)
        con.execute("CREATE TABLE g_bucket AS SELECT CAST(unnest(range(lo, hi)) AS INTEGER) AS b, sid "
                    "FROM g_range UNION ALL SELECT -1 - sid, sid FROM g_scen")
        # the calendar: each day's working-day position and next working day, each position's day
        year = self.year.year
        first = dt.date(year - 1, 1, 1)
        last = dt.date(min(year + 3, max(calendar.years)), 12, 31)
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        days = [d for d in days if calendar.covers(d.year)]
        upcoming, next_work = None, {}
        for d in reversed(days):
            if calendar.day(d).is_workday:
                upcoming = day_number(d)
            next_work[d] = upcoming if upcoming is not None else day_number(d)
        _table(con, "g_day", "day INTEGER, wpos INTEGER, next_work INTEGER",
               [(day_number(d), calendar.wpos(d), next_work[d]) for d in days])
        _table(con, "g_pos", "wpos INTEGER, day INTEGER",
               [(calendar.wpos(d), day_number(d)) for d in days if calendar.day(d).is_workday])
        pre = _pre_holiday_days(calendar, year) or [day_number(dt.date(year, 9, 30))]
        _table(con, "g_pre", "pre_i INTEGER, day INTEGER", list(enumerate(pre)))
        self.n_pre = len(pre)

    # -- queries ------------------------------------------------------------------

    def cases_sql(self, n_cases: int) -> str:
        """One row per case: its scenario, start day and time of day, unit. Two hashes of
        (case, seed) give every draw: each draw takes its own bits."""
        seed = self.seed
        return f"""
            SELECT c.i, b.sid, s.anytime, s.lo, s.span,
                   s.lo + CAST((c.h1 >> 20) % s.span AS INTEGER) AS raw_day,
                   s.bias AND (c.h1 >> 36) % 100 < 35 AS biased,
                   CAST(c.h2 % {self.n_pre} AS INTEGER) AS pre_i,
                   CASE WHEN s.anytime THEN CAST((c.h1 >> 43) % 86400 AS INTEGER)
                        ELSE {OFFICE_START} + CAST((c.h1 >> 43) % {OFFICE_SPAN} AS INTEGER) END AS tod0,
                   coalesce(s.unit_i, CAST((c.h2 >> 20) % {len(UNITS)} AS INTEGER)) AS unit_i
            FROM (SELECT i, CAST(hash(i, {seed}) >> 1 AS BIGINT) AS h1,
                         CAST(hash(i, {seed}, 1) >> 1 AS BIGINT) AS h2
                  FROM range({int(n_cases)}) r(i)) c
            JOIN g_bucket b ON b.b = CASE WHEN c.i < {self.n_scen} THEN CAST(-1 - c.i AS INTEGER)
                                          ELSE CAST(c.h1 % {BUCKETS} AS INTEGER) END
            JOIN g_scen s ON s.sid = b.sid"""

    def keys_sql(self, n_cases: int) -> str:
        """(key, step_id, unit_i) of every event of the first ``n_cases`` cases up to the
        horizon, and of the grid. ``key`` orders events by time, then case, then rank:
        seconds since 1970 × 2^32 + (case + 2^22) × 2^5 + rank (grid cases are negative)."""
        seed = self.seed
        return f"""
            WITH cases AS ({self.cases_sql(n_cases)}),
            started AS (
                SELECT c.i, c.sid, c.unit_i, c.tod0,
                       CASE WHEN c.biased AND p.day BETWEEN c.lo AND c.lo + c.span - 1 THEN p.day
                            WHEN c.anytime THEN c.raw_day
                            ELSE least(d.next_work, c.lo + c.span - 1) END AS day0
                FROM cases c JOIN g_pre p ON p.pre_i = c.pre_i JOIN g_day d ON d.day = c.raw_day),
            based AS (
                SELECT s.*, d.wpos AS wpos0, CAST(s.day0 AS BIGINT) * 86400 + s.tod0 AS t0
                FROM started s JOIN g_day d ON d.day = s.day0),
            timed AS (
                SELECT c.i, c.unit_i, c.t0, c.day0, st.step_id, st.rank, st.kind, st.k, st.anchor,
                       st.seconds, st.slot_j, st.slot_n, pd.day AS wday, dp.p,
                       CAST(hash(c.i, st.rank, {seed}) >> 1 AS BIGINT) AS h3
                FROM based c JOIN g_step st ON st.sid = c.sid
                LEFT JOIN g_pos pd ON pd.wpos = c.wpos0 + st.k
                LEFT JOIN g_drop dp ON dp.drop_id = st.drop_id AND dp.unit_i = c.unit_i),
            placed AS (
                SELECT i, rank, step_id, unit_i,
                       CASE kind WHEN {START} THEN t0
                                 WHEN {HOURS} THEN t0 + seconds
                                 ELSE greatest(CAST(CASE kind
                                     WHEN {REL_WORKDAYS} THEN CASE WHEN k = 0 THEN day0 ELSE wday END
                                     WHEN {REL_DAYS} THEN day0 + k
                                     WHEN {ABS_DAYS} THEN anchor + k
                                     ELSE day0 + CAST(floor(greatest(anchor - day0 + 1, 1)
                                          * ((h3 >> 14) % 1000) / 1000.0) AS INTEGER) END AS BIGINT) * 86400
                                   + {OFFICE_START} + ({OFFICE_SPAN} * slot_j + CAST((h3 >> 24) % {OFFICE_SPAN} AS INTEGER)) // slot_n,
                                   t0 + rank) END AS ts
                FROM timed
                WHERE p IS NULL OR (h3 % 10000) / 10000.0 >= p)
            SELECT CAST(ts AS BIGINT) * {1 << 32} + (i + {GRID_OFFSET}) * 32 + rank AS key,
                   step_id, unit_i
            FROM placed WHERE ts <= {self.horizon}
            UNION ALL
            SELECT ts * {1 << 32} + (i + {GRID_OFFSET}) * 32 + rank, step_id, unit_i FROM g_gridkey"""

    def count(self, n_cases: int) -> int:
        """Events the first ``n_cases`` cases and the grid have up to the horizon."""
        (n,) = self.con.execute(f"SELECT count(*) FROM ({self.keys_sql(n_cases)})").fetchone()
        return n

    def cases_for(self, events: int) -> int:
        """Cases needed for ``events`` events: the fewest, counted, for small logs; else from
        a sample of 200,000 cases (a little over: the latest events are left out)."""
        (per_case,) = self.con.execute(
            "SELECT sum(s.n * (r.hi - r.lo)) / sum(r.hi - r.lo) FROM g_range r "
            "JOIN (SELECT sid, count(*) AS n FROM g_step GROUP BY sid) s USING (sid)").fetchone()
        grid = self.grid_events
        n = max(self.n_scen, math.ceil((events - grid) / float(per_case)))
        probe = 200_000
        if n > probe:
            per_case = (self.count(probe) - grid) / probe
            n = math.ceil((events - grid) / per_case * 1.002)
        else:
            low = self.n_scen
            while self.count(n) < events:
                low, n = n, max(n + 1, math.ceil(n * 1.05))
            while low < n:
                mid = (low + n) // 2
                if self.count(mid) >= events:
                    n = mid
                else:
                    low = mid + 1
        return n

    def write(self, out: Path, n_cases: int, events: int, file_format: str) -> int:
        """Write the first ``events`` events by time; returns how many there were."""
        con, n = self.con, int(events)
        for table in ("g_keys", "g_sorted"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"CREATE TEMP TABLE g_keys AS {self.keys_sql(n_cases)}")
        # the n-th key in time order: find its day from a histogram, then sort that day only
        days = con.execute("SELECT (key >> 32) // 86400 AS d, count(*) FROM g_keys "
                           "GROUP BY d ORDER BY d").fetchall()
        total, cutoff, before = sum(c for _, c in days), None, 0
        for day, c in days:
            if before + c >= n:
                (cutoff,) = con.execute(
                    f"SELECT key FROM g_keys WHERE (key >> 32) // 86400 = {int(day)} "
                    f"ORDER BY key LIMIT 1 OFFSET {n - before - 1}").fetchone()
                break
            before += c
        where = f"WHERE key <= {cutoff}" if cutoff is not None else ""
        con.execute(f"CREATE TEMP TABLE g_sorted AS SELECT * FROM g_keys {where} ORDER BY key")
        con.execute("DROP TABLE g_keys")
        # a case id is the step's prefix and the case number, zero-padded (a grid event's
        # step holds its whole case id as the prefix, and its case number is negative)
        width = max(6, len(str(n_cases)))
        number = f"(((k.key >> 5) & {(1 << 27) - 1}) - {GRID_OFFSET})"
        digits = (f"CASE WHEN {number} >= 0 THEN substr(CAST({number} + {10 ** width} AS VARCHAR), 2) "
                  f"ELSE '' END")
        case = f"concat(st.prefix, {digits})"
        stamp = "CAST(make_timestamp((k.key >> 32) * 1000000) AS VARCHAR)"
        joined = ("FROM g_sorted k JOIN g_step st ON st.step_id = k.step_id "
                  "JOIN g_unit u ON u.unit_i = k.unit_i")
        attrs = self.writer.attributes
        if file_format == "parquet":
            cols = ", ".join([f"{case} AS case_id", "st.event_type",
                              'make_timestamp((k.key >> 32) * 1000000) AS "timestamp"', "u.unit"]
                             + [f"st.attrs[{j + 1}] AS {quote_ident(a)}"
                                for j, a in enumerate(attrs)])
            query, target = f"SELECT {cols} {joined}", "(FORMAT parquet)"
        else:
            if file_format == "jsonl":
                line = f"concat('{{\"case_id\":\"', st.prefix, {digits}, st.mid, {stamp}, u.unit_text, st.tail)"
                header, head = "line", "false"
            else:
                line = f"concat(st.prefix, {digits}, st.mid, {stamp}, u.unit_text, st.tail)"
                header, head = self.writer.header(), "true"
            query = f"SELECT {line} AS {quote_ident(header)} {joined}"
            target = f"(FORMAT csv, HEADER {head}, QUOTE '', ESCAPE '', DELIMITER '\x1f')"
        # One thread: the join then streams the sorted keys in order (DuckDB keeps the order
        # of a join only when nothing runs in parallel), and it is the cheapest way anyway.
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        con.execute("SET threads = 1")
        try:
            con.execute(f"COPY ({query}) TO {quote_string(str(out))} {target}")
        finally:
            con.execute(f"SET threads = {int(threads)}")
        return min(total, n)

    def as_of(self) -> str:
        (last,) = self.con.execute("SELECT max(key) >> 32 FROM g_sorted").fetchone()
        return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=int(last))).strftime("%Y-%m-%d %H:%M:%S")

    def cases_written(self) -> int:
        # a case's first event is its rank 0 (the cut only drops the latest events)
        (n,) = self.con.execute("SELECT count(*) FROM g_sorted WHERE key & 31 = 0").fetchone()
        return int(n)

    def intended(self, n_cases: int) -> dict[tuple[str, str], int]:
        """Cases (and grid cells) given each injected violation; several rules may find
        more, so the truth comes from the oracle."""
        out: dict[tuple[str, str], int] = defaultdict(int)
        rows = self.con.execute("SELECT st.sid, count(*) FROM g_sorted k JOIN g_step st "
                                "ON st.step_id = k.step_id WHERE k.key & 31 = 0 AND st.sid IS NOT NULL "
                                "GROUP BY st.sid").fetchall()
        for sid, n in rows:
            intended = self.writer.scenarios[sid].intended
            if intended:
                out[intended] += n
        for _, _, _, _, intended in self.writer.grid:
            if intended:
                out[intended] += 1
        for rule in self.year.condition_ratios:    # each weak unit, in each period of the year
            if "unit" not in (rule.group_by or ()):
                continue
            periods = 1
            if rule.period:
                periods = {"year": 1, "quarter": 4, "month": 12}[rule.period]
            out[(rule.id, "below_threshold")] += len(self.year.weak.get(rule.id, ())) * periods
        return dict(sorted(out.items()))


def _table(con, name: str, columns: str, rows: list[tuple]) -> None:
    """Create ``name`` and fill it with ``rows`` in one statement (column lists unnested)."""
    con.execute(f"CREATE TABLE {name} ({columns})")
    if not rows:
        return
    types = [c.strip().split(" ", 1)[1] for c in columns.split(",")]
    cols = list(zip(*rows))
    select = ", ".join(f"unnest(${j + 1}::{t}[])" for j, t in enumerate(types))
    con.execute(f"INSERT INTO {name} SELECT {select}", [list(c) for c in cols])


def _drop_probability(year: Year, rule_id: str, unit: str) -> float:
    """Chance that a member's condition event is missing: high in the rule's weak units."""
    rule = next(r for r in year.condition_ratios if r.id == rule_id)
    a = rule.at_least
    if unit in year.weak.get(rule_id, set()):
        return min(0.9, (1 - a) + 0.25 * a)
    return (1 - a) * 0.4


def _pre_holiday_days(calendar: WorkCalendar, year: int) -> list[int]:
    """The last three working days before three or more days off, and the 调休 days."""
    out = []
    d = dt.date(year, 1, 1)
    while d.year == year:
        info = calendar.day(d)
        if info.kind == "makeup_workday":
            out.append(day_number(d))
        if info.is_workday:
            off = 0
            for i in range(1, 8):
                nxt = d + dt.timedelta(days=i)
                if not calendar.covers(nxt.year) or calendar.day(nxt).is_workday:
                    break
                off += 1
            if off >= 3:
                back, x = 0, d
                while back < 3 and x.year == year:
                    if calendar.day(x).is_workday:
                        out.append(day_number(x))
                        back += 1
                    x -= dt.timedelta(days=1)
        d += dt.timedelta(days=1)
    return sorted(set(out))


"""Hostile and oversized logs: each is refused promptly, in our words, at its file and row.

A small corpus of adversarial inputs, every one generated here (a few KB each; the zip bomb
is a few KB that would unpack to megabytes): logs with more columns than ``limits``
allows, XLSX workbooks that are zip bombs or declare XML entities or are damaged half-way,
text in no known encoding, a header that never ends. Each must end the command with exit 2
and a message naming the file (and the row, where there is one); never a traceback and
never "internal error". And a log of many columns must cost time in proportion to them.
"""
from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from govcheck.engine.data.ingest import ingest
from govcheck.engine.errors import DataError

HEADER = ["case_id", "event_type", "timestamp", "unit"]
ROWS = [["C1", "测试受理", "2021-06-11 15:00", "市局"],
        ["C1", "测试答复", "2021-06-16 11:00", "市局"]]


def csv_text(rows: list[list[str]]) -> str:
    """CSV text of ``rows`` (no value here needs quoting)."""
    return "".join(",".join(r) + "\n" for r in rows)


def wide_log(tmp_path: Path, columns: int) -> Path:
    """A two-row log of ``columns`` columns, every value filled."""
    path = tmp_path / f"wide{columns}.csv"
    extra = [f"列{i}" for i in range(columns - len(HEADER))]
    path.write_text(csv_text([HEADER + extra] + [r + ["值"] * len(extra) for r in ROWS]),
                    encoding="utf-8")
    return path


def load_seconds(path: Path) -> float:
    """Processor time to load ``path`` on one thread (steadier than the clock on a busy
    machine)."""
    con = duckdb.connect(config={"threads": 1})
    started = time.process_time()
    ingest(con, [path])
    return time.process_time() - started


class CountingConnection:
    """A connection that counts the statements run through it."""

    def __init__(self, con):
        self.con, self.statements = con, 0

    def execute(self, *args):
        self.statements += 1
        return self.con.execute(*args)

    def __getattr__(self, name):
        return getattr(self.con, name)


def test_a_loads_statements_do_not_grow_with_the_columns(tmp_path):
    """A statement per column (each column of the rows table renamed by its own ALTER
    TABLE, each costing in proportion to the columns) made a load quadratic."""
    counts = []
    for columns in (10, 250):
        con = CountingConnection(duckdb.connect())
        ingest(con, [wide_log(tmp_path, columns)])
        counts.append(con.statements)
    assert counts[0] == counts[1]


def test_load_time_grows_with_the_columns_not_their_square(tmp_path, monkeypatch):
    """Four times the columns cost about four times the time; it was 22 times (a statement
    per column, and DuckDB comparing the cleaning of each column with every other's)."""
    monkeypatch.setenv("GOVCHECK_MAX_COLUMNS", "2000")
    small, large = wide_log(tmp_path, 400), wide_log(tmp_path, 1600)
    load_seconds(small)     # imports, first-use costs
    ratio = load_seconds(large) / load_seconds(small)
    assert ratio < 9, f"{ratio:.1f} times the time for 4 times the columns"


def test_a_load_leaves_the_connections_settings_as_it_found_them(tmp_path):
    """A load turns DuckDB's common-subexpression pass off while it runs (alike expressions,
    one per column, made planning quadratic); the rules that run next keep the pass."""
    con = duckdb.connect()
    con.execute("SET disabled_optimizers = 'top_n'")
    log = tmp_path / "log.csv"
    log.write_text(csv_text([HEADER, *ROWS]), encoding="utf-8")
    ingest(con, [log])
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text([HEADER, ["C1", "测试受理", "坏", ""]]), encoding="utf-8")
    with pytest.raises(DataError):
        ingest(con, [bad])
    assert con.execute("SELECT current_setting('disabled_optimizers')").fetchone() == ("top_n",)

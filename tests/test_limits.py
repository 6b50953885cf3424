"""Hostile and oversized logs: each is refused promptly, in our words, at its file and row.

A small corpus of adversarial inputs, every one generated here (a few KB each; the zip bomb
is a few KB that would unpack to megabytes): logs with more columns than ``limits``
allows, XLSX workbooks that are zip bombs or declare XML entities or are damaged half-way,
text in no known encoding, a header that never ends. Each must end the command with exit 2
and a message naming the file (and the row, where there is one); never a traceback and
never "internal error". And a log of many columns must cost time in proportion to them.
"""
from __future__ import annotations

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

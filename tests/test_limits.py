"""Hostile and oversized logs: each is refused promptly, in our words, at its file and row.

A small corpus of adversarial inputs, every one generated here (a few KB each; the zip bomb
is a few KB that would unpack to megabytes): logs with more columns than ``limits``
allows, XLSX workbooks that are zip bombs or declare XML entities or are damaged half-way,
text in no known encoding, a header that never ends. Each must end the command with exit 2
and a message naming the file (and the row, where there is one); never a traceback and
never "internal error". And a log of many columns must cost time in proportion to them.
"""
from __future__ import annotations

import io
import json
import textwrap
import time
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from govcheck.cli import main
from govcheck.engine.data.ingest import ingest
from govcheck.engine.errors import DataError
from support import rule_folder

RULE = textwrap.dedent("""\
    id: T-LIM-1
    title: 测试事项5个工作日内答复
    kind: deadline
    severity: error
    source: {document: 测试文件, number: 测试〔2021〕1号, clause: 一、, quote: 测试条款}
    start: {event_type: 测试受理}
    end: {event_type: 测试答复}
    within: {workdays: 5}
    """)
VOCABULARY = textwrap.dedent("""\
    event_types:
      测试受理: {description: 测试事项被受理, system: 测试系统}
      测试答复: {description: 答复测试事项, system: 测试系统}
    """)
HEADER = ["case_id", "event_type", "timestamp", "unit"]
ROWS = [["C1", "测试受理", "2021-06-11 15:00", "市局"],
        ["C1", "测试答复", "2021-06-16 11:00", "市局"]]


@pytest.fixture
def library(tmp_path):
    return rule_folder(tmp_path, "T-LIM-1", RULE, VOCABULARY)


def check(library, log, *options):
    """``govcheck check`` on ``log`` as a user runs it."""
    return CliRunner().invoke(main, ["check", str(log), "--rules", str(library), *options])


# -- the corpus: each builder writes one hostile log and says where its problem is -------

def csv_text(rows: list[list[str]]) -> str:
    """CSV text of ``rows`` (no value here needs quoting)."""
    return "".join(",".join(r) + "\n" for r in rows)


def wide_csv(path: Path) -> str:
    """1,001 columns: one more than a log may have."""
    extra = [f"列{i}" for i in range(1001 - len(HEADER))]
    path.write_text(csv_text([HEADER + extra] + [r + [""] * len(extra) for r in ROWS]),
                    encoding="utf-8")
    return "row 1"


def wide_json_lines(path: Path) -> str:
    """JSON lines whose third line brings the keys to 1,001."""
    lines = [dict(zip(HEADER, r)) for r in ROWS]
    lines.append({**lines[0], **{f"k{i}": "1" for i in range(1001 - len(HEADER))}})
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                    encoding="utf-8")
    return "row 3"


def wide_xlsx(path: Path) -> str:
    """A workbook whose header (below a title row) has 1,001 columns."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["工单导出"])
    sheet.append(HEADER + [f"列{i}" for i in range(1001 - len(HEADER))])
    for row in ROWS:
        sheet.append(row)
    book.save(path)
    return "row 2"


def gbk_with_bad_bytes(path: Path) -> str:
    """GBK text with bytes on its third row that no encoding reads."""
    good = csv_text([HEADER, ROWS[0]]).encode("gbk")
    bad = b"C1,\xff\xfe\xff,2021-06-16 11:00,x\n"
    path.write_bytes(good + bad + csv_text([ROWS[1]]).encode("gbk"))
    return "row 3"


def endless_quoted_header(path: Path) -> str:
    """A header whose quoted name never closes, and runs on past what a header may be."""
    path.write_text('case_id,"event_type,timestamp\n' + ("x" * 10_000 + "\n") * 3,
                    encoding="utf-8")
    return "row 1"


def endless_first_line(path: Path) -> str:
    """A file of one line longer than any header (``HEADER_CHARS`` is made small)."""
    path.write_text(",".join(HEADER) + "," * 30_000, encoding="utf-8")
    return "row 1"


def time_out_of_range(path: Path) -> str:
    """A year of five digits: no time DuckDB can hold."""
    path.write_text(csv_text([HEADER, ROWS[0], ["C1", "测试答复", "99999-06-16 11:00", "市局"]]),
                    encoding="utf-8")
    return "row 3"


def xlsx_bytes(change=None) -> bytes:
    """A small valid workbook, with ``change(name, data)`` applied to each of its parts."""
    book = openpyxl.Workbook()
    for row in [HEADER, *ROWS]:
        book.active.append(row)
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, change(name, data) if change else data)
    return out.getvalue()


def in_sheet(edit):
    """A ``change`` for ``xlsx_bytes`` that edits only the first sheet's XML."""
    return lambda name, data: edit(data) if name == "xl/worksheets/sheet1.xml" else data


def zip_bomb(path: Path) -> None:
    """A sheet padded with 4 MB of one character: a few KB packed, 1,000 times that unpacked."""
    pad = b"<!--" + b"0" * (4 << 20) + b"-->"
    padded = in_sheet(lambda x: x.replace(b"<sheetData>", pad + b"<sheetData>"))
    path.write_bytes(xlsx_bytes(padded))


def entity_expansion(path: Path) -> None:
    """A sheet that declares entities expanding tenfold at each level ("billion laughs")."""
    dtd = (b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
           + b"".join(b'<!ENTITY %c "%s">' % (n, (b"&%c;" % p) * 10)
                      for p, n in zip(b"abcdefgh", b"bcdefghi")) + b"]>")
    declared = in_sheet(lambda x: x.replace(b"<worksheet", dtd + b"<worksheet", 1))
    path.write_bytes(xlsx_bytes(declared))


def damaged_sheet(path: Path) -> str:
    """A sheet whose XML breaks off in its third row."""
    path.write_bytes(xlsx_bytes(in_sheet(lambda x: x.replace(b'<row r="3"', b'<row r="3"><<', 1))))
    return "row 3"


CORPUS = {
    "1,001 columns in a CSV": ("wide.csv", wide_csv, "1,001 columns"),
    "1,001 keys in JSON lines": ("wide.jsonl", wide_json_lines, "1,001 different keys"),
    "1,001 columns in a workbook": ("wide.xlsx", wide_xlsx, "1,001 columns"),
    "bytes in no encoding": ("gbk.csv", gbk_with_bad_bytes, "neither UTF-8 nor GB18030"),
    "a quoted header that never ends": ("quote.csv", endless_quoted_header, "does not end"),
    "a first line with no end": ("line.csv", endless_first_line, "cannot be a header"),
    "a time out of range": ("year.csv", time_out_of_range, "not understood"),
    "a zip bomb": ("bomb.xlsx", zip_bomb, "times its packed size"),
    "entity expansion": ("laughs.xlsx", entity_expansion, "declares entities"),
    "a sheet damaged half-way": ("damaged.xlsx", damaged_sheet, "damaged"),
}


@pytest.mark.parametrize("name", CORPUS)
def test_a_hostile_log_is_refused_at_its_file_and_row(library, tmp_path, monkeypatch, name):
    from govcheck.engine.data.ingest import readers
    monkeypatch.setattr(readers, "HEADER_CHARS", 20_000)
    file_name, build, said = CORPUS[name]
    log = tmp_path / file_name
    started = time.monotonic()
    row = build(log)
    result = check(library, log)
    assert result.exit_code == 2, result.output
    located = [line for line in result.stderr.splitlines() if line.startswith(f"{log}: ")]
    assert located, result.stderr
    assert located[0].startswith(f"{log}: {row}: " if row else f"{log}: "), located[0]
    assert said in located[0]
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    assert time.monotonic() - started < 10


def test_a_limit_says_how_to_raise_it_and_can_be_raised(library, tmp_path, monkeypatch):
    log = tmp_path / "wide.csv"
    wide_csv(log)
    refused = check(library, log)
    assert "more than the 1,000 columns allowed (set the environment variable " \
           "GOVCHECK_MAX_COLUMNS to allow more)" in refused.stderr
    monkeypatch.setenv("GOVCHECK_MAX_COLUMNS", "1,001")
    assert check(library, log, "--fail-on", "never").exit_code == 0


def test_a_workbook_larger_than_allowed_is_refused_before_it_is_read(library, tmp_path,
                                                                      monkeypatch):
    """Refused from the zip's directory: the declared size is all it takes."""
    log = tmp_path / "big.xlsx"
    noise = b"".join(b"%08x" % (i * 2654435761 % 2**32) for i in range(300_000))   # 2.4 MB
    log.write_bytes(xlsx_bytes(in_sheet(lambda x: x.replace(
        b"<sheetData>", b"<!--" + noise + b"--><sheetData>"))))
    assert check(library, log, "--fail-on", "never").exit_code == 0
    monkeypatch.setenv("GOVCHECK_MAX_XLSX_MB", "2")
    result = check(library, log)
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        f"{log}: the workbook unpacks to 2.3 MB, more than the 2 MB allowed (set the "
        "environment variable GOVCHECK_MAX_XLSX_MB to allow more)")


def test_a_limit_set_to_nonsense_is_refused_by_name(library, tmp_path, monkeypatch):
    log = tmp_path / "log.csv"
    log.write_text(csv_text([HEADER, *ROWS]), encoding="utf-8")
    monkeypatch.setenv("GOVCHECK_MAX_COLUMNS", "many")
    result = check(library, log)
    assert result.exit_code == 2
    assert "environment variable GOVCHECK_MAX_COLUMNS='many': not a whole number of " \
           "columns above 0" in result.stderr


def test_values_longer_than_pythons_csv_allows_still_load(tmp_path):
    """A value over 131,072 characters, in a log whose quoted values hold line breaks and
    whose empty lines are then found by Python's csv module."""
    log = tmp_path / "long.csv"
    long_row = ["C2", "测试受理", "2021-06-11 15:00", "x" * 200_000]
    log.write_text(csv_text([HEADER, ROWS[0]]) + "\n" + 'C3,测试受理,2021-06-11 15:00,"甲\n乙"\n'
                   + csv_text([long_row]), encoding="utf-8")
    con = duckdb.connect()
    assert ingest(con, [log]).events == 3
    assert con.execute("SELECT _row, length(unit) FROM events ORDER BY _row").fetchall() == [
        (2, 2), (4, 3), (5, 200_000)]   # the record of two lines is one row


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

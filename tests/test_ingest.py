"""Event logs into the ``events`` table: formats, encodings, times, bad rows, duplicates, mappings.

Ingest is where real exports meet the engine, so these tests pin what docs/architecture.md
promises about the table and what DESIGN.md promises about bad input: every unusable row
is named by file and row, never dropped without a word.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest

from govcheck.engine.errors import DataError
from govcheck.engine.data.ingest import TIMESTAMP_FORMATS, IngestResult, ingest, ingest_records

DATA = Path(__file__).parent / "data" / "ingest"
REALDATA = (Path(__file__).resolve().parents[2] / "shared" / "realdata" / "teddycup2020c"
            / "messages_with_replies.csv")
HEADER = "case_id,event_type,timestamp,unit,note\n"


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def rows(con, sql: str = "SELECT * FROM events ORDER BY _src, _row") -> list[tuple]:
    return con.execute(sql).fetchall()


def times(con) -> list[dt.datetime]:
    return [r[0] for r in rows(con, 'SELECT "timestamp" FROM events ORDER BY _row')]


# ---------------------------------------------------------------------------
# The table and the formats
# ---------------------------------------------------------------------------

def test_csv_gives_the_table_of_the_contract(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER + "C1,留言受理,2021-09-30 10:00,市局,甲\n"
                                               "C1,留言答复,2021-10-08 09:00,,\n")
    result = ingest(con, [log])
    assert result == IngestResult(files=(str(log),), events=2, bad_rows=0, duplicates=0,
                                  attributes=("note",))
    described = [(r[0], r[1], r[2]) for r in con.execute("DESCRIBE events").fetchall()]
    assert described == [
        ("case_id", "VARCHAR", "NO"), ("event_type", "VARCHAR", "NO"),
        ("timestamp", "TIMESTAMP", "NO"), ("unit", "VARCHAR", "YES"),
        ("event_id", "VARCHAR", "YES"), ("_src", "INTEGER", "YES"), ("_row", "INTEGER", "YES"),
        ("note", "VARCHAR", "YES")]
    assert rows(con) == [
        ("C1", "留言受理", dt.datetime(2021, 9, 30, 10, 0), "市局", None, 0, 2, "甲"),
        ("C1", "留言答复", dt.datetime(2021, 10, 8, 9, 0), None, None, 0, 3, None)]


def test_values_are_trimmed_and_blank_means_missing(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER + " C1 ,\u3000留言受理\t,  2021/9/30 10:00 , ,  \n")
    ingest(con, [log])
    assert rows(con, "SELECT case_id, event_type, unit, note FROM events") == [
        ("C1", "留言受理", None, None)]


def test_canonical_headers_are_matched_without_regard_to_case(con, tmp_path):
    log = write(tmp_path / "log.csv", "Case_ID, Event_Type ,TIMESTAMP,Unit\nC1,受理,2021-09-30,局\n")
    ingest(con, [log])
    assert rows(con, "SELECT case_id, event_type, unit FROM events") == [("C1", "受理", "局")]


def test_utf8_with_bom(con, tmp_path):
    log = tmp_path / "bom.csv"
    log.write_bytes(b"\xef\xbb\xbf" + (HEADER + "C1,留言受理,2021-09-30 10:00,市局,备注\n").encode())
    ingest(con, [log])
    assert rows(con, "SELECT case_id, note FROM events") == [("C1", "备注")]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_and_gb18030_are_detected(con, tmp_path, encoding):
    text = HEADER + "办件1,留言受理,2021年9月30日,邵阳市政务服务中心,网民咨询“社保”问题\n"
    log = write(tmp_path / "excel.csv", text, encoding)
    with pytest.raises(UnicodeDecodeError):
        log.read_bytes().decode("utf-8")
    ingest(con, [log])
    assert rows(con, "SELECT case_id, unit, note FROM events") == [
        ("办件1", "邵阳市政务服务中心", "网民咨询“社保”问题")]


def test_gb18030_file_larger_than_one_chunk_is_transcoded_whole(con, tmp_path, monkeypatch):
    from govcheck.engine.data.ingest import textfiles
    monkeypatch.setattr(textfiles, "CHUNK", 64)  # split multibyte characters across chunks
    body = "".join(f"案{i},留言受理,2021-09-30 10:{i % 60:02d},单位{i},中文备注{i}\n" for i in range(200))
    log = write(tmp_path / "big.csv", HEADER + body, "gb18030")
    result = ingest(con, [log])
    assert result.events == 200
    assert rows(con, "SELECT case_id, note, _row FROM events WHERE case_id = '案199'") == [
        ("案199", "中文备注199", 201)]


def test_gbk_rows_after_a_utf8_start_are_read_as_gb18030_not_dropped(con, tmp_path, monkeypatch):
    """Only the start of a file is checked before DuckDB reads it; DuckDB's reader finds
    the bytes further on that are not UTF-8, and the file is read again, transcoded."""
    from govcheck.engine.data.ingest import textfiles
    monkeypatch.setattr(textfiles, "_SNIFF", 256)
    ascii_rows = "".join(f"A{i},accept,2021-09-30 10:{i % 60:02d},unit,note\n" for i in range(40))
    log = tmp_path / "mixed.csv"
    log.write_bytes((HEADER + ascii_rows).encode() + "办件1,留言受理,2021-09-30,市局,中文\n".encode("gbk"))
    assert log.stat().st_size > 256
    result = ingest(con, [log])
    assert result.events == 41 and result.bad_rows == 0
    assert rows(con, "SELECT case_id, unit, note, _row FROM events WHERE case_id = '办件1'") == [
        ("办件1", "市局", "中文", 42)]


def test_blank_lines_are_found_when_the_start_of_the_file_has_none(con, tmp_path, monkeypatch):
    from govcheck.engine.data.ingest import textfiles
    monkeypatch.setattr(textfiles, "_SNIFF", 64)
    body = "".join(f"C{i},受理,2021-09-30,,\n" for i in range(30))
    log = write(tmp_path / "log.csv", HEADER + body + "\n\nC30,受理,2021-09-30,,\n\n")
    result = ingest(con, [log])
    assert result.events == 31
    assert rows(con, "SELECT _row FROM events WHERE case_id IN ('C29', 'C30') ORDER BY _row") == [
        (31,), (34,)]


def test_utf16_with_bom(con, tmp_path):
    log = write(tmp_path / "unicode.csv", "\ufeff" + HEADER + "C1,受理,2021-09-30,局,注\n", "utf-16-le")
    ingest(con, [log])
    assert rows(con, "SELECT case_id, note FROM events") == [("C1", "注")]


def test_bytes_in_no_known_encoding_are_a_data_error(con, tmp_path):
    log = tmp_path / "binary.csv"
    log.write_bytes(HEADER.encode() + b"C1,\xff\xff\xff,2021-09-30,,\n")
    with pytest.raises(DataError) as err:
        ingest(con, [log])
    assert str(log) in str(err.value) and "neither UTF-8 nor GB18030" in str(err.value)


def test_tab_separated_file(con, tmp_path):
    log = write(tmp_path / "log.tsv", "case_id\tevent_type\ttimestamp\nC1\t受理\t2021-09-30 10:00\n")
    ingest(con, [log])
    assert rows(con, "SELECT case_id, event_type FROM events") == [("C1", "受理")]


def test_xlsx_date_cells_numbers_and_text(con, tmp_path):
    path = tmp_path / "log.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["case_id", "event_type", "timestamp", "unit", "承诺时限", "备注"])
    sheet.append([2549, "留言受理", dt.datetime(2019, 4, 8, 8, 37, 20), "A市", 5, "文本"])
    sheet.append(["C2", "留言答复", "2019/4/25 9:32:09", None, 2.5, None])
    sheet.append([None, None, None, None, None, None])        # blank row: skipped, still counted
    sheet.append(["C3", "留言受理", dt.date(2018, 4, 24), "B市", None, None])
    book.save(path)
    result = ingest(con, [path])
    assert result.events == 3 and result.attributes == ("承诺时限", "备注")
    assert rows(con, 'SELECT case_id, "timestamp", unit, 承诺时限, 备注, _row FROM events '
                     "ORDER BY _row") == [
        ("2549", dt.datetime(2019, 4, 8, 8, 37, 20), "A市", "5", "文本", 2),
        ("C2", dt.datetime(2019, 4, 25, 9, 32, 9), None, "2.5", None, 3),
        ("C3", dt.datetime(2018, 4, 24), "B市", None, None, 5)]


def test_xlsx_bad_rows_are_numbered_as_excel_shows_them(con, tmp_path):
    path = tmp_path / "log.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["case_id", "event_type", "timestamp"])
    sheet.append(["C1", "留言受理", "2021-09-30"])
    sheet.append(["C2", "留言受理", "三十号"])
    sheet.append(["C3", "留言受理", "2021-09-30", "多出来的值"])
    book.save(path)
    with pytest.raises(DataError) as err:
        ingest(con, [path])
    text = str(err.value)
    assert text.startswith(f"{path}: row 3: timestamp not understood ('三十号')")
    assert f"{path}: row 4: has values beyond the last named column ('多出来的值')" in text
    assert err.value.location.row == 3


def test_json_lines_with_line_numbers(con, tmp_path):
    log = write(tmp_path / "log.jsonl",
                '{"case_id": "C1", "event_type": "受理", "timestamp": "2021-09-30 10:00", "n": 5}\n'
                "\n"
                '{"case_id": 2, "event_type": "答复", "timestamp": "2021-10-08T09:00:00+08:00",'
                ' "detail": {"a": [1, 2]}, "ok": true}\n')
    result = ingest(con, [log])
    assert result.attributes == ("n", "detail", "ok")
    assert rows(con, 'SELECT case_id, "timestamp", n, detail, ok, _row FROM events ORDER BY _row') == [
        ("C1", dt.datetime(2021, 9, 30, 10, 0), "5", None, None, 1),
        ("2", dt.datetime(2021, 10, 8, 9, 0), None, '{"a":[1,2]}', "true", 3)]


def test_json_lines_bad_lines_are_named_by_line(con, tmp_path):
    log = write(tmp_path / "log.ndjson",
                '{"case_id": "C1", "event_type": "受理", "timestamp": "2021-09-30"}\n'
                '{"case_id": "C2", "event_type": \n'
                "[1, 2]\n"
                '{"case_id": "C4", "event_type": "受理", "timestamp": null}\n')
    with pytest.raises(DataError) as err:
        ingest(con, [log])
    lines = str(err.value).splitlines()
    assert lines[0].startswith(f"{log}: row 2: not valid JSON")
    assert lines[1].startswith(f"{log}: row 3: not a {{field: value}} object ('[1, 2]')")
    assert lines[2] == f"{log}: row 4: timestamp is blank"


def test_parquet_keeps_types_as_text_and_converts_zoned_times(con, tmp_path):
    path = tmp_path / "log.parquet"
    con.execute(f"""COPY (SELECT * FROM (VALUES
        ('C1', '受理', TIMESTAMP '2021-09-30 10:00:00', 5, TIMESTAMPTZ '2021-09-30 02:00:00+00'),
        ('C2', '答复', TIMESTAMP '2021-10-08 09:00:00', 7, NULL))
        t(case_id, event_type, "timestamp", n, sent)) TO '{path}' (FORMAT parquet)""")
    result = ingest(con, [path])
    assert result.events == 2
    assert rows(con, 'SELECT case_id, "timestamp", n, sent, _row FROM events ORDER BY _row') == [
        ("C1", dt.datetime(2021, 9, 30, 10, 0), "5", "2021-09-30 02:00:00+00", 2),
        ("C2", dt.datetime(2021, 10, 8, 9, 0), "7", None, 3)]


def test_parquet_zoned_timestamp_column_becomes_shanghai_time(con, tmp_path):
    path = tmp_path / "zoned.parquet"
    con.execute(f"""COPY (SELECT 'C1' AS case_id, '受理' AS event_type,
        TIMESTAMPTZ '2021-09-30 02:00:00+00' AS "timestamp") TO '{path}' (FORMAT parquet)""")
    ingest(con, [path])
    assert times(con) == [dt.datetime(2021, 9, 30, 10, 0)]


def test_several_files_are_united_by_column_name(con, tmp_path):
    first = write(tmp_path / "a.csv", "case_id,event_type,timestamp,unit,承办人\n"
                                      "C1,受理,2021-09-30,局,张三\n")
    second = write(tmp_path / "b.jsonl",
                   '{"timestamp": "2021-10-08", "case_id": "C1", "event_type": "答复", "渠道": "网站"}\n')
    result = ingest(con, [first, second])
    assert result.files == (str(first), str(second))
    assert result.attributes == ("承办人", "渠道")
    assert rows(con, "SELECT case_id, event_type, unit, 承办人, 渠道, _src, _row FROM events "
                     "ORDER BY _src") == [
        ("C1", "受理", "局", "张三", None, 0, 2),
        ("C1", "答复", None, None, "网站", 1, 1)]


def test_a_new_load_replaces_the_table(con, tmp_path):
    ingest(con, [write(tmp_path / "a.csv", HEADER + "C1,受理,2021-09-30,,x\n")])
    ingest(con, [write(tmp_path / "b.csv", "case_id,event_type,timestamp\nC2,受理,2021-09-30\n")])
    assert rows(con, "SELECT case_id FROM events") == [("C2",)]
    assert "note" not in [r[0] for r in con.execute("DESCRIBE events").fetchall()]


def test_other_table_name(con, tmp_path):
    ingest(con, [write(tmp_path / "a.csv", HEADER + "C1,受理,2021-09-30,,x\n")], table="log2")
    assert rows(con, "SELECT case_id FROM log2") == [("C1",)]


# ---------------------------------------------------------------------------
# Timestamps
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2021-09-30 10:00:00", dt.datetime(2021, 9, 30, 10, 0, 0)),
    ("2021-09-30T10:00:00", dt.datetime(2021, 9, 30, 10, 0, 0)),
    ("2021-09-30T10:00", dt.datetime(2021, 9, 30, 10, 0)),
    ("2021-09-30 10:00", dt.datetime(2021, 9, 30, 10, 0)),
    ("2021-09-30 10:00:00.250", dt.datetime(2021, 9, 30, 10, 0, 0, 250000)),
    ("2021-09-30", dt.datetime(2021, 9, 30)),
    ("2021-9-3 9:05", dt.datetime(2021, 9, 3, 9, 5)),
    ("2019/4/25 9:32:09", dt.datetime(2019, 4, 25, 9, 32, 9)),
    ("2019/4/5 9:3:9", dt.datetime(2019, 4, 5, 9, 3, 9)),
    ("2018/4/24", dt.datetime(2018, 4, 24)),
    ("2021/9/30 10:00", dt.datetime(2021, 9, 30, 10, 0)),
    ("2021.9.30", dt.datetime(2021, 9, 30)),
    ("2021年9月30日", dt.datetime(2021, 9, 30)),
    ("2021年9月3日", dt.datetime(2021, 9, 3)),
    ("2021年9月30日 10时30分", dt.datetime(2021, 9, 30, 10, 30)),
    ("2021年9月30日10时30分15秒", dt.datetime(2021, 9, 30, 10, 30, 15)),
    ("2021年9月30日 10时", dt.datetime(2021, 9, 30, 10, 0)),
    ("2021年9月30日 10:30", dt.datetime(2021, 9, 30, 10, 30)),
    ("２０２１年９月３０日 １０：３０", dt.datetime(2021, 9, 30, 10, 30)),
    ("  2021-09-30 10:00  ", dt.datetime(2021, 9, 30, 10, 0)),
    ("2021-09-30  10:00", dt.datetime(2021, 9, 30, 10, 0)),
    # zoned times become Asia/Shanghai wall-clock time
    ("2021-09-30T10:00:00+08:00", dt.datetime(2021, 9, 30, 10, 0)),
    ("2021-09-30T02:00:00Z", dt.datetime(2021, 9, 30, 10, 0)),
    ("2021-09-30T02:00:00z", dt.datetime(2021, 9, 30, 10, 0)),
    ("2021-09-30 18:30+0000", dt.datetime(2021, 10, 1, 2, 30)),
    ("2021-09-30T10:00:00-05:00", dt.datetime(2021, 9, 30, 23, 0)),
    ("2021-09-30T10:00:00.5+09", dt.datetime(2021, 9, 30, 9, 0, 0, 500000)),
    ("2021-09-30 10:00 +08:00", dt.datetime(2021, 9, 30, 10, 0)),
    ("1988-07-01T00:00:00Z", dt.datetime(1988, 7, 1, 9, 0)),  # China kept summer time then
])
def test_accepted_time_forms(con, tmp_path, text, expected):
    log = tmp_path / "t.csv"
    with log.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["case_id", "event_type", "timestamp"], ["C1", "受理", text]])
    ingest(con, [log])
    assert times(con) == [expected]


@pytest.mark.parametrize("text", [
    "2021/13/1", "2021-02-30", "21-9-30", "2021-09-30 25:00", "2021年9月", "明天", "44469.5",
    "2021-09-30T10:00:00+99:00", "09/30/2021",
    # shapes the direct YYYY-MM-DD HH:MM:SS reading must not let through
    "21-09-30 10:00:00", "2021-09-3010:00:00", "2021-09-30 10:00:61", "02021-09-30 10:00:00",
])
def test_unreadable_times_are_bad_rows(con, tmp_path, text):
    log = tmp_path / "t.csv"
    with log.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["case_id", "event_type", "timestamp"], ["C1", "受理", text]])
    with pytest.raises(DataError) as err:
        ingest(con, [log])
    assert str(err.value).startswith(f"{log}: row 2: timestamp not understood ('{text}')")


@pytest.mark.parametrize("fmt, text, expected", [
    ("%Y-%m-%d %H:%M:%S", "2021-9-3 9:5:7", dt.datetime(2021, 9, 3, 9, 5, 7)),
    ("%Y-%m-%d %H:%M", "2021-9-3 9:05", dt.datetime(2021, 9, 3, 9, 5)),
    ("%Y-%m-%d %H", "2021-9-3 9", dt.datetime(2021, 9, 3, 9)),
    ("%Y-%m-%d", "2021-9-3", dt.datetime(2021, 9, 3)),
])
def test_duckdb_strptime_reads_one_digit_fields(con, fmt, text, expected):
    assert fmt in TIMESTAMP_FORMATS
    assert con.execute("SELECT strptime(?, ?)", [text, fmt]).fetchone()[0] == expected
    assert con.execute("SELECT try_strptime('2021-13-3', ?)", [fmt]).fetchone()[0] is None


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------

def test_missing_file(con, tmp_path):
    with pytest.raises(DataError) as err:
        ingest(con, [tmp_path / "nope.csv"])
    assert str(err.value) == f"{tmp_path / 'nope.csv'}: file not found"


@pytest.mark.parametrize("name, content", [
    ("empty.csv", b""), ("blank.csv", b"\n \n"), ("bom.csv", b"\xef\xbb\xbf"),
    ("empty.jsonl", b""), ("blank.jsonl", b"\n\n"), ("empty.parquet", b""),
], ids=["empty.csv", "blank.csv", "bom.csv", "empty.jsonl", "blank.jsonl", "empty.parquet"])
def test_empty_file(con, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as err:
        ingest(con, [path])
    assert str(err.value) == f"{path}: empty file"


def test_empty_xlsx(con, tmp_path):
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(DataError) as err:
        ingest(con, [path])
    assert str(err.value) == f"{path}: empty file"


def test_header_only_file_gives_no_events(con, tmp_path):
    result = ingest(con, [write(tmp_path / "h.csv", HEADER)])
    assert result.events == 0 and rows(con) == []


def test_unknown_format(con, tmp_path):
    with pytest.raises(DataError) as err:
        ingest(con, [write(tmp_path / "log.xls", "x")])
    assert "unknown log format '.xls'" in str(err.value)


def test_no_paths(con):
    with pytest.raises(DataError, match="no event log given"):
        ingest(con, [])


@pytest.mark.parametrize("column", ["case_id", "event_type", "timestamp"])
def test_missing_required_column_names_file_column_and_columns_found(con, tmp_path, column):
    names = [c for c in ("case_id", "event_type", "timestamp", "unit") if c != column]
    log = write(tmp_path / "log.csv", ",".join(names) + "\n" + ",".join("x" for _ in names) + "\n")
    with pytest.raises(DataError) as err:
        ingest(con, [log])
    assert str(err.value) == (f"{log}: missing column {column!r} "
                              f"(columns found: {', '.join(names)})")


def test_repeated_header_is_refused(con, tmp_path):
    log = write(tmp_path / "log.csv", "case_id,event_type,timestamp,备注,备注\n")
    with pytest.raises(DataError) as err:
        ingest(con, [log])
    assert str(err.value) == f"{log}: row 1: column '备注' appears twice (columns 4 and 5)"


def test_reserved_column_name_is_refused(con, tmp_path):
    log = write(tmp_path / "log.csv", "case_id,event_type,timestamp,_row\nC1,受理,2021-09-30,1\n")
    with pytest.raises(DataError, match="'_row', a name ingest keeps for itself"):
        ingest(con, [log])


def test_every_bad_row_is_named_with_its_value(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER +
                "C1,受理,2021-09-30 10:00,,\n"        # row 2 fine
                ",受理,2021-09-30 10:00,,\n"          # row 3 blank case_id
                "C3,,2021-09-30 10:00,,\n"            # row 4 blank event_type
                "C4,受理,,,\n"                        # row 5 blank timestamp
                "C5,受理,2021/9/31,,\n"               # row 6 no such day
                "C6,受理,2021-09-30,局,x,多余\n"      # row 7 too many fields
                "C7,受理\n"                           # row 8 too few
                "C8,受理,2021-09-30,,\n")             # row 9 fine
    with pytest.raises(DataError) as err:
        ingest(con, [log])
    assert err.value.location.path == str(log) and err.value.location.row == 3
    assert str(err.value).splitlines() == [
        f"{log}: row 3: case_id is blank",
        f"{log}: row 4: event_type is blank",
        f"{log}: row 5: timestamp is blank",
        f"{log}: row 6: timestamp not understood ('2021/9/31')",
        f"{log}: row 7: has more fields than the header's 5 ('C6,受理,2021-09-30,局,x,多余')",
        f"{log}: row 8: has 2 fields, the header has 5 ('C7,受理')",
        "6 rows cannot be used; nothing was loaded (correct the log, or pass --bad-rows FILE "
        "to set such rows aside and go on)"]
    assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'events'"
                           ).fetchone()[0]


def first_problem(con, log: Path) -> str:
    """The first line of the error a load of ``log`` stops with."""
    with pytest.raises(DataError) as err:
        ingest(con, [log])
    return str(err.value).splitlines()[0]


def test_a_ragged_row_after_an_empty_line_is_shown_without_the_line_break(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER + "C1,受理,2021-09-30,,\n\nC2,受理,2021-09-30,局,x,多余\n")
    assert first_problem(con, log) == (
        f"{log}: row 4: has more fields than the header's 5 ('C2,受理,2021-09-30,局,x,多余')")


def test_one_row_with_several_problems_lists_them_all(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER + ",,明天,,\n")
    assert first_problem(con, log) == (
        f"{log}: row 2: case_id is blank; event_type is blank; timestamp not understood ('明天')")


def test_the_listing_stops_at_twenty(con, tmp_path):
    body = "".join(f"C{i},受理,bad{i},,\n" for i in range(25))
    log = write(tmp_path / "log.csv", HEADER + body)
    with pytest.raises(DataError) as err:
        ingest(con, [log])
    lines = str(err.value).splitlines()
    assert len(lines) == 22
    assert lines[19] == f"{log}: row 21: timestamp not understood ('bad19')"
    assert lines[20] == "… and 5 more"
    assert lines[21].startswith("25 rows cannot be used")


def test_long_values_are_cut_short_in_messages(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER + f"C1,受理,{'9' * 100},,\n")
    with pytest.raises(DataError) as err:
        ingest(con, [log])
    assert f"('{'9' * 60}…')" in str(err.value)


def test_rows_keep_their_spreadsheet_number_across_blank_lines_and_multiline_values(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER +
                "C1,受理,2021-09-30,,\n"                 # row 2
                "\n"                                    # row 3: empty line
                'C2,受理,2021-09-30,,"两行\n的备注"\n'     # row 4 (spans two lines)
                "   \n"                                 # row 5: blank
                ",,,,\n"                                # row 6: nothing in it
                "C3,受理,9999,,\n"                       # row 7: bad
                "\n"                                    # row 8
                "C4,受理,2021-09-30,,\n"                 # row 9
                "\n\n")
    with pytest.raises(DataError) as err:
        ingest(con, [log])
    assert str(err.value).splitlines()[0] == f"{log}: row 7: timestamp not understood ('9999')"
    result = ingest(con, [log], bad_rows_path=tmp_path / "bad.csv")
    assert result.events == 3 and result.bad_rows == 1
    assert rows(con, "SELECT case_id, _row, note FROM events ORDER BY _row") == [
        ("C1", 2, None), ("C2", 4, "两行\n的备注"), ("C4", 9, None)]


def test_rows_keep_their_number_after_blank_lines_without_multiline_values(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER + "C1,受理,2021-09-30,,\n\n\nC2,受理,bad,,\nC3,受理,2021-09-30,,\n")
    result = ingest(con, [log], bad_rows_path=tmp_path / "bad.csv")
    assert result.bad_rows == 1
    assert rows(con, "SELECT case_id, _row FROM events ORDER BY _row") == [("C1", 2), ("C3", 6)]
    with (tmp_path / "bad.csv").open(encoding="utf-8-sig") as f:
        assert [r["row"] for r in csv.DictReader(f)] == ["5"]


def test_rows_after_a_rejected_row_keep_their_number(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER + "C1,受理\nC2,受理,2021-09-30,,\n\"C3\"x,y\nC4,受理,2021-09-30,,\n")
    result = ingest(con, [log], bad_rows_path=tmp_path / "bad.csv")
    assert result.bad_rows == 2
    assert rows(con, "SELECT case_id, _row FROM events ORDER BY _row") == [("C2", 3), ("C4", 5)]


def test_bad_rows_file_lets_the_load_go_on(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER +
                "C1,受理,2021-09-30 10:00,局,好\n"
                "C2,受理,2021/13/01,局,\"坏,的\"\n"
                "C3,受理\n"
                "C4,答复,2021-10-08 10:00,局,好\n")
    bad = tmp_path / "out" / "bad.csv"
    bad.parent.mkdir()
    result = ingest(con, [log], bad_rows_path=bad)
    assert (result.events, result.bad_rows) == (2, 2)
    assert rows(con, "SELECT case_id FROM events ORDER BY _row") == [("C1",), ("C4",)]
    raw = bad.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with bad.open(encoding="utf-8-sig", newline="") as f:
        written = list(csv.DictReader(f))
    assert [(r["file"], r["row"], r["reason"]) for r in written] == [
        (str(log), "3", "timestamp not understood ('2021/13/01')"),
        (str(log), "4", "has 2 fields, the header has 5 ('C3,受理')")]
    assert written[0]["values"] == ('{"case_id":"C2","event_type":"受理","timestamp":"2021/13/01",'
                                    '"unit":"局","note":"坏,的"}')
    assert written[1]["values"] == "C3,受理"


def test_bad_rows_file_is_written_even_when_all_rows_are_good(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER + "C1,受理,2021-09-30,,\n")
    bad = tmp_path / "bad.csv"
    assert ingest(con, [log], bad_rows_path=bad).bad_rows == 0
    assert bad.read_text(encoding="utf-8-sig").splitlines() == ["file,row,reason,values"]


def test_bad_rows_from_several_files(con, tmp_path):
    a = write(tmp_path / "a.csv", HEADER + "C1,受理,x,,\n")
    b = write(tmp_path / "b.jsonl", '{"case_id": "C2", "event_type": "受理", "timestamp": "y"}\n')
    with pytest.raises(DataError) as err:
        ingest(con, [a, b])
    assert str(err.value).splitlines()[:2] == [
        f"{a}: row 2: timestamp not understood ('x')",
        f"{b}: row 1: timestamp not understood ('y')"]


# ---------------------------------------------------------------------------
# Exports as they come: mixed line ends, workbooks with titles and note sheets
# ---------------------------------------------------------------------------

MIXED_BODY = ("C1,受理,2021-09-30 10:00,局,甲{nl}"
              'C2,受理,2021-09-30 11:00,局,"两行{nl}的备注"{nl}'
              "{nl}"
              "C3,受理,三十号,局,乙{nl}"
              "C4,受理{nl}"
              "C5,答复,2021-10-08 09:00,局,丙{nl}")


def mixed(body: str) -> str:
    """``body`` with its line ends taking turns: \\r\\n, \\n, \\r\\n, …"""
    parts = body.split("{nl}")
    return "".join(p + ("\r\n" if i % 2 == 0 else "\n") for i, p in enumerate(parts[:-1])) + parts[-1]


def loaded(con, log: Path, tmp_path: Path) -> tuple[list[tuple], list[tuple]]:
    """The events of ``log`` (bad rows set aside), and the bad rows written."""
    bad = tmp_path / f"bad-{log.stem}.csv"
    ingest(con, [log], bad_rows_path=bad)
    with bad.open(encoding="utf-8-sig", newline="") as f:
        written = [(r["row"], r["reason"]) for r in csv.DictReader(f)]
    return rows(con, "SELECT case_id, _row, note FROM events ORDER BY _row"), written


def test_mixed_line_ends_are_read_like_one_kind(con, tmp_path):
    """DuckDB's reader stops at a file whose lines end both in \\r\\n and in \\n ("CSV Parser
    state machine reached an invalid state"); Python's csv module reads it, and so does
    ingest: the same rows, numbers, values and bad rows as the file with \\n alone."""
    plain = write(tmp_path / "plain.csv", HEADER + MIXED_BODY.replace("{nl}", "\n"))
    both = write(tmp_path / "both.csv", mixed(HEADER.replace("\n", "{nl}") + MIXED_BODY))
    assert b"\r\n" in both.read_bytes() and b"\n" in both.read_bytes().replace(b"\r\n", b"")
    with pytest.raises(duckdb.InvalidInputException):
        con.execute(f"SELECT * FROM read_csv('{both}', auto_detect = false, header = true, "
                    "columns = {'a': 'VARCHAR', 'b': 'VARCHAR', 'c': 'VARCHAR', 'd': 'VARCHAR', "
                    "'e': 'VARCHAR'})").fetchall()
    events, bad = loaded(con, both, tmp_path)
    assert (events, bad) == loaded(con, plain, tmp_path)
    assert events == [("C1", 2, "甲"), ("C2", 3, "两行\n的备注"), ("C5", 7, "丙")]
    assert bad == [("5", "timestamp not understood ('三十号')"),
                   ("6", "has 2 fields, the header has 5 ('C4,受理')")]


def test_mixed_line_ends_stop_the_load_at_the_bad_rows_by_number(con, tmp_path):
    log = write(tmp_path / "log.csv", mixed(HEADER.replace("\n", "{nl}") + MIXED_BODY))
    assert first_problem(con, log) == f"{log}: row 5: timestamp not understood ('三十号')"


def test_a_lone_carriage_return_ends_a_line_as_python_csv_reads_it(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER + "C1,受理,2021-09-30,,a\rC2,受理,2021-09-30,,b\r\n"
                                               "C3,受理,2021-09-30,,c\n")
    with log.open(encoding="utf-8", newline="") as f:
        expected = [(r[0], n, r[4]) for n, r in enumerate(csv.reader(f), start=1) if n > 1]
    ingest(con, [log])
    assert rows(con, "SELECT case_id, _row, note FROM events ORDER BY _row") == expected


def test_mixed_line_ends_split_across_chunks_and_in_gbk(con, tmp_path, monkeypatch):
    from govcheck.engine.data.ingest import textfiles
    monkeypatch.setattr(textfiles, "CHUNK", 7)  # a \r at a chunk's end, its \n in the next
    body = "".join(f"案{i},受理,2021-09-30,局,注{i}" + ("\r\n" if i % 3 else "\n") for i in range(40))
    log = write(tmp_path / "log.csv", HEADER + body, "gbk")
    result = ingest(con, [log])
    assert result.events == 40
    assert rows(con, "SELECT case_id, _row, note FROM events WHERE case_id = '案39'") == [
        ("案39", 41, "注39")]


def test_json_lines_with_mixed_line_ends(con, tmp_path):
    log = write(tmp_path / "log.jsonl",
                '{"case_id": "C1", "event_type": "受理", "timestamp": "2021-09-30"}\r\n'
                '{"case_id": "C2", "event_type": "受理", "timestamp": "2021-09-30"}\n'
                "\r\n"
                '{"case_id": "C3", "event_type": "受理", "timestamp": "2021-09-30"}\r\n')
    ingest(con, [log])
    assert rows(con, "SELECT case_id, _row FROM events ORDER BY _row") == [
        ("C1", 1), ("C2", 2), ("C3", 4)]


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """An XLSX file with these sheets, in this order, each given as its rows."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, sheet_rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in sheet_rows:
            sheet.append(row)
    book.save(path)
    return path


TITLE = "邵阳市12345热线工单导出（2022年）"
SHEET_HEADER = ["case_id", "event_type", "timestamp", "unit"]
SHEET_ROWS = [["RX1", "工单受理", "2022-03-01 09:00", "城步县"],
              ["RX1", "工单办结", "2022-03-04 17:00", "城步县"]]
NOTES = [["填表说明"], ["1. 每行一个事件"], ["2. 时间格式为 2022-03-01 09:00"]]


def test_a_title_row_above_the_header(con, tmp_path):
    path = workbook(tmp_path / "log.xlsx", {"工单": [[TITLE], SHEET_HEADER, *SHEET_ROWS]})
    assert ingest(con, [path]).events == 2
    assert rows(con, "SELECT case_id, event_type, _row FROM events ORDER BY _row") == [
        ("RX1", "工单受理", 3), ("RX1", "工单办结", 4)]


def test_blank_rows_above_the_header(con, tmp_path):
    path = workbook(tmp_path / "log.xlsx", {"Sheet1": [[], [None, None], [TITLE], [], SHEET_HEADER,
                                                       *SHEET_ROWS, [], ["RX2", "工单受理", "坏"]]})
    with pytest.raises(DataError) as err:
        ingest(con, [path])
    assert str(err.value).splitlines()[0] == f"{path}: row 9: timestamp not understood ('坏')"
    ingest(con, [path], bad_rows_path=tmp_path / "bad.csv")
    assert rows(con, "SELECT _row FROM events ORDER BY _row") == [(6,), (7,)]


def test_a_note_sheet_before_the_data_sheet(con, tmp_path):
    path = workbook(tmp_path / "log.xlsx", {"说明": NOTES, "工单": [[TITLE], SHEET_HEADER, *SHEET_ROWS]})
    assert ingest(con, [path]).events == 2
    assert rows(con, "SELECT _row FROM events ORDER BY _row") == [(3,), (4,)]


def test_the_header_is_found_by_the_columns_the_mapping_renames(con, tmp_path):
    path = workbook(tmp_path / "export.xlsx", {
        "说明": [["工单编号", "工单的编号"]],
        "数据": [[TITLE], ["工单编号", "办理环节", "时间", "承办单位"],
                 ["RX1", "工单受理", "2022-03-01 09:00", "城步县"]]})
    mapping = write(tmp_path / "m.yaml", "columns: {工单编号: case_id, 办理环节: event_type, "
                                         "时间: timestamp, 承办单位: unit}\n")
    ingest(con, [path], mapping=mapping)
    assert rows(con, "SELECT case_id, event_type, unit, _row FROM events") == [
        ("RX1", "工单受理", "城步县", 3)]


def test_a_sheet_named_is_read(con, tmp_path):
    path = workbook(tmp_path / "log.xlsx", {"2021": [SHEET_HEADER, ["OLD", "工单受理", "2021-03-01"]],
                                            "2022": [SHEET_HEADER, *SHEET_ROWS]})
    ingest(con, [path])
    assert rows(con, "SELECT DISTINCT case_id FROM events") == [("OLD",)]
    ingest(con, [path], sheet="2022")
    assert rows(con, "SELECT DISTINCT case_id FROM events") == [("RX1",)]


def test_a_sheet_named_that_is_not_there_is_refused_with_the_sheets(con, tmp_path):
    path = workbook(tmp_path / "log.xlsx", {"说明": NOTES, "工单": [SHEET_HEADER, *SHEET_ROWS]})
    with pytest.raises(DataError) as err:
        ingest(con, [path], sheet="数据")
    assert str(err.value) == f"{path}: no sheet named '数据' (sheets: 说明, 工单)"


def test_a_sheet_named_for_logs_that_are_no_workbooks_is_refused(con, tmp_path):
    log = write(tmp_path / "log.csv", HEADER + "C1,受理,2021-09-30,,\n")
    with pytest.raises(DataError, match="sheet '工单' is named, but no log is an XLSX workbook"):
        ingest(con, [log], sheet="工单")


def test_a_workbook_without_a_header_names_its_sheets(con, tmp_path):
    path = workbook(tmp_path / "log.xlsx", {"说明": NOTES, "工单": [[TITLE], ["编号", "时间"], ["RX1", "x"]]})
    with pytest.raises(DataError) as err:
        ingest(con, [path])
    assert str(err.value) == (f"{path}: missing column 'case_id' (columns found in sheet '说明', "
                              "row 1: 填表说明; sheets: 说明, 工单)")
    with pytest.raises(DataError) as err:
        ingest(con, [path], sheet="工单")
    assert str(err.value) == (f"{path}: missing column 'case_id' (columns found in sheet '工单', "
                              f"row 1: {TITLE}; sheets: 说明, 工单)")


def test_a_repeated_column_is_named_at_the_header_row(con, tmp_path):
    path = workbook(tmp_path / "log.xlsx", {"工单": [[TITLE], SHEET_HEADER + ["unit"]]})
    with pytest.raises(DataError) as err:
        ingest(con, [path])
    assert str(err.value) == f"{path}: row 2: column 'unit' appears twice (columns 4 and 5)"


@pytest.mark.parametrize("name, content, what", [
    ("log.xlsx", b"PK\x03\x04 not really a zip", "an XLSX workbook"),
    ("log.xlsx", "case_id,event_type,timestamp\n".encode(), "an XLSX workbook"),
    ("log.parquet", b"PAR1 not really parquet", "Parquet"),
], ids=["not-a-zip", "csv-named-xlsx", "not-parquet"])
def test_a_file_its_reader_cannot_open_is_refused_in_our_words(con, tmp_path, name, content, what):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as err:
        ingest(con, [path])
    assert str(err.value) == f"{path}: cannot be read as {what}: the file is damaged or is not {what}"


# ---------------------------------------------------------------------------
# Duplicates
# ---------------------------------------------------------------------------

def test_identical_rows_count_once(con, tmp_path):
    row = "C1,受理,2021-09-30 10:00,局,x\n"
    log = write(tmp_path / "log.csv", HEADER + row + row + "C1,受理,2021-09-30 10:00,局,y\n" + row)
    result = ingest(con, [log])
    assert (result.events, result.duplicates) == (2, 2)
    assert rows(con, "SELECT note, _row FROM events ORDER BY _row") == [("x", 2), ("y", 4)]


def test_identical_rows_across_files_and_spellings_count_once(con, tmp_path):
    a = write(tmp_path / "a.csv", HEADER + "C1,受理,2021/9/30 10:00,局,x\n")
    b = write(tmp_path / "b.csv", HEADER + "C1,受理,2021-09-30T10:00:00+08:00,局,x\n")
    result = ingest(con, [a, b])
    assert (result.events, result.duplicates) == (1, 1)
    assert rows(con, "SELECT _src FROM events") == [(0,)]


def test_same_event_id_counts_once(con, tmp_path):
    log = write(tmp_path / "log.csv", "case_id,event_type,timestamp,event_id,note\n"
                                      "C1,受理,2021-09-30,E1,first\n"
                                      "C1,受理,2021-09-30,E1,second export\n"
                                      "C1,受理,2021-09-30,E2,other\n"
                                      "C1,受理,2021-09-30,,no id\n"
                                      "C1,受理,2021-09-30,,no id\n")
    result = ingest(con, [log])
    assert (result.events, result.duplicates) == (3, 2)
    assert rows(con, "SELECT event_id, note FROM events ORDER BY _row") == [
        ("E1", "first"), ("E2", "other"), (None, "no id")]


# ---------------------------------------------------------------------------
# Mapping files
# ---------------------------------------------------------------------------

def test_mapping_renames_drops_and_sets_constants(con, tmp_path):
    log = write(tmp_path / "export.csv", "编号,类型,时间,内部备注,承办人\n"
                                         "A1,留言受理,2021/9/30 10:00,不要,张三\n")
    mapping = write(tmp_path / "m.yaml", "columns: {编号: case_id, 类型: event_type, 时间: timestamp,"
                                         " 承办人: handler}\n"
                                         "drop: [内部备注]\n"
                                         "constants: {unit: 市政务服务中心, 渠道: 网站}\n")
    result = ingest(con, [log], mapping=mapping)
    assert result.attributes == ("handler", "渠道")
    assert rows(con, 'SELECT case_id, event_type, "timestamp", unit, handler, 渠道 FROM events') == [
        ("A1", "留言受理", dt.datetime(2021, 9, 30, 10, 0), "市政务服务中心", "张三", "网站")]


@pytest.mark.parametrize("suffix,text", [
    (".csv", "办件编号,时间,承办人,备注\nB1,2021-09-30 10:00,张三,\n\nB2,不是时间,李四,x\n"
             "B3,2021/10/8 9:00,,y\n"),
    (".jsonl", '{"办件编号": "B1", "时间": "2021-09-30 10:00", "承办人": "张三"}\n\n'
               '{"办件编号": "B2", "时间": "不是时间", "承办人": "李四", "备注": "x"}\n'
               '{"办件编号": "B3", "时间": "2021/10/8 9:00", "备注": "y"}\n')])
def test_one_log_gives_the_same_table_as_when_read_with_others(con, tmp_path, suffix, text):
    """A single log's rows table becomes the events table by renaming its columns; with
    other logs (here one holding a copy) the events are copied. Both give the contract's
    table, row for row."""
    log = write(tmp_path / f"export{suffix}", text)
    other = write(tmp_path / f"other{suffix}",      # a copy of B1 from another export
                  "办件编号,时间,承办人\nB1,2021-09-30 10:00,张三\n" if suffix == ".csv" else
                  '{"办件编号": "B1", "时间": "2021-09-30T10:00:00", "承办人": "张三"}\n')
    mapping = write(tmp_path / "m.yaml", "columns: {办件编号: case_id, 时间: timestamp, 承办人: handler}\n"
                                         "constants: {event_type: 办件受理, 渠道: 网站}\n")
    tables = []
    for logs in ([log], [log, other]):
        result = ingest(con, logs, mapping=mapping, bad_rows_path=tmp_path / "bad.csv")
        assert (result.events, result.bad_rows, result.duplicates) == (2, 1, len(logs) - 1)
        tables.append((con.execute("DESCRIBE events").fetchall(),
                       rows(con, "SELECT * FROM events ORDER BY _row")))
    assert tables[0] == tables[1]
    assert [c[:3] for c in tables[0][0]] == [
        ("case_id", "VARCHAR", "NO"), ("event_type", "VARCHAR", "NO"),
        ("timestamp", "TIMESTAMP", "NO"), ("unit", "VARCHAR", "YES"),
        ("event_id", "VARCHAR", "YES"), ("_src", "INTEGER", "YES"), ("_row", "INTEGER", "YES"),
        ("handler", "VARCHAR", "YES"), ("备注", "VARCHAR", "YES"), ("渠道", "VARCHAR", "YES")]
    first = 2 if suffix == ".csv" else 1
    assert tables[0][1] == [
        ("B1", "办件受理", dt.datetime(2021, 9, 30, 10, 0), None, None, 0, first, "张三", None, "网站"),
        ("B3", "办件受理", dt.datetime(2021, 10, 8, 9, 0), None, None, 0, first + 3, None, "y", "网站")]


def test_mapping_constant_event_type_for_a_one_step_export(con, tmp_path):
    log = write(tmp_path / "export.csv", "办件编号,受理时间\nB1,2021-09-30 10:00\n")
    mapping = write(tmp_path / "m.yaml", "columns: {办件编号: case_id, 受理时间: timestamp}\n"
                                         "constants: {event_type: 办件受理}\n")
    ingest(con, [log], mapping=mapping)
    assert rows(con, "SELECT case_id, event_type FROM events") == [("B1", "办件受理")]


def test_mapping_wide_export_unreadable_time_stops_the_load(con):
    with pytest.raises(DataError) as err:
        ingest(con, [DATA / "wide_messages.csv"], mapping=DATA / "wide_mapping.yaml")
    assert str(err.value).splitlines()[0] == (
        f"{DATA / 'wide_messages.csv'}: row 4: timestamp (答复时间) not understood ('2021/10/99')")


def test_mapping_wide_export_blank_time_means_no_event(con, tmp_path):
    bad = tmp_path / "bad.csv"
    result = ingest(con, [DATA / "wide_messages.csv"], mapping=DATA / "wide_mapping.yaml",
                    bad_rows_path=bad)
    assert (result.events, result.bad_rows) == (3, 1)
    assert result.attributes == ("user", "reply")
    assert rows(con, 'SELECT case_id, event_type, "timestamp", unit, user, reply, _row FROM events '
                     "ORDER BY _row, \"timestamp\"") == [
        ("101", "留言受理", dt.datetime(2021, 9, 30, 10, 0), "市政务服务中心", "A001", None, 2),
        ("101", "留言答复", dt.datetime(2021, 10, 8, 9, 0), "市政务服务中心", "A001", "已办理", 2),
        ("102", "留言受理", dt.datetime(2021, 10, 9, 8, 30), "市政务服务中心", "A002", None, 3)]
    with bad.open(encoding="utf-8-sig") as f:
        written = list(csv.DictReader(f))
    assert [(r["row"], r["reason"]) for r in written] == [
        ("4", "timestamp (答复时间) not understood ('2021/10/99')")]


def test_mapping_wide_row_without_any_time_is_a_bad_row(con, tmp_path):
    log = write(tmp_path / "w.csv", "留言编号,留言用户,留言时间,答复时间,答复意见\n9,U,,,\n")
    with pytest.raises(DataError) as err:
        ingest(con, [log], mapping=DATA / "wide_mapping.yaml")
    assert str(err.value).splitlines()[0] == (
        f"{log}: row 2: no time in any of 留言时间, 答复时间: the row gives no event")


def test_mapping_timestamp_formats_come_first(con, tmp_path):
    log = write(tmp_path / "e.csv", "case_id,event_type,timestamp\nC1,受理,30.09.2021 10:15\n")
    mapping = write(tmp_path / "m.yaml", "timestamp_formats: ['%d.%m.%Y %H:%M']\n")
    ingest(con, [log], mapping=mapping)
    assert times(con) == [dt.datetime(2021, 9, 30, 10, 15)]


@pytest.mark.parametrize("text, where, message", [
    ("colums: {a: case_id}\n", ":1:1", "unknown key 'colums'"),
    ("events:\n  - {event_type: 受理, timestamp: t, when: x}\n", ":2:36",
     "unknown key 'when': an events entry may have event_type, timestamp, columns, constants"),
    ("events:\n  - {event_type: 受理}\n", ":2:5", "this entry needs timestamp"),
    ("constants: {timestamp: '2021-01-01'}\n", ":1:13", "timestamp cannot be a constant"),
    ("columns: {a: _row}\n", ":1:14", "reserves for itself"),
    ("columns: {a: x, b: x}\n", ":1:20", "would both become 'x'"),
    ("columns: {id: event_id}\nevents:\n  - {event_type: 受理, timestamp: t}\n", ":1:15",
     "map event_id in an entry's columns"),
    ("timestamp_formats: ['%d.%m.%Y %z']\n", ":1:21", "zone directives"),
    ("timestamp_formats: ['%d.%m.%Y %Q']\n", ":1:21",
     "'%d.%m.%Y %Q' is not a timestamp format: use strptime's %Y, %m, %d, %H, %M, %S"),
    ("values: {unit: [市局]}\n", ":1:16", "the values of 'unit' map a value to the value it"),
    ("values: {timestamp: {a: b}}\n", ":1:10", "the values of timestamp are times"),
    ("values: {unit: {a: b, b: c}}\n", ":1:20", "'b' is itself mapped, to 'c': map 'a' to 'c'"),
    ("values: {unit: {a: ''}}\n", ":1:20", "the value it stands for cannot be blank"),
    ("values: {unit: {1: a, '1': b}}\n", ":1:23", "the value '1' is given twice"),
    ("- a\n- b\n", ":1:1", "a mapping file is a YAML mapping"),
    ("columns: {a: case_id\n", ":2:1", "YAML syntax error"),
])
def test_mapping_mistakes_are_located(con, tmp_path, text, where, message):
    log = write(tmp_path / "e.csv", HEADER + "C1,受理,2021-09-30,,\n")
    mapping = write(tmp_path / "m.yaml", text)
    with pytest.raises(DataError) as err:
        ingest(con, [log], mapping=mapping)
    assert str(err.value).startswith(f"{mapping}{where}: ")
    assert message in str(err.value)


def test_mapping_column_in_no_log_is_located(con, tmp_path):
    log = write(tmp_path / "e.csv", HEADER + "C1,受理,2021-09-30,,\n")
    mapping = write(tmp_path / "m.yaml", "columns:\n  note: 备注\n  承办人: handler\n")
    with pytest.raises(DataError) as err:
        ingest(con, [log], mapping=mapping)
    assert str(err.value) == (f"{mapping}:3:3: column '承办人' is in none of the logs (columns "
                              f"found: {log}: case_id, event_type, timestamp, unit, note)")


def test_mapping_wide_time_column_missing_from_one_file(con, tmp_path):
    log = write(tmp_path / "w.csv", "留言编号,留言用户,留言时间\n9,U,2021-09-30\n")
    with pytest.raises(DataError) as err:
        ingest(con, [DATA / "wide_messages.csv", log], mapping=DATA / "wide_mapping.yaml")
    assert str(err.value).startswith(f"{log}: missing column '答复时间' named as the time of 留言答复")


def test_mapping_that_leaves_case_id_missing(con, tmp_path):
    log = write(tmp_path / "e.csv", "编号,event_type,timestamp\nC1,受理,2021-09-30\n")
    mapping = write(tmp_path / "m.yaml", "columns: {编号: 办件号}\n")
    with pytest.raises(DataError) as err:
        ingest(con, [log], mapping=mapping)
    assert str(err.value) == (f"{log}: missing column 'case_id' after applying mapping {mapping} "
                              "(columns found: 编号, event_type, timestamp)")


def test_mapping_rename_onto_an_existing_column_is_refused(con, tmp_path):
    log = write(tmp_path / "e.csv", "编号,case_id,event_type,timestamp\nA,B,受理,2021-09-30\n")
    mapping = write(tmp_path / "m.yaml", "columns: {编号: case_id}\n")
    with pytest.raises(DataError, match="two columns would be named 'case_id'"):
        ingest(con, [log], mapping=mapping)


def test_mapping_values_put_one_name_in_place_of_others(con, tmp_path):
    log = write(tmp_path / "e.csv", "case_id,event_type,timestamp,unit\n"
                                    "C1,工单受理,2022-03-01 09:00,城步县人民政府\n"
                                    "C1,工单完结,2022-03-04 09:00, 城步县人民政府 \n"
                                    "C2,工单受理,2022-03-01 09:00,城步县\n"
                                    "C2,工单受理,2022-03-01 09:00,城步县人民政府\n")
    mapping = write(tmp_path / "m.yaml", "values:\n"
                                         "  unit: {城步县人民政府: 城步县}\n"
                                         "  event_type: {工单完结: 工单办结}\n")
    result = ingest(con, [log], mapping=mapping)
    assert (result.events, result.duplicates) == (3, 1)   # C2's two rows are one event now
    assert rows(con, "SELECT case_id, event_type, unit, _row FROM events ORDER BY _row") == [
        ("C1", "工单受理", "城步县", 2), ("C1", "工单办结", "城步县", 3), ("C2", "工单受理", "城步县", 4)]


def test_mapping_values_apply_to_renamed_columns_constants_and_wide_exports(con, tmp_path):
    mapping = write(tmp_path / "m.yaml", (DATA / "wide_mapping.yaml").read_text(encoding="utf-8")
                    + "values:\n  unit: {市政务服务中心: 邵阳市政务服务中心}\n"
                      "  event_type: {留言答复: 答复}\n  user: {A001: 甲}\n")
    ingest(con, [DATA / "wide_messages.csv"], mapping=mapping, bad_rows_path=tmp_path / "bad.csv")
    assert rows(con, "SELECT DISTINCT event_type, unit FROM events ORDER BY 1") == [
        ("留言受理", "邵阳市政务服务中心"), ("答复", "邵阳市政务服务中心")]
    assert rows(con, "SELECT DISTINCT user FROM events ORDER BY 1") == [("A002",), ("甲",)]


def test_mapping_values_of_a_column_no_log_gives_is_located_in_the_mapping(con, tmp_path):
    log = write(tmp_path / "e.csv", "编号,event_type,timestamp,承办单位\nC1,受理,2021-09-30,局\n")
    mapping = write(tmp_path / "m.yaml", "columns: {编号: case_id, 承办单位: unit}\n"
                                         "values:\n  承办单位: {局: 市局}\n")
    with pytest.raises(DataError) as err:
        ingest(con, [log], mapping=mapping)
    assert str(err.value) == (f"{mapping}:3:3: values maps column '承办单位', which no log gives "
                              "(columns after the mapping's renames: event_type, case_id, unit)")


@pytest.mark.skipif(not REALDATA.exists(), reason="the 2020 泰迪杯 export is not on this machine")
def test_real_message_board_export(con):
    result = ingest(con, [REALDATA], mapping=DATA / "teddycup2020c_mapping.yaml")
    assert (result.events, result.bad_rows, result.duplicates) == (5632, 0, 0)
    assert result.attributes == ("user", "subject", "reply")
    assert rows(con, "SELECT count(DISTINCT case_id), count(*) FILTER (event_type = '留言答复') "
                     "FROM events") == [(2816, 2816)]
    # every parsed time agrees with the ISO columns the data set's README describes
    mismatches = con.execute(f"""
        SELECT count(*) FROM events e JOIN read_csv('{REALDATA}', all_varchar = true) s
          ON s.留言编号 = e.case_id
        WHERE e."timestamp" <> strptime(CASE e.event_type WHEN '留言受理' THEN s.留言时间_iso
                                             ELSE s.答复时间_iso END, '%Y-%m-%d %H:%M:%S')""").fetchone()
    assert mismatches == (0,)
    picked = rows(con, 'SELECT case_id, event_type, "timestamp", _row FROM events '
                       "WHERE case_id IN ('2549', '2759', '27610') ORDER BY case_id, \"timestamp\"")
    assert picked == [
        ("2549", "留言受理", dt.datetime(2019, 4, 25, 9, 32, 9), 2),
        ("2549", "留言答复", dt.datetime(2019, 5, 10, 14, 56, 53), 2),
        ("2759", "留言受理", dt.datetime(2019, 4, 8, 8, 37, 20), 7),
        ("2759", "留言答复", dt.datetime(2019, 5, 9, 10, 2, 8), 7),
        ("27610", "留言受理", dt.datetime(2018, 3, 19, 10, 5, 4), 1141),
        ("27610", "留言答复", dt.datetime(2018, 4, 24, 0, 0), 1141)]


# ---------------------------------------------------------------------------
# Inline events (rule examples)
# ---------------------------------------------------------------------------

def test_records_load_like_a_log(con):
    result = ingest_records(con, [
        {"case_id": "C1", "event_type": "留言受理", "timestamp": "2021-09-30 10:00"},
        {"case_id": "C1", "event_type": "留言答复", "timestamp": dt.datetime(2021, 10, 13, 17, 0),
         "承诺时限": 5},
        {"case_id": "C2", "event_type": "留言受理", "timestamp": dt.date(2021, 10, 1)},
    ], name="rules/x.yaml example 'a'")
    assert result.files == ("rules/x.yaml example 'a'",)
    assert result.attributes == ("承诺时限",)
    assert rows(con, 'SELECT case_id, "timestamp", 承诺时限, _row FROM events ORDER BY _row') == [
        ("C1", dt.datetime(2021, 9, 30, 10, 0), None, 1),
        ("C1", dt.datetime(2021, 10, 13, 17, 0), "5", 2),
        ("C2", dt.datetime(2021, 10, 1), None, 3)]


def test_bad_records_are_named_as_events(con):
    with pytest.raises(DataError) as err:
        ingest_records(con, [
            {"case_id": "C1", "event_type": "受理", "timestamp": "2021-09-30"},
            {"case_id": "C2", "event_type": "受理", "timestamp": "九月"},
            "not a mapping",
        ], name="r.yaml example 'b'")
    assert err.value.location.row == 2
    assert str(err.value).splitlines() == [
        "r.yaml example 'b': event 2: timestamp not understood ('九月')",
        "r.yaml example 'b': event 3: not a {field: value} object ('\"not a mapping\"')",
        "2 events cannot be used; nothing was loaded"]


def test_no_records_give_an_empty_table(con):
    result = ingest_records(con, [])
    assert (result.events, result.attributes) == (0, ())
    assert rows(con, "SELECT count(*) FROM events") == [(0,)]


def test_records_missing_a_required_field(con):
    with pytest.raises(DataError) as err:
        ingest_records(con, [{"case_id": "C1", "timestamp": "2021-09-30"}], name="ex")
    assert str(err.value) == "ex: missing column 'event_type' (columns found: case_id, timestamp)"

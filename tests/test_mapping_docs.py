"""docs/mapping.md's examples are mappings that work: each reads, writes only event types
of the vocabulary, and loads the export it describes."""
from __future__ import annotations

import re

import duckdb
import openpyxl
import pytest

from govcheck.engine.api import check_mapping, default_rules_dir
from govcheck.engine.data.ingest import ingest
from govcheck.engine.data.mapping import load_mapping
from govcheck.engine.model.vocabulary import load_vocabulary
from support import ROOT

DOC = ROOT / "docs" / "mapping.md"
LIUYAN = ROOT.parent / "shared" / "realdata" / "peoplesdaily-liuyan-gas" / "messages_beijing_time.csv"


def examples() -> dict[str, str]:
    """Each YAML block of the page, by its first comment line."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return {block.splitlines()[0]: block for block in blocks}


def mapping_file(tmp_path, start: str):
    (text,) = [b for first, b in examples().items() if first.startswith(start)]
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def events(con) -> list[tuple]:
    return con.execute('SELECT case_id, event_type, strftime("timestamp", \'%Y-%m-%d %H:%M\'), '
                       'unit FROM events ORDER BY case_id, "timestamp"').fetchall()


def test_every_example_reads_and_names_known_event_types(tmp_path):
    vocabulary = load_vocabulary(default_rules_dir() / "vocabulary.yaml")
    assert len(examples()) == 3
    for first, text in examples().items():
        path = tmp_path / "m.yaml"
        path.write_text(text, encoding="utf-8")
        check_mapping(load_mapping(path), vocabulary)


def test_the_12345_export(con, tmp_path):
    log = tmp_path / "12345.csv"
    log.write_text("工单编号,来电时间,派单时间,承办单位,办结时间,回访时间,诉求类型,来电人电话,诉求内容\n"
                   "2022060100123,2022-06-01 09:12:40,2022-06-01 10:03:00,城步县人民政府,"
                   "2022-06-06 16:40:12,2022-06-07 10:15:00,咨询,13812345678,问\n"
                   "2022060100124,2022-06-01 09:30:00,2022-06-01 10:05:00,城步县政府,,,投诉,,问\n",
                   encoding="utf-8")
    ingest(con, [log], mapping=mapping_file(tmp_path, "# 12345"))
    assert events(con) == [
        ("2022060100123", "工单受理", "2022-06-01 09:12", "城步县"),
        ("2022060100123", "工单交办", "2022-06-01 10:03", "城步县"),
        ("2022060100123", "工单办结", "2022-06-06 16:40", "城步县"),
        ("2022060100123", "工单反馈", "2022-06-07 10:15", "城步县"),
        ("2022060100124", "工单受理", "2022-06-01 09:30", "城步县"),
        ("2022060100124", "工单交办", "2022-06-01 10:05", "城步县")]
    columns = {c for (c,) in con.execute("SELECT column_name FROM (DESCRIBE events)").fetchall()}
    assert "诉求类型" in columns and "来电人电话" not in columns


def test_the_message_board(con, tmp_path):
    if not LIUYAN.is_file():
        pytest.skip("../shared/realdata is not here")
    result = ingest(con, [LIUYAN], mapping=mapping_file(tmp_path, "# 人民网"),
                    bad_rows_path=tmp_path / "bad.csv")
    assert result.bad_rows == 0
    counts = dict(con.execute("SELECT event_type, count(*) FROM events GROUP BY 1").fetchall())
    # 1,050 posts, one without a Beijing post time (the hour the US clocks went back)
    assert counts == {"留言受理": 1049, "留言答复": 972}
    assert con.execute("SELECT event_type FROM events WHERE case_id = '16493189'").fetchall() \
        == [("留言答复",)]


def test_the_workbook_with_several_time_columns(con, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "封面"
    sheet = book.create_sheet("办件明细")
    sheet.append(["2022年办件明细表"])
    sheet.append(["办件编号", "事项名称", "事项类型", "受理部门", "受理时间", "办结时间", "送达时间", "承诺时限"])
    sheet.append(["SP2022000231", "建设工程规划许可", "行政许可", "市自然资源和规划局",
                  "2022.09.30 09:24", "2022.10.20 12:03", None, 10])
    path = tmp_path / "办件.xlsx"
    book.save(path)
    ingest(con, [path], mapping=mapping_file(tmp_path, "# 政务服务"), sheet="办件明细")
    assert events(con) == [
        ("SP2022000231", "办件受理", "2022-09-30 09:24", "市自然资源和规划局"),
        ("SP2022000231", "办件办结", "2022-10-20 12:03", "市自然资源和规划局")]

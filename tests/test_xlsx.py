"""The Excel workbook: a summary sheet, one sheet per unit, safe names and safe cells."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from govcheck.engine.render import render
from govcheck.engine import i18n
from govcheck.engine.render.xlsx import MAX_SHEET, cell_text, sheet_name

from test_html import ID_CARD, MOBILE, SCRIPT, hostile_report

ROOT = Path(__file__).resolve().parent.parent


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


#: The summary sheet's name in Chinese, the language of the workbooks below.
SUMMARY = "汇总"


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    """The workbook as a user's run writes it by default, in Chinese."""
    with i18n.speaking("zh"):
        return workbook(render(hostile_report(), "xlsx"))


def test_a_summary_sheet_then_one_sheet_per_unit(book):
    # four units with violations or warnings, most violations first
    assert book.sheetnames[0] == SUMMARY
    assert len(book.sheetnames) == 5
    assert book.sheetnames[1] == "市政务服务中心"
    assert "（未填写单位）" in book.sheetnames and "衡阳县人民政府" in book.sheetnames


def test_summary_sheet(book):
    ws = book[SUMMARY]
    values = rows(ws)
    assert values[0][0] == "政务服务合规检查报告"
    assert ("违规总数", 4) == values[[r[0] for r in values].index("违规总数")][:2]
    assert ("临近期限预警", 1) == values[[r[0] for r in values].index("临近期限预警")][:2]
    rules = {r[0]: r for r in values if r[0] in ("SY21-FW-28-1", "HY21-GK-15", "SY21-FW-99")}
    assert rules["SY21-FW-28-1"][4:7] == (40, 3, 0.075)
    assert rules["SY21-FW-28-1"][9] == "确保网民咨询问题5个工作日回复"
    # each unit links to its own sheet
    links = {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}
    assert links["市政务服务中心"] == "'市政务服务中心'!A1"
    assert ws.page_setup.orientation == "landscape"


def test_unit_sheet_lists_its_findings_with_clause_and_evidence(book):
    ws = book["市政务服务中心"]
    values = rows(ws)
    assert values[2][:6] == ("类别", "规则编号", "规则标题", "级别", "类型", "案件")
    body = values[3:]
    assert [r[0] for r in body] == ["违规", "预警"]
    late = body[0]
    assert late[5] == "C2" and late[4] == "逾期办结" and late[7] == dt.datetime(2021, 10, 13, 23, 59, 59)
    assert "邵市政办函〔2021〕21号 八、（二十八）" in late[10]
    assert late[11] == "确保网民咨询问题5个工作日回复"
    assert "留言受理 2021-09-30 10:00:00" in late[12]
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == "A3:M5"
    assert ws.print_title_rows == "$3:$3"


def test_numbers_dates_and_rates_are_typed_cells(book):
    """Read back as a spreadsheet reads them: counts are numbers, times are dates with a date
    format, rates are fractions shown as percentages; text that looks like a number is text."""
    summary = book[SUMMARY]
    cells = {row[0].value: row[1] for row in summary.iter_rows() if row[0].value}
    assert cells["事件数"].data_type == "n" and cells["事件数"].number_format == "#,##0"
    assert cells["判定时点"].is_date and cells["判定时点"].number_format == "yyyy-mm-dd hh:mm:ss"
    header = next(r for r in summary.iter_rows() if r[0].value == "单位")
    columns = {c.value: c.column - 1 for c in header}
    first = next(r for r in summary.iter_rows() if r[0].value == "市政务服务中心")
    checked, violation_rate, share = (first[columns[k]] for k in ("检查数", "违规率", "占全部违规"))
    assert checked.data_type == "n" and isinstance(checked.value, int)
    assert violation_rate.number_format == "0.0%" and 0 < violation_rate.value <= 1
    assert share.number_format == "0.0%" and 0 < share.value <= 1
    rule = next(r for r in summary.iter_rows() if r[0].value == "SY21-FW-28-1")
    assert rule[6].value == 0.075 and rule[6].number_format == "0.0%"

    unit = book["市政务服务中心"]
    counts = [c.value for c in next(unit.iter_rows(min_row=2, max_row=2))][:8]
    assert counts[0::2] == ["检查数", "违规数", "违规率", "预警数"]
    assert all(isinstance(n, (int, float)) for n in counts[1::2])
    assert unit.cell(2, 6).number_format == "0.0%"
    late = next(unit.iter_rows(min_row=4, max_row=4))
    assert late[7].is_date and late[7].number_format == "yyyy-mm-dd hh:mm:ss"
    assert late[5].data_type == "s"       # a case id is text, even one of digits


def test_formulas_are_neutralised(book):
    ws = book["（未填写单位）"]
    message = rows(ws)[3][9]
    assert message == "'=HYPERLINK(\"x\") 迟复"
    for sheet in book:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate, c.value)
    for start in ("=", "+", "-", "@"):
        assert cell_text(start + "1+1") == "'" + start + "1+1"


def test_hostile_text_is_text_and_personal_numbers_are_masked(book):
    texts = [str(v) for ws in book for r in rows(ws) for v in r if v is not None]
    assert any(SCRIPT in t for t in texts)          # kept as the text it is
    assert not any(ID_CARD in t or MOBILE in t for t in texts)
    assert any("138****5678" in t for t in texts)
    unmasked = workbook(render(hostile_report(), "xlsx", mask=False))
    assert any(MOBILE in str(v) for ws in unmasked for r in rows(ws) for v in r if v)


def test_control_characters_do_not_break_the_workbook():
    report = hostile_report()
    bad = replace(report.violations[0], message="响应\x00\x07\x1b[31m 超时")
    book = workbook(render(replace(report, violations=(bad,), warnings=()), "xlsx"))
    assert rows(book["市政务服务中心"])[3][9] == "响应\ufffd\ufffd\ufffd[31m 超时"


@pytest.mark.parametrize("name, expected", [
    ("市政务服务中心", "市政务服务中心"),
    ("a/b:c*d?[e]\\f", "a_b_c_d__e__f"),
    ("'引号'", "引号"),
    ("", "单位"),
    ("x" * 40, "x" * 31),
    ("History", "History(2)"),
])
def test_sheet_names(name, expected, chinese):
    assert sheet_name(name, set()) == expected


def test_sheet_names_are_unique_ignoring_case_and_never_the_summary(chinese):
    taken = {SUMMARY.lower()}
    names = [sheet_name(n, taken) for n in ("汇总", "Unit", "unit", "u" * 40, "u" * 41)]
    assert names[0] == "汇总(2)" and names[1] == "Unit" and names[2] == "unit(2)"
    assert len({n.lower() for n in names}) == 5
    assert all(len(n) <= MAX_SHEET for n in names)


def test_units_with_awkward_names_get_valid_sheets(chinese):
    report = hostile_report()
    units = ["双清区/大祥区:联合[窗口]", "双清区_大祥区_联合_窗口_", "汇总", "某" * 40]
    vs = tuple(replace(report.violations[0], case_id=f"K{i}", unit=u) for i, u in enumerate(units))
    book = workbook(render(replace(report, violations=vs, warnings=()), "xlsx"))
    assert book.sheetnames[0] == SUMMARY and len(book.sheetnames) == 5
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in book.sheetnames)


def test_the_same_report_gives_the_same_bytes():
    report = hostile_report()
    shuffled = replace(report, violations=tuple(reversed(report.violations)))
    assert render(report, "xlsx") == render(shuffled, "xlsx")


def test_cli_writes_xlsx(tmp_path):
    out = tmp_path / "r.xlsx"
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "check",
                    str(ROOT / "fixtures/sample/events.csv"), "--format", "xlsx", "-o", str(out),
                    "--fail-on", "never"], check=True)
    book = openpyxl.load_workbook(out)      # in English, as the suite runs govcheck
    assert book.sheetnames[0] == "Summary" and len(book.sheetnames) > 1

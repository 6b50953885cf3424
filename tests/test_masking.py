"""Masking of 身份证号 and mobile numbers (``findings.masking``), in every format people read.

First a table of the ways a number is written, masked, and of the digit runs that are not
personal numbers, left alone. Then a report whose unit, case, message and evidence hold
an ID and mobiles in those ways, rendered in every format: each format but JSON shows
none of them in full (not even after folding width and dropping separators), and every
format shows them with ``mask=False``; JSON is exact either way.
"""
from __future__ import annotations

import io
import json
import re
import unicodedata

import openpyxl
import pytest
from click.testing import CliRunner

from govcheck import cli
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.findings.masking import fold, mask_text
from govcheck.engine.findings.report import Report, RuleResult, Violation
from govcheck.engine.render import FORMATS, render
from govcheck.engine.render.notices import render_notices

MASKED = [
    # 18-character IDs, X last, and the old 15 digits
    ("430502199001011234", "430502********1234"),
    ("43050219900101123X", "430502********123X"),
    ("43050219900101123x", "430502********123x"),
    ("身份证号430502199001011234。", "身份证号430502********1234。"),
    ("430502900101123", "430502******123"),
    ("身份证:430502900101123;", "身份证:430502******123;"),
    # IDs with their groups apart
    ("430502 19900101 1234", "430502 ******** 1234"),
    ("430502-19900101-123X", "430502-********-123X"),
    ("430502 1990 0101 1234", "430502 **** **** 1234"),
    ("430502 900101 123", "430502 ****** 123"),
    # full width, kept full width (the display width stays)
    ("４３０５０２１９９００１０１１２３Ｘ", "４３０５０２＊＊＊＊＊＊＊＊１２３Ｘ"),
    ("１３８１２３４５６７８", "１３８＊＊＊＊５６７８"),
    ("１３８－１２３４－５６７８", "１３８－＊＊＊＊－５６７８"),
    ("138\u30001234\u30005678", "138\u3000****\u30005678"),        # ideographic spaces
    # mobiles with separators and country codes
    ("13812345678", "138****5678"),
    ("电话:13812345678,", "电话:138****5678,"),
    ("138-1234-5678", "138-****-5678"),
    ("138 1234 5678", "138 **** 5678"),
    ("138.1234.5678", "138.****.5678"),
    ("138–1234–5678", "138–****–5678"),                                # en dashes
    ("1381234 5678", "138**** 5678"),
    ("+86 13812345678", "+86 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("+86-138-1234-5678", "+86-138-****-5678"),
    ("＋８６ １３８ １２３４ ５６７８", "＋８６ １３８ ＊＊＊＊ ５６７８"),
    ("8613812345678", "86138****5678"),
    ("0086 13812345678", "0086 138****5678"),
    ("LY13812345678", "LY138****5678"),
    ("2021-09-30 13812345678", "2021-09-30 138****5678"),
    ("联系人 13812345678、13987654321", "联系人 138****5678、139****4321"),
] + [(f"{prefix}12345678", f"{prefix}****5678") for prefix in range(130, 200)]

LEFT_ALONE = [
    "20210930123456789012",                 # a 20-digit 工单号
    "GD2021093013812345678001",             # digits of a mobile inside a longer run
    "4305021990010112345",                  # 19 digits
    "430502199013011234",                   # no 13th month: not an ID
    "138123456789",                         # 12 digits
    "1381234567",                           # 10 digits
    "2021-09-30", "2021-09-30 10:00:00", "2021.09.30", "20210930",
    "13.5", "1,381,234,567.50", "¥13812345.67",
    "留言编号LY202100211", "SY2021000123",
    "12345", "0739-5321234",                 # the hotline, a landline
    *(f"{prefix}12345678" for prefix in range(100, 130)),
]


@pytest.mark.parametrize("raw, masked", MASKED)
def test_masked(raw, masked):
    assert mask_text(raw) == masked


@pytest.mark.parametrize("raw", LEFT_ALONE)
def test_left_alone(raw):
    assert mask_text(raw) == raw


def test_fold_keeps_the_length_and_makes_width_and_dashes_plain():
    assert fold("１３８－１２３４．５６７８\u3000Ｘ—") == "138-1234.5678 X-"
    assert fold("身份证") == "身份证"


def test_fold_covers_every_character_nfkc_folds_to_a_digit_x_or_separator():
    plain = "0123456789Xx+-. "
    for code in range(0x80, 0x20000):
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char)
        if len(folded) == 1 and folded in plain:
            assert fold(char) == folded, hex(code)


# ---------------------------------------------------------------------------
# Every format
# ---------------------------------------------------------------------------

ID_CARD = "430502199001011234"
ID_15 = "430502900101123"
MOBILES = ["13812345678", "19912345678", "16612345678"]
# how the numbers are written in the log: (as written, the digits)
WRITTEN = [
    (ID_CARD, ID_CARD),
    ("430502 19900101 1234", ID_CARD),
    (ID_15, ID_15),
    ("１３８１２３４５６７８", MOBILES[0]),
    ("199.1234.5678", MOBILES[1]),
    ("+86 166-1234-5678", MOBILES[2]),
]
PERSONAL_UNIT = "网格员13812345678"
SOURCE = {"document": "测试文件", "number": "测试〔2021〕1号", "clause": "一、", "quote": "测试条款"}


def personal_report() -> Report:
    """Findings whose unit, case, message and evidence hold personal numbers."""
    evidence = ({"event_type": "留言受理", "timestamp": "2021-09-30 10:00:00",
                 **{f"联系方式{i}": written for i, (written, _) in enumerate(WRITTEN)}},)
    violations = (
        Violation("T-1", "error", "430502 19900101 1234", PERSONAL_UNIT, None, "late",
                  "2021-10-13 23:59:59", "2021-10-14 09:00:00",
                  f"市民 199.1234.5678 的咨询超期（身份证 {ID_15}）", evidence),
        Violation("T-1", "error", "C2", "市政务服务中心", None, "overdue_open",
                  "2021-10-13 23:59:59", None, "超期未办结", evidence),
    )
    warnings = (Violation("T-1", "error", "＋８６ １３８ １２３４ ５６７８", PERSONAL_UNIT, None,
                          "at_risk", "2021-10-21 23:59:59", "2021-10-20 00:00:00",
                          "已用去80%时限仍未办结", evidence),)
    rules = (RuleResult("T-1", "5个工作日内答复", "deadline", "error", SOURCE, checked=3,
                        violations=2, warnings=1, path="rules/t/T-1.yaml"),)
    return Report(as_of="2021-12-20 00:00:00", events=9, cases=3, rules=rules,
                  violations=violations, warnings=warnings, bad_rows=0, duplicates=0,
                  files=("logs/13812345678.csv",), calendar_years=(2021,))


def shown_in_full(text: str) -> set[str]:
    """The personal numbers in ``text``, however written (width folded, separators dropped)."""
    plain = re.sub(r"[ .\-+]", "", fold(text))
    return {digits for _, digits in WRITTEN if digits in plain}


def xlsx_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = [str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row
             if v is not None]
    return "\n".join(book.sheetnames + cells)


def shown(fmt: str, mask: bool) -> str:
    """Everything a format shows of the report: its text, or the text of its cells."""
    data = render(personal_report(), fmt, mask=mask)
    if fmt == "xlsx":
        return xlsx_text(data)
    return data.decode("utf-8")


def notices_shown(mask: bool) -> str:
    pages = render_notices(personal_report(), WorkCalendar.load(), mask=mask)
    return "\n".join(name + "\n" + data.decode("utf-8") for name, data in pages)


EVERY_NUMBER = {digits for _, digits in WRITTEN}
PEOPLE_FORMATS = [f for f in FORMATS if f != "json"]


@pytest.mark.parametrize("fmt", PEOPLE_FORMATS)
def test_no_format_people_read_shows_a_number_in_full(fmt):
    assert shown_in_full(shown(fmt, mask=True)) == set()
    assert shown_in_full(shown(fmt, mask=False)) == EVERY_NUMBER


def test_notices_and_their_file_names_show_no_number_in_full():
    assert shown_in_full(notices_shown(mask=True)) == set()
    assert shown_in_full(notices_shown(mask=False)) == EVERY_NUMBER
    names = [name for name, _ in render_notices(personal_report(), WorkCalendar.load())]
    assert any(name.startswith("整改通知-网格员138") for name in names)
    assert not any("12345678" in name for name in names)


def test_json_is_exact_for_machines():
    data = render(personal_report(), "json")
    assert render(personal_report(), "json", mask=True) == data
    report = json.loads(data)
    assert report["violations"][0]["case_id"] == "430502 19900101 1234"
    assert report["violations"][0]["evidence"][0]["联系方式3"] == "１３８１２３４５６７８"


def test_check_masks_by_default_and_no_mask_shows_all(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("case_id,event_type,timestamp,unit,留言人电话,身份证\n"
                   "A1,留言受理,2021-03-01 09:00,市政务服务中心,138-1234-5678,430502 19900101 1234\n"
                   "A1,留言答复,2021-03-20 09:00,市政务服务中心,,\n", encoding="utf-8")
    rule = tmp_path / "rules" / "T-1.yaml"
    rule.parent.mkdir()
    rule.write_text("id: T-1\ntitle: 5个工作日内答复\nkind: deadline\nseverity: error\n"
                    f"source: {json.dumps(SOURCE, ensure_ascii=False)}\n"
                    "start: {event_type: 留言受理}\nend: {event_type: 留言答复}\n"
                    "within: {workdays: 5}\n", encoding="utf-8")
    runner = CliRunner()
    for fmt in PEOPLE_FORMATS + ["json"]:
        outputs = {}
        for flags in ([], ["--no-mask"]):
            out = tmp_path / f"out.{fmt}"
            # the rule reads neither number: the evidence shows them only in full
            done = runner.invoke(cli.main, ["check", str(log), "--rules", str(rule.parent),
                                            "--format", fmt, "-o", str(out), "--evidence", "full",
                                            *flags])
            assert done.exit_code == 1, done.output
            data = out.read_bytes()
            outputs[bool(flags)] = xlsx_text(data) if fmt == "xlsx" else data.decode("utf-8")
        masked, plain = outputs[False], outputs[True]
        expected = set() if fmt != "json" else {MOBILES[0], ID_CARD}
        assert shown_in_full(masked) == expected, fmt
        assert shown_in_full(plain) == {MOBILES[0], ID_CARD}, fmt


def test_the_bad_rows_file_is_masked_unless_no_mask(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("case_id,event_type,timestamp,留言人电话,身份证\n"
                   "A1,留言受理,2021-03-01 09:00,,\n"
                   "A2,留言受理,不是时间,１３８ １２３４ ５６７８,430502 19900101 1234\n"
                   "430502900101123,留言受理,,199-1234-5678,\n", encoding="utf-8")
    runner = CliRunner()
    for flags, expected in (([], set()), (["--no-mask"], {ID_CARD, ID_15, MOBILES[0], MOBILES[1]})):
        bad = tmp_path / "bad.csv"
        done = runner.invoke(cli.main, ["check", str(log), "--format", "json", "--fail-on", "never",
                                        "--bad-rows", str(bad), *flags])
        assert done.exit_code == 0, done.output
        text = bad.read_text(encoding="utf-8-sig")
        assert text.count("\n") == 3 and "不是时间" in text
        assert shown_in_full(text) == expected


def test_rows_refused_without_a_bad_rows_file_are_masked_unless_no_mask(tmp_path):
    """stderr, which a person or a CI page reads, quotes a refused row's values."""
    log = tmp_path / "log.csv"
    log.write_text("case_id,event_type,timestamp\n"
                   "A1,留言受理,430502 19900101 1234\nA2,留言受理,+86 138-1234-5678\n",
                   encoding="utf-8")
    runner = CliRunner()
    for flags, expected in (([], set()), (["--no-mask"], {ID_CARD, MOBILES[0]})):
        done = runner.invoke(cli.main, ["check", str(log), "--format", "json", *flags])
        assert done.exit_code == 2 and "timestamp" in done.stderr, done.output
        assert shown_in_full(done.stderr) == expected

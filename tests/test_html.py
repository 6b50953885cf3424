"""The HTML report: structure, one self-contained file, escaping, masking, the day-by-day count.

The report is read by people and printed, and its text comes from logs that others wrote,
so these tests feed it hostile text (markup, event handlers, ``javascript:`` links, a
``</script>`` inside the data) and personal numbers, and check the file can load nothing
from anywhere. The browser's side (filters, the evidence view, console errors) is in
``test_html_browser.py``.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from govcheck.engine import i18n
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.findings.report import Report, RuleResult, Violation
from govcheck.engine.render import FORMATS, render
from govcheck.engine.render.html import payload, script_json, unpack

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
LINK = '<a href="javascript:alert(1)">点我</a>'
CLOSE = "</script><script>window.__pwned=2</script><!--"
ID_CARD = "430502199001011234"
ID_CARD_X = "43050219900101123X"
MOBILE = "13812345678"

SY = {"document": "邵阳市2021年政务管理服务工作要点", "number": "邵市政办函〔2021〕21号",
      "clause": "八、（二十八）", "quote": "确保网民咨询问题5个工作日回复"}
GK = {"document": "衡阳市2021年政务公开工作要点", "number": "衡政办函〔2021〕30号",
      "clause": "五、（十五）", "quote": "按时发布政府信息公开工作年度报告"}


def hostile_report() -> Report:
    rules = (
        RuleResult("SY21-FW-28-1", "网民咨询问题5个工作日内回复", "deadline", "error", SY,
                   checked=40, violations=3, warnings=1, path="rules/sy/SY21-FW-28-1.yaml"),
        RuleResult("HY21-GK-15", "政府信息公开年报按时发布", "periodic", "warning", GK,
                   checked=6, violations=1, warnings=0),
        RuleResult("SY21-FW-99", "无违规的规则", "forbidden", "error", SY, checked=9,
                   violations=0, warnings=0),
    )
    violations = (
        Violation("SY21-FW-28-1", "error", "C2", "市政务服务中心", None, "late",
                  "2021-10-13 23:59:59", "2021-10-14 09:00:00",
                  "应于2021-10-13 23:59:59前办结（时限5个工作日），实际于2021-10-14 09:00:00办结",
                  ({"event_type": "留言受理", "timestamp": "2021-09-30 10:00:00", "case_id": "C2",
                    "留言人电话": MOBILE, "身份证": ID_CARD, "内容": IMG},
                   {"event_type": "留言答复", "timestamp": "2021-10-14 09:00:00", "case_id": "C2",
                    "答复": CLOSE})),
        Violation("SY21-FW-28-1", "error", f"{SCRIPT}", IMG, None, "overdue_open",
                  "2021-10-08 23:59:59", None, f"超期未办结 {LINK} 联系人 {ID_CARD_X}",
                  ({"event_type": "留言受理", "timestamp": "2021-09-28 16:30:00"},)),
        Violation("SY21-FW-28-1", "error", "C7", None, None, "late", "2021-11-01 23:59:59",
                  "2021-11-02 08:00:00", "=HYPERLINK(\"x\") 迟复", ()),
        Violation("HY21-GK-15", "warning", None, "衡阳县人民政府", "2021", "missing_in_period",
                  "2022-01-31 23:59:59", 0, "本期年报0次，要求至少1次", ()),
    )
    warnings = (Violation("SY21-FW-28-1", "error", "C9", "市政务服务中心", None, "at_risk",
                          "2021-10-21 23:59:59", "2021-10-20 00:00:00", "已用去80%时限仍未办结",
                          ({"event_type": "留言受理", "timestamp": "2021-10-14 09:00:00"},)),)
    return Report(as_of="2021-12-20 00:00:00", events=1234, cases=58, rules=rules,
                  violations=violations, warnings=warnings, bad_rows=2, duplicates=3,
                  files=("logs/shaoyang-2021.csv",), calendar_years=(2021,))


@pytest.fixture(scope="module")
def html() -> str:
    """The page as a user reads it by default: in Chinese."""
    with i18n.speaking("zh"):
        return render(hostile_report(), "html").decode("utf-8")


def data_of(page: str) -> dict:
    blocks = re.findall(r'<script type="application/json" id="govcheck-data">(.*?)</script>',
                        page, re.S)
    assert len(blocks) == 1, "the data is embedded exactly once"
    return json.loads(blocks[0])


def inline(page: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)


# ---------------------------------------------------------------------------
# Registration and structure
# ---------------------------------------------------------------------------

def test_html_and_xlsx_are_formats():
    assert "html" in FORMATS and "xlsx" in FORMATS


def test_structure(html):
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in html
    for section in ("summary", "ranking", "trend", "rules", "details"):
        assert f'<section id="{section}">' in html
    # header facts
    for label in ("日志文件", "判定时点", "事件数", "案件数", "执行规则", "日历年份", "无法使用的行",
                  "重复事件（已去重）"):
        assert f"<dt>{label}</dt>" in html
    assert "logs/shaoyang-2021.csv" in html and "2021-12-20 00:00:00" in html
    # summary cards: 4 violations, 3 error, 1 warning, 1 at risk
    cards = re.findall(r'<div class="n">([\d,]+)</div><div class="l">([^<]+)</div>', html)
    assert ("4", "违规总数") in cards and ("1", "临近期限预警") in cards
    assert ("3", "错误级违规（确保、必须）") in cards
    # a section per rule with findings: title, kind, severity, clause and the exact quote
    assert 'id="rule-SY21-FW-28-1"' in html and 'id="rule-HY21-GK-15"' in html
    assert 'id="rule-SY21-FW-99"' not in html and "未发现违规的规则（1 条）" in html
    assert f"“{SY['quote']}”" in html and f"{SY['number']} {SY['clause']}" in html
    assert "办理时限（deadline）" in html and "违规率 <b>7.5%</b>" in html
    # trend: Oct 2021 to Jan 2022, inline SVG with one bar group per month
    assert html.count("<svg") == 1 and "2021-10" in html and "2022-01" in html
    assert "<title>2021-10：错误 2，警告 0</title>" in html
    # the findings table is filled by the script, from the data
    assert '<table id="findings">' in html
    data = data_of(html)
    assert data["n"] == 5 and data["as_of"] == "2021-12-20 00:00:00"
    assert all(len(column) == 5 for column in data["c"].values())
    assert [r["category"] for r in unpack(data)] == [0, 0, 0, 0, 1]


def test_ranking_counts_units(html):
    """Four units with a case or two each: too few judged for the 红黑榜, all in the table."""
    assert '<div class="board black">' not in html and "不设红黑榜" in html
    table = html.split('<details class="all">')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td><td><button[^>]*>([^<]+)</button></td>"
                      r"<td class=\"num\">(\d+)</td>", table)
    assert rows[0] == ("1", "市政务服务中心", "1") and len(rows) == 4


def test_the_boards_rank_by_rate_among_units_with_enough_cases_judged():
    from govcheck.engine.render.html import BOARD_MIN_CHECKED, boards

    def unit(name, checked, violations):
        return {"unit": name, "checked": checked, "violations": violations}

    ranking = [unit("甲局", 100, 30), unit("乙局", 10, 5), unit("丙局", 40, 2), unit("丁局", 12, 0),
               unit("戊局", 1, 0), unit("己局", BOARD_MIN_CHECKED - 1, 9)]
    black, red = boards(ranking)
    assert [e["unit"] for e in black] == ["乙局", "甲局"]      # 50 %, then 30 %
    assert [e["unit"] for e in red] == ["丁局", "丙局"]        # 0 %, then 5 %: 1 of 1 is not enough
    assert boards(ranking[:1]) == ([], [])
    assert [e["place"] for e in black] == [1, 2] and [e["place"] for e in red] == [1, 2]


def test_a_board_shows_its_own_places_with_ties_sharing_one():
    from govcheck.engine.render.html import boards
    ranking = [{"unit": f"{i}局", "checked": 20, "violations": v}
               for i, v in enumerate([8, 4, 4, 2, 0, 0, 0, 1])]
    black, red = boards(ranking)
    assert [(e["unit"], e["place"]) for e in black] == [("0局", 1), ("1局", 2), ("2局", 2), ("3局", 4)]
    assert [(e["unit"], e["place"]) for e in red] == [("4局", 1), ("5局", 1), ("6局", 1), ("7局", 4)]


# ---------------------------------------------------------------------------
# One self-contained file
# ---------------------------------------------------------------------------

def test_csp_forbids_remote_loads_and_allows_exactly_the_inline_blocks(html):
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert m, "a CSP meta tag"
    policy = m[1].replace("&#39;", "'")
    directives = dict((d.split(" ", 1) + [""])[:2] for d in (x.strip() for x in policy.split(";")))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    assert directives["connect-src"] == "'none'"
    assert "trusted-types" in directives and "require-trusted-types-for" in directives
    assert "unsafe-inline" not in policy and "http" not in policy and "*" not in policy

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    (style,) = inline(html, "style")
    (script,) = inline(html, "script")
    assert directives["style-src"] == sha(style)
    assert directives["script-src"] == sha(script)
    # the CSP comes before anything it governs
    assert html.index("Content-Security-Policy") < html.index("<style>")


def test_nothing_is_loaded_from_outside(html):
    sample = render_sample()
    for page in (html, sample):
        assert "http://" not in page and "https://" not in page
        parser = _Tags()
        parser.feed(page)
        for tag, attrs in parser.tags:
            for name, value in attrs:
                assert name not in ("src", "srcset", "action", "formaction", "poster", "data",
                                    "background"), (tag, name, value)
                if name in ("href", "xlink:href"):
                    assert value.startswith("#") or value == "data:,", (tag, value)
        assert "@import" not in page and "url(" not in page
        assert page.count("<script") == 2  # the data block and the one inline script


def test_the_same_report_gives_the_same_bytes():
    report = hostile_report()
    shuffled = replace(report, violations=tuple(reversed(report.violations)),
                       rules=tuple(reversed(report.rules)))
    assert render(shuffled, "html") == render(report, "html")


def test_print_stylesheet(html):
    (style,) = inline(html, "style")
    assert "@page{size:A4" in style
    assert "@top-left" in style and "counter(page)" in style      # a header on each page
    printing = style[style.index("@media print"):]
    assert ".rule-section{break-before:page" in printing           # a page per rule
    assert "tr,li" in printing and "break-inside:avoid" in printing
    assert ".filters" in printing and "display:none" in printing
    assert "thead{display:table-header-group}" in printing
    assert "@page wide{size:A4 landscape}" in style and "#details{page:wide}" in printing


# ---------------------------------------------------------------------------
# Hostile text stays text
# ---------------------------------------------------------------------------

class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def test_hostile_text_is_escaped_in_the_markup(html):
    markup, _, rest = html.partition('<script type="application/json" id="govcheck-data">')
    data, _, tail = rest.partition("</script>")
    parser = _Tags()
    parser.feed(markup)
    tags = parser.tags
    assert not [t for t, _ in tags if t in ("img", "iframe", "object", "embed", "form")]
    assert all(dict(a)["href"].startswith("#") for t, a in tags if t == "a")
    assert [t for t, _ in tags].count("script") == 0        # none before the data block
    for tag, attrs in tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or ""), (tag, name)
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in markup  # the unit, as text
    # the data block cannot be closed or commented out by a value
    assert "<" not in data and ">" not in data and "&" not in data
    assert tail.lstrip().startswith("<script>(function")


def test_hostile_text_survives_in_the_data_verbatim(html):
    data = data_of(html)
    rows = {r["case"]: r for r in unpack(data)}
    assert rows["C2"]["evidence"][0]["内容"] == IMG
    assert rows["C2"]["evidence"][1]["答复"] == CLOSE
    assert rows[SCRIPT]["unit"] == IMG
    assert LINK in rows[SCRIPT]["message"]


def test_the_data_reads_back_as_the_report(chinese):
    report = hostile_report()
    rows = unpack(payload(report, masked=False))
    findings = sorted(report.violations, key=lambda v: v.sort_key()) + list(report.warnings)
    assert len(rows) == len(findings)
    by_key = {(r["rule"], r["case"], r["period"], r["type"]): r for r in rows}
    for v in findings:
        r = by_key[(v.rule_id, v.case_id or "", v.period or "", v.type)]
        assert r["message"] == v.message and r["due"] == (v.due or "")
        assert r["unit"] == (v.unit or "（未填写单位）") and r["severity"] == v.severity
        assert r["evidence"] == [{k: str(x) for k, x in e.items()} for e in v.evidence]


def test_messages_are_stored_once_per_wording():
    report = hostile_report()
    first = report.violations[0]
    many = tuple(replace(first, case_id=f"C{i}", due=f"2021-10-{10 + i % 9:02d} 23:59:59",
                         message=f"应于2021-10-{10 + i % 9:02d} 23:59:59前办结（时限5个工作日），"
                                 f"实际于{first.actual}办结") for i in range(300))
    data = payload(replace(report, violations=many, warnings=()))
    assert len(set(data["c"]["msg"])) == 1
    assert [r["message"] for r in unpack(data)] == [v.message for v in
                                                    sorted(many, key=lambda v: v.sort_key())]


def test_control_characters_in_a_message_are_kept():
    report = hostile_report()
    odd = replace(report.violations[0], message="a\x01b\x02c\x03 " + report.violations[0].due,
                  actual="\x03\x01")
    rows = unpack(payload(replace(report, violations=(odd,), warnings=())))
    assert rows[0]["message"] == odd.message and rows[0]["actual"] == "\x03\x01"


def test_script_json_escapes_markup_characters():
    text = script_json({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_the_script_never_writes_markup(html):
    (script,) = inline(html, "script")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "setAttribute('on", "href"):
        assert sink not in script, sink
    assert "textContent" in script


# ---------------------------------------------------------------------------
# Privacy
# ---------------------------------------------------------------------------

def test_personal_numbers_are_masked_by_default(html):
    for raw in (ID_CARD, ID_CARD_X, MOBILE):
        assert raw not in html
    assert "430502********1234" in html and "138****5678" in html
    assert "身份证号、手机号已做脱敏处理" in html


def test_no_mask_shows_them(chinese):
    page = render(hostile_report(), "html", mask=False).decode()
    assert ID_CARD in page and MOBILE in page and ID_CARD_X in page
    assert "未做脱敏处理" in page


def test_options_a_format_does_not_take_are_ignored():
    report = hostile_report()
    assert render(report, "json", mask=True) == render(report, "json")


# ---------------------------------------------------------------------------
# The day-by-day count of a working-day deadline
# ---------------------------------------------------------------------------

def test_working_day_deadline_is_explained_like_calendar_explain(chinese):
    data = payload(hostile_report())
    late = next(r for r in unpack(data) if r["case"] == "C2")
    expected = WorkCalendar.load().explain_text(dt.date(2021, 9, 30), 5)
    assert late["explanation"] == expected
    assert "国庆节放假" in expected and "调休上班(国庆节)" in expected


def test_explanation_is_skipped_when_it_cannot_be_given(chinese):
    data = payload(hostile_report())
    by_case = {r["case"]: r for r in unpack(data)}
    assert by_case["C7"]["explanation"] is None          # no evidence to count from
    assert by_case[""]["explanation"] is None            # periodic: not a working-day deadline
    # the at-risk warning of a deadline rule is counted from its start
    assert by_case["C9"]["explanation"].startswith("起算日 2021-10-14")


def test_explanations_are_shared_between_equal_counts():
    report = hostile_report()
    first = report.violations[0]
    many = tuple(replace(first, case_id=f"C{i}") for i in range(50))
    data = payload(replace(report, violations=many, warnings=()))
    assert len(data["cal"]) == 1 and set(data["c"]["cal"]) == {0}


def test_an_uncovered_year_is_skipped_not_an_error():
    report = hostile_report()
    v = replace(report.violations[0], due="2099-10-13 23:59:59",
                evidence=({"event_type": "留言受理", "timestamp": "2099-09-30 10:00:00"},))
    data = payload(replace(report, violations=(v,), warnings=()))
    assert data["c"]["cal"] == [-1]


def test_restart_counts_from_the_event_that_gives_the_limit():
    cal = WorkCalendar.load()
    due = cal.deadline(dt.datetime(2021, 6, 1, 9), 20)
    v = Violation("GK", "error", "A1", "u", None, "late", f"{due:%Y-%m-%d %H:%M:%S}",
                  "2021-07-30 10:00:00", f"应于{due:%Y-%m-%d %H:%M:%S}前办结（时限20个工作日），实际于…",
                  ({"event_type": "申请", "timestamp": "2021-05-10 09:00:00"},
                   {"event_type": "补正", "timestamp": "2021-06-01 09:00:00"}))
    rules = (RuleResult("GK", "依申请公开", "deadline", "error", SY, 1, 1, 0),)
    report = Report("2021-08-01 00:00:00", 2, 1, rules, (v,), (), 0)
    data = payload(report, calendar=cal)
    assert data["cal"][0] == cal.explain_text(dt.date(2021, 6, 1), 20)


# ---------------------------------------------------------------------------
# Edge cases and the command line
# ---------------------------------------------------------------------------

def test_an_empty_report_renders(chinese):
    report = Report(as_of="2021-12-31 23:59:59", events=0, cases=0, rules=(), violations=(),
                    warnings=(), bad_rows=0)
    page = render(report, "html").decode()
    assert "本次检查未判定任何单位" in page and data_of(page)["n"] == 0


def render_sample() -> str:
    from govcheck.engine.api import Run, check
    report = check(Run(events=[ROOT / "fixtures" / "sample" / "events.csv"]))
    return render(report, "html").decode()


def test_cli_html_outputs(tmp_path):
    out, side = tmp_path / "r.html", tmp_path / "side.html"
    base = [sys.executable, str(ROOT / "cli.py"), "check", str(ROOT / "fixtures/sample/events.csv"),
            "--fail-on", "never"]
    subprocess.run(base + ["--format", "html", "-o", str(out)], check=True)
    subprocess.run(base + ["--format", "json", "-o", str(tmp_path / "r.json"), "--html", str(side),
                           "--no-mask"], check=True)
    assert out.read_bytes().startswith(b"<!DOCTYPE html>")
    assert side.read_bytes().startswith(b"<!DOCTYPE html>")
    assert "Not masked: it holds personal data" in side.read_text(encoding="utf-8")
    assert data_of(out.read_text(encoding="utf-8"))["n"] == len(
        json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["violations"])


def test_equal_standing_shares_a_rank_and_the_boards_never_overlap(chinese):
    from govcheck.engine.render.html import context, unit_ranking
    report = hostile_report()
    ranks = {e["unit"]: e["rank"] for e in unit_ranking(report)}
    assert ranks["市政务服务中心"] == 1          # same violations, but also an at-risk case
    assert ranks["（未填写单位）"] == ranks["<img src=x onerror=\"window.__pwned=1\">"] == 2
    assert ranks["衡阳县人民政府"] == 4          # its one violation is only a warning
    boards = context(report)
    assert boards["black"] == boards["red"] == []     # no unit had 10 cases judged

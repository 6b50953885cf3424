"""整改通知: one per unit with violations, with the clause, quote, evidence and reply date."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.render.notices import file_name, render_notices

from test_html import CLOSE, ID_CARD, IMG, MOBILE, SCRIPT, SY, _Tags, hostile_report

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar.load()


@pytest.fixture(scope="module")
def notices(calendar) -> dict[str, str]:
    return {name: data.decode("utf-8")
            for name, data in render_notices(hostile_report(), calendar, reply_within=5)}


def test_one_notice_per_unit_with_violations(notices):
    # 衡阳县人民政府, 市政务服务中心, (no unit) and the hostile unit; warnings alone give none
    assert len(notices) == 4
    assert "整改通知-市政务服务中心.html" in notices
    assert "整改通知-衡阳县人民政府.html" in notices
    assert "整改通知-（未填写单位）.html" in notices


def test_a_notice_names_the_unit_clause_quote_and_evidence(notices):
    page = notices["整改通知-市政务服务中心.html"]
    assert "<h1>整改通知</h1>" in page and "市政务服务中心：" in page
    assert f"{SY['document']} {SY['number']} {SY['clause']}" in page
    assert f"原文：“{SY['quote']}”" in page
    assert "C2" in page and "逾期办结" in page and "2021-10-13 23:59:59" in page
    assert '<span class="time">2021-09-30 10:00:00</span>留言受理' in page
    assert "存在以下 <b>1</b> 项问题" in page
    # the unit's at-risk case is a reminder, not a violation
    assert "临近期限的事项" in page and "C9" in page
    assert "市行政审批服务局<br>2021年12月20日" in page


def test_reply_by_is_counted_in_working_days(calendar):
    report = replace(hostile_report(), as_of="2021-09-30 18:00:00")
    (name, data), *_ = render_notices(report, calendar, reply_within=5)
    page = data.decode()
    # 国庆节 1–7 Oct; 9 Oct (Saturday) is a 调休 working day
    assert calendar.add_workdays(dt.date(2021, 9, 30), 5) == dt.date(2021, 10, 13)
    assert "请于 <b>2021年10月13日</b>" in page and "判定时点后 5 个工作日" in page


def test_hostile_text_stays_text(notices):
    for page in notices.values():
        parser = _Tags()
        parser.feed(page)
        assert "script" not in [t for t, _ in parser.tags]
        assert not [t for t, _ in parser.tags if t in ("img", "a", "iframe", "object")]
        assert not [n for _, attrs in parser.tags for n, _ in attrs if n.startswith("on")]
    joined = "".join(notices.values())
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in joined
    assert "&lt;/script&gt;&lt;script&gt;" in joined
    assert IMG not in joined and CLOSE not in joined and SCRIPT not in joined


def test_self_contained_with_a_csp(notices):
    for page in notices.values():
        assert "Content-Security-Policy" in page and "default-src 'none'" in page
        assert "http://" not in page and "https://" not in page
        assert not re.search(r"<script", page)


def test_personal_numbers_are_masked(calendar, notices):
    joined = "".join(notices.values())
    assert ID_CARD not in joined and MOBILE not in joined and "138****5678" in joined
    plain = "".join(d.decode() for _, d in render_notices(hostile_report(), calendar, mask=False))
    assert MOBILE in plain


def test_file_names_are_safe_and_unique():
    taken: set[str] = set()
    names = [file_name(u, taken) for u in ("a/b", "a:b", "..", "C:\\x", "A/B")]
    assert names[0] == "整改通知-a_b.html" and names[1] == "整改通知-a_b-2.html"
    assert names[2] == "整改通知-未填写单位.html"
    assert names[4] == "整改通知-A_B-3.html"
    assert all("/" not in n and "\\" not in n and ":" not in n for n in names)


def test_cli_notices(tmp_path):
    out = tmp_path / "notices"
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "notices",
                           str(ROOT / "fixtures/sample/events.csv"), "-o", str(out),
                           "--reply-within", "5"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    written = sorted(out.iterdir())
    assert written and all(p.name.startswith("整改通知-") for p in written)
    assert [str(p) for p in written] == sorted(done.stdout.split())
    assert f"{len(written)} notice(s)" in done.stderr
    page = written[0].read_text(encoding="utf-8")
    assert "请于 <b>" in page and "个工作日" in page


def test_cli_notices_bad_reply_within(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "notices",
                           str(ROOT / "fixtures/sample/events.csv"), "-o", str(tmp_path),
                           "--reply-within", "0"], capture_output=True, text=True)
    assert done.returncode == 2 and "reply-within" in done.stderr


def test_the_issuer_sends_itself_no_notice(calendar):
    pages = dict(render_notices(hostile_report(), calendar, issuer="市政务服务中心"))
    assert "整改通知-市政务服务中心.html" not in pages and len(pages) == 3
    assert all("市政务服务中心<br>" in p.decode() for p in pages.values())   # it signs them
    from govcheck.engine.render.notices import own_violations
    assert own_violations(hostile_report(), "市政务服务中心") == 1


def test_logs_are_named_by_file_name_not_by_a_path_of_the_machine(calendar):
    report = replace(hostile_report(), files=("/home/it/exports/2021/12345.csv",
                                              r"C:\Users\it\导出\留言.xlsx"))
    (name, data), *_ = render_notices(report, calendar)
    page = data.decode()
    assert "（12345.csv、留言.xlsx）" in page and "/home/it" not in page and "Users" not in page


def test_evidence_names_columns_in_chinese(calendar):
    report = hostile_report()
    late = report.violations[0]
    evidence = ({"event_type": "留言受理", "timestamp": "2021-09-30 10:00:00", "unit": "市长信箱",
                 "case_id": "C1", "event_id": "E7", "问题类别": "一般"},)
    report = replace(report, violations=(replace(late, case_id="C2", evidence=evidence),))
    (name, data), = render_notices(report, calendar)
    page = data.decode()
    assert "（案件编号：C1；单位：市长信箱；事件编号：E7；问题类别：一般）" in page
    assert "unit：" not in page and "case_id" not in page


def test_a_quote_copied_in_traditional_characters_is_shown_simplified(calendar):
    report = hostile_report()
    traditional = {"document": "衡陽市2021年政務服務工作要點", "number": "（原文未载文号）",
                   "clause": "二、(六)", "quote": "明確實施告知承諾制的事項范圍、適用對象"}
    rules = tuple(replace(r, source=traditional) if r.id == "SY21-FW-28-1" else r
                  for r in report.rules)
    pages = dict(render_notices(replace(report, rules=rules), calendar))
    page = pages["整改通知-市政务服务中心.html"].decode()
    assert "原文：“明确实施告知承诺制的事项范围、适用对象”" in page
    assert "衡阳市2021年政务服务工作要点" in page and "衡陽" not in page


@pytest.mark.parametrize("unit, issuer, same", [
    ("邵阳市行政审批服务局", "市行政审批服务局", True),    # the default names the city's own office
    ("市行政审批服务局", "市行政审批服务局", True),
    ("隆回县行政审批服务局", "市行政审批服务局", False),  # a county's office is not the city's
    ("邵阳市行政审批服务局", "邵阳市行政审批服务局", True),
    ("衡阳市行政审批服务局", "邵阳市行政审批服务局", False),
])
def test_the_default_issuer_is_the_citys_own_office(unit, issuer, same):
    from govcheck.engine.render.notices import is_issuer
    assert is_issuer(unit, issuer) is same

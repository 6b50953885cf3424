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
    assert '<span class="time">2021-09-30 10:00:00</span>咨询受理' in page
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

"""The HTML report in a real browser: filters, sorting, paging, evidence, no console errors.

Runs the shipped sample log through the engine, adds one finding full of hostile text, writes
the report and drives headless Chromium over the DevTools protocol (``tests/cdp.py``). Skips
when ``/usr/bin/chromium`` is not installed (``.ci/run`` installs Debian's ``chromium``).
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pypdf
import pytest

from cdp import CHROMIUM, Chromium
from govcheck.engine import i18n
from govcheck.engine.api import Run, check
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.findings.report import Violation
from govcheck.engine.render import render

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs /usr/bin/chromium (apt-get install chromium)")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "fixtures" / "sample" / "events.csv"

HOSTILE_CASE = "<script>window.__pwned='case'</script>"
HOSTILE_UNIT = "<img src=x onerror=\"window.__pwned='unit'\">"
HOSTILE_MESSAGE = "<a href=\"javascript:window.__pwned='link'\">点此查看</a> 联系电话13812345678"
HOSTILE_EVIDENCE = "</script><script>window.__pwned='evidence'</script><!--"


@pytest.fixture(scope="module")
def report():
    """The sample's report as a user's run words it by default, in Chinese (the page is
    driven below by its Chinese labels)."""
    with i18n.speaking("zh"):
        base = check(Run(events=[SAMPLE]))
    first = base.violations[0]
    hostile = Violation(first.rule_id, "error", HOSTILE_CASE, HOSTILE_UNIT, None, "late",
                        "2021-10-13 23:59:59", "2021-10-14 09:00:00",
                        "应于2021-10-13 23:59:59前办结（时限5个工作日），" + HOSTILE_MESSAGE,
                        ({"event_type": "留言受理", "timestamp": "2021-09-30 10:00:00"},
                         {"event_type": "留言答复", "timestamp": "2021-10-14 09:00:00",
                          "答复内容": HOSTILE_EVIDENCE}))
    return replace(base, violations=base.violations + (hostile,))


@pytest.fixture(scope="module")
def browser(report, tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "report.html"
    with i18n.speaking("zh"):
        path.write_bytes(render(report, "html"))
    with Chromium() as chrome:
        chrome.open(path.as_uri())
        yield chrome
        assert chrome.console_errors() == []


def js(chrome: Chromium, expression: str):
    return chrome.evaluate(expression)


def reset(chrome: Chromium) -> None:
    js(chrome, "document.getElementById('f-reset').click()")


def choose(chrome: Chromium, select_id: str, label: str) -> None:
    """Pick the option showing ``label`` in a filter, as a user would."""
    found = js(chrome, f"""(() => {{
        const s = document.getElementById({json.dumps(select_id)});
        const o = Array.from(s.options).find(o => o.text === {json.dumps(label)});
        if (!o) return false;
        s.value = o.value;
        s.dispatchEvent(new Event('change', {{bubbles: true}}));
        return true; }})()""")
    assert found, f"no option {label!r} in #{select_id}"


def search(chrome: Chromium, text: str) -> None:
    js(chrome, f"""(() => {{ const q = document.getElementById('f-q');
        q.value = {json.dumps(text)}; q.dispatchEvent(new Event('input', {{bubbles: true}})); }})()""")
    time.sleep(0.4)   # the search box waits 180 ms after the last key


def visible(chrome: Chromium) -> list[dict]:
    return js(chrome, """Array.from(document.querySelectorAll('#findings tbody tr.row')).map(tr => ({
        rule: tr.cells[1].textContent, sev: tr.cells[2].textContent, subject: tr.cells[3].textContent,
        unit: tr.cells[4].textContent, type: tr.cells[5].textContent, due: tr.cells[6].textContent,
        msg: tr.cells[8].textContent}))""")


def test_opens_with_the_first_page_and_no_errors(browser, report):
    assert js(browser, "document.body.dataset.ready") == "true"
    rows = visible(browser)
    assert len(rows) == min(50, len(report.violations))
    status = js(browser, "document.getElementById('status').textContent")
    assert f"全部 {len(report.violations) + len(report.warnings)} 条" in status
    assert browser.console_errors() == []


def test_printing_prints_every_violation_with_page_numbers(browser, report):
    """The table shows one page of 50 on screen; printed (Chromium's own print to PDF, which
    fires beforeprint as a print dialog does) it holds every violation, and each page says
    which of how many it is. Then the screen shows its page again."""
    reset(browser)
    page_size(browser, 20)
    try:
        assert len(visible(browser)) == min(20, len(report.violations))
        js(browser, "window.__printed = null; window.addEventListener('beforeprint', () => {"
                    "window.__printed = document.querySelectorAll('#findings tbody tr.row').length; })")
        pdf = pypdf.PdfReader(io.BytesIO(base64.b64decode(
            browser.call("Page.printToPDF", preferCSSPageSize=True)["data"])))
        assert js(browser, "window.__printed") == len(report.violations)
        assert len(visible(browser)) == min(20, len(report.violations))
    finally:
        page_size(browser, 50)
    # where a CJK font carries no text map its characters come out as NUL: drop them
    pages = [page.extract_text().replace("\x00", "") for page in pdf.pages]
    total = len(pages)
    assert total > 2
    for number, text in enumerate(pages, 1):    # 第 n 页 / 共 N 页
        assert re.search(rf"(?<!\d){number}\D{{0,4}}/\D{{0,4}}{total}(?!\d)", text), \
            (number, text[:200])
    printed = Counter(re.findall(r"[A-Z]{2}\d{2}-[A-Z]{2}-\d{2}-\d+|GB-[A-Z]+-\d+-\d+",
                                 "\n".join(pages)))
    for rule_id, n in Counter(v.rule_id for v in report.violations).items():
        assert printed[rule_id] >= n, rule_id


def page_size(chrome: Chromium, rows: int) -> None:
    js(chrome, f"document.getElementById('f-size').value = '{rows}';"
               "document.getElementById('f-size').dispatchEvent(new Event('change'))")


def test_filter_by_unit_shows_only_that_unit(browser, report):
    reset(browser)
    counts = Counter(v.unit for v in report.violations if v.unit)
    unit = sorted(counts, key=lambda u: (counts[u], u))[len(counts) // 2]
    choose(browser, "f-unit", unit)
    rows = visible(browser)
    assert rows and {r["unit"] for r in rows} == {unit}
    assert len(rows) == min(50, counts[unit])
    assert f"筛选结果 {counts[unit]} 条" in js(browser, "document.getElementById('status').textContent")


def test_filter_by_type_and_severity(browser, report):
    reset(browser)
    choose(browser, "f-type", "超期未办结")
    choose(browser, "f-sev", "错误")
    expected = sum(1 for v in report.violations if v.type == "overdue_open" and v.severity == "error")
    rows = visible(browser)
    assert {r["type"] for r in rows} == {"超期未办结"} and {r["sev"] for r in rows} == {"错误"}
    assert f"筛选结果 {expected} 条" in js(browser, "document.getElementById('status').textContent")


def test_search_finds_a_case(browser, report):
    reset(browser)
    case = report.violations[3].case_id
    search(browser, case)
    rows = visible(browser)
    assert rows and all(r["subject"] == case for r in rows)


def test_sort_by_deadline_and_page(browser, report):
    reset(browser)
    js(browser, "document.querySelector('#findings th[data-col=\"5\"]').click()")
    dues = [r["due"] for r in visible(browser)]
    assert dues == sorted(dues)
    assert dues[0] == min(v.due or "" for v in report.violations)
    js(browser, "document.querySelector('#findings th[data-col=\"5\"]').click()")
    assert visible(browser)[0]["due"] == max(v.due or "" for v in report.violations)
    if len(report.violations) > 50:
        js(browser, "document.getElementById('next').click()")
        assert js(browser, "document.getElementById('page-info').textContent").startswith("第 2 /")
        assert len(visible(browser)) == min(50, len(report.violations) - 50)


def test_a_row_opens_its_evidence_and_the_day_by_day_count(browser, report, chinese):
    reset(browser)
    # a case closed late against a working-day limit: its count is shown day by day
    target = next(v for v in report.violations if v.type == "late" and v.case_id
                  and "个工作日" in v.message)
    search(browser, target.case_id)
    js(browser, "document.querySelector('#findings tbody tr.row').click()")
    detail = js(browser, """(() => { const d = document.querySelector('#findings tr.detail');
        return d && {items: Array.from(d.querySelectorAll('ol.timeline > li')).map(li => li.textContent),
                     count: (d.querySelector('pre.count') || {}).textContent}; })()""")
    assert detail, "the evidence row opened"
    assert len(detail["items"]) == len(target.evidence) + 2     # events, deadline, as_of
    assert any(target.due in item for item in detail["items"])
    start = dt.date.fromisoformat(str(target.evidence[0]["timestamp"])[:10])
    cal = WorkCalendar.load()
    n = cal.workdays_between(start, dt.date.fromisoformat(target.due[:10]))
    assert detail["count"] == cal.explain_text(start, n)
    # closing it again
    js(browser, "document.querySelector('#findings tbody tr.row').click()")
    assert js(browser, "document.querySelectorAll('#findings tr.detail').length") == 0


def test_hostile_text_stays_text(browser):
    reset(browser)
    choose(browser, "f-unit", HOSTILE_UNIT)
    rows = visible(browser)
    assert len(rows) == 1
    assert rows[0]["subject"] == HOSTILE_CASE and rows[0]["unit"] == HOSTILE_UNIT
    assert "138****5678" in rows[0]["msg"] and "<a href=" in rows[0]["msg"]
    js(browser, "document.querySelector('#findings tbody tr.row').click()")
    text = js(browser, "document.querySelector('#findings tr.detail').textContent")
    assert HOSTILE_EVIDENCE in text
    assert js(browser, "document.querySelectorAll('main img, main a[href^=javascript], "
                       "#findings script').length") == 0
    assert js(browser, "typeof window.__pwned") == "undefined"
    assert js(browser, "document.scripts.length") == 2


def test_rule_button_filters_the_table(browser, report):
    reset(browser)
    rule_id = report.violations[0].rule_id
    js(browser, f"document.querySelector('[data-rule-filter=\"{rule_id}\"]').click()")
    rows = visible(browser)
    assert rows and {r["rule"] for r in rows} == {rule_id}


def test_nothing_but_the_file_is_requested(browser):
    urls = browser.requests()
    assert urls and all(u.startswith("file://") or u.startswith("data:") for u in urls), urls
    assert browser.console_errors() == []

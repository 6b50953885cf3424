"""A rule's ``notes`` (how its sentence was read) go wherever its quote is shown: ``rules
show``, the JSON and HTML reports and the 整改通知."""
from __future__ import annotations

import json
import textwrap
from dataclasses import replace

from click.testing import CliRunner

from govcheck.cli import main
from govcheck.engine.data.calendar import WorkCalendar
from govcheck.engine.render import render
from govcheck.engine.render.notices import render_notices
from support import rule_from
from test_html import hostile_report

NOTES = "补正告知至补正收到期间不计时；视为放弃申请的结案不判。"

RULE = textwrap.dedent(f"""\
    id: T-NOTES-1
    title: 网民咨询问题5个工作日内回复
    kind: deadline
    severity: error
    source: {{document: 测试文件, number: 测试〔2021〕1号, clause: 一、, quote: 确保5个工作日回复}}
    notes: {NOTES}
    effective: {{from: 2021-01-01, to: 2021-12-31}}
    start: {{event_type: 留言受理}}
    end: {{event_type: 留言答复}}
    within: {{workdays: 5}}
    """)


def with_notes():
    report = hostile_report()
    rules = tuple(replace(r, notes=NOTES) if r.id == "SY21-FW-28-1" else r for r in report.rules)
    return replace(report, rules=rules)


def test_the_model_keeps_notes_after_the_source():
    assert rule_from(RULE).rule.notes == NOTES


def test_rules_show_prints_the_notes_under_the_quote(tmp_path):
    (tmp_path / "rules" / "pack").mkdir(parents=True)
    (tmp_path / "rules" / "pack" / "T-NOTES-1.yaml").write_text(RULE, encoding="utf-8")
    shown = CliRunner().invoke(main, ["rules", "show", "T-NOTES-1", "--rules",
                                      str(tmp_path / "rules")]).stdout.splitlines()
    quote = next(i for i, line in enumerate(shown) if line.startswith("Quote: "))
    assert shown[quote + 1] == f"Notes: {NOTES}"


def test_the_json_report_gives_each_rule_its_notes_or_null():
    data = json.loads(render(with_notes(), "json"))
    notes = {r["id"]: r["notes"] for r in data["rules"]}
    assert notes["SY21-FW-28-1"] == NOTES and notes["HY21-GK-15"] is None


def test_the_html_rule_section_shows_the_notes():
    page = render(with_notes(), "html").decode("utf-8")
    assert f'<p class="notes">Notes: {NOTES}</p>' in page
    assert page.count('class="notes"') == 1


def test_a_notice_shows_the_notes_under_the_quote():
    pages = dict(render_notices(with_notes(), WorkCalendar.load(), reply_within=5))
    page = pages["整改通知-市政务服务中心.html"].decode("utf-8")
    assert f"”<br>说明：{NOTES}</p>" in page

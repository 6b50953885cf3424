"""Each house convention (engine/model/lints.py) catches what it says, at the right place."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from govcheck.engine.model.lints import RuleFile, key_order, lint, mechanical_severity
from govcheck.engine.model.loader import load_rule_file
from govcheck.engine.model.yamlsource import load_yaml

GOOD = """\
id: SY21-FW-28-1
title: 网民咨询问题5个工作日内回复
kind: deadline
severity: error
source: {document: 测试文件, number: 测试〔2021〕1号, clause: 一、, quote: 确保网民咨询问题5个工作日回复}
effective: {from: 2021-01-01, to: 2021-12-31}
start: {event_type: 留言受理}
end: {event_type: 留言答复}
within: {workdays: 5}
examples:
  - name: 按期答复
    events:
      - {case_id: C1, event_type: 留言受理, timestamp: "2021-09-30 10:00"}
      - {case_id: C1, event_type: 留言答复, timestamp: "2021-10-13 17:00"}
    expect: []
  - name: 第6个工作日才答复
    events:
      - {case_id: C2, event_type: 留言受理, timestamp: "2021-09-30 10:00"}
      - {case_id: C2, event_type: 留言答复, timestamp: "2021-10-14 09:00"}
    expect: [{case_id: C2, type: late}]
  - name: 未答复
    events:
      - {case_id: C3, event_type: 留言受理, timestamp: "2021-09-30 10:00"}
    as_of: "2021-10-20 00:00"
    expect: [{case_id: C3, type: overdue_open}]
"""


def problems(tmp_path: Path, text: str, pack: str = "shaoyang-2021-service",
             name: str = "SY21-FW-28-1.yaml") -> list[str]:
    path = tmp_path / pack / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    item = load_rule_file(path)
    return [str(p) for p in lint(RuleFile(item.rule, path, load_yaml(path)))]


def test_a_rule_that_keeps_every_convention_has_no_problem(tmp_path):
    assert problems(tmp_path, GOOD) == []


def test_a_file_not_named_after_its_id_is_located_at_the_id(tmp_path):
    (found,) = problems(tmp_path, GOOD, name="other.yaml")
    assert "other.yaml:1:5:" in found and "SY21-FW-28-1.yaml" in found


def test_keys_out_of_the_house_order(tmp_path):
    text = GOOD.replace("within: {workdays: 5}\n", "").replace(
        "start: {event_type: 留言受理}\n", "within: {workdays: 5}\nstart: {event_type: 留言受理}\n")
    (found,) = problems(tmp_path, text)
    assert "start, end, within" in found


def test_example_keys_out_of_order_point_at_the_example(tmp_path):
    text = GOOD.replace('    as_of: "2021-10-20 00:00"\n    expect: [{case_id: C3, type: overdue_open}]',
                        '    expect: [{case_id: C3, type: overdue_open}]\n    as_of: "2021-10-20 00:00"')
    (found,) = problems(tmp_path, text)
    assert "example keys" in found and ":21:5:" in found


def test_a_binding_quote_needs_error_severity(tmp_path):
    (found,) = problems(tmp_path, GOOD.replace("severity: error", "severity: warning"))
    assert ":4:11:" in found and "severity is error" in found


def test_every_example_passing_is_not_enough(tmp_path):
    text = GOOD.replace("expect: [{case_id: C2, type: late}]", "expect: []").replace(
        "expect: [{case_id: C3, type: overdue_open}]", "expect: []")
    assert any("violates" in p for p in problems(tmp_path, text))


def test_a_rule_leaving_its_packs_year(tmp_path):
    (found,) = problems(tmp_path, GOOD.replace("to: 2021-12-31", "to: 2022-06-30"))
    assert "leaves that year" in found


def test_a_national_rule_has_no_end(tmp_path):
    (found,) = problems(tmp_path, GOOD, pack="national")
    assert "no effective.to" in found


def test_the_key_order_comes_from_the_model():
    assert key_order("sequence") == ("id", "title", "kind", "severity", "source", "notes",
                                     "effective", "where", "trigger", "steps", "ordered", "within",
                                     "settle", "only_if", "exclude", "cancel", "examples")


@pytest.mark.parametrize("quote, severity", [
    ("确保网民咨询问题5个工作日回复", "error"),
    ("監管事項實施清單填報完成率達100%", None),
    ("填报完成率达到100%", "error"),
    ("网上可办率力争达到100%", "warning"),
    ("網上可辦率力爭達到100%", "warning"),
    ("原则上2022年底前完成改造任务", "warning"),
    ("力争达到100%，确保年内完成", "error"),
    ("推进部门预算公开", None),
])
def test_mechanical_severity_reads_hedged_targets_as_hedges(quote, severity):
    assert mechanical_severity(quote) == severity


@pytest.mark.parametrize("share, days, fires", [
    (0.67, 3, False),   # ceil(2.01) = 3: the deadline itself
    (0.66, 3, True),
    (0.5, 1, False),    # one working day leaves none to warn in
    (0.14, 50, True),   # 7.000000000000001 in floating point, 7 on paper
    (0.99, 50, False),
])
def test_a_warn_at_that_can_never_fire_is_a_warning(tmp_path, share, days, fires):
    text = GOOD.replace("within: {workdays: 5}", f"within: {{workdays: {days}}}\nwarn_at: {share}")
    path = tmp_path / "shaoyang-2021-service" / "SY21-FW-28-1.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    item = load_rule_file(path)
    found = lint(RuleFile(item.rule, path, load_yaml(path)))
    if fires:
        assert found == []
    else:
        (problem,) = found
        assert problem.severity == "warning"
        assert str(problem).startswith(f"{path}:10:10: warning: warn_at {share:g}")
        assert "never warns" in str(problem)


def test_the_largest_share_that_warns_is_named(tmp_path):
    text = GOOD.replace("within: {workdays: 5}", "within: {workdays: 3}\nwarn_at: 0.67")
    (found,) = problems(tmp_path, text)
    assert "largest warn_at that warns: 0.66" in found


UNTIMED = GOOD.replace("kind: deadline", "kind: sequence").replace(
    "start: {event_type: 留言受理}\nend: {event_type: 留言答复}\nwithin: {workdays: 5}\n",
    "trigger: {event_type: 留言受理}\nsteps: [{event_type: 留言答复}]\n").replace(
    "type: late", "type: missing_step").replace("type: overdue_open", "type: missing_step")


def test_an_untimed_case_rule_of_severity_error_needs_a_limit_or_a_fair_time(tmp_path):
    found = [p for p in problems(tmp_path, UNTIMED) if "untimed case rule" in p]
    assert len(found) == 1 and "SY21-FW-28-1.yaml:3:7:" in found[0]


def test_a_fair_time_with_its_reason_or_a_warning_is_enough(tmp_path):
    settled = UNTIMED.replace("steps: [{event_type: 留言答复}]\n",
                              "steps: [{event_type: 留言答复}]\n"
                              "settle: {workdays: 5, reason: 原文未规定时限，判定前留出5个工作日}\n")
    hedged = UNTIMED.replace("severity: error", "severity: warning").replace("确保", "力争")
    assert not [p for p in problems(tmp_path, settled) if "untimed" in p or "settle" in p]
    assert not [p for p in problems(tmp_path / "w", hedged) if "untimed" in p]


def test_a_fair_time_must_say_why(tmp_path):
    short = UNTIMED.replace("steps: [{event_type: 留言答复}]\n",
                            "steps: [{event_type: 留言答复}]\nsettle: {workdays: 5, reason: 惯例}\n")
    (found,) = [p for p in problems(tmp_path, short) if "settle.reason" in p]
    assert "say why this time is fair" in found

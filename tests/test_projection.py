"""A check loads only the columns its rules read, and answers as if it had loaded them all.

What a run reads of a log comes from its rules (``rule.attributes()``); the load leaves
the rest out (``data.ingest.projection``). These tests hold the two to each other (no
rule's query reads a column its attributes do not name) and hold a projected load to the
full one: the same findings, the same bad rows, copies and blank rows, whatever the
columns no rule reads hold.
"""
from __future__ import annotations

import json
import re

import pytest

from govcheck.engine.api import Run, check, select_rules
from govcheck.engine.batch.compile import compile_rule
from govcheck.engine.data.sqltext import quote_ident
from govcheck.engine.errors import DataError
from govcheck.engine.model.rule import CANONICAL_COLUMNS
from govcheck.engine.render import render

RULE = "GB-OGI-26-1"     # reads 公开属性 of 政府信息形成/变更 events, and 信息公开发布 events
HEADER = "case_id,event_type,timestamp,unit,公开属性,审核人,备注\n"
ROWS = ("G1,政府信息形成,2022-03-01 09:00:00,甲局,主动公开,,形成\n"
        "G1,信息公开发布,2022-05-30 09:00:00,甲局,,张三,发布\n"
        "G2,政府信息形成,2022-03-02 09:00:00,乙局,主动公开,,\n"
        "H1,工单受理,2022-03-03 09:00:00,乙局,,,咨询\n")


def _log(tmp_path, rows: str = ROWS):
    path = tmp_path / "log.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return str(path)


def _json(report) -> dict:
    return json.loads(render(report, "json"))


def _without_evidence(doc: dict) -> dict:
    return {**doc, "violations": [{k: v for k, v in f.items() if k != "evidence"}
                                  for f in doc["violations"]]}


def test_no_rule_reads_a_column_its_attributes_do_not_name():
    names = {"公开属性", "审核人", "备注", "累计用户数", "常住人口", "评价等级", "核实结论", "复核结论"}
    for loaded in select_rules(None):
        rule = loaded.rule
        columns = set(CANONICAL_COLUMNS) | names | set(rule.attributes()) | {"_src", "_row"}
        compiled = compile_rule(rule, columns, frozenset())
        read = {n for n in names - set(rule.attributes())
                if quote_ident(n) in compiled.sql or quote_ident(n) in compiled.evidence_sql}
        assert not read, (rule.id, read)


def test_one_rule_finds_the_same_with_its_columns_as_with_all(tmp_path):
    log = _log(tmp_path)
    rule_view = _json(check(Run([log], rule_ids=[RULE], as_of="2022-06-30")))
    full_view = _json(check(Run([log], rule_ids=[RULE], as_of="2022-06-30", evidence="full")))
    assert _without_evidence(rule_view) == _without_evidence(full_view)
    assert [v["case_id"] for v in rule_view["violations"]] == ["G1", "G2"]
    # the rule's own attribute is shown, the columns it does not read only in full
    published = rule_view["violations"][0]["evidence"]
    assert published[0]["公开属性"] == "主动公开"
    assert all("备注" not in e and "审核人" not in e for e in published)
    assert full_view["violations"][0]["evidence"][1]["审核人"] == "张三"


def test_evidence_columns_are_shown_and_loaded(tmp_path):
    report = check(Run([_log(tmp_path)], rule_ids=[RULE], as_of="2022-06-30",
                       evidence_columns=("备注",)))
    evidence = _json(report)["violations"][0]["evidence"]
    assert [e.get("备注") for e in evidence] == ["形成", "发布"]


def test_a_row_with_values_only_in_unread_columns_is_a_bad_row(tmp_path):
    # blank in every column the rule reads, not blank as a row: its case is missing
    log = _log(tmp_path, ROWS + ",,,,,,只有备注\n")
    with pytest.raises(DataError) as projected:
        check(Run([log], rule_ids=[RULE]))
    with pytest.raises(DataError) as full:
        check(Run([log], rule_ids=[RULE], evidence="full"))
    assert str(projected.value) == str(full.value)
    assert "row 6" in str(projected.value)


def test_rows_differing_only_in_unread_columns_are_not_copies(tmp_path):
    log = _log(tmp_path, ROWS + "G2,政府信息形成,2022-03-02 09:00:00,乙局,主动公开,,又一条\n")
    projected = check(Run([log], rule_ids=[RULE], as_of="2022-06-30"))
    full = check(Run([log], rule_ids=[RULE], as_of="2022-06-30", evidence="full"))
    assert (projected.events, projected.duplicates) == (full.events, full.duplicates) == (5, 0)
    copied = _log(tmp_path, ROWS + ROWS.splitlines(keepends=True)[2])
    again = check(Run([copied], rule_ids=[RULE], as_of="2022-06-30"))
    assert (again.events, again.duplicates) == (4, 1)


def test_bad_rows_file_keeps_every_original_value(tmp_path):
    log = _log(tmp_path, ROWS + "G3,政府信息形成,不是时间,丙局,主动公开,,坏行\n")
    bad = tmp_path / "bad.csv"
    report = check(Run([log], rule_ids=[RULE], as_of="2022-06-30", bad_rows=str(bad)))
    assert report.bad_rows == 1
    text = bad.read_text(encoding="utf-8-sig")
    assert "坏行" in text and re.search(r"row|5", text)


def test_applicability_counts_every_event_type(tmp_path):
    # the log's event types, events and cases are those of every row, not only of the
    # types the rule reads
    report = check(Run([_log(tmp_path)], rule_ids=[RULE], as_of="2022-06-30"))
    assert (report.events, report.cases) == (4, 3)

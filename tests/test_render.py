"""The four renderers, each checked against a Report built by hand.

Output formats are contracts (scripts parse the JSON, Excel opens the CSV, CI reads the
JUnit), so these tests pin the exact JSON, validate it against docs/report.schema.json,
validate the JUnit against tests/data/junit.xsd, and try hostile cell values.
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from govcheck.engine.model.rule import VIOLATION_TYPES
from govcheck.engine.findings.report import DataQuality, Evidence, PackUse, Report, RuleResult, Span, Violation
from govcheck.engine.render import FORMATS, render

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))
XSD = ROOT / "tests" / "data" / "junit.xsd"

INJECTION = "=cmd|' /C calc'!A0"
SCRIPT = "<script>alert('x')</script>"

SY_SOURCE = {"document": "邵阳市2021年政务管理服务工作要点", "number": "邵市政办函〔2021〕21号",
             "clause": "八、（二十八）", "quote": "确保网民咨询问题5个工作日回复"}
GK_SOURCE = {"document": "衡阳市2021年政务公开工作要点", "number": "衡政办函〔2021〕30号",
             "clause": "五、（十五）", "quote": "按时发布政府信息公开工作年度报告"}
ZB_SOURCE = {"document": "中华人民共和国政府信息公开条例", "number": "国务院令第711号",
             "clause": "第三十三条", "quote": "行政机关不能当场答复的，应当自收到申请之日起20个工作日内予以答复"}


def _rules() -> tuple[RuleResult, ...]:
    return (
        RuleResult("SY21-FW-28-1", "网民咨询问题5个工作日内回复", "deadline", "error", SY_SOURCE,
                   checked=40, violations=3, warnings=1, path="rules/sy21/SY21-FW-28-1.yaml"),
        RuleResult("HY21-GK-15", "政府信息公开年报按时发布", "periodic", "warning", GK_SOURCE,
                   checked=6, violations=1, warnings=0, path="rules/hy21/HY21-GK-15.yaml"),
        RuleResult("GK-TL-33", "依申请公开20个工作日内答复", "deadline", "error", ZB_SOURCE,
                   checked=12, violations=0, warnings=0, path="rules/national/GK-TL-33.yaml"),
    )


def _violations() -> tuple[Violation, ...]:
    # Deliberately out of order, with evidence dicts in arbitrary key order.
    return (
        Violation("SY21-FW-28-1", "error", "C2", "市政务服务中心", None, "late",
                  "2021-10-13 23:59:59", "2021-10-14 09:00", "第6个工作日才答复",
                  ({"timestamp": "2021-09-30 10:00", "event_type": "留言受理", "case_id": "C2",
                    "unit": "市政务服务中心"},
                   {"event_type": "留言答复", "timestamp": "2021-10-14 09:00", "case_id": "C2",
                    "handler": INJECTION})),
        Violation("HY21-GK-15", "warning", None, "衡阳县人民政府", "2021", "missing_in_period",
                  "2022-01-31 23:59:59", 0, f"2021年度未发布年报 {SCRIPT}", ()),
        Violation("SY21-FW-28-1", "error", "C1", "双清区政务服务中心", None, "overdue_open",
                  "2021-10-08 23:59:59", None, "超期未答复", (
                      {"event_type": "留言受理", "timestamp": "2021-09-28 16:30", "case_id": "C1",
                       "unit": "双清区政务服务中心"},)),
        Violation("SY21-FW-28-1", "error", "C7", None, None, "late", "2021-11-01 23:59:59",
                  "2021-11-02 08:00", "+SUM(A1:A9) 迟复", ()),
    )


def _warnings() -> tuple[Violation, ...]:
    return (Violation("SY21-FW-28-1", "error", "C9", "市政务服务中心", None, "at_risk",
                      "2021-10-21 23:59:59", 0.8, "已用去80%的工作日",
                      ({"event_type": "留言受理", "timestamp": "2021-10-15 09:00", "case_id": "C9"},)),)


@pytest.fixture
def report() -> Report:
    return Report(as_of="2021-10-20 00:00:00", events=1234, cases=58, rules=_rules(),
                  violations=_violations(), warnings=_warnings(), bad_rows=2, duplicates=3,
                  files=("fixtures/shaoyang-2021.csv",), calendar_years=(2021,),
                  span=Span("2021-01-01 00:00:00", "2021-10-20 00:00:00"),
                  packs=(PackUse("shaoyang-2021-service", "邵阳市2021年政务管理服务工作要点"),))


def small_report() -> Report:
    return Report(
        as_of="2021-10-14 09:00:00", events=2, cases=1,
        rules=(RuleResult("SY21-FW-28-1", "网民咨询问题5个工作日内回复", "deadline", "error",
                          SY_SOURCE, 1, 1, 0),),
        violations=(Violation("SY21-FW-28-1", "error", "C2", "市政务服务中心", None, "late",
                              "2021-10-13 23:59:59", "2021-10-14 09:00", "第6个工作日才答复",
                              ({"timestamp": "2021-09-30 10:00", "event_type": "留言受理"},)),),
        warnings=(), bad_rows=0)


# ---------------------------------------------------------------------------
# render()
# ---------------------------------------------------------------------------

def test_formats_and_dispatch(report):
    assert FORMATS == ("text", "json", "csv", "junit", "html", "xlsx")
    for fmt in ("text", "json", "csv", "junit", "html"):  # xlsx has its own tests
        out = render(report, fmt)
        assert isinstance(out, bytes) and out
        assert out == render(report, fmt)


def test_unknown_format_names_the_choices(report):
    with pytest.raises(ValueError, match="text, json, csv, junit, html, xlsx"):
        render(report, "pdf")


def test_empty_report_renders_in_every_format(chinese):
    empty = Report(as_of=None, events=0, cases=0, rules=(), violations=(), warnings=(), bad_rows=0)
    data = json.loads(render(empty, "json"))
    jsonschema.validate(data, SCHEMA)
    assert data["violations"] == [] and data["as_of"] is None
    assert "未发现违规" in render(empty, "text").decode("utf-8")
    assert render(empty, "csv").decode("utf-8-sig").splitlines() == [
        "kind,rule_id,severity,case_id,unit,period,type,due,actual,message,evidence"]
    assert ET.fromstring(render(empty, "junit")).tag == "testsuites"


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------

EXPECTED_SMALL_JSON = """\
{
  "as_of": "2021-10-14 09:00:00",
  "events": 2,
  "cases": 1,
  "rules": [
    {"id": "SY21-FW-28-1", "title": "网民咨询问题5个工作日内回复", "kind": "deadline", "severity": "error", "source": {"document": "邵阳市2021年政务管理服务工作要点", "number": "邵市政办函〔2021〕21号", "clause": "八、（二十八）", "quote": "确保网民咨询问题5个工作日回复"}, "checked": 1, "violations": 1, "warnings": 0, "path": "", "not_judged": {}, "status": "judged", "status_reason": null, "notes": null}
  ],
  "violations": [
    {"rule_id": "SY21-FW-28-1", "severity": "error", "case_id": "C2", "unit": "市政务服务中心", "period": null, "type": "late", "due": "2021-10-13 23:59:59", "actual": "2021-10-14 09:00", "message": "第6个工作日才答复", "evidence": [{"event_type": "留言受理", "timestamp": "2021-09-30 10:00"}]}
  ],
  "warnings": [],
  "bad_rows": 0,
  "duplicates": 0,
  "files": [],
  "calendar_years": [],
  "units": [],
  "span": null,
  "packs": [],
  "data_quality": []
}
"""


def test_json_exact_bytes_for_a_small_report():
    assert render(small_report(), "json") == EXPECTED_SMALL_JSON.encode("utf-8")


def test_json_has_design_keys_in_order_and_sorted_findings(report):
    data = json.loads(render(report, "json"))
    assert list(data)[:7] == ["as_of", "events", "cases", "rules", "violations", "warnings",
                              "bad_rows"]
    assert [r["id"] for r in data["rules"]] == ["GK-TL-33", "HY21-GK-15", "SY21-FW-28-1"]
    assert list(data["rules"][0])[:7] == ["id", "title", "kind", "severity", "source", "checked",
                                          "violations"]
    assert list(data["violations"][0]) == ["rule_id", "severity", "case_id", "unit", "period",
                                           "type", "due", "actual", "message", "evidence"]
    keys = [(v["rule_id"], v["case_id"] or "", v["unit"] or "", v["period"] or "")
            for v in data["violations"]]
    assert keys == [("HY21-GK-15", "", "衡阳县人民政府", "2021"),
                    ("SY21-FW-28-1", "C1", "双清区政务服务中心", ""),
                    ("SY21-FW-28-1", "C2", "市政务服务中心", ""),
                    ("SY21-FW-28-1", "C7", "", "")]
    c2 = data["violations"][2]
    assert list(c2["evidence"][0]) == ["event_type", "timestamp", "case_id", "unit"]
    assert c2["evidence"][1]["handler"] == INJECTION  # JSON carries data as it is
    assert data["warnings"][0]["type"] == "at_risk" and data["warnings"][0]["actual"] == 0.8
    assert data["bad_rows"] == 2 and data["duplicates"] == 3
    assert data["files"] == ["fixtures/shaoyang-2021.csv"] and data["calendar_years"] == [2021]


def test_json_keeps_chinese_as_text_and_ends_with_newline(report):
    out = render(report, "json")
    assert "网民咨询问题".encode("utf-8") in out
    assert b"\\u" not in out
    assert out.endswith(b"}\n") and not out.endswith(b"\n\n")
    assert b'\n  "as_of"' in out  # one top-level key per line


def test_json_is_byte_identical_for_equal_reports(report):
    shuffled = replace(
        report,
        violations=tuple(reversed(report.violations)),
        rules=tuple(reversed(report.rules)),
        warnings=tuple(replace(w, evidence=tuple(dict(reversed(list(e.items())))
                                                 for e in w.evidence)) for w in report.warnings),
    )
    assert shuffled.warnings == report.warnings  # dict order is not part of equality
    for fmt in FORMATS:
        assert render(shuffled, fmt) == render(report, fmt), fmt


def test_json_output_validates_against_the_schema(report):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(json.loads(render(report, "json")), SCHEMA)
    jsonschema.validate(json.loads(render(small_report(), "json")), SCHEMA)


def test_schema_violation_types_are_the_models():
    assert tuple(SCHEMA["$defs"]["violation_type"]["enum"]) == VIOLATION_TYPES


@pytest.mark.parametrize("breakage", [
    lambda d: d.pop("bad_rows"),
    lambda d: d["violations"][0].pop("evidence"),
    lambda d: d["violations"][0].update(type="tardy"),
    lambda d: d["violations"][0].update(period="last year"),
    lambda d: d["violations"][1].update(period="2021"),  # a case finding has no period
    lambda d: d["warnings"][0].update(type="late"),
    lambda d: d["rules"][0]["source"].pop("quote"),
    lambda d: d["rules"][0].update(checked=-1),
])
def test_schema_rejects_a_broken_report(report, breakage):
    data = json.loads(render(report, "json"))
    breakage(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_json_serialises_values_the_engine_may_hand_over():
    import datetime as dt
    from decimal import Decimal
    v = Violation("R-1", "error", "C1", None, None, "late", "2021-01-05 23:59:59",
                  float("nan"), "m",
                  ({"event_type": "受理", "timestamp": dt.datetime(2021, 1, 4, 9, 30),
                    "amount": Decimal("1.5"), "day": dt.date(2021, 1, 4)},))
    data = json.loads(render(replace(small_report(), violations=(v,)), "json"))
    assert data["violations"][0]["actual"] is None
    assert data["violations"][0]["evidence"][0] == {
        "event_type": "受理", "timestamp": "2021-01-04 09:30:00", "amount": 1.5, "day": "2021-01-04"}


EVIDENCE_RULE = """
    id: T-EVIDENCE
    title: 五个工作日内答复
    kind: deadline
    severity: error
    start: {event_type: 留言受理}
    end: {event_type: 留言答复}
    within: {workdays: 5}
"""


def test_json_prints_evidence_the_database_wrote_as_it_prints_parsed_evidence(run):
    """The database writes each finding's evidence as JSON text that the report prints as
    it is: it must be the very bytes of the same evidence printed from parsed dicts."""
    hostile = {"k0": "a\x0bb\x1fc\x7f", "k1": "back\\slash \\u00AB \\\\u001F", "k2": 'say "hi"',
               "k3": "line\u2028sep\u2029", "k4": "emoji 😀 全角　空格", "k5": "tab\tand\nnewline",
               "Z": "upper", "_x": "underscore", "中文": "值", "a": "1e5", "unit": "局"}
    events = [{"case_id": "C1", "event_type": "留言受理", "timestamp": "2021-09-30 10:00", **hostile},
              {"case_id": "C1", "event_type": "留言答复", "timestamp": "2021-10-20 10:00",
               "event_id": "E2", "备注": "迟"}]
    report = run(EVIDENCE_RULE, events)
    (v,) = report.violations
    assert isinstance(v.evidence, Evidence)
    assert v.evidence[0] == {"event_type": "留言受理", "timestamp": "2021-09-30 10:00:00", **hostile}
    assert v.evidence[1]["event_id"] == "E2" and len(v.evidence) == 2
    parsed = replace(report, violations=(replace(v, evidence=tuple(v.evidence)),))
    assert render(report, "json") == render(parsed, "json")
    assert render(report, "json").decode().count('"evidence": [{"event_type": "留言受理"') == 1


def test_period_labels_of_every_shape_are_valid():
    for period in ("2021", "2021-Q3", "2021-07", "2021-W09", "2021-07-15",
                   "2021-03-01/2021-06-30", "/2021-06-30"):
        v = Violation("R-1", "error", None, "U", period, "below_threshold", None, 0.5, "m")
        data = json.loads(render(replace(small_report(), violations=(v,)), "json"))
        jsonschema.validate(data, SCHEMA)


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

def _csv_rows(out: bytes) -> list[dict[str, str]]:
    assert out.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so that Excel reads Chinese"
    return list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"), newline="")))


def test_csv_has_one_row_per_finding_with_json_field_names(report):
    out = render(report, "csv")
    header = out.decode("utf-8-sig").split("\r\n", 1)[0]
    assert header == "kind,rule_id,severity,case_id,unit,period,type,due,actual,message,evidence"
    rows = _csv_rows(out)
    assert [(r["kind"], r["rule_id"], r["case_id"], r["type"]) for r in rows] == [
        ("violation", "HY21-GK-15", "", "missing_in_period"),
        ("violation", "SY21-FW-28-1", "C1", "overdue_open"),
        ("violation", "SY21-FW-28-1", "C2", "late"),
        ("violation", "SY21-FW-28-1", "C7", "late"),
        ("warning", "SY21-FW-28-1", "C9", "at_risk"),
    ]
    assert rows[0]["unit"] == "衡阳县人民政府" and rows[0]["period"] == "2021"
    assert rows[0]["actual"] == "0" and rows[4]["actual"] == "0.8"
    assert rows[0]["message"] == f"2021年度未发布年报 {SCRIPT}"


def test_csv_summarises_evidence_in_one_cell(report):
    c2 = _csv_rows(render(report, "csv"))[2]
    # case and unit repeat the row's own, so they are left out of the summary
    assert c2["evidence"] == ("留言受理 2021-09-30 10:00; "
                              f"留言答复 2021-10-14 09:00 (handler={INJECTION})")


@pytest.mark.parametrize("value", [INJECTION, "+SUM(A1:A9)", "-2+3", "@SUM(A1)",
                                   "\t=1+1", "\r=1+1"])
def test_csv_neutralises_formula_injection(value):
    v = Violation("R-1", "error", value, value, None, "forbidden", None, value, value,
                  ({"event_type": value, "timestamp": "2021-01-01 00:00"},))
    rows = _csv_rows(render(replace(small_report(), violations=(v,)), "csv"))
    assert len(rows) == 1
    for column in ("case_id", "unit", "actual", "message", "evidence"):
        cell = rows[0][column]
        assert cell == "'" + (value if column != "evidence" else f"{value} 2021-01-01 00:00"), column
        assert cell[0] not in "=+-@\t\r"


def test_csv_leaves_safe_text_and_numbers_alone():
    v = Violation("R-1", "error", "C-1", "办公室=A", None, "insufficient", None, -1.5,
                  "a=b 不是公式")
    row = _csv_rows(render(replace(small_report(), violations=(v,)), "csv"))[0]
    assert (row["case_id"], row["unit"], row["actual"], row["message"]) == (
        "C-1", "办公室=A", "-1.5", "a=b 不是公式")


# ---------------------------------------------------------------------------
# JUnit
# ---------------------------------------------------------------------------

XS = "{http://www.w3.org/2001/XMLSchema}"
_INT = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")


def xsd_errors(doc: ET.Element, xsd_path: Path = XSD) -> list[str]:
    """Check ``doc`` against the subset of XML Schema that tests/data/junit.xsd uses.

    lxml is not a dependency, so this reads the XSD itself: global elements referenced
    from sequences with minOccurs/maxOccurs, attributes with use and xs:int/xs:decimal
    types, mixed content, and text-only xs:string elements.
    """
    schema = ET.parse(xsd_path).getroot()
    decls = {e.get("name"): e for e in schema.findall(f"{XS}element")}
    errors: list[str] = []

    def check(el: ET.Element, path: str) -> None:
        decl = decls.get(el.tag)
        if decl is None:
            errors.append(f"{path}: element <{el.tag}> is not declared")
            return
        ctype = decl.find(f"{XS}complexType")
        if ctype is None:  # simple type: text only
            if el.attrib or len(el):
                errors.append(f"{path}: <{el.tag}> holds text only")
            return
        attrs = {a.get("name"): a for a in ctype.findall(f"{XS}attribute")}
        for name, value in el.attrib.items():
            if name not in attrs:
                errors.append(f"{path}: attribute {name!r} is not allowed")
                continue
            kind = attrs[name].get("type")
            if kind == "xs:int" and not _INT.match(value):
                errors.append(f"{path}: {name}={value!r} is not an integer")
            if kind == "xs:decimal" and not _DECIMAL.match(value):
                errors.append(f"{path}: {name}={value!r} is not a decimal")
        for name, a in attrs.items():
            if a.get("use") == "required" and name not in el.attrib:
                errors.append(f"{path}: required attribute {name!r} is missing")
        if ctype.get("mixed") != "true" and (el.text or "").strip():
            errors.append(f"{path}: <{el.tag}> may not hold text")
        children = list(el)
        seq = ctype.find(f"{XS}sequence")
        particles = seq.findall(f"{XS}element") if seq is not None else []
        i = 0
        for p in particles:
            lo = int(p.get("minOccurs", "1"))
            hi = p.get("maxOccurs", "1")
            hi_n = None if hi == "unbounded" else int(hi)
            n = 0
            while i < len(children) and children[i].tag == p.get("ref") \
                    and (hi_n is None or n < hi_n):
                n += 1
                i += 1
            if n < lo:
                errors.append(f"{path}: expected at least {lo} <{p.get('ref')}>")
        for extra in children[i:]:
            errors.append(f"{path}: <{extra.tag}> is not allowed here")
        for n, child in enumerate(children):
            check(child, f"{path}/{child.tag}[{n}]")

    check(doc, doc.tag)
    return errors


def test_xsd_check_catches_bad_junit():
    bad = ET.fromstring('<testsuites><testsuite name="x" tests="two"><testcase/>'
                        '<properties/><bogus/></testsuite></testsuites>')
    errors = xsd_errors(bad)
    assert any("not an integer" in e for e in errors)
    assert any("required attribute 'name'" in e for e in errors)
    assert any("<properties> is not allowed" in e for e in errors)
    assert any("bogus" in e for e in errors)


def test_junit_validates_against_the_xsd(report):
    assert xsd_errors(ET.fromstring(render(report, "junit"))) == []


def test_junit_validates_with_lxml_when_available(report):
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.fromstring(render(report, "junit"))
    assert schema.validate(doc), schema.error_log


def test_junit_structure(report, chinese):
    out = render(report, "junit")
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("58", "4", "0")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["GK-TL-33", "HY21-GK-15", "SY21-FW-28-1"]

    clean, gk, sy = suites
    assert (clean.get("tests"), clean.get("failures")) == ("12", "0")
    assert [(c.get("classname"), c.get("name"), c.find("failure")) for c in clean.findall("testcase")] \
        == [("GK-TL-33", "(all other cases)", None)]

    assert (sy.get("tests"), sy.get("failures")) == ("40", "3")
    cases = sy.findall("testcase")
    assert [c.get("name") for c in cases] == ["C1", "C2", "C7", "(all other cases)"]
    assert {c.get("classname") for c in cases} == {"SY21-FW-28-1"}
    failure = cases[1].find("failure")
    assert failure.get("type") == "late"
    assert failure.get("message") == "第6个工作日才答复"
    assert "event_type=留言受理, timestamp=2021-09-30 10:00" in failure.text
    assert f"handler={INJECTION}" in failure.text
    assert "期限: 2021-10-13 23:59:59" in failure.text
    assert cases[3].find("failure") is None
    props = {p.get("name"): p.get("value") for p in sy.find("properties")}
    assert props["source.number"] == "邵市政办函〔2021〕21号"
    assert props["source.quote"] == "确保网民咨询问题5个工作日回复"
    # an at-risk case is not a failure, but it is reported
    assert "C9" in sy.find("system-out").text
    assert "C9" not in [c.get("name") for c in cases]

    gk_cases = gk.findall("testcase")
    assert gk_cases[0].get("name") == "衡阳县人民政府 2021"
    assert gk_cases[0].find("failure").get("type") == "missing_in_period"


def test_junit_escapes_markup_and_drops_characters_xml_cannot_carry(report):
    nasty = Violation("R-1", "error", 'C"1&<x>', None, None, "forbidden", None, None,
                      f"{SCRIPT}\x00\x1b[31m", ({"event_type": "]]>", "timestamp": "t"},))
    out = render(replace(report, violations=report.violations + (nasty,)), "junit")
    assert b"<script>" not in out
    root = ET.fromstring(out)  # well-formed despite NUL and ESC
    case = root.find("testsuite[@name='R-1']/testcase")
    assert case.get("name") == 'C"1&<x>'
    assert case.find("failure").get("message") == f"{SCRIPT}\ufffd\ufffd[31m"
    assert "event_type=]]>" in case.find("failure").text
    assert xsd_errors(root) == []


def test_junit_suite_for_a_finding_whose_rule_is_not_listed():
    v = Violation("X-9", "error", "C1", None, None, "forbidden", None, None, "m")
    root = ET.fromstring(render(replace(small_report(), rules=(), violations=(v,)), "junit"))
    suite = root.find("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("X-9", "1", "1")


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def column_of(line: str, needle: str) -> int:
    """Display column at which ``needle`` starts in ``line``."""
    return width(line[:line.index(needle)])


def tokens(line: str) -> list[tuple[int, int, str]]:
    """Whitespace-separated cells of ``line`` as (start column, end column, text)."""
    return [(width(line[:m.start()]), width(line[:m.end()]), m.group())
            for m in re.finditer(r"\S+", line)]


def test_text_header_and_summaries(report, chinese):
    text = render(report, "text").decode("utf-8")
    header = {l.split()[0]: l.split()[1] for l in text.splitlines()[2:11]}
    assert header == {"判定时点": "2021-10-20", "日志覆盖期间": "2021-01-01", "规则包": "shaoyang-2021-service（邵阳市2021年政务管理服务工作要点）",
                      "事件数": "1234", "案件数": "58",
                      "无法使用的行": "2", "重复事件（已去重）": "3",
                      "日志文件": "fixtures/shaoyang-2021.csv", "日历年份": "2021"}
    assert "2021-01-01 00:00:00 至 2021-10-20 00:00:00（自首条事件当日至判定时点）" in text
    values = [l for l in text.splitlines()[2:11]]
    assert len({column_of(l, l.split()[1]) for l in values}) == 1  # values line up
    for label in ("规则汇总", "按单位汇总", "违规明细（共 4 条）", "预警：临近期限"):
        assert label in text, label
    line = next(l for l in text.splitlines() if l.startswith("SY21-FW-28-1 "))
    assert line.split()[:6] == ["SY21-FW-28-1", "错误", "40", "3", "7.5%", "1"]
    assert line.endswith("网民咨询问题5个工作日内回复")
    total = next(l for l in text.splitlines() if l.startswith("合计"))
    assert total.split()[1:6] == ["-", "58", "4", "6.9%", "1"]
    unit = next(l for l in text.splitlines() if l.startswith("市政务服务中心"))
    assert unit.split() == ["市政务服务中心", "1", "1"]
    assert any(l.startswith("（未填写单位）") for l in text.splitlines())


def test_text_names_violation_types_in_chinese(report, chinese):
    text = render(report, "text").decode("utf-8")
    for label in ("逾期办结", "超期未办结", "当期缺失", "临近期限"):
        assert label in text
    assert "late" not in text and "missing_in_period" not in text
    assert "依据：邵市政办函〔2021〕21号 八、（二十八）：确保网民咨询问题5个工作日回复" in text
    assert f"证据：留言受理 2021-09-30 10:00；留言答复 2021-10-14 09:00 (handler={INJECTION})" in text


def test_text_columns_align_by_display_width(report, chinese):
    lines = render(report, "text").decode("utf-8").splitlines()
    # The rule summary: every title starts in the same display column.
    header = next(l for l in lines if l.startswith("规则编号"))
    rows = [l for l in lines if l.startswith(("SY21-", "HY21-", "GK-TL-"))]
    assert len(rows) == 3
    titles = ["网民咨询问题", "政府信息公开年报", "依申请公开"]
    for row in rows:
        title = next(t for t in titles if t in row)
        assert column_of(row, title) == column_of(header, "标题")
        # counts are right-aligned: each ends in the column where its header ends
        for n in (2, 3, 4, 5):
            assert tokens(row)[n][1] == tokens(header)[n][1], (row, n)

    # The SY21 violation table: type, due and message columns line up across rows
    # whose unit cells differ in CJK width.
    start = lines.index(next(l for l in lines if l.startswith("[SY21-FW-28-1]")))
    head = lines[start + 2]
    assert head.lstrip().startswith("案件")
    body = [l for l in lines[start + 4:start + 10] if l.startswith("  C")]
    assert [l.split()[0] for l in body] == ["C1", "C2", "C7"]
    for row, type_label in zip(body, ("超期未办结", "逾期办结", "逾期办结")):
        assert column_of(row, type_label) == column_of(head, "类型")
        assert column_of(row, "2021-1") == column_of(head, "期限")
    assert column_of(body[0], "超期未答复") == column_of(head, "说明")
    assert column_of(body[2], "+SUM") == column_of(head, "说明")


def test_text_right_aligns_numbers_in_the_unit_summary(report, chinese):
    lines = render(report, "text").decode("utf-8").splitlines()
    head = next(l for l in lines if l.startswith("单位  ") or l.startswith("单位 "))
    end = column_of(head, "预警数") + width("预警数")
    i = lines.index(head)
    for row in lines[i + 2:i + 6]:
        if not row:
            break
        assert width(row) == end


def test_text_escapes_terminal_control_characters():
    v = Violation("R-1", "error", "C1", None, None, "forbidden", None, None,
                  "红色\x1b[31m警告\u202e反转\n第二行")
    text = render(replace(small_report(), violations=(v,)), "text").decode("utf-8")
    assert "\x1b" not in text and "\u202e" not in text
    assert "红色\\x1b[31m警告\\u202e反转 第二行" in text


def test_text_is_plain_utf8_without_colour(report):
    out = render(report, "text")
    assert b"\x1b" not in out
    assert out.endswith(b"\n")
    out.decode("utf-8")


def test_every_format_shows_what_was_not_judged_and_why(report, chinese):
    """Cases the log could not support are listed (never as violations), and the counts of
    what was not judged, by reason, are in every format."""
    from dataclasses import replace
    quality = DataQuality("SY21-FW-28-1", "Q9", "双清区", "fixtures/shaoyang-2021.csv", 17,
                          "bad_limit", "承诺时限", "承诺时限为空或不是整数，无法计算期限，本案不作判定")
    rules = tuple(replace(r, not_judged={"data_quality": 1, "not_due": 3}) if r.id == "SY21-FW-28-1" else r
                  for r in report.rules)
    report = replace(report, rules=rules, data_quality=(quality,))
    text = render(report, "text").decode()
    assert "数据质量问题（共 1 条，不计为违规）" in text and "承诺时限为空或不是整数" in text
    assert "SY21-FW-28-1 未判定：数据质量问题，无法判断 1，未到判定时间 3" in text
    rows = render(report, "csv").decode("utf-8-sig").splitlines()
    assert rows[-1].startswith("data_quality,SY21-FW-28-1,error,Q9,双清区,,bad_limit,,承诺时限,")
    assert "fixtures/shaoyang-2021.csv 第17行" in rows[-1]
    suite = [s for s in ET.fromstring(render(report, "junit")) if s.get("name") == "SY21-FW-28-1"][0]
    assert suite.get("skipped") == "2"
    assert [c.find("skipped").get("message") for c in suite if c.find("skipped") is not None] == [
        "承诺时限为空或不是整数，无法计算期限，本案不作判定（fixtures/shaoyang-2021.csv: row 17）",
        "未到判定时间 3"]
    page = render(report, "html").decode()
    assert "数据质量问题（1 条）" in page and "未判定 <b>4</b>（数据质量问题，无法判断 1，未到判定时间 3）" in page
    data = json.loads(render(report, "json"))
    assert data["data_quality"][0]["row"] == 17
    assert [r["not_judged"] for r in data["rules"] if r["id"] == "SY21-FW-28-1"] == [
        {"data_quality": 1, "not_due": 3}]
    import io
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(render(report, "xlsx")))
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c]
    assert "承诺时限为空或不是整数，无法计算期限，本案不作判定" in cells


def test_wrap_counts_terminal_columns_and_sets_chinese_punctuation():
    from govcheck.engine.render.text import display_width, wrap

    text = "日志来自哪个城市的单位（如 邵阳市）：随软件提供的规则库将使用该市的规则包。"
    lines = wrap(text, 20)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")       # nothing lost
    assert all(display_width(line) <= 20 for line in lines)
    assert not any(line[0] in "，。；：）" or line[-1] in "（“" for line in lines)
    assert wrap("Mask ID card and mobile numbers; --no-mask shows them.", 20) == \
        ["Mask ID card and", "mobile numbers;", "--no-mask shows", "them."]
    assert wrap("默认遮盖，JSON 以外均如此", 12) == ["默认遮盖，", "JSON 以外均", "如此"]

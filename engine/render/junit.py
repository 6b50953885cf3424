"""JUnit XML, so that CI dashboards (Jenkins, GitLab, Azure DevOps) can show a run.

Each rule is a ``<testsuite>`` (``tests`` = cases or groups checked, ``failures`` =
violations); each violation is a failing ``<testcase>`` named after its case, or its
unit and period, with a ``<failure>`` whose type is the violation type and whose text
is the evidence. One passing ``<testcase name="(all other cases)">`` per rule keeps a
clean rule visible: many dashboards hide a suite without test cases. At-risk warnings
are not failures; they go to the suite's ``<system-out>``. What a rule did not judge is
``<skipped>``: one test case per data-quality finding, and one for the rest, with the
reasons. The texts are in the language in use; test names and the failure's type are
the same in every language.

Built with ``xml.etree`` so escaping is never hand-made; characters that XML 1.0 cannot
carry at all are replaced. No timestamps or host names: equal Reports, equal bytes.
CI pages show this to anyone with access to the build, so 身份证号 and mobile numbers are
masked unless ``mask=False`` (``findings.masking``).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from ..findings.labels import rule_status_text, type_label
from ..i18n import translate as _
from ..findings.masking import mask_text
from ..findings.report import DataQuality, Report, RuleResult, Violation

from .text import evidence_items, not_judged_counts, number, ordered, subject

PASSING_NAME = "(all other cases)"
NOT_JUDGED_NAME = "(not judged)"

# Characters outside the XML 1.0 Char production (C0 controls except tab/LF/CR,
# surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(value: Any) -> str:
    text = "" if value is None else str(value)
    return _NOT_XML.sub("\ufffd", text)


def _failure_text(v: Violation) -> str:
    lines = [_("Type: {code} ({name})").format(code=v.type, name=type_label(v.type))]
    for label, value in ((_("Case"), v.case_id), (_("Unit"), v.unit), (_("Period"), v.period),
                         (_("Due"), v.due),
                         (_("Actual"), number(v.actual) if v.actual is not None else None)):
        if value is not None and value != "":
            lines.append(f"{label}: {value}")
    lines.append(_("Details") + f": {v.shown_message}")
    if v.evidence:
        lines.append(_("Evidence") + ":")
        for item in v.evidence:
            lines.append("  " + ", ".join(f"{k}={'' if val is None else val}"
                                          for k, val in evidence_items(item)))
    return "\n".join(lines)


def _suite(rule: RuleResult, violations: list[Violation], warnings: list[Violation],
           quality: list[DataQuality]) -> ET.Element:
    others = {k: n for k, n in rule.not_judged.items() if k != "data_quality"}
    skipped = len(quality) + (1 if others else 0) + (1 if rule.status != "judged" else 0)
    suite = ET.Element("testsuite", {
        "name": _x(rule.id),
        "tests": str(max(rule.checked, len(violations)) + skipped),
        "failures": str(len(violations)),
        "errors": "0",
        "skipped": str(skipped),
    })
    props = ET.SubElement(suite, "properties")
    src = rule.source or {}
    for name, value in (("title", rule.title), ("kind", rule.kind), ("severity", rule.severity),
                        ("source.document", src.get("document")),
                        ("source.number", src.get("number")),
                        ("source.clause", src.get("clause")),
                        ("source.quote", src.get("quote")), ("path", rule.path)):
        if value:
            ET.SubElement(props, "property", {"name": name, "value": _x(value)})
    for v in violations:
        case = ET.SubElement(suite, "testcase", {"classname": _x(rule.id), "name": _x(subject(v))})
        failure = ET.SubElement(case, "failure", {"type": _x(v.type),
                                                  "message": _x(v.shown_message)})
        failure.text = _x(_failure_text(v))
    ET.SubElement(suite, "testcase", {"classname": _x(rule.id), "name": PASSING_NAME})
    for q in quality:
        case = ET.SubElement(suite, "testcase", {"classname": _x(rule.id), "name": _x(q.case_id or "-")})
        where = f"{q.file or '<log>'}: row {q.row}" if q.row is not None else (q.file or "")
        ET.SubElement(case, "skipped", {"message": _x(_("{message} ({where})").format(
            message=q.shown_message, where=where))})
    if rule.status != "judged":
        case = ET.SubElement(suite, "testcase", {"classname": _x(rule.id), "name": NOT_JUDGED_NAME})
        ET.SubElement(case, "skipped", {"message": _x(rule_status_text(rule.status, rule.status_reason))})
    if others:
        case = ET.SubElement(suite, "testcase", {"classname": _x(rule.id), "name": NOT_JUDGED_NAME})
        ET.SubElement(case, "skipped", {"message": _x(not_judged_counts(others))})
    if warnings:
        out = ET.SubElement(suite, "system-out")
        out.text = _x("\n\n".join(_("Warning {subject}:").format(subject=subject(w))
                                   + f"\n{_failure_text(w)}" for w in warnings))
    return suite


def render(report: Report, *, mask: bool = True) -> bytes:
    rules = {r.id: r for r in report.rules}
    by_rule: dict[str, tuple[list[Violation], list[Violation]]] = {}
    for v in ordered(report.violations):
        by_rule.setdefault(v.rule_id, ([], []))[0].append(v)
    for w in ordered(report.warnings):
        by_rule.setdefault(w.rule_id, ([], []))[1].append(w)
    # A finding whose rule is missing from report.rules still gets a suite.
    for rule_id, (vs, ws) in by_rule.items():
        if rule_id not in rules:
            first = (vs or ws)[0]
            rules[rule_id] = RuleResult(rule_id, "", "", first.severity, {}, len(vs), len(vs),
                                        len(ws))
    quality: dict[str, list[DataQuality]] = {}
    for q in report.data_quality:
        quality.setdefault(q.rule_id, []).append(q)
    root = ET.Element("testsuites", {"name": "govcheck"})
    tests = failures = 0
    for rule_id in sorted(rules):
        vs, ws = by_rule.get(rule_id, ([], []))
        suite = _suite(rules[rule_id], vs, ws, quality.get(rule_id, []))
        tests += int(suite.get("tests"))
        failures += len(vs)
        root.append(suite)
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    body = mask_text(body) if mask else body
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")

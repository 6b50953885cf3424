"""The canonical, machine-readable report (``--format json``).

Scripts and dashboards depend on this shape, so it is fixed by DESIGN.md and described
by ``docs/report.schema.json``; keys may be added, never renamed or dropped. The same
Report always gives the same bytes: findings in ``Violation.sort_key()`` order, keys in
a fixed order (evidence too, whatever order its dicts were built in), one line per
top-level key and one line per rule or finding (diff- and grep-friendly, and fast to
write for hundreds of thousands of findings), Chinese kept as text, one trailing newline.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any, BinaryIO

from ..findings.report import Evidence, Report, RuleResult, Violation

from .text import evidence_items, ordered

SOURCE_KEYS = ("document", "number", "clause", "quote")


def _value(value: Any) -> Any:
    """A JSON value for anything an event attribute may hold."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return _value(float(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in evidence_items(value)}
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    return str(value)


def rule_json(r: RuleResult) -> dict[str, Any]:
    return {
        "id": r.id,
        "title": r.title,
        "kind": r.kind,
        "severity": r.severity,
        "source": {k: r.source.get(k) for k in SOURCE_KEYS},
        "checked": r.checked,
        "violations": r.violations,
        "warnings": r.warnings,
        "path": r.path,
        "not_judged": dict(r.not_judged),
        "status": r.status,
        "status_reason": r.status_reason,
        "notes": r.notes,
    }


def finding_json(v: Violation) -> dict[str, Any]:
    return {**_finding_head(v), "evidence": [_value(item) for item in v.evidence]}


def _finding_head(v: Violation) -> dict[str, Any]:
    return {
        "rule_id": v.rule_id,
        "severity": v.severity,
        "case_id": v.case_id,
        "unit": v.unit,
        "period": v.period,
        "type": v.type,
        "due": v.due,
        "actual": _value(v.actual),
        "message": v.message,
    }


def report_json(report: Report, findings=finding_json) -> dict[str, Any]:
    """The report as plain data, in output order (DESIGN's keys first, additions after).
    ``findings`` turns each finding into its entry (``render`` asks for its JSON text)."""
    return {
        "as_of": report.as_of,
        "events": report.events,
        "cases": report.cases,
        "rules": [rule_json(r) for r in sorted(report.rules, key=lambda r: r.id)],
        "violations": [findings(v) for v in ordered(report.violations)],
        "warnings": [findings(v) for v in ordered(report.warnings)],
        "bad_rows": report.bad_rows,
        "duplicates": report.duplicates,
        "files": list(report.files),
        "calendar_years": list(report.calendar_years),
        "units": [{"unit": u.unit, "checked": u.checked, "violations": u.violations,
                   "warnings": u.warnings} for u in report.units],
        "span": ({"from": report.span.start, "to": report.span.end, "declared": report.span.declared}
                 if report.span else None),
        "packs": [{"name": p.name, "title": p.title} for p in report.packs],
        "data_quality": [{"rule_id": q.rule_id, "case_id": q.case_id, "unit": q.unit, "file": q.file,
                          "row": q.row, "reason": q.reason, "detail": q.detail, "message": q.message}
                         for q in report.data_quality],
    }


#: No indent: json's C encoder then does the work (an indented dump runs in Python, which
#: dominated a 280,000-violation report); one encoder for every call (``json.dumps`` with
#: options builds a new one each time: a third of the time of a finding's line).
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _dump(value: Any) -> str:
    return _ENCODER.encode(value)


def _finding_line(v: Violation) -> str:
    """One finding as ``_dump(finding_json(v))`` spells it; evidence the database wrote
    (``Evidence``) is already in that spelling and goes in as it is."""
    if not isinstance(v.evidence, Evidence):
        return _dump(finding_json(v))
    return f'{_dump(_finding_head(v))[:-1]}, "evidence": {v.evidence.json}}}'


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "replace")


def render(report: Report) -> bytes:
    return b"".join(chunks(report))


def write(report: Report, out: BinaryIO) -> None:
    """The JSON report written to ``out`` as it is made, a finding's line at a time: only
    the line being written is held besides the report (joining every line first held the
    report's text twice over, a gigabyte each for two million findings)."""
    for chunk in chunks(report):
        out.write(chunk)


def chunks(report: Report) -> Iterator[bytes]:
    """The report's bytes, a line at a time (as bytes: one 150 MB str of Chinese text takes
    two or four bytes a character, and encoding it whole cost ten times the lines')."""
    findings = {"violations": report.violations, "warnings": report.warnings}
    data = report_json(replace(report, violations=(), warnings=()))
    last = len(data) - 1
    yield b"{\n"
    for i, (key, value) in enumerate(data.items()):
        comma = "," if i < last else ""
        if findings.get(key):
            lines = (_finding_line(v) for v in ordered(findings[key]))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines = (_dump(item) for item in value)
        else:
            yield _utf8(f"  {_dump(key)}: {_dump(value)}{comma}\n")
            continue
        yield _utf8(f"  {_dump(key)}: [\n")
        for j, line in enumerate(lines):
            yield _utf8(("    " if j == 0 else ",\n    ") + line)
        yield _utf8(f"\n  ]{comma}\n")
    yield b"}\n"

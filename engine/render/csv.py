"""One row per finding, for supervisors who work in Excel or WPS.

UTF-8 with a byte-order mark, because without it Excel decodes the file in the local
ANSI code page and the Chinese turns to mojibake. The columns are the JSON field names
plus ``kind`` (``violation``, ``warning``, or ``data_quality`` for a case the log could not
support: ``type`` is then its reason and ``evidence`` the file and row); the evidence is
summarised in one cell. The column names are the JSON's in every language (scripts read
them); the messages are in the language in use.

Every text cell comes from an event log that someone else wrote, so a cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) is prefixed with ``'``: opened in Excel it stays text. Numbers that
govcheck itself computed are left as numbers. 身份证号 and mobile numbers are masked unless
``mask=False`` (``findings.masking``).
"""
from __future__ import annotations

import csv
import io
import math
from typing import Any

from ..findings.masking import mask_text
from ..i18n import translate as _
from ..findings.report import Report, Violation

from .text import evidence_text, ordered

COLUMNS = ("kind", "rule_id", "severity", "case_id", "unit", "period", "type", "due",
           "actual", "message", "evidence")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def neutralise(text: str) -> str:
    """``text`` made safe to open in a spreadsheet (OWASP "CSV injection")."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if not isinstance(value, float) or math.isfinite(value) else ""
    return neutralise(str(value))


def _row(kind: str, v: Violation) -> list[str]:
    return [_cell(x) for x in (kind, v.rule_id, v.severity, v.case_id, v.unit, v.period,
                               v.type, v.due, v.actual, v.shown_message, evidence_text(v))]


def render(report: Report, *, mask: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for v in ordered(report.violations):
        writer.writerow(_row("violation", v))
    for v in ordered(report.warnings):
        writer.writerow(_row("warning", v))
    severity = {r.id: r.severity for r in report.rules}
    for q in report.data_quality:
        row = _("row {row}").format(row=q.row) if q.row is not None else None
        where = f"{q.file or ''} {row}".strip() if row else (q.file or "")
        writer.writerow([_cell(x) for x in ("data_quality", q.rule_id, severity.get(q.rule_id),
                                             q.case_id, q.unit, None, q.reason, None, q.detail,
                                             q.shown_message, where)])
    text = buf.getvalue()
    return (BOM + (mask_text(text) if mask else text)).encode("utf-8", "replace")

"""An Excel workbook to send on (``--format xlsx``): a summary sheet and one sheet per unit.

The summary sheet has the run's facts, the units ranked by violations (each unit's name
links to its sheet) and every rule with its clause and exact quote; each unit sheet lists
that unit's violations and at-risk warnings with their clause and evidence, ready to
filter, print (A4 landscape, header row on every page) or forward to the unit.

Every text cell comes from an event log someone else wrote: a cell that Excel or WPS would
run as a formula (``=``, ``+``, ``-``, ``@``…) is prefixed with ``'`` as in the CSV, text
is written as text (never as a formula), characters a workbook cannot hold are replaced,
and 身份证号 / mobile numbers are masked unless ``mask=False``. Sheet names follow Excel's
rules (at most 31 characters, none of ``[]:*?/\\``, unique ignoring case).

openpyxl is imported inside ``render`` so that the other formats do not pay for it. The
same Report gives the same bytes: the zip entries' times and the document properties are
set from the report's ``as_of``, not from the clock.
"""
from __future__ import annotations

import io
import math
import re
import zipfile
from typing import Any

from engine.messages import TYPE_NAMES
from engine.model import Report, Violation

from .csv import neutralise
from .html import KIND_LABELS, header, rate, text_of, unit_name, unit_ranking
from .text import SEVERITY_LABELS, evidence_text, ordered

SUMMARY = "汇总"
MAX_SHEET = 31
MAX_CELL = 32767
_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_RESERVED = {"history"}

UNIT_COLUMNS = (("类别", 8), ("规则编号", 15), ("规则标题", 30), ("级别", 6), ("类型", 12),
                ("案件", 18), ("期间", 10), ("期限", 19), ("实际", 19), ("说明", 48),
                ("依据", 30), ("原文", 48), ("证据", 60))


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel-safe, unique (ignoring case) sheet name for ``name``; adds it to ``taken``."""
    base = _SHEET_BAD.sub("_", name).strip().strip("'").strip() or "单位"
    base = base[:MAX_SHEET]
    candidate, n = base, 1
    while candidate.lower() in taken or candidate.lower() in _RESERVED:
        n += 1
        suffix = f"({n})"
        candidate = base[:MAX_SHEET - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def cell_text(value: Any, masked: bool = True) -> str:
    """A value as safe worksheet text."""
    text = _XML_BAD.sub("\ufffd", text_of(value, masked))
    text = neutralise(text)
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def _source(rule: Any) -> tuple[str, str]:
    src = getattr(rule, "source", None) or {}
    cite = " ".join(x for x in (src.get("document"), src.get("number"), src.get("clause")) if x)
    return cite, src.get("quote") or ""


def render(report: Report, *, mask: bool = True) -> bytes:
    """The workbook as .xlsx bytes. ``mask=False`` shows ID card and mobile numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink
    from openpyxl.worksheet.properties import PageSetupProperties

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    title_font = Font(bold=True, size=14)
    head_fill = PatternFill("solid", fgColor="DCE3EC")
    link_font = Font(color="1F4E99", underline="single")
    wrap = Alignment(wrap_text=True, vertical="top")

    def c(ws, value, font=None, fill=None, align=None):
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or (isinstance(value, float) and not math.isfinite(value)):
            value = cell_text(value, mask) if value is not None else None
        cell = WriteOnlyCell(ws, value=value)
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if align is not None:
            cell.alignment = align
        return cell

    def heading(ws, labels):
        ws.append([c(ws, label, bold, head_fill) for label in labels])

    def printable(ws, landscape: bool, title_row: int | None):
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_options.gridLines = False
        if title_row:
            ws.print_title_rows = f"{title_row}:{title_row}"

    rules = {r.id: r for r in report.rules}
    ranking = unit_ranking(report)
    taken = {SUMMARY.lower()}
    names = {e["unit"]: sheet_name(text_of(e["unit"], mask), taken) for e in ranking}

    # -- the summary sheet ----------------------------------------------------------
    ws = wb.create_sheet(SUMMARY)
    for col, width in enumerate((22, 30, 10, 10, 10, 10, 10, 10, 40, 48, 10), 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    printable(ws, landscape=True, title_row=None)
    ws.append([c(ws, "政务服务合规检查报告", title_font)])
    for label, value in header(report, mask):
        ws.append([c(ws, label, bold), c(ws, value)])
    severity = {"error": 0, "warning": 0}
    for v in report.violations:
        severity[v.severity] = severity.get(v.severity, 0) + 1
    ws.append([])
    for label, value in (("违规总数", len(report.violations)), ("错误级违规", severity["error"]),
                         ("警告级违规", severity["warning"]), ("临近期限预警", len(report.warnings))):
        ws.append([c(ws, label, bold), c(ws, value)])
    ws.append([])
    ws.append([c(ws, "单位排名（红黑榜：按违规数）", bold)])
    heading(ws, ("单位", "工作表", "名次", "违规", "错误", "警告", "预警", "涉及规则", "占全部违规"))
    for e in ranking:
        sheet = names[e["unit"]]
        link = c(ws, sheet, link_font)
        link.hyperlink = Hyperlink(ref="", location=f"'{sheet}'!A1", display=sheet)
        ws.append([c(ws, e["unit"]), link, c(ws, e["rank"]), c(ws, e["violations"]),
                   c(ws, e["error"]), c(ws, e["warning"]), c(ws, e["at_risk"]), c(ws, e["rules"]),
                   c(ws, e["share"])])
    if not ranking:
        ws.append([c(ws, "未发现违规或预警。")])
    ws.append([])
    ws.append([c(ws, "分规则情况", bold)])
    heading(ws, ("规则编号", "标题", "类型", "级别", "检查", "违规", "违规率", "预警", "依据",
                 "原文"))
    for r in sorted(report.rules, key=lambda r: r.id):
        cite, quote = _source(r)
        ws.append([c(ws, r.id), c(ws, r.title, align=wrap), c(ws, KIND_LABELS.get(r.kind, r.kind)),
                   c(ws, SEVERITY_LABELS.get(r.severity, r.severity)), c(ws, r.checked),
                   c(ws, r.violations), c(ws, rate(r.violations, r.checked)), c(ws, r.warnings),
                   c(ws, cite, align=wrap), c(ws, quote, align=wrap)])

    # -- one sheet per unit -------------------------------------------------------------
    findings: dict[str, list[tuple[str, Violation]]] = {e["unit"]: [] for e in ranking}
    for label, group in (("违规", report.violations), ("预警", report.warnings)):
        for v in ordered(group):
            findings[unit_name(v.unit)].append((label, v))
    for e in ranking:
        ws = wb.create_sheet(names[e["unit"]])
        for col, (_, width) in enumerate(UNIT_COLUMNS, 1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.freeze_panes = "A3"
        printable(ws, landscape=True, title_row=2)
        ws.append([c(ws, f"{text_of(e['unit'], mask)}：违规 {e['violations']} 条，预警 "
                         f"{e['at_risk']} 条（判定时点 {report.as_of or '-'}）", title_font)])
        heading(ws, [name for name, _ in UNIT_COLUMNS])
        rows = findings[e["unit"]]
        for label, v in rows:
            rule = rules.get(v.rule_id)
            cite, quote = _source(rule)
            ws.append([
                c(ws, label), c(ws, v.rule_id), c(ws, rule.title if rule else "", align=wrap),
                c(ws, SEVERITY_LABELS.get(v.severity, v.severity)),
                c(ws, TYPE_NAMES.get(v.type, v.type)), c(ws, v.case_id), c(ws, v.period),
                c(ws, v.due), c(ws, v.actual), c(ws, v.message, align=wrap),
                c(ws, cite, align=wrap), c(ws, quote, align=wrap),
                c(ws, evidence_text(v, sep="\n"), align=wrap),
            ])
        ws.auto_filter.ref = f"A2:{get_column_letter(len(UNIT_COLUMNS))}{2 + len(rows)}"

    buf = io.BytesIO()
    wb.save(buf)
    return _stable(buf.getvalue(), report.as_of)


def _stable(data: bytes, as_of: str | None) -> bytes:
    """The same workbook with the clock taken out: zip times and document dates from as_of."""
    stamp = (as_of or "2000-01-01 00:00:00").replace(" ", "T")[:19]
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$", stamp)
    when = tuple(int(x) for x in m.groups()) if m and int(m[1]) >= 1980 else (1980, 1, 1, 0, 0, 0)
    iso = "%04d-%02d-%02dT%02d:%02d:%02dZ" % when
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + iso.encode() + rb"\g<2>", body)
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, body)
    return out.getvalue()

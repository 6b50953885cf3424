"""整改通知: one printable letter per unit that has violations (``govcheck notices``).

Each notice names the unit, lists its violations grouped by rule, each rule with its clause
and exact quote, each violation with its case (or period), deadline, what happened and the
events that show it, and asks for a written reply by a date N working days after the run's
``as_of`` (counted on the official calendar, ``WorkCalendar.add_workdays``). At-risk cases
of the unit follow as a reminder. The HTML is autoescaped and self-contained like the
report (inline CSS allowed by its hash, nothing fetched); personal numbers are masked
unless ``mask=False``.

A notice is a letter from the issuer to another office: the issuer's own violations get
none (``own_violations`` counts them for the command line to say so). It names the logs by
file name, never by a path of the machine that ran the check; its evidence names the
event's columns in Chinese; and the rule's title, document and quote are shown in
simplified characters (``findings.simplified``), as the office reads them.

A notice is written in Chinese whatever language the run speaks (``i18n.RECORD``): it
is an official letter to a Chinese office, and its labels (kinds, types, severities, the
event's columns) are looked up in Chinese while it is written.

Unlike the report formats this gives several files, so it is not in ``FORMATS``: it
returns ``(file name, bytes)`` pairs and the command line writes them to a folder.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import PurePath
from typing import Any

from ..findings.labels import column_label, kind_label, severity_label, type_label
from ..findings.report import Report, Violation
from ..findings.simplified import simplified
from ..i18n import RECORD, speaking

from .html import environment, text_of, unit_name, unit_ranking
from .text import evidence_items, ordered

ISSUER = "市行政审批服务局"
_FILE_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def file_name(unit: str, taken: set[str]) -> str:
    """``整改通知-<unit>.html``, safe on Windows and Linux, unique ignoring case."""
    base = _FILE_BAD.sub("_", unit).strip(" .") or "未填写单位"
    base = base[:80]
    name, n = f"整改通知-{base}.html", 1
    while name.lower() in taken:
        n += 1
        name = f"整改通知-{base}-{n}.html"
    taken.add(name.lower())
    return name


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _as_of_date(report: Report) -> dt.date:
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", report.as_of or "")
    if not m:
        raise ValueError(f"the report has no usable as_of ({report.as_of!r})")
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


def _events(v: Violation, masked: bool) -> list[dict[str, Any]]:
    out = []
    for item in sorted(v.evidence, key=lambda e: str(e.get("timestamp") or "")):
        extra = [f"{column_label(k)}：{text_of(value, masked)}" for k, value in evidence_items(item)
                 if k not in ("event_type", "timestamp") and value is not None
                 and not (k == "case_id" and value == v.case_id)]
        out.append({"time": text_of(item.get("timestamp"), masked),
                    "what": text_of(item.get("event_type"), masked), "extra": "；".join(extra)})
    return out


def _row(v: Violation, masked: bool) -> dict[str, Any]:
    return {
        "subject": text_of(v.case_id, masked) if v.case_id is not None else (v.period or "-"),
        "is_case": v.case_id is not None,
        "type": type_label(v.type),
        "severity": severity_label(v.severity),
        "due": v.due or "-",
        "actual": text_of(v.actual, masked) or "-",
        "message": text_of(v.message, masked),
        "events": _events(v, masked),
    }


def is_issuer(unit: str, issuer: str) -> bool:
    """Is ``unit`` the office that sends the notices (which writes to no one about itself)?"""
    unit, issuer = unit.strip(), issuer.strip()
    if issuer.startswith("市"):      # 市行政审批服务局: the city's own, whichever city
        return unit == issuer or (unit.endswith(issuer) and "市" not in unit[:-len(issuer)])
    return unit == issuer


def own_violations(report: Report, issuer: str) -> int:
    """The violations of the issuer's own unit, for which no notice is written."""
    return sum(1 for v in report.violations if is_issuer(unit_name(v.unit), issuer))


def file_label(path: str) -> str:
    """A log as a notice names it: its file name (Windows or POSIX path alike)."""
    return PurePath(path.replace("\\", "/")).name or path


def render_notices(report: Report, calendar: Any, reply_within: int = 10, *,
                   mask: bool = True, issuer: str = ISSUER) -> list[tuple[str, bytes]]:
    """One ``(file name, HTML bytes)`` per unit with violations but the issuer, most
    violations first, in Chinese whatever the language in use.

    ``calendar`` is a ``WorkCalendar``; the reply date is ``reply_within`` working days
    after the date of ``report.as_of`` (a year no calendar covers is a ``CalendarError``).
    """
    with speaking(RECORD):
        return _notices(report, calendar, reply_within, mask, issuer)


def _notices(report: Report, calendar: Any, reply_within: int, mask: bool,
             issuer: str) -> list[tuple[str, bytes]]:
    """``render_notices``, in the language spoken when it is called."""
    if reply_within < 1:
        raise ValueError("reply_within must be at least 1 working day")
    issued = _as_of_date(report)
    reply_by = calendar.add_workdays(issued, reply_within)
    rules = {r.id: r for r in report.rules}
    by_unit: dict[str, list[Violation]] = defaultdict(list)
    risks: dict[str, list[Violation]] = defaultdict(list)
    for v in ordered(report.violations):
        by_unit[unit_name(v.unit)].append(v)
    for w in ordered(report.warnings):
        risks[unit_name(w.unit)].append(w)
    template = environment().get_template("notice.html.j2")
    taken: set[str] = set()
    out = []
    for entry in unit_ranking(report):
        unit = entry["unit"]
        found = by_unit.get(unit)
        if not found or is_issuer(unit, issuer):
            continue
        groups: list[dict[str, Any]] = []
        for v in found:
            if not groups or groups[-1]["id"] != v.rule_id:
                r = rules.get(v.rule_id)
                src = (r.source if r else None) or {}
                groups.append({
                    "id": v.rule_id, "title": simplified(text_of(r.title if r else "", mask)),
                    "kind": kind_label(r.kind) if r else "",
                    "severity": severity_label(v.severity),
                    "document": simplified(src.get("document", "")), "number": src.get("number", ""),
                    "clause": src.get("clause", ""), "quote": simplified(src.get("quote", "")),
                    "notes": simplified(r.notes) if r and r.notes else None, "rows": []})
            groups[-1]["rows"].append(_row(v, mask))
        shown = text_of(unit, mask)
        page = template.render(
            unit=shown, issuer=issuer, as_of=report.as_of or "-", files=[text_of(file_label(f), mask) for f in report.files],
            groups=groups, total=len(found), errors=entry["error"], warnings=entry["warning"],
            risks=[_row(w, mask) | {"rule": w.rule_id} for w in risks.get(unit, [])],
            reply_within=reply_within, reply_by=_cn_date(reply_by),
            reply_by_iso=reply_by.isoformat(), issued=_cn_date(issued), masked=mask,
            no_unit=not any(v.unit for v in found))
        out.append((file_name(shown, taken), page.encode("utf-8")))
    return out

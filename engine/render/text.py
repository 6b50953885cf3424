"""Plain-text report for a supervisor reading in a terminal.

Chinese labels, and columns aligned by display width (a CJK character takes two
columns, so ``len()`` would misalign every table). No colour: the same bytes must read
well in a terminal, a log file and an e-mail. Values come from event logs, so control
characters are escaped before printing: a crafted cell cannot move the cursor, recolour
the terminal or reverse the text. 身份证号 and mobile numbers are masked unless
``mask=False`` (``findings.masking``).

The human-readable helpers here (Chinese type labels, the one-line evidence summary,
the canonical order of findings) are shared by the CSV and JUnit renderers, so that
every format describes a finding in the same words.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any, Iterable, Sequence

from ..findings.labels import not_judged_label, rule_status_text, severity_label, type_label
from ..findings.masking import mask_text
from ..findings.report import EVIDENCE_FIRST, Report, RuleResult, Violation

NO_UNIT = "（未填写单位）"
EMPTY = "-"

#: Evidence keys shown first, in this order; the rest follow sorted by name.

# Bidirectional overrides and isolates can make a line display in a different order
# than it is stored ("Trojan source"); they are escaped like control characters.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


# ---------------------------------------------------------------------------
# Helpers shared by the renderers
# ---------------------------------------------------------------------------

def ordered(findings: Iterable[Violation]) -> list[Violation]:
    """Findings in report order: ``Violation.sort_key()``, ties broken by content."""
    return sorted(findings, key=lambda v: (v.sort_key(), v.due or "", _plain(v.actual),
                                           v.message))


def evidence_items(item: dict[str, Any]) -> list[tuple[str, Any]]:
    """An evidence dict's entries in a stable order, whatever order it was built in."""
    first = [(k, item[k]) for k in EVIDENCE_FIRST if k in item]
    rest = sorted((k, v) for k, v in item.items() if k not in EVIDENCE_FIRST)
    return first + rest


def evidence_text(v: Violation, sep: str = "; ") -> str:
    """The evidence of a finding on one line: ``type time (key=value, ...)`` per event.

    The case and unit are left out of an item when they repeat the finding's own.
    """
    parts = []
    for item in v.evidence:
        head = [_plain(item.get(k)) for k in ("event_type", "timestamp") if item.get(k) is not None]
        extra = [f"{k}={_plain(value)}" for k, value in evidence_items(item)
                 if k not in ("event_type", "timestamp") and value is not None
                 and not (k == "case_id" and value == v.case_id)
                 and not (k == "unit" and value == v.unit)]
        text = " ".join(head)
        if extra:
            text = f"{text} ({', '.join(extra)})" if text else ", ".join(extra)
        parts.append(text)
    return sep.join(parts)


def subject(v: Violation) -> str:
    """What a finding is about: the case, else the unit and period (aggregate kinds)."""
    if v.case_id is not None:
        return v.case_id
    return " ".join(x for x in (v.unit, v.period) if x) or "(全部)"


def number(value: Any) -> str:
    """``actual`` for people: floats to six significant digits, text as it is."""
    if isinstance(value, float):
        return format(value, ".6g")
    return _plain(value)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------
# Display width and tables
# ---------------------------------------------------------------------------

def display_width(text: str) -> int:
    """Terminal columns ``text`` occupies: wide and fullwidth characters count 2."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if _is_wide(ch) else 1
    return width


#: Punctuation a line may not start with (it closes), and may not end with (it opens).
_CLOSING = frozenset("，。、；：？！）》」』”’】…,.;:!?)]}")
_OPENING = frozenset("（《「『“‘【([{")


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` terminal columns (a longer word alone on its
    line): broken at spaces and between Chinese characters, never before a closing
    punctuation mark or after an opening one, as Chinese is set."""
    lines: list[str] = []
    line, spaced = "", False
    for token in _tokens(text):
        if token.isspace():
            spaced = bool(line)
            continue
        joined = line + (" " if spaced else "") + token
        if line and display_width(joined) > width:
            lines.append(line)
            joined = token
        line, spaced = joined, False
    return lines + [line] if line else lines


def _tokens(text: str) -> list[str]:
    """The pieces ``wrap`` never breaks: a word of narrow characters, a wide character (with
    the punctuation that holds on to it), a run of spaces."""
    tokens: list[str] = []
    for ch in text:
        if tokens and _holds_on(tokens[-1][-1], ch):
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def _holds_on(last: str, ch: str) -> bool:
    """Whether ``ch`` stays with the piece that ``last`` ends: a space with spaces, a narrow
    character with a narrow word, a closing mark with what it closes, anything with an
    opening mark."""
    if ch.isspace() or last.isspace():
        return ch.isspace() and last.isspace()
    return ch in _CLOSING or last in _OPENING or not (_is_wide(ch) or _is_wide(last))


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def clean(value: Any) -> str:
    """One printable line: whitespace controls become spaces, others are escaped."""
    out = []
    for ch in _plain(value):
        if ch in "\t\r\n":
            out.append(" ")
        elif unicodedata.category(ch) == "Cc" or ch in _BIDI:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = (),
          indent: str = "") -> list[str]:
    """Rows aligned under a header; columns listed in ``right`` are right-aligned.

    A left-aligned last column is not padded, so long titles and messages go there.
    """
    cells = [[clean(c) for c in header]] + [[clean(c) if c not in (None, "") else EMPTY
                                              for c in row] for row in rows]
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(header))]
    rule = ["-" * w for w in widths]
    lines = []
    for row in [cells[0], rule] + cells[1:]:
        padded = [c if i == len(row) - 1 and i not in right else _pad(c, widths[i], i in right)
                  for i, c in enumerate(row)]
        lines.append((indent + "  ".join(padded)).rstrip())
    return lines


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------

def _rate(r: RuleResult) -> str:
    return f"{100 * r.violations / r.checked:.1f}%" if r.checked else EMPTY


def span_text(report: Report) -> str:
    """The span the logs cover, and where it came from."""
    span = report.span
    if span is None:
        return EMPTY
    origin = "按指定期间" if span.declared else "自首条事件当日至判定时点"
    return f"{span.start} 至 {span.end}（{origin}）"


def packs_text(report: Report) -> str:
    """The rule packs used, by name and document."""
    return "；".join(f"{p.name}（{p.title}）" for p in report.packs) or EMPTY


def _header(report: Report) -> list[str]:
    pairs = [
        ("判定时点", report.as_of or EMPTY),
        ("日志覆盖期间", span_text(report)),
        ("规则包", packs_text(report)),
        ("事件数", report.events),
        ("案件数", report.cases),
        ("无法使用的行", report.bad_rows),
        ("重复事件（已去重）", report.duplicates),
    ]
    if report.files:
        pairs.append(("日志文件", "，".join(report.files)))
    if report.calendar_years:
        pairs.append(("日历年份", "、".join(str(y) for y in report.calendar_years)))
    width = max(display_width(k) for k, _ in pairs)
    lines = ["govcheck 合规检查报告", "=" * 20]
    lines += [f"{_pad(k, width, False)}  {clean(v)}" for k, v in pairs]
    return lines


def _rule_summary(report: Report) -> list[str]:
    rules = sorted(report.rules, key=lambda r: r.id)
    rows = [(r.id, severity_label(r.severity), r.checked, r.violations,
             _rate(r), r.warnings, sum(r.not_judged.values()), r.title) for r in rules]
    total_checked = sum(r.checked for r in rules)
    total_viol = sum(r.violations for r in rules)
    rows.append(("合计", "", total_checked, total_viol,
                 f"{100 * total_viol / total_checked:.1f}%" if total_checked else EMPTY,
                 sum(r.warnings for r in rules), sum(sum(r.not_judged.values()) for r in rules),
                 f"{len(rules)} 条规则"))
    return ["", "规则汇总", ""] + table(
        ("规则编号", "级别", "检查数", "违规数", "违规率", "预警数", "未判定", "标题"), rows,
        right=(2, 3, 4, 5, 6)) + _not_judged_notes(rules)


def _not_judged_notes(rules: Sequence[RuleResult]) -> list[str]:
    """Rules the log cannot speak to, and why what was not judged was not judged."""
    out = []
    for status, heading in (("not_applicable", "不适用的规则（日志不含其所读系统的事件，未运行）"),
                            ("no_data", "无数据的规则（日志中没有它读取的事件）")):
        listed = [r for r in rules if r.status == status]
        if listed:
            out += ["", f"{heading}：{len(listed)} 条"]
            out += [f"  {r.id} {rule_status_text(r.status, r.status_reason)}" for r in listed]
    lines = [f"  {r.id} 未判定：" + "，".join(f"{not_judged_label(k)} {n}" for k, n in r.not_judged.items())
             for r in rules if r.not_judged]
    if lines:
        out += ["", "未判定的原因（日志不能说明义务是否履行的，不作判定）："] + lines
    return out


def _data_quality(report: Report) -> list[str]:
    lines = ["", f"数据质量问题（共 {len(report.data_quality)} 条，不计为违规）"]
    if not report.data_quality:
        return lines + ["", "无。"]
    rows = [(q.rule_id, q.case_id, q.unit, q.file, q.row, q.message) for q in report.data_quality]
    return lines + [""] + table(("规则编号", "案件", "单位", "文件", "行", "说明"), rows, right=(4,))


def _unit_summary(report: Report) -> list[str]:
    violations = Counter(v.unit or NO_UNIT for v in report.violations)
    warnings = Counter(v.unit or NO_UNIT for v in report.warnings)
    units = sorted(set(violations) | set(warnings),
                   key=lambda u: (-violations[u], -warnings[u], u))
    lines = ["", "按单位汇总", ""]
    if not units:
        return lines + ["（无）"]
    return lines + table(("单位", "违规数", "预警数"),
                         [(u, violations[u], warnings[u]) for u in units], right=(1, 2))


def _findings(findings: Sequence[Violation], rules: dict[str, RuleResult],
              heading: str, none: str, actual: str = "实际") -> list[str]:
    """The findings grouped by rule; ``actual`` heads the column of each finding's time
    (a warning's is its 预警时点, not something that happened)."""
    lines = ["", heading]
    if not findings:
        return lines + ["", none]
    groups: dict[str, list[Violation]] = {}
    for v in ordered(findings):
        groups.setdefault(v.rule_id, []).append(v)
    for rule_id, group in groups.items():
        rule = rules.get(rule_id)
        title = f" {rule.title}" if rule else ""
        severity = severity_label(group[0].severity)
        lines += ["", clean(f"[{rule_id}]{title}（{severity}，{len(group)} 条）")]
        if rule and rule.source:
            src = rule.source
            cite = " ".join(x for x in (src.get("number"), src.get("clause")) if x)
            if src.get("quote"):
                cite = f"{cite}：{src['quote']}" if cite else src["quote"]
            if cite:
                lines.append("  依据：" + clean(cite))
        rows = [(v.case_id, v.unit, v.period, type_label(v.type), v.due,
                 number(v.actual), v.message) for v in group]
        body = table(("案件", "单位", "期间", "类型", "期限", actual, "说明"), rows,
                     indent="  ")
        lines += body[:2]
        for v, row in zip(group, body[2:]):
            lines.append(row)
            ev = evidence_text(v, sep="；")
            if ev:
                lines.append("      证据：" + clean(ev))
    return lines


def render(report: Report, *, mask: bool = True) -> bytes:
    """The whole report as UTF-8 text ending in a newline; ``mask=False`` shows ID card and
    mobile numbers in full."""
    rules = {r.id: r for r in report.rules}
    lines = _header(report) + _rule_summary(report) + _unit_summary(report)
    lines += _findings(report.violations, rules, f"违规明细（共 {len(report.violations)} 条）",
                       "未发现违规。")
    lines += _findings(report.warnings, rules,
                       f"预警：临近期限、尚未违规（共 {len(report.warnings)} 条）", "无预警。",
                       actual="预警时点")
    lines += _data_quality(report)
    text = "\n".join(lines) + "\n"
    return (mask_text(text) if mask else text).encode("utf-8")

"""Plain-text report for a supervisor reading in a terminal.

Labels in the language in use (Chinese unless English is asked for), and columns aligned
by display width (a CJK character takes two columns, so ``len()`` would misalign every
table). No colour: the same bytes must read
well in a terminal, a log file and an e-mail. Values come from event logs, so control
characters are escaped before printing: a crafted cell cannot move the cursor, recolour
the terminal or reverse the text. 身份证号 and mobile numbers are masked unless
``mask=False`` (``findings.masking``).

The human-readable helpers here (the one-line evidence summary, the canonical order of
findings, the reasons a rule did not judge) are shared by the CSV, JUnit and HTML renderers,
so that every format describes a finding in the same words.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

from ..findings.labels import (clauses, listing, not_judged_label, rule_status_text,
                               severity_label, type_label)
from ..i18n import translate as _, translate_plural as ngettext
from ..findings.masking import mask_text
from ..findings.report import EVIDENCE_FIRST, Report, RuleResult, Violation

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
    return " ".join(x for x in (v.unit, v.period) if x) or _("(all)")


def no_unit() -> str:
    """What stands for a unit the log left blank."""
    return _("(no unit given)")


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
    if span.declared:
        return _("{start} to {end} (as declared)").format(start=span.start, end=span.end)
    return _("{start} to {end} (from the first event's day to the time judged at)").format(
        start=span.start, end=span.end)


def packs_text(report: Report) -> str:
    """The rule packs used, by name and document."""
    return _("; ").join(_("{name} ({title})").format(name=p.name, title=p.title)
                        for p in report.packs) or EMPTY


def _header(report: Report) -> list[str]:
    pairs = [
        (_("Judged at"), report.as_of or EMPTY),
        (_("Span of the logs"), span_text(report)),
        (_("Rule packs"), packs_text(report)),
        (_("Events"), report.events),
        (_("Cases"), report.cases),
        (_("Unusable rows"), report.bad_rows),
        (_("Duplicate events (counted once)"), report.duplicates),
    ]
    if report.files:
        pairs.append((_("Log files"), clauses(report.files)))
    if report.calendar_years:
        pairs.append((_("Calendar years"), listing(str(y) for y in report.calendar_years)))
    width = max(display_width(k) for k, _v in pairs)
    lines = [_("govcheck compliance report"), "=" * 20]
    lines += [f"{_pad(k, width, False)}  {clean(v)}" for k, v in pairs]
    return lines


def _rule_summary(report: Report) -> list[str]:
    rules = sorted(report.rules, key=lambda r: r.id)
    rows = [(r.id, severity_label(r.severity), r.checked, r.violations,
             _rate(r), r.warnings, sum(r.not_judged.values()), r.title) for r in rules]
    total_checked = sum(r.checked for r in rules)
    total_viol = sum(r.violations for r in rules)
    rows.append((_("Total"), "", total_checked, total_viol,
                 f"{100 * total_viol / total_checked:.1f}%" if total_checked else EMPTY,
                 sum(r.warnings for r in rules), sum(sum(r.not_judged.values()) for r in rules),
                 ngettext("{count} rule", "{count} rules", len(rules)).format(count=len(rules))))
    return ["", _("Summary by rule"), ""] + table(
        (_("Rule id"), _("Severity"), _("Checked"), _("Violation count"), _("Violation rate"),
         _("At-risk cases"), _("Not judged"), _("Title")), rows,
        right=(2, 3, 4, 5, 6)) + _not_judged_notes(rules)


def _not_judged_notes(rules: Sequence[RuleResult]) -> list[str]:
    """Rules the log cannot speak to, and why what was not judged was not judged."""
    out = []
    for status, heading in (
            ("not_applicable", _("Rules not applicable (the logs hold no events of the systems "
                                 "they read; not run): {count}")),
            ("no_data", _("Rules without data (none of the events they read is in the logs): "
                          "{count}"))):
        shown = [r for r in rules if r.status == status]
        if shown:
            out += ["", heading.format(count=len(shown))]
            out += [f"  {r.id} {rule_status_text(r.status, r.status_reason)}" for r in shown]
    lines = ["  " + _("{rule} not judged: {reasons}").format(
        rule=r.id, reasons=not_judged_counts(r.not_judged)) for r in rules if r.not_judged]
    if lines:
        out += ["", _("Why some were not judged (where the logs cannot show whether a duty was "
                      "done, nothing is judged):")] + lines
    return out


def not_judged_counts(counts: Mapping[str, int], count: str = "{n}") -> str:
    """``未到判定时间 3，不在日志覆盖期间内 2``: the reasons a rule did not judge, each with its
    count (``count``: how a count is written)."""
    return clauses(f"{not_judged_label(k)} {count.format(n=n)}" for k, n in counts.items())


def _data_quality(report: Report) -> list[str]:
    lines = ["", _("Data quality problems ({count} in all, not counted as violations)").format(
        count=len(report.data_quality))]
    if not report.data_quality:
        return lines + ["", _("None.")]
    rows = [(q.rule_id, q.case_id, q.unit, q.file, q.row, q.shown_message)
            for q in report.data_quality]
    return lines + [""] + table((_("Rule id"), _("Case"), _("Unit"), _("File"), _("Row"),
                                 _("Details")), rows, right=(4,))


def _unit_summary(report: Report) -> list[str]:
    blank = no_unit()
    violations = Counter(v.unit or blank for v in report.violations)
    warnings = Counter(v.unit or blank for v in report.warnings)
    units = sorted(set(violations) | set(warnings),
                   key=lambda u: (-violations[u], -warnings[u], u))
    lines = ["", _("Summary by unit"), ""]
    if not units:
        return lines + [_("(none)")]
    return lines + table((_("Unit"), _("Violation count"), _("At-risk cases")),
                         [(u, violations[u], warnings[u]) for u in units], right=(1, 2))


def _findings(findings: Sequence[Violation], rules: dict[str, RuleResult],
              heading: str, none: str, actual: str) -> list[str]:
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
        lines += ["", clean(_("[{rule}]{title} ({severity}, {count} found)").format(
            rule=rule_id, title=title, severity=severity, count=len(group)))]
        if rule and rule.source:
            src = rule.source
            cite = " ".join(x for x in (src.get("number"), src.get("clause")) if x)
            if src.get("quote"):
                cite = _("{cite}: {quote}").format(cite=cite, quote=src["quote"]) if cite \
                    else src["quote"]
            if cite:
                lines.append("  " + _("Basis: {cite}").format(cite=clean(cite)))
        rows = [(v.case_id, v.unit, v.period, type_label(v.type), v.due,
                 number(v.actual), v.shown_message) for v in group]
        body = table((_("Case"), _("Unit"), _("Period"), _("Type"), _("Due"), actual,
                      _("Details")), rows, indent="  ")
        lines += body[:2]
        for v, row in zip(group, body[2:]):
            lines.append(row)
            ev = evidence_text(v, sep=_("; "))
            if ev:
                lines.append("      " + _("Evidence: {events}").format(events=clean(ev)))
    return lines


def render(report: Report, *, mask: bool = True) -> bytes:
    """The whole report as UTF-8 text ending in a newline; ``mask=False`` shows ID card and
    mobile numbers in full."""
    rules = {r.id: r for r in report.rules}
    lines = _header(report) + _rule_summary(report) + _unit_summary(report)
    lines += _findings(report.violations, rules,
                       _("Violations ({count} in all)").format(count=len(report.violations)),
                       _("No violations found."), actual=_("Actual"))
    lines += _findings(report.warnings, rules,
                       _("Warnings: deadline near, not yet violated ({count} in all)").format(
                           count=len(report.warnings)), _("No warnings."),
                       actual=_("Warned at"))
    lines += _data_quality(report)
    text = "\n".join(lines) + "\n"
    return (mask_text(text) if mask else text).encode("utf-8")

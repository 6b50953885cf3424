"""The report supervisors open, filter, print and send: one self-contained HTML file.

Everything is inline (CSS, JS, SVG): no URL is ever fetched, and a Content-Security-Policy
says so to the browser. The page is built in two layers:

* the summary (header, cards, 红黑榜, monthly trend, one section per rule) is rendered by
  jinja2 with autoescape on, so it reads and prints without JavaScript;
* the findings are embedded **once** as JSON in a ``<script type="application/json">``
  block (with ``<``, ``>`` and ``&`` written as ``\\u003c``… so no value can close the
  block), and a small script shows one page of them at a time with DOM text nodes. It
  sorts, filters and searches 200,000 findings without a server.

Event text is data, never markup: the template escapes it, the script only ever sets
``textContent``, and the policy requires Trusted Types, so an accidental ``innerHTML``
would fail loudly instead of running someone's ``<img onerror=…>``.

Personal data in any text (身份证号, mainland mobile numbers) is masked by
``findings.masking`` unless the caller passes ``mask=False`` (``check --no-mask``). For a
deadline counted in working days, the evidence shows the count day by day, as ``govcheck
calendar explain`` prints it; the count is worked out here from the deadline and the case's
events with the shipped calendar (``data.calendar`` is plain data), and left out when it
cannot be (not a working-day deadline, or a year no shipped calendar covers).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from functools import lru_cache
from string import Formatter
from typing import Any

import jinja2
from markupsafe import Markup

from ..findings.labels import kind_label, listing, rule_status_text, severity_label, type_label
from ..findings.masking import mask_text
from ..findings.report import Report, RuleResult, Violation
from ..i18n import in_use, translate as _, translate_plural as ngettext
from ..resources import data_dir

from .text import (evidence_items, no_unit, not_judged_counts, number, ordered, packs_text,
                   span_text)

SEVERITIES = ("error", "warning")


def text_of(value: Any, masked: bool = True) -> str:
    """Any report value as display text (floats to six significant digits), masked."""
    if value is None:
        return ""
    out = value if type(value) is str else number(value)
    return mask_text(out) if masked else out


# ---------------------------------------------------------------------------
# Summaries shared with the other document renderers (xlsx, notices)
# ---------------------------------------------------------------------------

def unit_name(unit: str | None) -> str:
    return unit if unit else no_unit()


def rate(violations: int, checked: int) -> str:
    return f"{100 * violations / checked:.1f}%" if checked else "-"


def unit_ranking(report: Report) -> list[dict[str, Any]]:
    """Every unit judged, by violations (most first), with its errors, warnings, at-risk,
    violation rate (violations per case or group judged) and share of all violations."""
    total = len(report.violations)
    stats: dict[str, dict[str, Any]] = {}

    def entry(unit: str | None) -> dict[str, Any]:
        name = unit_name(unit)
        if name not in stats:
            stats[name] = {"unit": name, "checked": 0, "violations": 0, "error": 0,
                           "warning": 0, "at_risk": 0, "rules": set()}
        return stats[name]

    for u in report.units:           # every unit judged, with or without findings
        entry(u.unit)["checked"] += u.checked
    for v in report.violations:
        e = entry(v.unit)
        e["violations"] += 1
        e[v.severity if v.severity in SEVERITIES else "error"] += 1
        e["rules"].add(v.rule_id)
    for w in report.warnings:
        entry(w.unit)["at_risk"] += 1
    def standing(e: dict[str, Any]) -> tuple[int, int, int]:
        return (-e["violations"], -e["error"], -e["at_risk"])

    out = sorted(stats.values(), key=lambda e: (standing(e), e["unit"]))
    for i, e in enumerate(out):      # equal standing, equal rank (1, 2, 2, 4…)
        e["rank"] = out[i - 1]["rank"] if i and standing(out[i - 1]) == standing(e) else i + 1
        e["rules"] = len(e["rules"])
        e["share"] = f"{100 * e['violations'] / total:.1f}%" if total else "-"
        e["rate"] = rate(e["violations"], max(e["checked"], e["violations"]))
    return out


#: Fewest cases (or unit-periods) judged for a unit to stand on the 红榜 or 黑榜: a unit
#: with one case judged and none failed is not the best-run office of the city.
BOARD_MIN_CHECKED = 10


def boards(ranking: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The 黑榜 (highest violation rate) and 红榜 (lowest), among units with at least
    ``BOARD_MIN_CHECKED`` judged; at most ten each, and never the same unit on both."""
    eligible = [e for e in ranking if e["checked"] >= BOARD_MIN_CHECKED]
    share = {e["unit"]: e["violations"] / e["checked"] for e in eligible}
    size = 10 if len(eligible) >= 20 else len(eligible) // 2
    black = sorted(eligible, key=lambda e: (-share[e["unit"]], -e["violations"], e["unit"]))[:size]
    shown = {e["unit"] for e in black}
    red = [e for e in sorted(eligible, key=lambda e: (share[e["unit"]], -e["checked"], e["unit"]))
           if e["unit"] not in shown][:size]
    return _placed(black, share), _placed(red, share)


def _placed(board: list[dict[str, Any]], share: dict[str, float]) -> list[dict[str, Any]]:
    """Each unit of a board with its place on it (``place``), by violation rate: equal rates,
    equal place (1, 2, 2, 4…). The ``rank`` of the full table is by violations, not rate."""
    out = []
    for i, e in enumerate(board):
        tied = i and share[board[i - 1]["unit"]] == share[e["unit"]]
        out.append({**e, "place": out[i - 1]["place"] if tied else i + 1})
    return out


def monthly_trend(report: Report) -> tuple[list[dict[str, Any]], int]:
    """Violations per month of their deadline, by severity, over the months of the span the
    logs cover; and how many have no deadline in it."""
    counts: dict[str, Counter] = defaultdict(Counter)
    undated = 0
    span = (report.span.start[:7], report.span.end[:7]) if report.span else None
    for v in report.violations:
        if v.due and re.match(r"^\d{4}-\d{2}", v.due) and (not span or span[0] <= v.due[:7] <= span[1]):
            counts[v.due[:7]][v.severity] += 1
        else:
            undated += 1
    if not counts and not span:
        return [], undated
    months = sorted(counts) if not span else list(span)
    first, last = (int(months[0][:4]), int(months[0][5:7])), (int(months[-1][:4]), int(months[-1][5:7]))
    out = []
    y, m = first
    while (y, m) <= last:          # every month in between, empty ones included
        key = f"{y:04d}-{m:02d}"
        out.append({"month": key, "error": counts[key]["error"],
                    "warning": counts[key]["warning"]})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out, undated


def _nice_max(value: int) -> int:
    if value <= 4:
        return max(value, 1)
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return value


def trend_chart(months: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Geometry of the stacked monthly bar chart (drawn as inline SVG by the template)."""
    if not months:
        return None
    width, height, left, right, top, bottom = 760, 240, 48, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max(m["error"] + m["warning"] for m in months))
    slot = plot_w / len(months)
    bar = max(2.0, min(40.0, slot * 0.64))
    every = max(1, -(-len(months) // 18))          # at most ~18 month labels
    bars = []
    for i, m in enumerate(months):
        x = left + i * slot + (slot - bar) / 2
        h_err = plot_h * m["error"] / top_value
        h_warn = plot_h * m["warning"] / top_value
        bars.append({
            "month": m["month"], "error": m["error"], "warning": m["warning"],
            "x": round(x, 1), "w": round(bar, 1),
            "y_err": round(top + plot_h - h_err, 1), "h_err": round(h_err, 1),
            "y_warn": round(top + plot_h - h_err - h_warn, 1), "h_warn": round(h_warn, 1),
            "label_x": round(left + i * slot + slot / 2, 1),
            "label": m["month"] if i % every == 0 else "",
        })
    ticks = [{"value": round(top_value * k / 4), "y": round(top + plot_h - plot_h * k / 4, 1)}
             for k in range(5)]
    return {"width": width, "height": height, "left": left, "right": width - right,
            "top": top, "base": top + plot_h, "bars": bars, "ticks": ticks,
            "legend_y": height - 8}


def not_judged_text(r: RuleResult) -> str:
    """``未到判定时间 3，不在日志覆盖期间内 2``: what a rule did not judge, and why; or why it
    could not judge at all (``不适用（日志不含 … 系统的事件）``, ``无数据``)."""
    if r.status != "judged":
        return rule_status_text(r.status, r.status_reason)
    return not_judged_counts(r.not_judged, "{n:,}")


def rule_sections(report: Report, masked: bool = True) -> tuple[list[dict[str, Any]], list[RuleResult]]:
    """Rules with findings (one printed section each) and the rules without any."""
    by_rule: dict[str, list[Violation]] = defaultdict(list)
    warned: Counter = Counter()
    for v in report.violations:
        by_rule[v.rule_id].append(v)
    for w in report.warnings:
        warned[w.rule_id] += 1
    rules = {r.id: r for r in report.rules}
    for rule_id in set(by_rule) | set(warned):
        if rule_id not in rules:   # a finding whose rule is missing still gets a section
            vs = by_rule.get(rule_id, [])
            sev = vs[0].severity if vs else "error"
            rules[rule_id] = RuleResult(rule_id, "", "", sev, {}, len(vs), len(vs), warned[rule_id])
    sections, quiet = [], []
    for rule_id in sorted(rules):
        r = rules[rule_id]
        vs = by_rule.get(rule_id, [])
        if not vs and not warned[rule_id]:
            quiet.append(r)
            continue
        types = Counter(v.type for v in vs)
        units = Counter(unit_name(v.unit) for v in vs)
        sections.append({
            "rule": r, "violations": len(vs), "warnings": warned[rule_id],
            "rate": rate(len(vs), max(r.checked, len(vs))),
            "types": [(type_label(t), n) for t, n in sorted(types.items(),
                                                                   key=lambda x: (-x[1], x[0]))],
            "units": [(text_of(u, masked), n) for u, n in sorted(units.items(),
                                                                key=lambda x: (-x[1], x[0]))[:10]],
            "more_units": max(0, len(units) - 10),
        })
    return sections, quiet


# ---------------------------------------------------------------------------
# Working-day explanation of a deadline
# ---------------------------------------------------------------------------

#: A working-day limit in a finding's ``message``, which is Chinese in every language
#: (``i18n.RECORD``), whatever language the page is shown in.
_LIMIT = re.compile(r"时限(\d+)个工作日")
_TS = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = _TS.match(str(value or ""))
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


class _Explainer:
    """Day-by-day counts of working-day deadlines, computed once per (start date, N)."""

    def __init__(self, calendar: Any, kinds: dict[str, str]):
        self._calendar = calendar
        self._kinds = kinds
        self.texts: list[str] = []
        self._index: dict[tuple[dt.date, int, int], int] = {}
        self._seen: dict[tuple[str, str | None, tuple[str, ...]], int] = {}

    def _cal(self):
        if self._calendar is None:
            from ..data.calendar import WorkCalendar
            self._calendar = WorkCalendar.load()
        return self._calendar

    def index(self, v: Violation) -> int:
        """Index into ``texts`` of ``v``'s explanation, or -1 when it has none."""
        kind = self._kinds.get(v.rule_id, "")
        if kind not in ("deadline", "sequence") or not v.due or not v.due.endswith("23:59:59"):
            return -1
        message = v.message or ""
        if not ("工作日" in message or (v.type == "at_risk" and kind == "deadline")):
            return -1
        limit = _LIMIT.search(message)
        key = (v.due[:10], limit[1] if limit else None,
               tuple(str(e.get("timestamp") or "")[:10] for e in v.evidence))
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._index_of(key)
        return found

    def _index_of(self, key: tuple[str, str | None, tuple[str, ...]]) -> int:
        due_text, limit, stamps = key
        due = _date(due_text)
        starts = sorted({d for d in map(_date, stamps) if d and due and d <= due})
        if not due or not starts:
            return -1
        try:
            return self._explain(starts, due, int(limit) if limit else None)
        except Exception:       # a year no shipped calendar covers, or an odd value: skip
            return -1

    def _explain(self, starts: list[dt.date], due: dt.date, limit: int | None) -> int:
        cal = self._cal()
        if not cal.day(due).is_workday:
            return -1
        chosen, n = None, None
        if limit is not None:      # the event the count runs from (start, or a restart)
            for d in starts:
                if cal.workdays_between(d, due) == limit and cal.add_workdays(d, limit) == due:
                    chosen, n = d, limit
                    break
        if chosen is None:         # pauses or extensions moved it: count from the start
            chosen = starts[0]
            n = cal.workdays_between(chosen, due)
            if cal.add_workdays(chosen, n) != due:
                return -1
        key = (chosen, n, -1 if limit is None or limit == n else limit)
        if key not in self._index:
            text = cal.explain_text(chosen, n)
            if limit is not None and limit != n:
                text += "\n" + _("(the rule's limit is {limit} working days; a pause, an "
                                 "extension or a restart made the count run to working day "
                                 "{n})").format(limit=limit, n=n)
            self._index[key] = len(self.texts)
            self.texts.append(text)
        return self._index[key]


# ---------------------------------------------------------------------------
# The embedded data
# ---------------------------------------------------------------------------

class _Interned:
    def __init__(self) -> None:
        self.items: list[Any] = []
        self._index: dict[Any, int] = {}

    def __call__(self, value: Any) -> int:
        i = self._index.get(value)
        if i is None:
            i = self._index[value] = len(self.items)
            self.items.append(value)
        return i


#: Placeholders a message template holds for its finding's deadline, actual value and as_of.
DUE, ACTUAL, AS_OF = "\x01", "\x02", "\x03"
_PLACEHOLDERS = re.compile("[\x01-\x03]")


def _template(message: str, due: str, actual: str, as_of: str) -> str | None:
    """``message`` with its deadline, actual value and as_of as placeholders, so that the
    thousands of messages one rule words alike are stored once; None if it has control
    characters of its own (then it is stored as it is)."""
    if _PLACEHOLDERS.search(message):
        return None
    for value, mark in ((due, DUE), (actual, ACTUAL), (as_of, AS_OF)):
        if len(value) >= 4:
            message = message.replace(value, mark)
    return message


def payload(report: Report, masked: bool = True, calendar: Any = None) -> dict[str, Any]:
    """The findings as compact, column-wise JSON-ready data (``unpack`` reads it back).

    One list per field, all of length ``n``, in report order (violations, then at-risk
    warnings): ``cat`` (0 violation, 1 at-risk warning), ``rule`` (index into ``rules``),
    ``sev`` (0 error, 1 warning), ``case``, ``unit`` (index into ``units``), ``period``,
    ``type`` (index into ``types``), ``due``, ``actual``, ``msg``, ``cal`` (index into
    ``cal``, the day-by-day count; -1 for none) and ``evn`` (number of evidence events).
    ``period``, ``due`` and ``msg`` index the string table ``s``; a message is a template
    with ``\x01`` / ``\x02`` / ``\x03`` standing for the finding's due, actual and as_of
    (a message that is a string, not an index, is stored as it is). ``ev`` holds every
    evidence event in order, each as its number of fields then ``key index, value`` pairs
    (a value that is a number indexes ``s``; timestamps are stored as they are).

    Columns of small numbers instead of 200,000 little arrays keep the page quick to parse.
    """
    rules = sorted({r.id for r in report.rules} | {v.rule_id for v in report.violations}
                   | {w.rule_id for w in report.warnings})
    by_id = {r.id: r for r in report.rules}
    kinds = {r.id: r.kind for r in report.rules}
    rule_index = {rid: i for i, rid in enumerate(rules)}
    strings, units, types, keys = _Interned(), _Interned(), _Interned(), _Interned()
    explainer = _Explainer(calendar, kinds)
    as_of = report.as_of or ""
    cols: dict[str, list[Any]] = {name: [] for name in (
        "cat", "rule", "sev", "case", "unit", "period", "type", "due", "actual", "msg", "cal",
        "evn")}
    (cat, rule, sev, case, unit, period, vtype, due, actual, msg, cal, evn) = cols.values()
    ev: list[Any] = []
    timestamp = keys("timestamp")
    for category, findings in ((0, report.violations), (1, report.warnings)):
        for v in ordered(findings):
            due_text = v.due or ""
            actual_text = text_of(v.actual, masked)
            message = text_of(v.shown_message, masked)
            shape = _template(message, due_text, actual_text, as_of)
            cat.append(category)
            rule.append(rule_index[v.rule_id])
            sev.append(0 if v.severity == "error" else 1)
            case.append(text_of(v.case_id, masked))
            unit.append(units(text_of(v.unit, masked)))
            period.append(strings(v.period or ""))
            vtype.append(types(v.type))
            due.append(strings(due_text))
            actual.append(actual_text)
            msg.append(message if shape is None else strings(shape))
            cal.append(explainer.index(v))
            evn.append(len(v.evidence))
            for item in v.evidence:
                fields = [(k, value) for k, value in evidence_items(item) if value is not None]
                ev.append(len(fields))
                for k, value in fields:
                    key = keys(str(k))
                    text = text_of(value, masked)
                    ev += [key, text if key == timestamp else strings(text)]
    return {
        "as_of": as_of,
        "n": len(cat),
        "rules": [[rid, text_of(getattr(by_id.get(rid), "title", ""), masked),
                   _cite(by_id.get(rid)), (getattr(by_id.get(rid), "source", None) or {}).get("quote", "")]
                  for rid in rules],
        "units": [u or no_unit() for u in units.items],
        "types": [[t, type_label(t)] for t in types.items],
        "keys": keys.items,
        "s": strings.items,
        "c": cols,
        "ev": ev,
        "cal": explainer.texts,
    }


def _cite(rule: RuleResult | None) -> str:
    src = (rule.source if rule else None) or {}
    return " ".join(x for x in (src.get("document"), src.get("number"), src.get("clause")) if x)


def unpack(data: dict[str, Any]) -> list[dict[str, Any]]:
    """``payload``'s columns back as one dict per finding (for tests and inspection)."""
    c, s = data["c"], data["s"]
    out, at = [], 0
    for i in range(data["n"]):
        events = []
        for _event in range(c["evn"][i]):
            fields, at = data["ev"][at], at + 1
            item = {}
            for _field in range(fields):
                key, value = data["keys"][data["ev"][at]], data["ev"][at + 1]
                item[key] = s[value] if isinstance(value, int) else value
                at += 2
            events.append(item)
        due = s[c["due"][i]]
        message = c["msg"][i]
        if isinstance(message, int):
            values = {DUE: due, ACTUAL: c["actual"][i], AS_OF: data["as_of"]}
            message = _PLACEHOLDERS.sub(lambda m: values[m[0]], s[message])
        out.append({
            "category": c["cat"][i], "rule": data["rules"][c["rule"][i]][0],
            "severity": ("error", "warning")[c["sev"][i]], "case": c["case"][i],
            "unit": data["units"][c["unit"][i]], "period": s[c["period"][i]],
            "type": data["types"][c["type"][i]][0], "due": due, "actual": c["actual"][i],
            "message": message, "evidence": events,
            "explanation": data["cal"][c["cal"][i]] if c["cal"][i] >= 0 else None,
        })
    return out


def script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` are
    written as ``\\u003c``…, so no value can close the block or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------

def csp_hash(text: Any) -> str:
    """The CSP source (``'sha256-…'``) that allows exactly this inline block."""
    digest = hashlib.sha256(str(text).encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


#: The ``lang`` of the page, for each language govcheck speaks.
HTML_LANG = {"zh": "zh-CN", "en": "en"}

_JS_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "<": "\\u003c", ">": "\\u003e",
               "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_CSS_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\a ", "<": "\\3c "}


def _sentence(text: str, expressions: dict[str, str], literal, joiner: str) -> Markup:
    """A translated sentence as code that builds it: its words as string literals
    (``literal``), each ``{name}`` as the expression ``expressions`` gives for it, joined
    by ``joiner``; so a translation may put the values where its language wants them."""
    parts = []
    for words, name, _spec, _conversion in Formatter().parse(text):
        if words:
            parts.append(literal(words))
        if name is not None:
            parts.append(expressions[name])
    return Markup(joiner.join(parts))


def js_sentence(text: str, **expressions: str) -> Markup:
    """``{{ _("Page {page} of {pages}")|js(page="p", pages="n") }}`` in the page's script:
    ``'第 ' + p + ' / ' + n + ' 页'``; without expressions, one JavaScript string."""
    return _sentence(text, expressions,
                     lambda words: "'" + "".join(_JS_ESCAPES.get(c, c) for c in words) + "'",
                     " + ")


def css_sentence(text: str, **expressions: str) -> Markup:
    """The same for a CSS ``content``: ``"第 " counter(page) " 页"``."""
    return _sentence(text, expressions,
                     lambda words: '"' + "".join(_CSS_ESCAPES.get(c, c) for c in words) + '"', " ")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The templates' environment: autoescaped, and speaking the language in use through
    the one catalog (``_``, ``ngettext`` in a template; Babel extracts them, babel.cfg)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates"))),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=False)
    env.filters["csp_hash"] = csp_hash
    env.filters["num"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    env.filters["js"] = js_sentence
    env.filters["css"] = css_sentence
    return env


def facts(report: Report, masked: bool = True) -> list[tuple[str, str, str]]:
    """The run's facts, as (key, label, value): the key names the fact in every language."""
    rules = len(report.rules)
    return [
        ("files", _("Log files"), listing(text_of(f, masked) for f in report.files) or "-"),
        ("as_of", _("Judged at"), report.as_of or "-"),
        ("span", _("Span of the logs"), span_text(report)),
        ("packs", _("Rule packs"), packs_text(report)),
        ("events", _("Events"), f"{report.events:,}"),
        ("cases", _("Cases"), f"{report.cases:,}"),
        ("rules", _("Rules run"),
         ngettext("{count:,} rule", "{count:,} rules", rules).format(count=rules)),
        ("calendar_years", _("Calendar years"),
         listing(str(y) for y in report.calendar_years) or "-"),
        ("bad_rows", _("Unusable rows"), f"{report.bad_rows:,}"),
        ("duplicates", _("Duplicate events (counted once)"), f"{report.duplicates:,}"),
    ]


def header(report: Report, masked: bool = True) -> list[tuple[str, str]]:
    """The run's facts, as (label, value) pairs."""
    return [(label, value) for _key, label, value in facts(report, masked)]


def context(report: Report, masked: bool = True, calendar: Any = None) -> dict[str, Any]:
    severity = Counter(v.severity for v in report.violations)
    ranking = unit_ranking(report)
    months, undated = monthly_trend(report)
    sections, quiet = rule_sections(report, masked)
    for e in ranking:
        e["unit"] = text_of(e["unit"], masked)
    black, red = boards(ranking)
    return {
        "report": report,
        "header": header(report, masked),
        "as_of_print": re.sub(r"[^0-9: -]", "", report.as_of or ""),
        "cards": {
            "violations": len(report.violations), "error": severity.get("error", 0),
            "warning": severity.get("warning", 0), "at_risk": len(report.warnings),
            "units": sum(1 for e in ranking if e["violations"]),
            "rules": sum(1 for s in sections if s["violations"]),
        },
        "black": black,
        "red": red,
        "quality": [{"rule_id": q.rule_id, "case_id": text_of(q.case_id or "-", masked),
                     "unit": text_of(unit_name(q.unit), masked), "file": text_of(q.file or "-", masked),
                     "row": q.row, "message": text_of(q.message, masked)} for q in report.data_quality],
        "not_judged_text": not_judged_text,
        "board_min_checked": BOARD_MIN_CHECKED,
        "ranking": ranking,
        "chart": trend_chart(months),
        "undated": undated,
        "sections": sections,
        "quiet": quiet,
        "kind_label": kind_label,
        "severity_label": severity_label,
        "html_lang": HTML_LANG[in_use()],
        "masked": masked,
        "data": Markup(script_json(payload(report, masked, calendar))),
    }


def render(report: Report, *, mask: bool = True, calendar: Any = None) -> bytes:
    """The HTML report. ``mask=False`` shows ID card and mobile numbers in full;
    ``calendar`` (a ``WorkCalendar``) defaults to the shipped one."""
    page = environment().get_template("report.html.j2").render(**context(report, mask, calendar))
    return page.encode("utf-8")

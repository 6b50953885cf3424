"""One Chinese sentence per finding, in the words a supervisor uses.

Kept apart from the engines so that the batch and the streaming monitor say the
same thing about the same finding.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from ..model.rule import RuleBase, alternatives_label
from .labels import type_label

def describe(rule: RuleBase, vtype: str, due: str | None, actual: Any, as_of: dt.datetime) -> str:
    """The message of one finding of ``rule``."""
    return describer(rule, as_of)(vtype, due, actual)


def describer(rule: RuleBase, as_of: dt.datetime) -> Callable[[str, str | None, Any], str]:
    """A function that words the findings of ``rule``; the rule's parts are read once."""
    when = as_of.strftime("%Y-%m-%d %H:%M:%S")
    limit = _limit(rule)
    kind = rule.kind
    label = {key: matcher.label() for key in ("count", "required", "event")
             if (matcher := getattr(rule, key, None)) is not None}
    at_least = getattr(rule, "at_least", None)
    used = _used_at_warning(rule) if getattr(rule, "warn_at", None) else ""

    def say(vtype: str, due: str | None, actual: Any) -> str:
        if vtype == "late" and kind == "due_by":
            return f"应于{due}前完成{label['required']}，实际于{actual}完成"
        if vtype == "late" and kind == "sequence":
            return f"各环节应于{due}前完成（时限{limit}），最后一个环节于{actual}完成"
        if vtype == "late":
            return f"应于{due}前办结（时限{limit}），实际于{actual}办结"
        if vtype == "overdue_open":
            return f"应于{due}前办结（时限{limit}），截至{when}仍未办结"
        if vtype == "at_risk":
            return f"已用去{used}仍未办结（预警时点{actual}），期限{due}"
        if vtype == "missing_step":
            return f"缺少环节：{actual}"
        if vtype == "out_of_order":
            return f"环节顺序不符，实际顺序：{actual}"
        if vtype == "insufficient":
            return f"{label['count']}{actual}个，要求至少{at_least}个" + (f"（时限{limit}）" if limit else "")
        if vtype == "below_threshold":
            return f"比例{_percent(actual)}，要求不低于{_percent(at_least)}"
        if vtype == "missing_by_date":
            return f"应于{due}前完成{label['required']}，截至{when}未完成"
        if vtype == "missing_in_period":
            return f"本期{label['event']}{actual}次，要求至少{at_least}次"
        if vtype == "missing_field":
            return f"字段缺失或取值不在允许范围：{actual}"
        if vtype == "forbidden":
            return f"出现禁止事项：{label['event']}"
        return f"{type_label(vtype)}：{actual}"

    return say


def data_quality_message(reason: str, detail: str | None) -> str:
    """The sentence of a data-quality finding (``findings.labels.DATA_QUALITY``)."""
    if reason == "bad_limit":
        return f"{detail}为空或不是整数，无法计算期限，本案不作判定"
    if reason == "bad_number":
        return f"{detail}不是数字，本条不计入比例"
    if reason == "end_before_start":
        return f"办结时间（{detail}）早于起算时间，其后无办结记录，本案不作判定"
    if reason == "no_start":
        return f"“{detail}”的时间为空，无法起算，本案不作判定"
    return f"{reason}：{detail}"


def _limit(rule: RuleBase) -> str:
    within = getattr(rule, "within", None)
    return within.describe() if within is not None else ""


_UNIT_WORDS = {"workdays": "个工作日", "days": "日", "hours": "小时"}


def _used_at_warning(rule: Any) -> str:
    """How much of the limit has passed when a deadline rule warns, as a supervisor counts it:
    `` 2/3 个工作日`` for a fixed limit, else the share of a limit each case reads for itself."""
    within = rule.within
    if within.amount is None or rule.extend is not None:
        return f"时限（{within.describe()}）的{rule.warn_at:.0%}"
    return f" {rule.warn_after(within.amount)}/{within.amount:g} {_UNIT_WORDS[within.unit]}"


def _percent(value: Any) -> str:
    try:
        return f"{float(value):.1%}"
    except (TypeError, ValueError):
        return str(value)


_EVERY = {"day": "每日", "week": "每周", "month": "每月", "quarter": "每季度", "year": "每年"}


def effective_text(rule: RuleBase) -> str:
    """When a rule applies, as ``rules list`` and ``rules show`` print it."""
    if rule.effective is None:
        return "长期"
    start, end = rule.effective.from_, rule.effective.to
    return f"{start} 至 {end}" if start and end else f"{start} 起" if start else f"至 {end}"


def rule_lines(rule: RuleBase) -> list[str]:
    """What a rule checks, one line per part, in a supervisor's words (``rules show``)."""
    out = [f"适用范围：{rule.where.label()}"] if rule.where is not None else []
    return out + RULE_LINES[rule.kind](rule) + _case_filter_lines(rule)


def _case_filter_lines(r: Any) -> list[str]:
    """The keys that take a case out of judgement (every case kind may have them)."""
    out = []
    if getattr(r, "only_if", None):
        out.append(f"仅判定：有{alternatives_label(r.only_if)}的")
    if getattr(r, "exclude", None) and r.kind != "ratio":
        out.append(f"不判定：有{alternatives_label(r.exclude)}的")
    if getattr(r, "cancel", None):
        out.append(f"结案不判：{alternatives_label(r.cancel)}（须在期限届满前、办结之前）")
    return out


def _within(r: Any) -> list[str]:
    """The limit, or the stated fair time (``settle``) and why."""
    if getattr(r, "within", None):
        return [f"时限：{r.within.describe()}"]
    if getattr(r, "settle", None):
        return [f"判定前等待：{r.settle.describe()}（{r.settle.reason}）；此后补做的不算逾期"]
    return []


def _deadline_lines(r: Any) -> list[str]:
    out = [f"起算事件：{r.start.label()}", f"办结事件：{r.end.label()}", *_within(r)]
    for spec in r.pause_specs:
        cap = f"，最长{spec.max.describe()}" if spec.max is not None else ""
        out.append(f"不计入期限：{spec.pause.label()} 至 {spec.resume.label()}{cap}")
    if r.restart:
        out.append(f"重新起算：{r.restart.label()}")
    if r.extend:
        cap = f"，合计最长{r.extend_max.describe()}" if r.extend_max is not None else ""
        out.append(f"延长：{r.extend.matcher.label()}（延长天数见 {r.extend.attribute}{cap}）")
    if r.pause_specs or r.restart or r.extend:
        out.append("中止、重新起算、延长须在当时的期限届满前发生，否则不计")
    if r.warn_at:
        out.append(f"预警：已用去{_used_at_warning(r)}仍未办结")
    return out


def _sequence_lines(r: Any) -> list[str]:
    joiner = " → " if r.ordered else "、"
    return [f"触发事件：{r.trigger.label()}",
            f"须有环节：{joiner.join(alternatives_label(s) for s in r.steps)}" + ("（按顺序）" if r.ordered else ""),
            *_within(r)]


def _min_count_lines(r: Any) -> list[str]:
    return [f"对象：{r.subject.label()}",
            f"至少{r.at_least}个{r.count.label()}" + (f"（按{r.distinct}计不同的）" if r.distinct else ""),
            *_within(r)]


def _ratio_lines(r: Any) -> list[str]:
    met = r.condition.label() if r.condition else f"{r.value.numerator}/{r.value.denominator}"
    out = [f"总体：{r.population.label()}", f"达标：{met}", f"比例不低于：{r.at_least:.0%}"]
    if r.group_by:
        out.append(f"分组：{'、'.join(r.group_by)}")
    if r.lead_unit:
        out.append(f"全市一个比例，结果写给牵头单位：{r.lead_unit}")
    if r.period:
        out.append(f"周期：{_EVERY[r.period]}")
    if r.condition:
        out.append(f"达标条件须在周期结束后{r.grace.describe()}内满足" if r.grace
                   else "达标条件须在周期结束前满足")
    elif r.grace:
        out.append(f"宽限：周期结束后{r.grace.describe()}")
    if r.exclude:
        out.append(f"不计入：有{alternatives_label(r.exclude)}的")
    return out


def _due_by_lines(r: Any) -> list[str]:
    subjects = (r.subjects.label() if r.subjects else
                "、".join(f"{s.case_id}（{s.unit}）" if s.unit else s.case_id for s in r.subjects_list))
    out = [f"对象：{subjects}", f"须完成：{r.required.label()}", f"截止：{r.by} 24时前"]
    if r.subjects_window:
        first = r.subjects_window.from_
        out.append(f"对象事件的时间：{'不限' if first == 'any' else first}，至{r.subjects_window.to or r.by}")
    if r.settle:
        out.append(f"对象事件距截止不足{r.settle.describe()}的，截止顺延至其后{r.settle.describe()}"
                   f"（{r.settle.reason}）")
    return out


def _periodic_lines(r: Any) -> list[str]:
    out = [f"{_EVERY[r.every]}至少{r.at_least}次：{r.event.label()}"]
    if r.lead_unit:
        out.append(f"全市合计，结果写给牵头单位：{r.lead_unit}")
    if r.units:
        out.append(f"单位：{'、'.join(r.units)}")
    if r.grace:
        out.append(f"宽限：周期结束后{r.grace.describe()}")
    return out


def _required_fields_lines(r: Any) -> list[str]:
    out = [f"事件：{r.event.label()}", f"必填：{'、'.join(r.fields)}"]
    out += [f"{name}只能是：{'、'.join(map(str, values))}" for name, values in (r.allowed or {}).items()]
    return out


def _forbidden_lines(r: Any) -> list[str]:
    return [f"不得出现：{r.event.label()}"]


#: kind → the lines that say what a rule of that kind checks.
RULE_LINES: dict[str, Callable[[Any], list[str]]] = {
    "deadline": _deadline_lines, "sequence": _sequence_lines, "min_count": _min_count_lines,
    "ratio": _ratio_lines, "due_by": _due_by_lines, "periodic": _periodic_lines,
    "required_fields": _required_fields_lines, "forbidden": _forbidden_lines,
}

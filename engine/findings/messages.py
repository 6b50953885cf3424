"""One Chinese sentence per finding, in the words a supervisor uses.

Kept apart from the engines so that the batch and the streaming monitor say the
same thing about the same finding.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from ..model.rule import RuleBase

#: Chinese names of the violation types (also used by the renderers).
TYPE_NAMES = {
    "late": "逾期办结", "overdue_open": "超期未办结", "missing_step": "缺少环节",
    "out_of_order": "环节顺序错误", "insufficient": "数量不足", "below_threshold": "比例未达标",
    "missing_by_date": "逾期未完成", "missing_in_period": "当期缺失", "missing_field": "字段缺失",
    "forbidden": "禁止事项", "at_risk": "临近期限",
}


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
    share = f"{rule.warn_at:.0%}" if getattr(rule, "warn_at", None) else ""

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
            return f"已用去{share}时限仍未办结，期限{due}"
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
        return f"{TYPE_NAMES.get(vtype, vtype)}：{actual}"

    return say


def _limit(rule: RuleBase) -> str:
    within = getattr(rule, "within", None)
    return within.describe() if within is not None else ""


def _percent(value: Any) -> str:
    try:
        return f"{float(value):.1%}"
    except (TypeError, ValueError):
        return str(value)


#: Chinese names of the rule kinds and severities, for people reading a rule.
KIND_NAMES = {
    "deadline": "办理时限", "sequence": "环节顺序", "min_count": "最少数量", "ratio": "比例",
    "due_by": "限期完成", "periodic": "定期开展", "required_fields": "必填要素", "forbidden": "禁止事项",
}
SEVERITY_NAMES = {"error": "错误（确保、必须、一律、达到）", "warning": "警告（力争、原则上、探索）"}
_EVERY = {"day": "每日", "week": "每周", "month": "每月", "quarter": "每季度", "year": "每年"}


def rule_lines(rule: RuleBase) -> list[str]:
    """What a rule checks, one line per part, in a supervisor's words (``rules show``)."""
    r: Any = rule
    out = []
    if rule.where is not None:
        out.append(f"适用范围：{rule.where.label()}")
    within = f"{r.within.describe()}" if getattr(r, "within", None) else ""
    if rule.kind == "deadline":
        out += [f"起算事件：{r.start.label()}", f"办结事件：{r.end.label()}", f"时限：{within}"]
        if r.pause:
            out.append(f"不计入期限：{r.pause.label()} 至 {r.resume.label()}")
        if r.restart:
            out.append(f"重新起算：{r.restart.label()}")
        if r.extend:
            out.append(f"延长：{r.extend.matcher.label()}（延长天数见 {r.extend.attribute}）")
        if r.warn_at:
            out.append(f"预警：已用去{r.warn_at:.0%}时限仍未办结")
    elif rule.kind == "sequence":
        joiner = " → " if r.ordered else "、"
        out += [f"触发事件：{r.trigger.label()}",
                f"须有环节：{joiner.join(s.label() for s in r.steps)}" + ("（按顺序）" if r.ordered else "")]
        if within:
            out.append(f"时限：{within}")
    elif rule.kind == "min_count":
        out += [f"对象：{r.subject.label()}",
                f"至少{r.at_least}个{r.count.label()}" + (f"（按{r.distinct}计不同的）" if r.distinct else "")]
        if within:
            out.append(f"时限：{within}")
    elif rule.kind == "ratio":
        met = r.condition.label() if r.condition else f"{r.value.numerator}/{r.value.denominator}"
        out += [f"总体：{r.population.label()}", f"达标：{met}", f"比例不低于：{r.at_least:.0%}"]
        if r.group_by:
            out.append(f"分组：{'、'.join(r.group_by)}")
        if r.period:
            out.append(f"周期：{_EVERY[r.period]}")
        if r.exclude:
            out.append(f"不计入：{r.exclude.label()}")
    elif rule.kind == "due_by":
        subjects = (r.subjects.label() if r.subjects else
                    "、".join(f"{s.case_id}（{s.unit}）" if s.unit else s.case_id for s in r.subjects_list))
        out += [f"对象：{subjects}", f"须完成：{r.required.label()}", f"截止：{r.by} 24时前"]
    elif rule.kind == "periodic":
        out.append(f"{_EVERY[r.every]}至少{r.at_least}次：{r.event.label()}")
        if r.units:
            out.append(f"单位：{'、'.join(r.units)}")
        if r.grace:
            out.append(f"宽限：周期结束后{r.grace.describe()}")
    elif rule.kind == "required_fields":
        out += [f"事件：{r.event.label()}", f"必填：{'、'.join(r.fields)}"]
        for name, values in (r.allowed or {}).items():
            out.append(f"{name}只能是：{'、'.join(map(str, values))}")
    elif rule.kind == "forbidden":
        out.append(f"不得出现：{r.event.label()}")
    return out

"""One Chinese sentence per finding, in the words a supervisor uses.

Kept apart from the engines so that the batch and the streaming monitor say the
same thing about the same finding.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from .model import RuleBase

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
